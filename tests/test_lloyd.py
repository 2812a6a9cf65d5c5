"""The compiled k-means against its definition and against scikit-learn's."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from persona_lab.methods.lloyd import kmeans, nearest


def blobs(seed=0, n=600, k=6, d=2, spread=0.6):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    truth = rng.integers(0, k, n)
    return rng.normal(centres[truth], spread), truth


def test_finds_planted_segments():
    X, truth = blobs()
    labels, centres, inertia = kmeans(X, 6, n_init=10, seed=1)
    assert adjusted_rand_score(truth, labels) == 1.0
    assert centres.shape == (6, 2)


def test_result_is_a_fixed_point_with_its_own_inertia():
    X = np.random.default_rng(3).normal(size=(800, 3))  # no structure: Lloyd creeps for a while
    for k in (2, 7, 15):
        labels, centres, inertia = kmeans(X, k, n_init=2, seed=k)
        assigned, distance = nearest(X, centres)
        np.testing.assert_array_equal(labels, assigned)  # every row at its nearest centre
        assert inertia == pytest.approx((distance ** 2).sum(), rel=1e-12)
        means = np.array([X[labels == j].mean(axis=0) for j in range(k)])
        np.testing.assert_allclose(centres, means, atol=0.02)  # converged up to the tolerance


@pytest.mark.parametrize("seed", range(4))
def test_inertia_matches_scikit_learn_best_of_ten(seed):
    X, _ = blobs(seed, n=500, k=8, spread=2.5)  # overlapping: local optima exist
    ours = kmeans(X, 8, n_init=10, seed=seed)[2]
    theirs = KMeans(8, n_init=10, random_state=seed).fit(X).inertia_
    assert ours <= theirs * 1.02


def test_integer_weights_equal_repeated_rows():
    X, _ = blobs(5, n=200, k=4, spread=1.5)
    weight = np.random.default_rng(5).integers(1, 4, 200)
    weighted = kmeans(X, 4, n_init=3, seed=9, sample_weight=weight.astype(float))
    repeated = kmeans(np.repeat(X, weight, axis=0), 4, n_init=3, seed=9)
    np.testing.assert_array_equal(np.repeat(weighted[0], weight), repeated[0])
    np.testing.assert_allclose(weighted[1], repeated[1])
    assert weighted[2] == pytest.approx(repeated[2])


def test_same_seed_same_partition_and_an_emptied_segment_is_refilled():
    X, _ = blobs(7, n=300, k=3)
    a, b = kmeans(X, 5, seed=4), kmeans(X, 5, seed=4)
    np.testing.assert_array_equal(a[0], b[0])
    # Four distinct points and k = 4 with duplicates: every segment ends with a point.
    Y = np.repeat(np.array([[0.0, 0], [0, 1], [1, 0], [5, 5]]), [50, 1, 1, 1], axis=0)
    labels = kmeans(Y, 4, n_init=1, seed=0)[0]
    assert np.bincount(labels, minlength=4).min() >= 1


def test_shapes_that_do_not_fit_are_refused():
    # Compiled code does not check bounds; these would otherwise read past the arrays.
    with pytest.raises(ValueError, match="cannot be compared"):
        nearest(np.zeros((4, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one weight per row"):
        kmeans(np.zeros((4, 2)), 2, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="1 <= k <= rows"):
        kmeans(np.zeros((4, 2)), 5)

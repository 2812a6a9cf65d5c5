"""The compiled k-means against its definition and against scikit-learn's."""

import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from persona_lab.methods.lloyd import _lloyd, kmeans, nearest


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


@pytest.mark.parametrize("d, k, weighted", [(2, 3, False), (2, 16, False), (6, 9, True), (20, 12, False)])
def test_iterations_from_given_centres_are_scikit_learns_lloyd(d, k, weighted):
    # Structure-free rows: Lloyd creeps for dozens of iterations, so Hamerly's bounds, the
    # rows left to compare and the segment sums updated per moved row are all exercised.
    rng = np.random.default_rng(d * k)
    X = rng.normal(size=(1500, d))
    weight = rng.uniform(0.5, 2.0, 1500) if weighted else np.ones(1500)
    start = X[rng.choice(1500, k, replace=False)]
    theirs = KMeans(k, init=start, n_init=1, algorithm="lloyd").fit(X, sample_weight=weight if weighted else None)
    tol = 1e-4 * X.var(axis=0).mean()
    labels, inertia = _lloyd(X, np.ascontiguousarray(X.T), weight, start.copy(), 300, tol)
    assert theirs.n_iter_ > 10
    np.testing.assert_array_equal(labels, theirs.labels_)
    assert inertia == pytest.approx(theirs.inertia_, rel=1e-10)


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


def test_rows_of_weight_zero_leave_no_segment_without_a_centre():
    # Weights of 0 stand for missing or negative survey weights. A segment of such rows alone has
    # no mass to average: it is refilled with the row farthest from its centre, which here is a
    # row of weight 0 too (the weightless blob is the wide one), and its centre must stay a
    # point, not 0 / 0.
    rng = np.random.default_rng(11)
    X = np.vstack([rng.normal(0, 0.1, (100, 2)), rng.normal([20, 0], 3.0, (100, 2))])
    weight = np.repeat([1.0, 0.0], 100)
    start = np.array([[0.0, 0.0], [0.1, 0.1], [20.0, 0.0]])
    labels, inertia = _lloyd(X, np.ascontiguousarray(X.T), weight, start, 300, 1e-4 * X.var(axis=0).mean())
    assert np.isfinite(start).all() and np.isfinite(inertia)
    assert set(labels.tolist()) <= {0, 1, 2}
    for seed in range(5):  # and through the public function, weights 0 in a third of the rows
        labels, centres, inertia = kmeans(X, 4, n_init=2, seed=seed, sample_weight=np.repeat([1.0, 1.0, 0.0], [67, 66, 67]))
        assert np.isfinite(centres).all() and np.isfinite(inertia)


def test_shapes_that_do_not_fit_are_refused():
    # Compiled code does not check bounds; these would otherwise read past the arrays.
    with pytest.raises(ValueError, match="cannot be compared"):
        nearest(np.zeros((4, 3)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="one weight per row"):
        kmeans(np.zeros((4, 2)), 2, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="1 <= k <= rows"):
        kmeans(np.zeros((4, 2)), 5)

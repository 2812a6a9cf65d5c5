"""The validity indices against scikit-learn's, which define them here."""

import numpy as np
import pytest
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from persona_lab.assess.validity import calinski_harabasz, davies_bouldin, silhouette


def partitions():
    rng = np.random.default_rng(3)
    for n, d, k in ((40, 2, 3), (300, 5, 7), (500, 3, 12)):
        X = rng.normal(size=(n, d)) + rng.integers(0, 3, size=(n, 1))
        labels = rng.integers(0, k, n) * 2 + 5  # codes need not be 0..k-1
        yield X, labels
    X = np.vstack([np.zeros((5, 2)), np.ones((1, 2)), rng.normal(size=(30, 2))])  # a singleton, duplicates
    yield X, np.r_[np.zeros(5, int), 1, rng.integers(2, 5, 30)]


@pytest.mark.parametrize("case", range(4))
def test_indices_equal_scikit_learn(case):
    X, labels = list(partitions())[case]
    assert silhouette(X, labels) == pytest.approx(silhouette_score(X, labels), abs=1e-12)
    assert calinski_harabasz(X, labels) == pytest.approx(calinski_harabasz_score(X, labels), rel=1e-12)
    assert davies_bouldin(X, labels) == pytest.approx(davies_bouldin_score(X, labels), rel=1e-12)


def test_silhouette_samples_the_rows_scikit_learn_samples():
    X, labels = list(partitions())[2]
    for seed in (0, 11):
        expected = silhouette_score(X, labels, sample_size=120, random_state=seed)
        assert silhouette(X, labels, sample_size=120, seed=seed) == pytest.approx(expected, abs=1e-12)


def test_degenerate_partitions_follow_scikit_learn():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0], [1.0, 1.0]])
    labels = np.array([0, 0, 1, 1])
    assert calinski_harabasz(X, labels) == calinski_harabasz_score(X, labels) == 1.0
    assert davies_bouldin(X, labels) == davies_bouldin_score(X, labels) == 0.0
    assert silhouette(X, labels) == pytest.approx(silhouette_score(X, labels)) == 1.0

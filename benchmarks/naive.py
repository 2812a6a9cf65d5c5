"""The naive way to the same answers, for benchmarks/select_k.py: scikit-learn's KMeans with the
same n_init, one thread, every criterion and every statistic fitting its own models."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

N_INIT = 10  # persona_lab's k-means default


def _fit(X, k, seed):
    return KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(X)


def _criteria(X, k_values, rng):
    """Each criterion fits its own model per k (the naive way)."""
    sample = rng.choice(len(X), size=min(2000, len(X)), replace=False)
    for k in k_values:
        silhouette_score(X[sample], _fit(X, k, 1).labels_[sample])
        calinski_harabasz_score(X, _fit(X, k, 2).labels_)
        davies_bouldin_score(X, _fit(X, k, 3).labels_)
        _fit(X, k, 4).inertia_


def _stability(X, k_values, resamples, rng):
    n = len(X)
    for _ in range(resamples):
        for k in k_values:
            a, b = rng.integers(0, n, n), rng.integers(0, n, n)
            adjusted_rand_score(_fit(X[a], k, 5).predict(X), _fit(X[b], k, 6).predict(X))  # bootstrap ARI
            _fit(X[np.unique(rng.integers(0, n, n))], k, 7)  # Jaccard
            half = rng.permutation(n)
            _fit(X[half[: n // 2]], k, 8), _fit(X[half[n // 2:]], k, 9)  # prediction strength
            _fit(X[rng.choice(n, int(0.8 * n), replace=False)], k, 10)  # consensus
        _criteria(X[rng.integers(0, n, n)], k_values, rng)  # k-hat: the criteria again per resample


def naive_select_k(X, k_values, resamples: int, references: int) -> dict:
    rng = np.random.default_rng(0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    _criteria(X, k_values, rng)
    _stability(X, k_values, resamples, rng)
    cov = np.cov(X, rowvar=False)
    for _ in range(references):
        reference = rng.multivariate_normal(X.mean(axis=0), cov, size=len(X))
        _stability(reference, k_values, resamples, rng)
    return {}

"""The naive way to the same answers, for benchmarks/select_k.py: scikit-learn's KMeans with the
same starts as persona_lab (n_init 10 on the full data; ``starts`` per resample fit, 10 unless
the run under comparison set fewer), one thread, every criterion and every statistic fitting its
own models."""

from __future__ import annotations

import time

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

N_INIT = 10  # persona_lab's k-means default


def _fit(X, k, seed, n_init):
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X)


def _criteria(X, k_values, rng, n_init):
    """Each criterion fits its own model per k (the naive way)."""
    sample = rng.choice(len(X), size=min(2000, len(X)), replace=False)
    for k in k_values:
        silhouette_score(X[sample], _fit(X, k, 1, n_init).labels_[sample])
        calinski_harabasz_score(X, _fit(X, k, 2, n_init).labels_)
        davies_bouldin_score(X, _fit(X, k, 3, n_init).labels_)
        _fit(X, k, 4, n_init).inertia_


def _gap(X, k_values, rng, references):
    """Tibshirani's references: uniform in the data's box, each clustered at every k."""
    low, high = X.min(axis=0), X.max(axis=0)
    for _ in range(references):
        reference = rng.uniform(low, high, size=X.shape)
        for k in k_values:
            _fit(reference, k, 11, N_INIT)


def _full_fits(X, k_values):
    for k in k_values:
        _fit(X, k, 12, N_INIT)  # the full-data partition that Jaccard compares with


def _stability(X, k_values, resamples, rng, starts, k_hat=True):
    n = len(X)
    for _ in range(resamples):
        for k in k_values:
            a, b = rng.integers(0, n, n), rng.integers(0, n, n)
            adjusted_rand_score(_fit(X[a], k, 5, starts).predict(X), _fit(X[b], k, 6, starts).predict(X))  # ARI
            _fit(X[np.unique(rng.integers(0, n, n))], k, 7, starts)  # Jaccard
            half = rng.permutation(n)
            _fit(X[half[: n // 2]], k, 8, starts), _fit(X[half[n // 2:]], k, 9, starts)  # prediction strength
            _fit(X[rng.choice(n, int(0.8 * n), replace=False)], k, 10, starts)  # consensus
        if k_hat:
            _criteria(X[rng.integers(0, n, n)], k_values, rng, starts)  # k-hat: the criteria again per resample


def naive_select_k(X, k_values, resamples: int, references: int, starts: int = N_INIT, null_resamples: int = 1) -> dict:
    """Seconds of each part, so that the caller can scale the measured resamples and reference
    sets up to the real analysis: the full-data criteria and fits once, then per gap reference
    set, per resample of the data, per reference set's full-data fits and per resample of a
    reference set."""
    rng = np.random.default_rng(0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    start = time.perf_counter()
    _criteria(X, k_values, rng, N_INIT)
    fixed = time.perf_counter() - start
    start = time.perf_counter()
    _gap(X, k_values, rng, references)
    per_gap_reference = (time.perf_counter() - start) / references
    start = time.perf_counter()
    _full_fits(X, k_values)
    fixed += time.perf_counter() - start
    start = time.perf_counter()
    _stability(X, k_values, resamples, rng, starts)
    per_resample = (time.perf_counter() - start) / resamples
    cov = np.cov(X, rowvar=False)
    full = spent = 0.0
    for _ in range(references):
        reference = rng.multivariate_normal(X.mean(axis=0), cov, size=len(X))
        start = time.perf_counter()
        _full_fits(reference, k_values)
        full += time.perf_counter() - start
        start = time.perf_counter()
        _stability(reference, k_values, null_resamples, rng, starts, k_hat=False)
        spent += time.perf_counter() - start
    return {"fixed_seconds": fixed, "per_gap_reference_seconds": per_gap_reference, "per_resample_seconds": per_resample,
            "per_reference_full_seconds": full / references, "per_null_resample_seconds": spent / (references * null_resamples)}

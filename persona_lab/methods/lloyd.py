"""Weighted k-means (greedy k-means++ starts, then Lloyd's iterations), compiled with numba.

The stability harness fits k-means tens of thousands of times on a few thousand rows, where
scikit-learn spends most of each fit in per-call Python overhead and in k-means++ seeding done
one NumPy call per centre (measured: about 1 ms of a 2 ms start at k = 15 on 5,000 x 2). The
algorithm here is scikit-learn's: a first centre drawn by weight, then for each further centre
``2 + floor(log k)`` candidates drawn by weighted squared distance, keeping the one that lowers
the potential most (Arthur & Vassilvitskii 2007); Lloyd's iterations until no row changes
segment or the centres move less than ``1e-4`` times the mean column variance; an emptied
segment is re-seeded with the row farthest from its centre. Distances are computed as sums of
squared differences, not through the dot-product expansion, so nearby rows never get a
negative distance.

All randomness is drawn by NumPy from the seed before the compiled code runs, so a seed gives
the same partition here and in any worker process.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TOLERANCE = 1e-4
#: Reassociating sums lets LLVM vectorise the distances; infinities stay meaningful (no "ninf").
FAST = {"reassoc", "contract", "arcp", "nsz"}


@njit(cache=True, nogil=True, fastmath=FAST)
def _sq(X, i, C, j):
    s = 0.0
    for f in range(X.shape[1]):
        t = X[i, f] - C[j, f]
        s += t * t
    return s


@njit(cache=True, nogil=True, fastmath=FAST)
def _draw(cumulative, u):
    """The first index whose cumulative weight exceeds ``u`` times the total."""
    target = u * cumulative[-1]
    i = np.searchsorted(cumulative, target, side="right")
    return min(i, cumulative.shape[0] - 1)


@njit(cache=True, nogil=True, fastmath=FAST)
def _plusplus(X, w, k, u_first, u_trials):
    n, d = X.shape
    centres = np.empty((k, d))
    closest = np.empty(n)
    candidate = np.empty(n)
    best = np.empty(n)
    first = _draw(np.cumsum(w), u_first)
    centres[0] = X[first]
    for i in range(n):
        closest[i] = _sq(X, i, centres, 0)
    for c in range(1, k):
        cumulative = np.cumsum(w * closest)
        best_potential = np.inf
        for t in range(u_trials.shape[1]):
            pick = _draw(cumulative, u_trials[c - 1, t])
            centres[c] = X[pick]
            potential = 0.0
            for i in range(n):
                candidate[i] = min(closest[i], _sq(X, i, centres, c))
                potential += w[i] * candidate[i]
            if potential < best_potential:
                best_potential = potential
                best[:] = candidate
                chosen = pick
        centres[c] = X[chosen]
        closest[:] = best
    return centres


@njit(cache=True, nogil=True, fastmath=FAST)
def _nearest_two(X, i, centres):
    """Nearest centre of row i, its distance and the second-nearest distance (not squared)."""
    nearest, d1, d2 = 0, np.inf, np.inf
    for j in range(centres.shape[0]):
        dist = _sq(X, i, centres, j)
        if dist < d1:
            nearest, d1, d2 = j, dist, d1
        elif dist < d2:
            d2 = dist
    return nearest, np.sqrt(d1), np.sqrt(d2)


@njit(cache=True, nogil=True, fastmath=FAST)
def _centres_of(X, w, labels, k, upper):
    """Weighted means of the segments; an emptied segment restarts at the worst-fitted row."""
    n, d = X.shape
    sums = np.zeros((k, d))
    mass = np.zeros(k)
    for i in range(n):
        mass[labels[i]] += w[i]
        for f in range(d):
            sums[labels[i], f] += w[i] * X[i, f]
    for j in range(k):
        if mass[j] == 0.0:
            far = np.argmax(upper)
            mass[labels[far]] -= w[far]
            for f in range(d):
                sums[labels[far], f] -= w[far] * X[far, f]
            labels[far], upper[far] = j, 0.0
            mass[j] = w[far]
            for f in range(d):
                sums[j, f] = w[far] * X[far, f]
    for j in range(k):
        for f in range(d):
            sums[j, f] /= mass[j]
    return sums


@njit(cache=True, nogil=True, fastmath=FAST)
def _lloyd(X, w, centres, max_iter, tol):
    """Lloyd's iterations with Hamerly's (2010) bounds: a row is only compared with every centre
    when its upper bound to its own centre passes both its lower bound to any other centre and
    half the distance from its centre to the next; on structure-free data, where the centres
    creep for dozens of iterations, that skips most of the work. The partition is Lloyd's."""
    n = X.shape[0]
    k = centres.shape[0]
    labels = np.empty(n, dtype=np.int64)
    upper, lower = np.empty(n), np.empty(n)
    for i in range(n):
        labels[i], upper[i], lower[i] = _nearest_two(X, i, centres)
    moved, half_gap = np.empty(k), np.empty(k)
    settled = False  # no row changed segment under the current centres
    for _ in range(max_iter):
        new = _centres_of(X, w, labels, k, upper)
        shift, first, second, top = 0.0, 0.0, 0.0, -1
        for j in range(k):
            moved[j] = np.sqrt(_sq(new, j, centres, j))
            shift += moved[j] ** 2
            if moved[j] > first:
                first, second, top = moved[j], first, j
            elif moved[j] > second:
                second = moved[j]
        centres[:] = new
        if shift <= tol:
            break
        for j in range(k):
            gap = np.inf
            for m in range(k):
                if m != j:
                    gap = min(gap, _sq(centres, j, centres, m))
            half_gap[j] = 0.5 * np.sqrt(gap)
        changed = False
        for i in range(n):
            a = labels[i]
            upper[i] += moved[a]
            lower[i] -= second if a == top else first
            bound = max(half_gap[a], lower[i])
            if upper[i] <= bound:
                continue
            upper[i] = np.sqrt(_sq(X, i, centres, a))
            if upper[i] <= bound:
                continue
            labels[i], upper[i], lower[i] = _nearest_two(X, i, centres)
            changed = changed or labels[i] != a
        if not changed:
            settled = True
            break
    inertia = 0.0
    for i in range(n):
        if settled:  # the labels are right; only the distances to their own centres are needed
            inertia += w[i] * _sq(X, i, centres, labels[i])
        else:  # stopped on the tolerance or max_iter: one more assignment, as scikit-learn does
            labels[i], nearest, _ = _nearest_two(X, i, centres)
            inertia += w[i] * nearest * nearest
    return labels, inertia


@njit(cache=True, nogil=True, fastmath=FAST)
def _mean_variance(X):
    """The mean of the columns' variances (scikit-learn's scale for its tolerance)."""
    n, d = X.shape
    total = 0.0
    for f in range(d):
        mean = 0.0
        for i in range(n):
            mean += X[i, f]
        mean /= n
        for i in range(n):
            total += (X[i, f] - mean) ** 2
    return total / (n * d)


@njit(cache=True, nogil=True, fastmath=FAST)
def _best_of(X, w, k, u_first, u_trials, max_iter, tol):
    best_labels = np.zeros(X.shape[0], dtype=np.int64)
    best_centres = np.zeros((k, X.shape[1]))
    best_inertia = np.inf
    for s in range(u_first.shape[0]):
        centres = _plusplus(X, w, k, u_first[s], u_trials[s])
        labels, inertia = _lloyd(X, w, centres, max_iter, tol)
        if inertia < best_inertia:
            best_labels, best_centres, best_inertia = labels, centres, inertia
    return best_labels, best_centres, best_inertia


def kmeans(X, k: int, *, n_init: int = 10, max_iter: int = 300, seed: int = 0, sample_weight=None):
    """The best of ``n_init`` k-means++ starts by (weighted) inertia: labels, centres, inertia."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    n = X.shape[0]
    if X.ndim != 2 or not 1 <= int(k) <= n:
        raise ValueError(f"k-means needs 1 <= k <= rows, got k = {k} for {n} rows")
    w = np.ones(n) if sample_weight is None else np.ascontiguousarray(sample_weight, dtype=np.float64)
    if w.shape != (n,):  # compiled code would read past a shorter array instead of failing
        raise ValueError(f"k-means needs one weight per row: {w.shape} weights for {n} rows")
    rng = np.random.default_rng(seed)
    trials = 2 + int(np.log(k))
    u_first, u_trials = rng.random(n_init), rng.random((n_init, max(k - 1, 1), trials))
    labels, centres, inertia = _best_of(X, w, int(k), u_first, u_trials, int(max_iter), TOLERANCE * _mean_variance(X))
    return labels, centres, float(inertia)


@njit(cache=True, nogil=True, fastmath=FAST)
def _nearest_all(X, centres):
    labels = np.empty(X.shape[0], dtype=np.int64)
    distances = np.empty(X.shape[0])
    for i in range(X.shape[0]):
        labels[i], distances[i], _ = _nearest_two(X, i, centres)
    return labels, distances


def nearest(X, centres) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centre and its Euclidean distance to it."""
    X, centres = np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(centres, dtype=np.float64)
    # Compiled code does not check bounds: a mismatch would read past the arrays, not fail.
    if X.ndim != 2 or centres.ndim != 2 or X.shape[1] != centres.shape[1] or not len(centres):
        raise ValueError(f"rows of {X.shape[1:]} columns cannot be compared with centres of shape {centres.shape}")
    return _nearest_all(X, centres)

"""Weighted k-means (greedy k-means++ starts, then Lloyd's iterations), compiled with numba.

The stability harness fits k-means tens of thousands of times on a few thousand rows, most of
them on structure-free reference sets where Lloyd's iterations creep for dozens of rounds; there
scikit-learn spent most of each fit in per-call overhead and in k-means++ seeding done one NumPy
call per centre. The algorithm here is scikit-learn's: a first centre drawn by weight, then for
each further centre ``2 + floor(log k)`` candidates drawn by weighted squared distance, keeping
the one that lowers the potential most (Arthur & Vassilvitskii 2007); Lloyd's iterations until
no row changes segment or the centres move less than ``1e-4`` times the mean column variance;
an emptied segment is re-seeded with the row farthest from its centre. Distances are sums of
squared differences, not the dot-product expansion, so nearby rows never get a negative distance.

Where the time goes decides the layout. Passes over every row (seeding, the first assignment,
each row's distance to its own centre) run over the columns of ``X.T`` so that they vectorise;
Hamerly's (2010) lower bound on the distance to the second-nearest centre then leaves only the
rows whose segment may have changed to be compared with every centre, and the segment sums are
updated for the rows that moved instead of being recomputed. Measured on 5,000 rows against the
row-at-a-time Hamerly loop this replaced (10 starts, k = 2 to 20): 2.2-3.3x faster on
structure-free 2-d data, 2.5-3.8x on clustered 2-d data, 1.2-2.1x in 20 dimensions; the
partitions are the same.

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
def _to_centre(XT, centre, out):
    """Squared distance of every row (a column of ``XT``) to ``centre``, into ``out``."""
    d, n = XT.shape
    c = centre[0]
    for i in range(n):
        t = XT[0, i] - c
        out[i] = t * t
    for f in range(1, d):
        c = centre[f]
        for i in range(n):
            t = XT[f, i] - c
            out[i] += t * t


@njit(cache=True, nogil=True, fastmath=FAST)
def _draw(cumulative, u):
    """The first index whose cumulative weight exceeds ``u`` times the total."""
    target = u * cumulative[-1]
    i = np.searchsorted(cumulative, target, side="right")
    return min(i, cumulative.shape[0] - 1)


@njit(cache=True, nogil=True, fastmath=FAST)
def _plusplus(XT, w, k, u_first, u_trials):
    d, n = XT.shape
    centres = np.empty((k, d))
    closest, candidate, best, weighted = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    first = _draw(np.cumsum(w), u_first)
    centres[0] = XT[:, first]
    _to_centre(XT, centres[0], closest)
    for c in range(1, k):
        for i in range(n):
            weighted[i] = w[i] * closest[i]
        cumulative = np.cumsum(weighted)
        best_potential, chosen = np.inf, 0
        for t in range(u_trials.shape[1]):
            pick = _draw(cumulative, u_trials[c - 1, t])
            _to_centre(XT, XT[:, pick].copy(), candidate)
            potential = 0.0
            for i in range(n):
                v = min(closest[i], candidate[i])
                candidate[i] = v
                potential += w[i] * v
            if potential < best_potential:
                best_potential, chosen = potential, pick
                best, candidate = candidate, best
        centres[c] = XT[:, chosen]
        closest, best = best, closest
    return centres


@njit(cache=True, nogil=True, fastmath=FAST)
def _nearest_columns(XT, centres, labels, nearest, second):
    """For every row (a column of ``XT``): its nearest centre and the squared distances to the
    nearest and the second nearest, one vectorised pass per centre with the comparisons done
    as selects (a row near a boundary would mispredict a branch)."""
    n = XT.shape[1]
    buffer = np.empty(n)
    _to_centre(XT, centres[0], nearest)
    second[:] = np.inf
    labels[:] = 0
    for j in range(1, centres.shape[0]):
        _to_centre(XT, centres[j], buffer)
        for i in range(n):
            v, d1 = buffer[i], nearest[i]
            closer = v < d1
            second[i] = d1 if closer else min(second[i], v)
            nearest[i] = v if closer else d1
            labels[i] = j if closer else labels[i]


@njit(cache=True, nogil=True, fastmath=FAST)
def _sums_of(X, w, labels, k):
    n, d = X.shape
    sums, mass, count = np.zeros((k, d)), np.zeros(k), np.zeros(k, dtype=np.int64)
    for i in range(n):
        a = labels[i]
        mass[a] += w[i]
        count[a] += 1
        for f in range(d):
            sums[a, f] += w[i] * X[i, f]
    return sums, mass, count


@njit(cache=True, nogil=True, fastmath=FAST)
def _move(X, w, i, a, b, sums, mass, count):
    """Row i leaves segment a for segment b."""
    mass[a] -= w[i]
    mass[b] += w[i]
    count[a] -= 1
    count[b] += 1
    for f in range(X.shape[1]):
        sums[a, f] -= w[i] * X[i, f]
        sums[b, f] += w[i] * X[i, f]


@njit(cache=True, nogil=True, fastmath=FAST)
def _own_distances(XT, centres, labels, out):
    """Squared distance of every row to its own centre."""
    d, n = XT.shape
    out[:] = 0.0
    for f in range(d):
        for i in range(n):
            t = XT[f, i] - centres[labels[i], f]
            out[i] += t * t


@njit(cache=True, nogil=True, fastmath=FAST)
def _refill_empty(X, XT, w, centres, labels, lower, sums, mass, count):
    """Re-seed each empty (or weightless) segment with the row farthest from its centre, as
    scikit-learn does."""
    for j in range(count.shape[0]):
        if count[j] == 0 or mass[j] <= 0.0:  # rare: the distances are only computed then
            far_sq = np.empty(X.shape[0])
            _own_distances(XT, centres, labels, far_sq)
            far = np.argmax(far_sq)
            mass[j] = 0.0  # exactly empty: no residue of earlier moves
            sums[j, :] = 0.0
            _move(X, w, far, labels[far], j, sums, mass, count)
            labels[far], lower[far] = j, 0.0  # a bound of 0 has the row compared with every centre
            centres[j] = X[far]


@njit(cache=True, nogil=True, fastmath=FAST)
def _reassign(X, XT, centres, labels, lower, moved, w, sums, mass, count):
    """One Lloyd assignment after the centres moved by ``moved``. A row whose distance to its
    own centre is within both its lower bound to any other centre (lowered by how far the
    others moved) and half the distance from its centre to the next is provably still nearest
    its centre; only the other rows are compared with every centre. The own distances are
    computed exactly in one vectorised pass, which costs less than keeping Hamerly's upper bound
    and tightening it row by row. Returns how many rows changed segment."""
    n, k = X.shape[0], centres.shape[0]
    first, second, top = 0.0, 0.0, -1
    for j in range(k):
        if moved[j] > first:
            first, second, top = moved[j], first, j
        elif moved[j] > second:
            second = moved[j]
    half_gap = np.empty(k)
    for j in range(k):
        gap = np.inf
        for m in range(k):
            if m != j:
                gap = min(gap, _sq(centres, j, centres, m))
        half_gap[j] = 0.5 * np.sqrt(gap)
    own, bound, doubtful = np.empty(n), np.empty(n), np.empty(n, dtype=np.int64)
    _own_distances(XT, centres, labels, own)
    for i in range(n):
        a = labels[i]
        own[i] = np.sqrt(own[i])
        lower[i] -= second if a == top else first
        bound[i] = max(half_gap[a], lower[i])
    m = 0
    for i in range(n):
        doubtful[m] = i
        m += own[i] > bound[i]
    # The doubtful rows, gathered, are compared with every centre in vectorised passes.
    d = XT.shape[0]
    rows = np.empty((d, m))
    for f in range(d):
        for r in range(m):
            rows[f, r] = XT[f, doubtful[r]]
    best, nearest, second = np.empty(m, dtype=np.int64), np.empty(m), np.empty(m)
    _nearest_columns(rows, centres, best, nearest, second)
    changed = 0
    for r in range(m):
        i, a, b = doubtful[r], labels[doubtful[r]], best[r]
        lower[i] = np.sqrt(second[r])
        if b != a:
            labels[i] = b
            _move(X, w, i, a, b, sums, mass, count)
            changed += 1
    return changed


@njit(cache=True, nogil=True, fastmath=FAST)
def _lloyd(X, XT, w, centres, max_iter, tol):
    """Lloyd's iterations from ``centres`` (updated in place): labels and inertia."""
    n, d = X.shape
    k = centres.shape[0]
    labels, nearest, lower = np.empty(n, dtype=np.int64), np.empty(n), np.empty(n)
    _nearest_columns(XT, centres, labels, nearest, lower)
    lower[:] = np.sqrt(lower)
    sums, mass, count = _sums_of(X, w, labels, k)
    moved = np.zeros(k)  # how far each centre moved since the bounds were last updated
    settled = False  # no row changed segment under the current centres
    for _ in range(max_iter):
        _refill_empty(X, XT, w, centres, labels, lower, sums, mass, count)
        shift = 0.0
        for j in range(k):
            step = 0.0
            if mass[j] <= 0.0:  # only rows of weight 0 (a refilled one among them): it stays put
                moved[j] = 0.0
                continue
            for f in range(d):
                new = sums[j, f] / mass[j]
                step += (new - centres[j, f]) ** 2
                centres[j, f] = new
            moved[j] = np.sqrt(step)
            shift += step
        if shift <= tol:
            break
        changed = _reassign(X, XT, centres, labels, lower, moved, w, sums, mass, count)
        moved[:] = 0.0
        if changed == 0:
            settled = True
            break
    if not settled:  # stopped on the tolerance or max_iter: one more assignment, as scikit-learn
        _reassign(X, XT, centres, labels, lower, moved, w, sums, mass, count)
    own = np.empty(n)
    _own_distances(XT, centres, labels, own)
    inertia = 0.0
    for i in range(n):
        inertia += w[i] * own[i]
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
def _best_of(X, XT, w, k, u_first, u_trials, max_iter, tol):
    best_labels = np.zeros(X.shape[0], dtype=np.int64)
    best_centres = np.zeros((k, X.shape[1]))
    best_inertia = np.inf
    for s in range(u_first.shape[0]):
        centres = _plusplus(XT, w, k, u_first[s], u_trials[s])
        labels, inertia = _lloyd(X, XT, w, centres, max_iter, tol)
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
    labels, centres, inertia = _best_of(X, np.ascontiguousarray(X.T), w, int(k), u_first, u_trials, int(max_iter),
                                        TOLERANCE * _mean_variance(X))
    return labels, centres, float(inertia)


def nearest(X, centres) -> tuple[np.ndarray, np.ndarray]:
    """Each row's nearest centre and its Euclidean distance to it."""
    X, centres = np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(centres, dtype=np.float64)
    # Compiled code does not check bounds: a mismatch would read past the arrays, not fail.
    if X.ndim != 2 or centres.ndim != 2 or X.shape[1] != centres.shape[1] or not len(centres):
        raise ValueError(f"rows of {X.shape[1:]} columns cannot be compared with centres of shape {centres.shape}")
    labels, nearest, second = np.empty(X.shape[0], dtype=np.int64), np.empty(X.shape[0]), np.empty(X.shape[0])
    _nearest_columns(np.ascontiguousarray(X.T), centres, labels, nearest, second)
    return labels, np.sqrt(nearest)

"""Consensus matrices and what is read off them.

Monti's consensus (resampling stability) and Brunet's (NMF restarts) are the same matrix: for
each pair of items, the share of the runs that drew both in which they share a segment. Read off
it: the CDF of its values, PAC (Senbabaoglu 2014), the CDF area and its relative change across k
(Monti 2003), the cophenetic correlation (Brunet 2004) and dispersion (Kim & Park 2007).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.cluster.hierarchy import cophenet, linkage
from scipy.spatial.distance import squareform

#: (0:100) / 100 by division, the doubles of ConsensusClusterPlus's / R's grid (``np.linspace``
#: gives 0.35000000000000003 etc. at ten points).
CDF_GRID = np.arange(101) / 100
NOT_SAMPLED = -2  # an item's label in a run that did not draw it


def consensus_matrix(labels) -> np.ndarray:
    """Monti's consensus: for each pair of items, how often they share a segment among the
    resamples that drew both. ``labels`` is resamples x items, :data:`NOT_SAMPLED` for an item
    not drawn, -1 for drawn but unassigned. NaN for pairs never drawn together (deliberately:
    ConsensusClusterPlus sets them to 0, which then counts as a confident "apart" in its CDF and
    PAC; here they are left out of both)."""
    labels = np.asarray(labels, int)
    sampled = (labels != NOT_SAMPLED).astype(np.float64)
    together = sampled.T @ sampled
    blocks = [(row[:, None] == np.unique(row[row >= 0])[None, :]).astype(np.float64) for row in labels]
    onehot = np.hstack(blocks) if blocks else np.zeros((labels.shape[1], 0))
    same = onehot @ onehot.T
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(together > 0, same / np.maximum(together, 1), np.nan)


def pair_distribution(M) -> tuple[np.ndarray, np.ndarray]:
    """The distinct consensus values of the distinct pairs (i < j) of a consensus matrix, in
    increasing order, and how many pairs hold each; pairs never drawn together are left out."""
    values = np.asarray(M, float)[np.triu_indices(np.asarray(M).shape[0], k=1)]
    return np.unique(values[~np.isnan(values)], return_counts=True)


@njit(cache=True, nogil=True)
def _pair_tally(left, right, sampled, runs):
    """Pairs i < j tallied by (runs drawing both) * (runs + 1) + (runs putting them together).
    Item-major codes: ``left`` and ``right`` hold the labels with different stand-ins for
    "not in a segment", so one byte compare per run counts "together in a segment", and the
    inner loop over runs vectorises (4x the run-major loop at 2,000 items x 50 runs)."""
    items, width = left.shape
    tally = np.zeros((runs + 1) * (runs + 1), np.int64)
    for i in range(items - 1):
        mine, drawn = left[i], sampled[i]
        for j in range(i + 1, items):
            theirs, also = right[j], sampled[j]
            together = 0
            same = 0
            for b in range(width):
                together += drawn[b] & also[b]
                same += mine[b] == theirs[b]
            tally[together * (runs + 1) + same] += 1
    return tally


def consensus_distribution(labels) -> tuple[np.ndarray, np.ndarray]:
    """:func:`pair_distribution` of :func:`consensus_matrix` (``labels`` as there), computed
    from counts: a pair's consensus is ``same / together``, both at most the number of
    resamples, so pairs are tallied by that fraction and no matrix of floats is built or sorted
    (that took 50 ms per k at 2,000 items, for every k of every null reference set)."""
    labels = np.asarray(labels, dtype=np.int64).T
    runs = labels.shape[1]
    code = np.uint8 if labels.max(initial=0) < 254 else np.uint32
    stand_in = np.iinfo(code).max  # 255 or 2**32 - 1: above every label
    left = np.ascontiguousarray(np.where(labels >= 0, labels, stand_in - 1), dtype=code)
    right = np.ascontiguousarray(np.where(labels >= 0, labels, stand_in), dtype=code)
    tally = _pair_tally(left, right, np.ascontiguousarray(labels != NOT_SAMPLED, dtype=np.uint8), runs)
    codes = np.flatnonzero(tally)
    codes = codes[codes // (runs + 1) > 0]  # drawn together at least once
    values = (codes % (runs + 1)) / (codes // (runs + 1))
    # Equal fractions (1/2, 2/4) divide to the same double; merge them.
    distinct, where = np.unique(values, return_inverse=True)
    return distinct, np.bincount(where, weights=tally[codes], minlength=distinct.size).astype(np.int64)


def consensus_cdf(distribution, grid=CDF_GRID) -> np.ndarray:
    """Empirical CDF of the consensus values of distinct pairs at each grid point, from a
    :func:`pair_distribution` (values, counts)."""
    values, counts = distribution
    below = np.concatenate([[0], np.cumsum(counts)])
    return below[np.searchsorted(values, np.asarray(grid, float), side="right")] / max(int(below[-1]), 1)


def pac(distribution, lower: float = 0.1, upper: float = 0.9) -> float:
    """Proportion of ambiguous clustering, CDF(upper) - CDF(lower) (Senbabaoglu 2014), from a
    :func:`pair_distribution` (values, counts)."""
    values, counts = distribution
    if counts.sum() == 0:
        return float("nan")
    return float(counts[(values > lower) & (values <= upper)].sum() / counts.sum())


def cdf_area(cdf, grid=CDF_GRID) -> float:
    """Area under a CDF on ``grid`` as ConsensusClusterPlus sums it (right end of each bin)."""
    return float((np.diff(np.asarray(grid, float)) * np.asarray(cdf, float)[1:]).sum())


def delta_area(cdfs_by_k: dict, grid=CDF_GRID) -> dict[int, float]:
    """Monti's relative increase in CDF area: A(k) for the first k, then (A(k) - A(prev)) / A(prev)
    for each following k in increasing order (consecutive k values, as in the original)."""
    ks = sorted(cdfs_by_k)
    areas = [cdf_area(cdfs_by_k[k], grid) for k in ks]
    out = {ks[0]: areas[0]} if ks else {}
    for i in range(1, len(ks)):
        out[ks[i]] = (areas[i] - areas[i - 1]) / areas[i - 1] if areas[i - 1] > 0 else float("nan")
    return out


def cophenetic_correlation(C: np.ndarray) -> float:
    """Brunet et al. (2004): correlation between 1 - C and the cophenetic distances of the
    average-linkage tree built on 1 - C; 1 for a perfectly reproducible partition."""
    distance = squareform(1.0 - C, checks=False)
    if np.ptp(distance) == 0:  # every pair equally (dis)similar: nothing to correlate
        return float("nan")
    return float(cophenet(linkage(distance, method="average"), distance)[0])


def dispersion(C: np.ndarray) -> float:
    """Kim & Park (2007): (1/n^2) sum_ij 4 (C_ij - 1/2)^2; 1 when every entry is 0 or 1."""
    return float(np.mean(4.0 * (C - 0.5) ** 2))

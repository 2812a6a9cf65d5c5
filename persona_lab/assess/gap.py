"""The gap statistic (Tibshirani, Walther & Hastie 2001), with R cluster::clusGap's k rules.

W_k is the pooled within-segment dispersion of a partition: the sum over segments of the pairwise
squared Euclidean distances divided by twice the segment's size, which equals the sum of squares
to the segment centroids. That is the paper's definition and the default (``d_power=2``).
R's ``cluster::clusGap`` defaults to ``d.power = 1`` instead: plain (not squared) Euclidean
distances, W_k = 0.5 sum_r sum_{i<j in r} ||x_i - x_j|| / n_r. ``d_power=1`` gives the same sum
without clusGap's leading 0.5 (ours is the paper's sum_r D_r / (2 n_r) over ordered pairs with
d = ||x_i - x_j||^d_power), so clusGap's logW is ``log(0.5 * within_ss(X, labels, d_power=1))``;
the constant 0.5 cancels in the gap (likewise clusGap's d.power = 2 is half our default W_k).

Gap(k) = mean_b log W*_kb - log W_k compares W_k with B reference sets without structure, drawn
uniformly in the box aligned with the data's principal components (the paper's reference "b",
clusGap's ``spaceH0="scaledPCA"``), so that the reference follows the data's shape rather than
its coordinate axes. s_k = sd_b(log W*_kb) sqrt(1 + 1/B), with the
paper's 1/B standard deviation (clusGap divides by B - 1).

Each reference is clustered by the same method at the same k as the data (any callable
``cluster(X, k, seed) -> labels``): the statistic then measures how much more compact the method's
segments are on the data than the same method manages on structureless data. That is only
meaningful for methods that aim at compact segments (k-means, Gaussian mixtures, Ward), which is
why :mod:`persona_lab.assess.criteria` computes it for those alone.

W_1 needs no clustering, so Gap(1) is always computed and the rule may answer k = 1: "no
segment structure worth the name".

Every reference is an independent task with its own child seed (:func:`reference_log_w`), so the
loop in :func:`gap_statistic` can be mapped over worker processes unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
from scipy.spatial.distance import pdist

from ..seeding import child_seeds, sample_rows
from .engine import run_tasks

#: Above this many rows the statistic is computed on a seeded sample of rows (data and references
#: alike), since every reference is re-clustered B times per k.
GAP_SAMPLE = 2000
DEFAULT_REFERENCES = 20
#: clusGap's ``maxSE`` methods; the first is the paper's rule.
GAP_RULES = ("Tibs2001SEmax", "firstSEmax", "globalSEmax", "firstmax", "globalmax")

Cluster = Callable[[np.ndarray, int, int], np.ndarray]


def within_ss(X: np.ndarray, labels: np.ndarray, d_power: float = 2) -> float:
    """W_k: the sum over segments of squared distances to the segment centroid; rows labelled
    -1 (unassigned) are left out.

    In general W_k = sum_r sum_{i<j in r} ||x_i - x_j||^d_power / n_r; with ``d_power=2`` (the
    paper, the default) that is the sum of squares to the centroids. ``d_power=1`` uses plain
    Euclidean distances as clusGap's default ``d.power = 1`` does (clusGap's W_k is half of it).
    """
    labels = np.asarray(labels)
    if d_power != 2:
        d_power = float(d_power)
        if not d_power > 0:
            raise ValueError(f"d_power must be positive, got {d_power}")
        total = 0.0
        for segment in np.unique(labels[labels >= 0]):
            rows = X[labels == segment]
            total += float((pdist(rows) ** d_power).sum()) / rows.shape[0]
        return total
    total = 0.0
    for segment in np.unique(labels[labels >= 0]):
        rows = X[labels == segment]
        total += float(((rows - rows.mean(axis=0)) ** 2).sum())
    return total


@dataclass(frozen=True)
class PcaBox:
    """The box spanned by the data in its principal-component coordinates."""

    centre: np.ndarray
    rotation: np.ndarray  # rows are principal axes
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> "PcaBox":
        centre = X.mean(axis=0)
        _, _, rotation = np.linalg.svd(X - centre, full_matrices=False)
        scores = (X - centre) @ rotation.T
        return cls(centre, rotation, scores.min(axis=0), scores.max(axis=0))

    def draw(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n rows uniform in the box, back in the data's coordinates."""
        return rng.uniform(self.low, self.high, size=(n, self.low.size)) @ self.rotation + self.centre


def reference_log_w(box: PcaBox, n: int, k_values, cluster: Cluster, seed: int, d_power: float = 2) -> np.ndarray:
    """One reference set: log W*_k for each k of ``k_values`` (one independent task)."""
    draw_seed, *fit_seeds = child_seeds(seed, 1 + len(k_values))
    X = box.draw(n, np.random.default_rng(draw_seed))
    out = []
    for k, fit_seed in zip(k_values, fit_seeds):
        labels = np.zeros(n, dtype=int) if k == 1 else np.asarray(cluster(X, int(k), fit_seed))
        out.append(_log(within_ss(X, labels, d_power)))
    return np.array(out)


def _reference_task(shared, seed):
    box, n, k_values, cluster, d_power = shared
    return reference_log_w(box, n, k_values, cluster, seed, d_power)


def gap_statistic(
    X: np.ndarray,
    labels_by_k: dict[int, np.ndarray],
    cluster: Cluster,
    references: int = DEFAULT_REFERENCES,
    seed: int = 0,
    sample: int = GAP_SAMPLE,
    progress: Callable[[float, str], None] | None = None,
    d_power: float = 2,
    n_jobs: int = 1,
    dask=None,
    cancel=None,
) -> pd.DataFrame:
    """Gap(k) and s_k for k = 1 and every k of ``labels_by_k`` (the method's labels of X's rows).

    ``d_power`` is the power of the Euclidean distances in W_k (:func:`within_ss`): 2 as in the
    paper (default), 1 as clusGap's default ``d.power = 1``.

    Returns columns k, log_w, ref_log_w (mean over references), gap, sd (= s_k), one row per k.
    """
    if references < 2:
        raise ValueError("the gap statistic needs at least 2 reference sets")
    sample_seed, *ref_seeds = child_seeds(seed, 1 + int(references))
    X, labels_by_k = _sample_rows(X, labels_by_k, sample, sample_seed)
    k_values = sorted({1, *map(int, labels_by_k)})
    labels_by_k = {1: np.zeros(X.shape[0], dtype=int), **labels_by_k}
    log_w = np.array([_log(within_ss(X, labels_by_k[k], d_power)) for k in k_values])
    box = PcaBox.of(X)
    ref = np.array(run_tasks(_reference_task, [(s,) for s in ref_seeds], shared=(box, X.shape[0], k_values, cluster, d_power),
                             n_jobs=n_jobs, dask=dask, progress=progress, cancel=cancel, label="gap reference sets"))
    mean = ref.mean(axis=0)
    sd = ref.std(axis=0) * np.sqrt(1 + 1 / len(ref_seeds))
    return pd.DataFrame({"k": k_values, "log_w": log_w, "ref_log_w": mean, "gap": mean - log_w, "sd": sd,
                         "rows": X.shape[0]})


def resample_gap(reference: pd.DataFrame, log_w_per_row: dict[int, float]) -> pd.DataFrame:
    """Gap(k) and s_k of a resample's partitions, against the references drawn for the data's own
    gap statistic (``reference``: :func:`gap_statistic`'s table).

    Drawing and clustering B reference sets again for every resample would multiply the cost of
    the whole assessment by B; a bootstrap sample spans the same box as the data, so the data's
    references stand in. W_k grows in proportion to the rows it sums over, so both sides are
    compared per row (``log_w_per_row``: log(W_k / rows) of the resample's fit at each k, k = 1
    included); the offset is the same for every k and the rules read differences over k.
    """
    ref = reference.set_index("k")
    ks = sorted(k for k in log_w_per_row if k in ref.index)
    per_row = ref.loc[ks, "ref_log_w"] - np.log(ref.loc[ks, "rows"])
    return pd.DataFrame({"k": ks, "gap": per_row.to_numpy() - np.array([log_w_per_row[k] for k in ks]),
                         "sd": ref.loc[ks, "sd"].to_numpy()})


def max_se(gap, sd, rule: str = "Tibs2001SEmax") -> int:
    """Position (0-based) of the chosen k in ``gap``/``sd``, ordered by k: clusGap's ``maxSE``.

    - Tibs2001SEmax: the smallest k with Gap(k) >= Gap(k+1) - s_{k+1} (the paper's rule);
    - firstSEmax: the smallest k within one s of the first local maximum;
    - globalSEmax: the smallest k within one s of the global maximum;
    - firstmax / globalmax: the first local / the global maximum.
    When no k qualifies, the largest k is returned (as clusGap does).
    """
    f, s = np.asarray(gap, dtype=float), np.asarray(sd, dtype=float)
    last = f.size - 1
    if rule == "globalmax":
        return int(np.argmax(f))
    if rule == "Tibs2001SEmax":
        ok = f[:-1] >= f[1:] - s[1:]
        return int(np.argmax(ok)) if ok.any() else last
    if rule in ("firstmax", "firstSEmax", "globalSEmax"):
        falls = np.diff(f) <= 0
        top = int(np.argmax(f)) if rule == "globalSEmax" else int(np.argmax(falls)) if falls.any() else last
        if rule == "firstmax":
            return top
        ok = f[:top] >= f[top] - s[top]
        return int(np.argmax(ok)) if ok.any() else top
    raise ValueError(f"unknown gap rule {rule!r}; use one of {', '.join(GAP_RULES)}")


def _log(w: float) -> float:
    # A segment of identical rows has W = 0; its log is -inf, which makes the gap +inf rather
    # than crash, and the rules still order it correctly.
    with np.errstate(divide="ignore"):
        return float(np.log(w))


def _sample_rows(X, labels_by_k, sample, seed):
    rows = sample_rows(X.shape[0], seed, sample)
    if rows is None:
        return X, {int(k): np.asarray(v) for k, v in labels_by_k.items()}
    return X[rows], {int(k): np.asarray(v)[rows] for k, v in labels_by_k.items()}

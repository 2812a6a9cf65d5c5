"""Resampling stability per k, each statistic under the resampling scheme its authors defined.

- ``bootstrap_ari`` (flexclust ``bootFlexclust``): fit on two bootstrap samples, predict every
  row with each model, ARI between the two full-data partitions; mean over pairs. Pair ``b`` is
  bootstrap samples ``b`` and ``b + 1`` (B + 1 fits for B pairs, where bootFlexclust makes 2B):
  each pair is still two independent bootstrap samples; neighbouring pairs share a fit, so the
  per-resample values are not independent (the mean does not need them to be).
- ``jaccard`` (fpc ``clusterboot``): each full-data segment's best Jaccard with a segment of a
  bootstrap sample's fit, on the rows drawn; mean over resamples, dissolved (<= 0.5) and
  recovered (> 0.75) counts, fpc's bands 0.6 / 0.75 / 0.85. A segment with no row in a sample is
  left out of that resample (fpc scores it 0). ``jaccard`` in the table is the mean over
  segments, ``jaccard_min`` the least stable one.

  One fit of each bootstrap sample serves both: it is fitted on the sample's distinct rows, as
  clusterboot does (bootFlexclust keeps the duplicates; a density method would take them for
  dense little segments, and fitting them weighted by their draws recovered fewer segments than
  fpc on tests/fixtures/r_reference's overlapping blobs).
- ``prediction_strength`` (Tibshirani & Walther 2005, as fpc): cluster both halves of a random
  split, assign each half with the other half's model, the minimum over test segments of the
  share of within-segment pairs kept together; both directions averaged; mean over splits.
- ``consensus`` (Monti 2003; Senbabaoglu 2014): the consensus matrix of a fixed seeded item
  sample (at most 2,000 rows, never n x n) over the same bootstrap fits, each a fit of a
  subsample without replacement (its distinct rows, 63% of them on average, where
  ConsensusClusterPlus draws 80%); its CDF, PAC over (0.1, 0.9] and the delta area across k. Monti
  defines the consensus for any resampling scheme; sharing the bootstrap's fits saves a quarter
  of all fits (a separate 80% subsample per resample was 10 of every 41 fits per k), and the data
  and its reference sets share the scheme, so the comparison with the null band is unchanged.
  Pairs are drawn together in 40% of resamples rather than 64%, so PAC is not ConsensusClusterPlus's
  number to the decimal (tests/test_r_reference.py compares the two).

Resamples are shared across k (one seed per scheme). Each resample fit uses the method's own
settings, and its number of random starts (``n_init``), unless ``starts`` says otherwise or the
method declares other settings for resample fits (:func:`resample_method`; NMF: its NNDSVDa start
alone, looser tolerances for the fit and for assigning new rows), so that a statistic measures how
the researcher's procedure reproduces under resampling. ``starts=1`` is the anchors' scheme (fpc's
``kmeansCBI`` runs once per resample, ConsensusClusterPlus calls ``kmeans`` with one start) and
about 2.5x faster with k-means, but it adds the optimiser's run-to-run variation to the sampling variation: on
fcps_twodiamonds, z-scored, one start splits k = 2 the wrong way in many resamples (bootstrap ARI
0.54, against 1.00 with the method's 10 starts), and with 3 starts k = 2 was stable at only 2 of 6
seeds (6 of 6 with 10), which is why k-means's resample fits keep its 10 starts.

A fit with fewer non-empty segments than k is no solution at k (NMF, for one, can leave a factor
that is no row's strongest): it counts as reproducing nothing (0) in bootstrap ARI, Jaccard and
prediction strength, and is left out of the consensus tallies (it would put every pair together);
``collapsed`` counts such fits per k, and a k whose full-data fit, or most of whose resample fits,
collapsed is never stable (:meth:`StabilityResult.collapsed_ks`).

``compared`` is the same table over the first ``compare_resamples`` resamples alone: a statistic
set beside reference sets is computed on as many resamples as each reference set gets (PAC, for
one, depends strongly on their number), while the table over every resample is the more precise
description.

Methods whose k is an output (HDBSCAN) are assessed on their one solution, reported under its
number of segments; unassigned rows belong to no segment (they lower Jaccard and prediction
strength), and in ARI rows both fits leave unassigned are dropped so that agreeing on noise
earns nothing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import PersonaLabError
from ..methods import SegmentationMethod, get_method
from ..prepare import Prepared, prepare
from ..seeding import child_seeds
from .criteria import collapsed, criteria_of_fit, persona_memberships, smallest_share
from .gap import within_ss
from . import resampling as rs
from .consensus import CDF_GRID, NOT_SAMPLED, consensus_cdf, consensus_distribution, delta_area, pac
from .engine import dask_client, part_of, run_tasks

STATISTICS = ("bootstrap_ari", "jaccard", "prediction_strength", "consensus")
#: Per-k summaries in the table, and which way is more stable (delta area has no direction).
SUMMARIES = {"bootstrap_ari": "max", "jaccard": "max", "jaccard_min": "max",
             "prediction_strength": "max", "pac": "min", "delta_area": None}
LABELS = {"bootstrap_ari": "Bootstrap ARI (higher: stabler)", "jaccard": "Mean segment Jaccard (higher: stabler)",
          "jaccard_min": "Least stable segment's Jaccard", "prediction_strength": "Prediction strength (>= 0.8: stable)",
          "pac": "PAC (lower: stabler)", "delta_area": "Consensus CDF delta area"}
SCHEMES = {"bootstrap_ari": "bootstrap", "jaccard": "bootstrap", "prediction_strength": "half_split",
           "consensus": "bootstrap"}
#: Each scheme's seeds come from its place here, whichever statistics are asked for.
SCHEME_ORDER = ("bootstrap", "half_split")
DISSOLVED, RECOVERED = 0.5, 0.75
BANDS = ((0.6, "unstable"), (0.75, "doubtful"), (0.85, "stable"), (np.inf, "highly stable"))


def json_number(x):
    """A figure for JSON: None when missing or infinite; rounded so that the last bits of a
    BLAS reduction order cannot make reruns differ."""
    return None if x is None or not np.isfinite(x) else round(float(x), 10)


# -- the statistics, as plain functions on partitions -------------------------------------------


def jaccard(a_members, b_members) -> float:
    """|A & B| / |A | B| of two sets of row ids; NaN when both are empty (as fpc)."""
    a, b = set(np.asarray(a_members).ravel().tolist()), set(np.asarray(b_members).ravel().tolist())
    union = len(a | b)
    return float("nan") if union == 0 else len(a & b) / union


def clusterboot_jaccard(original, resample, n_segments: int | None = None) -> np.ndarray:
    """For each original segment, its largest Jaccard with a segment of ``resample``.

    Both label vectors cover the same rows (the deduplicated bootstrap sample); -1 is
    unassigned. NaN for a segment with no row in the sample, so that it is left out of that
    segment's mean. This is a deliberate difference from fpc: ``clusterboot`` scores such a
    segment 0 (``clujaccard(..., zerobyzero = 0)``), which counts it as dissolved in that
    resample; otherwise the values are fpc's.
    """
    original, resample = np.asarray(original, int), np.asarray(resample, int)
    k = int(n_segments if n_segments is not None else original.max() + 1)
    width = int(resample.max()) + 1 if (resample >= 0).any() else 0
    both = (original >= 0) & (resample >= 0)
    inter = np.bincount(original[both] * width + resample[both], minlength=k * width).reshape(k, width)
    sizes = np.bincount(original[original >= 0], minlength=k)[:k]
    if width == 0:
        return np.where(sizes > 0, 0.0, np.nan)
    drawn = np.bincount(resample[resample >= 0], minlength=width)
    union = sizes[:, None] + drawn[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        best = np.where(union[:, drawn > 0] > 0, inter[:, drawn > 0] / union[:, drawn > 0], 0.0).max(axis=1)
    return np.where(sizes > 0, best, np.nan)


def jaccard_band(value: float) -> str:
    if np.isnan(value):
        return "undefined"
    return next(name for upper, name in BANDS if value < upper)


def segment_jaccard(values: np.ndarray) -> pd.DataFrame:
    """fpc's per-segment summary of a resamples x segments Jaccard array."""
    values = np.atleast_2d(np.asarray(values, float))
    rows = []
    for c in range(values.shape[1]):
        v = values[:, c][~np.isnan(values[:, c])]
        mean = float(v.mean()) if v.size else float("nan")
        rows.append((c, mean, int((v <= DISSOLVED).sum()), int((v > RECOVERED).sum()), v.size, jaccard_band(mean)))
    return pd.DataFrame(rows, columns=["segment", "jaccard", "dissolved", "recovered", "resamples", "band"])


def adjusted_rand(a, b) -> float:
    """Hubert & Arabie's adjusted Rand index, from the pair confusion matrix exactly as
    scikit-learn's ``adjusted_rand_score`` (without its per-call validation, which cost more
    than the index in a harness that scores thousands of partitions)."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    a, b = a - a.min(), b - b.min()  # codes need not be 0..k-1: empty rows add nothing below
    n, width = a.size, int(b.max()) + 1
    table = np.bincount(a * width + b, minlength=(int(a.max()) + 1) * width)
    squares = int((table ** 2).sum())
    rows = int((np.bincount(a).astype(np.int64) ** 2).sum())
    columns = int((np.bincount(b).astype(np.int64) ** 2).sum())
    tp, fp, fn = squares - n, columns - squares, rows - squares  # as Python ints: no overflow
    tn = n * n - fp - fn - squares
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def bootstrap_ari(a, b) -> float:
    """ARI of two full-data partitions; rows unassigned (-1) in both are left out."""
    a, b = np.asarray(a, int), np.asarray(b, int)
    keep = (a >= 0) | (b >= 0)
    return adjusted_rand(a[keep], b[keep]) if keep.sum() >= 2 else float("nan")


def prediction_strength(train_labels_on_test, test_labels) -> float:
    """min over test segments of the share of their ordered row pairs that the train model
    also puts together (Tibshirani & Walther 2005, eq. 2.1); a singleton segment counts 1 as in
    fpc. Rows the train model leaves unassigned (-1) are together with nobody."""
    train, test = np.asarray(train_labels_on_test, np.int64), np.asarray(test_labels, np.int64)
    keep = test >= 0
    if not keep.any():
        return float("nan")
    train, test = train[keep] + 1, test[keep]  # train 0: unassigned
    width = int(train.max()) + 1
    table = np.bincount(test * width + train, minlength=(int(test.max()) + 1) * width).reshape(-1, width)
    size = table.sum(axis=1)
    together = (table[:, 1:] * (table[:, 1:] - 1)).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        strength = np.where(size < 2, 1.0, together / (size * (size - 1.0)))
    return float(strength[size > 0].min())


# -- the harness: fit the method per resample, for every k ------------------------------------


def subset_prepared(prepared: Prepared, rows, row_labels: bool = True) -> Prepared:
    """The same preparation restricted to ``rows`` (a resample); the APG matrix is not carried,
    nor the row labels when ``row_labels`` is False (no fit reads them; listing 5,000 of them
    took longer than some fits)."""
    rows = np.asarray(rows, dtype=np.intp)
    weight = None if prepared.sample_weight is None else np.asarray(prepared.sample_weight)[rows]
    return dataclasses.replace(
        prepared, X=np.asarray(prepared.X)[rows], row_labels=[prepared.row_labels[i] for i in rows] if row_labels else [],
        sample_weight=weight, size_weight=np.asarray(prepared.size_weight)[rows], matrix=None,
    )


@dataclass
class _Job:
    """What every worker needs, shipped once per run (see engine.run_tasks ``shared``)."""

    prepared: Prepared
    method: SegmentationMethod
    index_seeds: dict[str, int]
    fit_seeds: dict[str, int]
    items: np.ndarray  # the rows whose pairs the consensus tallies
    consensus: bool = False
    full_labels: dict = field(default_factory=dict)
    #: Rows in the common space: when given, each Jaccard resample's fit is also scored by every
    #: criterion, so that the selection rule can be re-run on every resample (k-hat).
    criteria_space: np.ndarray | None = None
    #: Also score each of those fits by log(W_k / rows) in the criteria space, k = 1 included, so
    #: that the gap statistic's rule can be re-run per resample (:func:`.gap.resample_gap`).
    with_gap: bool = False
    #: The method as each resample fits it (its number of starts set; see the module docstring).
    resampled: SegmentationMethod | None = None
    ks: list = field(default_factory=list)


def _fit(job: _Job, rows, k, seed) -> SegmentationMethod:
    """The method as resamples fit it, on ``rows`` (for a bootstrap sample: its distinct rows)."""
    method = job.resampled or job.method
    return method.clone().fit(subset_prepared(job.prepared, rows, row_labels=False), k=k, seed=seed)


def _fit_seed(job: _Job, statistic: str, b: int, j: int) -> int:
    sequence = np.random.SeedSequence(job.fit_seeds[statistic], spawn_key=(int(b), int(j)))
    return int(sequence.generate_state(1)[0])


def _full_task(job: _Job, k, seed):
    model = job.method.clone().fit(job.prepared, k=k, seed=seed)
    return model.labels_.astype(np.int32), list(model.notes_)


def _log_w_per_row(X, labels) -> float:
    with np.errstate(divide="ignore"):
        return float(np.log(within_ss(X, labels) / X.shape[0]))


def _resample_task(job: _Job, scheme: str, b: int):
    """Resample ``b`` of one scheme at every k: one task, so that a worker's round trip is paid
    once per resample rather than once per fit, and the rows are drawn once for every k."""
    n, seed = job.prepared.n_rows, job.index_seeds[scheme]
    draws = (np.unique(rs.bootstrap(n, seed, b)),) if scheme == "bootstrap" else rs.half_split(n, seed, b)
    return [_resample_fit(job, scheme, b, k, draws) for k in job.ks]


class Collapsed:
    """A resample fit with fewer non-empty segments than k: no solution at k (see the module
    docstring), kept apart from fits that failed outright."""


COLLAPSED_FIT = Collapsed()


def _resample_fit(job: _Job, scheme: str, b: int, k, draws: tuple):
    X = job.prepared.X
    fit = lambda rows, j: _fit(job, rows, k, _fit_seed(job, scheme, b, j))  # noqa: E731
    try:
        if scheme == "bootstrap":
            return _bootstrap_fit(job, k, draws[0], fit(draws[0], 0))
        left, right = draws
        a, c = fit(left, 0), fit(right, 1)
        if collapsed(a.labels_, k) or collapsed(c.labels_, k):
            return COLLAPSED_FIT
        return (prediction_strength(a.assign(X[right]), c.labels_)
                + prediction_strength(c.assign(X[left]), a.labels_)) / 2
    except PersonaLabError:
        return None  # this resample cannot be fitted (e.g. too few distinct rows): left out


def _bootstrap_fit(job: _Job, k, rows, model) -> dict:
    """What the fit of one bootstrap sample's distinct ``rows`` gives every statistic that reads
    it: its full-data partition (bootstrap ARI, paired in :func:`stability`), each full-data
    segment's Jaccard on those rows (clusterboot), the tracked items' segments (consensus) and,
    with a criteria space, every criterion of k."""
    labels = model.labels_
    out = {"collapsed": collapsed(labels, k)}
    out["partition"] = None if out["collapsed"] else model.assign(job.prepared.X).astype(np.int32)
    if job.consensus and not out["collapsed"]:
        pos = np.minimum(np.searchsorted(rows, job.items), rows.size - 1)
        out["consensus"] = np.where(rows[pos] == job.items, labels[pos], NOT_SAMPLED).astype(np.int32)
    if k in job.full_labels:
        full = job.full_labels[k]
        width = int(full.max()) + 1
        out["jaccard"] = np.zeros(width) if out["collapsed"] else clusterboot_jaccard(full[rows], labels, width)
    if job.criteria_space is not None:
        space = job.criteria_space[rows]
        scored = criteria_of_fit(job.method, model, space, k, job.index_seeds["bootstrap"])
        share = smallest_share(labels, np.asarray(job.prepared.size_weight)[rows], persona_memberships(model, job.prepared.kind))
        extra = [("smallest_share", share), ("n_segments", float(np.unique(labels[labels >= 0]).size))]
        if job.with_gap:
            extra += [("log_w_per_row", _log_w_per_row(space, labels)),
                      ("log_w_1_per_row", _log_w_per_row(space, np.zeros(rows.size, int)))]
        out["criteria"] = [(c, v) for _, c, v, _ in scored] + extra
    return out


@dataclass
class StabilityResult:
    method: str
    k_values: list[int]  # for a method whose k is an output: its one solution's segment count
    resamples: int
    seed: int
    table: pd.DataFrame  # k, statistic, value
    resample_values: pd.DataFrame  # k, statistic, resample, value
    segments: pd.DataFrame  # k, segment, jaccard, dissolved, recovered, resamples, band
    consensus_cdf: pd.DataFrame  # k, consensus, cdf
    item_sample_size: int | None
    k_is_output: bool = False
    notes: list[str] = field(default_factory=list)
    #: resample, k, criterion, value: each Jaccard resample's fit scored by the criteria of k
    #: (only when asked for with ``criteria_space``).
    resample_criteria: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["resample", "k", "criterion", "value"]))
    #: The table over the first ``compared_resamples`` resamples only: what is compared with
    #: reference sets resampled as often (:mod:`.null`).
    compared: pd.DataFrame | None = None
    compared_resamples: int | None = None
    #: k, full_data (the full-data fit collapsed), resample_fits (how many collapsed), of.
    collapsed: pd.DataFrame | None = None

    def collapsed_ks(self) -> list[int]:
        """k values with no solution: the full-data fit or most resample fits collapsed."""
        if self.collapsed is None:
            return []
        c = self.collapsed
        return [int(k) for k in c.loc[c["full_data"] | (c["resample_fits"] * 2 > c["of"]), "k"]]

    def value(self, statistic: str, k: int) -> float:
        row = self.table[(self.table["statistic"] == statistic) & (self.table["k"] == k)]
        return float(row["value"].iloc[0]) if len(row) else float("nan")

    def to_dict(self) -> dict:
        def by_k(frame, column):
            return {str(k): [json_number(v) for v in g[column]] for k, g in frame.groupby("k", sort=True)}

        return {
            "method": self.method, "k_values": [int(k) for k in self.k_values], "resamples": self.resamples,
            "seed": self.seed, "k_is_output": self.k_is_output, "item_sample_size": self.item_sample_size,
            "statistics": {s: {str(int(k)): json_number(v) for k, v in zip(g["k"], g["value"])}
                           for s, g in self.table.groupby("statistic", sort=False)},
            "per_resample": {s: by_k(g, "value") for s, g in self.resample_values.groupby("statistic", sort=False)},
            "segments": {str(k): [{"segment": int(r.segment), "jaccard": json_number(r.jaccard), "dissolved": int(r.dissolved),
                                   "recovered": int(r.recovered), "band": r.band} for r in g.itertuples()]
                         for k, g in self.segments.groupby("k", sort=True)},
            "consensus_cdf": {"grid": [float(x) for x in CDF_GRID], "cdf": by_k(self.consensus_cdf, "cdf")},
            "compared_resamples": self.compared_resamples,
            "compared": None if self.compared is None else {
                s: {str(int(k)): json_number(v) for k, v in zip(g["k"], g["value"])}
                for s, g in self.compared.groupby("statistic", sort=False)},
            "collapsed": None if self.collapsed is None else [
                {"k": int(r.k), "full_data": bool(r.full_data), "resample_fits": int(r.resample_fits), "of": int(r.of)}
                for r in self.collapsed.itertuples()],
            "notes": list(self.notes),
        }


def stability(data, method, k_values=(), *, resamples: int = 50, seed: int = 0, statistics=STATISTICS,
              n_jobs: int = 1, dask=None, progress=None, cancel=None, params: dict | None = None,
              items: int = rs.CONSENSUS_ITEMS,
              criteria_space: np.ndarray | None = None, with_gap: bool = False,
              full_fits: dict | None = None, starts: int | None = None,
              compare_resamples: int | None = None) -> StabilityResult:
    """Stability of ``method`` at each k in ``k_values`` on a Dataset (under the method's default
    preparation) or an already Prepared matrix. See the module docstring for the statistics.

    With ``criteria_space`` (the rows in the common space) the Jaccard resamples' fits are also
    scored by every criterion of k: ``resample_criteria`` (resample, k, criterion, value); with
    ``with_gap`` also by log(W_k / rows) there. ``full_fits`` (k -> (labels, notes), e.g.
    :attr:`.criteria.CriterionCurves.fits` under the same preparation and seed) are used as the
    full-data partitions instead of fitting every k again. ``starts`` sets the resample fits'
    number of random starts (None: the method's own). ``compare_resamples``: also summarise the
    first that many resamples alone (``compared``), to be set beside reference sets resampled as
    often."""
    template = method.clone() if isinstance(method, SegmentationMethod) else get_method(method, **(params or {}))
    unknown = set(statistics) - set(STATISTICS)
    if unknown or not statistics:
        raise PersonaLabError(f"Unknown stability statistic(s): {', '.join(sorted(unknown)) or 'none given'}",
                              fix=f"Choose from {', '.join(STATISTICS)}")
    statistics = [s for s in STATISTICS if s in statistics]
    prepared = data if isinstance(data, Prepared) else prepare(data, template.default_preparation(data.kind))
    notes = []
    if template.k_is_output:
        if len(k_values):
            notes.append(f"{template.label} finds the number of segments itself; the k values were ignored")
        ks = [None]
    else:
        ks = sorted({int(k) for k in k_values})
        if not ks or ks[0] < 2:
            raise PersonaLabError("Stability needs k values of at least 2", fix="Use a range such as 2:10")
    schemes = sorted({SCHEMES[s] for s in statistics}, key=list(SCHEME_ORDER).index)
    roots = child_seeds(seed, 2 * len(SCHEME_ORDER) + 1)
    job = _Job(dataclasses.replace(prepared, matrix=None), template,
               {s: roots[i] for i, s in enumerate(SCHEME_ORDER)},
               {s: roots[len(SCHEME_ORDER) + i] for i, s in enumerate(SCHEME_ORDER)},
               rs.item_sample(prepared.n_rows, items, roots[-1]), "consensus" in statistics,
               criteria_space=None if criteria_space is None else np.asarray(criteria_space, float),
               with_gap=bool(with_gap) and criteria_space is not None,
               resampled=resample_method(template, starts), ks=ks)
    B = int(resamples)
    # Pair b of the bootstrap ARI compares samples b and b + 1: one more sample than pairs.
    extra = "bootstrap_ari" in statistics
    tasks = [(s, b) for b in range(B + 1) for s in schemes if b < B or (s == "bootstrap" and extra)]
    share = len(ks) / (len(ks) + len(tasks) * len(ks))
    compared = min(int(compare_resamples or B), B)

    with dask_client(dask, n_jobs) as client:
        engine = dict(n_jobs=n_jobs, dask=client, cancel=cancel)
        # The full-data fits come first: they check that the method runs at all, and Jaccard
        # compares resample segments with them.
        if full_fits is not None and all(k in full_fits for k in ks):
            full = [full_fits[k] for k in ks]
        else:
            full = run_tasks(_full_task, [(k, seed) for k in ks], shared=job, progress=part_of(progress, 0, share),
                             label="full-data fits", **engine)
        job.full_labels = {k: labels for k, (labels, _) in zip(ks, full)}
        notes += sorted({note for _, model_notes in full for note in model_notes})
        outputs = run_tasks(_resample_task, tasks, shared=job, progress=part_of(progress, share, 1 - share),
                            label="resamples", **engine)
        out = {(s, b, k): value for (s, b), values in zip(tasks, outputs) for k, value in zip(ks, values)}
        out, scored, collapse = _by_statistic(out, statistics, ks, B)
        pairs = {}
        if "consensus" in statistics:
            # Tallying pairs is 75 ms per k at 50 resamples: spread over the workers too, for
            # every resample and, for the null comparison, the first ``compared`` ones.
            heads = sorted({B, compared})
            drawn = [[out[("consensus", b, k)] for b in range(head) if isinstance(out[("consensus", b, k)], np.ndarray)]
                     for head in heads for k in ks]
            tallies = run_tasks(_consensus_task, [(i,) for i in range(len(drawn))], shared=drawn,
                                label="consensus tallies", **engine)
            pairs = {(head, k): tallies[i * len(ks) + j] for i, head in enumerate(heads) for j, k in enumerate(ks)}
    widths = {k: max(int(job.full_labels[k].max()) + 1, 1) for k in ks}
    named = {k: (widths[k] if k is None else k) for k in ks}
    result = _summarise(out, pairs, statistics, ks, named, widths, B)
    head_table = result[0] if compared == B else _summarise(out, pairs, statistics, ks, named, widths, compared)[0]
    failed = sum(o is None for o in out.values())
    if failed:
        notes.append(f"{failed} of {len(out)} resample fits failed and were left out")
    full_collapsed = [named[k] for k in ks if collapsed(job.full_labels[k], k)]
    if full_collapsed:
        notes.append(f"{template.label} collapsed at k = {', '.join(map(str, full_collapsed))}: fewer non-empty "
                     "segments than asked for on the full data, so there is no solution at that k")
    collapse_table = pd.DataFrame(
        [(named[k], named[k] in full_collapsed, collapse.get(k, (0, 0))[0], collapse.get(k, (0, 0))[1]) for k in ks],
        columns=["k", "full_data", "resample_fits", "of"])
    return StabilityResult(template.name, [named[k] for k in ks], B, int(seed), *result,
                           item_sample_size=int(job.items.size) if "consensus" in statistics else None,
                           k_is_output=template.k_is_output, notes=notes,
                           resample_criteria=pd.DataFrame(scored, columns=["resample", "k", "criterion", "value"]),
                           compared=head_table, compared_resamples=compared, collapsed=collapse_table)


def _by_statistic(out: dict, statistics, ks, B: int):
    """The raw outputs per scheme turned into per-statistic values: the bootstrap fits give
    bootstrap ARI (pairs of samples), Jaccard and the criteria of each sample; collapsed fits
    count as reproducing nothing (0), except in consensus, where they are left out (a collapsed
    fit would put every pair together, the opposite of what it means). Returns the values, the
    criteria rows (resample, k, criterion, value) and k -> (collapsed fits, fits)."""
    values, scored, collapse = {}, [], {}
    for (scheme, b, k), value in out.items():
        done, of = collapse.get(k, (0, 0))
        if scheme == "bootstrap":
            is_collapsed = value is not None and value["collapsed"]
            if b < B:
                collapse[k] = (done + is_collapsed, of + 1)
                if "jaccard" in statistics:
                    values[("jaccard", b, k)] = None if value is None else value["jaccard"]
                if "consensus" in statistics:
                    values[("consensus", b, k)] = None if value is None else value.get("consensus")
                if value is not None and "criteria" in value:
                    scored += [(b, k, c, v) for c, v in value["criteria"]]
            continue
        is_collapsed = isinstance(value, Collapsed)
        collapse[k] = (done + is_collapsed, of + 1)
        values[("prediction_strength", b, k)] = 0.0 if is_collapsed else value
    if "bootstrap_ari" in statistics:
        for b in range(B):
            for k in ks:
                one, two = out[("bootstrap", b, k)], out[("bootstrap", b + 1, k)]
                values[("bootstrap_ari", b, k)] = (
                    None if one is None or two is None else
                    0.0 if one["collapsed"] or two["collapsed"] else bootstrap_ari(one["partition"], two["partition"]))
    return values, scored, collapse


#: The parameter that counts a method's starts: k-means, GMM, LCA and k-prototypes name it as
#: scikit-learn does; NMF's restarts (the first from NNDSVDa, the rest random) are its starts.
STARTS_PARAMETERS = ("n_init", "n_restarts")


def _starts_parameter(method: SegmentationMethod) -> str | None:
    return next((p for p in STARTS_PARAMETERS if p in method.get_params()), None)


def has_starts(method: SegmentationMethod) -> bool:
    """Whether ``method``'s resample fits start from several random starts, the number that
    ``starts`` sets."""
    parameter = _starts_parameter(method)
    return parameter is not None and int(resample_method(method).get_params()[parameter]) > 1


def resample_method(method: SegmentationMethod, starts: int | None = None) -> SegmentationMethod:
    """The method as each resample fits it: its resample settings
    (:meth:`SegmentationMethod.resample_params`), and ``starts`` random starts where given."""
    if starts is not None and int(starts) < 1:
        raise PersonaLabError(f"Resample fits need at least 1 start, got {starts}",
                              fix="Use 1 (the anchors' scheme) or leave it unset (the method's own)")
    resampled = method.clone().set_params(**method.resample_params())
    parameter = _starts_parameter(method)
    if starts is not None and parameter is not None:
        resampled.set_params(**{parameter: int(starts)})
    return resampled


def _consensus_task(drawn, i):
    return consensus_distribution(np.vstack(drawn[i])) if drawn[i] else (np.empty(0), np.empty(0, np.int64))


def _summarise(out: dict, pairs: dict, statistics, ks, named, widths, B):
    table, per, segs, cdfs = [], [], [], []
    curves = {}
    for k in ks:
        name = named[k]
        for s in ("bootstrap_ari", "prediction_strength"):
            if s in statistics:
                values = [np.nan if out[(s, b, k)] is None else out[(s, b, k)] for b in range(B)]
                per += [(name, s, b, v) for b, v in enumerate(values)]
                table.append((name, s, _mean(values)))
        if "jaccard" in statistics:
            values = np.array([np.full(widths[k], np.nan) if out[("jaccard", b, k)] is None
                               else out[("jaccard", b, k)] for b in range(B)])
            per += [(name, "jaccard", b, _mean(row)) for b, row in enumerate(values)]
            summary = segment_jaccard(values)
            segs.append(summary.assign(k=name))
            table += [(name, "jaccard", _mean(summary["jaccard"])),
                      (name, "jaccard_min", float(summary["jaccard"].min()))]
        if "consensus" in statistics:
            curves[name] = consensus_cdf(pairs[(B, k)])
            cdfs.append(pd.DataFrame({"k": name, "consensus": CDF_GRID, "cdf": curves[name]}))
            table.append((name, "pac", pac(pairs[(B, k)])))
    if len(curves) > 1:
        table += [(k, "delta_area", v) for k, v in delta_area(curves).items()]
    order = {s: i for i, s in enumerate(SUMMARIES)}
    table = pd.DataFrame(table, columns=["k", "statistic", "value"])
    table = table.sort_values(["k", "statistic"], key=lambda c: c.map(order) if c.name == "statistic" else c)
    columns = ["k", "segment", "jaccard", "dissolved", "recovered", "resamples", "band"]
    return (table.reset_index(drop=True),
            pd.DataFrame(per, columns=["k", "statistic", "resample", "value"]),
            pd.concat(segs, ignore_index=True)[columns] if segs else pd.DataFrame(columns=columns),
            pd.concat(cdfs, ignore_index=True) if cdfs else pd.DataFrame(columns=["k", "consensus", "cdf"]))


def _mean(values) -> float:
    values = np.asarray(values, float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")

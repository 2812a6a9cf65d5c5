"""Criteria of k: one fit per k, every applicable criterion computed on it, and a vote.

Each criterion is applied only where it means something and states its own rule for the best k
(:mod:`persona_lab.assess.vote`, where the rules are pure functions of the values over k):

- silhouette, Calinski-Harabasz, Davies-Bouldin: in the common space (:data:`COMMON_SPACE`), so
  they mean the same for every method (for APG matrices, on each group's content mix rather than
  its raw volume); silhouette on a seeded sample for large n;
- the gap statistic (:mod:`persona_lab.assess.gap`) for numeric data and the methods that aim at
  compact segments (:data:`GAP_METHODS`), its references clustered by the same method;
- BIC/AIC (mixtures), BIC/CAIC/SABIC (latent classes), Gower silhouette (k-prototypes): from the fit;
- for NMF, cophenetic correlation (Brunet et al. 2004) and dispersion (Kim & Park 2007) of the
  consensus matrix over ``nmf_inits`` random initialisations per k;
- monotone curves (inertia, reconstruction error, cost, variance explained) pick nothing
  themselves; their Kneedle elbow is a criterion of its own ("inertia_elbow", ...).

Optional business limits: ``min_share`` marks every k whose solution has a smaller segment
(shares weighted as persona sizes are) and takes it out of the vote; ``max_k`` drops the k values
above it before anything is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import PersonaLabError
from ..features import NumericEncoder
from ..methods import SegmentationMethod, get_method
from ..prepare import COMMON_SPACE, Preparation, Prepared, criteria_space, prepare
from ..seeding import child_seeds, sample_rows
from .consensus import consensus_matrix, cophenetic_correlation, dispersion
from .validity import calinski_harabasz, davies_bouldin, silhouette
from .engine import part_of, run_tasks
from .gap import DEFAULT_REFERENCES, GAP_RULES, gap_statistic
from .vote import ELBOWS, RULES, TIE_NOTE, pick, rule, tally, vote

#: Silhouette is O(n^2): above this many rows it is computed on a seeded sample.
SILHOUETTE_SAMPLE = 2000
#: The NMF consensus matrix is m x m: above this many rows it covers a seeded sample of rows.
NMF_SAMPLE = 1000
DEFAULT_NMF_INITS = 30
#: Methods whose segments are meant to be compact around a centre, so that the within-segment
#: sum of squares of the gap statistic measures what they aim for. Spectral clustering and
#: archetypes aim at something else (connected shapes, extremes); NMF's references would leave
#: its non-negative domain; LCA and k-prototypes model categories.
GAP_METHODS = ("kmeans", "gmm", "hierarchical")


def _silhouette(X, labels, seed):
    size = min(SILHOUETTE_SAMPLE, X.shape[0])
    return silhouette(X, labels, sample_size=size if size < X.shape[0] else None, seed=seed)


#: name -> (score(X, labels, seed), rule, label)
CRITERIA = {
    "silhouette": (_silhouette, "max", "Silhouette (higher is better)"),
    "calinski_harabasz": (lambda X, y, s: calinski_harabasz(X, y), "max", "Calinski-Harabasz (higher is better)"),
    "davies_bouldin": (lambda X, y, s: davies_bouldin(X, y), "min", "Davies-Bouldin (lower is better)"),
}
#: Criteria a method computes while fitting: name -> (fitted attribute, rule, label).
FITTED = {
    "bic": ("bic_", "min", "BIC (lower is better)"),
    "aic": ("aic_", "min", "AIC (lower is better)"),
    "caic": ("caic_", "min", "CAIC (lower is better)"),
    "sabic": ("sabic_", "min", "Sample-size adjusted BIC (lower is better)"),
    "silhouette_gower": ("silhouette_gower_", "max", "Silhouette, Gower distance (higher is better)"),
}
#: Fitted attributes reported as curves without a pick of their own: they improve with k by
#: construction (or measure something else, as entropy); the improving ones pick through their
#: elbow (:data:`persona_lab.assess.vote.ELBOWS`).
MONOTONE = {
    "reconstruction_error": "reconstruction_err_",
    "inertia": "inertia_",
    "cost": "cost_",
    "varexpl": "varexpl_",
    "entropy": "entropy_",
}
#: Labels of the criteria computed here rather than by a method.
LABELS = {
    "gap": "Gap statistic (Tibshirani 2001 rule)",
    "cophenetic": "Cophenetic correlation (last k before it falls)",
    "dispersion": "Dispersion of the consensus (higher is better)",
    "prediction_strength": "Prediction strength (largest k >= 0.8)",
    "bootstrap_ari": "Bootstrap ARI (most reproducible k)",
}


def label(criterion: str) -> str:
    """How a criterion is named on screen."""
    if criterion in CRITERIA:
        return CRITERIA[criterion][2]
    if criterion in FITTED:
        return FITTED[criterion][2]
    if criterion in LABELS:
        return LABELS[criterion]
    curve = next((c for c, e in ELBOWS.items() if e == criterion), None)
    if curve:
        return curve.replace("_", " ").capitalize() + " (elbow)"
    suffix = "; its elbow picks" if criterion in ELBOWS else ""
    return criterion.replace("_", " ").capitalize() + f" (no pick of its own{suffix})"


@dataclass
class CriterionCurves:
    table: pd.DataFrame  # columns k, criterion, value, sd (sd: the gap's s_k, else NaN)
    picks: dict[str, int]  # criterion -> its best k (criteria without a pick are left out)
    #: Every criterion with a rule: criterion, k (its pick, or missing), rule, counted, note.
    votes: pd.DataFrame = field(default_factory=pd.DataFrame)
    vote: int | None = None  # the most voted k among unmarked ones (ties: smaller k)
    tally: dict[int, int] = field(default_factory=dict)  # k -> counted votes
    marked: dict[int, str] = field(default_factory=dict)  # k -> why a business limit flags it
    smallest_share: dict[int, float] = field(default_factory=dict)  # k -> smallest segment share
    #: The gap statistic for k = 1 and every k (k, log_w, ref_log_w, gap, sd), or None.
    gap: pd.DataFrame | None = None
    gap_rule: str = "Tibs2001SEmax"
    #: The fit series itself, k -> (labels, the fit's notes): the stability harness reuses it as
    #: its full-data partitions instead of fitting every k again. Not part of the JSON.
    fits: dict = field(default_factory=dict, repr=False)

    def values(self, criterion: str):
        """What ``criterion``'s rule reads: its values over k (the gap: Gap and s_k from k = 1)."""
        if criterion == "gap" and self.gap is not None:
            return self.gap.set_index("k")[["gap", "sd"]]
        source = next((c for c, e in ELBOWS.items() if e == criterion), criterion)
        return self.table[self.table["criterion"] == source].set_index("k")["value"]

    def to_dict(self) -> dict:
        return {
            "values": {
                c: {int(k): float(v) for k, v in zip(g["k"], g["value"])} for c, g in self.table.groupby("criterion")
            },
            "picks": dict(self.picks),
            "rules": {c: rule(c, self.gap_rule) for c in self.votes.get("criterion", [])},
            "votes": [_plain(r) for r in self.votes.to_dict("records")],
            "tally": dict(self.tally),
            "vote": self.vote,
            "tie_rule": TIE_NOTE,
            "marked": dict(self.marked),
            "smallest_share": dict(self.smallest_share),
            "gap": None if self.gap is None else [_plain(r) for r in self.gap.to_dict("records")],
        }


def score(criterion: str, X: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """One criterion for one partition; unassigned rows (-1) are left out; NaN when undefined."""
    fn = CRITERIA[criterion][0]
    keep = labels >= 0
    n_segments = np.unique(labels[keep]).size
    if n_segments < 2 or n_segments >= keep.sum():
        return float("nan")
    return float(fn(X[keep], labels[keep], seed))


def criterion_curves(
    dataset: Dataset,
    method: str,
    k_values,
    seed: int = 0,
    progress=None,
    *,
    min_share: float | None = None,
    max_k: int | None = None,
    gap_references: int = DEFAULT_REFERENCES,
    nmf_inits: int = DEFAULT_NMF_INITS,
    gap_rule: str = "Tibs2001SEmax",
    preparation: Preparation | None = None,
    n_jobs: int = 1,
    dask=None,
    cancel=None,
    **params,
) -> CriterionCurves:
    """Fit ``method`` once per k under ``preparation`` (its default one unless given) and compute
    every criterion that applies to it on that one fit, in :func:`criteria_space`; then each
    criterion's pick, the business limits and the vote. ``progress(fraction, text)`` is called as
    the work advances; the fits and the gap's reference sets run as :func:`.engine.run_tasks`
    tasks (``n_jobs``, ``dask``, ``cancel`` as there)."""
    template = get_method(method, **params)
    if template.k_is_output:
        raise PersonaLabError(
            f"{template.label} finds the number of segments itself, so there is no curve over k",
            fix="Choose a method with k as input (nmf, kmeans) to compare k values",
        )
    k_values, above = _k_range(k_values, max_k)
    _check_options(min_share, gap_references, nmf_inits, gap_rule)
    preparation = preparation or template.default_preparation(dataset.kind)
    prepared = prepare(dataset, preparation)
    common = prepare(dataset, criteria_space(preparation))
    with_gap = gap_applies(template, prepared, common)
    with_consensus = template.name == "nmf"
    # Shares of the work by number of fits: one per k, a series per gap reference set, NMF's restarts.
    units = [len(k_values), gap_references * len(k_values) if with_gap else 0, len(k_values) if with_consensus else 0]
    edges = np.cumsum([0, *units]) / max(sum(units), 1)
    fit_part, gap_part, consensus_part = (part_of(progress, edges[i], edges[i + 1] - edges[i]) for i in range(3))
    engine = dict(n_jobs=n_jobs, dask=dask, cancel=cancel)

    # One fit per k, shared by every criterion below.
    fitted = run_tasks(_fit_k, [(k,) for k in k_values], shared=(template, prepared, seed), progress=fit_part,
                       label="fits, one per k", **engine)
    fits = dict(zip(k_values, fitted))
    rows = [row for k, model in fits.items() for row in criteria_of_fit(template, model, common.X, k, seed)]

    gap_seed, consensus_seed = child_seeds(seed, 2)
    gap = None
    if with_gap:
        gap = gap_statistic(
            common.X, {k: m.labels_ for k, m in fits.items()}, MethodOnReference(template),
            references=gap_references, seed=gap_seed, progress=gap_part, **engine,
        )
        rows += [(k, "gap", g, s) for k, g, s in gap[["k", "gap", "sd"]].itertuples(index=False) if k in fits]
    if with_consensus:
        report = _Steps(consensus_part, len(k_values))
        rows += _consensus_rows(template, prepared.X, k_values, nmf_inits, consensus_seed, report)
    if progress:
        progress(1.0, "done")

    table = pd.DataFrame(rows, columns=["k", "criterion", "value", "sd"])
    result = CriterionCurves(table, {}, gap=gap, gap_rule=gap_rule,
                             fits={k: (m.labels_.astype(np.int32), list(m.notes_)) for k, m in fits.items()})
    all_picks = {c: pick(c, result.values(c), gap_rule) for c in _ruled_criteria(table)}
    result.picks = {c: k for c, k in all_picks.items() if k is not None}
    result.smallest_share = {k: smallest_share(m.labels_, prepared.size_weight, persona_memberships(m, prepared.kind))
                             for k, m in fits.items()}
    result.marked = _marks(result.smallest_share, min_share, above, max_k)
    for k, model in fits.items():
        if collapsed(model.labels_, k):
            result.marked.setdefault(k, COLLAPSED)
    result.tally = tally(result.picks, excluded=result.marked)
    result.vote = vote(result.picks, excluded=result.marked)
    result.votes = _votes_table(all_picks, result.marked, gap_rule)
    return result


# -- per-fit criteria ------------------------------------------------------------------------------


def _fit_k(shared, k):
    template, prepared, seed = shared
    return template.clone().fit(prepared, k=k, seed=seed)


def criteria_of_fit(template, model, X_common, k, seed) -> list[tuple]:
    """(k, criterion, value, NaN) for every criterion one fit yields by itself: the distance
    criteria in the common space and those the method computed while fitting. (The gap and NMF's
    consensus criteria need further fits and are not among them.)

    A collapsed fit (fewer non-empty segments than k) is no partition into k segments: its
    partition criteria are NaN, or a k = 6 fit with an empty segment would score as the k = 5
    partition it is. Monotone curves (inertia, reconstruction error) keep their value: the
    factorisation or the centres still exist."""
    rows = []
    gone = collapsed(model.labels_, k)
    for name in CRITERIA:
        if name in template.criteria:
            rows.append((k, name, np.nan if gone else score(name, X_common, model.labels_, seed), np.nan))
    attributes = {**{n: (spec[0], True) for n, spec in FITTED.items()}, **{n: (a, False) for n, a in MONOTONE.items()}}
    for name, (attribute, partition) in attributes.items():
        if name in template.criteria and hasattr(model, attribute):
            rows.append((k, name, np.nan if gone and partition else float(getattr(model, attribute)), np.nan))
    return rows


#: Why a k is out of the vote when its fit left segments empty (criteria and the selection rule).
COLLAPSED = "the method collapsed: fewer non-empty segments than k"


def persona_memberships(model, kind: str) -> np.ndarray | None:
    """The memberships persona sizes are built from: an APG persona's size is its share of every
    group's interactions (personas.apg), an entity table's its rows (None: the hard labels)."""
    return getattr(model, "memberships_", None) if kind == "interactions" else None


def collapsed(labels, k) -> bool:
    """Whether a partition asked for ``k`` segments has fewer non-empty ones (k None: never)."""
    labels = np.asarray(labels)
    return k is not None and np.unique(labels[labels >= 0]).size < int(k)


def smallest_share(labels: np.ndarray, size_weight: np.ndarray, memberships: np.ndarray | None = None) -> float:
    """The share of the smallest segment, rows weighted as persona sizes are (unassigned rows
    count in the total, as they do in persona shares). With ``memberships`` (APG personas) a segment's size
    is its share of every row, as its persona's is, so that a factor that is no row's strongest
    counts too (it is a persona)."""
    total = float(np.sum(size_weight))
    if memberships is not None:
        return float((np.asarray(size_weight) @ memberships).min() / total)
    assigned = labels >= 0
    if not assigned.any():
        return float("nan")
    sizes = np.bincount(labels[assigned], weights=size_weight[assigned], minlength=int(labels.max()) + 1)
    return float(sizes.min() / total)


# -- the gap statistic's references ------------------------------------------------------------


def gap_applies(template: SegmentationMethod, prepared: Prepared, common: Prepared) -> bool:
    """Whether the gap statistic means something here: a method aiming at compact segments, on
    numeric data, fitted in the criteria space itself (its references are drawn there)."""
    numeric = all(isinstance(enc, NumericEncoder) for enc in common.encoders)
    return template.name in GAP_METHODS and numeric and prepared.preparation == common.preparation


@dataclass(frozen=True)
class MethodOnReference:
    """Clusters a reference set with the same method and parameters as the data (picklable, so
    references can be mapped over worker processes)."""

    method: SegmentationMethod

    def __call__(self, X: np.ndarray, k: int, seed: int) -> np.ndarray:
        return self.method.clone().fit(bare_prepared(X), k=k, seed=seed).labels_


def bare_prepared(X: np.ndarray) -> Prepared:
    """A matrix as a method's input, without weights or history (references, row samples)."""
    n, d = X.shape
    return Prepared(
        X=X, feature_names=[f"x{j}" for j in range(d)], row_labels=[str(i) for i in range(n)],
        kind="entities", preparation=COMMON_SPACE, steps=[], sample_weight=None, size_weight=np.ones(n),
    )


# -- NMF consensus: cophenetic correlation and dispersion -------------------------------------------


def _consensus_rows(template, X, k_values, n_init, seed, report) -> list[tuple]:
    sample_seed, *k_seeds = child_seeds(seed, 1 + len(k_values))
    rows = sample_rows(X.shape[0], sample_seed, NMF_SAMPLE)  # the rows the consensus covers (None: all)
    out = []
    for k, k_seed in zip(k_values, k_seeds):
        report(f"NMF consensus over {n_init} starts, k = {k}")
        C = nmf_consensus(template, X, k, n_init, k_seed, rows)
        out += [(k, "cophenetic", cophenetic_correlation(C), np.nan), (k, "dispersion", dispersion(C), np.nan)]
    return out


def nmf_consensus(template, X: np.ndarray, k: int, n_init: int, seed: int, rows=None) -> np.ndarray:
    """Brunet's consensus matrix: the share of ``n_init`` random-start factorisations (of all
    rows) that put two rows in the same segment, over ``rows`` (all when None)."""
    labels = np.array([nmf_start_labels(template, X, k, s) for s in child_seeds(seed, n_init)])
    return consensus_matrix(labels if rows is None else labels[:, rows])


def nmf_start_labels(template, X: np.ndarray, k: int, seed: int) -> np.ndarray:
    """One random-start factorisation's segments (one independent task).

    Segments are the argmax of each row of W after W and H are put on a common scale (the
    method's memberships): W alone has an arbitrary scale per column, so its raw argmax could
    move with the scaling rather than with the data.
    """
    model = template.clone().set_params(n_restarts=1, init="random")
    return model.fit(bare_prepared(X), k=k, seed=seed).labels_


# -- picks, limits, votes -------------------------------------------------------------------------


def _ruled_criteria(table: pd.DataFrame) -> list[str]:
    """Criteria in the table with a rule, and the elbows of its monotone curves, in table order."""
    names = []
    for name in table["criterion"].drop_duplicates():
        if name in RULES:
            names.append(name)
        elif name in ELBOWS:
            names.append(ELBOWS[name])
    return names


def _marks(shares, min_share, above, max_k) -> dict[int, str]:
    marked = {}
    if min_share is not None:
        for k, share in shares.items():
            if share < min_share:
                marked[k] = f"too small: smallest segment {share:.1%} < {min_share:.1%}"
    for k in above:
        marked[k] = f"above the largest k worth presenting ({max_k}); not fitted"
    return marked


def _votes_table(all_picks: dict, marked: dict, gap_rule: str) -> pd.DataFrame:
    records = []
    for criterion, k in all_picks.items():
        counted = k is not None and k >= 2 and k not in marked
        note = ("no pick" if k is None else "" if counted else
                "not counted: k = 1 (no structure) is the null band's call" if k < 2 else f"not counted: k = {k} {marked[k]}")
        records.append((criterion, k, rule(criterion, gap_rule), counted, note))
    frame = pd.DataFrame(records, columns=["criterion", "k", "rule", "counted", "note"])
    frame["k"] = frame["k"].astype("Int64")
    return frame


# -- checks and progress ------------------------------------------------------------------------


def _k_range(k_values, max_k) -> tuple[list[int], list[int]]:
    k_values = sorted({int(k) for k in k_values})
    if not k_values or k_values[0] < 2:
        raise PersonaLabError("k values must be at least 2", fix="Use a range such as 2:10")
    if max_k is None:
        return k_values, []
    kept = [k for k in k_values if k <= int(max_k)]
    if not kept:
        raise PersonaLabError(
            f"Every k asked for is above the largest k worth presenting ({max_k})",
            fix=f"Ask for k values up to {max_k} or raise max_k",
        )
    return kept, [k for k in k_values if k > int(max_k)]


def _check_options(min_share, gap_references, nmf_inits, gap_rule) -> None:
    if min_share is not None and not 0 <= float(min_share) < 1:
        raise PersonaLabError(f"min_share must be a share between 0 and 1, got {min_share}", fix="Use e.g. 0.05 for 5%")
    if int(gap_references) < 2:
        raise PersonaLabError("The gap statistic needs at least 2 reference sets", fix="Use gap_references=20")
    if int(nmf_inits) < 2:
        raise PersonaLabError("The NMF consensus needs at least 2 starts", fix="Use nmf_inits=30")
    if gap_rule not in GAP_RULES:
        raise PersonaLabError(f"Unknown gap rule {gap_rule!r}", fix=f"Use one of {', '.join(GAP_RULES)}")


class _Steps:
    """Calls ``progress(fraction, text)`` once per unit of work (a fit, a reference, a k)."""

    def __init__(self, progress, total: int):
        self.progress, self.total, self.count = progress, max(total, 1), 0

    def __call__(self, text: str) -> None:
        if self.progress:
            self.progress(min(self.count / self.total, 1.0), text)
        self.count += 1


def _plain(record: dict) -> dict:
    """numpy and pandas scalars as plain Python ones (JSON-ready)."""
    out = {}
    for key, value in record.items():
        if value is pd.NA or value is None:
            out[key] = None
        elif isinstance(value, (np.integer, np.bool_)):
            out[key] = value.item()
        elif isinstance(value, np.floating):
            out[key] = float(value)
        else:
            out[key] = value
    return out

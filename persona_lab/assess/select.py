"""How many personas, and how stable that number is: the whole selection rule, re-run on every
resample.

1. Criteria of k on the full data (one fit per k; :mod:`.criteria`), each with its pick, and
   the majority vote.
2. Resampling stability per k (:mod:`.stability`); the Jaccard bootstrap fits are also scored by
   every criterion, so each criterion's rule and the vote give a k-hat on every resample:
   P(k_hat = k) per criterion and for the vote. The gap statistic is re-run per resample against
   the data's own reference sets (:func:`.gap.resample_gap`); NMF's consensus criteria need 30
   more fits per resample and are applied to the full data only.
3. The same stability on structure-free reference sets gives a null band; a k is stable only
   when it beats the band family-wise over k (:func:`.null.beats_null`) on at least half of the
   stability statistics.
4. ``recommended_k`` is the vote's most frequent k-hat; 1, with a sentence, when no k beats the
   null band. ``k_set_90`` is the smallest set of k values holding 90% of the vote's k-hats.
5. The recommended solution's personas: how often each is recovered (Jaccard > 0.75); and, when
   the data has a date column, personas per period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..errors import PersonaLabError
from ..methods import get_method
from ..prepare import Preparation, criteria_space, prepare
from .criteria import CriterionCurves, criterion_curves
from .gap import resample_gap
from .engine import dask_client, part_of
from .null import band_of, beats_null, default_reference, null_values
from .periods import PeriodPersonas, personas_by_period
from ..sampling import sample_rows
from .stability import STATISTICS, SUMMARIES, StabilityResult, json_number, stability, subset_prepared
from .vote import ELBOWS, RULES, pick, vote

NO_STRUCTURE = (
    "No number of personas is more stable than on structure-free reference data ({n_ref} reference "
    "sets, {reference}): there is no stable segment structure, so the recommendation is 1 (one audience)."
)
#: Resampling multiplies every fit by about 6 x B x (1 + null sets x null resamples); above this
#: many rows it runs on a seeded sample. Stability at 5,000 rows is, if anything, lower than at
#: more, so a k stable on the sample is not an artefact of sampling.
MAX_ROWS = 5_000
REFERENCE_NAMES = {"gaussian_box": "Gaussians with the data's covariance and uniform boxes on its principal components",
                   "gaussian": "a Gaussian with the data's covariance", "pca_box": "uniform in the data's principal-component box",
                   "permute": "each column shuffled on its own"}


@dataclass
class Selection:
    method: str
    k_values: list[int]
    seed: int
    resamples: int
    curves: CriterionCurves | None
    stability: StabilityResult
    null: pd.DataFrame | None  # the stability table with its band and whether each k beats it
    k_hat: pd.DataFrame  # resample, criterion, k (criterion "vote": the vote's pick)
    recommended_k: int
    recommended_probability: float
    k_distribution: dict[int, float]
    k_set_90: list[int]
    statement: str
    survival: pd.DataFrame | None = None  # persona id, recovered share, mean Jaccard, band
    periods: PeriodPersonas | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """One sentence for people who want only that."""
        if self.recommended_k == 1:
            return "No stable segment structure: one audience (no k is more stable than structure-free data)"
        ks = self.k_set_90
        cover = f"{ks[0]}-{ks[-1]}" if len(ks) > 1 and ks == list(range(ks[0], ks[-1] + 1)) else ", ".join(map(str, ks))
        return (f"{self.recommended_k} personas (chosen in {self.recommended_probability:.0%} of "
                f"{self.resamples} resamples; {cover} cover{'s' if len(ks) == 1 else ''} 90%)")

    def p_k_hat(self) -> pd.DataFrame:
        """P(k_hat = k) per criterion (and the vote): criterion, k, probability."""
        rows = []
        for criterion, group in self.k_hat.groupby("criterion", sort=False):
            counts = group["k"].dropna().astype(int).value_counts(normalize=True).sort_index()
            rows += [(criterion, int(k), float(p)) for k, p in counts.items()]
        return pd.DataFrame(rows, columns=["criterion", "k", "probability"])

    def to_dict(self) -> dict:
        p = self.p_k_hat()
        return {
            "method": self.method,
            "k_values": self.k_values,
            "seed": self.seed,
            "resamples": self.resamples,
            "recommended_k": self.recommended_k,
            "recommended_probability": json_number(self.recommended_probability),
            "statement": self.statement,
            "headline": self.headline,
            "k_distribution": {str(k): json_number(v) for k, v in self.k_distribution.items()},
            "k_set_90": self.k_set_90,
            "criteria": None if self.curves is None else self.curves.to_dict(),
            "p_k_hat": {c: {str(int(k)): json_number(v) for k, v in zip(g["k"], g["probability"])}
                        for c, g in p.groupby("criterion", sort=False)},
            "k_hat": {c: [None if pd.isna(k) else int(k) for k in g.sort_values("resample")["k"]]
                      for c, g in self.k_hat.groupby("criterion", sort=False)},
            "stability": self.stability.to_dict(),
            "null": None if self.null is None else [
                {k: (json_number(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in self.null.to_dict("records")],
            "survival": None if self.survival is None else self.survival.to_dict("records"),
            "periods": None if self.periods is None else self.periods.to_dict(),
            "notes": self.notes,
        }


def select_k(
    dataset: Dataset, method: str, k_values, *, resamples: int = 50, seed: int = 0, n_ref: int = 20,
    null_resamples: int = 3, reference: str | None = None, statistics=STATISTICS, min_share: float | None = None,
    max_k: int | None = None, n_jobs: int = 1, dask=None, progress=None, cancel=None, params: dict | None = None,
    periods: bool = True, preparation: Preparation | None = None, starts: int | None = None,
    max_rows: int | None = MAX_ROWS,
) -> Selection:
    """The full assessment of ``method`` over ``k_values`` under ``preparation`` (the method's
    default one unless given); see the module docstring. ``starts``: random starts of each
    resample fit (None: the method's own; see :mod:`.stability`). Above ``max_rows`` rows the
    resampling and the null band run on a seeded sample of that many rows (None: all rows)."""
    template = get_method(method, **(params or {}))
    reference = reference or default_reference(dataset.kind)
    k_values = sorted({int(k) for k in k_values if max_k is None or int(k) <= int(max_k)})
    if not template.k_is_output and (len(k_values) < 2 or k_values[0] < 2):
        raise PersonaLabError("Choosing k needs at least two k values of 2 or more", fix="Use a range such as 2:10")
    if "jaccard" not in statistics:
        raise PersonaLabError("The k-hat distribution needs the Jaccard bootstrap", fix="Keep 'jaccard' among the statistics")
    # Shares of the time, as measured on 5,000 rows: full-data criteria, stability, null band
    # (20 sets x 3 resamples of structure-free data, where k-means converges slowly), periods.
    criteria_part, stability_part, null_part, period_part = (
        part_of(progress, 0.0, 0.05), part_of(progress, 0.05, 0.2), part_of(progress, 0.25, 0.7), part_of(progress, 0.95, 0.05))
    with dask_client(dask, n_jobs) as client:  # one cluster (or none) for every step
        engine = dict(n_jobs=n_jobs, dask=client, cancel=cancel, params=params, starts=starts)
        curves = None
        if not template.k_is_output:
            curves = criterion_curves(dataset, method, k_values, seed, progress=criteria_part, min_share=min_share,
                                      preparation=preparation, n_jobs=n_jobs, dask=client, cancel=cancel, **(params or {}))
        prepared = prepare(dataset, preparation or template.default_preparation(dataset.kind))
        common = prepare(dataset, criteria_space(preparation))
        full_fits = None if curves is None else curves.fits
        total = prepared.n_rows
        sample = sample_rows(total, seed, int(max_rows)) if max_rows else None
        if sample is not None:
            prepared, common = subset_prepared(prepared, sample), subset_prepared(common, sample)
            full_fits = None if full_fits is None else {k: (labels[sample], notes) for k, (labels, notes) in full_fits.items()}
        result = stability(prepared, method, k_values, resamples=resamples, seed=seed, statistics=statistics,
                           progress=stability_part, criteria_space=common.X, with_gap=curves is not None and curves.gap is not None,
                           full_fits=full_fits, **engine)
        null, beaten = None, True
        if n_ref:
            values = null_values(prepared, method, k_values, statistics, n_ref=n_ref, reference=reference, seed=seed + 1,
                                 resamples=null_resamples, progress=null_part, **engine)
            null = beats_null(result.table, band_of(values), values)
            beaten = bool(_stable_ks(null))
    k_hat = _k_hats(result, template.k_is_output, min_share, curves)
    distribution = _distribution(k_hat[k_hat["criterion"] == "vote"]["k"])
    notes = list(result.notes)
    if sample is not None:
        notes.insert(0, f"Resampling statistics, k-hats and the null band were computed on a seeded sample of "
                        f"{len(sample):,} of the {total:,} rows (max_rows); the criteria on all rows.")
    if beaten and distribution:
        recommended = max(distribution, key=lambda k: (distribution[k], -k))
        probability = distribution[recommended]
        k_set = _set_90(distribution)
        statement = (f"k = {recommended} was the vote's pick in {probability:.0%} of {resamples} resamples; "
                     f"{sum(distribution[k] for k in k_set):.0%} of them picked k in {{{', '.join(map(str, k_set))}}}.")
    else:
        recommended, probability, k_set = 1, float("nan"), [1]
        statement = NO_STRUCTURE.format(n_ref=n_ref, reference=REFERENCE_NAMES.get(reference, reference)) if not beaten else \
            "No resample gave the vote a pick, so no number of personas can be recommended; the answer is 1."
    survival = _survival(result, recommended)
    by_period = None
    if periods and dataset.columns("date") and recommended >= 2:
        try:
            by_period = personas_by_period(dataset, method, None if template.k_is_output else recommended,
                                           seed=seed, params=params, progress=period_part)
        except PersonaLabError as exc:
            notes.append(f"personas per period: {exc.one_line()}")
    if progress:
        progress(1.0, "done")
    return Selection(template.name, result.k_values, int(seed), int(resamples), curves, result, null, k_hat,
                     int(recommended), probability, distribution, k_set, statement, survival, by_period, notes)


def _stable_ks(null: pd.DataFrame) -> list[int]:
    """k values more stable than structure-free data: beating the null band on at least half of
    the statistics that have a direction. One statistic alone would beat it by chance too often
    (each is a 5% test; family-wise over k, but not over the statistics)."""
    directional = null[null["statistic"].map(SUMMARIES).isin(["max", "min"]) & null["value"].notna()]
    share = directional.groupby("k")["beats"].mean()
    return [int(k) for k, s in share.items() if s >= 0.5]


def _k_hats(result: StabilityResult, k_is_output: bool, min_share: float | None,
            curves: CriterionCurves | None = None) -> pd.DataFrame:
    """Every criterion's pick, and the vote's, on every resample's fits (the gap statistic's
    against the full data's reference sets, in ``curves``)."""
    scored = result.resample_criteria
    rows = []
    for b, per in scored.groupby("resample", sort=True):
        if k_is_output:
            # The method's own answer on this resample is its number of segments.
            segments = per[per["criterion"] == "n_segments"]["value"]
            rows.append((b, "vote", float(segments.iloc[0]) if len(segments) else np.nan))
            continue
        table = per.pivot_table(index="k", columns="criterion", values="value", aggfunc="first")
        excluded = []
        if min_share and "smallest_share" in table:
            excluded = [int(k) for k, s in table["smallest_share"].items() if s < min_share]
        picks = {}
        for criterion in table.columns:
            for name in (criterion, ELBOWS.get(criterion)):
                if name in RULES:
                    picks[name] = pick(name, table[criterion].dropna())
        if curves is not None and curves.gap is not None and "log_w_per_row" in table:
            log_w = {1: float(table["log_w_1_per_row"].dropna().iloc[0]), **table["log_w_per_row"].dropna().to_dict()}
            picks["gap"] = pick("gap", resample_gap(curves.gap, log_w), curves.gap_rule)
        rows += [(b, c, np.nan if k is None else float(k)) for c, k in picks.items()]
        chosen = vote({c: k for c, k in picks.items() if k is not None}, excluded=excluded)
        rows.append((b, "vote", np.nan if chosen is None else float(chosen)))
    return pd.DataFrame(rows, columns=["resample", "criterion", "k"])


def _distribution(picks: pd.Series) -> dict[int, float]:
    picks = picks.dropna().astype(int)
    if picks.empty:
        return {}
    shares = picks.value_counts(normalize=True).sort_index()
    return {int(k): float(v) for k, v in shares.items()}


def _set_90(distribution: dict[int, float]) -> list[int]:
    """The smallest set of k values holding at least 90% of the distribution (most likely first,
    ties to the smaller k), listed in increasing order."""
    chosen, total = [], 0.0
    for k in sorted(distribution, key=lambda k: (-distribution[k], k)):
        chosen.append(k)
        total += distribution[k]
        if total >= 0.9 - 1e-12:
            break
    return sorted(chosen)


def _survival(result: StabilityResult, k: int) -> pd.DataFrame | None:
    segments = result.segments[result.segments["k"] == k]
    if segments.empty:
        return None
    return pd.DataFrame({
        "persona_id": segments["segment"].astype(int).to_numpy(),
        "survival": (segments["recovered"] / segments["resamples"].where(segments["resamples"] > 0)).to_numpy(),
        "jaccard": segments["jaccard"].to_numpy(),
        "band": segments["band"].to_numpy(),
    })


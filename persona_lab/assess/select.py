"""How many personas, and how stable that number is: one selection rule, applied to the full
data and re-run on every resample.

1. Criteria of k on the full data (one fit per k; :mod:`.criteria`), each with its pick.
2. Resampling stability per k (:mod:`.stability`). Each bootstrap sample's fit is also scored by
   every criterion, and each half split gives a prediction strength, so every criterion's rule
   gives a k-hat on every resample.
3. The same stability, with the same schemes and as many resamples, on structure-free reference
   sets (:mod:`.null`) gives a null band; a k is *stable* when it beats the band family-wise over
   k (:func:`.null.beats_null`) on most of the four statistics (:data:`COUNTED`: three of four),
   and its full-data fit and most of its resample fits did not collapse (fewer non-empty segments
   than k).
4. The rule: the most reproducible k, the one with the highest bootstrap ARI (Fang & Wang 2012;
   the largest of exact equals), when it is stable (and not below a ``min_share`` limit, not
   collapsed); otherwise 1. Every criterion (silhouette, Calinski-Harabasz, Davies-Bouldin, the
   gap, BIC, elbows, prediction strength's own rule: the largest k with PS >= 0.8, Tibshirani &
   Walther 2005) picks its k too, and their majority vote among stable k is shown beside the rule
   (``rule["criteria_vote"]``), as NbClust shows it, but does not decide: on APG matrices with
   3..10 planted behaviours the vote found the planted number in 3 of 8 runs, its criteria
   scattering over k on the groups' content mixes, where the most reproducible k found it in 7
   of 8; on planted and structure-free tables the two answered alike
   (benchmarks/results/calibration.md). Taking the most reproducible *stable* k instead called 4
   of 20 uniform squares segmented: on structure-free data some k beats the band by chance, and
   that rule then always answers it, while the most reproducible k overall is seldom that k. The
   price: in data with nested segments a coarser k reproduces best (two of three blobs merged
   at k = 2), and it is the answer if stable, 1 if not. Criteria computed on the full data only
   (NMF's cophenetic correlation and dispersion need 30 more fits per k) are named in
   ``rule["full_data_only"]``.
5. The same on every resample: its bootstrap pair's most reproducible k if stable, else 1.
   Whether there is structure at all is the resamples' call; which k, the full data's. The
   recommendation is 1 when at least half of the resamples answered 1, and otherwise the rule's
   answer on the full data (from the bootstrap ARI averaged over all the pairs). P(k_hat = k) and
   ``k_set_90`` (the smallest set of k values holding 90% of the answers) are over the
   resamples' answers. The most frequent answer, the recommendation before, ranked near-perfect k
   by chance: 15 well-separated blobs split reproducibly at 2, 4 and 15 (ARI 0.995, 0.991 and
   0.996 on sipu_s2), and the mode of single pairs' picks answered 2 where the mean over pairs
   answered 15. The full data's answer alone, without the resamples' call, called 3 of 80
   structure-free tables segmented (a k that beats the band by chance and reproduces best on
   the full data, answered 1 by most resamples).
6. The recommended solution's personas: how often each is recovered (Jaccard > 0.75); and, when
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
from .criteria import COLLAPSED, CriterionCurves, criterion_curves
from .gap import resample_gap
from .engine import dask_client, part_of
from .null import band_of, beats_null, default_reference, null_values
from .periods import PeriodPersonas, personas_by_period
from ..seeding import sample_rows
from .stability import STATISTICS, SUMMARIES, StabilityResult, json_number, stability, subset_prepared
from .vote import ELBOWS, RULES, pick, tally, vote

NO_STRUCTURE = (
    "No number of personas is more stable than on structure-free reference data ({n_ref} reference "
    "sets, {reference}): there is no stable segment structure, so the recommendation is 1 (one audience)."
)
#: Resampling multiplies every fit by about 3 x B x (1 + null sets x null resamples); above this
#: many rows it runs on a seeded sample. Stability at 5,000 rows is, if anything, lower than at
#: more, so a k stable on the sample is not an artefact of sampling.
MAX_ROWS = 5_000
REFERENCE_NAMES = {"gaussian_box": "Gaussians with the data's covariance and uniform boxes on its principal components",
                   "gaussian": "a Gaussian with the data's covariance", "pca_box": "uniform in the data's principal-component box",
                   "permute": "each column shuffled on its own",
                   "independence": "the independence model of the group x item table (group totals kept, items from the pooled mix)"}
#: Criteria the rule cannot re-run per resample, and why.
FULL_DATA_ONLY = {"cophenetic": "needs 30 more factorisations per k and resample",
                  "dispersion": "needs 30 more factorisations per k and resample"}
#: The statistics whose beating the band counts, one per resampling scheme's question: the least
#: stable segment's Jaccard is banded and shown, but counting it too would let clusterboot's
#: bootstrap speak twice (at k = 2 the two are nearly the same number).
COUNTED = ("bootstrap_ari", "jaccard", "prediction_strength", "pac")
#: Stability statistics that are also criteria, each by its authors' rule, computed per resample
#: as the rest are (a half split's PS, a bootstrap pair's ARI).
STABILITY_CRITERIA = ("prediction_strength", "bootstrap_ari")
#: The criterion whose pick is the rule's answer (see the module docstring), and the name of the
#: rule's own answer among the per-resample picks.
DECIDES, RULE = "bootstrap_ari", "rule"
RULE_LABEL = "The rule: the most reproducible stable k"


@dataclass
class Selection:
    method: str
    k_values: list[int]
    seed: int
    resamples: int
    curves: CriterionCurves | None
    stability: StabilityResult
    null: pd.DataFrame | None  # the stability table with its band and whether each k beats it
    k_hat: pd.DataFrame  # resample, criterion, k (criterion "rule": the rule's answer)
    recommended_k: int
    recommended_probability: float
    k_distribution: dict[int, float]
    k_set_90: list[int]
    statement: str
    survival: pd.DataFrame | None = None  # persona id, recovered share, mean Jaccard, band
    periods: PeriodPersonas | None = None
    notes: list[str] = field(default_factory=list)
    #: The rule itself: the statistic that decides, the criteria shown beside it (and those on the
    #: full data only, and why), the k values it may not pick (and why), and its answer on the full
    #: data.
    rule: dict = field(default_factory=dict)
    #: k values more stable than structure-free data (every k when there is no null band).
    stable: list[int] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """One sentence for people who want only that."""
        if self.recommended_k == 1:
            if self.stable and self.curves is not None:
                return (f"No stable segment structure: one audience (k = {', '.join(map(str, self.stable))} beat "
                        f"structure-free data, but only {1 - self.recommended_probability:.0%} of {self.resamples} "
                        "resamples found a stable most reproducible k)")
            return "No stable segment structure: one audience (no k is more stable than structure-free data)"
        ks = self.k_set_90
        cover = f"{ks[0]}-{ks[-1]}" if len(ks) > 1 and ks == list(range(ks[0], ks[-1] + 1)) else ", ".join(map(str, ks))
        how = "the most reproducible stable k; " if self.curves is not None else ""  # HDBSCAN finds its own
        return (f"{self.recommended_k} personas ({how}{self.recommended_probability:.0%} of {self.resamples} "
                f"resamples, each assessed on its own, gave this answer, and {cover} cover"
                f"{'s' if len(ks) == 1 else ''} 90% of their answers)")

    def p_k_hat(self) -> pd.DataFrame:
        """P(k_hat = k) per criterion (and the rule): criterion, k, probability."""
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
            "rule": self.rule,
            "stable_k": self.stable,
            "notes": self.notes,
        }


def select_k(
    dataset: Dataset, method: str, k_values, *, resamples: int = 50, seed: int = 0, n_ref: int = 20,
    null_resamples: int = 10, reference: str | None = None, statistics=STATISTICS, min_share: float | None = None,
    max_k: int | None = None, n_jobs: int = 1, dask=None, progress=None, cancel=None, params: dict | None = None,
    periods: bool = True, preparation: Preparation | None = None, starts: int | None = None,
    max_rows: int | None = MAX_ROWS,
) -> Selection:
    """The full assessment of ``method`` over ``k_values`` under ``preparation`` (the method's
    default one unless given); see the module docstring. ``null_resamples``: the resamples of each
    reference set, and of the data's statistics compared with them (at most ``resamples``).
    ``starts``: random starts of each resample fit (None: the method's own; see :mod:`.stability`).
    Above ``max_rows`` rows the resampling and the null band run on a seeded sample of that many
    rows (None: all rows)."""
    template = get_method(method, **(params or {}))
    reference = reference or default_reference(dataset.kind)
    k_values = sorted({int(k) for k in k_values if max_k is None or int(k) <= int(max_k)})
    if not template.k_is_output and (len(k_values) < 2 or k_values[0] < 2):
        raise PersonaLabError("Choosing k needs at least two k values of 2 or more", fix="Use a range such as 2:10")
    if "jaccard" not in statistics:
        raise PersonaLabError("The k-hat distribution needs the Jaccard bootstrap", fix="Keep 'jaccard' among the statistics")
    compared = max(1, min(int(null_resamples), int(resamples)))
    # Shares of the time: full-data criteria, the data's resamples, the null band (n_ref sets
    # resampled ``compared`` times each, on structure-free data where fits converge slowly), periods.
    data_part = resamples / (resamples + 2 * n_ref * compared) if n_ref else 1.0
    criteria_part, stability_part, null_part, period_part = (
        part_of(progress, 0.0, 0.05), part_of(progress, 0.05, 0.9 * data_part),
        part_of(progress, 0.05 + 0.9 * data_part, 0.9 * (1 - data_part)), part_of(progress, 0.95, 0.05))
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
                           full_fits=full_fits, compare_resamples=compared, **engine)
        null = None
        if n_ref:
            values = null_values(prepared, method, k_values, statistics, n_ref=n_ref, reference=reference, seed=seed + 1,
                                 resamples=compared, progress=null_part, **engine)
            null = beats_null(result.compared, band_of(values), values)
    notes = list(result.notes)
    if sample is not None:
        notes.insert(0, f"Resampling statistics, k-hats and the null band were computed on a seeded sample of "
                        f"{len(sample):,} of the {total:,} rows (max_rows); the criteria on all rows.")
    stable = _stable_ks(null, result) if null is not None else [int(k) for k in result.k_values]
    if template.k_is_output:
        rule = {"decides": "n_segments", "criteria": [], "full_data_only": {}, "limits": {}, "unstable": [],
                "full_data_k": result.k_values[0]}
        k_hat = _segment_counts(result)
        distribution = _distribution(k_hat["k"]) if stable else {}
    else:
        rule = _rule(curves, result, stable, min_share)
        k_hat = _k_hats(result, curves, rule)
        distribution = _distribution(k_hat[k_hat["criterion"] == RULE]["k"])
    resamples_found_structure = distribution.get(1, 0.0) < 0.5
    if template.k_is_output:
        recommended = max(distribution, key=lambda k: (distribution[k], -k)) if distribution and stable else 1
    else:
        recommended = rule["full_data_k"] if stable and resamples_found_structure else 1
    if recommended > 1:
        probability = distribution.get(recommended, 0.0)
        k_set = _set_90(distribution)
        statement = (f"k = {recommended} is the rule's answer on the full data. Taken one at a time, "
                     f"{1 - distribution.get(1, 0.0):.0%} of {resamples} resamples found a stable most reproducible k "
                     f"({probability:.0%} this one), and {sum(distribution[k] for k in k_set):.0%} of them answered "
                     f"k in {{{', '.join(map(str, k_set))}}}.")
    elif stable:
        probability, k_set = distribution.get(1, float("nan")), _set_90(distribution)
        why = ("the most reproducible k on the full data is not one of them"
               if resamples_found_structure and not template.k_is_output else
               f"the rule picked {'it' if len(stable) == 1 else 'one of them'} on only {1 - probability:.0%} of "
               f"{resamples} resamples; on the rest the most reproducible k was not stable")
        statement = (f"k = {', '.join(map(str, stable))} {'is' if len(stable) == 1 else 'are'} more stable than "
                     f"structure-free data, but {why}. That is no segment structure to build personas on: the "
                     "recommendation is 1 (one audience).")
    else:
        probability, k_set = float("nan"), [1]
        statement = NO_STRUCTURE.format(n_ref=n_ref, reference=REFERENCE_NAMES.get(reference, reference))
    if null is not None and recommended > 1:
        statement += " " + _beaten_sentence(null, recommended, n_ref, compared)
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
                     int(recommended), probability, distribution, k_set, statement, survival, by_period, notes, rule,
                     stable)


def _stable_ks(null: pd.DataFrame, result: StabilityResult) -> list[int]:
    """k values more stable than structure-free data: beating the null band on most of the
    :data:`COUNTED` statistics (one statistic alone would beat it by chance too often: each is a 5%
    test, family-wise over k but not over the statistics), and not collapsed."""
    counted = null[null["statistic"].isin(COUNTED) & null["value"].notna()]
    beaten = counted.groupby("k")["beats"].agg(["sum", "count"])
    gone = set(result.collapsed_ks())
    return [int(k) for k, row in beaten.iterrows() if 2 * row["sum"] > row["count"] and int(k) not in gone]


def _beaten_sentence(null: pd.DataFrame, k: int, n_ref: int, resamples: int) -> str:
    """Which statistics k beat the null band on, and by how much (the data's value over the
    same number of resamples as each reference set, against the band's edge)."""
    rows = null[(null["k"] == k) & null["statistic"].isin(COUNTED)]
    parts = []
    for r in rows.itertuples():
        up = SUMMARIES[r.statistic] == "max"
        edge = r.p95 if up else r.p05
        mark = "" if r.beats else " (not beaten)"
        # No band where the method collapsed on every reference set at this k: nothing to beat.
        against = f"against {edge:.2f}" if np.isfinite(edge) else "with no band (the method collapsed on every reference set)"
        parts.append(f"{STATISTIC_NAMES.get(r.statistic, r.statistic)} {r.value:.2f} {against}{mark}")
    beaten = int(rows["beats"].sum())
    return (f"At k = {k} it beats structure-free data on {beaten} of {len(rows)} statistics, each over {resamples} "
            f"resamples as on each of {n_ref} reference sets, against the references' 95th percentile (5th for PAC): "
            f"{'; '.join(parts)}.")


STATISTIC_NAMES = {"bootstrap_ari": "bootstrap ARI", "jaccard": "mean Jaccard", "jaccard_min": "least Jaccard",
                   "prediction_strength": "prediction strength", "pac": "PAC"}


def _rule(curves: CriterionCurves, result: StabilityResult, stable: list[int], min_share: float | None) -> dict:
    """The selection rule as applied on the full data and on every resample: the statistic that
    decides, the criteria shown beside it (those computed on every resample, prediction strength
    and bootstrap ARI among them), those shown on the full data only, the k values it may not
    pick and why, every criterion's pick on the full data, their vote among stable k, and the
    rule's answer on the full data."""
    resampled = set(result.resample_criteria["criterion"])
    full = [c for c in curves.table["criterion"].drop_duplicates()]
    criteria = [c for c in full if c in resampled or c == "gap"] + list(STABILITY_CRITERIA)
    full_only = {c: FULL_DATA_ONLY.get(c, "not computed per resample") for c in full if c not in criteria}
    limits = {int(k): why for k, why in curves.marked.items()}
    for k in result.collapsed_ks():
        limits.setdefault(int(k), COLLAPSED)
    unstable = [int(k) for k in result.k_values if k not in stable and k not in limits]
    table = curves.table[curves.table["criterion"].isin(criteria)].pivot_table(
        index="k", columns="criterion", values="value", aggfunc="first")
    for statistic in STABILITY_CRITERIA:
        table[statistic] = result.table[result.table["statistic"] == statistic].set_index("k")["value"]
    picks = _picks(table, curves.values("gap") if curves.gap is not None else None, curves.gap_rule)
    counted = {c: k for c, k in picks.items() if k is not None}
    excluded = {*limits, *unstable}
    chosen = vote(counted, excluded=excluded)
    rule = {"decides": DECIDES, "criteria": criteria, "full_data_only": full_only, "min_share": min_share,
            "limits": dict(sorted(limits.items())), "unstable": unstable,
            "full_data_picks": {c: (None if k is None else int(k)) for c, k in picks.items()},
            "full_data_tally": tally(counted, excluded=excluded),
            "criteria_vote": 1 if chosen is None else int(chosen)}
    rule["full_data_k"] = _answer(picks, rule)
    return rule


def _answer(picks: dict, rule: dict, excluded=()) -> int:
    """The rule's answer from the criteria's picks: the deciding criterion's k (the most
    reproducible) when it is not left out (unstable, the limits, ``excluded``), else 1."""
    k = picks.get(rule["decides"])
    return 1 if k is None or k in {*rule["limits"], *rule["unstable"], *excluded} else int(k)


def _picks(table: pd.DataFrame, gap, gap_rule: str) -> dict:
    """Every criterion's pick from its values over k (a k x criterion table)."""
    picks = {}
    for criterion in table.columns:
        for name in (criterion, ELBOWS.get(criterion)):
            if name in RULES and name != "gap":
                picks[name] = pick(name, table[criterion].dropna())
    if gap is not None:
        picks["gap"] = pick("gap", gap, gap_rule)
    return picks


def _k_hats(result: StabilityResult, curves: CriterionCurves, rule: dict) -> pd.DataFrame:
    """Every criterion's pick, and the rule's, on every resample: the bootstrap sample's fits
    scored by the rule's criteria (the gap against the full data's reference sets), the half
    split's prediction strength and the bootstrap pair's ARI."""
    scored = result.resample_criteria
    per_resample = result.resample_values[result.resample_values["statistic"].isin(STABILITY_CRITERIA)]
    per_resample = {key: g.set_index("k")["value"] for key, g in per_resample.groupby(["resample", "statistic"])}
    rows = []
    for b, per in scored.groupby("resample", sort=True):
        table = per.pivot_table(index="k", columns="criterion", values="value", aggfunc="first")
        gap = None
        if curves.gap is not None and "log_w_per_row" in table:
            log_w = {1: float(table["log_w_1_per_row"].dropna().iloc[0]), **table["log_w_per_row"].dropna().to_dict()}
            gap = resample_gap(curves.gap, log_w)
        table = table[[c for c in table.columns if c in rule["criteria"]]]
        for statistic in STABILITY_CRITERIA:
            if (b, statistic) in per_resample:
                table[statistic] = per_resample[(b, statistic)]
        picks = _picks(table, gap, curves.gap_rule)
        rows += [(b, c, np.nan if k is None else float(k)) for c, k in picks.items()]
        # This resample's own smallest segments decide the min_share limit, as the full data's did.
        own = {**rule, "limits": {k: why for k, why in rule["limits"].items() if why == COLLAPSED}}
        small = set()
        if rule["min_share"] and "smallest_share" in per["criterion"].values:
            shares = per[per["criterion"] == "smallest_share"].set_index("k")["value"]
            small = {int(k) for k, share in shares.items() if share < rule["min_share"]}
        rows.append((b, RULE, float(_answer(picks, own, small))))
    return pd.DataFrame(rows, columns=["resample", "criterion", "k"])


def _segment_counts(result: StabilityResult) -> pd.DataFrame:
    """For a method whose k is an output, its own answer on each resample: its number of segments."""
    per = result.resample_criteria
    segments = per[per["criterion"] == "n_segments"]
    return pd.DataFrame({"resample": segments["resample"].to_numpy(), "criterion": RULE,
                         "k": segments["value"].to_numpy(float)})


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


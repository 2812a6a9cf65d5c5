"""Each criterion's rule for the best k, and the majority vote across criteria.

Every rule is a pure function of one criterion's values over k, so the same rule can be re-applied
on each resample to estimate P(k_hat = k). Values may be given as a mapping k -> value, a Series
indexed by k, or a frame with a ``k`` column (or index) and a ``value`` column; the gap statistic
takes Gap(k) and s_k together (columns ``gap``/``sd`` or ``value``/``sd``, or k -> (gap, sd)).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from .elbow import knee
from .gap import GAP_RULES, max_se

#: criterion -> (kind of rule, the rule in words)
RULES: dict[str, tuple[str, str]] = {
    "silhouette": ("max", "highest value"),
    "silhouette_gower": ("max", "highest value"),
    "calinski_harabasz": ("max", "highest value"),
    "davies_bouldin": ("min", "lowest value"),
    "bic": ("min", "lowest value"),
    "aic": ("min", "lowest value"),
    "caic": ("min", "lowest value"),
    "sabic": ("min", "lowest value"),
    "gap": ("gap", "smallest k with Gap(k) >= Gap(k+1) - s(k+1) (Tibshirani 2001); k = 1 allowed"),
    "cophenetic": ("fall", "the largest k before the coefficient starts falling (Brunet 2004)"),
    "dispersion": ("max", "highest dispersion (Kim & Park 2007)"),
    "inertia_elbow": ("elbow", "elbow of the decreasing curve (Kneedle)"),
    "reconstruction_error_elbow": ("elbow", "elbow of the decreasing curve (Kneedle)"),
    "cost_elbow": ("elbow", "elbow of the decreasing curve (Kneedle)"),
    "varexpl_elbow": ("elbow_up", "elbow of the increasing curve (Kneedle)"),
    "prediction_strength": ("threshold", "largest k with prediction strength >= 0.8 (Tibshirani & Walther 2005)"),
    "bootstrap_ari": ("most_stable", "the most reproducible k: highest bootstrap ARI, the largest of equals "
                                     "(Fang & Wang 2012)"),
}
#: Tibshirani & Walther's cutoff: a k whose segments predict themselves in >= 80% of pairs.
STRENGTH_CUTOFF = 0.8
#: Monotone curves whose elbow is a criterion of its own: curve -> its elbow criterion.
ELBOWS = {"inertia": "inertia_elbow", "reconstruction_error": "reconstruction_error_elbow",
          "cost": "cost_elbow", "varexpl": "varexpl_elbow"}
#: Differences below this are rounding, not a fall of the cophenetic coefficient.
FALL_TOLERANCE = 1e-9
TIE_NOTE = "ties in the tally go to the smaller k (the simpler set of personas)"


def rule(criterion: str, gap_rule: str = "Tibs2001SEmax") -> str | None:
    """A criterion's rule in words, or None for curves that pick nothing."""
    if criterion == "gap" and gap_rule != "Tibs2001SEmax":
        return f"gap statistic, clusGap rule {gap_rule}"
    return RULES[criterion][1] if criterion in RULES else None


def pick(criterion: str, values, gap_rule: str = "Tibs2001SEmax") -> int | None:
    """The k that ``criterion``'s rule picks from its values over k; None when it picks nothing.

    Ties within a criterion go to the smaller k, except for a stability statistic's "most stable
    k": k values reproduced equally well (several perfect, ARI 1) go to the largest, whose
    partition refines the smaller ones and still reproduces. Only exact equals: with a tolerance
    of 0.01 a bootstrap pair that happened to split a blob the same way twice (ARI 0.993 at
    k = 5 of 4 blobs) outranked the planted k, and one resample in four answered a wrong k.
    Missing (NaN) values are skipped.
    """
    if criterion not in RULES:
        return None
    kind = RULES[criterion][0]
    if kind == "gap":
        frame = _gap_frame(values)
        if frame.empty:
            return None
        if gap_rule not in GAP_RULES:
            raise ValueError(f"unknown gap rule {gap_rule!r}; use one of {', '.join(GAP_RULES)}")
        return int(frame.index[max_se(frame["gap"], frame["sd"], gap_rule)])
    series = _series(values)
    if series.empty:
        return None
    if kind == "max":
        return int(series.idxmax())
    if kind == "most_stable":
        return int(series.index[series >= series.max() - 1e-12].max())
    if kind == "min":
        return int(series.idxmin())
    if kind == "elbow":
        return knee(series, curve="convex", direction="decreasing")
    if kind == "elbow_up":
        return knee(series, curve="concave", direction="increasing")
    if kind == "fall":
        return before_first_fall(series)
    if kind == "threshold":
        # No k reaching the cutoff is the paper's k = 1; as the gap's 1, the null band's call.
        strong = series[series >= STRENGTH_CUTOFF - 1e-12]
        return int(strong.index.max()) if len(strong) else None
    raise AssertionError(kind)


def before_first_fall(series: pd.Series) -> int | None:
    """The last k before the curve first falls, i.e. the smallest k with value(k) > value(k+1):
    Brunet's "where the cophenetic coefficient begins to fall"; None if it never falls.

    Equal values (two perfectly stable k) are a plateau, not a fall, and the plateau's smallest k
    is picked (as ties go elsewhere: the simpler set of personas; R's NMF values then give the
    same pick). The alternative reading, the k before the largest drop, was rejected: after a
    clear peak the coefficient often declines in many small steps, and the largest of those
    decides nothing.
    """
    values = series.to_numpy()
    falls = -np.diff(values) > FALL_TOLERANCE
    if not falls.any():
        return None
    i = int(np.argmax(falls))
    while i > 0 and abs(values[i - 1] - values[i]) <= FALL_TOLERANCE:
        i -= 1
    return int(series.index[i])


def tally(picks: Mapping[str, int | None], excluded: Iterable[int] = ()) -> dict[int, int]:
    """Votes per k: each criterion with a pick votes for it, unless that k is excluded
    (marked by a business limit). Ordered by k.

    The gap statistic may pick k = 1; that pick is reported but not counted: whether there is
    any structure at all is the null band's call, and with the ties going to the smaller k a
    lone vote for 1 would otherwise win every vote where the other criteria disagree."""
    excluded = {int(k) for k in excluded}
    counts = Counter(int(k) for k in picks.values() if k is not None and int(k) >= 2 and int(k) not in excluded)
    return dict(sorted(counts.items()))


def vote(picks: Mapping[str, int | None], excluded: Iterable[int] = ()) -> int | None:
    """The most voted k (as NbClust's majority rule); ties go to the smaller k; None without
    votes."""
    counts = tally(picks, excluded)
    if not counts:
        return None
    most = max(counts.values())
    return min(k for k, n in counts.items() if n == most)


# -- accepted shapes of "values over k" ----------------------------------------------------------


def _series(values) -> pd.Series:
    if isinstance(values, pd.DataFrame):
        frame = values.set_index("k") if "k" in values.columns else values
        values = frame["value"]
    series = values if isinstance(values, pd.Series) else pd.Series(dict(values), dtype=float)
    series = series.astype(float).dropna()
    series.index = series.index.astype(int)
    return series.sort_index()


def _gap_frame(values) -> pd.DataFrame:
    if isinstance(values, pd.DataFrame):
        frame = values.set_index("k") if "k" in values.columns else values
        frame = frame.rename(columns={"value": "gap"})[["gap", "sd"]]
    else:
        frame = pd.DataFrame.from_dict(dict(values), orient="index", columns=["gap", "sd"])
    frame = frame.astype(float).dropna()
    frame.index = frame.index.astype(int)
    return frame.sort_index()

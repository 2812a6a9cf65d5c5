"""What sets a segment apart: per column, the segment against everybody (traits) and against the
rest (descriptor tests), on weighted rows.

Traits describe (effect size and share); they are not evidence, since the segments were built from
the same columns. :mod:`.holdout` says which of them hold up on rows the segmentation never saw.

A :class:`Column` is read once (category codes, or numbers) and then compared with many segments,
so 100 personas over a wide table stay cheap: each comparison is one pass over the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.dictionary import DataDictionary
from ..features import as_category_text, is_category
from .model import Labelled, Trait
from .stats import Summary, cohens_h, mean_ci, share_ci, summarise

#: A trait smaller than this (|SMD| or |Cohen's h|) is a "small" effect by Cohen's convention.
MIN_EFFECT = 0.2
#: A trait needs at least this many of the segment's rows behind it (rows having the level).
MIN_SUPPORT = 10
#: Marks a trait confirmed on held-out rows, on cards and in exports.
CONFIRMED = "✓"
#: Category levels compared per column at most (the most common ones): a free-form column with
#: thousands of levels would only add noise and multiple tests.
MAX_LEVELS = 20
MISSING = "(missing)"


@dataclass(frozen=True)
class Comparison(Labelled):
    """One column (or one level of it) in a segment, in the rest and in everybody."""

    feature: str
    kind: str  # "numeric" or "category"
    level: str | None
    segment: Summary
    rest: Summary | None
    population: Summary
    label: str = ""  # the column's label and unit in the data dictionary, "" when none
    unit: str = ""

    @property
    def ci(self) -> tuple[float | None, float | None]:
        return share_ci(self.segment) if self.kind == "category" else mean_ci(self.segment)


class Column:
    """A feature or descriptor column, prepared for comparing segments with everybody.

    ``category`` says a column of numbers is a category (its declared type: Kidhome's 0, 1, 2);
    ``dictionary`` gives its label and unit to the traits' texts."""

    def __init__(self, series: pd.Series, weight: np.ndarray, *, category: bool | None = None,
                 dictionary: DataDictionary | None = None):
        self.name = str(series.name)
        dictionary = dictionary or DataDictionary()
        self.label = dictionary.labels.get(self.name, "")
        self.unit = dictionary.unit(self.name)
        self.weight = np.asarray(weight, dtype=float)
        category = is_category(series) if category is None else category or pd.api.types.is_bool_dtype(series)
        self.kind = "category" if category else "numeric"
        if self.kind == "numeric":
            self.numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            self.population = summarise(self.numbers, self.weight)
            return
        # A yes/no column keeps "True"/"False"; numbers read as categories keep whole codes ("2").
        text = (series.astype("string").fillna(MISSING) if pd.api.types.is_bool_dtype(series)
                else pd.Series(as_category_text(series), index=series.index))
        codes, levels = pd.factorize(text, sort=True)
        self.codes, self.levels = codes, [str(v) for v in levels]
        level_weight = np.bincount(codes, weights=self.weight, minlength=len(levels))
        # For a yes/no column "True" (or 1) says it all; "False" (0) would repeat it mirrored.
        yes = next((v for v in ("True", "1") if v in self.levels), None)
        if yes is not None and set(self.levels) - {MISSING} <= {"True", "False", "1", "0"}:
            keep = [self.levels.index(yes)]
        else:
            keep = list(np.argsort(-level_weight, kind="stable")[:MAX_LEVELS])
        self.keep = [int(i) for i in keep]
        self.population = self._shares(np.ones(len(codes), dtype=bool))

    def compare(self, inside: np.ndarray) -> list[Comparison]:
        """The segment ``inside`` (a boolean mask) against the rest and everybody."""
        if self.kind == "numeric":
            seg = summarise(self.numbers[inside], self.weight[inside])
            if seg is None or self.population is None:
                return []
            rest = summarise(self.numbers[~inside], self.weight[~inside])
            return [Comparison(self.name, "numeric", None, seg, rest, self.population, self.label, self.unit)]
        seg, rest = self._shares(inside), self._shares(~inside)
        if seg is None:
            return []
        return [
            Comparison(self.name, "category", self.levels[i], seg[i], rest and rest[i], self.population[i],
                       self.label, self.unit)
            for i in self.keep
        ]

    def _shares(self, rows: np.ndarray) -> dict[int, Summary] | None:
        w = self.weight[rows]
        total = w.sum()
        if total <= 0:
            return None
        n_eff = float(total**2 / (w**2).sum())
        codes = self.codes[rows]
        level_weight = np.bincount(codes, weights=w, minlength=len(self.levels))
        level_rows = np.bincount(codes, minlength=len(self.levels))
        out = {}
        for i in self.keep:
            # Summed weights can land a hair above the total: a share of 1.0000000002 has no sd.
            p = float(min(level_weight[i] / total, 1.0))
            out[i] = Summary(p, float(np.sqrt(p * (1 - p))), n_eff, int(level_rows[i]))
        return out


def trait(c: Comparison) -> Trait:
    """A :class:`Trait` from a comparison: effect on one standardised scale, with its CI."""
    seg, pop = c.segment.value, c.population.value
    low, high = c.ci
    if c.kind == "numeric":
        effect = (seg - pop) / c.population.sd if c.population.sd > 0 else 0.0
        return Trait(
            feature=c.feature, kind="numeric", value=seg, population=pop, effect=float(effect),
            text=c.versus(seg, pop),
            ci_low=low, ci_high=high, support=c.segment.rows, label=c.label, unit=c.unit,
        )
    return Trait(
        feature=c.feature, kind="category", value=seg, population=pop, effect=cohens_h(seg, pop),
        level=c.level, lift=seg / pop if pop else None,
        text=c.versus(seg, pop),
        ci_low=low, ci_high=high, support=c.segment.rows, label=c.label, unit=c.unit,
    )


def is_trait(t: Trait) -> bool:
    """Large enough, on enough rows. Descriptive only: the segments were built from these columns,
    so an interval excluding the overall value would pass on any segmentation, structure-free data
    included; whether a difference holds up is tested on held-out rows (:mod:`.holdout`)."""
    return abs(t.effect) >= MIN_EFFECT and t.support >= MIN_SUPPORT


def traits_note(traits: list[Trait]) -> str:
    """One line, under the traits on a card, saying how they were chosen and what the mark means."""
    line = f"Traits: largest gaps to everybody (|effect| ≥ {MIN_EFFECT}), descriptive: the personas were built on them"
    if any(t.q_value is not None for t in traits):
        return line + f". {CONFIRMED} held on held-out rows (BH q < 0.05)."
    return line + "; not tested on held-out rows."


def segment_traits(columns: list[Column], inside: np.ndarray, n: int) -> list[Trait]:
    """The ``n`` traits that most set the segment apart, largest |effect| first."""
    found = [trait(c) for column in columns for c in column.compare(inside)]
    found = [t for t in found if is_trait(t)]
    found.sort(key=lambda t: (-abs(t.effect), t.feature, t.level or ""))
    return found[:n]

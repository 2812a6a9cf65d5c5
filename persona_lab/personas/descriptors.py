"""Descriptor profiles: columns not used for segmenting (revenue, churn, channel), profiled per
persona the way market segmentation studies validate segments.

Each persona's value (mean, or share of a level) comes with a 95% confidence interval and a test
against the rest of the rows: Welch's t test for numbers, a two-proportion z test per category
level. All persona x descriptor tests of a set are corrected together (Benjamini-Hochberg), and a
difference counts as significant when its q-value is below :data:`ALPHA`.
"""

from __future__ import annotations

import numpy as np

from .model import Descriptor
from .stats import benjamini_hochberg, two_proportion_p, welch_p
from .traits import Column, Comparison

ALPHA = 0.05


def profile_descriptors(columns: list[Column], labels: np.ndarray, k: int) -> list[list[Descriptor]]:
    """Per persona 0..k-1, its descriptor profiles; q-values over the whole set of tests."""
    comparisons = [[c for column in columns for c in column.compare(labels == p)] for p in range(k)]
    flat = [c for per_persona in comparisons for c in per_persona]
    q_values = iter(benjamini_hochberg([_p_value(c) for c in flat]))
    return [[_descriptor(c, next(q_values)) for c in per_persona] for per_persona in comparisons]


def _p_value(c: Comparison) -> float | None:
    if c.rest is None:
        return None
    test = welch_p if c.kind == "numeric" else two_proportion_p
    return test(c.segment, c.rest)


def _descriptor(c: Comparison, q: float | None) -> Descriptor:
    low, high = c.ci
    value, pop = c.segment.value, c.population.value
    significant = q is not None and q < ALPHA
    text = c.versus(value, pop)
    if q is not None:
        text += f" (q = {q:.2g}{', significant' if significant else ''})"
    return Descriptor(
        feature=c.feature, kind=c.kind, level=c.level, value=value, ci_low=low, ci_high=high,
        population=pop, p_value=_p_value(c), q_value=q, significant=significant, text=text, label=c.label,
        unit=c.unit,
    )

"""Which trait differences hold up on rows the segmentation never saw.

A trait compares a segment with everybody on a column the segments were built from, so the
difference is there by construction: k-means splits structure-free Gaussian data into regions that
differ on every column (Gao, Bien and Witten 2022, "Selective inference for hierarchical
clustering", JASA). Testing it on the same rows double-dips. Here:

1. the rows are split in two halves (seeded); the method is fitted on the first half and the second
   half is assigned to those segments with :meth:`assign`;
2. on the held-out half, each segment's weighted mean of every prepared column (the share of a
   category level) is compared with the rest's;
3. held-out rows are still assigned by their own values, so a fixed partition of structure-free
   data also shows differences. The same partition is therefore applied to :data:`N_REFERENCE`
   structure-free stand-ins for the held-out half (a Gaussian with its mean and covariance,
   category codes shuffled, as the null band of :mod:`persona_lab.assess.null`), carrying the
   same weights; the observed difference is scored against their differences (z, two-sided, on
   a t distribution since the null spread is estimated);
4. Benjamini-Hochberg runs over every segment x column (x level) tested, the whole family fixed
   before the held-out rows are looked at.

A difference counts as confirmed when q < :data:`ALPHA` and it points the same way as the trait on
the card. The reference is Gaussian, as the noise model of Gao et al.'s test: columns far from
normal after preparation (a uniform column) can differ from it with many rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..assess.null import reference_prepared
from ..assess.resampling import half_split
from ..assess.stability import subset_prepared
from ..agreement import match_segments
from ..errors import PersonaLabError
from ..features import BinEncoder, CategoryEncoder
from ..methods.base import SegmentationMethod
from ..prepare import Prepared
from ..seeding import child_seeds, sample_rows
from .stats import benjamini_hochberg

ALPHA = 0.05
#: Structure-free stand-ins of the held-out half: enough for a stable null mean and spread.
N_REFERENCE = 40
#: Below this many rows a half cannot both fit the segments and test them.
MIN_ROWS = 40
#: The held-out half is tested on at most this many rows (seeded): assigning the stand-ins is the
#: cost, and 5,000 rows already detect differences far below the card's smallest trait.
MAX_TEST_ROWS = 5000


@dataclass(frozen=True)
class Test:
    """One column of the prepared matrix, or one category level of a column of codes."""

    feature: str
    level: str | None
    column: int
    code: float | None = None  # a level's code in a column of codes; None: the column's values

    def values(self, X: np.ndarray) -> np.ndarray:
        column = X[:, self.column]
        return column if self.code is None else (column == self.code).astype(float)


@dataclass(frozen=True)
class HeldOut:
    """Per (persona id, feature, level): the Benjamini-Hochberg q and the signed z."""

    results: dict[tuple[int, str, str | None], tuple[float, float]]
    note: str = ""

    def confirmed(self, persona: int, feature: str, level: str | None, effect: float) -> tuple[float | None, bool]:
        """(q, whether the held-out half confirms a difference in the direction of ``effect``)."""
        found = self.results.get((persona, feature, level))
        if found is None:
            return None, False
        q, z = found
        return q, bool(q < ALPHA and np.sign(z) == np.sign(effect) and effect != 0)


def held_out_tests(frame: pd.DataFrame, prepared: Prepared, method: SegmentationMethod, seed: int = 0,
                   reference: str = "gaussian") -> HeldOut:
    """Test every persona's column differences on a held-out half (see the module docstring)."""
    n = prepared.n_rows
    k = method.n_segments_
    if k < 2:
        return HeldOut({}, "not tested on held-out rows: one segment has nothing to differ from")
    if n < 2 * MIN_ROWS:
        return HeldOut({}, f"not tested on held-out rows: {n} rows are too few to split")
    split_seed, fit_seed, test_seed, reference_seed = child_seeds(seed, 4)
    fit_rows, test_rows = half_split(n, split_seed, 0)
    try:
        half = method.clone().fit(subset_prepared(prepared, fit_rows, row_labels=False),
                                  k=method.requested_k(k), seed=fit_seed)
    except PersonaLabError as exc:
        return HeldOut({}, f"not tested on held-out rows: the method could not be fitted on half of them ({exc.what})")
    # Persona ids are the full fit's: each is tested as the half fit's segment sharing most rows.
    persona_of = {segment: persona for persona, segment in
                  match_segments(np.asarray(method.labels_)[fit_rows], half.labels_).items()}
    drawn = sample_rows(test_rows.size, test_seed, MAX_TEST_ROWS)
    test_rows = test_rows if drawn is None else test_rows[np.sort(drawn)]
    held = subset_prepared(prepared, test_rows, row_labels=False)
    weight = np.asarray(held.size_weight, dtype=float)
    tests = _tests(frame, prepared)
    observed = _differences(held.X, half.assign(held.X), weight, tests, persona_of)
    null = np.stack([
        _differences(X, half.assign(X), weight, tests, persona_of)
        for X in (reference_prepared(held, method, reference, s).X for s in child_seeds(reference_seed, N_REFERENCE))
    ])
    # A segment no stand-in row reaches has no null spread: that test is left out.
    seen = np.isfinite(null).sum(axis=0)
    filled = np.where(np.isfinite(null), null, 0.0)
    centre = filled.sum(axis=0) / np.maximum(seen, 1)
    spread = np.sqrt(((filled - centre) ** 2 * np.isfinite(null)).sum(axis=0) / np.maximum(seen - 1, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where((seen >= N_REFERENCE // 2) & (spread > 0), (observed - centre) / spread, np.nan)
    keys, p_values, signs = [], [], []
    for (persona, t), value in np.ndenumerate(z):
        if np.isfinite(value):
            keys.append((persona, tests[t].feature, tests[t].level))
            p_values.append(float(2 * stats.t.sf(abs(value), N_REFERENCE - 1)))
            signs.append(float(value))
    q_values = benjamini_hochberg(p_values)
    return HeldOut({key: (q, z) for key, q, z in zip(keys, q_values, signs)})


def _tests(frame: pd.DataFrame, prepared: Prepared) -> list[Test]:
    """What can be tested per prepared column, named as traits name their column and level."""
    tests, position = [], 0
    kept = prepared.feature_mask if prepared.feature_mask is not None else np.ones(prepared.X.shape[1], bool)
    column_of = np.cumsum(kept) - 1
    for encoder in prepared.encoders:
        for name in encoder.names:
            j, position = position, position + 1
            if not kept[j]:
                continue
            column = int(column_of[j])
            if isinstance(encoder, CategoryEncoder) and encoder.codes:
                tests += [Test(encoder.column, level, column, float(code)) for code, level in enumerate(encoder.levels)]
            elif isinstance(encoder, CategoryEncoder):
                level = name[len(encoder.column) + 1:]
                if not (level == "other" and name == encoder.names[-1]):
                    tests.append(Test(encoder.column, level, column))
            else:
                # A yes/no column is a number here (0/1) and a "True" share on the card; a binned
                # number is tested by its (ordered) bin.
                boolean = not isinstance(encoder, BinEncoder) and pd.api.types.is_bool_dtype(frame[encoder.column])
                tests.append(Test(encoder.column, "True" if boolean else None, column))
    return tests


def _differences(X: np.ndarray, labels: np.ndarray, weight: np.ndarray, tests: list[Test],
                 persona_of: dict[int, int]) -> np.ndarray:
    """personas x tests: the segment's weighted mean minus the rest's (NaN when either is empty)."""
    values = np.column_stack([t.values(X) for t in tests]) if tests else np.empty((X.shape[0], 0))
    n_personas = max(persona_of.values(), default=-1) + 1
    out = np.full((n_personas, len(tests)), np.nan)
    total_weight, total = weight.sum(), weight @ values
    for segment, persona in persona_of.items():
        inside = labels == segment
        w_in = weight[inside].sum()
        if w_in <= 0 or w_in >= total_weight:
            continue
        sums = weight[inside] @ values[inside]
        out[persona] = sums / w_in - (total - sums) / (total_weight - w_in)
    return out

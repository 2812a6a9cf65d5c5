"""Personas per time period and how they change from one period to the next.

APG's persona stability studies compared personas month to month. Here the data is split by a
date (or period) column, the same method and k are fitted to each period, and the personas of
consecutive periods are matched one to one when their profiles' cosine is at least 0.8. A
profile lives in one space for all periods: for a table, the persona's centre in the common
space prepared on all rows; for an APG matrix, its content mix over all items.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..agreement import match_profiles
from ..data.apg import interaction_matrix
from ..data.dataset import Dataset
from ..errors import PersonaLabError
from ..methods.base import hard_memberships
from ..pipeline import PersonaRun, run
from ..prepare import COMMON_SPACE, prepare

#: Profiles at least this similar (cosine) are the same persona in two periods.
MATCH_COSINE = 0.8
FREQUENCIES = {"W": "week", "M": "month", "Q": "quarter", "Y": "year"}


@dataclass
class PeriodTransition:
    before: str
    after: str
    matches: list[tuple[int, int, float]]  # (persona id before, persona id after, cosine)
    n_before: int
    n_after: int

    @property
    def share_matched(self) -> float:
        """Share of the earlier period's personas found again in the later one."""
        return len(self.matches) / self.n_before if self.n_before else float("nan")

    def to_dict(self) -> dict:
        return {
            "before": self.before, "after": self.after, "share_matched": round(self.share_matched, 6),
            "matches": [{"before": i, "after": j, "cosine": round(c, 6), "drift": round(1 - c, 6)} for i, j, c in self.matches],
        }


@dataclass
class PeriodPersonas:
    column: str
    frequency: str | None
    periods: list[str]
    runs: dict[str, PersonaRun] = field(repr=False)
    transitions: list[PeriodTransition]
    skipped: dict[str, str]  # period -> why it was not fitted

    def table(self) -> pd.DataFrame:
        """One row per persona per period: name, share, and its match in the previous period."""
        previous = {(t.after, j): (i, c) for t in self.transitions for i, j, c in t.matches}
        rows = []
        for period in self.periods:
            for p in self.runs[period].personas.personas:
                match = previous.get((period, p.id))
                rows.append({
                    "period": period, "persona_id": p.id, "persona": p.name, "share": p.share,
                    "matched_previous": None if match is None else match[0],
                    "drift": None if match is None else 1 - match[1],
                })
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        return {
            "column": self.column, "frequency": self.frequency, "periods": self.periods,
            "personas": {p: [{"id": q.id, "name": q.name, "share": round(q.share, 6)} for q in self.runs[p].personas.personas]
                         for p in self.periods},
            "transitions": [t.to_dict() for t in self.transitions],
            "skipped": self.skipped, "match_cosine": MATCH_COSINE,
        }


def period_labels(values: pd.Series, frequency: str | None = "M") -> tuple[pd.Series, str | None]:
    """Each row's period: dates grouped by ``frequency``, or the column's own values as periods."""
    dates = pd.to_datetime(values, errors="coerce", format="mixed") if not pd.api.types.is_numeric_dtype(values) else None
    if dates is not None and dates.notna().mean() >= 0.9 and frequency:
        if frequency not in FREQUENCIES:
            raise PersonaLabError(f"Unknown period length {frequency!r}", fix=f"Use one of {', '.join(FREQUENCIES)}")
        return dates.dt.to_period(frequency).astype("string"), frequency
    return values.astype("string"), None


def personas_by_period(
    dataset: Dataset, method: str, k: int | None, *, seed: int = 0, column: str | None = None,
    frequency: str | None = "M", min_rows: int | None = None, params: dict | None = None, progress=None,
) -> PeriodPersonas:
    column = column or _date_column(dataset)
    labels, frequency = period_labels(dataset.frame[column], frequency)
    periods = sorted(p for p in labels.dropna().unique())
    if len(periods) < 2:
        raise PersonaLabError(
            f"The column {column!r} holds fewer than two periods", where=dataset.name,
            fix="Choose a shorter period length (e.g. weeks) or another date column",
        )
    roles = {**dataset.roles, column: "date"}
    profile_space = _profile_space(dataset)
    runs, skipped = {}, {}
    needed = min_rows or 10 * (k or 2)
    for i, period in enumerate(periods):
        if progress:
            progress(i / len(periods), f"fitting period {period}")
        rows = (labels == period).to_numpy()
        if rows.sum() < needed:
            skipped[period] = f"{int(rows.sum())} rows, fewer than {needed}"
            continue
        part = replace(dataset, frame=dataset.frame.loc[rows].reset_index(drop=True), roles=roles,
                       name=f"{dataset.name} [{period}]")
        try:
            runs[period] = run(part, method, k, seed=seed, params=params)
        except PersonaLabError as exc:
            skipped[period] = exc.one_line()
    fitted = [p for p in periods if p in runs]
    transitions = []
    for before, after in zip(fitted, fitted[1:]):
        A, ids_a = profile_space(runs[before], labels == before)
        B, ids_b = profile_space(runs[after], labels == after)
        matches = [(ids_a[i], ids_b[j], c) for i, j, c in match_profiles(A, B, MATCH_COSINE)]
        transitions.append(PeriodTransition(before, after, matches, len(ids_a), len(ids_b)))
    if progress:
        progress(1.0, "done")
    return PeriodPersonas(column, frequency, fitted, runs, transitions, skipped)


def _date_column(dataset: Dataset) -> str:
    dates = dataset.columns("date")
    if not dates:
        raise PersonaLabError(
            "The data has no date or period column", where=dataset.name,
            fix="Give a column the role 'date' to see personas per period",
        )
    return dates[0]


def _profile_space(dataset: Dataset):
    """A function (run of one period, its rows) -> (profiles, persona ids) in one shared space."""
    if dataset.kind == "interactions":
        items = interaction_matrix(dataset).item_ids

        def content_mix(period_run: PersonaRun, rows) -> tuple[np.ndarray, list[int]]:
            matrix, model = period_run.prepared.matrix, period_run.method
            m = model.memberships_ if model.memberships_ is not None else hard_memberships(model.labels_, model.n_segments_)
            mix = pd.DataFrame(m.T @ matrix.V, columns=matrix.item_ids).reindex(columns=items, fill_value=0.0)
            return mix.to_numpy(), list(range(model.n_segments_))

        return content_mix
    common = prepare(dataset, COMMON_SPACE).X

    def centre(period_run: PersonaRun, rows) -> tuple[np.ndarray, list[int]]:
        X, labels = common[np.asarray(rows)], period_run.method.labels_
        ids = [s for s in range(period_run.method.n_segments_) if (labels == s).any()]
        # Centres relative to all rows' mean (0 in z-scores): cosine then compares directions.
        return np.array([X[labels == s].mean(axis=0) for s in ids]), ids

    return centre

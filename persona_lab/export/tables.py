"""JSON and CSV exports: ``personas.json`` and ``assignments.csv``.

Both are byte-identical across reruns with the same data, settings and seed (no timestamps,
rounded floats, fixed column order). CSV cells that a spreadsheet would run as a formula are
neutralised (OWASP's advice: prefix with a single quote).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..personas.model import PersonaSet
from .atomic import atomic_write

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text cell a spreadsheet will show as text, never evaluate."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_cell(value):
    """``safe_cell``, with every line break as "\n": csv quotes fields holding the line
    terminator but not a lone CR, which a spreadsheet would still take as the end of a row."""
    value = safe_cell(value)
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


def assignments_frame(row_labels, labels: np.ndarray, memberships: np.ndarray | None, persona_set: PersonaSet) -> pd.DataFrame:
    """Row (id or APG group) -> persona id, persona name and membership of that persona.

    Unassigned rows have an empty persona id and the name "unassigned"; rows of a persona not in
    ``persona_set`` (withheld for privacy: too few rows) an empty id and the name "withheld", so
    that the file names no persona the other exports leave out. Without soft memberships the
    membership is 1 for the row's own segment.
    """
    names = {p.id: p.name for p in persona_set.personas}
    labels = np.asarray(labels, dtype=int)
    assigned = labels >= 0
    shown = np.isin(labels, list(names))
    if memberships is None:
        membership = assigned.astype(float)
    else:
        membership = np.where(assigned, memberships[np.arange(labels.size), np.clip(labels, 0, None)], 0.0)
    return pd.DataFrame(
        {
            "row": [str(r) for r in row_labels],
            "persona_id": pd.Series(labels, dtype="Int64").where(shown),
            "persona": [names.get(int(x), "withheld") if x >= 0 else "unassigned" for x in labels],
            "membership": np.round(membership, 6),
        }
    )


def csv_text(frame: pd.DataFrame) -> str:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_csv_cell)
    safe.columns = [_csv_cell(str(c)) for c in safe.columns]
    return safe.to_csv(index=False, lineterminator="\n", float_format="%.6g")


def write_csv(frame: pd.DataFrame, path) -> Path:
    return atomic_write(path, csv_text(frame))


def write_json(persona_set: PersonaSet, path) -> Path:
    return atomic_write(path, persona_set.to_json())

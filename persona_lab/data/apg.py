"""The APG interaction matrix V (demographic groups x content items) from a dataset.

Long form (``demographic..., item, value`` rows) is pivoted, summing duplicate rows and filling
missing (group, item) cells with 0; wide form already has one row per group and one ``feature``
column per item. NMF needs V non-negative and finite, so anything else is refused here, where
the user can still be told which cell is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import PersonaLabError
from .dataset import Dataset

GROUP_SEPARATOR = " | "
MISSING_LABEL = "(missing)"


@dataclass
class InteractionMatrix:
    """Counts of interactions of demographic groups (rows) with content items (columns)."""

    V: np.ndarray  # groups x items, float64, non-negative
    groups: pd.DataFrame  # one row per group: its demographic columns; index = group label
    items: (
        pd.DataFrame
    )  # index = item ids (str); item descriptor columns (title, topic), maybe none
    warnings: list[str] = field(default_factory=list)

    @property
    def group_labels(self) -> list[str]:
        return [str(label) for label in self.groups.index]

    @property
    def item_ids(self) -> list[str]:
        return [str(item) for item in self.items.index]


def interaction_matrix(dataset: Dataset) -> InteractionMatrix:
    """Build V from an ``"interactions"`` dataset, long or wide form."""
    if dataset.kind != "interactions":
        raise PersonaLabError(
            "This dataset is a table of entities, not an interaction matrix",
            where=dataset.name,
            fix="Set the kind to 'interactions' and give the demographic, item and value columns",
        )
    demographics = dataset.columns("demographic")
    if not demographics:
        raise PersonaLabError(
            "No demographic column to form the groups (rows) of the interaction matrix",
            where=dataset.name,
            fix="Give one or more columns (age group, gender, country...) the role 'demographic'",
        )
    frame = dataset.frame
    group_keys = _group_keys(frame, demographics)
    if dataset.columns("item") or dataset.columns("value"):
        matrix = _from_long(dataset, demographics, group_keys)
    else:
        matrix = _from_wide(dataset, demographics, group_keys)
    return _drop_empty(matrix, dataset.name)


def _group_keys(frame: pd.DataFrame, demographics: list[str]) -> pd.DataFrame:
    """Demographic values as strings, so that groups sort and print the same whatever the dtype."""
    keys = frame[demographics].astype(object)
    keys = keys.where(keys.notna(), MISSING_LABEL).map(_as_label)
    return keys


def _as_label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 25.0 (an int column with missing values) -> "25"
    return str(value).strip()


def _only_column(dataset: Dataset, role: str) -> str:
    columns = dataset.columns(role)
    if len(columns) != 1:
        found = f"{len(columns)} ({', '.join(map(repr, columns))})" if columns else "none"
        raise PersonaLabError(
            f"The long form needs exactly one {role!r} column, found {found}",
            where=dataset.name,
            fix=f"Give exactly one column the role {role!r}",
        )
    return columns[0]


def _counts(series: pd.Series, column: str, where: str, warnings: list[str]) -> np.ndarray:
    """The column as non-negative finite floats; missing counts are no interactions (0)."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        numbers = pd.to_numeric(series, errors="coerce")
        bad = numbers.isna() & series.notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise PersonaLabError(
                f"Column {column!r} must hold counts, but row {row + 1} holds {series.iloc[row]!r}",
                where=where,
                fix="Pick a numeric column of counts (views, interactions) or clean the column",
            )
        series = numbers
    values = series.to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    if missing.any():
        warnings.append(f"{int(missing.sum())} missing values in {column!r} counted as 0")
        values = np.where(missing, 0.0, values)
    infinite = np.flatnonzero(~np.isfinite(values))
    if infinite.size:
        raise PersonaLabError(
            f"Column {column!r} holds an infinite count in row {infinite[0] + 1}",
            where=where,
            fix="Replace or remove the infinite values",
        )
    negative = np.flatnonzero(values < 0)
    if negative.size:
        raise PersonaLabError(
            f"Column {column!r} holds {negative.size} negative count(s), the first in row "
            f"{negative[0] + 1} ({values[negative[0]]:g}); NMF needs non-negative counts",
            where=where,
            fix="Remove the rows with negative values, or use a method other than NMF "
            "(e.g. kmeans) on this data",
        )
    return values


def _from_long(dataset: Dataset, demographics: list[str], keys: pd.DataFrame) -> InteractionMatrix:
    item, value = _only_column(dataset, "item"), _only_column(dataset, "value")
    frame, warnings = dataset.frame, []
    counts = _counts(frame[value], value, dataset.name, warnings)
    has_item = frame[item].notna().to_numpy()
    if not has_item.all():
        warnings.append(f"Dropped {int((~has_item).sum())} rows without an item in {item!r}")
    item_ids = frame[item].map(_as_label).to_numpy()[has_item]
    keys = keys[has_item]
    counts = counts[has_item]
    # Groups in sorted order of their demographic values, items in order of first appearance.
    group_codes = keys.groupby(demographics, sort=True).ngroup().to_numpy()
    item_codes, item_index = pd.factorize(item_ids, sort=False)
    V = np.zeros((group_codes.max() + 1 if len(group_codes) else 0, len(item_index)))
    np.add.at(V, (group_codes, item_codes), counts)  # duplicate (group, item) rows are summed
    if len(keys) > len(pd.unique(group_codes * len(item_index) + item_codes)):
        warnings.append("Rows repeating a (group, item) pair were summed")
    groups = _groups_frame(keys, group_codes)
    items = _items_frame(
        frame.loc[has_item], item_ids, item_index, dataset.columns("descriptor"), item
    )
    return InteractionMatrix(V=V, groups=groups, items=items, warnings=warnings)


def _from_wide(dataset: Dataset, demographics: list[str], keys: pd.DataFrame) -> InteractionMatrix:
    features = dataset.columns("feature")
    if not features:
        raise PersonaLabError(
            "No item columns: the wide form needs one 'feature' column per content item",
            where=dataset.name,
            fix="Give the count columns the role 'feature', or give an 'item' and a 'value' "
            "column for the long form",
        )
    warnings: list[str] = []
    columns = [_counts(dataset.frame[c], c, dataset.name, warnings) for c in features]
    values = np.column_stack(columns)
    group_codes = keys.groupby(demographics, sort=True).ngroup().to_numpy()
    V = np.zeros((group_codes.max() + 1, len(features)))
    np.add.at(V, group_codes, values)
    if len(pd.unique(group_codes)) < len(group_codes):
        warnings.append("Rows with the same demographic values were summed into one group")
    items = pd.DataFrame(index=pd.Index([str(c) for c in features], name="item"))
    return InteractionMatrix(
        V=V, groups=_groups_frame(keys, group_codes), items=items, warnings=warnings
    )


def _groups_frame(keys: pd.DataFrame, group_codes: np.ndarray) -> pd.DataFrame:
    first = pd.Series(np.arange(len(group_codes))).groupby(group_codes).first().to_numpy()
    groups = keys.iloc[first].reset_index(drop=True)
    groups.index = pd.Index(groups.apply(GROUP_SEPARATOR.join, axis=1).tolist(), name="group")
    return groups


def _items_frame(
    frame: pd.DataFrame, item_ids: np.ndarray, item_index, descriptors: list[str], item: str
) -> pd.DataFrame:
    """Per item, its descriptors that are functionally dependent on it (one value per item)."""
    index = pd.Index([str(i) for i in item_index], name="item")
    items = pd.DataFrame(index=index)
    if not descriptors:
        return items
    by_item = frame[descriptors].set_axis(item_ids).groupby(level=0, sort=False)
    dependent = [c for c in descriptors if by_item[c].nunique(dropna=True).max() <= 1]
    if dependent:
        items = by_item[dependent].first().reindex(index)
        items.index.name = "item"
    return items


def _drop_empty(matrix: InteractionMatrix, where: str) -> InteractionMatrix:
    V = matrix.V
    if V.size == 0 or not V.any():
        raise PersonaLabError(
            "The interaction matrix is all zeros: there are no interactions to factorise",
            where=where,
            fix="Check that the value / feature columns hold the counts",
        )
    keep_groups, keep_items = V.sum(axis=1) > 0, V.sum(axis=0) > 0
    warnings = list(matrix.warnings)
    if not keep_groups.all():
        dropped = [
            label for label, keep in zip(matrix.group_labels, keep_groups, strict=True) if not keep
        ]
        warnings.append(
            f"Dropped {len(dropped)} group(s) without interactions: {_shorten(dropped)}"
        )
    if not keep_items.all():
        dropped = [
            label for label, keep in zip(matrix.item_ids, keep_items, strict=True) if not keep
        ]
        warnings.append(f"Dropped {len(dropped)} item(s) without interactions: {_shorten(dropped)}")
    return InteractionMatrix(
        V=np.ascontiguousarray(V[np.ix_(keep_groups, keep_items)], dtype=np.float64),
        groups=matrix.groups[keep_groups],
        items=matrix.items[keep_items],
        warnings=warnings,
    )


def _shorten(labels: list[str], limit: int = 5) -> str:
    shown = ", ".join(map(repr, labels[:limit]))
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")

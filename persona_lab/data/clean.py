"""Cleaning a freshly read table, whatever its format: names, nesting, number formats, extremes.

Each step takes the frame and a list to which it appends what it changed, in words for the
user (``frame.attrs["warnings"]`` later). Nothing here refuses a file: an odd cell becomes
missing or text with a warning, so that one bad column never blocks the rest of a table.
The readers' own shared steps (missing-value markers, numbers stored as text) are at the end.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd

#: Cell values read as missing, in every format.
MISSING_VALUES = ["NA", "N/A", "", "-", "?", "null", "NaN"]

#: Numbers beyond this size are read as missing: no measurement is that large, and squaring
#: them (variances, distances) would overflow to infinity.
LARGEST_NUMBER = 1e100

_QUALTRICS_IMPORT = re.compile(r'^\{\s*"ImportId"')
_CURRENCY = re.compile(r"[$€£¥]")
_FORMATTED_NUMBER = re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?")


def clean_table(frame: pd.DataFrame, warnings: list[str], *, spreadsheet: bool = False) -> pd.DataFrame:
    """Every cleaning step, in order; ``spreadsheet`` adds the Excel hint to empty columns."""
    frame = flatten_nested(frame, warnings)
    frame = clean_column_names(frame, warnings)
    frame = drop_qualtrics_rows(frame, warnings)
    frame = parse_formatted_numbers(frame, warnings)
    frame = tame_numbers(frame, warnings)
    note_empty_columns(frame, warnings, spreadsheet=spreadsheet)
    return frame


def _is_text(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series)


def flatten_nested(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Objects in cells (nested JSON, Parquet structs) become ``column.key`` columns; lists
    become their JSON text. Profiling and preparing need flat, hashable cells."""
    parts, expanded, as_text = [], [], []
    for position in range(frame.shape[1]):
        name, series = frame.columns[position], frame.iloc[:, position]
        if not _is_text(series):
            parts.append(series.rename(name))
            continue
        if series.map(lambda v: isinstance(v, dict)).any():
            records = [v if isinstance(v, dict) else {} for v in series]
            inner = pd.json_normalize(records).set_axis(frame.index)
            inner.columns = [f"{name}.{c}" for c in inner.columns]
            parts.extend(inner[c] for c in inner.columns)
            expanded.append(f"{str(name)!r} into {', '.join(map(repr, inner.columns))}")
            continue
        if series.map(lambda v: isinstance(v, (list, tuple, np.ndarray))).any():
            series = series.map(_as_json_text)
            as_text.append(repr(str(name)))
        parts.append(series.rename(name))
    if not expanded and not as_text:
        return frame
    flat = pd.concat(parts, axis=1) if parts else frame.iloc[:, :0]
    # Expanded parts may hold lists themselves (a list inside an object): one more pass.
    flat = flatten_nested(reinfer(flat), warnings) if expanded else flat
    if expanded:
        warnings.append("Nested values: expanded " + "; ".join(expanded))
    if as_text:
        warnings.append("Lists in cells kept as text: " + ", ".join(as_text))
    return flat


def _as_json_text(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return json.dumps(list(value), default=str, ensure_ascii=False)
    return value


def clean_column_names(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Blank names become ``column_<position>``, duplicates get ``.1``, ``.2``..."""
    names = [str(c).strip() if c is not None else "" for c in frame.columns]
    renamed = []
    for i, n in enumerate(names):
        if n == "" or n.lower() == "nan" or re.fullmatch(r"Unnamed: \d+", n):
            names[i] = f"column_{i + 1}"
            renamed.append(f"blank -> {names[i]!r}")
    seen = set(names)
    counts: dict[str, int] = {}
    for i, n in enumerate(names):
        if n not in counts:
            counts[n] = 0
            continue
        counts[n] += 1
        candidate = f"{n}.{counts[n]}"
        while candidate in seen:
            counts[n] += 1
            candidate = f"{n}.{counts[n]}"
        seen.add(candidate)
        names[i] = candidate
        renamed.append(f"{_short(n)!r} -> {_short(candidate)!r}")
    if renamed:
        warnings.append("Renamed blank or duplicate column names: " + ", ".join(renamed))
    frame.columns = names
    return frame


def _short(name: str, limit: int = 80) -> str:
    """A column name cut for messages: a 10,000-character name must not flood the screen."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def drop_qualtrics_rows(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Qualtrics puts question texts and ImportId JSON in the two rows under the header."""
    if len(frame) < 2:
        return frame
    third = frame.iloc[1].astype(str)
    if third.str.match(_QUALTRICS_IMPORT).mean() < 0.5:
        return frame
    warnings.append(
        "Qualtrics export: dropped the question-text and ImportId rows under the header"
    )
    return reinfer(frame.iloc[2:].reset_index(drop=True).astype(object))


def parse_formatted_numbers(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """'$1,234.50', '1,234' and '12%' -> numbers, in text columns made only of such values.

    Percentages stay in percent points (12% -> 12); a column mixing '%' and plain numbers is
    left as text, since which scale is meant cannot be told. The unit removed ('%', one currency
    symbol) goes into ``frame.attrs["units"]``, for the data dictionary.
    """
    converted = []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        present = series.dropna()
        if not _is_text(series) or present.empty or not present.map(lambda v: isinstance(v, str)).all():
            continue
        text = present.str.strip()
        percent = text.str.endswith("%")
        if percent.any() and not percent.all():
            continue
        core = text.str.removesuffix("%").str.replace(_CURRENCY, "", regex=True).str.strip()
        if not core.str.fullmatch(_FORMATTED_NUMBER).all():
            continue
        plain = core.str.replace(",", "", regex=False)
        if plain.equals(text):
            continue  # nothing was formatted: leave such columns to the readers' own parsing
        frame.isetitem(position, pd.to_numeric(plain).reindex(series.index))
        symbols = set(text.str.findall(_CURRENCY).sum())
        # The symbol taken off is the column's unit, so that "$32,364" reads so on the cards again.
        unit = "%" if percent.all() else (symbols.pop() if len(symbols) == 1 else "")
        if unit:
            frame.attrs["units"] = {**frame.attrs.get("units", {}), str(frame.columns[position]): unit}
        how = "percent points" if percent.all() else "currency or thousands separators removed"
        converted.append(f"{_short(str(frame.columns[position]))!r} ({how})")
    if converted:
        warnings.append("Read formatted numbers as numbers: " + ", ".join(converted))
    return frame


def tame_numbers(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """Infinite numbers and numbers beyond ``LARGEST_NUMBER`` become missing, with a warning."""
    notes = []
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if not pd.api.types.is_float_dtype(series):
            continue
        values = series.to_numpy(dtype=float, na_value=np.nan)
        infinite = np.isinf(values)
        huge = np.abs(np.where(infinite, 0, np.nan_to_num(values))) > LARGEST_NUMBER
        if not (infinite.any() or huge.any()):
            continue
        frame.isetitem(position, series.mask(infinite | huge))
        what = [f"{n:,} {kind}" for n, kind in ((infinite.sum(), "infinite"), (huge.sum(), "beyond ±1e100")) if n]
        notes.append(f"{' and '.join(what)} in {_short(str(frame.columns[position]))!r}")
    if notes:
        warnings.append(
            "Read as missing, as no measurement is infinite or that large (check how the file was made): "
            + "; ".join(notes)
        )
    return frame


def note_empty_columns(frame: pd.DataFrame, warnings: list[str], *, spreadsheet: bool = False) -> None:
    empty = [repr(_short(str(c))) for c in frame.columns[frame.isna().all(axis=0).to_numpy()]]
    if not empty or len(empty) == frame.shape[1]:
        return
    hint = (
        " (formulas whose results were never saved read as empty: open and save the workbook in Excel)"
        if spreadsheet
        else ""
    )
    warnings.append(f"Empty in every row, so not used: {', '.join(empty)}{hint}")


# --- shared by the readers (persona_lab.data.formats) ---------------------------------------------


def blank_to_missing(frame: pd.DataFrame) -> pd.DataFrame:
    """The missing-value markers CSV reading knows, for formats that keep them as strings."""
    markers = {m.lower() for m in MISSING_VALUES}
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if series.dtype != object and not pd.api.types.is_string_dtype(series):
            continue
        is_marker = series.map(lambda v: isinstance(v, str) and v.strip().lower() in markers)
        if is_marker.any():
            frame.isetitem(position, series.mask(is_marker.astype(bool)))
    return frame


def reinfer(frame: pd.DataFrame) -> pd.DataFrame:
    """Numbers for text columns whose values all parse as numbers (after dropping rows)."""
    frame = frame.infer_objects()
    for position in range(frame.shape[1]):
        series = frame.iloc[:, position]
        if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series):
            continue
        present = series.dropna()
        if present.empty or not all(isinstance(v, (str, int, float)) for v in present.iloc[:50]):
            continue
        numbers = pd.to_numeric(series.astype(object).where(series.notna()), errors="coerce")
        if numbers.notna().sum() == len(present):
            frame.isetitem(position, numbers)
    return frame

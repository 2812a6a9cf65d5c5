"""The data dictionary: what each column means (its label), what its numbers count (its unit), and
what its codes stand for (value labels).

A researcher's table says ``NumStorePurchases`` and ``32364``; a client reads "Purchases in store"
and "32,364 USD". Labels come from SPSS and Stata files (their variable and value labels), from a
small CSV (``column,label,unit,value_labels``) for any file, or from the Data page's table. Every
place that shows a column or one of its numbers goes through :meth:`DataDictionary.label` and
:meth:`DataDictionary.format_value`: cards' traits, the typing tool's questions, chart titles and
the exports, so a label given once shows everywhere.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import PersonaLabError

COLUMNS = ("column", "label", "unit", "value_labels")
#: Units written before the number ("$32,364"); every other unit follows it ("32,364 USD").
_PREFIX_UNITS = ("$", "€", "£", "¥")


#: Words that, in a column's name, label or unit, say that it holds calendar years (Year_Birth,
#: "Year of birth", BirthYear); "yearly" or "years_employed" are amounts, not dates.
_YEAR_WORDS = {"year", "yr", "yyyy"}
#: A calendar year as a column of years holds it: a birth year, a year of purchase.
_CALENDAR_YEARS = (1000, 2999)


def format_number(x: float) -> str:
    """A number as a card shows it: thousands separated, about three significant digits."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def says_year(*names: str) -> bool:
    """Whether a column's name, label or unit says that it holds calendar years."""
    words = set()
    for name in names:
        # Year_Birth, BirthYear, "Year of birth": snake, camel and plain words alike.
        spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", str(name or ""))
        words.update(w.lower() for w in re.split(r"[^A-Za-z]+", spaced) if w)
    return bool(words & _YEAR_WORDS)


def measure(x, column: str = "", label: str = "", unit: str = "") -> str:
    """A number of ``column`` as every card, chart and export shows it: with its unit
    ("32,364 USD"), and a calendar year as a year is written (1957, never "1,957") when the
    column's name, label or unit says year and the number is a plausible year."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if says_year(column, label, unit) and _CALENDAR_YEARS[0] <= float(x) <= _CALENDAR_YEARS[1]:
        return f"{float(x):.0f}"
    return with_unit(format_number(x), unit)


@dataclass(frozen=True)
class DataDictionary:
    """Labels, units and value labels by column name; a column it does not know shows as it is."""

    labels: dict[str, str] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    #: {column: {code as text: label}}, e.g. {"Kidhome": {"0": "none", "1": "one"}}.
    value_labels: dict[str, dict[str, str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.labels or self.units or self.value_labels)

    def label(self, column) -> str:
        """The column's label, else its name."""
        return self.labels.get(str(column)) or str(column)

    def unit(self, column) -> str:
        return self.units.get(str(column), "")

    def title(self, column) -> str:
        """The label with its unit, for axis titles and table headers: "Yearly income (USD)"."""
        unit = self.unit(column)
        return f"{self.label(column)} ({unit})" if unit else self.label(column)

    def format_value(self, column, value) -> str:
        """One value of ``column`` as it is shown: a number with its unit, a code as its label."""
        if _missing(value):
            return "–"
        codes = self.value_labels.get(str(column), {})
        if codes and _code(value) in codes:
            return codes[_code(value)]
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            return str(value)
        return measure(float(value), str(column), self.labels.get(str(column), ""), self.unit(column))

    def format_range(self, column, low, high) -> str:
        """Two numbers of ``column`` as a range, a unit that follows numbers said once ("37-54
        years", "15,000-45,000 USD"; "$37-$54"; "1957-1979")."""
        ends = [self.format_value(column, x) for x in (low, high)]
        unit = self.unit(column)
        suffix = "%" if unit == "%" else f" {unit}"
        if unit and unit not in _PREFIX_UNITS and all(e.endswith(suffix) for e in ends):
            return f"{ends[0][:-len(suffix)]}-{ends[1]}"
        return f"{ends[0]}-{ends[1]}"

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` with value labels in place of codes (codes without a label kept as text)."""
        changed = {c: m for c, m in self.value_labels.items() if c in frame.columns and m}
        if not changed:
            return frame
        frame = frame.copy()
        for column, codes in changed.items():
            series = frame[column]
            frame[column] = series.map(lambda v, codes=codes: v if _missing(v) else codes.get(_code(v), _code(v)))
        return frame

    def merged(self, other: "DataDictionary") -> "DataDictionary":
        """This dictionary with ``other``'s entries on top (a user's labels over a file's)."""
        return DataDictionary(
            {**self.labels, **other.labels}, {**self.units, **other.units},
            {**self.value_labels, **other.value_labels},
        )

    def for_columns(self, columns) -> "DataDictionary":
        """Only the entries of ``columns``."""
        keep = {str(c) for c in columns}
        return DataDictionary(
            {c: v for c, v in self.labels.items() if c in keep},
            {c: v for c, v in self.units.items() if c in keep},
            {c: v for c, v in self.value_labels.items() if c in keep},
        )

    # -- as a table (the CSV, the Data page's editor, the workspace) ----------------------------

    def to_frame(self, columns=None) -> pd.DataFrame:
        """One row per column (``columns``, else every column it knows): column, label, unit,
        value_labels ("1=yes; 2=no")."""
        names = [str(c) for c in columns] if columns is not None else sorted(
            set(self.labels) | set(self.units) | set(self.value_labels))
        rows = [{
            "column": c,
            "label": self.labels.get(c, ""),
            "unit": self.units.get(c, ""),
            "value_labels": "; ".join(f"{k}={v}" for k, v in self.value_labels.get(c, {}).items()),
        } for c in names]  # fmt: skip
        return pd.DataFrame(rows, columns=list(COLUMNS))

    @classmethod
    def from_frame(cls, table: pd.DataFrame, where: str = "the data dictionary") -> "DataDictionary":
        """From a table with a ``column`` column and any of label, unit, value_labels."""
        table = table.rename(columns=lambda c: str(c).strip().lower().replace(" ", "_"))
        if "column" not in table.columns:
            raise PersonaLabError(
                "The data dictionary has no 'column' column", where=where,
                fix="Give it the header column,label,unit,value_labels (label, unit and value_labels optional)",
            )
        unknown = [c for c in table.columns if c not in COLUMNS]
        if unknown:
            raise PersonaLabError(
                f"The data dictionary has unknown columns: {', '.join(map(repr, unknown))}", where=where,
                fix="Use column,label,unit,value_labels",
            )
        labels, units, values = {}, {}, {}
        for row in table.itertuples(index=False):
            entry = row._asdict()
            column = _text(entry.get("column"))
            if not column:
                continue
            if label := _text(entry.get("label")):
                labels[column] = label
            if unit := _text(entry.get("unit")):
                units[column] = unit
            if codes := _text(entry.get("value_labels")):
                values[column] = _parse_value_labels(codes, column, where)
        return cls(labels, units, values)

    @classmethod
    def from_csv(cls, source) -> "DataDictionary":
        """From a CSV file (a path or bytes): column,label,unit,value_labels."""
        where = Path(source).name if isinstance(source, (str, Path)) else "the data dictionary"
        try:
            raw = Path(source).read_bytes() if isinstance(source, (str, Path)) else bytes(source)
        except OSError as exc:
            raise PersonaLabError(f"The data dictionary cannot be read ({exc.strerror})", where=str(source),
                                  fix="Check the path of the labels file") from exc
        try:
            table = pd.read_csv(io.StringIO(raw.decode("utf-8-sig")), dtype=str, keep_default_na=False,
                                sep=None, engine="python")
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
            raise PersonaLabError(
                "The data dictionary is not a readable CSV file", where=where,
                fix="Save it as UTF-8 CSV with the header column,label,unit,value_labels",
            ) from exc
        return cls.from_frame(table, where)

    def to_json(self) -> dict:
        return {"labels": dict(self.labels), "units": dict(self.units),
                "value_labels": {c: dict(m) for c, m in self.value_labels.items()}}

    @classmethod
    def from_json(cls, data: dict | None) -> "DataDictionary":
        data = data or {}
        return cls(dict(data.get("labels", {})), dict(data.get("units", {})),
                   {c: dict(m) for c, m in data.get("value_labels", {}).items()})


def with_unit(text: str, unit: str) -> str:
    """ "32,364" and "USD" -> "32,364 USD"; "$" goes first, "%" sticks to the number."""
    if not unit:
        return text
    if unit in _PREFIX_UNITS:
        return f"-{unit}{text[1:]}" if text.startswith("-") else f"{unit}{text}"
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}"


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _code(value) -> str:
    """A code as text, whole numbers without ".0": 1, 1.0 and "1" are the same code."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _text(value) -> str:
    return "" if value is None or _missing(value) else str(value).strip()


def _parse_value_labels(text: str, column: str, where: str) -> dict[str, str]:
    """ "1=yes; 2=no" (or "|"-separated) -> {"1": "yes", "2": "no"}."""
    out = {}
    for part in text.replace("|", ";").split(";"):
        if not part.strip():
            continue
        code, sep, label = part.partition("=")
        if not sep or not code.strip():
            raise PersonaLabError(
                f"Value labels of {column!r} cannot be read: {part.strip()!r}", where=where,
                fix='Write them as code=label separated by ";", e.g. "0=none; 1=one; 2=two or more"',
            )
        out[_code(code.strip())] = label.strip()
    return out

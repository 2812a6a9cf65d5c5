"""Reading a table from a path or an upload, whatever its format, into a clean DataFrame.

Everything a user can get wrong about a file ends in :class:`PersonaLabError`; things worth
knowing but not fatal (renamed columns, dropped Qualtrics rows) are collected as strings in
``frame.attrs["warnings"]``.

The per-format readers are in :mod:`persona_lab.data.formats`; this module gets the bytes (a
path, bytes or an upload, gzip or not), decides their format, and cleans what was read.
"""

from __future__ import annotations

import gzip
import os
import re
import zlib
from pathlib import Path

import pandas as pd

from ..errors import PersonaLabError
from .clean import clean_table
from .dataset import Dataset
from .dictionary import DataDictionary
from .formats import MISSING_VALUES, read_format, sheet_names, sniff_format

__all__ = ["MISSING_VALUES", "dataset_from_frame", "list_sheets", "load_dataset", "read_table", "source_name"]

_EXTENSIONS = {
    "text": ".csv .tsv .txt .tab .dat",
    "excel": ".xlsx .xlsm",
    "parquet": ".parquet .pq",
    "json": ".json .jsonl .ndjson",
    "spss": ".sav .zsav",
    "stata": ".dta",
}
_FORMATS = {ext: fmt for fmt, exts in _EXTENSIONS.items() for ext in exts.split()}


def read_table(
    source,
    *,
    name: str | None = None,
    sep: str | None = None,
    sheet: str | int | None = None,
    columns: list[str] | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
    skip_rows: int = 0,
) -> pd.DataFrame:
    """Read ``source`` (a path, bytes or a binary file-like such as an upload) into a DataFrame.

    The format comes from the file name's extension (``name`` for uploads), else from the
    content. ``header_row`` (1-based; None: detected) and ``skip_rows`` (rows under the header
    to leave out) apply to CSV/text and Excel. Warnings are in ``frame.attrs["warnings"]``; the
    file's own labels and units (SPSS/Stata labels, "$" or "%" taken off numbers) in
    ``frame.attrs["dictionary"]`` (:meth:`DataDictionary.to_json`).
    """
    raw, label = _read_bytes(source, name)
    raw, label = _gunzip(raw, label)
    fmt = _detect_format(raw, label)
    frame = read_format(raw, label, fmt, sep=sep, sheet=sheet, encoding=encoding,
                        header_row=header_row, skip_rows=int(skip_rows or 0))
    warnings: list[str] = list(frame.attrs.get("warnings", []))
    sheet_read = frame.attrs.get("sheet")
    dictionary = DataDictionary.from_json(frame.attrs.get("dictionary"))
    frame = clean_table(frame, warnings, spreadsheet=fmt == "excel")
    dictionary = DataDictionary(units=dict(frame.attrs.get("units", {}))).merged(dictionary)
    if len(frame) == 0:
        raise PersonaLabError(
            "The file has column names but no rows of data",
            where=label,
            fix="Check that you picked the right file (or sheet)",
        )
    if columns is not None:
        frame = _keep_columns(frame, columns, label)
    frame.attrs.update(warnings=warnings, sheet=sheet_read,
                       dictionary=dictionary.for_columns(frame.columns).to_json())
    frame.attrs.pop("units", None)
    return frame


def list_sheets(source, name: str | None = None) -> list[str]:
    """Names of the sheets of an Excel workbook, in the workbook's order."""
    raw, label = _read_bytes(source, name)
    return sheet_names(raw, label)


# --- getting the bytes -----------------------------------------------------------------------


def source_name(source, name: str | None = None) -> str:
    """A file name to show and to take the extension from."""
    if name:
        return str(name)
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return str(getattr(source, "name", None) or "uploaded data")


def _read_bytes(source, name: str | None) -> tuple[bytes, str]:
    label = source_name(source, name)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise PersonaLabError(
                f"File not found: {str(path)!r}",
                fix="Check the path and the spelling of the file name",
            )
        if path.is_dir():
            raise PersonaLabError(
                f"{str(path)!r} is a folder, not a file",
                fix="Give the path of a data file inside it",
            )
        raw = path.read_bytes()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif hasattr(source, "getvalue"):  # Streamlit UploadedFile, BytesIO: whatever was read
        raw = bytes(source.getvalue())
    elif hasattr(source, "read"):
        raw = source.read()
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
    else:
        raise PersonaLabError(
            f"Cannot read data from a {type(source).__name__}",
            fix="Give a file path, bytes or an uploaded file",
        )
    if not raw.strip():
        raise PersonaLabError(
            "The file is empty",
            where=label,
            fix="Upload a file with a header row and at least one row of data",
        )
    return raw, label


def _gunzip(raw: bytes, label: str) -> tuple[bytes, str]:
    if not (label.lower().endswith(".gz") or raw[:2] == b"\x1f\x8b"):
        return raw, label
    try:
        inner = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise PersonaLabError(
            f"The gzip file cannot be decompressed ({exc})",
            where=label,
            fix="The file is probably truncated or damaged: download it again",
        ) from exc
    if not inner.strip():
        raise PersonaLabError("The file is empty", where=label, fix="Check the compressed file")
    return inner, label[:-3] if label.lower().endswith(".gz") else label


def _detect_format(raw: bytes, label: str) -> str:
    suffix = Path(label).suffix.lower()
    if suffix in _FORMATS:
        return _FORMATS[suffix]
    if suffix == ".xls" or raw[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise PersonaLabError(
            "Old Excel .xls files are not supported",
            where=label,
            fix="Save the workbook as .xlsx or CSV in Excel and load that",
        )
    if suffix and suffix not in (".gz",) and not re.fullmatch(r"\.\d+", suffix):
        known = ", ".join(sorted(set(_FORMATS) | {".gz"}))
        raise PersonaLabError(
            f"Unknown file type {suffix!r}", where=label, fix=f"Use one of {known}"
        )
    return sniff_format(raw) or "text"


# --- choosing columns -----------------------------------------------------------------------


def _keep_columns(frame: pd.DataFrame, columns: list[str], label: str) -> pd.DataFrame:
    wanted = [str(c).strip() for c in columns]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        available = list(frame.columns)
        shown = ", ".join(map(repr, available[:30])) + (" ..." if len(available) > 30 else "")
        raise PersonaLabError(
            f"Column{'s' if len(missing) > 1 else ''} not in the data: "
            + ", ".join(map(repr, missing)),
            where=label,
            fix=f"Available columns: {shown}",
        )
    return frame[wanted]


# --- dataset ---------------------------------------------------------------------------------


def load_dataset(
    source,
    *,
    name: str | None = None,
    kind: str | None = None,
    roles: dict[str, str] | None = None,
    types: dict[str, str] | None = None,
    dictionary: "DataDictionary | str | os.PathLike | None" = None,
    **read_options,
) -> Dataset:
    """Read ``source`` and infer its kind, column roles and types; ``kind``, ``roles`` and
    ``types`` override. ``dictionary`` (a :class:`DataDictionary` or the path of a labels CSV)
    labels the columns on top of the file's own labels; its value labels replace codes."""
    frame = read_table(source, name=name, **read_options)
    label = source_name(source, name)
    dataset = dataset_from_frame(frame, label, kind=kind, roles=roles, types=types, dictionary=dictionary)
    usable = {"interactions": ("feature", "item", "value"), "entities": ("feature",)}[dataset.kind]
    if not any(dataset.columns(role) for role in usable):
        sheet = frame.attrs.get("sheet")
        raise PersonaLabError(
            "No column can be used for segmenting" + _why_no_column(frame),
            where=f"{label}, sheet {sheet!r}" if sheet is not None else label,
            fix="Give at least one column the role 'feature' (or, for an interaction matrix, "
            "an 'item' and a 'value' column)" + (", or choose another sheet" if sheet is not None else ""),
        )
    return dataset


def dataset_from_frame(
    frame: pd.DataFrame,
    label: str,
    *,
    kind: str | None = None,
    roles: dict[str, str] | None = None,
    types: dict[str, str] | None = None,
    dictionary: "DataDictionary | str | os.PathLike | None" = None,
) -> Dataset:
    """A :class:`Dataset` of a table :func:`read_table` read: labels, types, kind and roles."""
    from .profile import TYPES, infer_roles, profile_columns

    own = DataDictionary.from_json(frame.attrs.get("dictionary"))
    given = DataDictionary.from_csv(dictionary) if isinstance(dictionary, (str, os.PathLike)) else dictionary
    if given:
        frame = given.apply(frame)
        own = own.merged(given)
    profile = profile_columns(frame)
    inferred_kind, inferred = infer_roles(frame, profile, kind=kind)
    inferred.update(roles or {})
    declared = dict(zip(profile["column"].astype(str), profile["type"]))
    for column, declared_type in (types or {}).items():
        if declared_type not in TYPES:
            raise PersonaLabError(f"Unknown type {declared_type!r} for column {column!r}",
                                  fix=f"Use one of {', '.join(TYPES)}")
        declared[str(column)] = declared_type
    return Dataset(
        frame=frame,
        roles=inferred,
        kind=inferred_kind,
        name=label,
        warnings=tuple(frame.attrs.get("warnings", [])),
        types=declared,
        dictionary=own.for_columns(frame.columns),
    )


def _why_no_column(frame: pd.DataFrame) -> str:
    """The reason when it is the rows, not the columns: one row, or no column that varies."""
    if len(frame) < 2:
        return ": the data has a single row, and personas need rows that differ"
    if (frame.nunique(dropna=True) <= 1).all():
        return ": every column holds the same value in every row"
    return ""

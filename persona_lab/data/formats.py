"""The per-format readers: bytes of a known format in, a raw DataFrame out.

:func:`read_format` turns the bytes of a text (CSV), Excel, Parquet, JSON, SPSS or Stata file
into a DataFrame: decoding and delimiter sniffing for text, decimal commas in ';' files, the
first non-empty Excel sheet, JSON records or lines, and the missing-value markers of
:data:`~persona_lab.data.clean.MISSING_VALUES` in every format. :func:`sheet_names` lists an
Excel workbook's sheets. Getting the bytes and deciding the format is :mod:`persona_lab.data.load`'s
job; cleaning the result (names, nesting, number formats) is :mod:`persona_lab.data.clean`'s.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from pathlib import Path
from typing import NoReturn

import pandas as pd

from ..errors import PersonaLabError
from .clean import MISSING_VALUES, blank_to_missing, reinfer
from .dictionary import DataDictionary
from .header import BODY_ROWS, MAX_TITLE_ROWS, check_options, filled, header_index, take_rows, title_note


_FORMAT_NAMES = {
    "text": "a text (CSV) file",
    "excel": "an Excel workbook",
    "parquet": "a Parquet file",
    "json": "a JSON file",
    "spss": "an SPSS file",
    "stata": "a Stata file",
}
_DELIMITERS = [",", ";", "\t", "|"]
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?([eE][+-]?\d+)?$")


def read_format(
    raw: bytes,
    label: str,
    fmt: str,
    *,
    sep: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    header_row: int | None = None,
    skip_rows: int = 0,
) -> pd.DataFrame:
    """Read ``raw``, the bytes of a ``fmt`` file ("text", "excel", "parquet", "json", "spss"
    or "stata"), into a DataFrame; ``label`` names the file in error messages.

    ``sep`` and ``encoding`` apply to text (``encoding`` to JSON too), ``sheet`` (a name or
    a 0-based number; by default the first non-empty sheet) to Excel; ``header_row`` (1-based;
    None: the first row, or the row under an obvious title) and ``skip_rows`` (rows under the
    header to leave out) to text and Excel (:mod:`persona_lab.data.header`).
    """
    if fmt not in ("text", "excel") and (header_row is not None or skip_rows):
        raise PersonaLabError(
            "A header row and rows to skip apply to CSV/text and Excel files only",
            where=label, fix="Leave the header row and rows to skip empty for this file",
        )
    if fmt == "text":
        return _read_text(raw, label, sep=sep, encoding=encoding, header_row=header_row, skip_rows=skip_rows)
    if fmt == "excel":
        return _read_excel(raw, label, sheet, header_row=header_row, skip_rows=skip_rows)
    if fmt == "parquet":
        return _read_parquet(raw, label)
    if fmt == "json":
        return _read_json(raw, label, encoding)
    if fmt in ("spss", "stata"):
        return _read_stat(raw, label, fmt)
    raise ValueError(f"Unknown format {fmt!r}")


def sheet_names(raw: bytes, label: str) -> list[str]:
    """Names of the sheets of the Excel workbook ``raw``, in the workbook's order."""
    workbook = _open_workbook(raw, label)
    names = list(workbook.sheetnames)
    workbook.close()
    return names


def sniff_format(raw: bytes) -> str | None:
    """The format the content says it is, from its first bytes; None when it looks like text."""
    head = raw[:16]
    if head.startswith(b"PK\x03\x04"):
        return "excel"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith((b"$FL2", b"$FL3")):
        return "spss"
    if head.startswith(b"<stata_dta>"):
        return "stata"
    text = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "json"
    return None


# --- text ------------------------------------------------------------------------------------


def _decode(raw: bytes, label: str, encoding: str | None) -> str:
    """The given encoding, else by BOM, else UTF-8, Windows-1252, Latin-1 (never fails)."""
    if encoding:
        try:
            return raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise PersonaLabError(
                f"The file cannot be decoded as {encoding} ({exc})",
                where=label,
                fix="Leave the encoding empty to detect it",
            ) from exc
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16", errors="replace")
    if utf16 := _utf16_without_bom(raw):
        return raw.decode(utf16, errors="replace")
    _refuse_binary(raw, label)
    # Windows-1252 before Latin-1: it is what Excel on Windows writes, and curly quotes and
    # the euro sign would otherwise become control characters.
    for fallback in ("utf-8", "cp1252"):
        try:
            return raw.decode(fallback)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def _utf16_without_bom(raw: bytes) -> str | None:
    """'UTF-16-LE' when every other byte is NUL (ASCII-range text), like Excel's Unicode text."""
    head = raw[:4096]
    even, odd = (
        head[0::2].count(0) / max(1, len(head[0::2])),
        head[1::2].count(0) / max(1, len(head[1::2])),
    )
    if len(raw) % 2 == 0 and max(even, odd) > 0.9 and min(even, odd) < 0.05:
        return "utf-16-le" if odd > even else "utf-16-be"
    return None


def _refuse_binary(raw: bytes, label: str) -> None:
    head = raw[:8192]
    control = sum(head.count(bytes([b])) for b in (*range(0, 9), *range(14, 32)))
    sniffed = sniff_format(raw)
    if control > max(1, len(head) // 100) or sniffed not in (None, "json"):
        hint = (
            f"It looks like {_FORMAT_NAMES[sniffed]}: give it the right extension"
            if sniffed
            else "Export the data as CSV, Excel, Parquet, JSON, SPSS or Stata"
        )
        raise PersonaLabError("The file is binary, not readable text", where=label, fix=hint)


def _sniff_delimiter(text: str) -> tuple[str, float]:
    """(the delimiter splitting the first lines into the same number (> 1) of fields, the share
    of those lines with the header's number of fields)."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_score = ",", (0.0, 1)
    for delim in _DELIMITERS:
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        # The header's width must be the common width: it holds no decimal commas.
        score = (sum(w == widths[0] for w in widths) / len(widths), widths[0])
        if score > best_score:
            best, best_score = delim, score
    return best, (best_score[0] if best_score[1] > 1 else 1.0)


def _cut_to_header(text: str, sep: str | None, header_row: int | None, skip_rows: int,
                   label: str) -> tuple[str, list[str]]:
    """``text`` from its header line on, less ``skip_rows`` lines under it; notes for the user."""
    lines = text.splitlines(keepends=True)
    check_options(header_row, skip_rows, len(lines), label)
    notes = []
    if header_row is not None:
        header = int(header_row) - 1
    else:
        header = _text_header(lines, sep)
        title = " ".join(line.strip() for line in lines[:header] if line.strip())
        if header and title:
            notes.append(title_note(header, title))
    if header == 0 and not skip_rows:
        return text, notes
    return "".join(take_rows(lines, header, skip_rows)), notes


def _text_header(lines: list[str], sep: str | None) -> int:
    """The header line: the first one, unless a title above it is obvious under a delimiter that
    the lines from the header on agree on."""
    head = lines[: MAX_TITLE_ROWS + 1 + BODY_ROWS]
    first = sep or _sniff_delimiter("".join(head))[0]
    for delim in [first] if sep else [first, *(d for d in _DELIMITERS if d != first)]:
        try:
            counts = [filled(row) for row in csv.reader(head, delimiter=delim)]
        except csv.Error:
            continue
        header = header_index(counts)
        if any(counts[:header]):  # a title above the header
            if sep or _sniff_delimiter("".join(head[header:]))[0] == delim:
                return header
        elif delim == first and counts and counts[header] >= 2:
            return 0
    return 0


def _read_text(raw: bytes, label: str, *, sep: str | None, encoding: str | None,
               header_row: int | None = None, skip_rows: int = 0) -> pd.DataFrame:
    text = _decode(raw, label, encoding)
    text, notes = _cut_to_header(text, sep, header_row, skip_rows, label)
    sniffed = sep is None
    if sniffed:
        sep, agreeing = _sniff_delimiter(text)
    frame = _read_csv_frame(text, sep, label)
    if sniffed and agreeing < 0.8:
        # pandas pads short rows with missing values: a file mixing separators would load as
        # a table whose rows are half empty.
        raise PersonaLabError(
            f"Only {agreeing:.0%} of the first lines split into as many fields as the header "
            f"at {sep!r}: the file seems to mix separators",
            where=label,
            fix="Save it again with one separator (the persona-lab command reads it as it is with --sep)",
        )
    # pandas mangles duplicate names ("a", "a.1") and blanks ("Unnamed: 2"): take the raw
    # header so that renaming (and its warning) happens in one place. newline="" lets csv see
    # old Mac line ends (CR only) as line ends.
    lines = io.StringIO(text.lstrip("\r\n"), newline="")
    try:
        header = next(csv.reader(lines, delimiter=sep, skipinitialspace=True), [])
    except csv.Error:
        header = []
    if len(header) == frame.shape[1]:
        frame.columns = header
    if sep == ";":
        frame = _convert_decimal_commas(frame)
    frame.attrs["warnings"] = notes
    return frame


def _read_csv_frame(text: str, sep: str, label: str) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.StringIO(text), sep=sep, na_values=MISSING_VALUES, skipinitialspace=True
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        _raise_csv_error(exc, label, sep)


def _raise_csv_error(exc: Exception, label: str, sep: str) -> NoReturn:
    if isinstance(exc, pd.errors.EmptyDataError):
        raise PersonaLabError(
            "The file has no columns",
            where=label,
            fix="Check that it is a CSV file with a header row",
        ) from exc
    detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    raise PersonaLabError(
        f"The file cannot be read as a table ({detail})",
        where=label,
        fix=f"Check that every row has as many fields as the header (separator {sep!r}), "
        "or give the separator explicitly",
    ) from exc


def _convert_decimal_commas(frame: pd.DataFrame) -> pd.DataFrame:
    """'1,5' -> 1.5 in columns made only of decimal-comma numbers (';' files from Europe)."""
    for col in frame.columns:
        series = frame[col]
        if pd.api.types.is_numeric_dtype(series):
            continue
        values = series.dropna().astype(str).str.strip()
        if values.empty or not values.str.contains(",").any():
            continue
        if values.str.fullmatch(_DECIMAL_COMMA).all():
            cleaned = series.astype(str).str.strip().str.replace(".", "", regex=False)
            frame[col] = pd.to_numeric(
                cleaned.str.replace(",", ".", regex=False).where(series.notna())
            )
    return frame


# --- binary formats --------------------------------------------------------------------------


def _open_workbook(raw: bytes, label: str):
    import openpyxl

    if not raw.startswith(b"PK\x03\x04"):
        raise PersonaLabError(
            "The file is not an Excel workbook",
            where=label,
            fix="Open it in Excel and save it as .xlsx, or export it as CSV",
        )
    try:
        return openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises KeyError, BadZipFile, InvalidFileException...
        raise PersonaLabError(
            "The file is a zip archive but not an Excel workbook",
            where=label,
            fix="Open it in Excel and save it as .xlsx, or export it as CSV",
        ) from exc


def _sheet_rows(workbook, sheet_name: str) -> list[list]:
    """Every row up to the last filled one, empty ones included: row numbers are the sheet's."""
    rows = [list(r) for r in workbook[sheet_name].iter_rows(values_only=True)]
    while rows and not filled(rows[-1]):
        rows.pop()
    return rows


def _pick_sheet(names: list[str], sheet: str | int, label: str) -> str:
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if -len(names) <= sheet < len(names):
            return names[sheet]
        raise PersonaLabError(
            f"The workbook has no sheet number {sheet}",
            where=label,
            fix=f"Sheets are numbered from 0; it has {', '.join(map(repr, names))}",
        )
    if str(sheet) in names:
        return str(sheet)
    raise PersonaLabError(
        f"The workbook has no sheet {sheet!r}",
        where=label,
        fix=f"Pick one of {', '.join(map(repr, names))}",
    )


def _read_excel(raw: bytes, label: str, sheet: str | int | None, *, header_row: int | None = None,
                skip_rows: int = 0) -> pd.DataFrame:
    workbook = _open_workbook(raw, label)
    names = workbook.sheetnames
    # By default the first sheet holding anything: workbooks often open on a notes sheet.
    candidates = names if sheet is None else [_pick_sheet(names, sheet, label)]
    rows = []
    for candidate in candidates:
        rows = _sheet_rows(workbook, candidate)
        if rows:
            break
    every_sheet_empty = not rows and not any(_sheet_rows(workbook, n) for n in names if n not in candidates)
    workbook.close()
    if every_sheet_empty:
        raise PersonaLabError(
            "Every sheet of the workbook is empty", where=label, fix="Check that you picked the right workbook"
        )
    if not rows:  # only a chosen sheet can be empty when another one is not
        raise PersonaLabError(
            "The sheet is empty",
            where=f"{label}, sheet {candidates[0]!r}",
            fix=f"Pick another sheet: {', '.join(map(repr, names))}",
        )
    warnings = []
    if sheet is None and len(names) > 1:
        warnings.append(
            f"Read sheet {candidate!r}, the first that is not empty, of {', '.join(map(repr, names))}: "
            "choose another sheet to read that one"
        )
    check_options(header_row, skip_rows, len(rows), f"{label}, sheet {candidate!r}")
    header = int(header_row) - 1 if header_row is not None else header_index([filled(r) for r in rows[:200]])
    title = " ".join(str(v).strip() for r in rows[:header] for v in r if v is not None and str(v).strip())
    if header_row is None and title:
        warnings.append(title_note(header, title))
    rows = take_rows(rows, header, skip_rows)
    rows = rows[:1] + [r for r in rows[1:] if filled(r)]
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(rows[1:], columns=range(width))
    # The header is set after construction so that duplicate names reach the one renaming step.
    frame.columns = ["" if v is None else str(v) for v in rows[0]]
    frame = reinfer(blank_to_missing(frame))
    frame.attrs.update(warnings=warnings, sheet=candidate)
    return frame


def _read_parquet(raw: bytes, label: str) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError... on a damaged file
        raise PersonaLabError(
            "The file is not a valid Parquet file",
            where=label,
            fix="Export the data to Parquet again, or use CSV",
        ) from exc
    return blank_to_missing(frame.reset_index(drop=isinstance(frame.index, pd.RangeIndex)))


def _read_json(raw: bytes, label: str, encoding: str | None) -> pd.DataFrame:
    text = _decode(raw, label, encoding).strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as whole_error:
        data = _json_lines(text, label, whole_error)
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        if len(data) == 1 and lists and all(isinstance(r, dict) for r in lists[0]):
            data = lists[0]  # {"data": [records]}
    try:
        if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
            frame = pd.json_normalize(data)
        elif isinstance(data, dict) and all(isinstance(v, (list, dict)) for v in data.values()):
            frame = pd.DataFrame(data)
        else:
            raise ValueError("not a table")
    except ValueError as exc:
        raise PersonaLabError(
            "The JSON file does not hold a table",
            where=label,
            fix="Use an array of records ([{...}, ...]), JSON lines or "
            "an object of equally long column arrays",
        ) from exc
    return reinfer(blank_to_missing(frame))


def _json_lines(text: str, label: str, whole_error: json.JSONDecodeError) -> list:
    lines = [line for line in text.splitlines() if line.strip()]
    records = []
    for number, line in enumerate(lines, start=1):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            error = whole_error if number == 1 or len(lines) == 1 else exc
            where = f"{label}, line {error.lineno if error is whole_error else number}"
            raise PersonaLabError(
                f"The JSON is broken: {error.msg}",
                where=where,
                fix="Fix the file (a missing comma, quote or bracket?) or export it again",
            ) from exc
    return records


def _read_stat(raw: bytes, label: str, fmt: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "spss" else pyreadstat.read_dta
    # pyreadstat only reads paths: uploads (and decompressed files) go through a temporary file.
    handle, path = tempfile.mkstemp(suffix=".sav" if fmt == "spss" else ".dta")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(raw)
        frame, meta = reader(path, apply_value_formats=True, formats_as_category=False)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise PersonaLabError(
            f"The file cannot be read as {_FORMAT_NAMES[fmt]} ({exc})",
            where=label,
            fix="Save it again from SPSS / Stata, or export it as CSV",
        ) from exc
    finally:
        Path(path).unlink(missing_ok=True)
    frame = blank_to_missing(frame)
    # The file's variable labels ("Number of children at home"); value labels are applied above.
    labels = {str(c): str(t).strip() for c, t in (meta.column_names_to_labels or {}).items() if t and str(t).strip()}
    frame.attrs["dictionary"] = DataDictionary(labels=labels).to_json()
    return frame

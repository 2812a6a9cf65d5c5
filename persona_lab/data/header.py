"""Where a table starts: its header row, and rows to skip under it.

Spreadsheets made for people put a title ("Customer survey 2024"), a date or a note above the
column names, and sometimes a row of units or question texts under them. The header row and the
rows to skip are reading options (``header_row``, 1-based as a spreadsheet numbers its rows, and
``skip_rows``); when no header row is given, a title is skipped only where it is obvious: the rows
above the header hold at most one filled cell each (less than half the header's), the header row
is the first holding several, and the rows under it are as full.
"""

from __future__ import annotations

from ..errors import PersonaLabError

#: Title rows looked for above the header, at most.
MAX_TITLE_ROWS = 10
#: Rows under a candidate header that must be as full as a table's rows are.
BODY_ROWS = 50


def filled(row) -> int:
    """Cells holding something (not None, not blank)."""
    return sum(1 for v in row if v is not None and str(v).strip() != "")


def header_index(counts: list[int]) -> int:
    """0-based index of the header among rows with ``counts`` filled cells: the first row that is
    not empty, unless the first rows are obviously a title (see the module's docstring)."""
    first = next((i for i, n in enumerate(counts) if n), 0)
    if not counts or counts[first] >= 2:
        return first
    for i in range(first, min(len(counts), first + MAX_TITLE_ROWS + 1)):
        n = counts[i]
        if n < 2:
            continue
        above = max(counts[first:i])
        body = [c for c in counts[i + 1 : i + 1 + BODY_ROWS] if c]
        full = bool(body) and sum(c * 2 > n for c in body) >= 0.8 * len(body)
        return i if n >= 3 and above * 2 < n and full else first
    return first


def check_options(header_row: int | None, skip_rows: int, n_rows: int, label: str) -> None:
    """Refuse a header row or rows to skip that the file cannot have."""
    if header_row is not None and not 1 <= int(header_row) <= n_rows:
        raise PersonaLabError(
            f"The header row is {header_row}, but the file has {n_rows} row{'s' if n_rows != 1 else ''}",
            where=label,
            fix=f"Give a header row from 1 to {n_rows}, or leave it empty to detect it",
        )
    if int(skip_rows) < 0:
        raise PersonaLabError(
            f"Rows to skip must be 0 or more, got {skip_rows}", where=label,
            fix="Give the number of rows under the header to skip (units, question texts)",
        )


def take_rows(rows: list, header: int, skip_rows: int) -> list:
    """The header row and the rows under it, less the first ``skip_rows`` of them."""
    return [rows[header], *rows[header + 1 + int(skip_rows):]]


def title_note(header: int, title: str) -> str:
    """The warning saying a title was skipped, and how to read the file otherwise."""
    shown = title if len(title) <= 60 else title[:59] + "…"
    rows = "row 1" if header == 1 else f"rows 1-{header}"
    return (f"Read the column names from row {header + 1}: {rows} above look like a title "
            f"({shown!r}) and were skipped; set the header row to read the file otherwise")

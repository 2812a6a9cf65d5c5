"""Reading options for messy files: the header row and rows to skip, detected under an obvious
title (persona_lab.data.header, the CSV and Excel readers, the command line)."""

from __future__ import annotations

import pytest

from persona_lab.cli import main
from persona_lab.data import read_table
from persona_lab.data.header import header_index
from persona_lab.errors import PersonaLabError

from helpers import titled_workbook as write_titled_workbook

HEADER = ["ID", "gender", "age", "spend", "visits"]


def _rows(n: int = 30) -> list[list]:
    return [[1000 + i, ("male", "female")[i % 2], 20 + i % 40, (i * 37) % 101, i % 9] for i in range(n)]


@pytest.fixture
def titled_workbook(tmp_path):
    path = tmp_path / "survey.xlsx"
    write_titled_workbook(path, "Customer survey 2024, wave 2", HEADER, _rows())
    return path


def test_an_excel_title_row_is_skipped_and_said(titled_workbook):
    frame = read_table(titled_workbook)
    assert list(frame.columns) == HEADER
    assert len(frame) == 30 and frame["spend"].dtype.kind in "iu"
    note = next(w for w in frame.attrs["warnings"] if "row 3" in w)
    assert "Customer survey 2024" in note and "header row" in note
    assert not any("Renamed blank" in w for w in frame.attrs["warnings"])


def test_the_header_row_given_is_used_without_a_note(titled_workbook):
    frame = read_table(titled_workbook, header_row=3)
    assert list(frame.columns) == HEADER
    assert not any("title" in w for w in frame.attrs["warnings"])
    # Another header row reads another table: row 4's values become the names.
    assert list(read_table(titled_workbook, header_row=4).columns)[:2] == ["1000", "male"]


def test_rows_under_the_header_can_be_skipped(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in [HEADER, ["", "", "years", "EUR", "per month"], *_rows()]:
        sheet.append(row)
    path = tmp_path / "units.xlsx"
    book.save(path)
    assert read_table(path)["spend"].dtype == object  # the units row makes the column text
    frame = read_table(path, skip_rows=1)
    assert frame["spend"].dtype.kind in "iu" and len(frame) == 30


def test_a_csv_title_line_is_skipped_and_the_options_apply(tmp_path):
    lines = ["Marketing survey;;;;", "exported 2024-05-01", ";".join(HEADER)]
    lines += [";".join(map(str, row)) for row in _rows()]
    path = tmp_path / "survey.csv"
    path.write_text("\n".join(lines) + "\n")
    frame = read_table(path)
    assert list(frame.columns) == HEADER and len(frame) == 30
    assert any("row 3" in w and "Marketing survey" in w for w in frame.attrs["warnings"])
    assert list(read_table(path, header_row=3, skip_rows=2).columns) == HEADER
    assert len(read_table(path, header_row=3, skip_rows=2)) == 28


def test_an_ordinary_file_is_read_as_before(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(",".join(HEADER) + "\n" + "\n".join(",".join(map(str, r)) for r in _rows()) + "\n")
    frame = read_table(path)
    assert list(frame.columns) == HEADER and not frame.attrs["warnings"]


@pytest.mark.parametrize("counts, header", [
    ([5, 5, 5, 5], 0),  # a plain table
    ([1, 0, 5, 5, 5], 2),  # a title, a blank row, the header
    ([1, 1, 1, 1], 0),  # one column: nothing to tell a title from
    ([1, 2, 2, 2], 0),  # two columns: too narrow to call the first row a title
    ([0, 0, 4, 4, 4], 2),  # blank rows above
    ([1, 5, 1, 1, 1, 1], 0),  # rows under the "header" are not as full: not obvious
])  # fmt: skip
def test_header_detection_only_where_obvious(counts, header):
    assert header_index(counts) == header


def test_a_header_row_beyond_the_file_is_refused(titled_workbook):
    with pytest.raises(PersonaLabError, match="header row is 99, but the file has 33 rows"):
        read_table(titled_workbook, header_row=99)


def test_reading_options_do_not_apply_to_other_formats(tmp_path):
    import pandas as pd

    path = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1, 2]}).to_parquet(path)
    with pytest.raises(PersonaLabError, match="CSV/text and Excel files only"):
        read_table(path, header_row=2)


def test_the_command_line_takes_the_header_row(titled_workbook, tmp_path, capsys):
    # A wrong header row is a one-line error with exit code 2; the right one reads the table.
    assert main(["select-k", str(titled_workbook), "--header-row", "40", "--method", "kmeans",
                 "--k-range", "2:3", "--resamples", "2"]) == 2
    assert "header row is 40" in capsys.readouterr().err
    out = tmp_path / "k.json"
    assert main(["compare", str(titled_workbook), "--header-row", "3", "--skip-rows", "0", "--methods",
                 "kmeans", "--k", "2", "--json", str(out)]) == 0
    assert out.exists()

"""Malformed, odd and hostile files: each either runs (exit 0, perhaps with a warning) or is
refused with the one-line user-facing error (exit 2). None crashes, hangs or prints a traceback.

The corpus is in tests/fixtures/hostile/ (``make_corpus.py`` there writes it and says how each
file was made); the big files are made here at run time. The command runs in-process through
``persona_lab.cli.main``, as in test_cli.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from persona_lab.cli import main

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "hostile"
KM2 = ("--method", "kmeans", "--k", "2")
NMF2 = ("--method", "nmf", "--k", "2")
BASE = {"customer_id": "id", "gender": "demographic", "spend": "feature", "visits": "feature", "basket": "feature"}
FRENCH = {"customer_id": "id", "dépense": "feature", "visites": "feature"}
REFUSE_TABLE = "No column can be used for segmenting"

# (file, arguments, exit code, fragment of stderr or None for "no warning at all", roles that
# personas.json's manifest must hold: the columns were read with the right names and types)
CASES = [
    # empty, truncated or not a table
    ("empty.csv", KM2, 2, "The file is empty (in empty.csv)", None),
    ("blank_lines.csv", KM2, 2, "The file is empty", None),
    ("header_only.csv", KM2, 2, "column names but no rows of data", None),
    ("header_only_crlf.csv", KM2, 2, "column names but no rows of data", None),
    ("binary_noise.csv", KM2, 2, "The file is binary, not readable text", None),
    ("nul_bytes.csv", KM2, 2, "The file is binary, not readable text", None),
    ("pickle.pkl", KM2, 2, "Unknown file type '.pkl'", None),
    ("pickle_named.csv", KM2, 2, "The file is binary, not readable text", None),
    ("report.docx", KM2, 2, "Unknown file type '.docx'", None),
    ("workbook_named.csv", KM2, 2, "It looks like an Excel workbook: give it the right extension", None),
    ("text_named.xlsx", KM2, 2, "The file is not an Excel workbook", None),
    ("zip_renamed.xlsx", KM2, 2, "zip archive but not an Excel workbook", None),
    ("fake.parquet", KM2, 2, "not a valid Parquet file", None),
    ("truncated.csv.gz", KM2, 2, "gzip file cannot be decompressed", None),
    ("good.csv.gz", KM2, 0, None, BASE),
    ("no_extension", KM2, 0, None, BASE),
    # delimiters and line ends
    ("semicolon_decimal_comma.csv", KM2, 0, None, BASE),
    ("tabs.csv", KM2, 0, None, BASE),
    ("pipes.txt", KM2, 0, None, BASE),
    ("mixed_delimiters.csv", KM2, 2, "the file seems to mix separators", None),
    ("ragged.csv", KM2, 2, "Expected 2 fields in line 3, saw 4", None),
    ("unterminated_quote.csv", KM2, 2, "EOF inside string", None),
    ("cr_only.csv", KM2, 0, None, BASE),
    ("crlf.csv", KM2, 0, None, BASE),
    ("quoted_newlines.csv", KM2, 0, None, {**BASE, "note": "text"}),
    # encodings
    ("utf8_bom.csv", KM2, 0, None, FRENCH),
    ("utf16_bom.csv", KM2, 0, None, FRENCH),
    ("utf16le_no_bom.csv", KM2, 0, None, FRENCH),
    ("latin1.csv", KM2, 0, None, FRENCH),
    # column names
    ("duplicate_names.csv", KM2, 0, "warning: Renamed blank or duplicate column names: 'spend' -> 'spend.1'", {"spend.2": "feature"}),
    ("blank_names.csv", KM2, 0, "blank -> 'column_2', blank -> 'column_5'", {"column_5": "feature"}),
    ("long_name.csv", KM2, 0, None, {"b" * 10_000: "feature"}),
    ("unicode_names.csv", NMF2, 0, None, {"消费 💸": "feature", "זיקות ביקור": "feature", "سلة الشراء": "feature"}),
    ("html_script.csv", KM2, 0, None, {"<script>alert('x')</script>": "feature", "<b>basket</b> & <i>": "feature"}),
    ("markdown_names.csv", KM2, 0, None, {"**spend** [x](javascript:alert(1))": "feature"}),
    ("newline_name.csv", KM2, 0, None, {"bas\nket": "feature"}),
    ("formulas.csv", KM2, 0, None, {"=cmd|' /C calc'!A0": "feature", "customer_id": "id"}),
    # values
    ("all_empty_column.csv", KM2, 0, "Empty in every row, so not used: 'empty'", {**BASE, "empty": "ignore"}),
    ("constant_column.csv", KM2, 0, None, {"country": "ignore", "version": "ignore", "spend": "feature"}),
    ("all_constant.csv", KM2, 2, f"{REFUSE_TABLE}: every column holds the same value in every row", None),
    ("identical_rows.csv", KM2, 2, "every column holds the same value in every row", None),
    ("one_row.csv", KM2, 2, "the data has a single row", None),
    ("three_distinct_rows.csv", ("--method", "kmeans", "--k", "4"), 2, "3 distinct rows, fewer than the 4 personas", None),
    ("three_distinct_rows.csv", KM2, 0, None, {"spend": "feature"}),
    ("all_missing.csv", KM2, 2, REFUSE_TABLE, None),
    ("only_text.csv", KM2, 2, REFUSE_TABLE, None),
    ("missing_markers.csv", KM2, 0, None, {"spend": "feature", "basket": "feature"}),
    ("mixed_types.csv", KM2, 0, None, {"spend": "feature"}),
    ("negative_values.csv", NMF2, 0, None, {"spend": "feature"}),
    ("negative_counts_apg.csv", (*NMF2, "--kind", "interactions"), 2, "'views' holds 40 negative count(s)", None),
    ("huge_counts_apg.csv", (*NMF2, "--kind", "interactions"), 0, None, {"views": "value"}),
    ("infinite_values.csv", NMF2, 0, "2 infinite in 'spend'", {"spend": "feature"}),
    ("huge_values.csv", KM2, 0, "4 beyond ±1e100 in 'spend'", {"spend": "feature"}),
    ("huge_values_column.csv", NMF2, 0, "Empty in every row, so not used: 'spend', 'visits'", {"basket": "feature", "spend": "ignore"}),
    ("thousands_separators.csv", KM2, 0, "'spend' (currency or thousands separators removed)", {"spend": "feature"}),
    ("currency.csv", KM2, 0, "'spend' (currency or thousands separators removed), 'basket'", {"spend": "feature", "basket": "feature"}),
    ("percent.csv", KM2, 0, "'share' (percent points)", {"share": "feature"}),
    # workbooks, Parquet, JSON
    ("several_sheets.xlsx", KM2, 2, "(in several_sheets.xlsx, sheet 'notes')", None),
    ("several_sheets.xlsx", (*KM2, "--sheet", "data"), 0, None, BASE),
    ("several_sheets.xlsx", (*KM2, "--sheet", "missing"), 2, "The workbook has no sheet 'missing'", None),
    ("empty_first_sheet.xlsx", KM2, 0, "Read sheet 'data', the first that is not empty", BASE),
    ("all_sheets_empty.xlsx", KM2, 2, "Every sheet of the workbook is empty", None),
    ("formulas.xlsx", KM2, 0, "formulas whose results were never saved", {"total": "ignore", "link": "ignore"}),
    ("nested.parquet", KM2, 0, "expanded 'profile' into 'profile.gender', 'profile.basket'", {"profile.basket": "feature", "tags": "feature"}),
    ("nested.json", KM2, 0, "Lists in cells kept as text: 'tags'", {"profile.visits": "feature", "spend": "feature"}),
    ("broken.json", KM2, 2, "The JSON is broken: Expecting property name", None),
    ("broken_lines.jsonl", KM2, 2, "(in broken_lines.jsonl, line 2)", None),
    ("scalar.json", KM2, 2, "The JSON file does not hold a table", None),
    ("records_in_key.json", KM2, 0, None, BASE),
    ("json_lines_varying_keys.jsonl", KM2, 0, None, BASE),
]


def _strict_json(text: str):
    """json.loads that refuses NaN and Infinity, which are not JSON."""
    def refuse(name):
        raise ValueError(f"{name} in personas.json")

    return json.loads(text, parse_constant=refuse)


def _run(path: Path, args, out: Path, capsys) -> tuple[int, str]:
    code = main(["personas", str(path), *args, "--out", str(out)])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    return code, captured.err


def _check_outcome(code, err, expected_code, fragment, out: Path):
    assert code == expected_code, err
    if expected_code == 2:
        assert err.startswith("persona-lab: error: ") and err.count("\n") == 1, err
        assert not (out / "personas.json").exists()
    elif fragment is None:
        assert "warning:" not in err, err
    if fragment is not None:
        assert fragment in err, err


def test_every_corpus_file_has_an_expected_outcome():
    names = {c[0] for c in CASES}
    assert len(names) >= 50
    assert names == {p.name for p in CORPUS.iterdir()} - {"make_corpus.py", "__pycache__"}


@pytest.mark.parametrize("name, args, code, fragment, roles", CASES, ids=["-".join([c[0], *(a for a in c[1] if not a.startswith("--"))]) for c in CASES])
def test_hostile_file(tmp_path, capsys, name, args, code, fragment, roles):
    out = tmp_path / "out"
    got, err = _run(CORPUS / name, args, out, capsys)
    _check_outcome(got, err, code, fragment, out)
    if code == 0:
        doc = _strict_json((out / "personas.json").read_text(encoding="utf-8"))
        assert doc["manifest"]["roles"].items() >= roles.items()
        shares = sum(p["share"] for p in doc["personas"]) + (doc.get("unassigned") or {}).get("share", 0)
        assert shares == pytest.approx(1.0)
        assert len(doc["personas"]) == 2
        assert (out / "personas.pdf").read_bytes().startswith(b"%PDF")


def test_user_text_reaches_the_exports_literally_and_defused(tmp_path, capsys):
    out = tmp_path / "out"
    assert _run(CORPUS / "html_script.csv", KM2, out, capsys)[0] == 0
    doc = _strict_json((out / "personas.json").read_text(encoding="utf-8"))
    described = json.dumps(doc["personas"], ensure_ascii=False)
    assert "<script>alert('x')</script>" in described  # data, kept as it is
    assert _run(CORPUS / "formulas.csv", KM2, out, capsys)[0] == 0
    rows = pd.read_csv(out / "assignments.csv", dtype=str)["row"]
    assert rows.str.startswith(("'=", "'@", "'+", "'-")).all()


# -- big files, made at run time ---------------------------------------------------------------


def test_five_thousand_columns(tmp_path, capsys):
    rng = np.random.default_rng(3)
    groups = np.repeat([0, 1], 15)
    counts = rng.poisson(np.where(groups[:, None] == 0, 1.0, 6.0), size=(30, 5000))
    path = tmp_path / "wide.csv"
    pd.DataFrame(counts, columns=[f"item_{i}" for i in range(5000)]).to_csv(path, index=False)
    out = tmp_path / "out"
    code, err = _run(path, KM2, out, capsys)
    _check_outcome(code, err, 0, None, out)
    doc = _strict_json((out / "personas.json").read_text(encoding="utf-8"))
    assert len(doc["manifest"]["roles"]) == 5000
    assert sorted(p["size"] for p in doc["personas"]) == [15, 15]  # the planted split
    # The report stays a report: the 5,000 preparation steps are in manifest.json, not on pages.
    from pypdf import PdfReader

    assert len(PdfReader(out / "personas.pdf").pages) <= 10


def test_two_thousand_categories_in_one_column(tmp_path, capsys):
    rng = np.random.default_rng(4)
    n = 4000
    frame = pd.DataFrame(
        {"city": [f"city {i % 2000}" for i in range(n)], "spend": rng.gamma(2, 10, n).round(2), "visits": rng.integers(0, 20, n)}
    )
    path = tmp_path / "cities.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out"
    code, err = _run(path, ("--method", "kmeans", "--k", "3"), out, capsys)
    _check_outcome(code, err, 0, None, out)
    doc = _strict_json((out / "personas.json").read_text(encoding="utf-8"))
    assert "city" in doc["manifest"]["roles"] and sum(p["size"] for p in doc["personas"]) == n


def test_a_file_over_the_app_upload_cap_is_refused_there_and_runs_in_the_cli(tmp_path, capsys):
    from streamlit import config

    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"spend": rng.gamma(2, 10, 120_000).round(3), "visits": rng.integers(0, 30, 120_000)})
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    assert path.stat().st_size > 2**20
    cap = config.get_option("server.maxUploadSize")
    config.set_option("server.maxUploadSize", 1)  # 1 MB: the same code path as 200 MB, a small file
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.session_state["data_source"] = "upload"
        at.run()
        assert "up to 1 MB" in at.file_uploader[0].help
        at.file_uploader[0].set_value(("big.csv", path.read_bytes(), "text/csv")).run()
    finally:
        config.set_option("server.maxUploadSize", cap)
    assert not at.exception
    message = at.error[0].value
    assert "over the app's upload limit of 1 MB" in message and "big\\.csv" in message
    assert "Path on this machine" in message and "persona\\-lab command" in message
    assert not at.dataframe  # nothing was read
    out = tmp_path / "out"
    code, err = _run(path, KM2, out, capsys)  # the command has no cap
    _check_outcome(code, err, 0, None, out)


# -- the app's Data page shows the same messages -------------------------------------------------

APP_CASES = [
    ("empty.csv", "The file is empty"),
    ("binary_noise.csv", "The file is binary, not readable text"),
    ("zip_renamed.xlsx", "zip archive but not an Excel workbook"),
    ("mixed_delimiters.csv", "the file seems to mix separators"),
    ("truncated.csv.gz", "gzip file cannot be decompressed"),
    ("broken.json", "The JSON is broken"),
    ("all_sheets_empty.xlsx", "Every sheet of the workbook is empty"),
]


def _md(text: str) -> str:
    from ui.views import md

    return md(text)


@pytest.mark.parametrize("name, message", APP_CASES)
def test_data_page_shows_the_error_of_an_uploaded_hostile_file(name, message):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["data_source"] = "upload"
    at.run()
    at.file_uploader[0].set_value((name, (CORPUS / name).read_bytes(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and _md(message) in at.error[0].value
    assert not at.dataframe


def _data_page_on_path(name: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["data_source"] = "path"
    at.session_state["data_path"] = str(CORPUS / name)
    at.run()
    assert not at.exception and not at.error
    return at


def test_data_page_reads_a_hostile_path_and_shows_its_names_literally():
    at = _data_page_on_path("html_script.csv")
    assert "<script>alert('x')</script>" in list(at.dataframe[0].value.columns)
    shown = "\n".join(str(e.value) for e in at.markdown)
    assert _md("<script>alert('x')</script>") in shown and "<script>" not in shown


def test_data_page_shows_load_warnings():
    at = _data_page_on_path("currency.csv")
    assert any("formatted numbers" in w.value for w in at.warning)

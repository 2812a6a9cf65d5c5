"""read_table / list_sheets / load_dataset: every format, every way a file can be wrong."""

from __future__ import annotations

import gzip
import io
import zipfile

import pandas as pd
import pyreadstat
import pytest

from persona_lab.data import list_sheets, load_dataset, read_table
from persona_lab.errors import PersonaLabError

SMALL = pd.DataFrame(
    {"age": [21, 35, 48], "gender": ["female", "male", "female"], "spend": [1.5, 2.0, 3.25]}
)


def write(tmp_path, name, content: bytes | str):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def assert_small(frame):
    assert list(frame.columns) == ["age", "gender", "spend"]
    assert frame["age"].tolist() == [21, 35, 48]
    assert frame["gender"].tolist() == ["female", "male", "female"]
    assert frame["spend"].tolist() == [1.5, 2.0, 3.25]


# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", "\t", "|"])
def test_csv_delimiters_are_sniffed(tmp_path, sep):
    path = write(tmp_path, "small.csv", SMALL.to_csv(sep=sep, index=False))
    assert_small(read_table(path))


def test_semicolon_with_decimal_commas(tmp_path):
    text = "age;gender;spend;code\n21;female;1,5;a,b\n35;male;2;c\n48;female;3,25;d\n"
    frame = read_table(write(tmp_path, "eu.csv", text))
    assert pd.api.types.is_float_dtype(frame["spend"])
    assert_small(frame.drop(columns="code"))
    assert frame["code"].tolist() == ["a,b", "c", "d"]  # not numbers: left alone


@pytest.mark.parametrize(
    "encoding, prefix",
    [("utf-8-sig", b""), ("utf-16", b""), ("latin-1", b""), ("utf-8", b"")],
)
def test_encodings_are_detected(tmp_path, encoding, prefix):
    frame = SMALL.assign(city=["Zürich", "Málaga", "Kraków" if encoding != "latin-1" else "Köln"])
    raw = prefix + frame.to_csv(index=False).encode(encoding)
    result = read_table(write(tmp_path, "enc.csv", raw))
    assert list(result.columns) == ["age", "gender", "spend", "city"]  # no BOM in the first name
    assert result["city"].tolist() == frame["city"].tolist()


def test_windows_1252(tmp_path):
    raw = "name;note\nA;\u201cgood\u201d \u20ac5\n".encode("cp1252")
    assert read_table(write(tmp_path, "win.csv", raw))["note"].tolist() == [
        "\u201cgood\u201d \u20ac5"
    ]


def test_explicit_encoding_and_separator(tmp_path):
    path = write(tmp_path, "x.txt", "a:b\n1:é\n".encode("latin-1"))
    frame = read_table(path, sep=":", encoding="latin-1")
    assert frame.to_dict("list") == {"a": [1], "b": ["é"]}


def test_gzip_csv(tmp_path):
    path = write(tmp_path, "small.csv.gz", gzip.compress(SMALL.to_csv(index=False).encode()))
    assert_small(read_table(path))


def test_missing_markers(tmp_path):
    text = "a,b\n1,NA\n2,N/A\n3,-\n4,?\n5,null\n6,NaN\n7,\n8,x\n"
    frame = read_table(write(tmp_path, "m.csv", text))
    assert frame["b"].isna().sum() == 7


def test_qualtrics_header_rows_are_dropped(tmp_path):
    text = (
        "ResponseId,Q1,Q2\n"
        '"Response ID","How old are you?","Your gender"\n'
        '"{""ImportId"":""_recordId""}","{""ImportId"":""QID1""}","{""ImportId"":""QID2""}"\n'
        "R_1,34,female\nR_2,45,male\n"
    )
    frame = read_table(write(tmp_path, "survey.csv", text))
    assert frame["Q1"].tolist() == [34, 45]
    assert pd.api.types.is_numeric_dtype(frame["Q1"])
    assert any("Qualtrics" in w for w in frame.attrs["warnings"])


def test_duplicate_and_blank_column_names(tmp_path):
    frame = read_table(write(tmp_path, "d.csv", " col ,col,,col.1\n1,2,3,4\n"))
    assert list(frame.columns) == ["col", "col.2", "column_3", "col.1"]
    assert any("col.2" in w and "column_3" in w for w in frame.attrs["warnings"])


def test_columns_option(tmp_path):
    path = write(tmp_path, "small.csv", SMALL.to_csv(index=False))
    assert list(read_table(path, columns=["spend", "age"]).columns) == ["spend", "age"]
    with pytest.raises(
        PersonaLabError, match=r"'income'.*Available columns: 'age', 'gender', 'spend'"
    ):
        read_table(path, columns=["age", "income"])


class Upload(io.BytesIO):
    """What Streamlit's UploadedFile looks like to read_table."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self.name = name


def test_uploads_and_bytes_sniffed_without_a_name(tmp_path):
    csv_bytes = SMALL.to_csv(index=False).encode()
    assert_small(read_table(Upload(csv_bytes, "small.csv")))
    assert_small(read_table(csv_bytes))
    parquet = io.BytesIO()
    SMALL.to_parquet(parquet)
    assert_small(read_table(parquet.getvalue()))  # PAR1 magic
    assert_small(read_table(SMALL.to_json(orient="records").encode()))  # starts with [


# --- binary and structured formats -----------------------------------------------------------


def test_excel_sheets(tmp_path):
    path = tmp_path / "book.xlsx"
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame().to_excel(writer, sheet_name="Notes", index=False)
        SMALL.to_excel(writer, sheet_name="Data", index=False)
    assert list_sheets(path) == ["Notes", "Data"]
    assert_small(read_table(path))  # the first non-empty sheet
    assert_small(read_table(path, sheet="Data"))
    assert_small(read_table(Upload(path.read_bytes(), "book.xlsx"), sheet=1))
    with pytest.raises(PersonaLabError, match=r"sheet is empty.*sheet 'Notes'"):
        read_table(path, sheet="Notes")
    with pytest.raises(PersonaLabError, match=r"no sheet 'Other'.*'Notes', 'Data'"):
        read_table(path, sheet="Other")


def test_parquet(tmp_path):
    path = tmp_path / "small.parquet"
    SMALL.to_parquet(path)
    assert_small(read_table(path))


def test_json_records_lines_and_columns(tmp_path):
    assert_small(read_table(write(tmp_path, "r.json", SMALL.to_json(orient="records"))))
    assert_small(
        read_table(write(tmp_path, "l.jsonl", SMALL.to_json(orient="records", lines=True)))
    )
    assert_small(
        read_table(
            write(
                tmp_path,
                "c.json",
                '{"age":[21,35,48],"gender":["female","male","female"],"spend":[1.5,2.0,3.25]}',
            )
        )
    )


@pytest.mark.parametrize(
    "suffix, writer", [(".sav", pyreadstat.write_sav), (".dta", pyreadstat.write_dta)]
)
def test_spss_and_stata_value_labels(tmp_path, suffix, writer):
    coded = pd.DataFrame(
        {"age": [21.0, 35.0, 48.0], "gender": [1.0, 2.0, 1.0], "spend": [1.5, 2.0, 3.25]}
    )
    path = tmp_path / f"survey{suffix}"
    writer(coded, str(path), variable_value_labels={"gender": {1: "female", 2: "male"}})
    assert_small(read_table(path))
    assert_small(read_table(Upload(path.read_bytes(), f"upload{suffix}")))  # via a temporary file


# --- malformed input -------------------------------------------------------------------------


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", r"The file is empty \(in empty\.csv\)"),
        ("blank.csv", b"  \n\n", r"The file is empty"),
        ("header.csv", b"a,b,c\n", r"column names but no rows"),
        ("junk.csv", bytes(range(256)) * 20, r"binary, not readable text"),
        ("renamed.csv", b"PK\x03\x04" + bytes(300), r"binary.*an Excel workbook"),
        ("fake.xlsx", _zip_bytes(), r"zip archive but not an Excel workbook"),
        ("plain.xlsx", b"a,b\n1,2\n", r"not an Excel workbook"),
        ("fake.parquet", b"PAR1 this is not parquet", r"not a valid Parquet file"),
        ("broken.json", b'[{"a": 1}, {"a": 2,}]', r"JSON is broken.*broken\.json, line 1"),
        ("broken.jsonl", b'{"a": 1}\n{"a": 2\n', r"JSON is broken.*line 2"),
        ("scalar.json", b"42", r"does not hold a table"),
        ("data.docx", b"hello", r"Unknown file type '\.docx'"),
        (
            "old.xls",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100),
            r"\.xls files are not supported",
        ),
        ("ragged.csv", b"a,b\n1,2\n3,4,5,6\n", r"cannot be read as a table.*separator"),
        ("fake.sav", b"$FL2 nothing here", r"cannot be read as an SPSS file"),
    ],
)
def test_malformed_files_raise_persona_lab_error(tmp_path, name, content, message):
    with pytest.raises(PersonaLabError, match=message) as info:
        read_table(write(tmp_path, name, content))
    assert info.value.fix  # every error says how to fix it


def test_truncated_gzip(tmp_path):
    packed = gzip.compress(pd.DataFrame({"x": range(5000)}).to_csv(index=False).encode())
    with pytest.raises(PersonaLabError, match=r"cannot be decompressed.*truncated"):
        read_table(write(tmp_path, "cut.csv.gz", packed[: len(packed) // 2]))


def test_file_not_found(tmp_path):
    with pytest.raises(PersonaLabError, match="File not found"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(PersonaLabError, match="is a folder"):
        read_table(tmp_path)


# --- load_dataset ----------------------------------------------------------------------------


def test_load_dataset_infers_and_overrides(tmp_path):
    path = write(tmp_path, "small.csv", SMALL.to_csv(index=False))
    dataset = load_dataset(path)
    assert dataset.kind == "entities" and dataset.name == "small.csv"
    assert dataset.roles == {"age": "demographic", "gender": "demographic", "spend": "feature"}
    dataset = load_dataset(path, roles={"age": "feature"}, name="mine.csv")
    assert dataset.roles["age"] == "feature" and dataset.name == "mine.csv"


def test_load_dataset_carries_warnings(tmp_path):
    dataset = load_dataset(write(tmp_path, "d.csv", "a,a\n1,2\n3,5\n"))
    assert list(dataset.frame.columns) == ["a", "a.1"]
    assert dataset.warnings and "a.1" in dataset.warnings[0]


def test_load_dataset_without_usable_columns(tmp_path):
    path = write(tmp_path, "ids.csv", "gender,country\nf,US\nm,DE\n")
    with pytest.raises(PersonaLabError, match="No column can be used") as info:
        load_dataset(path)
    assert "feature" in info.value.fix

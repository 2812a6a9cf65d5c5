"""User text is data: no HTML from users, no formulas in exports, no unpickling, bounded caches.

The app's code is read as Python syntax trees (not run), so these checks hold for every page,
including ones added later.
"""

from __future__ import annotations

import ast
import importlib.metadata
import io
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from persona_lab.cli import main
from persona_lab.data import read_table
from persona_lab.errors import PersonaLabError
from persona_lab.export.tables import csv_text, safe_cell

ROOT = Path(__file__).resolve().parents[1]
APP_FILES = sorted([ROOT / "app.py", *(ROOT / "ui").rglob("*.py")])
PACKAGE_FILES = sorted((ROOT / "persona_lab").rglob("*.py"))
CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
HTML_CALLS = {"html"}  # st.html, components.html: render their argument as HTML


def _trees(files):
    for path in files:
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_constant_text(node: ast.AST) -> bool:
    """A string literal, or literals joined with + (no names, calls or f-string fields)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _is_constant_text(node.left) and _is_constant_text(node.right)
    return False


def _html_calls_with_variable_text(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        unsafe = any(
            kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
            for kw in node.keywords
        )
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if (unsafe or name in HTML_CALLS) and not (node.args and all(_is_constant_text(a) for a in node.args)):
            lines.append(node.lineno)
    return lines


def test_the_html_check_catches_user_text():
    bad = ast.parse('st.markdown(f"<b>{name}</b>", unsafe_allow_html=True)\nst.html(user_text)\n')
    good = ast.parse('st.markdown("<style>p {color: red}</style>", unsafe_allow_html=True)\nst.markdown(name)\n')
    assert _html_calls_with_variable_text(bad) == [1, 2]
    assert _html_calls_with_variable_text(good) == []


def test_no_html_from_anything_but_constant_strings_in_the_app():
    assert len(APP_FILES) >= 5  # app.py, the ui modules and the pages
    offenders = {str(p.relative_to(ROOT)): lines for p, t in _trees(APP_FILES) if (lines := _html_calls_with_variable_text(t))}
    assert offenders == {}


def _uncapped_caches(tree: ast.AST) -> list[str]:
    """Functions under st.cache_data / st.cache_resource without max_entries. A function without
    parameters has one entry at most and needs no bound."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        args = node.args
        has_parameters = bool(args.posonlyargs or args.args or args.kwonlyargs or args.vararg or args.kwarg)
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            if not (isinstance(target, ast.Attribute) and target.attr in ("cache_data", "cache_resource")):
                continue
            keywords = {kw.arg for kw in decorator.keywords} if isinstance(decorator, ast.Call) else set()
            if "max_entries" not in keywords and has_parameters:
                found.append(node.name)
    return found


def test_the_cache_check_catches_an_unbounded_cache():
    tree = ast.parse(
        "@st.cache_data\ndef a(x): ...\n@st.cache_resource(ttl=3)\ndef b(x): ...\n"
        "@st.cache_data(max_entries=4)\ndef c(x): ...\n@st.cache_resource\ndef d(): ...\n"
    )
    assert _uncapped_caches(tree) == ["a", "b"]


def test_every_app_cache_is_bounded():
    offenders = {str(p.relative_to(ROOT)): names for p, t in _trees(APP_FILES) if (names := _uncapped_caches(t))}
    assert offenders == {}
    decorated = sum(
        "cache_data" in p.read_text(encoding="utf-8") or "cache_resource" in p.read_text(encoding="utf-8") for p in APP_FILES
    )
    assert decorated >= 1  # the check looks at the files that hold the caches


# -- nothing from a user file is unpickled or executed ----------------------------------------

_UNSAFE_CALLS = {
    ("pickle", "load"), ("pickle", "loads"), ("pd", "read_pickle"), ("pandas", "read_pickle"),
    ("joblib", "load"), ("dill", "load"), ("dill", "loads"), ("cloudpickle", "load"), ("cloudpickle", "loads"),
    ("yaml", "load"), ("marshal", "loads"), ("shelve", "open"), ("torch", "load"),
}  # fmt: skip


def _unsafe_calls(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in ("eval", "exec"):
            found.append(f"{func.id} (line {node.lineno})")
        elif isinstance(func, ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else ""
            if (owner, func.attr) in _UNSAFE_CALLS or func.attr == "read_pickle":
                found.append(f"{owner}.{func.attr} (line {node.lineno})")
            elif func.attr == "load" and any(
                kw.arg == "allow_pickle" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                for kw in node.keywords
            ):
                found.append(f"np.load(allow_pickle) (line {node.lineno})")
    return found


#: Calls that load only what Persona Lab itself wrote, never a user's file.
_TRUSTED = {
    # the resampling engine's own memory-mapped copy of the data, written by joblib.dump
    ("persona_lab/assess/engine.py", "joblib.load"): "joblib.dump",
    # a job's input and result, written by the app's own runner into its private data directory
    # (a workspace file carries neither: persona_lab/workspace/archive.py)
    ("persona_lab/workspace/jobs.py", "pickle.load"): "pickle.dumps(result)",
    ("persona_lab/workspace/jobs.py", "pickle.loads"): "pickle.dumps((function, args, kwargs))",
}


def test_no_code_path_unpickles_or_evaluates():
    assert _unsafe_calls(ast.parse(
        "import pickle\npickle.loads(b)\ndf = pd.read_pickle(p)\neval(s)\nnp.load(f, allow_pickle=True)\n"
        "np.load(f, allow_pickle=False)\n"
    )) == ["pickle.loads (line 2)", "pd.read_pickle (line 3)", "eval (line 4)", "np.load(allow_pickle) (line 5)"]
    offenders = {
        str(p.relative_to(ROOT)): calls for p, t in _trees(APP_FILES + PACKAGE_FILES) if (calls := _unsafe_calls(t))
    }
    for (path, call), writer in _TRUSTED.items():
        assert writer in (ROOT / path).read_text(encoding="utf-8")
        offenders[path] = [c for c in offenders.get(path, []) if not c.startswith(call + " ")]
    assert {p: c for p, c in offenders.items() if c} == {}


@pytest.mark.parametrize("name", ["data.pkl", "data.pickle", "data.joblib", "data.npy"])
def test_pickles_are_refused_by_name(tmp_path, name):
    import pickle

    path = tmp_path / name
    path.write_bytes(pickle.dumps(pd.DataFrame({"a": [1, 2]})))
    with pytest.raises(PersonaLabError, match="Unknown file type"):
        read_table(path)


def test_a_pickle_under_a_data_name_is_refused_as_binary(tmp_path):
    import pickle

    for name in ("data.csv", "data"):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(pd.DataFrame({"a": range(50)})))
        with pytest.raises(PersonaLabError, match="binary, not readable text"):
            read_table(path)


def test_pyarrow_is_past_the_parquet_deserialisation_flaw():
    # CVE-2023-47248: pyarrow 0.14-14.0.0 ran code from a crafted Parquet/IPC file's metadata.
    major, minor, patch = (int(p) for p in importlib.metadata.version("pyarrow").split(".")[:3])
    assert (major, minor, patch) >= (14, 0, 1)


def test_the_app_offers_no_pickle_upload():
    from ui import dataset

    assert not {"pkl", "pickle", "joblib", "npy", "npz"} & {t.lower() for t in dataset.UPLOAD_TYPES}


# -- exports neutralise spreadsheet formulas ---------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)", "+cmd|' /C calc'!A0", "-2+3", "\t=1+1", "\r=1"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(cell):
    assert safe_cell(cell) == "'" + cell
    text = csv_text(pd.DataFrame({cell: [cell, "plain"], "n": [1.5, -2.0]}))
    parsed = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert parsed.columns[0].startswith("'") and parsed.iloc[0, 0].startswith("'")
    assert parsed.iloc[1, 0] == "plain"  # a line break inside a cell did not split its row
    assert parsed["n"].tolist() == [1.5, -2.0]  # numbers stay numbers, negative ones too


def test_no_excel_export_exists_unchecked():
    # Exports are neutralised in persona_lab/export/tables.py; an Excel writer added elsewhere
    # would escape that, so this fails until it is checked here too.
    writers = [
        str(p.relative_to(ROOT)) for p in PACKAGE_FILES + APP_FILES
        if any(s in p.read_text(encoding="utf-8") for s in ("to_excel(", "ExcelWriter(", "xlsxwriter"))
    ]
    assert writers == []


def test_assignments_csv_from_a_hostile_file_holds_no_live_formula(tmp_path, capsys):
    data = ROOT / "tests" / "fixtures" / "hostile" / "formulas.csv"
    assert main(["personas", str(data), "--method", "kmeans", "--k", "2", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "assignments.csv").read_text(encoding="utf-8")
    rows = pd.read_csv(io.StringIO(text), dtype=str)
    assert rows["row"].str.startswith("'").all()  # every id in the file starts with = + - @
    for line in text.splitlines():
        for cell in line.split(","):
            assert not cell.lstrip('"').startswith(("=", "+", "@")), line
    capsys.readouterr()


# -- uploads are capped; XSRF protection stays on -----------------------------------------------


def test_config_caps_uploads_and_keeps_xsrf_protection():
    server = CONFIG["server"]
    assert isinstance(server["maxUploadSize"], int) and 1 <= server["maxUploadSize"] <= 1024
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    # The refusal above the cap, in the app and not in the CLI: tests/test_hostile.py.

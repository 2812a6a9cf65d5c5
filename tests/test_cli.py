"""The ``persona-lab`` command end to end: demo, personas, bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from persona_lab.cli import main
from persona_lab.data.sample_data import CUSTOMER_SAMPLE, SAMPLE_DIR

from helpers import planted_blobs


def _pdf_pages(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_demo_runs_both_samples_through_the_whole_pipeline(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    for name, kind in (("channel", "interactions"), ("customers", "entities")):
        folder = tmp_path / name
        doc = json.loads((folder / "personas.json").read_text(encoding="utf-8"))
        assert doc["schema_version"] == 2 and doc["kind"] == kind and doc["k"] == 5
        assert {"package_version", "data_fingerprint", "preparation", "method", "parameters", "seed"} <= set(doc["manifest"])
        assert sum(p["share"] for p in doc["personas"]) == pytest.approx(1.0)
        pages = _pdf_pages(folder / "personas.pdf")
        n = len(doc["personas"])
        assert len(pages) >= 1 + n + 1 and pages[1 + n].startswith("Appendix")  # cover, cards, appendix
        for persona, page in zip(doc["personas"], pages[1:]):
            assert persona["name"].split()[0] in " ".join(page.split())
            assert f"{persona['share']:.1%}" in page
        assignments = pd.read_csv(folder / "assignments.csv")
        assert list(assignments.columns) == ["row", "persona_id", "persona", "membership"]
    assert "wrote" in capsys.readouterr().out


def test_personas_rerun_is_byte_identical(tmp_path, monkeypatch):
    # Every file of a run, the PDF and the deck too once their creation date is pinned (as
    # reproducible builds pin it, with SOURCE_DATE_EPOCH).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    args = ["personas", str(SAMPLE_DIR / CUSTOMER_SAMPLE), "--method", "kmeans", "--k", "4", "--seed", "7"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert {"personas.json", "assignments.csv", "personas.pdf", "personas.pptx", "model.json", "model.npz"} <= set(names)
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_hdbscan_unassigned_group_flows_into_personas_json(tmp_path, capsys):
    X, _ = planted_blobs(n_per=70, k=3, d=3, noise=40, seed=2)
    data = tmp_path / "points.csv"
    pd.DataFrame(X, columns=["a", "b", "c"]).to_csv(data, index=False)
    assert main(["personas", str(data), "--method", "hdbscan", "--k", "9", "--param", "min_cluster_size=15", "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "k=9 was ignored" in err
    doc = json.loads((tmp_path / "out" / "personas.json").read_text())
    assert doc["k"] == 3 and doc["unassigned"]["size"] > 0
    total = sum(p["share"] for p in doc["personas"]) + doc["unassigned"]["share"]
    assert total == pytest.approx(1.0)
    assignments = pd.read_csv(tmp_path / "out" / "assignments.csv")
    assert (assignments["persona"] == "unassigned").sum() == doc["unassigned"]["size"]


@pytest.mark.parametrize(
    "content, args, message",
    [
        (b"", ["--k", "3"], "empty"),
        (b"a,b\n1,2\n3,4\n", ["--k", "5"], "fewer than the 5 personas"),
        (b"a,b\n1,2\n3,4\n5,6\n", [], "--k is needed"),
        (b"a,b\n1,2\n3,4\n5,6\n", ["--k", "2", "--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, content, args, message):
    data = tmp_path / "bad.csv"
    data.write_bytes(content)
    code = main(["personas", str(data), "--method", "kmeans", "--out", str(tmp_path / "out"), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("persona-lab: error: ") and err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "out" / "personas.json").exists()


def test_console_script_is_installed_and_reports_errors(tmp_path):
    script = Path(sys.executable).parent / "persona-lab"
    done = subprocess.run([str(script), "personas", str(tmp_path / "missing.csv"), "--k", "3", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "missing.csv" in done.stderr and "Traceback" not in done.stderr


def test_compare_writes_agreement_json(tmp_path, capsys):
    X, _ = planted_blobs(n_per=50, k=3, d=2, seed=5)
    data = tmp_path / "points.csv"
    pd.DataFrame(X, columns=["a", "b"]).to_csv(data, index=False)
    out = tmp_path / "cmp.json"
    assert main(["compare", str(data), "--methods", "kmeans,hdbscan", "--k", "3", "--json", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["k"] == 3 and [m["method"] for m in doc["methods"]] == ["kmeans", "hdbscan"]
    assert doc["pairs"][0]["ari"] > 0.9
    assert "kmeans vs hdbscan: ARI" in capsys.readouterr().out
    assert main(["compare", str(data), "--methods", "kmeans,bogus", "--k", "3"]) == 2


def test_the_module_runs_as_a_script():
    # `python -m persona_lab.cli` must see every command: the __main__ guard comes last.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "persona_lab.cli", "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert all(c in done.stdout for c in ("personas", "select-k", "assign", "typing-tool"))

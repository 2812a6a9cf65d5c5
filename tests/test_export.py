"""JSON, CSV and Markdown exports, and repeating a run from its manifest through the CLI."""

import json

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from persona_lab.cli import main
from persona_lab.errors import PersonaLabError
from persona_lab.export import write_run
from persona_lab.export.included import included
from persona_lab.export.markdown import escape, markdown_text
from persona_lab.export.tables import assignments_frame, csv_text, write_json
from persona_lab.personas.model import PersonaSet

from helpers import blobs_dataset
from persona_samples import ARABIC, CJK, EXCLUDED, HIDDEN_TRAIT, LATIN, persona_set


def test_json_export_loads_back_into_an_identical_set(tmp_path):
    original = persona_set()
    path = write_json(original, tmp_path / "personas.json")
    loaded = PersonaSet.from_json(path.read_text(encoding="utf-8"))
    assert loaded == original  # every field: edits (hidden, include), faces, descriptors, order
    assert loaded.to_json() == path.read_text(encoding="utf-8")
    assert json.loads(path.read_text())["schema_version"] == 2
    assert [p.name for p in loaded.personas] == [LATIN, ARABIC, CJK, EXCLUDED]
    assert loaded.personas[0].traits[2].hidden and not loaded.personas[3].include


def test_included_drops_excluded_personas_and_hidden_traits_only():
    shown = included(persona_set())
    assert [p.name for p in shown.personas] == [LATIN, ARABIC, CJK]
    assert [t.feature for t in shown.personas[0].traits] == ["spend", "visits"]
    assert [p.name for p in persona_set().personas][-1] == EXCLUDED  # the original is untouched


def test_markdown_holds_names_shares_and_the_manifest_but_no_hidden_content():
    text = markdown_text(persona_set())
    for name, share in ((LATIN, "41.2%"), (ARABIC, "30.0%"), (CJK, "23.1%")):
        assert f"## {name}" in text and f"| {name} | {share} |" in text
    assert EXCLUDED not in text and HIDDEN_TRAIT not in text
    assert "recovered in 87.0% of resamples" in text
    assert "> I always compare prices first" in text
    assert "## Manifest" in text and '"data_fingerprint": "sha256:abc123"' in text
    # User markup stays text.
    assert "\\<i\\>x\\</i\\> \\*\\*bold\\*\\*" in text


@pytest.mark.parametrize("raw, shown", [
    ("**Eve** <b>", "\\*\\*Eve\\*\\* \\<b\\>"),
    ("1. first", "1\\. first"),
    ("- item", "\\- item"),
    ("a [link](x)", "a \\[link\\](x)"),
    ("line\nbreak", "line break"),
])
def test_markdown_escape(raw, shown):
    assert escape(raw) == shown


def test_csv_neutralises_a_formula_in_a_persona_name():
    ps = persona_set()
    ps.personas[0].name = '=HYPERLINK("http://evil.example","click")'
    ps.personas[1].name = "+1 persona"
    frame = assignments_frame(["r1", "r2", "r3", "@r4"], np.array([0, 1, -1, 2]), None, ps)
    table = pd.read_csv(pd.io.common.StringIO(csv_text(frame)), dtype=str, keep_default_na=False)
    assert list(table["persona"]) == ["'=HYPERLINK(\"http://evil.example\",\"click\")", "'+1 persona",
                                      "unassigned", CJK]
    assert list(table["row"]) == ["r1", "r2", "r3", "'@r4"]
    assert list(table["membership"]) == ["1", "1", "0", "1"]


# -- the CLI: every export carries the manifest, and --manifest repeats the run ----------------


@pytest.fixture(scope="module")
def blobs_csv(tmp_path_factory):
    dataset, _ = blobs_dataset(n_per=40, k=3, d=3, category=True)
    path = tmp_path_factory.mktemp("data") / "blobs.csv"
    dataset.frame.to_csv(path, index=False)
    return path


def test_every_export_carries_the_manifest(blobs_csv, tmp_path):
    out = tmp_path / "out"
    assert main(["personas", str(blobs_csv), "--method", "kmeans", "--k", "3", "--seed", "5", "--out", str(out)]) == 0
    doc = json.loads((out / "personas.json").read_text(encoding="utf-8"))
    manifest = doc["manifest"]
    assert manifest["seed"] == 5 and manifest["method"] == "kmeans" and manifest["source"]["path"] == str(blobs_csv)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert manifest["data_fingerprint"] in (out / "personas.md").read_text(encoding="utf-8")
    pages = [p.extract_text() for p in PdfReader(out / "personas.pdf").pages]
    appendix = " ".join(" ".join(p.split()) for p in pages[4:])
    assert len(pages) >= 1 + 3 + 1 and "Appendix" in pages[4]
    assert manifest["data_fingerprint"] in appendix.replace(" ", "")
    names = [p["name"] for p in doc["personas"]]
    assert all(name.split()[0] in " ".join(pages[i + 1].split()) for i, name in enumerate(names))
    assert list(pd.read_csv(out / "assignments.csv").columns) == ["row", "persona_id", "persona", "membership"]


def test_manifest_rerun_reproduces_byte_identical_personas_json(blobs_csv, tmp_path, monkeypatch, capsys):
    first = tmp_path / "first"
    assert main(["personas", str(blobs_csv), "--method", "gmm", "--k", "3", "--seed", "11",
                 "--param", "n_init=2", "--out", str(first)]) == 0
    monkeypatch.chdir(tmp_path)  # the manifest holds the data's absolute path
    for manifest in (first / "personas.json", first / "manifest.json"):
        again = tmp_path / f"again_{manifest.stem}"
        assert main(["personas", "--manifest", str(manifest), "--out", str(again)]) == 0
        assert (again / "personas.json").read_bytes() == (first / "personas.json").read_bytes()
        assert (again / "assignments.csv").read_bytes() == (first / "assignments.csv").read_bytes()
    assert json.loads((first / "manifest.json").read_text())["parameters"]["n_init"] == 2
    capsys.readouterr()


@pytest.mark.parametrize("change, message", [
    ("data", "fingerprint differs"),
    ("flag", "cannot be combined with --manifest"),
    ("not_a_manifest", "holds no run manifest"),
])
def test_manifest_rerun_refuses_what_cannot_reproduce(blobs_csv, tmp_path, capsys, change, message):
    first = tmp_path / "first"
    assert main(["personas", str(blobs_csv), "--method", "kmeans", "--k", "3", "--out", str(first)]) == 0
    manifest = first / "personas.json"
    args = ["personas", "--manifest", str(manifest), "--out", str(tmp_path / "again")]
    if change == "data":
        other = tmp_path / "other.csv"
        pd.read_csv(blobs_csv).iloc[:-1].to_csv(other, index=False)
        args.insert(1, str(other))
    elif change == "flag":
        args += ["--k", "4"]
    else:
        manifest.write_text('{"personas": []}')
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("persona-lab: error: ") and err.count("\n") == 1 and message in err
    assert not (tmp_path / "again" / "personas.json").exists()


def test_write_run_writes_all_six_files(tmp_path):
    from persona_lab.pipeline import run

    dataset, _ = blobs_dataset(n_per=20, k=2, d=2)
    paths = write_run(run(dataset, "kmeans", 2, seed=0), tmp_path)
    assert sorted(p.name for p in paths.values()) == [
        "assignments.csv", "manifest.json", "personas.json", "personas.md", "personas.pdf", "personas.pptx"]
    assert sorted(f.name for f in tmp_path.iterdir()) == sorted(p.name for p in paths.values())  # no temp files


def test_the_pdf_laid_out_beside_the_deck_gives_the_same_files(tmp_path, monkeypatch):
    from persona_lab.pipeline import run

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    dataset, _ = blobs_dataset(n_per=20, k=2, d=2)
    result = run(dataset, "kmeans", 2, seed=0)
    alone = write_run(result, tmp_path / "one", n_jobs=1)
    beside = write_run(result, tmp_path / "two", n_jobs=2)
    assert {name: path.read_bytes() for name, path in alone.items()} == {
        name: path.read_bytes() for name, path in beside.items()}
    # A problem met in the PDF's process reaches the caller as it would from this one.
    from persona_lab.export import pdf

    def broken(*args):
        raise PersonaLabError("the PDF could not be laid out")

    monkeypatch.setattr(pdf, "pdf_bytes", broken)  # the forked process inherits it
    with pytest.raises(PersonaLabError, match="could not be laid out"):
        write_run(result, tmp_path / "three", n_jobs=2)
    assert (tmp_path / "three" / "personas.pptx").exists() and not (tmp_path / "three" / "personas.pdf").exists()


def test_personas_without_data_or_manifest_says_what_to_give(tmp_path, capsys):
    assert main(["personas", "--k", "3", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "DATA is needed" in err and "--manifest" in err

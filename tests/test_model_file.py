"""The saved persona model: save -> load -> assign, flags, input problems, damaged files, CLI."""

from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np
import pandas as pd
import pytest

from helpers import blobs_dataset
from persona_lab import pipeline
from persona_lab.cli import main
from persona_lab.errors import PersonaLabError
from persona_lab.methods import METHODS
from persona_lab.model_file import FORMAT_VERSION, PersonaModel, _checksum, load_model, save_model

K = {name: (None if cls.k_is_output else 3) for name, cls in METHODS.items()}


@pytest.fixture(scope="module")
def data():
    return blobs_dataset(category=True, n_per=25, k=3, d=3)[0]


@pytest.fixture(scope="module")
def runs(data):
    return {name: pipeline.run(data, name, K[name], seed=0) for name in METHODS}


@pytest.fixture(scope="module")
def saved(runs, tmp_path_factory):
    folders = {}
    for name, run in runs.items():
        folders[name] = tmp_path_factory.mktemp(name)
        save_model(PersonaModel.from_run(run), folders[name])
    return folders


@pytest.mark.parametrize("name", sorted(METHODS))
def test_loaded_model_assigns_the_training_rows_as_fitted(name, runs, saved, data):
    run = runs[name]
    loaded = load_model(saved[name] / "model.json")
    assert loaded.prepared.X.shape[0] == 0  # no training data inside
    fitted = run.method.assign(run.prepared.X)
    np.testing.assert_array_equal(loaded.method.assign(run.prepared.X), fitted)
    np.testing.assert_array_equal(fitted, run.labels)
    # Scoring the raw table repeats the preparation too; the flag is the same in both.
    original, again = PersonaModel.from_run(run).score(data.frame), loaded.score(data.frame)
    np.testing.assert_array_equal(again.labels, original.labels)
    np.testing.assert_allclose(again.membership, original.membership, atol=1e-12)
    np.testing.assert_array_equal(again.nearest, run.labels)
    # By construction about 1% of training rows lie beyond the 99th percentile.
    assert original.flagged.mean() <= 0.03


@pytest.mark.parametrize("name", ["kmeans", "gmm", "nmf", "archetypes", "kprototypes", "lca"])
def test_soft_and_prototype_methods_store_their_state_as_plain_arrays(name, saved):
    document = json.loads((saved[name] / "model.json").read_text())
    assert document["format_version"] == FORMAT_VERSION
    assert document["method"]["name"] == name
    with np.load(saved[name] / "model.npz", allow_pickle=False) as arrays:
        assert arrays.files and all(arrays[key].dtype != object for key in arrays.files)
    with zipfile.ZipFile(saved[name] / "model.npz") as archive:
        assert all(n.endswith(".npy") for n in archive.namelist())


def _outliers(data, n=3):
    """Rows far from every blob (numbers at 40-60 when blobs sit within about +-15)."""
    rows = data.frame.head(n).copy()
    for i, column in enumerate(["x0", "x1", "x2"]):
        rows[column] = 40.0 + 10 * i
    return rows


@pytest.mark.parametrize("name", ["kmeans", "gmm", "hierarchical", "spectral", "hdbscan", "nmf", "kprototypes", "archetypes"])
def test_planted_outliers_are_flagged(name, runs, data):
    model = PersonaModel.from_run(runs[name])
    scored = model.score(pd.concat([data.frame.iloc[[5, 30, 60]], _outliers(data)], ignore_index=True))
    np.testing.assert_array_equal(scored.flagged, [False, False, False, True, True, True])
    np.testing.assert_array_equal(scored.labels[3:], [-1, -1, -1])
    assert scored.labels[0] == runs[name].labels[5]
    assert any("fit no persona well" in note for note in scored.notes)


def test_unknown_category_counts_as_no_category_and_is_noted(runs, data):
    model = PersonaModel.from_run(runs["kmeans"])
    rows = data.frame.head(2).copy()
    rows["kind"] = ["martian", "type 0"]
    scored = model.score(rows)
    assert any("kind" in n and "'martian'" in n and "no known category" in n for n in scored.notes)
    X = model.prepared.transform(rows)
    block = [i for i, f in enumerate(model.prepared.feature_names) if f.startswith("kind=")]
    assert X[0, block].sum() == 0 and X[1, block].sum() == 1
    assert not any("type 0" in n for n in scored.notes)


def test_missing_column_is_refused_by_name(runs, data):
    model = PersonaModel.from_run(runs["gmm"])
    with pytest.raises(PersonaLabError, match="'x1'"):
        model.score(data.frame.drop(columns=["x1"]))
    assert model.columns == ["x0", "x1", "x2", "kind"]


def test_damaged_newer_and_swapped_files_are_refused(saved, tmp_path):
    source = saved["kmeans"]
    document = json.loads((source / "model.json").read_text())

    def write(doc, arrays=source / "model.npz", sign=True):
        """The document as a model file; ``sign`` recomputes its checksum, as a determined
        editor would, so that the checks behind the checksum are reached."""
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        (folder / "model.json").write_text(json.dumps({**doc, "checksum": _checksum(doc)} if sign else doc))
        (folder / "model.npz").write_bytes(arrays.read_bytes())
        return folder

    assert load_model(write(document)).threshold == document["flagging"]["threshold"]
    edited = {**document, "flagging": {**document["flagging"], "threshold": 1e9}}
    with pytest.raises(PersonaLabError, match="content does not match its checksum"):
        load_model(write(edited, sign=False))
    with pytest.raises(PersonaLabError, match="newer"):
        load_model(write({**document, "format_version": FORMAT_VERSION + 1}))
    with pytest.raises(PersonaLabError, match="model.npz does not match the checksum"):
        load_model(write(document, arrays=saved["gmm"] / "model.npz"))
    with pytest.raises(PersonaLabError, match="plain file name"):
        load_model(write({**document, "arrays": {**document["arrays"], "file": "../model.npz"}}))
    with pytest.raises(PersonaLabError, match="unknown method"):
        load_model(write({**document, "method": {**document["method"], "name": "pickle"}}))
    fewer = {**document, "preparation": {**document["preparation"], "feature_mask": document["preparation"]["feature_mask"][1:]}}
    with pytest.raises(PersonaLabError, match="encoders do not give the listed features"):
        load_model(write(fewer))
    narrow = tmp_path / "narrow.npz"
    np.savez(narrow, **{"method.labels_": np.zeros(3, dtype=int), "method.centres_": np.zeros((3, 2))})
    resized = {**document, "arrays": {"file": "model.npz", "sha256": hashlib.sha256(narrow.read_bytes()).hexdigest()}}
    with pytest.raises(PersonaLabError, match="state does not fit its features"):
        load_model(write(resized, arrays=narrow))
    broken = write(document)
    (broken / "model.json").write_text("{not json")
    with pytest.raises(PersonaLabError, match="not valid JSON"):
        load_model(broken)
    with pytest.raises(PersonaLabError, match="not a Persona Lab model"):
        load_model(write({"personas": []}))


def test_cli_personas_writes_the_model_and_assign_scores_new_rows(data, tmp_path, capsys):
    train, new = tmp_path / "train.csv", tmp_path / "new.csv"
    data.frame.to_csv(train, index=False)
    rows = pd.concat([data.frame.iloc[[0, 30, 60]], _outliers(data, 1)], ignore_index=True)
    rows.loc[1, "kind"] = "=HYPERLINK(1)"
    rows.to_csv(new, index=False)
    out = tmp_path / "out"
    assert main(["personas", str(train), "--method", "kmeans", "--k", "3", "--out", str(out)]) == 0
    assert (out / "model.json").is_file() and (out / "model.npz").is_file()
    target = tmp_path / "assignments.csv"
    assert main(["assign", str(new), "--model", str(out / "model.json"), "--out", str(target)]) == 0
    table = pd.read_csv(target)
    assert list(table.columns) == ["row", "persona_id", "persona", "membership", "flagged", "nearest_persona"]
    assert table["row"].tolist() == ["r0000", "r0030", "r0060", "r0000"]
    fitted = pd.read_csv(out / "assignments.csv").set_index("row")
    assert table["persona_id"].tolist()[:3] == fitted.loc[["r0000", "r0030", "r0060"], "persona_id"].tolist()
    assert table["flagged"].tolist() == [False, False, False, True]
    assert table["persona"].iloc[3] == "unassigned"
    err = capsys.readouterr().err
    assert "'=HYPERLINK(1)'" in err and "no known category" in err
    assert main(["assign", str(train), "--model", str(tmp_path), "--out", str(target)]) == 2
    assert "Cannot read the model file" in capsys.readouterr().err


def _apg_long(seed=0) -> pd.DataFrame:
    """Views of 12 items by 24 demographic groups drawn from 3 planted content mixes."""
    rng = np.random.default_rng(seed)
    mixes = rng.dirichlet(np.full(12, 0.3), size=3)
    rows = []
    for g in range(24):
        counts = rng.poisson(mixes[g % 3] * 400)
        rows += [(f"{18 + g // 4}", "fm"[g % 2] + str(g // 2 % 2), f"item{j:02d}", int(c)) for j, c in enumerate(counts)]
    return pd.DataFrame(rows, columns=["age", "gender", "item", "views"])


@pytest.mark.parametrize("name, weighting", [("nmf", "counts"), ("kmeans", "tfidf"), ("gmm", "row")])
def test_apg_model_scores_new_groups_over_the_same_items(name, weighting, tmp_path):
    from persona_lab.data.dataset import Dataset
    from persona_lab.prepare import Preparation

    frame = _apg_long()
    roles = {"age": "demographic", "gender": "demographic", "item": "item", "views": "value"}
    dataset = Dataset(frame, roles, "interactions", name="apg")
    run = pipeline.run(dataset, name, 3, seed=0, preparation=Preparation(interactions=weighting))
    save_model(PersonaModel.from_run(run), tmp_path)
    model = load_model(tmp_path)
    assert model.columns == ["age", "gender", "item", "views"]
    scored = model.score(frame.sample(frac=1.0, random_state=1))  # row order does not matter
    assert scored.rows == run.prepared.row_labels
    np.testing.assert_array_equal(scored.nearest, run.labels)
    extra = pd.concat([frame, pd.DataFrame([("18", "f0", "new item", 5)], columns=frame.columns)])
    assert any("1 item(s) not in the training data" in n for n in model.score(extra).notes)
    with pytest.raises(PersonaLabError, match="lacks 1 item.*'item03'"):
        model.score(frame[frame["item"] != "item03"])
    with pytest.raises(PersonaLabError, match="'gender'"):
        model.score(frame.drop(columns=["gender"]))


def test_unseen_level_joins_other_when_rare_levels_were_pooled():
    from persona_lab.data.dataset import Dataset
    from persona_lab.features import MAX_LEVELS

    rng = np.random.default_rng(0)
    n = 120
    frame = pd.DataFrame({"x": rng.normal(size=n), "city": [f"c{i % (MAX_LEVELS + 5)}" for i in range(n)]})
    run = pipeline.run(Dataset(frame, {"x": "feature", "city": "feature"}, "entities"), "kmeans", 2, seed=0)
    model = PersonaModel.from_run(run)
    new = pd.DataFrame({"x": [0.0, 0.0], "city": ["atlantis", "c34"]})  # c34 was one of the pooled levels
    scored = model.score(new)
    assert any("'atlantis'" in n and "pooled as 'other'" in n for n in scored.notes)
    X = model.prepared.transform(new)
    other = model.prepared.feature_names.index("city=other")
    assert X[0, other] == 1 and X[1, other] == 1

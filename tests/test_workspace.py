"""Workspaces on disk (persona_lab.workspace.store), their file format (archive), the JSON codec of
the app's choices, and the ``persona-lab workspace`` command."""

from __future__ import annotations

import sqlite3
import stat
import threading
import zipfile

import pandas as pd
import pytest

from persona_lab.cli import main
from persona_lab.errors import PersonaLabError
from persona_lab.workspace import ReadOnly, WorkspaceStore, export_workspace, import_workspace
from persona_lab.workspace.codec import dumps, loads
from persona_samples import persona_set


@pytest.fixture
def store(tmp_path) -> WorkspaceStore:
    return WorkspaceStore(tmp_path / "data")


def _table(n: int = 5) -> pd.DataFrame:
    return pd.DataFrame({"customer": [f"c{i}" for i in range(n)], "spend": [float(i) for i in range(n)],
                         "mixed": [1, "two", 3.0, None, "=cmd()"][:n]})


def test_codec_keeps_tuples_tuple_keys_sets_and_persona_sets():
    edits = {("run", (("file", "x.csv", 1, 2), None, "entities"), "nmf", 4, 0, ()): persona_set()}
    value = {"range": (2, 8), "hidden": {3, 1}, "edits": edits, "__looks_tagged": [1, (2,)]}
    back = loads(dumps(value))
    assert back["range"] == (2, 8) and back["hidden"] == {1, 3}
    assert back["__looks_tagged"] == [1, (2,)]
    [(key, ps)] = back["edits"].items()
    assert key == next(iter(edits)) and ps.to_json() == persona_set().to_json()
    assert dumps(value) == dumps(loads(dumps(value)))  # equal values, equal text


def test_codec_refuses_damaged_text_with_a_clear_error():
    with pytest.raises(PersonaLabError, match="cannot be read"):
        loads('{"__persona_set__": "not json"}')


def test_choices_are_saved_versioned_and_read_back(store):
    workspace = store.create("Survey 2026")
    first = store.write_state(workspace, {"seg_k": "4", "seg_seed": "7"}, writer="tab-a")
    second = store.write_state(workspace, {"seg_k": "6"}, writer="tab-b")
    assert second > first
    stored = store.state(workspace)
    assert stored["seg_k"].value == "6" and stored["seg_k"].writer == "tab-b" and stored["seg_k"].version == second
    assert stored["seg_seed"].value == "7" and stored["seg_seed"].version == first
    assert store.versions(workspace) == {"seg_k": (second, "tab-b"), "seg_seed": (first, "tab-a")}
    # A second store on the same directory (another server, after a restart) sees the same.
    assert WorkspaceStore(store.data_dir).state(workspace)["seg_k"].value == "6"


def test_rename_list_duplicate_delete(store):
    a = store.create("A")
    store.write_state(a, {"seg_k": "4"}, writer="t")
    content = store.keep_table(a, "digest-1", None, "survey.csv", _table())
    store.rename(a, "  Survey   A ")
    assert store.get(a).name == "Survey A"
    with pytest.raises(PersonaLabError, match="needs a name"):
        store.rename(a, "   ")
    b = store.duplicate(a)
    assert store.get(b).name == "Survey A (copy)"
    assert store.state(b)["seg_k"].value == "4"
    assert store.stored_table(b, "digest-1", None) == store.table_path(content)
    assert {w.id for w in store.workspaces()} == {a, b}
    store.delete(a)  # the copy still uses the table: it stays
    assert store.get(a) is None and store.state(a) == {}
    assert store.table_path(content).exists()
    store.delete(b)  # the last user of the table: gone with it
    assert not store.table_path(content).exists()
    assert store.workspaces() == []


def test_tables_are_parquet_named_by_their_content(store):
    workspace = store.create()
    frame = _table()
    content = store.keep_table(workspace, "digest-1", "Sheet 2", "survey.xlsx", frame)
    path = store.stored_table(workspace, "digest-1", "Sheet 2")
    assert path.name == f"{content}.parquet" and path.parent == store.data_dir / "datasets"
    back = pd.read_parquet(path)
    assert list(back["customer"]) == list(frame["customer"]) and list(back["spend"]) == list(frame["spend"])
    assert list(back["mixed"].astype(object).where(back["mixed"].notna(), None)) == ["1", "two", "3.0", None, "=cmd()"]
    assert store.stored_table(workspace, "digest-1", None) is None  # another sheet was not kept
    # The same content twice is one file.
    assert store.keep_table(store.create(), "digest-9", None, "copy.csv", frame) == content
    assert len(list((store.data_dir / "datasets").iterdir())) == 1


def test_the_data_directory_is_private(store):
    assert stat.S_IMODE(store.data_dir.stat().st_mode) == 0o700


def test_two_writers_on_one_workspace_queue_rather_than_corrupt(store):
    """Two sessions (each with its own store and connections, as two servers would have) write
    the same keys 100 times each at once: every write lands, versions never repeat, and the
    stored value is one of the last two written."""
    workspace = store.create()
    versions: dict[str, list[int]] = {"a": [], "b": []}
    problems = []

    def write(writer: str) -> None:
        own = WorkspaceStore(store.data_dir)
        try:
            for i in range(100):
                versions[writer].append(own.write_state(workspace, {"seg_k": str(i), f"only_{writer}": str(i)}, writer))
        except Exception as exc:  # noqa: BLE001 -- recorded for the assertion below
            problems.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not problems
    every = versions["a"] + versions["b"]
    assert len(set(every)) == 200  # each transaction got its own version
    stored = store.state(workspace)
    assert stored["only_a"].value == "99" and stored["only_b"].value == "99"
    assert stored["seg_k"].value == "99" and stored["seg_k"].version == max(every)
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_unwritable_data_directory_opens_read_only_with_a_reason(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    store = WorkspaceStore(blocker / "data")
    assert store.read_only and "cannot be written" in store.read_only and "PERSONA_LAB_DATA_DIR" in store.read_only
    with pytest.raises(ReadOnly):
        store.create()


class _FullDisk(WorkspaceStore):
    """A store whose database may not grow: SQLite's own 'database or disk is full'."""

    def _connect(self, read_only: bool = False):
        db = super()._connect(read_only)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db


def test_a_full_disk_refuses_the_write_clearly_and_keeps_what_was_there(store):
    workspace = store.create()
    store.write_state(workspace, {"seg_k": "4"}, writer="t")
    full = _FullDisk(store.data_dir)
    with pytest.raises(ReadOnly, match="could not be saved.*full.*Free some disk space"):
        full.write_state(workspace, {f"key_{i}": "x" * 2000 for i in range(200)}, writer="t")
    assert store.state(workspace)["seg_k"].value == "4" and "key_0" not in store.state(workspace)


def test_a_workspace_travels_as_one_file(store, tmp_path):
    workspace = store.create("Field study")
    store.write_state(workspace, {"seg_k": "4", "pe_edits": dumps({("run", 1): persona_set()})}, writer="t")
    content = store.keep_table(workspace, "digest-1", None, "survey.csv", _table())
    path = export_workspace(store, workspace, tmp_path / "field.zip")

    elsewhere = WorkspaceStore(tmp_path / "other")
    imported = import_workspace(elsewhere, path)
    assert elsewhere.get(imported).name == "Field study"
    assert elsewhere.state(imported)["seg_k"].value == "4"
    assert loads(elsewhere.state(imported)["pe_edits"].value)[("run", 1)].to_json() == persona_set().to_json()
    kept = elsewhere.stored_table(imported, "digest-1", None)
    assert kept.name == f"{content}.parquet"
    pd.testing.assert_frame_equal(pd.read_parquet(kept), pd.read_parquet(store.table_path(content)))


def test_a_damaged_or_foreign_workspace_file_is_refused(store, tmp_path):
    workspace = store.create()
    content = store.keep_table(workspace, "d", None, "t.csv", _table())
    good = export_workspace(store, workspace, tmp_path / "w.zip")
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        target.writestr("workspace.json", source.read("workspace.json"))
        target.writestr(f"datasets/{content}.parquet", b"PAR1 not the table")
    with pytest.raises(PersonaLabError, match="damaged"):
        import_workspace(store, damaged)
    foreign = tmp_path / "foreign.zip"
    foreign.write_bytes(b"plain text")
    with pytest.raises(PersonaLabError, match="cannot be read"):
        import_workspace(store, foreign)
    assert [w.id for w in store.workspaces()] == [workspace]  # nothing half-imported


def test_workspace_command_lists_exports_imports_and_deletes(store, tmp_path, capsys):
    workspace = store.create("Panel")
    store.write_state(workspace, {"seg_k": "3"}, writer="t")
    data = ["workspace", "--data-dir", str(store.data_dir)]
    assert main([*data, "list"]) == 0
    assert capsys.readouterr().out.split("\t")[::2] == [workspace, "Panel\n"]
    assert main([*data, "export", workspace, str(tmp_path / "panel.zip")]) == 0
    capsys.readouterr()
    assert main([*data, "import", str(tmp_path / "panel.zip"), "--name", "Panel again"]) == 0
    copy = capsys.readouterr().out.strip()
    assert store.get(copy).name == "Panel again" and store.state(copy)["seg_k"].value == "3"
    assert main([*data, "delete", workspace]) == 0
    assert store.get(workspace) is None
    assert main([*data, "delete", "no-such-id"]) == 2
    assert "There is no workspace 'no-such-id'" in capsys.readouterr().err

"""The app on its workspace (ui/workspace.py, ui/analyses.py) through AppTest: a reload comes back
to the same choices, data and edits; two sessions on one workspace; a job followed across a page
switch and picked up by a reloaded tab; a data directory that cannot be written."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.testing.v1 import AppTest

from persona_lab.data.sample_data import CUSTOMER_SAMPLE, SAMPLE_DIR
from persona_lab.workspace import WorkspaceStore
from ui import runs
from ui.dataset import digest
from ui.state import EDITS, WORKSPACE, WS_NOTES

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _tab(workspace: str | None = None, page: str | None = None, **state) -> AppTest:
    """A browser tab: a new session, on ``?ws=workspace`` when given (a reload or a bookmark)."""
    at = AppTest.from_file(APP, default_timeout=120)
    if workspace:
        at.query_params["ws"] = workspace
    for key, value in state.items():
        at.session_state[key] = value
    _run(at)
    if page:
        at.switch_page(f"ui/pages/{page}.py")
        _run(at)
    return at


def _set(at: AppTest, **choices) -> AppTest:
    for key, value in choices.items():
        at.session_state[key] = value
    return _run(at)


def _store() -> WorkspaceStore:
    return runs.workspace_services(__import__("ui.workspace").workspace.data_dir())[0]


def _names(at: AppTest) -> list[str]:
    return [s.value for s in at.subheader]


def _upload(rows: int | None = None) -> dict:
    """The customers sample as an upload; its first ``rows`` rows only, for a table of its own."""
    lines = (SAMPLE_DIR / CUSTOMER_SAMPLE).read_bytes().splitlines(keepends=True)
    raw = b"".join(lines[: None if rows is None else rows + 1])
    return {"name": "my_survey.csv", "bytes": raw, "digest": digest(raw)}


def test_a_reload_and_a_restart_come_back_to_the_same_data_k_and_edits():
    at = _tab(page="personas", data_source="upload", data_upload=_upload(), seg_method="kmeans", seg_k=3, seg_seed=4)
    workspace = at.session_state[WORKSPACE]
    assert at.query_params["ws"] == workspace
    first = at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("_w_pe_name_")))
    first.set_value("Weekend bargain hunters")
    _run(at)
    assert "Weekend bargain hunters" in _names(at)

    # The upload is kept as Parquet in the data directory, not as the bytes of a session.
    store = _store()
    [(source, _, name, content)] = store.tables(workspace)
    assert (source, name) == (_upload()["digest"], "my_survey.csv") and store.table_path(content).exists()

    reloaded = _tab(workspace, page="personas")
    assert reloaded.session_state["seg_k"] == 3 and reloaded.session_state["seg_seed"] == 4
    assert "bytes" not in reloaded.session_state["data_upload"]  # read back from the workspace
    assert "Weekend bargain hunters" in _names(reloaded)
    assert "3 personas from my\\_survey\\.csv" in " ".join(c.value for c in reloaded.caption)

    st.cache_data.clear()  # a server restart: nothing in memory, the workspace on disk
    st.cache_resource.clear()
    restarted = _tab(workspace, page="personas")
    assert "Weekend bargain hunters" in _names(restarted)
    assert len(restarted.session_state[EDITS]) == 1


def test_a_reloaded_tab_keeps_its_k_and_seed_when_the_browser_sends_the_widgets_default_back():
    # The sessions benchmark saw reloaded tabs showing k = 2, the k widget's own default (its
    # minimum): a browser that draws a widget from its default sends that default back on the next
    # run, and the widget's callback took it for the user's choice. The default is the stored choice.
    workspace = _tab(seg_k=6, seg_seed=9).session_state[WORKSPACE]
    reloaded = _tab(workspace)
    k_input, seed_input = (reloaded.sidebar.number_input(key=key) for key in ("_w_seg_k", "_w_seg_seed"))
    assert (k_input.value, seed_input.value) == (6, 9)
    assert (k_input.proto.default, seed_input.proto.default) == (6, 9)
    k_input.set_value(k_input.proto.default)
    seed_input.set_value(seed_input.proto.default)
    _run(reloaded)
    assert (reloaded.session_state["seg_k"], reloaded.session_state["seg_seed"]) == (6, 9)
    assert _store().state(workspace)["seg_k"].value == "6"


def test_a_tab_without_a_workspace_starts_one_and_an_unknown_one_is_said():
    at = _tab()
    assert _store().get(at.session_state[WORKSPACE]) is not None
    lost = _tab("no-such-workspace")
    assert lost.session_state[WORKSPACE] != "no-such-workspace"
    assert lost.query_params["ws"] == lost.session_state[WORKSPACE]
    assert any("not in this data directory" in w.value for w in lost.sidebar.warning)


def test_two_sessions_on_one_workspace_see_each_others_changes_and_the_last_write_wins():
    a = _tab(seg_k=4)
    workspace = a.session_state[WORKSPACE]
    b = _tab(workspace)
    assert b.session_state["seg_k"] == 4

    _set(a, seg_k=6)
    _run(b)  # b's next run takes over what a saved, and says so
    assert b.session_state["seg_k"] == 6
    assert any("Another tab changed this workspace's k" in n for n in _notes(b))

    _set(a, seg_seed=11)
    _set(b, seg_seed=22)  # b changed the same choice without having seen a's: b's is the last write
    assert any("Your change of seed replaced one made in another tab" in n for n in _notes(b))
    assert _store().state(workspace)["seg_seed"].value == "22"
    _run(a)
    assert a.session_state["seg_seed"] == 22


def _notes(at: AppTest) -> list[str]:
    """The workspace's notes: drawn in the sidebar, or still waiting in the session (AppTest draws
    the sidebar on a session's first run only)."""
    return [w.value.replace("\\", "") for w in at.sidebar.warning] + list(at.session_state[WS_NOTES])


def _follow(at: AppTest, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while any(b.label == "Stop" for b in at.button):
        assert time.monotonic() < deadline, "the job did not end in time"
        time.sleep(1)
        _run(at)
    # A job that ends between the page's read and its progress bar's asks for the page again
    # (st.rerun), as a browser does at once; AppTest leaves that run to us (seen under load).
    _run(at)


def test_a_job_goes_on_across_a_page_switch_and_a_reload_picks_it_up():
    settings = {"seg_method": "kmeans", "data_source": "sample_customers", "nk_range": (2, 4), "nk_resamples": 10,
                "nk_references": 5}
    at = _tab(page="number_of_personas", **settings)
    workspace = at.session_state[WORKSPACE]
    next(b for b in at.button if b.label == "Assess stability").click()
    _run(at)
    _, runner = runs.workspace_services(__import__("ui.workspace").workspace.data_dir())
    [job] = runner.jobs(workspace)
    assert job.running and any(b.label == "Stop" for b in at.button)
    assert at.get("progress") and "Assessing stability" in at.get("progress")[0].proto.text

    at.switch_page("ui/pages/segments.py")
    _run(at)
    time.sleep(1)
    at.switch_page("ui/pages/number_of_personas.py")
    _run(at)
    [same] = runner.jobs(workspace)  # the same job, not a new one
    assert same.id == job.id and (same.running or same.status == "done")

    reloaded = _tab(workspace, page="number_of_personas")
    _follow(reloaded)
    assert next(m for m in reloaded.metric if m.label == "Recommended number of personas").value
    assert [j.status for j in runner.jobs(workspace)] == ["done"]
    # The same data and settings again, in any tab of the workspace: the stored result at once.
    again = _tab(workspace, page="number_of_personas")
    assert not any(b.label in ("Assess stability", "Stop") for b in again.button)
    assert any(m.label == "Recommended number of personas" for m in again.metric)


def test_a_stopped_job_keeps_nothing_and_offers_the_button_again():
    at = _tab(page="number_of_personas", seg_method="kmeans", nk_range=(2, 5), nk_resamples=200, nk_references=50)
    next(b for b in at.button if b.label == "Assess stability").click()
    _run(at)
    next(b for b in at.button if b.label == "Stop").click()
    _run(at)
    _run(at)
    assert any(b.label == "Assess stability" for b in at.button)
    assert "was stopped" in " ".join(c.value for c in at.caption)


def test_an_unwritable_data_directory_leaves_a_working_read_only_app(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PERSONA_LAB_DATA_DIR", str(blocker / "data"))
    at = _tab(page="segments")
    assert any("cannot be written" in e.value for e in _tab().sidebar.error)
    assert at.session_state[WORKSPACE] is None
    assert at.dataframe and len(at.dataframe[0].value) == 5  # the app works on
    at.switch_page("ui/pages/number_of_personas.py")
    _run(at)
    next(b for b in at.button if b.label == "Assess stability").click()
    _run(at)
    assert any("cannot be written" in n for n in _notes(at))


def test_deleting_a_workspace_deletes_its_data():
    at = _tab(page="data", data_source="upload", data_upload=_upload(rows=300))  # a table no other test has
    workspace = at.session_state[WORKSPACE]
    store = _store()
    [(*_, content)] = store.tables(workspace)
    parquet = store.table_path(content)
    assert parquet.exists() and pd.read_parquet(parquet).shape[0] > 0
    at.sidebar.checkbox(key="_w_ws_delete_sure").check()
    _run(at)
    next(b for b in at.sidebar.button if b.label == "Delete").click()
    _run(at)
    assert store.get(workspace) is None and not parquet.exists()
    assert at.session_state[WORKSPACE] != workspace  # the tab goes on in another workspace
    _run(at)
    assert not parquet.exists() and at.session_state["data_upload"] is None  # not carried into it


def test_large_criterion_curves_wait_for_the_button_and_run_as_a_job(monkeypatch):
    from ui import costs

    monkeypatch.setattr(costs, "CHEAP_SECONDS", 0)  # the sample counts as large
    at = _tab(page="number_of_personas", nk_range=(2, 4))
    workspace = at.session_state[WORKSPACE]
    _, runner = runs.workspace_services(__import__("ui.workspace").workspace.data_dir())
    assert any(b.label == "Compute the criteria" for b in at.button)
    assert any(c.value.endswith("on a 2-core machine (estimated).") for c in at.caption)  # how long, before it starts
    assert not runner.jobs(workspace) and "The criteria's vote: k =" not in " ".join(m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Compute the criteria").click()
    _run(at)
    _follow(at)
    assert "The criteria's vote: k =" in " ".join(m.value for m in at.markdown)
    assert [(j.kind, j.status) for j in runner.jobs(workspace)] == [("criterion_curves", "done")]


def test_a_large_run_waits_for_its_button_and_its_job_goes_on_across_a_page_switch_and_a_reload(monkeypatch):
    from ui import costs

    monkeypatch.setattr(costs, "CHEAP_SECONDS", 0)  # the sample's run counts as large
    at = _tab(page="segments", seg_k=3, seg_seed=7)
    workspace = at.session_state[WORKSPACE]
    _, runner = runs.workspace_services(__import__("ui.workspace").workspace.data_dir())
    [fit] = [b for b in at.button if b.label.startswith("Fit ")]
    assert fit.label == "Fit NMF with k = 3" and not runner.jobs(workspace) and not at.metric  # nothing fitted unasked
    fit.click()
    _run(at)
    [job] = runner.jobs(workspace)
    assert (job.kind, job.running) == ("persona_run", True) and any(b.label == "Stop" for b in at.button)
    assert "Fitting NMF" in at.get("progress")[0].proto.text

    # Another page that needs the same run follows the same job; so does a reloaded tab.
    at.switch_page("ui/pages/personas.py")
    _run(at)
    assert any(b.label == "Stop" for b in at.button) or runner.job(job.id).status == "done"
    reloaded = _tab(workspace, page="segments")
    _follow(reloaded)
    assert next(m for m in reloaded.metric if m.label == "Personas").value == "3"
    assert [(j.id, j.status) for j in runner.jobs(workspace)] == [(job.id, "done")]

    st.cache_resource.clear()  # a server restart: the run comes from the workspace, not fitted again
    restarted = _tab(workspace, page="personas")
    assert not any(b.label.startswith("Fit ") for b in restarted.button)
    assert "3 personas from channel\\_views\\.csv" in " ".join(c.value for c in restarted.caption)
    assert len(runner.jobs(workspace)) == 1

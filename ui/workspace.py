"""The app's wiring to its workspace on disk (:mod:`persona_lab.workspace`): which workspace a
browser tab works in, its choices loaded and saved, and the Workspace control.

The tab carries only the workspace's id, in the URL (``?ws=...``): a reload, a bookmark or a
server restart comes back to the same workspace, and so to the same data, k and persona edits. A
tab without an id starts a new workspace.

Every choice in :data:`ui.state.PERSISTED` is saved when it changes, at the start and at the end
of each script run (:func:`sync`). Two tabs on one workspace: a change another tab saved is taken
over on the next run, unless this tab changed the same choice meanwhile; then this tab's change is
saved (the last write wins), and both cases are said in the sidebar. When the data directory
cannot be written the app works on, read-only, and says so.
"""

from __future__ import annotations

import copy
import sys
import uuid

import streamlit as st

from persona_lab.errors import PersonaLabError
from persona_lab.workspace import JobRunner, WorkspaceStore, default_data_dir
from persona_lab.workspace.codec import dumps, loads
from ui import runs
from ui.state import DEFAULTS, PERSISTED, WORKSPACE, WS_KEPT, WS_NOTES, WS_SEEN, WS_WRITER
from ui.views import md

QUERY = "ws"
#: Names of choices for the notes about another tab's changes (the rest go by their key).
LABELS = {"seg_method": "method", "seg_k": "k", "seg_seed": "seed", "data_source": "data source",
          "data_upload": "uploaded file", "data_roles": "column roles", "pe_edits": "persona edits",
          "nk_range": "range of k"}


def data_dir() -> str:
    """``streamlit run app.py -- --data-dir DIR``, else $PERSONA_LAB_DATA_DIR, else the default."""
    arguments = sys.argv[1:]
    if "--data-dir" in arguments[:-1]:
        return arguments[arguments.index("--data-dir") + 1]
    return str(default_data_dir())


def services() -> tuple[WorkspaceStore, JobRunner]:
    return runs.workspace_services(data_dir())


def current() -> str | None:
    """The id of this session's workspace (None while nothing can be stored)."""
    return st.session_state[WORKSPACE]


def _note(text: str) -> None:
    if text not in st.session_state[WS_NOTES]:
        st.session_state[WS_NOTES].append(text)


def _saved_form(key: str, value):
    """What is stored of a choice: an upload without its bytes (the table is kept as Parquet)."""
    if key == "data_upload" and value:
        return {"name": value["name"], "digest": value["digest"]}
    return value


def _texts() -> dict[str, str]:
    return {key: dumps(_saved_form(key, st.session_state[key])) for key in PERSISTED}


def open_workspace() -> None:
    """Bind this run to the workspace in the URL (a new one without), then :func:`sync`."""
    store, _ = services()
    if st.session_state[WS_WRITER] is None:
        st.session_state[WS_WRITER] = uuid.uuid4().hex[:12]
    asked = st.query_params.get(QUERY)
    if asked is None and current() is not None:
        st.query_params[QUERY] = current()  # a page switch dropped it from the URL
        asked = current()
    if asked is not None and asked == current():
        sync()
        return
    try:
        if asked is not None and store.get(asked) is not None:
            _load(store, asked)
            return
        if store.read_only:
            return  # the sidebar says why nothing is saved (notes())
        if asked is not None:
            _note("The workspace in the address is not in this data directory (deleted?): a new one was started.")
        _start(store)
    except PersonaLabError as exc:
        _note(f"Nothing is saved: {exc.one_line()}")


def _start(store: WorkspaceStore) -> None:
    """A new workspace holding this session's choices as they are."""
    workspace = store.create()
    st.session_state[WORKSPACE] = workspace
    st.query_params[QUERY] = workspace
    st.session_state[WS_SEEN] = {}
    sync()


def _load(store: WorkspaceStore, workspace: str) -> None:
    """Make this session the stored ``workspace``: every choice from its store, the rest defaults."""
    stored = store.state(workspace)
    _reset()
    seen = {}
    for key, entry in stored.items():
        if key in PERSISTED:
            try:
                st.session_state[key] = loads(entry.value)
            except PersonaLabError as exc:
                _note(f"The stored {LABELS.get(key, key)} could not be read and is back to its default ({exc.what}).")
                continue
            seen[key] = (entry.value, entry.version)
    st.session_state[WORKSPACE] = workspace
    st.session_state[WS_SEEN] = seen
    st.query_params[QUERY] = workspace


def _reset() -> None:
    """Every kept choice back to its default (an uploaded table's bytes too)."""
    for key in PERSISTED:
        st.session_state[key] = copy.deepcopy(DEFAULTS[key])
    st.session_state[WS_KEPT] = set()


def sync() -> None:
    """Save this session's changed choices and take over those another tab saved meanwhile."""
    workspace = current()
    if workspace is None:
        return
    store, _ = services()
    seen = st.session_state[WS_SEEN]
    me = st.session_state[WS_WRITER]
    changed = {key: text for key, text in _texts().items() if seen.get(key, (None,))[0] != text}
    try:
        versions = store.versions(workspace)
        theirs = [key for key, (version, writer) in versions.items()
                  if key in PERSISTED and writer != me and version != seen.get(key, (None, None))[1]]
        if taken := [key for key in theirs if key not in changed]:
            stored = store.state(workspace)
            for key in taken:
                st.session_state[key] = loads(stored[key].value)
                seen[key] = (stored[key].value, stored[key].version)
            _note("Another tab changed this workspace's " + ", ".join(LABELS.get(k, k) for k in taken) + ": shown here too.")
        if overwritten := [key for key in theirs if key in changed]:
            _note("Your change of " + ", ".join(LABELS.get(k, k) for k in overwritten)
                  + " replaced one made in another tab on this workspace (the last change wins).")
        if changed and not store.read_only:
            version = store.write_state(workspace, changed, me)
            seen.update({key: (text, version) for key, text in changed.items()})
    except PersonaLabError as exc:
        _note(f"Not saved: {exc.one_line()}")


def keep_upload(upload: dict, sheet: str | None, frame) -> None:
    """Keep the table read from an upload in the workspace (once), so a reload finds it."""
    workspace, kept = current(), st.session_state[WS_KEPT]
    if workspace is None or (upload["digest"], sheet) in kept:
        return
    store, _ = services()
    kept.add((upload["digest"], sheet))
    try:
        store.keep_table(workspace, upload["digest"], sheet, upload["name"], frame)
    except PersonaLabError as exc:
        _note(f"The uploaded table is not saved: {exc.one_line()}")


def stored_upload(upload: dict, sheet: str | None):
    """The Parquet file of an upload kept by this workspace, or None."""
    workspace = current()
    if workspace is None:
        return None
    store, _ = services()
    try:
        return store.stored_table(workspace, upload["digest"], sheet)
    except PersonaLabError:
        return None


# -- the Workspace control ------------------------------------------------------------------------


def _open(workspace: str) -> None:
    st.query_params[QUERY] = workspace  # open_workspace() loads it on the rerun this click starts


def _rename(workspace: str) -> None:
    store, _ = services()
    try:
        store.rename(workspace, st.session_state["_w_ws_name"])
    except PersonaLabError as exc:
        _note(exc.one_line())


def _duplicate(workspace: str) -> None:
    store, _ = services()
    sync()
    try:
        _open(store.duplicate(workspace))
    except PersonaLabError as exc:
        _note(exc.one_line())


def _delete(workspace: str) -> None:
    store, runner = services()
    try:
        runner.stop_all(workspace)
        store.delete(workspace)
    except PersonaLabError as exc:
        _note(exc.one_line())
        return
    st.session_state[WORKSPACE] = None
    st.query_params.pop(QUERY, None)
    _reset()  # its data goes with it: not carried into the next workspace
    rest = store.workspaces()
    if rest:
        _open(rest[0].id)


def notes() -> None:
    """What the workspace has to say (each note once), and a read-only data directory."""
    store, _ = services()
    for text in st.session_state[WS_NOTES]:
        st.warning(md(text), icon=":material/sync_problem:")
    st.session_state[WS_NOTES] = []
    if store.read_only:
        st.error(md(store.read_only), icon=":material/lock:")


def control() -> None:
    """The sidebar's Workspace control: open, rename, duplicate, delete."""
    store, _ = services()
    workspace = current()
    try:
        listed = store.workspaces()
    except PersonaLabError:
        listed = []
    names = {w.id: w.name for w in listed}
    if workspace not in names:
        st.caption("Workspace: not saved")
        return
    with st.expander(f"Workspace: {md(names[workspace])}", icon=":material/folder_open:"):
        # Chosen, then opened with the button: the list changes as other tabs make workspaces, and
        # a selectbox opening on change could take such a shift for a choice.
        ids = [w.id for w in sorted(listed, key=lambda w: w.created)]
        if st.session_state.get("_w_ws_pick") not in ids:
            st.session_state["_w_ws_pick"] = workspace
        pick, go = st.columns([3, 1], vertical_alignment="bottom")
        pick.selectbox("Workspaces", ids, format_func=names.get, key="_w_ws_pick",
                       help="Every workspace in this data directory, oldest first.")
        go.button("Open", on_click=lambda: _open(st.session_state["_w_ws_pick"]), width="stretch",
                  disabled=st.session_state["_w_ws_pick"] == workspace)
        st.session_state["_w_ws_name"] = names[workspace]
        st.text_input("Name", key="_w_ws_name", on_change=_rename, args=(workspace,))
        left, right = st.columns(2)
        left.button("Duplicate", on_click=_duplicate, args=(workspace,), icon=":material/content_copy:", width="stretch")
        right.button("New", on_click=lambda: _open(store.create()), icon=":material/add:", width="stretch",
                     disabled=bool(store.read_only))
        sure = st.checkbox("Delete this workspace and its data", key="_w_ws_delete_sure")
        st.button("Delete", on_click=_delete, args=(workspace,), icon=":material/delete:", disabled=not sure,
                  type="primary" if sure else "secondary", width="stretch")
        st.caption(f"Saved in {md(store.data_dir)}. The address of this tab opens it again.")

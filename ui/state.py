"""Every session-state key of the app, its default, and how widgets are tied to it.

Every choice a user makes lives in session state under a prefixed, non-widget key: ``data_*``
(Data page), ``seg_*`` (the sidebar's method, k and seed, and Segments' method comparison),
``nk_*`` (Number of personas), ``cmp_*`` (Compare k), ``map_*`` (Map), ``pe_*`` (Personas &
export) and ``tt_*`` (Typing tool). They are declared once, in :data:`DEFAULTS`, and set once per
session by :func:`init_state` (app.py calls it before any page runs); pages read and write them
but never create them.

Streamlit forgets a widget's own key once the page holding it is not rendered, so widgets get a
private key (``_w_<key>``) seeded from the persistent key on every run and copy their value back
in an ``on_change`` callback (:func:`bind`). Callbacks run before the script, so the sidebar
(drawn before the page) always shows the current choice.

The sidebar's method, k and seed are read once per page run, as a :class:`Choice`
(:func:`sidebar_choice`), and passed down from there.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, NamedTuple

import streamlit as st

from persona_lab.methods import METHODS
from persona_lab.personas.privacy import MIN_SIZE

#: k from K_MIN up to the data's groups or rows, at most K_CEILING: APG promises "5, 10, 50 or 100
#: personas", and beyond a few hundred a persona is no longer something a team can talk about.
K_MIN, K_CEILING = 2, 200

#: The Personas page's keys (their values are documented in :mod:`ui.edited_sets`).
EDITS = "pe_edits"  # {source key: edited PersonaSet}
LOADED = "pe_loaded"  # the source key of the persona file being worked on, or None (the run)
LOADED_DIGEST = "pe_loaded_digest"  # SHA-256 of the last upload read, so a rerun does not reload it
PROBLEM = "pe_problem"  # why the last upload or edit was refused, for the page to show
MIN_ROWS = "pe_min_size"  # the minimum segment size: smaller personas are withheld from exports
#: The workspace wiring's own keys (``ui/workspace.py``).
WORKSPACE = "ws_id"  # the workspace this session works in (also in the URL: ?ws=...)
WS_WRITER = "ws_writer"  # this session's name in the workspace's write log
WS_SEEN = "ws_seen"  # {key: (JSON text, version)} as last loaded or saved by this session
WS_NOTES = "ws_notes"  # what the workspace has to say: another tab's changes, a refused write
WS_KEPT = "ws_kept"  # {(upload digest, sheet)} already stored as Parquet
SEARCH = "pe_search"  # the overview's search text
FILTERS = "pe_filters"  # the overview's filters {demographic attribute: [values kept]}
PAGE = "pe_page"  # the page of cards shown

DEFAULTS: dict[str, Any] = {
    # Data
    "data_source": "sample_apg",
    "data_upload": None,  # {"name", "digest", "bytes"} of the last uploaded file
    "data_upload_refused": None,  # why the last upload was refused (over the size limit), or None
    "data_path": "",
    "data_sheet": None,  # Excel sheet; None = the first
    "data_header_row": None,  # reading option: the row of column names (1-based); None = detected
    "data_skip_rows": 0,  # reading option: rows under the header to leave out (units, question texts)
    "data_kind": None,  # None = detected
    "data_roles": {},  # the user's role overrides {column: role}
    "data_roles_for": None,  # the dataset (base key) those overrides belong to
    "data_roles_base": {},  # the roles the role editor started from (fixed while it holds edits)
    "data_types": {},  # the user's type overrides {column: type}, kept and reset with the roles
    "data_labels": {},  # the user's data dictionary (DataDictionary.to_json) for the data of data_labels_for
    "data_labels_for": None,  # the source and sheet those labels belong to
    "data_labels_base": {},  # the labels the labels editor started from (fixed while it holds edits)
    "data_labels_refused": None,  # why the last labels file was refused, or None
    "data_profile_column": None,
    # the sidebar
    "seg_method": "nmf",
    "seg_k": 5,
    "seg_seed": 0,
    # Segments: several methods at one k
    "seg_compare_methods": ["nmf", "kmeans", "gmm"],
    "seg_compare_params": {},  # {method: {parameter: value}} the user changed
    "seg_compare_pair": None,  # the two methods shown side by side
    # Number of personas
    "nk_range": (2, 8),
    "nk_min_share": 0.0,  # business limit: smallest segment share (%) a k may have
    "nk_resamples": 30,
    "nk_references": 20,
    "nk_one_start": False,  # resample fits with one start (fpc's scheme) instead of the method's own
    # Compare k: up to four solutions (slots a-d)
    "cmp_count": 2,
    "cmp_k_a": 3,
    "cmp_k_b": 5,
    "cmp_k_c": 8,
    "cmp_k_d": 10,
    "cmp_method_a": None,  # None: the sidebar's method when the page first opens (if it takes k)
    "cmp_method_b": None,
    "cmp_method_c": None,
    "cmp_method_d": None,
    "cmp_pair_a": 0,  # the two solutions of "Who goes where" (column positions)
    "cmp_pair_b": None,  # None: the last column
    "cmp_focus": None,  # the persona of the lineage's first k followed when a level is too large to show whole
    "cmp_pair_focus": None,  # the row persona of "Who goes where" when the table is too large to show whole
    # Map
    "map_ks": None,  # None: the sidebar's k and its neighbours
    "map_umap_requested": False,
    "map_colour_by": "persona",  # "persona" (views.BY_PERSONA), or a demographic attribute of the skeletons
    # Personas & export
    EDITS: {},
    LOADED: None,
    LOADED_DIGEST: None,
    PROBLEM: None,
    MIN_ROWS: MIN_SIZE,
    SEARCH: "",
    FILTERS: {},
    PAGE: 1,
    # Typing tool
    "tt_questions": 0,  # 0: the recommended number
    # the workspace
    WORKSPACE: None,
    WS_WRITER: None,
    WS_SEEN: {},
    WS_NOTES: [],
    WS_KEPT: set(),
}


#: Kept only for the session, never in the workspace: derived each run, or a message of the moment.
TRANSIENT = frozenset({"data_upload_refused", "data_roles_base", "data_labels_base", "data_labels_refused",
                       "map_umap_requested", LOADED_DIGEST, PROBLEM, WORKSPACE, WS_WRITER, WS_SEEN, WS_NOTES, WS_KEPT})
#: Every other choice is kept in the workspace (``ui/workspace.py``) and comes back after a reload.
PERSISTED = tuple(key for key in DEFAULTS if key not in TRANSIENT)


def init_state() -> None:
    """Session-state defaults, set once per session."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, copy.deepcopy(value))


def widget_key(key: str) -> str:
    return f"_w_{key}"


def _store(key: str) -> None:
    st.session_state[key] = st.session_state[widget_key(key)]


def bind(key: str, on_change: Callable[[], None] | None = None) -> dict:
    """Keyword arguments tying a widget to the persistent state ``key``.

    The widget's own key is seeded from ``key`` before the widget is drawn (so it shows the
    stored value after a page switch) and copied back when the user changes it.
    """
    st.session_state[widget_key(key)] = st.session_state[key]

    def changed() -> None:
        _store(key)
        if on_change is not None:
            on_change()

    return {"key": widget_key(key), "on_change": changed}


# -- the sidebar's choice ----------------------------------------------------------------------


class Choice(NamedTuple):
    """The sidebar's method, k and seed, read once per page run and passed down."""

    method: str
    k: int | None  # None when the method finds k itself (its k is an output)
    seed: int


def sidebar_choice() -> Choice:
    method = st.session_state["seg_method"]
    return Choice(method, METHODS[method].requested_k(st.session_state["seg_k"]), int(st.session_state["seg_seed"]))


def method_label(name: str) -> str:
    return METHODS[name].label


def k_is_output(method: str) -> bool:
    """Whether ``method`` finds the number of personas itself (the method protocol says)."""
    return bool(METHODS[method].k_is_output)


def k_max(dataset) -> int:
    """The largest k worth offering for ``dataset`` (None: no data yet)."""
    return K_CEILING if dataset is None else max(K_MIN, min(K_CEILING, dataset.n_units))


def bind_value(key: str, default: str = "value") -> dict:
    """:func:`bind` for a widget that takes a default value (a number input, a slider; a
    multiselect's is ``default``), which is then the stored choice too.

    Left out, the widget's default is its minimum (k = 2, seed 0), and a browser that draws the
    widget from its default instead of the value sent with it (it did so after a reload with
    several sessions at once) shows that minimum and sends it back on the next run as if the
    user had chosen it: :func:`bind`'s callback then stored it, and the workspace with it. With
    the stored choice as the default, such a fallback shows and sends back the user's choice."""
    return {**bind(key), default: st.session_state[key]}


def bind_k(key: str, high: int) -> dict:
    """:func:`bind_value` for a k widget (a number, a range or a list of k) whose stored choice is
    first kept within K_MIN..``high``: a smaller dataset must not make the widget refuse it."""
    value = st.session_state[key]
    if isinstance(value, list):  # the Map's several k
        st.session_state[key] = sorted({_clip_k(v, high) for v in value})
        return bind_value(key, "default")
    if isinstance(value, tuple):  # a range
        st.session_state[key] = tuple(_clip_k(v, high) for v in value)
    elif value is not None:
        st.session_state[key] = _clip_k(value, high)
    return bind_value(key)


def bind_choice(key: str, options: list) -> dict:
    """:func:`bind` for a choice among ``options`` that depend on the data: a stored choice the
    current data does not offer falls back to the first option."""
    if st.session_state[key] not in options:
        st.session_state[key] = options[0]
    return bind(key)


def _clip_k(value, high: int) -> int:
    return min(max(int(value), K_MIN), high)


def min_share() -> float | None:
    """The Number of personas page's smallest segment share, as a fraction (None: no limit)."""
    return float(st.session_state["nk_min_share"]) / 100 or None


def nk_k_values() -> tuple[int, ...]:
    """The Number of personas page's range of k."""
    low, high = st.session_state["nk_range"]
    return tuple(range(int(low), int(high) + 1))

"""What the app's pages share: session-state defaults and bindings, and cached calls into
``persona_lab``.

State. Every choice a user makes lives in session state under a prefixed, non-widget key
(``data_*`` for the Data page, ``seg_*`` for the sidebar's method/k/seed, ``nk_*`` for Number of
personas, ``cmp_*`` for Compare k). Streamlit forgets a widget's own key once the page holding it
is not rendered, so widgets get a private key (``_w_<key>``) seeded from the persistent key on
every run and copy their value back in an ``on_change`` callback (:func:`bind`). Callbacks run
before the script, so the sidebar (drawn before the page) always shows the current choice.

Caching. Functions here take hashable keys (strings, tuples); the objects they work on (bytes,
a :class:`Dataset`) travel in arguments whose names start with ``_``, which Streamlit does not
hash. The keys fully determine those objects: a file's path with its size and modification
time, an upload's SHA-256, the kind, the roles. Results of user-breakable calls are cached as
``(value, error message)`` so that a bad file is not re-read on every rerun.

Runs, comparisons, criterion curves and stability assessments report progress to a bar on the
page, but an ``st.*`` call made inside a cached function would be recorded and replayed on a
cache hit. So they are memoised in a *slot*: a ``st.cache_resource`` entry (bounded by
``max_entries``) holding a dict that :func:`_fill`, run outside the cached function, fills once.
"""

from __future__ import annotations

import copy
import hashlib
import re
import time
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st

from persona_lab import pipeline
from persona_lab import comparison as comparison_module
from persona_lab.assess import criteria as criteria_module
from persona_lab.assess import select as select_module
from persona_lab.assess import stability as stability_module
from persona_lab.assess.stability import LABELS as STABILITY_LABELS  # noqa: F401 (for the pages)
from persona_lab.data import infer_roles, list_sheets, profile_columns, read_table
from persona_lab.data.dataset import Dataset
from persona_lab.data.samples import APG_SAMPLE, CUSTOMER_SAMPLE, SAMPLE_DIR
from persona_lab.errors import PersonaLabError
from persona_lab.methods import METHODS, get_method
from persona_lab.prepare import Preparation, Prepared, prepare

# -- session state ------------------------------------------------------------------------------

SOURCES = {
    "sample_apg": "Sample: channel views (APG)",
    "sample_customers": "Sample: customers table",
    "upload": "Upload a file",
    "path": "Path on this machine",
}
SAMPLE_FILES = {"sample_apg": APG_SAMPLE, "sample_customers": CUSTOMER_SAMPLE}
UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "xlsx", "parquet", "json", "jsonl", "sav", "dta"]
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
KIND_LABELS = {
    "interactions": "Interaction matrix (groups x content, APG)",
    "entities": "One row per customer / respondent",
}
K_MIN, K_MAX = 2, 30

DEFAULTS: dict[str, Any] = {
    "data_source": "sample_apg",
    "data_upload": None,  # {"name", "digest", "bytes"} of the last uploaded file
    "data_path": "",
    "data_sheet": None,  # Excel sheet; None = the first
    "data_kind": None,  # None = detected
    "data_roles": {},  # the user's role overrides {column: role}
    "data_roles_for": None,  # the dataset (base key) those overrides belong to
    "data_profile_column": None,
    "seg_method": "nmf",
    "seg_k": 5,
    "seg_seed": 0,
    "nk_range": (2, 8),
    "nk_min_share": 0.0,  # business limit: smallest segment share (%) a k may have
    "nk_resamples": 30,
    "nk_references": 20,
    "nk_one_start": False,  # resample fits with one start (fpc's scheme) instead of the method's own
    "nk_requested": None,  # the settings whose stability assessment the user asked for
    "cmp_k_a": 3,
    "cmp_k_b": 5,
    "seg_compare_methods": ["nmf", "kmeans", "gmm"],
    "seg_compare_params": {},  # {method: {parameter: value}} the user changed
    "seg_compare_pair": None,  # the two methods shown side by side
}


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


# -- showing user text --------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def md(text: object) -> str:
    """``text`` as literal markdown: every character markdown (or Streamlit's directives,
    emoji shortcodes and LaTeX) would interpret is backslash-escaped. Use for any user-supplied
    string (file, column, persona names, cell values) shown in markdown-rendering elements."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def show_error(message: str) -> None:
    st.error(md(message), icon=":material/error:")


# -- loading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where the data comes from: a hashable ``key`` plus the raw material to read."""

    key: tuple
    name: str
    read: Any  # a path (str) or bytes
    is_excel: bool


@dataclass(frozen=True)
class Loaded:
    """The current dataset (roles applied), or why there is none."""

    dataset: Dataset | None
    key: tuple | None  # identifies dataset content, kind and roles: the key of every later cache
    base_key: tuple | None  # the same before the user's role overrides
    inferred_kind: str | None
    source: Source | None
    error: str | None = None
    hint: str | None = None  # nothing chosen yet (no upload, empty path): not an error


def _file_source(path: Path) -> Source:
    try:
        stat = path.stat()
        key = ("file", str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = ("file", str(path), None, None)
    return Source(key, path.name or str(path), str(path), path.suffix.lower() in EXCEL_SUFFIXES)


def current_source() -> tuple[Source | None, str | None]:
    """The chosen source, or (None, a hint of what to do)."""
    choice = st.session_state["data_source"]
    if choice in SAMPLE_FILES:
        return _file_source(SAMPLE_DIR / SAMPLE_FILES[choice]), None
    if choice == "upload":
        upload = st.session_state["data_upload"]
        if not upload:
            return None, "Upload a file to start (CSV, TSV, Excel, Parquet, JSON, SPSS or Stata)."
        name = upload["name"]
        return Source(("upload", upload["digest"], name), name, upload["bytes"], name.lower().endswith(EXCEL_SUFFIXES)), None
    path = str(st.session_state["data_path"] or "").strip()
    if not path:
        return None, "Type the path of a data file on this machine and press Enter."
    return _file_source(Path(path).expanduser()), None


@st.cache_resource(max_entries=6, show_spinner=False)
def _sheets(key: tuple, name: str, _read) -> tuple[list[str] | None, str | None]:
    try:
        return list_sheets(_read, name=name), None
    except PersonaLabError as exc:
        return None, exc.one_line()


@st.cache_resource(max_entries=6, show_spinner="Reading the data…")
def _read(key: tuple, name: str, sheet: str | None, _read) -> tuple[pd.DataFrame | None, str | None]:
    try:
        return read_table(_read, name=name, sheet=sheet), None
    except PersonaLabError as exc:
        return None, exc.one_line()


@st.cache_data(max_entries=12, show_spinner=False)
def _profile(key: tuple, sheet: str | None, _frame: pd.DataFrame) -> pd.DataFrame:
    return profile_columns(_frame)


def sheets(source: Source) -> tuple[list[str] | None, str | None]:
    return _sheets(source.key, source.name, source.read)


def current_sheet(source: Source) -> tuple[str | None, str | None]:
    """(sheet to read, error) for Excel sources; (None, None) otherwise."""
    if not source.is_excel:
        return None, None
    names, error = sheets(source)
    if error:
        return None, error
    if st.session_state["data_sheet"] not in names:
        st.session_state["data_sheet"] = names[0]
    return st.session_state["data_sheet"], None


@st.cache_resource(max_entries=12, show_spinner=False)
def _base_dataset(key: tuple, name: str, sheet: str | None, kind: str | None, _frame: pd.DataFrame):
    """(Dataset with inferred roles, inferred kind, error)."""
    try:
        profile = _profile(key, sheet, _frame)
        detected, roles = infer_roles(_frame, profile)
        kind_used = detected
        if kind is not None and kind != detected:
            kind_used, roles = infer_roles(_frame, profile, kind=kind)
        dataset = Dataset(
            frame=_frame, roles=roles, kind=kind_used, name=name,
            warnings=tuple(_frame.attrs.get("warnings", [])),
        )
        return dataset, detected, None
    except PersonaLabError as exc:
        return None, None, exc.one_line()


def current_dataset() -> Loaded:
    """The dataset every page works on: the chosen source, sheet, kind and roles."""
    source, hint = current_source()
    if source is None:
        return Loaded(None, None, None, None, None, hint=hint)
    sheet, error = current_sheet(source)
    if error:
        return Loaded(None, None, None, None, source, error=error)
    frame, error = _read(source.key, source.name, sheet, source.read)
    if error:
        return Loaded(None, None, None, None, source, error=error)
    kind = st.session_state["data_kind"]
    base, detected, error = _base_dataset(source.key, source.name, sheet, kind, frame)
    if error:
        return Loaded(None, None, None, None, source, error=error)
    base_key = (source.key, sheet, base.kind)
    if st.session_state["data_roles_for"] != base_key:
        # Another dataset (or kind): the overrides made for the previous one do not apply.
        st.session_state["data_roles"] = {}
        st.session_state["data_roles_for"] = base_key
    overrides = {c: r for c, r in st.session_state["data_roles"].items() if base.roles.get(c) != r}
    try:
        dataset = base.with_roles(overrides) if overrides else base
    except PersonaLabError as exc:
        return Loaded(None, None, base_key, detected, source, error=exc.one_line())
    key = (base_key, tuple(sorted(overrides.items())))
    return Loaded(dataset, key, base_key, detected, source)


def profile(loaded: Loaded) -> pd.DataFrame:
    base_key = loaded.base_key
    return _profile(base_key[0], base_key[1], loaded.dataset.frame)


def require_dataset() -> Loaded:
    """For the analysis pages: the dataset, or an error / hint with a link to the Data page and
    ``st.stop()``."""
    loaded = current_dataset()
    if loaded.dataset is None:
        if loaded.error:
            show_error(loaded.error)
        else:
            st.info(loaded.hint or "Choose data on the Data page.")
        st.page_link("app_pages/data.py", label="Go to the Data page", icon=":material/table:")
        st.stop()
    return loaded


# -- preparing and running ----------------------------------------------------------------------


def method_label(name: str) -> str:
    return METHODS[name].label


def k_is_output(method: str) -> bool:
    return bool(METHODS[method].k_is_output)


def require_k_input(method: str, why: str) -> None:
    """Stop the page, saying so, when ``method`` finds the number of personas itself."""
    if k_is_output(method):
        st.info(
            f"{method_label(method)} finds the number of personas itself: {why}. Choose a method with "
            "k as input (e.g. NMF or k-means) in the sidebar.",
            icon=":material/info:",
        )
        st.stop()


def default_preparation(method: str, kind: str) -> Preparation:
    return get_method(method).default_preparation(kind)


@st.cache_resource(max_entries=8, show_spinner="Preparing features…")
def _prepared(key: tuple, preparation: tuple, _dataset: Dataset, _preparation: Preparation):
    try:
        return prepare(_dataset, _preparation), None
    except PersonaLabError as exc:
        return None, exc.one_line()


def prepared_as(loaded: Loaded, preparation: Preparation) -> tuple[Prepared | None, str | None]:
    """The loaded data under ``preparation`` (memoised), or the user error that stops it."""
    return _prepared(loaded.key, astuple(preparation), loaded.dataset, preparation)


def prepared_for(loaded: Loaded, method: str) -> tuple[Prepared | None, str | None]:
    """The matrix ``method`` fits, under its default preparation for this kind of data."""
    return prepared_as(loaded, default_preparation(method, loaded.dataset.kind))


Progress = Callable[[float, str], None]


def progress_reporter(text: str) -> tuple[Progress, Callable[[], None]]:
    """(callback, done): a progress bar, drawn on the first report and removed when done.

    Nothing is drawn when the result comes from the cache."""
    placeholder = st.empty()

    def report(fraction: float, message: str) -> None:
        placeholder.progress(min(max(float(fraction), 0.0), 1.0), text=f"{text}: {message}")

    return report, placeholder.empty


@st.cache_resource(max_entries=16, show_spinner=False)
def _run_slot(key: tuple, method: str, k: int | None, seed: int, params: tuple) -> dict:
    return {}


def effective_k(method: str, k: int | None) -> int | None:
    return None if k_is_output(method) else int(k)


def run_key(loaded: Loaded, method: str, k: int | None, seed: int, params: tuple = ()) -> tuple:
    return (loaded.key, method, effective_k(method, k), int(seed), params)


def _fill(slot: dict, compute: Callable[[], Any]):
    """The slot's value, computed once. A PersonaLabError is kept and raised again on every hit
    (the same settings fail the same way); anything else, a Stop click included, keeps nothing."""
    if "value" not in slot and "error" not in slot:
        try:
            slot["value"] = compute()
        except PersonaLabError as exc:
            slot["error"] = exc
    if "error" in slot:
        raise slot["error"]
    return slot["value"]


def run_personas(
    loaded: Loaded, method: str, k: int | None, seed: int, params: tuple = (), progress: Progress | None = None
) -> pipeline.PersonaRun:
    """``persona_lab.pipeline.run``, memoised on (dataset key, method, k, seed, params).

    Raises :class:`PersonaLabError` (also on a cache hit for a failed configuration)."""
    k = effective_k(method, k)
    slot = _run_slot(loaded.key, method, k, int(seed), params)

    def timed_run():
        started = time.perf_counter()
        try:
            return pipeline.run(loaded.dataset, method, k, seed=int(seed), params=dict(params), progress=progress)
        finally:
            slot["seconds"] = time.perf_counter() - started

    return _fill(slot, timed_run)


def run_seconds(loaded: Loaded, method: str, k: int | None, seed: int, params: tuple = ()) -> float | None:
    return _run_slot(loaded.key, method, effective_k(method, k), int(seed), params).get("seconds")


def sidebar_choice() -> tuple[str, int | None, int]:
    """(method, k or None when the method finds k itself, seed) from the sidebar."""
    method = st.session_state["seg_method"]
    return method, effective_k(method, st.session_state["seg_k"]), int(st.session_state["seg_seed"])


def run_current(loaded: Loaded, label: str = "Segmenting") -> pipeline.PersonaRun | None:
    """The run for the sidebar's method, k and seed, with a progress bar; shows the error and
    returns None when it cannot be made."""
    method, k, seed = sidebar_choice()
    report, done = progress_reporter(label)
    try:
        return run_personas(loaded, method, k, seed, progress=report)
    except PersonaLabError as exc:
        show_error(exc.one_line())
        return None
    finally:
        done()


@st.cache_resource(max_entries=8, show_spinner=False)
def _comparison_slot(key: tuple, methods: tuple, k: int | None, seed: int, params: tuple) -> dict:
    return {}


def frozen_params(params: dict[str, dict]) -> tuple:
    """A hashable form of {method: {parameter: value}} for cache keys."""
    return tuple(sorted((m, tuple(sorted(p.items()))) for m, p in params.items() if p))


def compare_methods(loaded: Loaded, methods: tuple, k: int | None, seed: int, params: dict, progress=None):
    """``persona_lab.comparison.compare_methods``, memoised like a run."""
    slot = _comparison_slot(loaded.key, tuple(methods), k, int(seed), frozen_params(params))
    return _fill(slot, lambda: comparison_module.compare_methods(
        loaded.dataset, list(methods), k, seed=int(seed), params=params, progress=progress))


def cached_comparison(loaded: Loaded, methods: tuple, k: int | None, seed: int, params: dict):
    """The comparison for these settings if it was already run in this app, else None."""
    return _comparison_slot(loaded.key, tuple(methods), k, int(seed), frozen_params(params)).get("value")


#: Worker processes for resampling in the app (results do not depend on it).
APP_JOBS = 2


@st.cache_resource(max_entries=4, show_spinner=False)
def _selection_slot(key: tuple) -> dict:
    return {}


def selection_key(loaded: Loaded, method: str, k_values: tuple, seed: int, min_share) -> tuple:
    """The settings of a stability assessment: these, and the Number of personas page's
    resampling choices as they stand in the session."""
    state = st.session_state
    return (loaded.key, method, tuple(k_values), int(seed), min_share, int(state["nk_resamples"]),
            int(state["nk_references"]), bool(state["nk_one_start"]) and has_starts(method))


def has_starts(method: str) -> bool:
    """Whether ``method`` fits from several random starts (so one start per resample means less)."""
    return stability_module.has_starts(get_method(method))


def cached_selection(key: tuple):
    """The finished assessment for these settings, or None."""
    return _selection_slot(key).get("value")


def select_k(loaded: Loaded, key: tuple, progress: Progress | None = None):
    """``assess.select.select_k`` for the settings in ``key``, memoised; raises PersonaLabError.

    A click while it runs stops it: Streamlit raises from the next progress report (at least
    every half second) and the engine kills its worker processes."""
    _, method, k_values, seed, min_share, resamples, references, one_start = key
    return _fill(_selection_slot(key), lambda: select_module.select_k(
        loaded.dataset, method, k_values, resamples=resamples, seed=seed, n_ref=references,
        min_share=min_share, n_jobs=APP_JOBS, progress=progress, starts=1 if one_start else None))


@st.cache_resource(max_entries=8, show_spinner=False)
def _curve_slot(key: tuple, method: str, k_values: tuple, seed: int, min_share: float | None) -> dict:
    return {}


def criterion_curves(
    loaded: Loaded, method: str, k_values: tuple, seed: int, *, min_share: float | None = None,
    progress: Progress | None = None,
):
    """``assess.criteria.criterion_curves`` on the loaded dataset, memoised."""
    slot = _curve_slot(loaded.key, method, tuple(k_values), int(seed), min_share)
    return _fill(slot, lambda: criteria_module.criterion_curves(
        loaded.dataset, method, list(k_values), seed=int(seed), progress=progress, min_share=min_share))


def criterion_label(name: str) -> str:
    return criteria_module.label(name)


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()

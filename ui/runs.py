"""Every cached call of the app into ``persona_lab``: reading, preparing, the memory of analyses
(runs, comparisons, criterion curves, stability assessments: ``ui/analyses.py`` computes them in
the page or as jobs), exports, models, typing tools, maps, and the workspace store with its jobs.

This is the only module of the app with ``st.cache_data`` / ``st.cache_resource`` (a test checks
it). Cached functions take hashable keys (strings, tuples); the objects they work on (bytes, a
:class:`Dataset`, a run) travel in arguments whose names start with ``_``, which Streamlit does
not hash. The keys fully determine those objects: a file's path with its size and modification
time, an upload's SHA-256, the kind, the roles (see :mod:`ui.dataset`); a run's key is the
dataset's key with the method, k, seed and parameters (:func:`run_key`). Results of
user-breakable calls are cached as ``(value, error message)`` so that a bad file is not re-read on
every rerun.

Analyses report progress to a bar on the page, but an ``st.*`` call made inside a cached function
would be recorded and replayed on a cache hit. So they are memoised in a *slot*: a
``st.cache_resource`` entry (bounded by ``max_entries``) holding a dict that :func:`fill`, run
outside the cached function, fills once (or that a finished job's result fills).

Maps: the PCA map at once, UMAP from a background worker process when it is ready. A fresh
umap-learn spends 10-45 s importing and compiling (numba) before its first fit. So the app starts
one worker process when it starts (:func:`start_warm_up`, called by app.py) that imports umap and
fits a tiny dataset; every UMAP map is then fitted there, while the page shows the PCA map and
polls (:func:`umap_map`). A process rather than a thread: numba-compiled code holds the GIL, and a
long fit in a thread would freeze every page of the server. Its numba cache lives on disk
(``NUMBA_CACHE_DIR``), so later server starts load compiled code instead of compiling it.
``PERSONA_LAB_UMAP_WARMUP=0`` (set by the test suite) starts nothing in the background: no
warm-up, and UMAP only when the user asks for it.
"""

from __future__ import annotations

import io
import os
import threading
import time
from concurrent.futures import Future
from dataclasses import astuple, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
import streamlit as st
from joblib.externals.loky import ProcessPoolExecutor

from persona_lab import embed, pipeline
from persona_lab.assess import stability as stability_module
from persona_lab.data import infer_roles, list_sheets, profile_columns, read_table
from persona_lab.data.load import dataset_from_frame
from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.export import manifest_json
from persona_lab.export.markdown import markdown_text
from persona_lab.export.pdf import ReportContext, pdf_bytes
from persona_lab.export.pptx import pptx_bytes
from persona_lab.export.tables import assignments_frame, csv_text
from persona_lab.methods import METHODS, get_method
from persona_lab.model_file import PersonaModel, model_files
from persona_lab.personas.model import PersonaSet
from persona_lab.prepare import COMMON_SPACE, Preparation, Prepared, prepare
from persona_lab.typing_tool import TypingTool, typing_tool_for_model
from persona_lab.workspace import JobRunner, WorkspaceStore


if TYPE_CHECKING:
    from ui.dataset import Loaded

Progress = Callable[[float, str], None]

#: Worker processes for resampling, and threads for a fit's starts, in the app (results do not depend on it).
APP_JOBS = 2


def fill(slot: dict, compute: Callable[[], Any]):
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


# -- reading ------------------------------------------------------------------------------------


@st.cache_resource(max_entries=6, show_spinner=False)
def _sheets(key: tuple, name: str, _read) -> tuple[list[str] | None, str | None]:
    try:
        return list_sheets(_read, name=name), None
    except PersonaLabError as exc:
        return None, exc.one_line()


def sheets(key: tuple, name: str, raw) -> tuple[list[str] | None, str | None]:
    """(sheet names, error) of an Excel source."""
    return _sheets(key, name, raw)


@st.cache_resource(max_entries=6, show_spinner="Reading the data…")
def _read(key: tuple, name: str, sheet: str | None, options: tuple, _read) -> tuple[pd.DataFrame | None, str | None]:
    try:
        header_row, skip_rows = options
        return read_table(_read, name=name, sheet=sheet, header_row=header_row, skip_rows=skip_rows), None
    except PersonaLabError as exc:
        return None, exc.one_line()


def read(key: tuple, name: str, sheet: str | None, raw, options: tuple = (None, 0)) -> tuple[pd.DataFrame | None, str | None]:
    """(the table, error) of a source read with the reading ``options`` (header row, rows to skip)."""
    return _read(key, name, sheet, options, raw)


@st.cache_data(max_entries=12, show_spinner=False)
def _profile(key: tuple, sheet: str | None, _frame: pd.DataFrame) -> pd.DataFrame:
    return profile_columns(_frame)


def profile(key: tuple, sheet: str | None, frame: pd.DataFrame) -> pd.DataFrame:
    """The column profile of a source's table."""
    return _profile(key, sheet, frame)


@st.cache_resource(max_entries=12, show_spinner=False)
def _base_dataset(key: tuple, name: str, sheet: str | None, kind: str | None, _frame: pd.DataFrame):
    try:
        detected, _ = infer_roles(_frame, _profile(key, sheet, _frame))
        dataset = dataset_from_frame(_frame, name, kind=kind if kind != detected else None)
        return dataset, detected, None
    except PersonaLabError as exc:
        return None, None, exc.one_line()


def base_dataset(key: tuple, name: str, sheet: str | None, kind: str | None, frame: pd.DataFrame):
    """(Dataset with inferred roles, inferred kind, error)."""
    return _base_dataset(key, name, sheet, kind, frame)


@st.cache_data(max_entries=4, show_spinner=False)
def _new_rows(digest: str, name: str, _raw: bytes) -> pd.DataFrame:
    return read_table(io.BytesIO(_raw), name=name)


def new_rows(digest: str, name: str, raw: bytes) -> pd.DataFrame:
    """An uploaded file of new rows to score (raises PersonaLabError)."""
    return _new_rows(digest, name, raw)


# -- preparing ------------------------------------------------------------------------------------


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
    return prepared_as(loaded, get_method(method).default_preparation(loaded.dataset.kind))


# -- runs, comparisons, criterion curves and assessments: analyses (ui/analyses.py) ------------------


@st.cache_resource(max_entries=32, show_spinner=False)
def analysis_slot(kind: str, key: tuple) -> dict:
    """This server's memory of one analysis (:class:`ui.analyses.Analysis`): its "value" or
    "error", computed in a page or read from its finished job, and "seconds" when fitted here."""
    return {}


def run_key(loaded: Loaded, method: str, k: int | None, seed: int, params: tuple = ()) -> tuple:
    """What a run is memoised on: (dataset key, method, the k it is asked for, seed, params)."""
    return (loaded.key, method, METHODS[method].requested_k(k), int(seed), params)


def frozen_params(params: dict[str, dict]) -> tuple:
    """A hashable form of {method: {parameter: value}} for cache keys."""
    return tuple(sorted((m, tuple(sorted(p.items()))) for m, p in params.items() if p))


# -- the workspace on disk and its jobs -----------------------------------------------------------


@st.cache_resource(max_entries=2, show_spinner=False)
def workspace_services(data_dir: str) -> tuple[WorkspaceStore, JobRunner]:
    """The store of ``data_dir`` and its job runner: one per server, shared by every session."""
    store = WorkspaceStore(data_dir)
    return store, JobRunner(store)


# -- the number of personas ---------------------------------------------------------------------


def has_starts(method: str) -> bool:
    """Whether ``method`` fits from several random starts (so one start per resample means less)."""
    return stability_module.has_starts(get_method(method))


def selection_key(loaded: Loaded, method: str, k_values: tuple, seed: int, min_share) -> tuple:
    """The settings of a stability assessment: these, and the Number of personas page's
    resampling choices as they stand in the session."""
    session = st.session_state
    return (loaded.key, method, tuple(k_values), int(seed), min_share, int(session["nk_resamples"]),
            int(session["nk_references"]), bool(session["nk_one_start"]) and has_starts(method))


# -- exports, cached on the set's own JSON (edits change it) --------------------------------------


@st.cache_data(max_entries=8, show_spinner="Writing the PDF…")
def export_pdf(key: str, context: ReportContext, _persona_set: PersonaSet) -> bytes:
    return pdf_bytes(_persona_set, context)


@st.cache_data(max_entries=8, show_spinner="Writing the PowerPoint…")
def export_pptx(key: str, context: ReportContext, _persona_set: PersonaSet) -> bytes:
    return pptx_bytes(_persona_set, context)


@st.cache_data(max_entries=8, show_spinner=False)
def export_json(key: str, _persona_set: PersonaSet) -> str:
    return _persona_set.to_json()


@st.cache_data(max_entries=8, show_spinner=False)
def export_markdown(key: str, _persona_set: PersonaSet) -> str:
    return markdown_text(_persona_set)


@st.cache_data(max_entries=8, show_spinner=False)
def export_manifest(key: str, _persona_set: PersonaSet) -> str:
    return manifest_json(_persona_set.manifest)


@st.cache_data(max_entries=8, show_spinner=False)
def export_assignments(key: str, _run, _persona_set: PersonaSet) -> str:
    frame = assignments_frame(_run.prepared.row_labels, _run.method.labels_, _run.method.memberships_, _persona_set)
    return csv_text(frame)


# -- using the personas: the model and the typing tool -----------------------------------------------


@st.cache_resource(max_entries=8, show_spinner=False)
def persona_model(key: tuple, _run) -> tuple[PersonaModel, str, bytes]:
    """The run's model and its two files. The key is the run's (:func:`run_key`): the run itself
    is not hashed."""
    fitted = PersonaModel.from_run(_run)
    return (fitted, *model_files(fitted))


@st.cache_resource(max_entries=8, show_spinner=False)
def named_model(key: tuple, set_key: str, _run, _personas: PersonaSet) -> tuple[PersonaModel, str, bytes]:
    """The model of the run of ``key`` with its personas as the user edited them (``_personas``,
    whose :func:`ui.edited_sets.set_key` is ``set_key``): their names in the scored assignments
    and in model.json. Nothing is refitted."""
    fitted = replace(persona_model(key, _run)[0], personas=_personas)
    return (fitted, *model_files(fitted))


@st.cache_resource(max_entries=8, show_spinner="Choosing the questions…")
def typing_tool(key: tuple, n_questions: int | None, seed: int, _run) -> TypingTool:
    """The typing tool of the run of ``key`` (:func:`run_key`): the run itself is not hashed."""
    return typing_tool_for_model(PersonaModel.from_run(_run), _run.dataset.frame, n_questions=n_questions, seed=seed,
                                 dictionary=_run.dataset.dictionary)


# -- maps -----------------------------------------------------------------------------------------

WARMUP_VARIABLE = "PERSONA_LAB_UMAP_WARMUP"
#: A UMAP job not done after this long is taken as lost (its worker died): PCA stays.
UMAP_TIMEOUT_S = 20 * 60


def background_enabled() -> bool:
    return os.environ.get(WARMUP_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")


def numba_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "persona_lab" / "numba")


@dataclass
class Worker:
    """The one UMAP worker process of this server, and its warm-up."""

    executor: ProcessPoolExecutor
    warm_up: Future  # done once umap is imported and compiled; map jobs queue behind it


@st.cache_resource(show_spinner=False)
def _worker() -> Worker:
    # loky's executor, not multiprocessing's: a spawned multiprocessing child re-runs the
    # parent's __main__, which under streamlit is app.py itself; loky's workers do not.
    environment = {"NUMBA_CACHE_DIR": numba_cache_dir(), "NUMBA_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    executor = ProcessPoolExecutor(max_workers=1, env=environment)
    return Worker(executor, executor.submit(embed.warm_up))


def start_warm_up() -> None:
    """Start the UMAP worker (import, compile, tiny fit) in the background, unless turned off."""
    if background_enabled():
        _worker()


def map_matrix(loaded: Loaded) -> tuple[Prepared, str]:
    """(prepared data to map, what it is): the common space, the same for every method, so that
    only the colouring changes between methods and k."""
    prepared, error = prepared_as(loaded, COMMON_SPACE)
    if error:
        raise PersonaLabError(error)
    what = ("each group's content mix (its views as shares of its total)" if prepared.kind == "interactions"
            else "the rows on z-scored numbers and one-hot categories")
    return prepared, what


def map_key(loaded: Loaded, seed: int) -> tuple:
    """Maps are cached per dataset, preparation and seed: not per method or k."""
    return (loaded.key, astuple(COMMON_SPACE), int(seed))


@st.cache_resource(max_entries=8, show_spinner="Drawing the map…")
def pca_map(key: tuple, _prepared: Prepared) -> embed.Embedding:
    return embed.pca_embedding(_prepared.X, seed=key[-1])


@dataclass(frozen=True)
class UmapStatus:
    embedding: embed.Embedding | None = None
    running: bool = False
    elapsed: float = 0.0
    error: str | None = None


@st.cache_resource(max_entries=8, show_spinner=False)
def _umap_slot(key: tuple) -> dict:
    return {"lock": threading.Lock()}


def umap_map(key: tuple, prepared: Prepared, start: bool) -> UmapStatus:
    """The UMAP map for ``key`` if it is ready; otherwise whether it is being computed, started
    now when ``start`` (never twice, whichever session asks)."""
    slot = _umap_slot(key)
    with slot["lock"]:
        job = slot.get("job")
        if job is None and "value" not in slot and "error" not in slot:
            if not start:
                return UmapStatus()
            slot["job"] = _worker().executor.submit(embed.umap_embedding, prepared.X, key[-1])
            slot["started"] = time.monotonic()
            job = slot["job"]
        elapsed = time.monotonic() - slot.get("started", time.monotonic())
        if job is not None and job.done():
            try:
                slot["value"] = job.result()
            except Exception as exc:  # noqa: BLE001 -- any failure of the worker leaves PCA in place
                slot["error"] = f"UMAP failed ({type(exc).__name__}: {exc}); the PCA map stays"
            del slot["job"]
        elif job is not None and elapsed > UMAP_TIMEOUT_S:
            slot["error"] = f"UMAP did not finish in {UMAP_TIMEOUT_S // 60} minutes; the PCA map stays"
            del slot["job"]
        if "value" in slot:
            return UmapStatus(slot["value"])
        if "error" in slot:
            return UmapStatus(error=slot["error"])
        return UmapStatus(running=True, elapsed=elapsed)


@st.cache_data(max_entries=16, show_spinner=False)
def row_details(key: tuple, seed: int, _run: pipeline.PersonaRun, _rows: np.ndarray) -> pd.DataFrame:
    """A few key values of the drawn rows of the run of ``key`` (the drawn rows follow from the
    data and ``seed``)."""
    return embed.row_details(_run.prepared, _run.dataset, _run.personas, _rows)

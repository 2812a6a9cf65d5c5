"""Maps in the app: the PCA map at once, UMAP from a background worker process when it is ready.

A fresh umap-learn spends 10-45 s importing and compiling (numba) before its first fit. So the app
starts one worker process when it starts (:func:`start_warm_up`, called by app.py) that imports
umap and fits a tiny dataset; every UMAP map is then fitted there, while the page shows the PCA
map and polls (:func:`umap_map`). A process rather than a thread: numba-compiled code holds the
GIL, and a long fit in a thread would freeze every page of the server. Its numba cache lives on
disk (``NUMBA_CACHE_DIR``), so later server starts load compiled code instead of compiling it.

``PERSONA_LAB_UMAP_WARMUP=0`` (set by the test suite) starts nothing in the background: no
warm-up, and UMAP only when the user asks for it.

Moved here from app_shared.py: :func:`map_matrix`, the common space every map is drawn in.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import Future
from dataclasses import astuple, dataclass
from pathlib import Path

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st
from joblib.externals.loky import ProcessPoolExecutor

from app_shared import Loaded, prepared_as
from persona_lab import embed
from persona_lab.errors import PersonaLabError
from persona_lab.pipeline import PersonaRun
from persona_lab.prepare import COMMON_SPACE, Prepared

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


# -- the data a map shows -----------------------------------------------------------------------


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


# -- what is drawn ------------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def _details(key: tuple, seed: int, _run: PersonaRun, _rows: np.ndarray) -> pd.DataFrame:
    return embed.row_details(_run.prepared, _run.dataset, _run.personas, _rows)


def drawn_frame(run_key: tuple, run: PersonaRun, embedding: embed.Embedding, seed: int) -> tuple[pd.DataFrame, list]:
    """(x, y, row id and a few key values of each drawn row, their tooltips). Key values get
    plain field names: column names are user text, and Vega reads dots and brackets in a field."""
    rows = embed.drawn_rows(len(embedding.coords), seed)
    prepared = run.prepared
    frame = pd.DataFrame({"x": embedding.coords[rows, 0], "y": embedding.coords[rows, 1],
                          "row": [str(prepared.row_labels[i]) for i in rows]})
    tooltips: list = [alt.Tooltip("row:N", title="group" if prepared.kind == "interactions" else "row")]
    details = _details(run_key, int(seed), run, rows)  # the drawn rows follow from the data and seed
    for i, column in enumerate(details.columns):
        frame[f"value_{i}"] = details[column].to_numpy()
        tooltips.append(alt.Tooltip(f"value_{i}:N", title=str(column)))
    return frame.set_index(pd.Index(rows, name="index")), tooltips

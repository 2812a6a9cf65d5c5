"""Analyses that take longer than a page's script run should: started on a button press, run as
jobs in worker processes (:mod:`persona_lab.workspace.jobs`), followed by any page or tab of the
workspace, and stored with the settings that made them, so that asking for the same data and
settings again shows the stored result at once.

A job's key is the SHA-256 of the analysis's settings tuple (for the stability assessment,
:func:`ui.runs.selection_key`), which starts with the dataset's key (its content hash, kind and
roles): the same settings on other data are another job.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from persona_lab.assess import criteria as criteria_module
from persona_lab.assess import select as select_module
from persona_lab.errors import PersonaLabError
from persona_lab.workspace.jobs import CANCELLED, FAILED, Job
from ui import runs, state, workspace
from ui.views import md, show_error

SELECTION = "select_k"
CURVES = "criterion_curves"
#: Criterion curves run in the page, at once, when the prepared matrix times the number of k is at
#: most this many cells (the bundled samples at k = 2..8: 0.16 and 0.42 million); larger ones wait for a button
#: and run as a job.
CHEAP_CELLS = 2_000_000
#: How often a page following a job reads its progress (seconds).
POLL_S = 1.0


def job_key(key: tuple) -> str:
    return hashlib.sha256(repr(key).encode("utf-8")).hexdigest()


def job_for(kind: str, key: tuple) -> Job | None:
    """The workspace's job for these settings: the finished one, else the newest; None if none."""
    if workspace.current() is None:
        return None
    _, runner = workspace.services()
    try:
        return runner.latest(workspace.current(), kind, job_key(key))
    except PersonaLabError:
        return None


def result(kind: str, key: tuple):
    """The stored result for these settings, or None (nothing is computed here)."""
    job = job_for(kind, key)
    if job is None or job.status != "done":
        return None
    _, runner = workspace.services()
    return runs.job_result(runner, job)


def start(kind: str, key: tuple, settings: dict, function, *args, **kwargs) -> None:
    """Start the job (a button's callback); a refusal (read-only data directory) is noted."""
    store, runner = workspace.services()
    if workspace.current() is None or store.read_only:
        st.session_state[state.WS_NOTES].append(
            "Analyses run as jobs kept in the workspace, and the data directory cannot be written: "
            + (store.read_only or "no workspace is open"))
        return
    try:
        runner.submit(workspace.current(), kind, job_key(key), settings, function, *args, **kwargs)
    except (PersonaLabError, OSError) as exc:
        st.session_state[state.WS_NOTES].append(f"The analysis could not be started: {exc}")


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def progress_text(job: Job) -> str:
    left = job.time_left()
    pace = f"about {duration(left)} left" if left is not None else "estimating the time left"
    return f"{round(100 * job.fraction)}% · {duration(job.elapsed())} so far, {pace} · {job.message}"


def follow(job: Job, title: str) -> None:
    """One progress bar for the whole job, with the time left and a Stop button, read again every
    second; the whole page runs again once the job has ended."""
    _, runner = workspace.services()

    @st.fragment(run_every=POLL_S)
    def bar() -> None:
        now = runner.job(job.id)
        if now is None or not now.running:
            st.rerun(scope="app")
        st.progress(now.fraction, text=f"{title}: {md(progress_text(now))}")
        st.button("Stop", key=f"_w_stop_{job.id}", on_click=runner.stop, args=(job.id,), icon=":material/stop:",
                  help="Stops the job and its worker processes at once; nothing of it is kept.")
        st.caption("It runs on the server: you can open other pages, reload or close this tab, and come back.")

    bar()


def ended(job: Job | None) -> None:
    """What to say about a job that ended without a result."""
    if job is None:
        return
    if job.status == FAILED:
        show_error(job.error or "The analysis failed.")
    elif job.status == CANCELLED:
        st.caption("The last run with these settings was stopped.")


# -- the stability assessment of the Number of personas page -------------------------------------


def selection(key: tuple):
    """The finished stability assessment for ``key`` (:func:`ui.runs.selection_key`), or None."""
    return result(SELECTION, key)


def page_selection(loaded, method: str, seed: int):
    """The Number of personas page's assessment of ``method`` with its current settings, if one
    was made (nothing is computed here)."""
    k_values = state.nk_k_values()
    if len(k_values) < 2:
        return None
    return selection(runs.selection_key(loaded, method, k_values, seed, state.min_share()))


def start_selection(loaded, key: tuple) -> None:
    _, method, k_values, seed, min_share, resamples, references, one_start = key
    settings = {"dataset": loaded.dataset.name, "method": method, "k_values": list(k_values), "seed": seed,
                "min_share": min_share, "resamples": resamples, "references": references, "one_start": one_start}
    start(SELECTION, key, settings, select_module.select_k, loaded.dataset, method, k_values, resamples=resamples,
          seed=seed, n_ref=references, min_share=min_share, n_jobs=runs.APP_JOBS, starts=1 if one_start else None)


# -- criterion curves over k, for large matrices ------------------------------------------------------


def curves_are_cheap(loaded, method: str, k_values: tuple) -> bool:
    prepared, error = runs.prepared_for(loaded, method)
    if error:
        return True  # the page shows the error at once
    rows, features = prepared.X.shape
    return rows * features * len(k_values) <= CHEAP_CELLS


def start_curves(loaded, method: str, k_values: tuple, seed: int, min_share) -> None:
    key = (loaded.key, method, tuple(k_values), int(seed), min_share)
    settings = {"dataset": loaded.dataset.name, "method": method, "k_values": list(k_values), "seed": seed,
                "min_share": min_share}
    start(CURVES, key, settings, criteria_module.criterion_curves, loaded.dataset, method, list(k_values),
          seed=int(seed), min_share=min_share)

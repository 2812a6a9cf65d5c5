"""Analyses that can take longer than a page's script run should: the persona runs (at any k),
the Segments page's comparison of methods, the criterion curves and the stability assessment.

Each is an :class:`Analysis`: what to call and the settings it is memoised on. :func:`obtain`
is the one way a page gets analyses: from this server's memory, else from the workspace's
finished job for the same settings, else computed. A short one (estimated by :mod:`ui.costs`) is
computed in the page at once (or on its button press, where the page asks for one); a larger one waits for
a button and runs as a job in a worker process (:mod:`persona_lab.workspace.jobs`), followed by
any page or tab of the workspace with one progress bar, the time left and a Stop button, and
stored with the settings that made it, so that asking for the same data and settings again shows
the stored result at once, after a reload or a server restart too.

A job's key is the SHA-256 of the analysis's settings tuple, which starts with the dataset's key
(its content hash, kind and roles): the same settings on other data are another job.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import streamlit as st

from persona_lab import pipeline
from persona_lab.assess import criteria as criteria_module
from persona_lab.assess import select as select_module
from persona_lab.assess.methods_at_k import compare_methods
from persona_lab.errors import PersonaLabError
from persona_lab.prepare import COMMON_SPACE
from persona_lab.workspace.jobs import CANCELLED, FAILED, Job
from ui import costs, runs, state, views, workspace
from ui.costs import COMPARISON, CURVES, RUN
from ui.state import Choice, method_label
from ui.views import md, show_error

SELECTION = "select_k"
#: The personas counted for the size of a method that finds k itself (HDBSCAN).
FOUND_K = 10
#: How often a page following a job reads its progress (seconds).
POLL_S = 1.0


@dataclass(frozen=True)
class Analysis:
    """``function(*args, progress=..., **kwargs)``, memoised and stored as a job on ``key``."""

    kind: str
    key: tuple  # the settings: the dataset's key first
    settings: dict = field(compare=False)  # the same, for people to read in the job's row
    function: Callable = field(compare=False)
    args: tuple = field(compare=False)
    kwargs: dict = field(compare=False)
    seconds: float | None = field(default=None, compare=False)  # estimated (ui/costs.py); None: always a job

    @property
    def cheap(self) -> bool:
        return self.seconds is not None and self.seconds <= costs.CHEAP_SECONDS

    def compute(self, progress) -> Any:
        return self.function(*self.args, progress=progress, **self.kwargs)


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


_MISSING = object()


def _known(analysis: Analysis):
    """The result from this server's memory or the workspace's finished job, else _MISSING;
    raises the PersonaLabError this analysis failed with here."""
    slot = runs.analysis_slot(analysis.kind, analysis.key)
    if "value" in slot or "error" in slot:
        return runs.fill(slot, lambda: None)
    job = job_for(analysis.kind, analysis.key)
    if job is None or job.status != "done":
        return _MISSING
    _, runner = workspace.services()
    try:
        slot["value"] = runner.result(job)
    except (PersonaLabError, OSError, EOFError):  # its result file is gone: it is made again
        return _MISSING
    return slot["value"]


def result(analysis: Analysis):
    """The analysis's result if it was made (nothing is computed here), else None."""
    try:
        found = _known(analysis)
    except PersonaLabError:
        return None
    return None if found is _MISSING else found


def obtain(wanted: list[Analysis], *, title: str, button: str, help: str, ask: bool = False,
           disabled: bool = False) -> list | None:
    """The results of ``wanted``, in order; None while some are missing, with what the page can do
    about it drawn in their place: the progress of their jobs, or the button that starts them.

    Missing analyses that are all cheap are computed here, at once (``ask``: on the button press),
    with a progress bar; the others run as jobs on the button press (``disabled``: not now), or
    here on it when the data directory cannot keep jobs. An analysis that fails here
    shows its error and stops the page, as the same settings fail the same way every time."""
    found: dict[Analysis, Any] = {}
    try:
        for analysis in wanted:
            if (value := _known(analysis)) is not _MISSING:
                found[analysis] = value
    except PersonaLabError as exc:
        show_error(exc.one_line())
        st.stop()
    missing = [a for a in dict.fromkeys(wanted) if a not in found]
    if not missing:
        return [found[a] for a in wanted]
    jobs = [job_for(a.kind, a.key) for a in missing]
    if running := [job for job in jobs if job is not None and job.running]:
        follow(running, title)
        return None
    # Here: cheap, or no workspace to keep a job in (a read-only data directory; an assessment
    # still goes to start(), which says why it cannot run).
    here = all(a.cheap or (a.seconds is not None and not _jobs_kept()) for a in missing)
    if ask or not all(a.cheap for a in missing):
        for job in jobs:
            ended(job)
        pressed = st.button(button, type="primary", help=help, key=f"_w_start_{job_key(tuple(a.key for a in missing))[:16]}",
                            on_click=None if here else start, args=(missing,), disabled=disabled)
        if all(a.seconds is not None for a in missing):
            st.caption(f"About {duration(max(1.0, sum(a.seconds for a in missing)))} on a 2-core machine (estimated).")
        if not (here and pressed):
            return None
    found.update(_compute_here(missing, title))
    return [found[a] for a in wanted]


def _jobs_kept() -> bool:
    store, _ = workspace.services()
    return workspace.current() is not None and not store.read_only


def _compute_here(missing: list[Analysis], title: str) -> dict:
    """The missing analyses in this script run, one progress bar for all; an error stops the page."""
    report, done = views.progress_reporter(title)
    computed = {}
    try:
        for i, analysis in enumerate(missing):
            slot = runs.analysis_slot(analysis.kind, analysis.key)
            started = time.perf_counter()
            computed[analysis] = runs.fill(slot, lambda: analysis.compute(lambda f, text: report((i + f) / len(missing), text)))
            slot.setdefault("seconds", time.perf_counter() - started)
        return computed
    except PersonaLabError as exc:
        show_error(exc.one_line())
        st.stop()
    finally:
        done()


def start(missing: list[Analysis]) -> None:
    """Start a job for each analysis (a button's callback); a refusal (read-only data directory) is noted."""
    store, runner = workspace.services()
    if workspace.current() is None or store.read_only:
        st.session_state[state.WS_NOTES].append(
            "Analyses run as jobs kept in the workspace, and the data directory cannot be written: "
            + (store.read_only or "no workspace is open"))
        return
    try:
        for a in missing:
            runner.submit(workspace.current(), a.kind, job_key(a.key), a.settings, a.function, *a.args, **a.kwargs)
    except (PersonaLabError, OSError) as exc:
        st.session_state[state.WS_NOTES].append(f"The analysis could not be started: {exc}")


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"


def progress_text(jobs: list[Job]) -> str:
    """One line for jobs that run side by side: their mean progress and the longest time left."""
    fraction = sum(job.fraction for job in jobs) / len(jobs)
    running = [job for job in jobs if job.running]
    lefts = [job.time_left() for job in running]
    left = None if not running or None in lefts else max(lefts)
    pace = f"about {duration(left)} left" if left is not None else "estimating the time left"
    message = running[0].message if running else jobs[0].message
    if len(jobs) > 1:
        message = f"{len(jobs) - len(running)} of {len(jobs)} done · {message}"
    return f"{round(100 * fraction)}% · {duration(max(job.elapsed() for job in jobs))} so far, {pace} · {message}"


def follow(jobs: list[Job], title: str) -> None:
    """One progress bar for the jobs, with the time left and a Stop button, read again every
    second; the whole page runs again once they have ended."""
    _, runner = workspace.services()
    ids = [job.id for job in jobs]

    @st.fragment(run_every=POLL_S)
    def bar() -> None:
        now = [found for i in ids if (found := runner.job(i)) is not None]
        if not any(job.running for job in now):
            st.rerun(scope="app")
        st.progress(sum(job.fraction for job in now) / len(now), text=f"{title}: {md(progress_text(now))}")
        st.button("Stop", key=f"_w_stop_{ids[0]}", on_click=_stop, args=(ids,), icon=":material/stop:",
                  help="Stops the job and its worker processes at once; nothing of it is kept.")
        st.caption("It runs on the server: you can open other pages, reload or close this tab, and come back.")

    bar()


def _stop(ids: list[str]) -> None:
    _, runner = workspace.services()
    for job in ids:
        runner.stop(job)


def ended(job: Job | None) -> None:
    """What to say about a job that ended without a result."""
    if job is None:
        return
    if job.status == FAILED:
        show_error(job.error or "The analysis failed.")
    elif job.status == CANCELLED:
        st.caption("The last run with these settings was stopped.")


# -- the analyses ---------------------------------------------------------------------------------


def _seconds(loaded, analysis: str, method: str, k_total: int) -> float:
    """The estimated time of ``analysis`` by ``method``: its prepared matrix's cells times
    ``k_total`` (k for a run, the sum of the k for curves) at the measured rate."""
    prepared, error = runs.prepared_for(loaded, method)
    if error:
        return 0.0  # at once: the page shows the error
    return costs.seconds(analysis, loaded.dataset.kind, [method], prepared.X.size * k_total)


def persona_run(loaded, method: str, k: int | None, seed: int, params: tuple = ()) -> Analysis:
    """``persona_lab.pipeline.run``, memoised on :func:`ui.runs.run_key`."""
    key = runs.run_key(loaded, method, k, seed, params)
    settings = {"dataset": loaded.dataset.name, "method": method, "k": key[2], "seed": int(seed), "params": dict(params)}
    return Analysis(RUN, key, settings, pipeline.run, (loaded.dataset, method, key[2]),
                    {"seed": int(seed), "params": dict(params), "n_jobs": runs.APP_JOBS},
                    _seconds(loaded, RUN, method, key[2] or FOUND_K))


def persona_runs(loaded, wanted: list[tuple[str, int | None]], seed: int, title: str | None = None) -> list | None:
    """The runs of ``wanted`` (method, k) pairs (:func:`obtain`): a large one waits for its button."""
    if len({m for m, _ in wanted}) == 1:
        ks = ", ".join(f"k = {k}" for _, k in wanted if k is not None)
        what = f"{method_label(wanted[0][0])} with {ks}" if ks else method_label(wanted[0][0])
    else:
        what = ", ".join(method_label(m) + ("" if k is None else f" with k = {k}") for m, k in wanted)
    return obtain([persona_run(loaded, m, k, seed) for m, k in wanted], title=title or f"Fitting {what}",
                  button=f"Fit {what}",
                  help="A large matrix: the fit runs on the server as a job and is kept in the workspace; you can "
                       "open other pages or reload meanwhile.")


def require_run(loaded, choice: Choice) -> pipeline.PersonaRun:
    """The run for the sidebar's ``choice``; while it is not there, its button or progress and
    ``st.stop()``."""
    found = persona_runs(loaded, [(choice.method, choice.k)], choice.seed, title=f"Fitting {method_label(choice.method)}")
    if found is None:
        st.stop()
    return found[0]


def run_seconds(loaded, choice: Choice) -> float | None:
    """How long the run of ``choice`` took to fit, if it was fitted in this server's pages."""
    return runs.analysis_slot(RUN, runs.run_key(loaded, choice.method, choice.k, choice.seed)).get("seconds")


def comparison(loaded, methods: tuple, k: int | None, seed: int, params: dict) -> Analysis:
    """``persona_lab.assess.methods_at_k.compare_methods``: several methods at one k."""
    key = (loaded.key, tuple(methods), k, int(seed), runs.frozen_params(params))
    settings = {"dataset": loaded.dataset.name, "methods": list(methods), "k": k, "seed": int(seed), "params": params}
    # Sized on the common space every method is measured in (prepared anyway), not on each
    # method's own preparation, which the page would otherwise make before anything is asked.
    common, error = runs.prepared_as(loaded, COMMON_SPACE)
    seconds = 0.0 if error else costs.seconds(COMPARISON, loaded.dataset.kind, methods, common.X.size * (k or FOUND_K))
    return Analysis(COMPARISON, key, settings, compare_methods, (loaded.dataset, list(methods), k),
                    {"seed": int(seed), "params": params}, seconds)


def curves(loaded, method: str, k_values: tuple, seed: int, min_share) -> Analysis:
    """``persona_lab.assess.criteria.criterion_curves``: one fit per k, every criterion."""
    key = (loaded.key, method, tuple(k_values), int(seed), min_share)
    settings = {"dataset": loaded.dataset.name, "method": method, "k_values": list(k_values), "seed": int(seed),
                "min_share": min_share}
    return Analysis(CURVES, key, settings, criteria_module.criterion_curves, (loaded.dataset, method, list(k_values)),
                    {"seed": int(seed), "min_share": min_share}, _seconds(loaded, CURVES, method, sum(k_values)))


def selection(loaded, key: tuple) -> Analysis:
    """``persona_lab.assess.select.select_k`` for :func:`ui.runs.selection_key`: always a job."""
    _, method, k_values, seed, min_share, resamples, references, one_start = key
    settings = {"dataset": loaded.dataset.name, "method": method, "k_values": list(k_values), "seed": seed,
                "min_share": min_share, "resamples": resamples, "references": references, "one_start": one_start}
    return Analysis(SELECTION, key, settings, select_module.select_k, (loaded.dataset, method, k_values),
                    {"resamples": resamples, "seed": seed, "n_ref": references, "min_share": min_share,
                     "n_jobs": runs.APP_JOBS, "starts": 1 if one_start else None})


def page_selection(loaded, method: str, seed: int):
    """The Number of personas page's assessment of ``method`` with its current settings, if one
    was made (nothing is computed here)."""
    k_values = state.nk_k_values()
    if len(k_values) < 2:
        return None
    return result(selection(loaded, runs.selection_key(loaded, method, k_values, seed, state.min_share())))

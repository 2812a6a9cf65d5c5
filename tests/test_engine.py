"""The task engine: order, progress, cancellation, and the same results on every backend."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import psutil
import pytest
from distributed import Client, LocalCluster

from persona_lab.assess.engine import Cancelled, run_tasks


def square_after(delay, i):
    time.sleep(delay)
    return i * i


def scaled(shared, i):
    return float(shared["x"][i] * shared["factor"])


def sleeper(folder, i, delay):
    with open(os.path.join(folder, f"{i}.pid"), "w") as handle:
        handle.write(str(os.getpid()))
    time.sleep(delay)
    return i


def fail_on(i, bad):
    if i == bad:
        raise ValueError(f"task {i} failed")
    return i


# Later tasks finish first, so a result list in completion order would be reversed.
TASKS = [(0.05 * (6 - i), i) for i in range(6)]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_results_come_back_in_task_order(n_jobs):
    assert run_tasks(square_after, TASKS, n_jobs=n_jobs) == [i * i for i in range(6)]


def test_shared_data_reaches_every_task_on_every_backend():
    shared = {"x": np.arange(5.0), "factor": 2.0}
    expected = [0.0, 2.0, 4.0, 6.0, 8.0]
    assert run_tasks(scaled, [(i,) for i in range(5)], shared=shared) == expected
    assert run_tasks(scaled, [(i,) for i in range(5)], shared=shared, n_jobs=2) == expected
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            assert run_tasks(scaled, [(i,) for i in range(5)], shared=shared, dask=client) == expected


def test_local_dask_cluster_is_started_and_closed():
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    assert run_tasks(square_after, TASKS, dask="local", n_jobs=1) == [i * i for i in range(6)]
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and _new_children(before):
        time.sleep(0.1)
    assert not _new_children(before)


def _new_children(before):
    # multiprocessing's resource tracker is a helper that lives as long as this process.
    return [p.pid for p in psutil.Process().children(recursive=True)
            if p.pid not in before and _alive(p.pid) and "resource_tracker" not in " ".join(p.cmdline())]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_progress_rises_to_one(n_jobs):
    seen = []
    run_tasks(square_after, TASKS, n_jobs=n_jobs, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    # Non-decreasing, one step per finished task; a slow start repeats a value (the heartbeat).
    assert fractions == sorted(fractions)
    assert {round(i / 6, 9) for i in range(1, 7)} <= {round(f, 9) for f in fractions}
    assert fractions[-1] == 1.0 and seen[-1][1] == "6 of 6 tasks"


def test_no_tasks_is_an_empty_list_and_full_progress():
    seen = []
    assert run_tasks(square_after, [], n_jobs=2, progress=lambda f, m: seen.append(f)) == []
    assert seen == [1.0]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_task_error_surfaces(n_jobs):
    with pytest.raises(ValueError, match="task 3 failed"):
        run_tasks(fail_on, [(i, 3) for i in range(6)], n_jobs=n_jobs)


def _cancel_after_first(cancel, stamp):
    def progress(fraction, message):
        if not cancel.is_set():
            stamp.append(time.monotonic())
            cancel.set()
    return progress


def test_cancel_kills_running_workers_within_two_seconds(tmp_path):
    cancel, stamp = threading.Event(), []
    # One quick task, then tasks that would sleep for a minute each.
    tasks = [(str(tmp_path), 0, 0.3)] + [(str(tmp_path), i, 60.0) for i in range(1, 6)]
    with pytest.raises(Cancelled):
        run_tasks(sleeper, tasks, n_jobs=2, progress=_cancel_after_first(cancel, stamp), cancel=cancel)
    assert time.monotonic() - stamp[0] < 2.0
    pids = {int(p.read_text()) for p in tmp_path.glob("*.pid")}
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pids)
    # The next run gets fresh workers.
    assert run_tasks(square_after, TASKS, n_jobs=2) == [i * i for i in range(6)]


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE and pid != os.getpid()
    except psutil.NoSuchProcess:
        return False


def test_cancel_in_process_stops_before_the_next_task(tmp_path):
    cancel, stamp = threading.Event(), []
    tasks = [(str(tmp_path), i, 0.1) for i in range(5)]
    with pytest.raises(Cancelled):
        run_tasks(sleeper, tasks, progress=_cancel_after_first(cancel, stamp), cancel=cancel)
    assert len(list(tmp_path.glob("*.pid"))) == 1


def test_cancel_on_dask_returns_within_two_seconds(tmp_path):
    cancel, stamp = threading.Event(), []
    tasks = [(str(tmp_path), 0, 0.2)] + [(str(tmp_path), i, 2.0) for i in range(1, 4)]
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            with pytest.raises(Cancelled):
                run_tasks(sleeper, tasks, dask=client, progress=_cancel_after_first(cancel, stamp), cancel=cancel)
            assert time.monotonic() - stamp[0] < 2.0


class _Stop(Exception):
    """What Streamlit raises from inside a progress update when the user clicks Stop."""


def test_a_progress_callback_that_raises_stops_workers_while_a_long_fit_runs(tmp_path):
    stop_at = time.monotonic() + 0.8  # the user clicks while every task is still sleeping
    raised = []

    def progress(fraction, message):
        if time.monotonic() >= stop_at:
            raised.append(time.monotonic())
            raise _Stop

    tasks = [(str(tmp_path), i, 60.0) for i in range(4)]
    with pytest.raises(_Stop):
        run_tasks(sleeper, tasks, n_jobs=2, progress=progress)
    # Heard through the heartbeat, with no task finished, well inside 2 s of the click.
    assert raised[0] - stop_at < 1.0
    pids = {int(p.read_text()) for p in tmp_path.glob("*.pid")}
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert pids and not any(_alive(pid) for pid in pids)

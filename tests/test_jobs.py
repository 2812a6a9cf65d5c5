"""Long analyses as jobs (persona_lab.workspace.jobs): a worker process per job, its progress and
time left, Stop, a killed worker, a worker whose server is gone, and reuse of a finished result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from persona_lab.workspace import JobRunner, WorkspaceStore

from job_functions import count, refuse

TESTS = Path(__file__).resolve().parent


@pytest.fixture
def runner(tmp_path, monkeypatch) -> JobRunner:
    monkeypatch.setenv("PYTHONPATH", str(TESTS))  # the workers import job_functions by name
    return JobRunner(WorkspaceStore(tmp_path / "data"))


def _until(runner: JobRunner, job: str, done, timeout: float = 240.0):
    """``runner.job(job)`` once ``done`` holds (a worker's start, imports included, is slow on a
    loaded machine: the timeout is generous)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = runner.job(job)
        if done(found):
            return found
        time.sleep(0.1)
    raise AssertionError(f"job {job} is still {runner.job(job).status} after {timeout:.0f} s")


def test_a_job_runs_in_a_worker_reports_progress_and_keeps_its_result(runner):
    workspace = runner.store.create()
    job = runner.submit(workspace, "count", "settings-1", {"steps": 12}, count, 12, 0.25)
    assert job.running and job.pid != os.getpid()
    seen = []
    while (found := runner.job(job.id)).running:
        seen.append((found.fraction, found.time_left()))
        time.sleep(0.1)
    assert found.status == "done" and found.fraction == 1.0 and found.error is None
    assert runner.result(found) == 144
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and any(0 < f < 1 for f in fractions)  # one bar, never going back
    assert any(left is not None and left > 0 for _, left in seen)  # a time left once there is a pace
    assert not runner.store.job_file(job.id, "in").exists()  # the input goes once the job has ended
    # Asked again for the same settings: the finished job, even after a later failed one.
    runner.submit(workspace, "count", "settings-1", {}, refuse)
    assert runner.latest(workspace, "count", "settings-1").id == job.id
    assert runner.latest(workspace, "count", "other settings") is None


def test_a_refused_analysis_fails_with_its_message(runner):
    job = runner.submit(runner.store.create(), "refuse", "k", {}, refuse)
    found = _until(runner, job.id, lambda j: not j.running)
    assert found.status == "failed"
    assert found.error == "Five rows are too few for k = 4. Choose k of at most 2."


def test_a_killed_worker_is_marked_failed_with_its_end(runner):
    job = runner.submit(runner.store.create(), "count", "k", {}, count, 400, 0.25)
    _until(runner, job.id, lambda j: j.fraction > 0)
    os.kill(job.pid, signal.SIGKILL)
    found = _until(runner, job.id, lambda j: not j.running)
    assert found.status == "failed"
    assert "killed by signal SIGKILL before it finished" in found.error
    assert found.finished is not None
    assert not runner.store.job_file(job.id, "in").exists()  # its input (the user's data) is not left behind


def test_a_worker_gone_while_no_one_watched_is_marked_failed_on_the_next_read(runner):
    """A new server (another runner) finds a "running" job whose worker is gone."""
    job = runner.submit(runner.store.create(), "count", "k", {}, count, 400, 0.25)
    _until(runner, job.id, lambda j: j.fraction > 0)
    os.kill(job.pid, signal.SIGKILL)
    psutil.Process(job.pid).wait(timeout=60)  # reaped here, so the new runner sees no process at all
    found = JobRunner(runner.store).job(job.id)
    assert found.status == "failed" and "worker process is gone" in found.error


def test_stop_cancels_the_job_and_ends_its_workers(runner):
    job = runner.submit(runner.store.create(), "count", "k", {}, count, 400, 0.25)
    _until(runner, job.id, lambda j: j.fraction > 0)
    runner.stop(job.id)
    found = runner.job(job.id)
    assert found.status == "cancelled" and not psutil.pid_exists(job.pid)
    assert not runner.store.job_file(job.id, "out").exists()


def test_a_worker_ends_with_the_server_that_started_it(runner, tmp_path):
    """No job outlives its server unseen: the worker goes with it, and the next server marks the
    job failed."""
    script = (
        "import sys, time\n"
        "from persona_lab.workspace import JobRunner, WorkspaceStore\n"
        "from job_functions import count\n"
        f"runner = JobRunner(WorkspaceStore({str(runner.store.data_dir)!r}))\n"
        "job = runner.submit(runner.store.create(), 'count', 'k', {}, count, 400, 0.25)\n"
        "print(job.id, job.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    root = str(TESTS.parent)
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": os.pathsep.join([root, str(TESTS)])})
    try:
        job, pid = server.stdout.readline().split()
        _until(runner, job, lambda j: j.fraction > 0)
    finally:
        server.kill()
        server.wait(timeout=10)
    deadline = time.monotonic() + 120  # the worker looks every second; a loaded machine may be slow
    while psutil.pid_exists(int(pid)) and psutil.Process(int(pid)).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the worker outlived its server"
        time.sleep(0.2)
    found = runner.job(job)
    assert found.status == "failed" and "worker process is gone" in found.error

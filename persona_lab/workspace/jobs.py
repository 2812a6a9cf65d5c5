"""Long analyses as jobs: each runs in its own worker process, outside any page's script run, so
that switching pages, reloading or closing the tab does not stop it.

A job is a row of the workspace database (:mod:`persona_lab.workspace.store`) and two files: its
input (the function and its arguments, pickled by the app itself) and its result. The worker
writes its progress (one fraction for the whole job) into the row as it goes; whoever reads the
row (any tab, any session) sees it. Stop kills the worker's process group (its resampling
workers too). A worker that dies is found by the next read of its row and marked failed with what
is known of its end, never left "running". A finished result is reused whenever the same
workspace asks for the same settings (the job's key) again.

The worker ends with the process that started it (the app's server), so that no job outlives
its server unseen; the server that starts next marks such a job failed.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import psutil

from persona_lab.errors import PersonaLabError
from persona_lab.export.atomic import atomic_write
from persona_lab.workspace.store import WorkspaceStore, new_id

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
#: Progress is written at most this often (seconds): a database write per resample would be waste.
PROGRESS_EVERY = 0.5
COLUMNS = "id, workspace, kind, key, settings, status, fraction, message, error, created, updated, finished, pid, pid_started"


@dataclass(frozen=True)
class Job:
    id: str
    workspace: str
    kind: str
    key: str
    settings: str  # JSON: the settings that made it, for people to read
    status: str
    fraction: float
    message: str
    error: str | None
    created: float
    updated: float
    finished: float | None
    pid: int | None
    pid_started: float | None

    @property
    def running(self) -> bool:
        return self.status == RUNNING

    def elapsed(self, now: float | None = None) -> float:
        return (self.finished or now or time.time()) - self.created

    def time_left(self, now: float | None = None) -> float | None:
        """Seconds left at the pace so far, once there is a pace to go by."""
        elapsed = self.elapsed(now)
        if not self.running or self.fraction < 0.02 or elapsed < 2:
            return None
        return elapsed * (1 - self.fraction) / self.fraction


class JobRunner:
    """Starts, reads and stops the jobs of one data directory's workspaces."""

    def __init__(self, store: WorkspaceStore, python: str = sys.executable):
        self.store = store
        self.python = python
        self._children: dict[str, subprocess.Popen] = {}  # the workers this process started
        self._lock = threading.Lock()

    # -- starting --------------------------------------------------------------------------------

    def submit(self, workspace: str, kind: str, key: str, settings: dict, function: Callable, *args: Any,
               **kwargs: Any) -> Job:
        """Run ``function(*args, progress=..., **kwargs)`` in a worker process; its return value
        becomes the job's result. ``key`` names the settings: the same key reuses the result."""
        job = new_id()
        atomic_write(self.store.job_file(job, "in"), pickle.dumps((function, args, kwargs)))
        now = time.time()
        with self.store.writing() as db:
            db.execute(f"INSERT INTO jobs ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 0, 'starting', NULL, ?, ?, NULL, NULL, NULL)",
                       (job, workspace, kind, key, json.dumps(settings, sort_keys=True, default=str), RUNNING, now, now))
        package_root = str(Path(__file__).resolve().parents[2])
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        with open(self.store.job_file(job, "log"), "wb") as log:
            process = subprocess.Popen(
                [self.python, "-m", "persona_lab.workspace.jobs", str(self.store.data_dir), job, str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment,
                start_new_session=True)  # its own process group: Stop ends its resampling workers too
        with self._lock:
            self._children[job] = process
        with self.store.writing() as db:
            db.execute("UPDATE jobs SET pid = ?, pid_started = ? WHERE id = ?", (process.pid, _started(process.pid), job))
        return self.job(job)

    # -- reading ---------------------------------------------------------------------------------

    def job(self, job: str) -> Job | None:
        with self.store.reading() as db:
            row = db.execute(f"SELECT {COLUMNS} FROM jobs WHERE id = ?", (job,)).fetchone()
        return self._checked(Job(*row)) if row else None

    def latest(self, workspace: str, kind: str, key: str) -> Job | None:
        """The job for these settings: the finished one if there is one, else the newest."""
        with self.store.reading() as db:
            row = db.execute(f"SELECT {COLUMNS} FROM jobs WHERE workspace = ? AND kind = ? AND key = ? "
                             "ORDER BY status = 'done' DESC, created DESC LIMIT 1", (workspace, kind, key)).fetchone()
        return self._checked(Job(*row)) if row else None

    def jobs(self, workspace: str) -> list[Job]:
        with self.store.reading() as db:
            rows = db.execute(f"SELECT {COLUMNS} FROM jobs WHERE workspace = ? ORDER BY created DESC", (workspace,))
            found = [Job(*row) for row in rows.fetchall()]
        return [self._checked(job) for job in found]

    def result(self, job: Job) -> Any:
        if job.status != DONE:
            raise PersonaLabError(f"The analysis has no result yet (it is {job.status})")
        with open(self.store.job_file(job.id, "out"), "rb") as stream:
            return pickle.load(stream)

    def _checked(self, job: Job) -> Job:
        """``job``, marked failed first if it is "running" but its worker is gone."""
        if not job.running:
            with self._lock:
                child = self._children.pop(job.id, None)
            if child is not None:
                child.poll()  # reaped, not left a zombie
            return job
        if self.store.read_only or job.pid is None:
            return job
        why = self._ended(job)
        if why is None:
            return job
        self._finish(job.id, FAILED, error=why, only_if_running=True)
        return self.job(job.id)

    def _ended(self, job: Job) -> str | None:
        """Why the worker of a running job is gone, or None while it lives."""
        with self._lock:
            child = self._children.get(job.id)
        if child is not None:
            code = child.poll()
            if code is None:
                return None
            ended = (f"was killed by signal {signal.Signals(-code).name}" if code < 0 and -code in signal.Signals._value2member_map_
                     else f"exited with code {code}")
            return f"The worker process {ended} before it finished{_last_line(self.store.job_file(job.id, 'log'))}. " \
                   "Press the button to run it again"
        try:
            process = psutil.Process(job.pid)
            if abs(process.create_time() - (job.pid_started or 0)) < 1 and process.status() != psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            pass
        return ("The worker process is gone (it was killed, or the server restarted while it ran)"
                f"{_last_line(self.store.job_file(job.id, 'log'))}. Press the button to run it again")

    # -- stopping --------------------------------------------------------------------------------

    def stop(self, job: str) -> None:
        """Cancel ``job``: its row first (so no result is taken), then its worker's process group."""
        found = self.job(job)
        if found is None or not found.running:
            return
        self._finish(job, CANCELLED, error="Stopped", only_if_running=True)
        if found.pid and self._ended(found) is None:
            try:
                os.killpg(found.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        with self._lock:
            child = self._children.pop(job, None)
        if child is not None:
            child.wait(timeout=10)

    def stop_all(self, workspace: str) -> None:
        for job in self.jobs(workspace):
            self.stop(job.id)

    # -- the worker's side -----------------------------------------------------------------------

    def report(self, job: str, fraction: float, message: str) -> None:
        with self.store.writing() as db:
            db.execute("UPDATE jobs SET fraction = ?, message = ?, updated = ? WHERE id = ? AND status = ?",
                       (min(max(float(fraction), 0.0), 1.0), str(message), time.time(), job, RUNNING))

    def _finish(self, job: str, status: str, error: str | None = None, only_if_running: bool = False) -> None:
        now = time.time()
        with self.store.writing() as db:
            db.execute("UPDATE jobs SET status = ?, error = ?, updated = ?, finished = ?, "
                       "fraction = CASE WHEN ? = 'done' THEN 1 ELSE fraction END WHERE id = ?"
                       + (" AND status = 'running'" if only_if_running else ""), (status, error, now, now, status, job))
        self.store.job_file(job, "in").unlink(missing_ok=True)  # the input holds the user's data: gone with the job

    def work(self, job: str) -> None:
        """Run ``job`` here (in the worker process) and store its result or its error."""
        function, args, kwargs = pickle.loads(self.store.job_file(job, "in").read_bytes())
        last = [0.0]

        def progress(fraction: float, message: str) -> None:
            if time.monotonic() - last[0] >= PROGRESS_EVERY or fraction >= 1:
                last[0] = time.monotonic()
                self.report(job, fraction, message)

        try:
            result = function(*args, progress=progress, **kwargs)
        except PersonaLabError as exc:
            self._finish(job, FAILED, error=exc.one_line(), only_if_running=True)
        except Exception as exc:  # noqa: BLE001 -- a bug: its message for the page, its traceback for the log
            traceback.print_exc()
            self._finish(job, FAILED, error=f"The analysis failed: {type(exc).__name__}: {exc}", only_if_running=True)
        else:
            atomic_write(self.store.job_file(job, "out"), pickle.dumps(result))
            self._finish(job, DONE, only_if_running=True)


def _started(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f" (its last words: {lines[-1].strip()[:300]})" if lines else ""


def _end_with_parent(parent: int) -> None:
    """Kill this worker's process group once ``parent`` (the server) is gone."""
    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os.killpg(os.getpgid(0), signal.SIGKILL)
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True).start()


def main(argv: list[str]) -> int:
    data_dir, job, parent = argv
    _end_with_parent(int(parent))
    JobRunner(WorkspaceStore(data_dir)).work(job)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

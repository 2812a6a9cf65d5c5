"""Run many small independent tasks (resample fits) in-process, on joblib's loky processes, or
on a Dask cluster, with the same results whatever runs them.

Results come back in task order whatever order the tasks finish in, and every task carries its
own seed (see :mod:`persona_lab.assess.resampling`), so output never depends on the number of
workers. Progress is reported as tasks finish; a ``threading.Event`` cancels the run.

Large inputs shared by every task (the prepared matrix) travel once, not once per task: on
loky through a joblib file that workers memory-map and keep, on Dask through ``scatter``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import tempfile
import threading
import time
from typing import Any, Callable, Sequence

import joblib
from joblib.externals.loky import get_reusable_executor
from threadpoolctl import ThreadpoolController

#: How often a waiting run looks at the cancel event (seconds): well inside the 2 s promise.
POLL = 0.05
#: With no task finishing for this long, progress is reported again unchanged: a caller that
#: stops by raising from its progress callback (Streamlit does, on a click) is then heard
#: within this time even while one long fit runs.
HEARTBEAT = 0.5

Progress = Callable[[float, str], None]


class Cancelled(Exception):
    """The user stopped a long computation. Not a PersonaLabError: nothing was wrong."""


# -- what a worker runs ----------------------------------------------------------------------

_loaded: dict[str, Any] = {}
_controller: list = []


def _call(fn, shared, task):
    # Scanning the loaded libraries costs milliseconds, so each process does it once.
    if not _controller:
        _controller.append(ThreadpoolController())
    # BLAS/OpenMP threads would oversubscribe cores that already run one task each.
    with _controller[0].limit(limits=1):
        return fn(*task) if shared is None else fn(shared, *task)


def _call_from_file(fn, path, task):
    if path not in _loaded:
        _loaded.clear()  # one run's data at a time per worker
        _loaded[path] = joblib.load(path, mmap_mode="r")
    return _call(fn, _loaded[path], task)


# -- the one entry point -----------------------------------------------------------------------


def run_tasks(
    fn: Callable,
    tasks: Sequence[tuple],
    *,
    shared: Any = None,
    n_jobs: int = 1,
    dask: Any = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    label: str = "tasks",
) -> list:
    """``[fn(*task) for task in tasks]`` (``fn(shared, *task)`` when ``shared`` is given), in
    task order.

    ``fn`` must be a picklable top-level function. ``n_jobs=1`` runs in this process;
    ``n_jobs > 1`` (or -1 for all cores) uses joblib's loky worker processes; ``dask`` is
    ``"local"`` (a LocalCluster with ``n_jobs`` processes, closed afterwards), a scheduler
    address such as ``"tcp://host:8786"``, or a ``distributed.Client``. ``progress(fraction,
    message)`` is called as tasks finish, ending at 1.0. When ``cancel`` is set, pending tasks
    are dropped, loky workers are killed, and :class:`Cancelled` is raised within about
    ``POLL`` seconds (in-process, only once the running task returns; Dask cannot interrupt a
    running task, but a local cluster is closed).
    """
    tasks = [tuple(t) for t in tasks]
    report = _Reporter(len(tasks), progress, label)
    if not tasks:
        report(0)
        return []
    if cancel is not None and cancel.is_set():
        raise Cancelled("cancelled before the start")
    if dask is not None:
        return _run_dask(fn, tasks, shared, dask, n_jobs, report, cancel)
    workers = joblib.effective_n_jobs(n_jobs)
    if workers <= 1:
        return _run_here(fn, tasks, shared, report, cancel)
    return _run_loky(fn, tasks, shared, min(workers, len(tasks)), report, cancel)


def part_of(progress: Progress | None, offset: float, width: float, prefix: str = "") -> Progress | None:
    """A progress callback for one part of a longer job: its 0..1 maps to offset..offset+width
    of ``progress`` (None stays None)."""
    if progress is None:
        return None
    return lambda fraction, message: progress(min(offset + width * fraction, 1.0), prefix + message)


class _Reporter:
    def __init__(self, total: int, progress: Progress | None, label: str):
        self.total, self.progress, self.label = total, progress, label

    def __call__(self, done: int) -> None:
        if self.progress is not None:
            fraction = 1.0 if self.total == 0 else done / self.total
            self.progress(fraction, f"{done} of {self.total} {self.label}")


def _run_here(fn, tasks, shared, report, cancel) -> list:
    results = []
    for task in tasks:
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"cancelled after {len(results)} of {len(tasks)} tasks")
        results.append(_call(fn, shared, task))
        report(len(results))
    return results


def _collect(n, submit, wait_some, report, cancel, stop, window=None) -> list:
    """Submit tasks ``0..n-1`` (at most ``window`` in flight), gather their results by index,
    poll ``cancel`` while waiting; ``stop(pending)`` abandons what is still running."""
    results: list = [None] * n
    pending: dict = {}  # future -> task index
    submitted = done = 0
    heard = time.monotonic()
    try:
        while submitted < n or pending:
            # Checked before submitting more, so a cancelled run leaves nothing freshly queued.
            if cancel is not None and cancel.is_set():
                raise Cancelled(f"cancelled after {done} of {n} tasks")
            while submitted < n and (window is None or len(pending) < window):
                pending[submit(submitted)] = submitted
                submitted += 1
            finished = wait_some(list(pending))
            for future in finished:
                results[pending.pop(future)] = future.result()  # a task's own exception surfaces here
                done += 1
                report(done)
            if finished or time.monotonic() - heard >= HEARTBEAT:
                if not finished:
                    report(done)
                heard = time.monotonic()
    except BaseException:
        if pending:
            stop(list(pending))
        raise
    return results


def _run_loky(fn, tasks, shared, workers, report, cancel) -> list:
    path = None
    try:
        if shared is not None:
            handle, path = tempfile.mkstemp(prefix="persona-lab-", suffix=".joblib")
            os.close(handle)
            joblib.dump(shared, path)
        executor = get_reusable_executor(max_workers=workers)

        def submit(i):
            if path is None:
                return executor.submit(_call, fn, None, tasks[i])
            return executor.submit(_call_from_file, fn, path, tasks[i])

        def wait_some(pending):
            done, _ = concurrent.futures.wait(pending, timeout=POLL, return_when="FIRST_COMPLETED")
            return done

        def stop(pending):
            # Killing is the only way to stop a fit already running in a worker; the next run
            # starts fresh workers.
            executor.shutdown(wait=True, kill_workers=True)

        # One task queued beyond those running keeps workers busy, and fits loky's call queue
        # (max_workers + 1): killing an executor with ids still waiting for that queue trips
        # loky's manager thread into a KeyError.
        return _collect(len(tasks), submit, wait_some, report, cancel, stop, window=workers + 1)
    finally:
        if path is not None:
            with contextlib.suppress(OSError):  # still mapped by a worker on some systems
                os.remove(path)


@contextlib.contextmanager
def dask_client(dask: Any, n_jobs: int = 1):
    """``dask`` as a ``distributed.Client`` for the block: ``"local"`` starts a LocalCluster of
    ``n_jobs`` processes and an address connects; both are closed afterwards. None and a Client
    pass through. Callers running several batches open it once, as a cluster takes seconds."""
    if dask is None:
        yield None
        return
    from distributed import Client, LocalCluster

    if isinstance(dask, Client):
        yield dask
        return
    if dask == "local":
        workers = max(1, joblib.effective_n_jobs(n_jobs))
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
            with Client(cluster) as client:
                yield client
        return
    with Client(str(dask)) as client:
        yield client


def _run_dask(fn, tasks, shared, dask, n_jobs, report, cancel) -> list:
    with dask_client(dask, n_jobs) as client:
        # Workers need persona_lab importable: installed on a remote cluster, as on this machine.
        data = None if shared is None else client.scatter(shared, broadcast=True, hash=False)

        def submit(i):
            return client.submit(_call, fn, data, tasks[i], pure=False)

        def wait_some(pending):
            done = [f for f in pending if f.done()]
            if not done:
                time.sleep(POLL)
            return done

        def stop(pending):
            # A running task cannot be interrupted; a cluster of our own is closed on the way out.
            client.cancel(pending)

        return _collect(len(tasks), submit, wait_some, report, cancel, stop)

"""The real app (``streamlit run app.py``) on a free local port: for the browser test and the
benchmarks that time it or load it with many sessions."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Debian's Chromium, driven through Playwright by the browser tests and the benchmarks, and its flags
#: (no sandbox in containers, nothing fetched from the network).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
#: One thread per numeric library: the server shares the machine with the test or benchmark.
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    started: float  # time.monotonic() when the process was launched


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(log_path: Path, env: dict | None = None, timeout: float = 90.0):
    """Start the app with ``env`` over this environment, wait until it answers its health check,
    yield a :class:`Server`, and stop it afterwards. No reloading when files change, as deployed."""
    port = free_port()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"],
            cwd=ROOT, env={**os.environ, **THREADS, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            server = Server(process, f"http://127.0.0.1:{port}", started)
            _wait_healthy(server, timeout, log_path)
            yield server
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def _wait_healthy(server: Server, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {server.process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(server.url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f} s; see {log_path}")

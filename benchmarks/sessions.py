"""Many users at once: concurrent browser sessions through the real app, and the server's memory.

Starts the app (``streamlit run app.py``, headless, on a free port) and drives ``--sessions``
concurrent sessions (browser contexts of one headless Chromium, through Playwright) through the
flow: the Data page (even sessions the APG channel sample, odd ones upload the customers table),
their own k and seed in the sidebar, Segments, optionally Number of personas, then Personas &
export, where it renames a persona and reloads the page: its workspace (``?ws=`` in the URL)
must bring back its dataset, k, seed and the new name. Each session checks that its pages show
*its* dataset, k and seed (no result of one session shown in another), and no exception,
traceback or workspace note. ``--waves`` batches of sessions come and go, and the server's
resident memory (the server process, and with its worker processes) is sampled every 0.25 s: its
baseline, its peak during each wave and what is left after each wave. Afterwards: the size of the
workspace database the sessions left, and its write latency (alone and with one writer per
session at once) against a bare SQLite write of the same text.

    python benchmarks/sessions.py [--sessions 10] [--waves 2] [--number-of-personas]

Writes benchmarks/results/sessions.json and sessions.md. Keep it modest on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from app_server import CHROMIUM, CHROMIUM_ARGS, running_app  # noqa: E402
from report import write_keeping_notes  # noqa: E402
from persona_lab.data.sample_data import SAMPLE_DIR  # noqa: E402
from persona_lab.workspace import WorkspaceStore  # noqa: E402
from persona_lab.workspace.store import DATABASE  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
SAMPLES = ["channel_views.csv", "customers.csv"]  # the first opened as the sample, the second uploaded
STEP_TIMEOUT_MS = 240_000
MB = 2**20


# -- the server and its memory -------------------------------------------------------------------


class MemorySampler:
    """Resident memory of the server process alone and with its children, every ``every`` s."""

    def __init__(self, pid: int, every: float = 0.25):
        self.process = psutil.Process(pid)
        self.every = every
        self.samples: list[tuple[float, float, float]] = []  # (time, server MB, with workers MB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                own = self.process.memory_info().rss
                children = 0
                for child in self.process.children(recursive=True):
                    try:
                        children += child.memory_info().rss
                    except psutil.Error:
                        pass
                self.samples.append((time.monotonic(), own / MB, (own + children) / MB))
            except psutil.Error:
                return
            self._stop.wait(self.every)

    def start(self) -> "MemorySampler":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def window(self, start: float, end: float) -> dict:
        chosen = [s for s in self.samples if start <= s[0] <= end] or self.samples[-1:]
        return {
            "server_peak_mb": round(max(s[1] for s in chosen), 1),
            "with_workers_peak_mb": round(max(s[2] for s in chosen), 1),
        }

    def now(self) -> dict:
        last = self.samples[-1]
        return {"server_mb": round(last[1], 1), "with_workers_mb": round(last[2], 1)}


# -- one session ---------------------------------------------------------------------------------


@dataclass
class Session:
    number: int
    dataset: str
    k: int
    seed: int
    seconds: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)


def plan(sessions: int, wave: int) -> list[Session]:
    """Different datasets, k and seeds, so that a result shown in the wrong session is caught."""
    out = []
    for i in range(sessions):
        out.append(Session(number=wave * sessions + i, dataset=SAMPLES[i % 2], k=2 + i % 5, seed=100 + wave * sessions + i))
    return out


async def _settle(page) -> None:
    await page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=STEP_TIMEOUT_MS)
    await page.wait_for_timeout(300)


async def _check_clean(page, session: Session, where: str) -> None:
    if await page.locator('[data-testid="stException"]').count():
        session.problems.append(f"exception on {where}")
    body = await page.inner_text("body")
    if "Traceback" in body:
        session.problems.append(f"traceback on {where}")
    if await page.locator('[data-testid="stAlertContentError"]').count():
        session.problems.append(f"error message on {where}")
    for note in ("Not saved", "not saved", "Another tab changed", "replaced one made in another tab"):
        if note in body:  # each session has its own workspace: no write may fail or cross over
            session.problems.append(f"workspace note {note!r} on {where}")


async def _set_number(page, label: str, value: int) -> None:
    """Type ``value`` into a sidebar number input; again if a rerun redrew the input meanwhile."""
    field = page.locator('[data-testid="stSidebar"]').get_by_role("spinbutton", name=label, exact=True)
    for _ in range(3):
        await field.fill(str(value))
        await field.press("Enter")
        # The field's text is not the app's value: an Enter that lands while a rerun redraws the
        # sidebar can leave it typed but not sent (one session in 20 then showed its seed as 0).
        # Leaving the field sends it too.
        await field.blur()
        await _settle(page)
        if await field.input_value() == str(value):
            return
    raise AssertionError(f"the sidebar's {label!r} does not keep {value}")


#: The Number of personas page's caption under its criterion curves: they are drawn.
CURVES_DRAWN = "A red point marks each criterion's pick"


async def _shown(page, text: str) -> None:
    """Wait for ``text``, or fail at once when the page shows an exception instead."""
    exception = page.locator('[data-testid="stException"]')
    await page.get_by_text(text).filter(visible=True).or_(exception).first.wait_for(timeout=STEP_TIMEOUT_MS)
    if await exception.count():
        raise AssertionError(f"exception shown instead of {text!r}: {(await exception.first.inner_text())[:300]}")


async def _open(page, link: str) -> None:
    await page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link).click()
    await page.get_by_role("heading", name=link).first.wait_for(timeout=STEP_TIMEOUT_MS)


async def drive(browser, url: str, session: Session, number_of_personas: bool) -> Session:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    started = time.monotonic()

    def lap(name: str) -> None:
        session.seconds[name] = round(time.monotonic() - started, 1)

    try:
        await page.goto(url)
        await _shown(page, "channel_views.csv")
        if session.dataset != "channel_views.csv":  # uploaded: kept in the workspace as Parquet
            await page.get_by_text("Upload a file").click()
            # Until the rerun lands, the sample's labels uploader is the page's only file input.
            await _shown(page, "Upload a file to start")
            await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(SAMPLE_DIR / session.dataset))
            await _shown(page, "customer_id")
        await _set_number(page, "Number of personas k", session.k)
        await _set_number(page, "Seed", session.seed)
        await _settle(page)
        await _check_clean(page, session, "Data")
        lap("data")

        await _open(page, "Segments")
        await _shown(page, f"{session.dataset} · NMF · k = {session.k} · seed {session.seed}")
        metric = page.locator('[data-testid="stMetric"]').filter(has_text="Personas").locator('[data-testid="stMetricValue"]')
        await metric.first.wait_for()
        await _settle(page)
        shown = (await metric.first.inner_text()).strip()
        if shown != str(session.k):
            labels = await page.locator('[data-testid="stMetric"]').all_inner_texts()
            session.problems.append(f"Segments shows {shown} personas, not {session.k} (metrics: {labels})")
        await _check_clean(page, session, "Segments")
        lap("segments")

        if number_of_personas:
            await _open(page, "Number of personas")
            # Curves the app estimates at more than a few seconds wait for their button (a job).
            curves = page.get_by_text(CURVES_DRAWN)
            button = page.get_by_role("button", name="Compute the criteria")
            await curves.or_(button).first.wait_for(timeout=STEP_TIMEOUT_MS)
            if await button.count():
                await button.click()
            await _shown(page, CURVES_DRAWN)
            await _settle(page)
            await _check_clean(page, session, "Number of personas")
            lap("number_of_personas")

        await _open(page, "Personas & export")
        await _shown(page, f"{session.k} personas from {session.dataset}")
        await _shown(page, f"seed {session.seed})")
        await page.locator('[data-testid="stDownloadButton"]').first.wait_for()
        await _settle(page)
        await _check_clean(page, session, "Personas & export")
        lap("personas")

        # A persona renamed, then the browser's reload: the workspace brings back data, k, seed and name.
        renamed = f"Session {session.number} persona"
        await page.get_by_text("Edit", exact=True).first.click()
        name = page.get_by_role("textbox", name="Name", exact=True).first
        await name.fill(renamed)
        await name.press("Enter")
        await page.get_by_role("heading", name=renamed).first.wait_for()
        await _settle(page)
        lap("rename")
        await page.reload()
        await _shown(page, f"{session.k} personas from {session.dataset}")
        await _shown(page, f"seed {session.seed})")
        await page.get_by_role("heading", name=renamed).first.wait_for()
        await _settle(page)
        kept = await page.locator('[data-testid="stSidebar"]').get_by_role(
            "spinbutton", name="Number of personas k", exact=True).input_value()
        if kept != str(session.k):
            session.problems.append(f"after the reload the sidebar shows k = {kept}, not {session.k}")
        await _check_clean(page, session, "Personas & export (reloaded)")
        lap("reload")
    except Exception as exc:  # a timeout or a missing element: record it, keep the others going
        captions = await page.locator('[data-testid="stCaptionContainer"]').all_inner_texts()
        session.problems.append(
            f"{type(exc).__name__} after {list(session.seconds) or ['start']}: {str(exc).splitlines()[0][:200]}; "
            f"captions shown: {[c[:120] for c in captions[:3]]}"
        )
    finally:
        await context.close()
    return session


async def run_waves(url: str, sampler: MemorySampler, sessions: int, waves: int, number_of_personas: bool, pause: float) -> list[dict]:
    from playwright.async_api import async_playwright

    report = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for wave in range(waves):
                start = time.monotonic()
                done = await asyncio.gather(*(drive(browser, url, s, number_of_personas) for s in plan(sessions, wave)))
                end = time.monotonic()
                await asyncio.sleep(pause)  # sessions gone: what the server keeps
                report.append(
                    {
                        "wave": wave + 1,
                        "sessions": [asdict(s) for s in done],
                        "wall_s": round(end - start, 1),
                        **sampler.window(start, end),
                        "after_wave": sampler.now(),
                    }
                )
                print(f"wave {wave + 1}: {end - start:.0f} s, peak {report[-1]['server_peak_mb']} MB "
                      f"(with workers {report[-1]['with_workers_peak_mb']} MB), after {report[-1]['after_wave']}", flush=True)
        finally:
            await browser.close()
    return report


# -- the workspace database --------------------------------------------------------------------


def _latencies(write, times: int) -> list[float]:
    out = []
    for i in range(times):
        started = time.perf_counter()
        write(i)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "max_ms": round(ms[-1], 2), "writes": len(ms)}


def workspace_figures(data_dir: Path, writers: int) -> dict:
    """Size of the workspace database the sessions left, and how long a save takes on it: a small
    change (k), the largest stored choice (a session's persona edits), and ``writers`` threads
    saving at once; against a bare SQLite autocommit write of the same text on the same disk."""
    store = WorkspaceStore(data_dir)
    workspaces = store.workspaces()
    database = sum(f.stat().st_size for f in data_dir.glob(f"{DATABASE}*"))
    tables = sum(f.stat().st_size for f in (data_dir / "datasets").glob("*.parquet"))
    target = workspaces[0].id
    largest_key, largest = max(((k, v.value) for k, v in store.state(target).items()), key=lambda kv: len(kv[1]))

    bare = sqlite3.connect(data_dir / "baseline.sqlite3", isolation_level=None)
    bare.execute("PRAGMA journal_mode=WAL")
    bare.execute("PRAGMA synchronous=NORMAL")  # as the store's own connections
    bare.execute("CREATE TABLE t (key TEXT PRIMARY KEY, value TEXT)")
    small = _latencies(lambda i: store.write_state(target, {"seg_k": str(2 + i % 9)}, "benchmark"), 200)
    small_bare = _latencies(lambda i: bare.execute("INSERT OR REPLACE INTO t VALUES ('seg_k', ?)", (str(i),)), 200)
    large = _latencies(lambda i: store.write_state(target, {largest_key: largest}, "benchmark"), 100)
    large_bare = _latencies(lambda i: bare.execute("INSERT OR REPLACE INTO t VALUES ('big', ?)", (largest,)), 100)
    bare.close()

    together: list[float] = []
    lock = threading.Lock()

    def writer(n: int) -> None:  # a session of the server: its store is shared by all of them
        ms = _latencies(lambda i: store.write_state(workspaces[n % len(workspaces)].id, {"seg_seed": str(i)}, f"w{n}"), 50)
        with lock:
            together.extend(ms)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    figures = {
        "workspaces": len(workspaces),
        "database_kb": round(database / 1024, 1),
        "database_kb_per_workspace": round(database / 1024 / len(workspaces), 1),
        "parquet_tables_kb": round(tables / 1024, 1),
        "largest_choice": {"key": largest_key, "kb": round(len(largest.encode()) / 1024, 1)},
        "write_small": _summary(small), "write_small_bare_sqlite": _summary(small_bare),
        "write_largest": _summary(large), "write_largest_bare_sqlite": _summary(large_bare),
        f"write_small_{writers}_writers_at_once": _summary(together),
    }
    figures["ratio_small_median"] = round(figures["write_small"]["median_ms"] / figures["write_small_bare_sqlite"]["median_ms"], 1)
    figures["ratio_largest_median"] = round(figures["write_largest"]["median_ms"] / figures["write_largest_bare_sqlite"]["median_ms"], 1)
    return figures


def markdown(result: dict) -> str:
    lines = [
        "# Concurrent sessions (benchmarks/sessions.py)",
        "",
        f"{result['sessions_per_wave']} concurrent browser sessions per wave, {len(result['waves'])} waves, "
        f"on {result['cpus']} CPU cores; flow: Data (own sample, k, seed) -> Segments"
        + (" -> Number of personas" if result["number_of_personas"] else "")
        + " -> Personas & export -> rename a persona -> reload (the workspace must bring back data, k, seed, name); "
        "odd sessions upload the customers table instead of choosing the sample.",
        "",
        f"Server RSS at start (no session): {result['baseline']['server_mb']} MB "
        f"({result['baseline']['with_workers_mb']} MB with worker processes).",
        "",
        "| wave | wall s | slowest session s | server peak MB | with workers peak MB | server MB after | problems |",
        "|---|---|---|---|---|---|---|",
    ]
    for wave in result["waves"]:
        slowest = max((max(s["seconds"].values(), default=0) for s in wave["sessions"]), default=0)
        problems = sum(len(s["problems"]) for s in wave["sessions"])
        lines.append(
            f"| {wave['wave']} | {wave['wall_s']} | {slowest} | {wave['server_peak_mb']} | {wave['with_workers_peak_mb']} "
            f"| {wave['after_wave']['server_mb']} | {problems} |"
        )
    lines += ["", f"Problems: {result['problems'] or 'none'}", ""]
    ws = result.get("workspace")
    if ws:
        concurrent = next(v for k, v in ws.items() if k.endswith("_writers_at_once"))
        writers = next(k for k in ws if k.endswith("_writers_at_once")).split("_")[2]
        lines += [
            "## The workspace database",
            "",
            f"{ws['workspaces']} workspaces (one per session): database {ws['database_kb']} KB "
            f"({ws['database_kb_per_workspace']} KB each), uploaded tables as Parquet {ws['parquet_tables_kb']} KB; "
            f"the largest stored choice ({ws['largest_choice']['key']}) {ws['largest_choice']['kb']} KB.",
            "",
            "| save | median ms | p95 ms | max ms | bare SQLite median ms | ratio (median) |",
            "|---|---|---|---|---|---|",
            f"| a small change (k) | {ws['write_small']['median_ms']} | {ws['write_small']['p95_ms']} | "
            f"{ws['write_small']['max_ms']} | {ws['write_small_bare_sqlite']['median_ms']} | {ws['ratio_small_median']} |",
            f"| the largest choice | {ws['write_largest']['median_ms']} | {ws['write_largest']['p95_ms']} | "
            f"{ws['write_largest']['max_ms']} | {ws['write_largest_bare_sqlite']['median_ms']} | {ws['ratio_largest_median']} |",
            f"| a small change, {writers} writers at once | {concurrent['median_ms']} | {concurrent['p95_ms']} | "
            f"{concurrent['max_ms']} | | |",
            "",
            "Bare SQLite: one autocommit INSERT OR REPLACE of the same text, WAL journal, synchronous=NORMAL "
            "(as the store), on one connection kept open (the store opens one per save), same disk, same run. "
            "A save is one transaction: version lookup, upsert, the workspace's time stamp.",
            "",
        ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10, help="concurrent sessions per wave")
    parser.add_argument("--waves", type=int, default=2, help="batches of sessions that come and go")
    parser.add_argument("--number-of-personas", action="store_true", help="also open Number of personas (criterion curves)")
    parser.add_argument("--umap-warm-up", action="store_true", help="let the app start its UMAP worker (heavier)")
    parser.add_argument("--pause", type=float, default=5.0, help="seconds after each wave before reading memory")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for sessions.json and sessions.md")
    args = parser.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    # The server's log is for debugging a failed run, not a result: it goes to the temp folder.
    log_path = Path(tempfile.gettempdir()) / "persona_lab_sessions_server.log"
    # The sessions' workspaces go to a data directory of their own, measured and removed afterwards.
    data_dir = Path(tempfile.mkdtemp(prefix="persona_lab_sessions_"))
    env = {"PERSONA_LAB_DATA_DIR": str(data_dir), **({} if args.umap_warm_up else {"PERSONA_LAB_UMAP_WARMUP": "0"})}
    with running_app(log_path, env) as server:
        sampler = MemorySampler(server.process.pid).start()
        try:
            time.sleep(2)
            baseline = sampler.now()
            waves = asyncio.run(run_waves(server.url, sampler, args.sessions, args.waves, args.number_of_personas,
                                          args.pause))
        finally:
            sampler.stop()
    try:
        workspace = workspace_figures(data_dir, args.sessions)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    problems = [f"session {s['number']}: {p}" for w in waves for s in w["sessions"] for p in s["problems"]]
    result = {
        "sessions_per_wave": args.sessions,
        "number_of_personas": args.number_of_personas,
        "cpus": os.cpu_count(),
        "baseline": baseline,
        "waves": waves,
        "server_peak_mb": max(w["server_peak_mb"] for w in waves),
        "with_workers_peak_mb": max(w["with_workers_peak_mb"] for w in waves),
        "problems": problems,
        "workspace": workspace,
    }
    (args.out / "sessions.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_keeping_notes(args.out / "sessions.md", markdown(result))
    print(markdown(result))
    if problems:
        print(f"server log: {log_path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

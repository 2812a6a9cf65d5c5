"""Many users at once: concurrent browser sessions through the real app, and the server's memory.

Starts the app (``streamlit run app.py``, headless, on a free port) and drives ``--sessions``
concurrent sessions (browser contexts of one headless Chromium, through Playwright) through the
flow: the Data page on a sample (even sessions the APG channel, odd ones the customers table),
their own k and seed in the sidebar, Segments, optionally Number of personas, then Personas &
export. Each session checks that its pages show *its* dataset, k and seed (no result of one
session shown in another), and no exception or traceback. ``--waves`` batches of sessions come
and go, and the server's resident memory (the server process, and with its worker processes) is
sampled every 0.25 s: its baseline, its peak during each wave and what is left after each wave.

    python benchmarks/sessions.py [--sessions 10] [--waves 2] [--number-of-personas]

Writes benchmarks/results/sessions.json and sessions.md. Keep it modest on a 2-core machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from app_server import running_app  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip
SAMPLES = [("Sample: channel views (APG)", "channel_views.csv"), ("Sample: customers table", "customers.csv")]
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
    sample_label: str
    dataset: str
    k: int
    seed: int
    seconds: dict = field(default_factory=dict)
    problems: list = field(default_factory=list)


def plan(sessions: int, wave: int) -> list[Session]:
    """Different datasets, k and seeds, so that a result shown in the wrong session is caught."""
    out = []
    for i in range(sessions):
        label, dataset = SAMPLES[i % 2]
        out.append(Session(number=wave * sessions + i, sample_label=label, dataset=dataset, k=2 + i % 5, seed=100 + wave * sessions + i))
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


async def _set_number(page, label: str, value: int) -> None:
    """Type ``value`` into a sidebar number input; again if a rerun redrew the input meanwhile."""
    field = page.locator('[data-testid="stSidebar"]').get_by_role("spinbutton", name=label, exact=True)
    for _ in range(3):
        await field.fill(str(value))
        await field.press("Enter")
        await _settle(page)
        if await field.input_value() == str(value):
            return
    raise AssertionError(f"the sidebar's {label!r} does not keep {value}")


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
        if session.dataset != "channel_views.csv":
            await page.get_by_text(session.sample_label).click()
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
            await _shown(page, "picks k =")
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
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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


def markdown(result: dict) -> str:
    lines = [
        "# Concurrent sessions (benchmarks/sessions.py)",
        "",
        f"{result['sessions_per_wave']} concurrent browser sessions per wave, {len(result['waves'])} waves, "
        f"on {result['cpus']} CPU cores; flow: Data (own sample, k, seed) -> Segments"
        + (" -> Number of personas" if result["number_of_personas"] else "")
        + " -> Personas & export.",
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
    with running_app(log_path, {} if args.umap_warm_up else {"PERSONA_LAB_UMAP_WARMUP": "0"}) as server:
        sampler = MemorySampler(server.process.pid).start()
        try:
            time.sleep(2)
            baseline = sampler.now()
            waves = asyncio.run(run_waves(server.url, sampler, args.sessions, args.waves, args.number_of_personas,
                                          args.pause))
        finally:
            sampler.stop()
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
    }
    (args.out / "sessions.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "sessions.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    if problems:
        print(f"server log: {log_path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

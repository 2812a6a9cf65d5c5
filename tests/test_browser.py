"""The app in a real browser: a Streamlit server and Debian's Chromium driven by Playwright.

Screenshots of every page land in tests/artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1440, "height": 1000}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]  # fmt: skip

# (navigation link, file name, text on the page, selector of the page's main result)
PAGES = [
    ("Segments", "segments.png", "Share of the audience", '[data-testid="stVegaLiteChart"]'),
    ("Number of personas", "number_of_personas.png", "picks k =", '[data-testid="stVegaLiteChart"]'),
    ("Compare k", "compare_k.png", "Who goes where", '[data-testid="stVegaLiteChart"]'),
    ("Map", "map.png", "coloured by persona", '[data-testid="stVegaLiteChart"]'),
    ("Personas & export", "personas.png", "PDF report", '[data-testid="stDownloadButton"]'),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"streamlit exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("streamlit did not become healthy in time")


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


def _shown(page, text: str):
    """The first *visible* element with ``text``: data grids also keep a hidden copy of every
    header for screen readers, and whichever renders first would otherwise be waited on."""
    return page.get_by_text(text).filter(visible=True).first


def _settle(page) -> None:
    """Wait until the script run is over and charts have drawn."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=30_000
    )
    page.wait_for_timeout(800)


def _check_clean(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception shown on {where}"
    assert "Traceback" not in page.inner_text("body"), f"traceback shown on {where}"


def _screenshot(page, file_name: str) -> None:
    """The whole page: the main area scrolls inside the window, so grow the window to fit it."""
    height = page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 8000)})
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / file_name))
    page.set_viewport_size(VIEWPORT)


def test_pages_render_in_chromium(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(30_000)
            # A deep link as the server's very first request goes through the router too (a
            # pages/ folder would be served as legacy pages, without app.py's state).
            page.goto(server + "/segments")
            page.get_by_role("heading", name="Segments").first.wait_for()
            _shown(page, "Share of the audience").wait_for()
            _settle(page)
            _check_clean(page, "Segments (deep link)")
            page.get_by_role("button", name="Compare", exact=True).click()
            _shown(page, "Two solutions side by side").wait_for(timeout=60_000)
            _settle(page)
            _check_clean(page, "Segments (methods compared)")
            _screenshot(page, "segments_compare.png")

            page.goto(server)
            # The Data page opens on the APG sample, with no upload needed.
            _shown(page, "channel_views.csv").wait_for()
            _shown(page, "video_title").wait_for()
            page.locator('[data-testid="stDataFrame"]').first.wait_for()
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
            _settle(page)
            _check_clean(page, "Data")
            _screenshot(page, "data_page.png")

            for link, file_name, text, selector in PAGES:
                page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link).click()
                page.get_by_role("heading", name=link).first.wait_for()
                _shown(page, text).wait_for()
                page.locator(selector).first.wait_for()
                _settle(page)
                _check_clean(page, link)
                _screenshot(page, file_name)

            # The customers sample, chosen on the Data page, is what the other pages then use.
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Data").click()
            page.get_by_text("Sample: customers table").click()
            _shown(page, "customer_id").wait_for()
            _settle(page)
            _check_clean(page, "Data (customers)")
            _screenshot(page, "data_customers.png")
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Personas & export").click()
            _shown(page, "What sets them apart").wait_for()
            _shown(page, "personas from customers.csv").wait_for()
            _settle(page)
            _check_clean(page, "Personas & export (customers)")
            _screenshot(page, "personas_customers.png")
        finally:
            browser.close()

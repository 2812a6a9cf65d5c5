"""The app in a real browser: a Streamlit server and Debian's Chromium driven by Playwright.

Screenshots of every page land in tests/artifacts/ (git-ignored) for people to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from app_server import CHROMIUM, CHROMIUM_ARGS, running_app

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORT = {"width": 1440, "height": 1000}

# (navigation link, file name, text on the page, selector of the page's main result)
PAGES = [
    ("Segments", "segments.png", "Share of the audience", '[data-testid="stVegaLiteChart"]'),
    ("Number of personas", "number_of_personas.png", "The criteria's vote: k =", '[data-testid="stVegaLiteChart"]'),
    ("Compare k", "compare_k.png", "Who goes where", '[data-testid="stVegaLiteChart"]'),
    ("Map", "map.png", "coloured by persona", '[data-testid="stVegaLiteChart"]'),
    ("Personas & export", "personas.png", "PDF report", '[data-testid="stDownloadButton"]'),
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


@pytest.fixture(scope="module")
def server():
    with running_app(ARTIFACTS / "streamlit.log") as app:
        yield app.url


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


def _map_marks(page) -> tuple[str, int]:
    """("svg", points drawn) or ("canvas", coloured pixels) of the first chart on the page: a
    chart whose data failed leaves the frame, axes and legend but no points."""
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.locator("canvas, svg").first.wait_for()
    return chart.evaluate(
        """(el) => {
            if (el.querySelector('svg')) {  // the points, not the legend's symbols
                return ['svg', el.querySelectorAll('svg g.mark-symbol.role-mark path').length];
            }
            const canvas = el.querySelector('canvas');
            const ctx = canvas.getContext('2d');
            const {data} = ctx.getImageData(0, 0, canvas.width, canvas.height);
            let coloured = 0;  // pixels that are neither background nor grey (axes, text)
            for (let i = 0; i < data.length; i += 4) {
                const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
                if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
            }
            return ['canvas', coloured];
        }"""
    )


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
                page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link, exact=True).click()
                page.get_by_role("heading", name=link).first.wait_for()
                _shown(page, text).wait_for()
                page.locator(selector).first.wait_for()
                _settle(page)
                _check_clean(page, link)
                if link == "Map":
                    renderer, marks = _map_marks(page)
                    # The APG sample's 112 demographic groups, every one a point.
                    assert marks == 112 if renderer == "svg" else marks > 500, (renderer, marks)
                _screenshot(page, file_name)

            # The customers sample, chosen on the Data page, is what the other pages then use.
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Data", exact=True).click()
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

"""Nothing lost, in a real browser: an uploaded table, k and a renamed persona survive a reload
and a server restart; a stability job goes on across a page switch and a reload.

Each test starts its own server(s) on a data directory in its tmp_path (the restart needs a
second server on the same directory). Screenshots land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from app_server import CHROMIUM, CHROMIUM_ARGS, running_app
from persona_lab.data.sample_data import CUSTOMER_SAMPLE, SAMPLE_DIR
from persona_lab.workspace import WorkspaceStore
from persona_lab.workspace.codec import dumps

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
VIEWPORT = {"width": 1440, "height": 1000}
NEW_NAME = "Weekend bargain hunters"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium (/usr/bin/chromium) is not installed"),
]


def _settle(page) -> None:
    page.wait_for_function("() => !document.querySelector('[data-testid=stStatusWidget]')", timeout=60_000)
    page.wait_for_timeout(500)


def _check_clean(page, where: str) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0, f"exception shown on {where}"
    assert "Traceback" not in page.inner_text("body"), f"traceback shown on {where}"


def _shown(page, text: str):
    return page.get_by_text(text).filter(visible=True).first


def _open(page, link: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=link).first.wait_for()


def _k(page) -> str:
    return page.locator('[data-testid="stSidebar"]').get_by_role("spinbutton", name="Number of personas k",
                                                                  exact=True).input_value()


def _all_three(page, where: str) -> None:
    """The uploaded table, k = 4 and the renamed persona, on the Personas page."""
    _shown(page, "4 personas from field_survey.csv").wait_for(timeout=120_000)
    page.get_by_role("heading", name=NEW_NAME).first.wait_for()
    _settle(page)
    assert _k(page) == "4", where
    _check_clean(page, where)


def _launch(playwright):
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def test_upload_k_and_a_renamed_persona_survive_a_reload_and_a_server_restart(tmp_path):
    from playwright.sync_api import sync_playwright

    data_dir = tmp_path / "data"
    table = tmp_path / "field_survey.csv"
    table.write_bytes((SAMPLE_DIR / CUSTOMER_SAMPLE).read_bytes())
    env = {"PERSONA_LAB_DATA_DIR": str(data_dir)}
    with sync_playwright() as p:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            with running_app(ARTIFACTS / "streamlit_workspace_1.log", env) as server:
                page.goto(server.url)
                _shown(page, "channel_views.csv").wait_for()
                page.get_by_text("Upload a file").click()
                # Until the rerun lands, the sample's labels uploader is the page's only file input.
                _shown(page, "Upload a file to start").wait_for()
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(table))
                _shown(page, "field_survey.csv").wait_for()
                _settle(page)
                field = page.locator('[data-testid="stSidebar"]').get_by_role("spinbutton", name="Number of personas k",
                                                                               exact=True)
                field.fill("4")
                field.press("Enter")
                _settle(page)
                _open(page, "Personas & export")
                _shown(page, "4 personas from field_survey.csv").wait_for(timeout=120_000)
                _settle(page)
                page.get_by_text("Edit", exact=True).first.click()
                name = page.get_by_role("textbox", name="Name", exact=True).first
                name.fill(NEW_NAME)
                name.press("Enter")
                _all_three(page, "Personas & export, edited")
                workspace = parse_qs(urlparse(page.url).query)["ws"][0]
                path = urlparse(page.url).path

                page.reload()
                _all_three(page, "Personas & export, reloaded")
                page.screenshot(path=str(ARTIFACTS / "workspace_reloaded.png"), full_page=True)

            # Another server process on the same data directory: a restart.
            with running_app(ARTIFACTS / "streamlit_workspace_2.log", env) as server:
                page.goto(f"{server.url}{path}?ws={workspace}")
                _all_three(page, "Personas & export, after a restart")
                _open(page, "Data")
                _shown(page, "field_survey.csv").wait_for()
                _shown(page, "customer_id").wait_for()
                _settle(page)
                _check_clean(page, "Data, after a restart")
                page.screenshot(path=str(ARTIFACTS / "workspace_restarted_data.png"), full_page=True)
        finally:
            browser.close()


def test_a_stability_job_goes_on_across_a_page_switch_and_a_reload(tmp_path):
    from playwright.sync_api import sync_playwright

    data_dir = tmp_path / "data"
    store = WorkspaceStore(data_dir)
    # A workspace prepared as a user would have left it: the customers table, k-means, a small assessment.
    workspace = store.create("Job test")
    choices = {"data_source": "sample_customers", "seg_method": "kmeans", "nk_range": (2, 4), "nk_resamples": 20,
               "nk_references": 5}
    store.write_state(workspace, {key: dumps(value) for key, value in choices.items()}, writer="setup")
    with sync_playwright() as p, running_app(ARTIFACTS / "streamlit_workspace_job.log",
                                             {"PERSONA_LAB_DATA_DIR": str(data_dir)}) as server:
        browser = _launch(p)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(60_000)
            page.goto(f"{server.url}/number_of_personas?ws={workspace}")
            page.get_by_role("button", name="Assess stability").click()
            _shown(page, "Assessing stability").wait_for()
            page.screenshot(path=str(ARTIFACTS / "workspace_job_running.png"), full_page=True)
            _open(page, "Segments")
            _shown(page, "Share of the audience").wait_for()
            _open(page, "Number of personas")
            _shown(page, "Assessing stability").or_(_shown(page, "Recommended number of personas")).wait_for()
            page.reload()
            _shown(page, "Recommended number of personas").wait_for(timeout=300_000)
            _settle(page)
            _check_clean(page, "Number of personas, job done")
            page.screenshot(path=str(ARTIFACTS / "workspace_job_done.png"), full_page=True)
        finally:
            browser.close()
    from persona_lab.workspace import JobRunner

    assert [job.status for job in JobRunner(store).jobs(workspace)] == ["done"]  # one job, never restarted

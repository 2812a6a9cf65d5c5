"""Settings for the whole test suite."""

import os

import pytest

# No UMAP warm-up or background UMAP in the apps the tests start (AppTest, the browser test's
# server): numba's 30-45 s compile would compete with the tests for the CPUs. Set before any
# test imports the app.
os.environ["PERSONA_LAB_UMAP_WARMUP"] = "0"


@pytest.fixture(autouse=True, scope="session")
def _data_directory(tmp_path_factory):
    """Workspaces of every app the tests start (AppTest, the browser test's servers) in a temp
    folder: the suite leaves nothing in the user's data directory."""
    os.environ["PERSONA_LAB_DATA_DIR"] = str(tmp_path_factory.mktemp("persona_lab_data"))
    yield

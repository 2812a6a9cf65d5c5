"""Settings for the whole test suite."""

import os

# No UMAP warm-up or background UMAP in the apps the tests start (AppTest, the browser test's
# server): numba's 30-45 s compile would compete with the tests for the CPUs. Set before any
# test imports the app.
os.environ["PERSONA_LAB_UMAP_WARMUP"] = "0"

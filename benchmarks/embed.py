"""Maps: UMAP against PCA at 10k and 100k rows x 20 features, and how long the app's Map page
takes to show the PCA map and then the UMAP map in a fresh app process.

1. Each (method, n) runs in a fresh process so that peak memory (ru_maxrss) is its own. UMAP's
   process first imports umap and fits a tiny dataset (``embed.warm_up``, the numba compile),
   reported apart; the fit is then timed alone. Above 50k rows UMAP fits a seeded 50k sample and
   places the rest with ``transform`` (PCA the same way). Ratios are to PCA in the same run.
2. A fresh ``streamlit run app.py`` (headless, free port, an empty numba cache: the worst case)
   with a 5,000-row x 20 table: Playwright opens it, reads the table by path, goes to the Map page
   and times until the PCA map shows and until the UMAP map has replaced it. Targets (issue 6):
   PCA <= 3 s, UMAP <= 60 s.

    python benchmarks/embed.py [--sizes 10000,100000] [--skip-app | --app-only] [--timeout 1200]

Writes benchmarks/results/embed.json and embed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
THREADS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
sys.path.insert(0, str(ROOT / "tests"))

from app_server import running_app  # noqa: E402

# Runs inside the child process: build the data, warm UMAP up, then time only the map.
CHILD = r"""
import json, resource, sys, time
import numpy as np
n, method = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
centres = rng.normal(0, 3, size=(8, 20))
X = rng.normal(centres[rng.integers(0, 8, n)], 1.0)
from persona_lab import embed
warm_up = embed.warm_up() if method == "umap" else 0.0
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
mapped = embed.embed(X, method, seed=0)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "warm_up_s": warm_up, "fitted_rows": mapped.fitted_rows,
                  "peak_mb": peak / 1024, "map_mb": (peak - before) / 1024}))
"""


def fit_one(method: str, n: int, timeout: float) -> dict:
    env = {**os.environ, **THREADS}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(n), method], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"method": method, "n": n, "error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"method": method, "n": n, "error": done.stderr.strip().splitlines()[-1]}
    return {"method": method, "n": n, **json.loads(done.stdout.strip().splitlines()[-1])}


# -- the app in a fresh process -----------------------------------------------------------------


def _table(path: Path, n: int = 5000) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(6, 20))
    frame = pd.DataFrame(rng.normal(centres[rng.integers(0, 6, n)], 1.0), columns=[f"x{i}" for i in range(20)])
    frame.insert(0, "customer_id", [f"c{i:05d}" for i in range(n)])
    frame.to_csv(path, index=False)


def app_latency(timeout: float) -> dict:
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="persona_lab_bench_"))
    data = work / "table_5000.csv"
    _table(data)
    # An empty cache folder: numba compiles everything, as on a machine running the app the first time.
    env = {"XDG_CACHE_HOME": str(work / "cache"), "PERSONA_LAB_UMAP_WARMUP": "1"}
    with running_app(work / "streamlit.log", env) as server:
        started, url = server.started, server.url
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)  # the first script run starts the UMAP warm-up
            opened = time.monotonic()
            page.get_by_text("Path on this machine").click()
            box = page.get_by_label("Path of a data file on this machine")
            box.fill(str(data))
            box.press("Enter")
            page.get_by_text("table_5000.csv").first.wait_for()
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Map").click()
            clicked = time.monotonic()
            page.get_by_text("PCA of the rows").first.wait_for()
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
            pca = time.monotonic()
            page.get_by_text("UMAP of the rows").first.wait_for(timeout=timeout * 1000)
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
            umap = time.monotonic()
            page.screenshot(path=str(work / "map_umap.png"))
            browser.close()
        return {
            "rows": 5000, "server_start_s": opened - started,
            "pca_after_click_s": pca - clicked, "umap_after_click_s": umap - clicked,
            "umap_after_app_opened_s": umap - opened, "screenshot": str(work / "map_umap.png"),
        }  # fmt: skip


def _markdown(fits: list[dict], app: dict | None) -> str:
    lines = ["# Maps: UMAP against PCA (fresh process per case)", "",
             "| n | method | map s | x PCA | fitted rows | warm-up s | peak MB | x PCA |", "|---|---|---|---|---|---|---|---|"]
    pca = {r["n"]: r for r in fits if r["method"] == "pca" and "error" not in r}
    for r in fits:
        if "error" in r:
            lines.append(f"| {r['n']:,} | {r['method']} | {r['error']} | | | | | |")
            continue
        base = pca.get(r["n"])
        time_ratio = f"{r['seconds'] / base['seconds']:.0f}" if base else ""
        memory_ratio = f"{r['peak_mb'] / base['peak_mb']:.1f}" if base else ""
        lines.append(f"| {r['n']:,} | {r['method']} | {r['seconds']:.2f} | {time_ratio} | {r['fitted_rows']:,} | "
                     f"{r['warm_up_s']:.1f} | {r['peak_mb']:.0f} | {memory_ratio} |")
    if app:
        lines += ["", "## The Map page in a fresh app process (5,000 rows x 20, empty numba cache)", ""]
        lines += [f"- {key}: {value:.1f}" if isinstance(value, float) else f"- {key}: {value}" for key, value in app.items()]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--skip-app", action="store_true")
    parser.add_argument("--app-only", action="store_true")
    parser.add_argument("--timeout", type=float, default=1200)
    args = parser.parse_args()
    fits = []
    for n in [] if args.app_only else [int(s) for s in args.sizes.split(",")]:
        for method in ("pca", "umap"):
            result = fit_one(method, n, args.timeout)
            print(json.dumps(result), flush=True)
            fits.append(result)
    app = None if args.skip_app else app_latency(args.timeout)
    if app:
        print(json.dumps(app), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embed.json").write_text(json.dumps({"fits": fits, "app": app}, indent=2) + "\n")
    report = _markdown(fits, app)
    (RESULTS / "embed.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()

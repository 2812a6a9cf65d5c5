"""How long the app's analyses take at the limit between "computed in the page at once" and "waits
for a button and runs as a job" (``ui/costs.py``).

Issue 19 asks that any run above a few seconds run as a job, outside the page's script run. The
app estimates an analysis's time before starting it: its size (million units: a run's prepared
cells times k, criterion curves' cells times the sum of their k, a comparison's common-space cells
times k per method) times a rate per (analysis, kind of data, method). ``--calibrate`` measures
those rates; without it, every analysis is built at the size where the app's estimate reaches
``CHEAP_SECONDS`` (the largest the page computes) and timed, so the table shows how long the
page really makes a user wait. Each analysis runs in its own process, warm (a small one first, so
that imports and numba's compile are not counted, as in a server that has run something), with
one thread per library. The baseline, a bare scikit-learn KMeans fit of 5 million units, runs the
same way in the same session.

    python benchmarks/job_threshold.py [--calibrate] [--methods nmf,kmeans] [--kinds table,apg]
    python benchmarks/job_threshold.py --fit results/job_rates.json results/job_rates_limit.json

Writes benchmarks/results/job_threshold.json and .md (``--calibrate``: job_rates.json and .md).
``--fit`` prints ui/costs.py's RATES from a calibration and a run at the limit of a linear
estimate (job_rates_limit.json): seconds at 1 million units and the exponent through both points.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

from report import write_keeping_notes  # noqa: E402
from ui import costs  # noqa: E402

K, K_VALUES = 10, list(range(2, 11))
COMPARED = ["nmf", "kmeans", "gmm"]  # the Segments page's default comparison
METHODS = ["kmeans", "gmm", "nmf", "hierarchical", "spectral", "hdbscan", "lca", "kprototypes", "archetypes"]
#: Calibration size (million units): near the page's limit for the slower methods.
CALIBRATION_UNITS = 1.0
#: The largest data built (rows of a table, items of an APG matrix): beyond it a fast method's
#: limit is not reached, and the row says so.
MOST_ROWS, MOST_ITEMS = 400_000, 20_000

# The child: data of the size asked, warmed up, then the analysis alone timed.
CHILD = r"""
import json, sys, time
import numpy as np, pandas as pd
from persona_lab.data.load import dataset_from_frame
from persona_lab.data.synthetic_apg import planted_apg
from persona_lab.methods import get_method
from persona_lab.prepare import COMMON_SPACE, prepare
from persona_lab import pipeline
from persona_lab.assess.criteria import criterion_curves
from persona_lab.assess.methods_at_k import compare_methods

analysis, kind, methods, units, most_rows, most_items = sys.argv[1], sys.argv[2], sys.argv[3].split(","), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
K, K_VALUES = 10, list(range(2, 11))

def table(rows):
    # Eight Gaussian columns around eight centres, and two categorical columns that follow them
    # loosely (k-prototypes needs one; the others one-hot encode them).
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, size=(8, 8))
    truth = rng.integers(0, 8, rows)
    frame = pd.DataFrame(rng.normal(centres[truth], 1.0), columns=[f"x{i}" for i in range(8)])
    for j in range(2):
        noisy = np.where(rng.random(rows) < 0.7, truth % (3 + j), rng.integers(0, 3 + j, rows))
        frame[f"c{j}"] = [f"level{v}" for v in noisy]
    return dataset_from_frame(frame, "table")

def apg(items):
    # MovieLens-100k's density as an APG matrix (50,507 of 168 x 1,682 cells: 18%) at every size.
    return planted_apg(n_groups=168, n_items=items, n_behaviours=6, nonzero=168 * items * 18 // 100, seed=0).dataset("apg")

build = table if kind == "table" else apg
def cells(data, method):
    space = COMMON_SPACE if analysis == "method_comparison" else get_method(method).default_preparation(data.kind)
    return prepare(data, space).X.size

multiplier = {"persona_run": K, "method_comparison": K, "criterion_curves": sum(K_VALUES)}[analysis]
probe_n = 2000 if kind == "table" else 400
per_unit = cells(build(probe_n), methods[0]) * multiplier / probe_n  # units per row or item
n = max(int(units * 1e6 / per_unit), 50)
n = min(n, most_rows if kind == "table" else most_items)
data = build(n)
size = cells(data, methods[0]) * multiplier
call = {
    "persona_run": lambda d: pipeline.run(d, methods[0], K, seed=0, n_jobs=2),
    "method_comparison": lambda d: compare_methods(d, methods, K, seed=0),
    "criterion_curves": lambda d: criterion_curves(d, methods[0], K_VALUES, seed=0),
}[analysis]
call(build(300 if kind == "table" else 100))  # warm
start = time.perf_counter()
call(data)
print(json.dumps({"seconds": time.perf_counter() - start, "units": size, "n": n}))
"""

BASELINE = r"""
import json, time
import numpy as np
from sklearn.cluster import KMeans
rows = 5_000_000 // (8 * 10)
rng = np.random.default_rng(0)
X = rng.normal(rng.normal(0, 3, (8, 8))[rng.integers(0, 8, rows)], 1.0)
start = time.perf_counter()
KMeans(n_clusters=10, random_state=0).fit(X)
print(json.dumps({"seconds": time.perf_counter() - start, "units": int(X.size * 10), "n": rows}))
"""


def cases(methods: list[str], kinds: list[str]) -> list[tuple[str, str, list[str]]]:
    out = []
    for kind in kinds:
        out += [(costs.RUN, kind, [m]) for m in methods]
        out += [(costs.CURVES, kind, [m]) for m in methods if m != "hdbscan"]  # it finds k itself: no curve
        out.append((costs.COMPARISON, kind, COMPARED))
    return out


def limit_units(analysis: str, kind: str, methods: list[str]) -> float:
    """The size at which the app's estimate reaches CHEAP_SECONDS (bisection on log units)."""
    low, high = 1e3, 1e12
    for _ in range(80):
        mid = (low * high) ** 0.5
        low, high = (mid, high) if costs.seconds(analysis, kind, methods, mid) < costs.CHEAP_SECONDS else (low, mid)
    return low


def print_rates(calibration: Path, limit: Path) -> None:
    """RATES through two points per analysis: (u1, t1) at 1 million units, (u2, t2) at the limit
    of the linear estimate; exponent ln(t2 / t1) / ln(u2 / u1), kept within 0.5..3. One point only
    (the other timed out, errored or was capped at the same size): exponent 1, or where the
    calibration timed out, the exponent of the same method's runs on that kind of data."""
    import math

    def points(path: Path) -> dict:
        return {(r["analysis"], r["kind"], r["methods"][0]): (r["units"], r["seconds"])
                for r in json.loads(path.read_text())["rows"] if "seconds" in r and len(r["methods"]) == 1}

    first, second = points(calibration), points(limit)
    fitted = {}
    for key in sorted(set(first) | set(second), key=lambda k: (k[1], k[0] != costs.RUN, k[0], k[2])):
        if key in first and key in second and abs(math.log(second[key][0] / first[key][0])) > 0.1:
            (u1, t1), (u2, t2) = first[key], second[key]
            exponent = min(max(math.log(t2 / t1) / math.log(u2 / u1), 0.5), 3.0)
        else:
            exponent = fitted.get((costs.RUN, key[1], key[2]), (0, 1.0))[1] if key not in first else 1.0
            u1, t1 = first.get(key) or second[key]
        fitted[key] = (t1 * (1e6 / u1) ** exponent, exponent)
    print("RATES = {")
    for (analysis, kind, method), (at_million, exponent) in fitted.items():
        name = {costs.RUN: "RUN", costs.CURVES: "CURVES"}[analysis]
        print(f"    ({name}, {kind!r}, {method!r}): ({at_million:.3g}, {exponent:.2f}),")
    print("}")


def child(code: str, *args, timeout: float) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}
    try:
        done = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                              timeout=timeout, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1][:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _kind(kind: str) -> str:
    return "entities" if kind == "table" else "interactions"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calibrate", action="store_true", help="measure the rates (seconds per million units)")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--kinds", default="table,apg")
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--fit", nargs=2, type=Path, metavar=("CALIBRATION", "LIMIT"), help="print RATES and stop")
    args = parser.parse_args()
    if args.fit:
        print_rates(*args.fit)
        return
    chosen = cases(args.methods.split(","), args.kinds.split(","))

    baseline = child(BASELINE, timeout=args.timeout)
    print(f"baseline: bare scikit-learn KMeans, 5 million units: {baseline}", flush=True)
    rows = []
    for analysis, kind, methods in chosen:
        units = CALIBRATION_UNITS * 1e6 if args.calibrate else limit_units(analysis, _kind(kind), methods)
        figures = child(CHILD, analysis, kind, ",".join(methods), units / 1e6, MOST_ROWS, MOST_ITEMS, timeout=args.timeout)
        row = {"analysis": analysis, "kind": _kind(kind), "methods": methods, **figures}
        if "seconds" in figures:
            row["rate"] = figures["seconds"] / (figures["units"] / 1e6)
            row["estimate"] = None if args.calibrate else costs.seconds(analysis, _kind(kind), methods, figures["units"])
        rows.append(row)
        print(row, flush=True)

    args.out.mkdir(parents=True, exist_ok=True)
    name = "job_rates" if args.calibrate else "job_threshold"
    (args.out / f"{name}.json").write_text(json.dumps(
        {"cheap_seconds": costs.CHEAP_SECONDS, "cpus": os.cpu_count(), "baseline": baseline, "rows": rows}, indent=2))
    write_keeping_notes(args.out / f"{name}.md", report(rows, baseline, args.calibrate))


def report(rows: list[dict], baseline: dict, calibrate: bool) -> str:
    what = (f"each at {CALIBRATION_UNITS:g} million units" if calibrate else
            f"each at the size where the app's estimate reaches CHEAP_SECONDS = {costs.CHEAP_SECONDS:g} s (the largest "
            "analysis the page computes at once; larger ones wait for a button and run as jobs)")
    lines = [
        f"# {'Rates of' if calibrate else 'The app at the limit of'} in-page analyses (benchmarks/job_threshold.py"
        f"{' --calibrate' if calibrate else ''})",
        "",
        f"{os.cpu_count()} CPUs, one thread per library, each analysis in its own warm process, {what}. Units: a run's "
        f"prepared cells x k (k = {K}), criterion curves' cells x the sum of their k (k = {K_VALUES[0]}..{K_VALUES[-1]}), a "
        f"comparison's ({', '.join(COMPARED)}) common-space cells x k per method. Tables: 8 Gaussian and 2 categorical "
        f"columns (at most {MOST_ROWS:,} rows); APG: 168 groups x items, 18% of cells non-zero (at most {MOST_ITEMS:,} items).",
        "",
        "| analysis | data | method | rows or items | million units | seconds | s per million units | app's estimate s |",
        "|---|---|---|---:|---:|---:|---:|---:|",
        f"| bare scikit-learn KMeans (baseline) | entities | kmeans | {baseline.get('n', '')} | "
        f"{baseline.get('units', 0) / 1e6:.2f} | {baseline.get('seconds', float('nan')):.2f} | | |",
    ]
    for r in rows:
        head = f"| {r['analysis']} | {r['kind']} | {'+'.join(r['methods'])} |"
        if "error" in r:
            lines.append(f"{head} | | {r['error']} | | |")
            continue
        estimate = "" if r.get("estimate") is None else f"{r['estimate']:.1f}"
        lines.append(f"{head} {r['n']:,} | {r['units'] / 1e6:.2f} | {r['seconds']:.2f} | {r['rate']:.3g} | {estimate} |")
    timed = [r for r in rows if "seconds" in r]
    if timed and not calibrate:
        slowest = max(timed, key=lambda r: r["seconds"])
        lines += ["", f"Slowest analysis computed in the page: {slowest['seconds']:.1f} s ({slowest['analysis']}, "
                      f"{slowest['kind']}, {'+'.join(slowest['methods'])}); baseline {baseline.get('seconds', float('nan')):.2f} s."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()

"""The app's default number-of-personas analysis on an APG matrix of MovieLens size (issue 15).

The matrix: ``planted_apg()`` at its defaults, 168 groups (gender x age group x occupation) x
1,682 items, about 50,000 non-zero cells, Zipf item popularity, log-normal group volumes, five
behaviours. The analysis: the Number of personas page's defaults, NMF, k = 2..8, 30 resamples, 20
reference sets of 10 resamples (the independence model), every criterion, 2 workers.

Two paths, each in a fresh process (so that its peak memory is its own), in the same run:

- ``fast``: select_k as it ships: NMF's resample fits start once from NNDSVDa, stop at a
  relative fall of 3e-3 and assign new rows to a tolerance of 1e-3
  (:meth:`persona_lab.methods.nmf.NMF.resample_params`);
- ``slow``: every resample fit with the method's own settings (4 restarts, tol 1e-3, new rows
  to 1e-4), the answer the fast path must agree with within resampling error.

    python benchmarks/apg_speed.py [--paths fast,slow] [--jobs 2]

Target: the fast path <= 2 minutes and <= 1 GB on 2 cores. Writes benchmarks/results/apg_speed.json
and apg_speed.md (a hand-written reading below the marker is kept).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from report import write_keeping_notes

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

CHILD = r"""
import json, resource, sys, time
path, jobs = sys.argv[1], int(sys.argv[2])
from persona_lab.assess.select import select_k
from persona_lab.data.synthetic_apg import planted_apg
# The slow path fits and assigns every resample as the full data: 4 restarts, tol 1e-3, new rows to 1e-4.
how = dict(starts=4, params={"resample_tol": 1e-3, "resample_transform_tol": 1e-4}) if path == "slow" else {}
data = planted_apg(seed=0).dataset()
start = time.perf_counter()
result = select_k(data, "nmf", range(2, 9), resamples=30, n_ref=20, seed=0, n_jobs=jobs, periods=False, **how)
seconds = time.perf_counter() - start
compared = result.stability.compared
print(json.dumps({
    "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "children_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    "recommended_k": result.recommended_k, "probability": result.recommended_probability,
    "k_set_90": result.k_set_90, "k_distribution": result.k_distribution, "stable": result.stable,
    "statistics": {s: {int(k): round(float(v), 4) for k, v in zip(g["k"], g["value"])}
                   for s, g in result.stability.table.groupby("statistic")},
}))
"""


def run(path: str, jobs: int, timeout: float) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent)}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, path, str(jobs)], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"path": path, "error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        return {"path": path, "error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return {"path": path, **json.loads(done.stdout.strip().splitlines()[-1])}


def report(rows: list[dict]) -> str:
    lines = ["# Number of personas on an APG matrix of MovieLens size (benchmarks/apg_speed.py)", "",
             "168 groups x 1,682 items, about 50,000 non-zero cells, 5 planted behaviours; NMF, k = 2..8, 30 "
             "resamples, 20 reference sets x 10 resamples, 2 workers; each path a fresh process, both in one run.", "",
             "| path | seconds | peak MB (main / largest worker) | recommended k (planted 5) | P | k_set_90 | stable k |",
             "|---|---:|---|---:|---:|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['path']} | {r['error']} | | | | | |")
            continue
        lines.append(f"| {r['path']} | {r['seconds']:.1f} | {r['peak_mb']:.0f} / {r['children_peak_mb']:.0f} | "
                     f"{r['recommended_k']} | {r['probability']:.2f} | {r['k_set_90']} | {r['stable']} |")
    done = {r["path"]: r for r in rows if "seconds" in r}
    if {"fast", "slow"} <= set(done):
        lines += ["", f"Speed-up of the fast path in this run: {done['slow']['seconds'] / done['fast']['seconds']:.1f}x.",
                  "", "Stability per k (all 30 resamples), fast / slow:", "",
                  "| statistic | " + " | ".join(f"k = {k}" for k in range(2, 9)) + " |",
                  "|---|" + "---:|" * 7]
        for s in sorted(done["fast"]["statistics"]):
            f, w = done["fast"]["statistics"][s], done["slow"]["statistics"][s]
            lines.append(f"| {s} | " + " | ".join(f"{f.get(str(k), f.get(k, float('nan'))):.2f} / "
                                                   f"{w.get(str(k), w.get(k, float('nan'))):.2f}" for k in range(2, 9)) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", default="fast,slow")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()
    rows = []
    for path in args.paths.split(","):
        rows.append(run(path, args.jobs, args.timeout))
        print(json.dumps(rows[-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "apg_speed.json").write_text(json.dumps(rows, indent=2) + "\n")
    write_keeping_notes(RESULTS / "apg_speed.md", report(rows))


if __name__ == "__main__":
    main()

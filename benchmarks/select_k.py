"""The default "how many personas" analysis: wall time and peak memory, beside a naive baseline.

Default analysis (issues 4, 15): every criterion, the null band (20 reference sets of 10 resamples, as many
as the data's compared statistics), B = 50 resamples, k = 2..20, k-means, on a 5,000 x 2 set with 15 planted clusters and on
100,000 x 20 (resampled on select_k's 5,000-row sample). ``--starts default,1`` also times the
anchors' one start per resample fit.

The naive baseline does the same work the obvious way, in one thread, on every row:
scikit-learn's KMeans with the same starts as ours, every criterion fitting its own models,
every statistic its own fits. Its cost is linear in the resamples, the reference sets and the k
values, so it is timed part by part on fewer of each (``--baseline-resamples``,
``--baseline-references``, ``--baseline-every``) and scaled up; the JSON keeps the parts.
Each run is a fresh process, so peak memory (ru_maxrss) is its own.

    python benchmarks/select_k.py [--sets small,large] [--starts default,1] [--jobs 2]

Targets on the 2-core machine class: 5,000 rows in <= 30 s; 100,000 rows in <= 10 minutes and
<= 1.5 GB. Writes benchmarks/results/select_k.json and select_k.md.
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
SETS = {"small": (5_000, 2, 15), "large": (100_000, 20, 8)}
NULL_RESAMPLES = 10  # select_k's default null_resamples

CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
n, d, k_true, what, resamples, references, jobs, starts, every = sys.argv[1:10]
n, d, k_true, resamples, references, jobs, every = int(n), int(d), int(k_true), int(resamples), int(references), int(jobs), int(every)
starts = None if starts == "default" else int(starts)
rng = np.random.default_rng(0)
# Centres at least 6 standard deviations apart, so that the planted k is the identifiable k (the
# first version drew two of the 15 centres 1.1 sd apart: 14 clusters, planted as 15).
centres = np.empty((0, d))
while len(centres) < k_true:
    c = rng.uniform(-12, 12, size=d) * (3 if d == 2 else 1)
    if not len(centres) or np.linalg.norm(centres - c, axis=1).min() >= 6:
        centres = np.vstack([centres, c])
truth = rng.integers(0, k_true, n)
X = rng.normal(centres[truth], 1.0)
k_values = list(range(2, 21))
start = time.perf_counter()
if what == "persona_lab":
    from persona_lab.data.dataset import Dataset
    from persona_lab.assess.select import select_k
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])
    data = Dataset(frame, {c: "feature" for c in frame.columns}, "entities", name="bench")
    result = select_k(data, "kmeans", k_values, resamples=resamples, n_ref=references, n_jobs=jobs, starts=starts)
    answer = {"recommended_k": result.recommended_k, "k_set_90": result.k_set_90}
elif what == "anchors":
    import os, subprocess, tempfile
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as handle:
        pd.DataFrame(X, columns=[f"x{i}" for i in range(d)]).to_csv(handle, index=False)
    done = subprocess.run(["Rscript", "--vanilla", os.environ["ANCHORS_R"],
                           handle.name, str(resamples), str(k_values[-1])], capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout.strip().splitlines()[-1])
else:
    from naive import naive_select_k
    # Every ``every``-th k only: the caller scales the seconds back up to all 19.
    answer = naive_select_k(X, k_values[::every], resamples, references, **({} if starts is None else {"starts": starts}))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, **answer}))
"""


def run(set_name: str, what: str, resamples: int, references: int, jobs: int, timeout: float, starts: str = "default",
        every: int = 1) -> dict:
    n, d, k = SETS[set_name]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(HERE),
           "ANCHORS_R": str(HERE / "anchors.R")}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(n), str(d), str(k), what, str(resamples),
                               str(references), str(jobs), starts, str(every)], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", default="small,large")
    parser.add_argument("--resamples", type=int, default=50)
    parser.add_argument("--references", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-resamples", type=int, default=5)
    parser.add_argument("--baseline-references", type=int, default=2)
    parser.add_argument("--starts", default="default", help="comma-separated: default (the method's own) and/or numbers")
    parser.add_argument("--baseline-every", default="small:1,large:9",
                        help="the baseline fits every n-th k of the 19 (per set) and is scaled up")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--anchors", action="store_true",
                        help="also time fpc::clusterboot + fpc::prediction.strength + cluster::clusGap (needs R) on the "
                        "same data with the same B and k range, in the same run")
    args = parser.parse_args()
    every = {name: int(n) for name, n in (part.split(":") for part in args.baseline_every.split(","))}
    rows = []
    for name in args.sets.split(","):
        for starts in args.starts.split(","):
            ours = run(name, "persona_lab", args.resamples, args.references, args.jobs, args.timeout, starts)
            step = every.get(name, 1)
            base = run(name, "naive", args.baseline_resamples, args.baseline_references, 1, args.timeout, starts, step)
            if "per_null_resample_seconds" in base:
                # The full-data criteria once, then per gap reference set (20, as ours), per resample,
                # per null reference set and per resample of one (3 each, as ours); and from every
                # step-th k to all 19 k values.
                k_scale = 19 / len(range(0, 19, step))
                base["scaled_seconds"] = k_scale * (
                    base["fixed_seconds"] + base["per_gap_reference_seconds"] * 20
                    + base["per_resample_seconds"] * args.resamples
                    + args.references * (base["per_reference_full_seconds"] + NULL_RESAMPLES * base["per_null_resample_seconds"]))
            row = {"set": name, "starts": starts, "n": SETS[name][0], "d": SETS[name][1], "k_true": SETS[name][2],
                   "ours": ours, "baseline": base}
            if "seconds" in ours and "scaled_seconds" in base:
                row["speedup"] = base["scaled_seconds"] / ours["seconds"]
            if args.anchors:
                row["anchors"] = run(name, "anchors", args.resamples, 0, 1, args.timeout)
                if "seconds" in ours and "seconds" in row["anchors"]:
                    row["anchors_ratio"] = row["anchors"]["seconds"] / ours["seconds"]
            rows.append(row)
            print(json.dumps(row), flush=True)
    RESULTS.mkdir(exist_ok=True)
    # Rows of sets and starts not run this time are kept, so that the sets can be run apart.
    path = RESULTS / "select_k.json"
    ran = {(r["set"], r["starts"]) for r in rows}
    kept = [r for r in (json.loads(path.read_text()) if path.exists() else []) if (r["set"], r["starts"]) not in ran]
    rows = sorted(kept + rows, key=lambda r: (list(SETS).index(r["set"]), r["starts"] != "default", r["starts"]))
    path.write_text(json.dumps(rows, indent=2) + "\n")
    write_report(rows)




def write_report(rows: list[dict]) -> None:
    lines = ["# select-k: the default analysis (benchmarks/select_k.py)", "",
             "| set | starts | n x d | ours s | ours peak MB | recommended k (true) | k_set_90 | naive s (scaled) | speed-up "
             "| anchors s (R, same run) | anchors / ours |",
             "|---|---|---|---:|---:|---|---|---:|---:|---:|---:|"]
    for r in rows:
        o, b = r["ours"], r["baseline"]
        seconds = f"{o['seconds']:.1f}" if "seconds" in o else o.get("error", "")
        naive = f"{b['scaled_seconds']:,.0f}" if "scaled_seconds" in b else b.get("error", "")
        speedup = f"{r['speedup']:.1f}x" if "speedup" in r else ""
        a = r.get("anchors", {})
        anchors = f"{a['seconds']:.1f}" if "seconds" in a else a.get("error", "")
        ratio = f"{r['anchors_ratio']:.2f}x" if "anchors_ratio" in r else ""
        lines.append(f"| {r['set']} | {r['starts']} | {r['n']:,} x {r['d']} | {seconds} | {o.get('peak_mb', 0):.0f} | "
                     f"{o.get('recommended_k', '')} ({r['k_true']}) | {', '.join(map(str, o.get('k_set_90', [])))} | "
                     f"{naive} | {speedup} | {anchors} | {ratio} |")
    write_keeping_notes(RESULTS / "select_k.md", "\n".join(lines))

if __name__ == "__main__":
    main()

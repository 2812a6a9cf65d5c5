"""Time and peak memory of every segmentation method at 1k, 10k and 100k rows x 20 features.

Each (method, n) runs in a fresh process so that peak memory (ru_maxrss) is its own; the
baseline, scikit-learn's KMeans with its defaults, runs the same way in the same session, and
every figure is also reported as a ratio to it (machines are noisy; ratios travel better).
Targets (issue 3): every method <= 60 s and <= 1 GB peak at 100k rows.

    python benchmarks/methods.py [--sizes 1000,10000,100000] [--methods nmf,kmeans] [--timeout 600]

Writes benchmarks/results/methods.json and methods.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

# Runs inside the child process: build the data, then time only the fit.
CHILD = r"""
import json, resource, sys, time
import numpy as np, pandas as pd
n, method = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(0)
k = 8
centres = rng.normal(0, 3, size=(k, 16))
truth = rng.integers(0, k, n)
frame = pd.DataFrame(rng.normal(centres[truth], 1.0), columns=[f"x{i}" for i in range(16)])
for j in range(4):  # four categorical columns that follow the segments loosely
    noisy = np.where(rng.random(n) < 0.7, truth % (3 + j), rng.integers(0, 3 + j, n))
    frame[f"c{j}"] = [f"level{v}" for v in noisy]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if method == "sklearn-kmeans":
    from sklearn.cluster import KMeans
    X = pd.get_dummies(frame).to_numpy(float)
    start = time.perf_counter()
    KMeans(n_clusters=k, random_state=0).fit(X)
else:
    from persona_lab.data.dataset import Dataset
    from persona_lab.methods import get_method
    from persona_lab.prepare import prepare
    model = get_method(method)
    data = Dataset(frame, {c: "feature" for c in frame.columns}, "entities", name="bench")
    start = time.perf_counter()
    model.fit(prepare(data, model.default_preparation("entities")), k=k, seed=0)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "fit_mb": (peak - before) / 1024}))
"""


def run_one(method: str, n: int, timeout: float) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(n), method], capture_output=True,
                              text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"over {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(HERE.parent))
    from persona_lab.methods import METHODS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    methods = ["sklearn-kmeans"] + [m for m in args.methods.split(",") if m]
    rows = []
    for n in sizes:
        baseline = None
        for method in methods:
            result = {"method": method, "n": n, **run_one(method, n, args.timeout)}
            if method == "sklearn-kmeans":
                baseline = result
            if baseline and "seconds" in result and "seconds" in baseline:
                result["time_ratio"] = result["seconds"] / baseline["seconds"]
            rows.append(result)
            shown = (f"{result['seconds']:8.2f} s  {result['peak_mb']:7.0f} MB peak  x{result.get('time_ratio', 1):.1f} baseline"
                     if "seconds" in result else result["error"])
            print(f"n={n:>7,}  {method:<16} {shown}", flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "methods.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| n | method | fit s | peak MB | time / sklearn k-means |", "|---|---|---|---|---|"]
    for r in rows:
        if "seconds" in r:
            lines.append(f"| {r['n']:,} | {r['method']} | {r['seconds']:.2f} | {r['peak_mb']:.0f} | {r.get('time_ratio', float('nan')):.1f} |")
        else:
            lines.append(f"| {r['n']:,} | {r['method']} | {r['error']} | | |")
    (RESULTS / "methods.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()

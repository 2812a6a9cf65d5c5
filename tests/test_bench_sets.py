"""Issue 4 on three small public benchmark sets (copied into tests/fixtures/bench; see its README).

The issue's goal per set, select_k with k-means recommending the reference k (or keeping it in
k_set_90), is not reached yet on these three sets (measured, seed 0, settings below); it is
tracked with the hit rate over all public sets in benchmarks/bench_sets.py. These tests pin what
already holds, so that a change cannot lose it:

- fcps_twodiamonds (k = 2; k-means told k = 2 reproduces it, ARI 1.0): k = 2 beats the null band,
  and the gap statistic picks 2, but silhouette, Davies-Bouldin and the inertia elbow pick 4 on
  the full data and on every resample (each uniform diamond split in two): recommended 4, P = 1.0.
- graves_dense (k = 2; two touching blobs of very different density): every resample's vote is
  2 (P = 1.0), but no k beats the Gaussian null band (k = 2 on 0 of 5 statistics), so the
  recommendation is 1.
- wut_x2 (k = 3; overlapping groups, k-means at k = 3: ARI 0.21): silhouette and Davies-Bouldin
  pick 3 on the full data, Calinski-Harabasz and the gap 2; the resamples' vote mostly says 2
  (77% of 30 resamples, 3 in 13%) and no k beats the null band: 1.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd

from persona_lab.assess.select import select_k
from persona_lab.data.dataset import Dataset

FIXTURES = Path(__file__).parent / "fixtures" / "bench"
META = json.loads((FIXTURES / "meta.json").read_text())
SETTINGS = dict(resamples=10, n_ref=20, null_resamples=10, seed=0)
N_JOBS = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2


def assess(name: str, seed: int = 0):
    frame = pd.read_csv(FIXTURES / f"{name}.csv")
    labels = np.loadtxt(FIXTURES / f"{name}.labels", dtype=int)
    assert len(frame) == len(labels) == META[name]["n"]
    dataset = Dataset(frame, {c: "feature" for c in frame.columns}, "entities", name=name)
    settings = {**SETTINGS, "seed": seed}
    return select_k(dataset, "kmeans", range(2, 7), n_jobs=N_JOBS, **settings), int(META[name]["k"])


def test_fcps_twodiamonds():
    # Two is more stable than structure-free data. Z-scored, the diamonds also split crosswise
    # with nearly the same inertia, and now and then a bootstrap sample prefers that split (seed 0:
    # one of 11, bootstrap ARI 0.81 against the references' 0.95), so the claim is over seeds.
    results = [assess("fcps_twodiamonds", seed) for seed in range(3)]
    ref_k = results[0][1]
    assert sum(ref_k in result.stable for result, _ in results) >= 2
    assert all(result.curves.picks["gap"] == ref_k for result, _ in results)


def test_graves_dense():
    result, ref_k = assess("graves_dense")
    assert result.k_distribution.get(ref_k, 0) >= 0.9  # the vote finds two on (nearly) every resample
    assert result.curves.vote == ref_k


def test_wut_x2():
    result, ref_k = assess("wut_x2")
    assert result.curves.picks["silhouette"] == result.curves.picks["davies_bouldin"] == ref_k

"""Issues 4 and 15 on three small public benchmark sets (copied into tests/fixtures/bench; see
its README), with fewer resamples and k = 2..6 (settings below) so that they run in the suite.

The goal per set, select_k with k-means recommending the reference k (or keeping it in
k_set_90), is tracked with the hit rate over all public sets in benchmarks/bench_sets.py. Seed 0,
measured 2026-12-05 with the rule of issue 15:

- fcps_twodiamonds (k = 2; k-means told k = 2 reproduces it, ARI 1.0): recommended 2 (P = 1.0),
  stable k 2 and 6, though silhouette, Davies-Bouldin and the inertia elbow pick 4 on the full
  data (each uniform diamond split in two): the criteria's vote is not the rule.
- graves_dense (k = 2; two touching blobs of very different density): recommended 2 (P = 0.9),
  the criteria agreeing; at seeds 1 and 2 the recommendation is 1 (at most half the resamples
  find a stable most reproducible k), while the criteria's vote still says 2.
- wut_x2 (k = 3; overlapping groups, k-means at k = 3: ARI 0.21): recommended 2 (P = 0.5), k_set_90
  {1, 2, 4}; silhouette and Davies-Bouldin pick 3 on the full data, Calinski-Harabasz and the gap 2.

The tests pin what holds over seeds, so that a change cannot lose it.
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
    assert sum(result.recommended_k == ref_k for result, _ in results) >= 2
    assert all(result.curves.picks["gap"] == ref_k for result, _ in results)


def test_graves_dense():
    result, ref_k = assess("graves_dense")
    assert result.k_distribution.get(ref_k, 0) >= 0.9  # the vote finds two on (nearly) every resample
    assert result.curves.vote == ref_k


def test_wut_x2():
    result, ref_k = assess("wut_x2")
    assert result.curves.picks["silhouette"] == result.curves.picks["davies_bouldin"] == ref_k

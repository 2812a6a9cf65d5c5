"""The whole selection rule re-run on every resample: P(k_hat = k), recommended_k, k_set_90."""

import json

import numpy as np
import pandas as pd
import pytest
from distributed import Client, LocalCluster

from persona_lab.assess.select import _set_90, select_k
from persona_lab.assess.stability import stability
from persona_lab.cli import main
from persona_lab.data.dataset import Dataset
from persona_lab.methods import get_method
from persona_lab.prepare import prepare

from helpers import blobs_dataset


def test_planted_segments_are_recommended_with_their_probability():
    dataset, _ = blobs_dataset(n_per=50, k=4, d=3, seed=2)
    result = select_k(dataset, "kmeans", range(2, 7), resamples=12, n_ref=5, null_resamples=4, seed=1)
    assert result.recommended_k == 4 and result.recommended_probability >= 0.9
    assert 4 in result.k_set_90 and result.k_distribution[4] >= 0.9
    p = result.p_k_hat()
    assert set(p["criterion"]) >= {"rule", "silhouette", "calinski_harabasz", "davies_bouldin"}
    assert p.groupby("criterion")["probability"].sum().round(6).eq(1).all()
    assert result.curves.vote == 4
    assert (result.survival["survival"] == 1).all() and len(result.survival) == 4
    doc = json.loads(json.dumps(result.to_dict()))
    assert {"method", "k_values", "recommended_k", "k_distribution", "k_set_90", "criteria", "stability"} <= set(doc)
    assert len(doc["k_hat"]["rule"]) == 12


def test_structure_free_data_gives_one_with_a_sentence():
    X = np.random.default_rng(0).normal(size=(150, 3))
    dataset = Dataset(pd.DataFrame(X, columns=list("abc")), {c: "feature" for c in "abc"}, "entities", name="noise")
    result = select_k(dataset, "kmeans", range(2, 6), resamples=10, n_ref=20, null_resamples=4)
    assert result.recommended_k == 1 and result.k_set_90 == [1]
    assert "no stable segment structure" in result.statement
    assert not (result.null.groupby("k")["beats"].mean() >= 0.5).any()


def test_k_set_90_is_the_smallest_set_holding_ninety_percent():
    assert _set_90({3: 0.5, 4: 0.35, 5: 0.1, 6: 0.05}) == [3, 4, 5]
    assert _set_90({5: 0.9, 6: 0.1}) == [5]
    assert _set_90({2: 0.45, 3: 0.45, 4: 0.1}) == [2, 3]  # exactly 90% is enough
    assert _set_90({2: 0.44, 3: 0.45, 4: 0.11}) == [2, 3, 4]


def test_hdbscan_k_distribution_is_its_segment_count_per_resample():
    dataset, _ = blobs_dataset(n_per=60, k=3, d=2, seed=5)
    result = select_k(dataset, "hdbscan", [], resamples=8, n_ref=0)
    assert result.curves is None and result.recommended_k == 3
    assert set(result.k_hat["criterion"]) == {"rule"}


def test_same_json_for_any_number_of_workers(tmp_path):
    dataset, _ = blobs_dataset(n_per=30, k=3, d=2, seed=7)
    one = select_k(dataset, "kmeans", range(2, 5), resamples=6, n_ref=3, null_resamples=3, n_jobs=1)
    two = select_k(dataset, "kmeans", range(2, 5), resamples=6, n_ref=3, null_resamples=3, n_jobs=2)
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())
    # The whole analysis on one Dask cluster: criteria fits, gap references, resamples, null band.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            three = select_k(dataset, "kmeans", range(2, 5), resamples=6, n_ref=3, null_resamples=3, dask=client)
    assert json.dumps(three.to_dict()) == json.dumps(one.to_dict())


def test_select_k_command_writes_the_contract_json(tmp_path, capsys):
    dataset, _ = blobs_dataset(n_per=40, k=3, d=2, seed=3)
    data = tmp_path / "points.csv"
    dataset.frame.to_csv(data, index=False)
    out = tmp_path / "k.json"
    code = main(["select-k", str(data), "--method", "kmeans", "--k-range", "2:5", "--resamples", "6",
                 "--null", "3", "--json", str(out)])
    assert code == 0
    doc = json.loads(out.read_text())
    assert doc["method"] == "kmeans" and doc["k_values"] == [2, 3, 4, 5] and doc["recommended_k"] == 3
    assert sum(doc["k_distribution"].values()) == pytest.approx(1.0)
    assert "is the rule's answer on the full data" in capsys.readouterr().out
    assert main(["select-k", str(data), "--k-range", "5:2"]) == 2


def test_the_gap_rule_is_rerun_on_every_resample_and_the_full_fits_are_reused():
    dataset, _ = blobs_dataset(n_per=40, k=3, d=2, seed=5)
    result = select_k(dataset, "kmeans", range(2, 6), resamples=8, n_ref=0, seed=2)
    gap = result.k_hat[result.k_hat["criterion"] == "gap"]["k"]
    assert len(gap) == 8 and (gap == 3).mean() >= 0.75
    # The criteria's fit series served as the stability's full-data partitions: same as refitting.
    prepared = prepare(dataset, get_method("kmeans").default_preparation("entities"))
    refit = stability(prepared, "kmeans", range(2, 6), resamples=8, seed=2)
    assert refit.table.equals(result.stability.table)


def test_select_k_command_can_keep_columns_in_their_unit(tmp_path, capsys):
    rng = np.random.default_rng(0)
    parts = []
    for cx in (-1, 1):  # two touching diamonds, twice as wide as tall
        u = rng.uniform(-1, 1, (400, 2))
        parts.append(u[np.abs(u).sum(axis=1) <= 1][:150] + [cx, 0])
    data = tmp_path / "diamonds.csv"
    pd.DataFrame(np.vstack(parts), columns=["x", "y"]).to_csv(data, index=False)
    out = tmp_path / "k.json"
    args = ["select-k", str(data), "--k-range", "2:6", "--resamples", "6", "--null", "0", "--json", str(out)]
    assert main(args + ["--scale", "none", "--no-log"]) == 0
    assert json.loads(out.read_text())["recommended_k"] == 2


def test_resample_starts_default_to_the_methods_own():
    # Two touching diamonds, z-scored: k-means' best split at k = 2 is the two diamonds, and ten
    # starts find it on every resample; one start often stops in the other split.
    rng = np.random.default_rng(0)
    parts = []
    for cx in (-1, 1):
        u = rng.uniform(-1, 1, (600, 2))
        parts.append(u[np.abs(u).sum(axis=1) <= 1][:200] + [cx, 0])
    X = np.vstack(parts)
    dataset = Dataset(pd.DataFrame(X, columns=["x", "y"]), {"x": "feature", "y": "feature"}, "entities", name="diamonds")
    prepared = prepare(dataset, get_method("kmeans").default_preparation("entities"))
    own = stability(prepared, "kmeans", [2], resamples=12, seed=1, statistics=("bootstrap_ari",))
    single = stability(prepared, "kmeans", [2], resamples=12, seed=1, statistics=("bootstrap_ari",), starts=1)
    assert own.value("bootstrap_ari", 2) >= 0.95
    assert single.value("bootstrap_ari", 2) < own.value("bootstrap_ari", 2) - 0.1


def test_large_data_is_resampled_on_a_seeded_sample(tmp_path):
    dataset, _ = blobs_dataset(n_per=100, k=3, d=2, seed=4)
    result = select_k(dataset, "kmeans", range(2, 6), resamples=6, n_ref=3, seed=0, max_rows=150)
    assert result.recommended_k == 3
    assert "seeded sample of 150 of the 300 rows" in result.notes[0]
    assert len(result.stability.resample_values.query("statistic == 'jaccard' and k == 3")) == 6
    out = tmp_path / "k.json"
    data = tmp_path / "points.csv"
    dataset.frame.to_csv(data, index=False)
    assert main(["select-k", str(data), "--k-range", "2:4", "--resamples", "4", "--null", "2", "--max-rows", "150",
                 "--starts", "1", "--json", str(out)]) == 0
    assert any("seeded sample of 150" in note for note in json.loads(out.read_text())["notes"])

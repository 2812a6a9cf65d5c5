"""The whole selection rule re-run on every resample: P(k_hat = k), recommended_k, k_set_90."""

import json

import numpy as np
import pandas as pd
import pytest

from persona_lab.assess.select import _set_90, select_k
from persona_lab.cli import main
from persona_lab.data.dataset import Dataset

from helpers import blobs_dataset


def test_planted_segments_are_recommended_with_their_probability():
    dataset, _ = blobs_dataset(n_per=50, k=4, d=3, seed=2)
    result = select_k(dataset, "kmeans", range(2, 7), resamples=12, n_ref=5, null_resamples=4, seed=1)
    assert result.recommended_k == 4 and result.recommended_probability >= 0.9
    assert 4 in result.k_set_90 and result.k_distribution[4] >= 0.9
    p = result.p_k_hat()
    assert set(p["criterion"]) >= {"vote", "silhouette", "calinski_harabasz", "davies_bouldin"}
    assert p.groupby("criterion")["probability"].sum().round(6).eq(1).all()
    assert result.curves.vote == 4
    assert (result.survival["survival"] == 1).all() and len(result.survival) == 4
    doc = json.loads(json.dumps(result.to_dict()))
    assert {"method", "k_values", "recommended_k", "k_distribution", "k_set_90", "criteria", "stability"} <= set(doc)
    assert len(doc["k_hat"]["vote"]) == 12


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
    assert set(result.k_hat["criterion"]) == {"vote"}


def test_same_json_for_any_number_of_workers(tmp_path):
    dataset, _ = blobs_dataset(n_per=30, k=3, d=2, seed=7)
    one = select_k(dataset, "kmeans", range(2, 5), resamples=6, n_ref=3, null_resamples=3, n_jobs=1)
    two = select_k(dataset, "kmeans", range(2, 5), resamples=6, n_ref=3, null_resamples=3, n_jobs=2)
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())


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
    assert "was the vote's pick" in capsys.readouterr().out
    assert main(["select-k", str(data), "--k-range", "5:2"]) == 2

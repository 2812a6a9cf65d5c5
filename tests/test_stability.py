"""Resampling stability: the statistics on hand-computed cases, then the harness on planted data."""

from __future__ import annotations

import json

import numpy as np
import pytest
from distributed import Client, LocalCluster
from sklearn.metrics import adjusted_rand_score

from helpers import blobs_dataset
from persona_lab.assess import resampling as rs
from persona_lab.assess.consensus import (NOT_SAMPLED, cdf_area, consensus_cdf, consensus_distribution, consensus_matrix,
                                          delta_area, pac, pair_distribution)
from persona_lab.assess.stability import (
    adjusted_rand, bootstrap_ari, clusterboot_jaccard, jaccard, prediction_strength, segment_jaccard, stability,
    subset_prepared,
)
from persona_lab.errors import PersonaLabError
from persona_lab.methods import get_method
from persona_lab.prepare import prepare

KMEANS = {"n_init": 3}


# -- resamples ----------------------------------------------------------------------------------


def test_resample_b_does_not_depend_on_how_many_are_drawn():
    few, many = rs.bootstraps(50, 3, seed=7), rs.bootstraps(50, 10, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(few, many))
    assert np.array_equal(many[4], rs.bootstrap(50, 7, 4))
    assert not np.array_equal(many[0], many[1])


def test_half_splits_partition_and_item_sample_is_fixed():
    for left, right in rs.half_splits(11, 4, seed=1):
        assert left.size == 5 and right.size == 6
        assert np.array_equal(np.sort(np.concatenate([left, right])), np.arange(11))
    assert np.array_equal(rs.item_sample(500, limit=2000, seed=0), np.arange(500))
    items = rs.item_sample(5000, limit=2000, seed=3)
    assert items.size == 2000 and np.array_equal(items, rs.item_sample(5000, limit=2000, seed=3))


# -- the statistics by hand ---------------------------------------------------------------------


def test_jaccard_of_two_sets():
    assert jaccard([1, 2, 3], [2, 3, 4]) == 0.5
    assert jaccard([1], [1]) == 1.0
    assert np.isnan(jaccard([], []))


def test_clusterboot_jaccard_takes_the_best_match_per_original_segment():
    original = [0, 0, 0, 1, 1, 1]
    resample = [0, 0, 1, 1, 1, 1]
    # segment 0 = {0,1,2}: with {0,1} 2/3, with {2,3,4,5} 1/6; segment 1 = {3,4,5}: with {2..5} 3/4
    assert np.allclose(clusterboot_jaccard(original, resample), [2 / 3, 0.75])
    # an unassigned resample row belongs to no segment; a segment absent from the sample is NaN
    got = clusterboot_jaccard([0, 0, 1, 1], [-1, 0, 0, 0], n_segments=3)
    assert np.allclose(got[:2], [1 / 4, 2 / 3]) and np.isnan(got[2])  # {0,1} v {1,2,3}; {2,3} v {1,2,3}


def test_clusterboot_jaccard_equals_its_definition_on_random_partitions():
    rng = np.random.default_rng(2)
    for _ in range(20):
        original, resample = rng.integers(-1, 5, 60), rng.integers(-1, rng.integers(1, 7), 60)
        expected = []
        for c in range(6):
            if not (original == c).any():
                expected.append(np.nan)
                continue
            members = set(np.flatnonzero(original == c))
            expected.append(max((jaccard(list(members), np.flatnonzero(resample == s))
                                 for s in np.unique(resample[resample >= 0])), default=0.0))
        np.testing.assert_allclose(clusterboot_jaccard(original, resample, 6), expected)


def test_adjusted_rand_is_scikit_learns():
    rng = np.random.default_rng(4)
    cases = [(rng.integers(0, 4, 200), rng.integers(0, 6, 200)), (np.arange(5), np.arange(5)),
             (np.zeros(7, int), np.zeros(7, int)), (np.zeros(7, int), np.arange(7)), ([3, 3, 9, 9], [1, 1, 0, 0])]
    a = rng.integers(0, 3, 300)
    cases.append((a, np.where(rng.random(300) < 0.9, a, rng.integers(0, 3, 300))))
    for x, y in cases:
        assert adjusted_rand(x, y) == pytest.approx(adjusted_rand_score(x, y), abs=1e-12)


def test_segment_summary_counts_dissolved_and_recovered_as_fpc():
    values = np.array([[0.9, 0.5], [0.8, 0.76], [0.4, np.nan]])
    table = segment_jaccard(values)
    assert table["jaccard"].round(6).tolist() == [0.7, 0.63]
    assert table["dissolved"].tolist() == [1, 1]  # <= 0.5 dissolves
    assert table["recovered"].tolist() == [2, 1]  # > 0.75 recovers
    assert table["resamples"].tolist() == [3, 2]
    assert table["band"].tolist() == ["doubtful", "doubtful"]
    assert segment_jaccard([[0.59, 0.75, 0.86]])["band"].tolist() == ["unstable", "stable", "highly stable"]


def test_prediction_strength_by_hand():
    # test segment 0 (rows 0-2) gets train labels 0,0,1: 2 of its 6 ordered pairs kept -> 1/3;
    # test segment 1 (rows 3-4) gets 1,1: 1. The minimum is 1/3.
    assert prediction_strength([0, 0, 1, 1, 1], [0, 0, 0, 1, 1]) == pytest.approx(1 / 3)
    assert prediction_strength([0, 1, 1], [0, 0, 1]) == 0.0  # singleton segment counts 1, as fpc
    assert prediction_strength([-1, -1, 0], [0, 0, 0]) == 0.0  # unassigned rows are with nobody
    assert prediction_strength([2, 2, 2, 0], [1, 1, 1, 0]) == 1.0


def test_consensus_matrix_cdf_pac_and_delta_area_by_hand():
    labels = np.array([[0, 0, 1], [0, 1, 1], [NOT_SAMPLED, 0, 0]])
    M = consensus_matrix(labels)
    # (0,1): together twice, same once; (0,2): twice, never; (1,2): three times, same twice
    assert M[0, 1] == 0.5 and M[0, 2] == 0.0 and M[1, 2] == pytest.approx(2 / 3)
    assert np.allclose(M, M.T)
    for pairs in (pair_distribution(M), consensus_distribution(labels)):
        np.testing.assert_array_equal(pairs[0], [0.0, 0.5, 2 / 3])
        np.testing.assert_array_equal(pairs[1], [1, 1, 1])
        assert np.allclose(consensus_cdf(pairs, [0.0, 0.5, 1.0]), [1 / 3, 2 / 3, 1.0])
        assert pac(pairs) == pytest.approx(2 / 3)  # 0.5 and 2/3 lie in (0.1, 0.9]
    assert pac(pair_distribution(np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1.0]]))) == 0.0


def test_consensus_distribution_from_counts_equals_the_matrix():
    rng = np.random.default_rng(5)
    labels = rng.integers(-1, 4, size=(12, 300))
    labels[rng.random(labels.shape) < 0.3] = NOT_SAMPLED
    labels[:, 7] = NOT_SAMPLED  # an item never drawn: in no pair
    wide = np.where(labels >= 0, labels * 100, labels)  # labels past one byte's codes (k = 300)
    for drawn in (labels, wide):
        fast, slow = consensus_distribution(drawn), pair_distribution(consensus_matrix(drawn))
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
    grid = [0.0, 0.5, 1.0]
    assert cdf_area([0, 0.5, 1], grid) == 0.75
    assert delta_area({3: [0, 1, 1], 2: [0, 0.5, 1]}, grid) == pytest.approx({2: 0.75, 3: 1 / 3})


def test_bootstrap_ari_ignores_rows_both_leave_unassigned():
    assert bootstrap_ari([0, 0, 1, 1, -1, -1], [1, 1, 0, 0, -1, -1]) == 1.0
    assert bootstrap_ari([0, 0, 1, 1, -1, -1], [1, 1, 0, 0, 0, 1]) < 1.0


def test_subset_prepared_keeps_rows_aligned():
    dataset, _ = blobs_dataset(n_per=5, k=2, d=2)
    prepared = prepare(dataset)
    sub = subset_prepared(prepared, [3, 3, 7])
    assert sub.X.shape == (3, prepared.X.shape[1]) and np.array_equal(sub.X[0], prepared.X[3])
    assert sub.row_labels == [prepared.row_labels[i] for i in (3, 3, 7)] and sub.size_weight.shape == (3,)


# -- the harness on planted blobs ---------------------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    dataset, _ = blobs_dataset(n_per=60, k=3, d=4)
    return stability(dataset, "kmeans", [3, 5, 6], resamples=15, seed=0, params=KMEANS)


def test_planted_blobs_are_stable_at_three_only(blobs):
    value = blobs.value
    assert value("bootstrap_ari", 3) > 0.99 and value("bootstrap_ari", 5) < 0.9
    assert value("prediction_strength", 3) >= 0.8 > value("prediction_strength", 6)
    assert value("pac", 3) < 0.02 and value("pac", 5) > 0.1
    assert value("jaccard_min", 3) > 0.95
    three = blobs.segments[blobs.segments["k"] == 3]
    assert len(three) == 3 and (three["recovered"] == 15).all() and (three["dissolved"] == 0).all()
    assert set(three["band"]) == {"highly stable"}


def test_result_shapes_and_json(blobs):
    assert blobs.item_sample_size == 180 and blobs.k_values == [3, 5, 6]
    assert set(blobs.table["statistic"]) == {"bootstrap_ari", "jaccard", "jaccard_min", "prediction_strength",
                                            "pac", "delta_area"}
    per = blobs.resample_values
    assert len(per) == 3 * 3 * 15 and set(per["statistic"]) == {"bootstrap_ari", "jaccard", "prediction_strength"}
    cdf = blobs.consensus_cdf[blobs.consensus_cdf["k"] == 3]["cdf"].to_numpy()
    assert np.all(np.diff(cdf) >= 0) and cdf[-1] == 1.0
    data = json.loads(json.dumps(blobs.to_dict(), allow_nan=False))
    assert data["statistics"]["bootstrap_ari"]["3"] > 0.99 and len(data["per_resample"]["jaccard"]["5"]) == 15


def test_bootstrap_ari_pairs_consecutive_samples_so_more_resamples_only_add_pairs():
    dataset, _ = blobs_dataset(n_per=30, k=4, d=2, spread=2.0)  # overlapping: ARIs differ by pair
    runs = [stability(dataset, "kmeans", [4, 6], resamples=B, seed=5, statistics=("bootstrap_ari",), params=KMEANS)
            for B in (3, 5)]
    few, many = (r.resample_values.sort_values(["k", "resample"]) for r in runs)
    for k in (4, 6):
        a = few[few["k"] == k]["value"].to_numpy()
        b = many[many["k"] == k]["value"].to_numpy()
        assert a.size == 3 and b.size == 5
        np.testing.assert_array_equal(a, b[:3])  # pair b is samples b and b + 1, whatever B
    assert np.unique(many["value"]).size > 2


def test_method_with_k_as_output_is_assessed_on_its_one_solution():
    dataset, _ = blobs_dataset(n_per=60, k=3, d=4)
    result = stability(dataset, "hdbscan", [4, 5], resamples=6, seed=0, statistics=("bootstrap_ari", "jaccard"))
    assert result.k_is_output and result.k_values == [3]
    assert any("ignored" in note for note in result.notes)
    assert result.value("jaccard", 3) > 0.95
    # Duplicated rows of a bootstrap sample are dense spots HDBSCAN may split off: ARI is lower.
    assert result.value("bootstrap_ari", 3) > 0.7


def test_bad_arguments_are_user_errors():
    dataset, _ = blobs_dataset(n_per=10, k=2, d=2)
    with pytest.raises(PersonaLabError, match="at least 2"):
        stability(dataset, "kmeans", [1, 2], resamples=2)
    with pytest.raises(PersonaLabError, match="Unknown stability"):
        stability(dataset, "kmeans", [2], resamples=2, statistics=("gap",))


def test_same_seed_same_json_for_any_number_of_workers():
    dataset, _ = blobs_dataset(n_per=30, k=3, d=3)
    method = get_method("kmeans", **KMEANS)
    run = lambda **engine: json.dumps(  # noqa: E731
        stability(dataset, method, [2, 3, 4], resamples=6, seed=5, **engine).to_dict(), sort_keys=True)
    alone = run()
    assert run(n_jobs=2) == alone
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            assert run(dask=client) == alone
    assert json.dumps(stability(dataset, method, [2, 3, 4], resamples=6, seed=6).to_dict(), sort_keys=True) != alone

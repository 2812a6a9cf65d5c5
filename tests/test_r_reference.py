"""Our statistics against R's numbers (tests/fixtures/r_reference, made by scripts/r_reference).

Two kinds of check:

- exact: pure functions of the fixed inputs (``inputs/*.csv``) and, for the gap statistic's
  log W_k and the maxSE rules, of R's saved partitions and (gap, SE.sim) tables. These must agree
  to floating-point precision (``rtol=1e-12``).
- Monte Carlo: R's random references (clusGap, clusterboot, prediction.strength,
  ConsensusClusterPlus, NMF) against our own seeded runs. Each tolerance is stated where it is
  used and is a few combined Monte Carlo standard errors (R's from the fixture, ours from the
  number of resamples here), or a pick/argmax that is far from its decision boundary.

Deliberate differences from R are tested both ways (ours, and R's recovered from ours):
W_k's distance power (gap.py: squared distances as in the paper; clusGap's default d.power = 1),
clusterboot's score for a segment absent from a bootstrap sample (ours NaN, left out; fpc 0) and
consensus pairs never sampled together (ours NaN, left out; ConsensusClusterPlus 0).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import pdist
from sklearn.cluster import KMeans

from persona_lab.assess.consensus import (
    CDF_GRID, NOT_SAMPLED, cdf_area, consensus_cdf, consensus_matrix, cophenetic_correlation, delta_area, dispersion,
    pac, pair_distribution, consensus_distribution,
)
from persona_lab.assess.criteria import bare_prepared, nmf_consensus
from persona_lab.assess.gap import GAP_RULES, gap_statistic, max_se, within_ss
from persona_lab.assess.stability import clusterboot_jaccard, jaccard, prediction_strength, segment_jaccard, stability
from persona_lab.assess.vote import pick
from persona_lab.methods import get_method

FIXTURES = Path(__file__).parent / "fixtures" / "r_reference"
INPUTS = FIXTURES / "inputs"
EXACT = dict(rtol=1e-12, atol=0)
BLOBS = ("blobs_separated", "blobs_overlap")
GAP_SETS = ("blobs_separated", "blobs_overlap", "uniform")

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(INPUTS / name)


def xy(name: str) -> np.ndarray:
    return read(f"{name}.csv")[["x1", "x2"]].to_numpy(float)


def zero_based(labels) -> np.ndarray:
    return np.asarray(labels, int) - 1


def contingency(a, b) -> np.ndarray:
    """Counts of (a, b) label pairs, 0-based labels."""
    table = np.zeros((a.max() + 1, b.max() + 1), int)
    np.add.at(table, (a, b), 1)
    return table


def matched(ours, theirs) -> np.ndarray:
    """For each of R's clusters (0-based), our cluster with the same rows; fails unless the two
    partitions are the same up to relabelling."""
    table = contingency(np.asarray(ours), np.asarray(theirs))
    assert (np.count_nonzero(table, axis=0) == 1).all() and (np.count_nonzero(table, axis=1) == 1).all()
    return table.argmax(axis=0)


# =============================================================================================
# Exact statistics (rtol 1e-12)
# =============================================================================================


def test_jaccard_matrix_is_fpc_clujaccard():
    ref = fixture("exact_jaccard.json")
    parts = read("jaccard_partitions.csv")
    got = np.array([[jaccard(parts.item[parts.a == i], parts.item[parts.b == j]) for j in ref["labels_b"]]
                    for i in ref["labels_a"]])
    np.testing.assert_allclose(got, ref["jaccard"], **EXACT)
    np.testing.assert_allclose(got.max(axis=1), ref["best_match_a"], **EXACT)
    # the same numbers through clusterboot_jaccard (each segment of a, best match in b)
    best = clusterboot_jaccard(zero_based(parts.a), zero_based(parts.b))
    np.testing.assert_allclose(best, ref["best_match_a"], **EXACT)
    # clujaccard(zerobyzero = 0) says 0 for two empty sets; ours (as fpc's default zerobyzero = NA) NaN
    assert np.isnan(jaccard([], []))


def _boot_values():
    """Our per-boot Jaccard on the fixture's draws, fpc's way: duplicates removed first."""
    original = zero_based(read("boot_original.csv").sort_values("item").label)
    draws = read("boot_samples.csv")
    out = []
    for boot, d in draws.groupby("boot", sort=True):
        d = d.sort_values("position")
        assert (d.groupby("item").label.nunique() == 1).all()  # duplicated draws share their label
        first = ~d.item.duplicated().to_numpy()  # unique(draws), first occurrence kept
        bsamp, labels = d.item.to_numpy()[first], zero_based(d.label.to_numpy()[first])
        out.append((boot, bsamp, labels, clusterboot_jaccard(original[bsamp], labels, int(original.max()) + 1)))
    return out


def test_clusterboot_per_cluster_values_on_given_bootstrap_draws():
    ref = fixture("exact_clusterboot.json")
    boots = _boot_values()
    for (boot, bsamp, labels, _), r in zip(boots, ref["per_boot"]):
        assert boot == r["boot"] and bsamp.size == r["n_unique"] and labels.max() + 1 == r["k_boot"]
    values = np.array([v for *_, v in boots])  # boots x clusters
    np.testing.assert_allclose(values.T, ref["bootresult"], **EXACT)
    for (*_, v), r in zip(boots, ref["per_boot"]):
        np.testing.assert_allclose(v, r["jaccard"], **EXACT)
    summary = segment_jaccard(values)
    np.testing.assert_allclose(summary["jaccard"], ref["bootmean"], **EXACT)
    assert summary["dissolved"].tolist() == ref["bootbrd"]  # <= 0.5 (the fixture has values of exactly 0.5)
    assert summary["recovered"].tolist() == ref["bootrecover"]  # > 0.75 (and exactly 0.75)
    assert summary["resamples"].tolist() == [len(boots)] * 3


def test_clusterboot_segment_absent_from_the_sample_ours_nan_fpc_zero():
    # Deliberate difference (stability.clusterboot_jaccard's docstring): fpc scores a segment with
    # no row in the bootstrap sample 0 (clujaccard(all FALSE, B, zerobyzero = 0)), a dissolution;
    # ours is NaN and the resample is left out of that segment's mean.
    original = np.array([0, 0, 0, 1, 1, 1, 2])
    draws = [np.array([0, 1, 3, 4, 0, 5, 1]), np.array([0, 2, 3, 6, 6, 5, 4])]  # row 6 missing in the first
    resample_labels = [np.array([0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1, 2])]  # on the unique rows
    values = np.array([clusterboot_jaccard(original[np.unique(d)], lab, 3) for d, lab in zip(draws, resample_labels)])
    assert np.isnan(values[0, 2]) and values[1, 2] == 1.0
    ours = segment_jaccard(values)
    assert ours.loc[2, "jaccard"] == 1.0 and ours.loc[2, "dissolved"] == 0 and ours.loc[2, "resamples"] == 1
    # fpc's numbers from ours: the absent segment's NaN is 0 (only a failed fit leaves a NaN otherwise)
    fpc = segment_jaccard(np.nan_to_num(values, nan=0.0))
    assert fpc.loc[2, "jaccard"] == 0.5 and fpc.loc[2, "dissolved"] == 1 and fpc.loc[2, "resamples"] == 2
    np.testing.assert_array_equal(fpc["jaccard"][:2], ours["jaccard"][:2])


def _subsample_labels():
    subs = read("consensus_subsamples.csv")
    n = int(subs.item.max()) + 1
    labels = np.full((subs.subsample.nunique(), n), NOT_SAMPLED)
    for row, (_, d) in enumerate(subs.groupby("subsample", sort=True)):
        labels[row, d.item.to_numpy()] = zero_based(d.label)
    return labels


def test_consensus_matrix_cdf_pac_and_area_are_consensusclusterplus():
    ref = fixture("exact_consensus.json")
    labels = _subsample_labels()
    sampled = (labels != NOT_SAMPLED).astype(int)
    np.testing.assert_array_equal(sampled.T @ sampled, ref["sampled_together"])
    M = consensus_matrix(labels)
    np.testing.assert_allclose(M, ref["consensus_matrix"], **EXACT)  # every pair sampled together here
    lower = np.asarray(ref["lower_triangle_values"])
    np.testing.assert_allclose(np.sort(M[np.tril_indices(M.shape[0], -1)]), np.sort(lower), **EXACT)
    np.testing.assert_array_equal(CDF_GRID, ref["grid"])  # (0:100)/100: the very same doubles
    cdf = consensus_cdf(pair_distribution(M))
    np.testing.assert_allclose(consensus_cdf(consensus_distribution(labels)), ref["cdf"], **EXACT)
    np.testing.assert_allclose(cdf, ref["cdf"], **EXACT)  # <= grid point (0.25, 0.5, 1 are on it)
    assert pac(pair_distribution(M)) == pytest.approx(ref["pac"], rel=1e-12)
    assert pac(consensus_distribution(labels)) == pytest.approx(ref["pac"], rel=1e-12)  # (0.1, 0.9]
    assert ref["n_values_at_0.1"] == 0 and ref["n_values_at_0.9"] == 0
    assert cdf_area(cdf) == pytest.approx(ref["ccp_area"], rel=1e-12)
    assert delta_area({2: cdf}) == {2: pytest.approx(ref["ccp_area"], rel=1e-12)}


def test_cdf_area_and_delta_area_on_consensusclusterplus_output():
    # CCP's own CDF per k (its ecdf at the grid) -> its area and delta area, exactly
    ref = fixture("consensus_clusterplus.json")
    np.testing.assert_array_equal(CDF_GRID, ref["grid"])
    for name, d in ref["datasets"].items():
        curves = dict(zip(d["k"], d["cdf"]))
        np.testing.assert_allclose([cdf_area(c) for c in curves.values()], d["area"], **EXACT, err_msg=name)
        np.testing.assert_allclose(list(delta_area(curves).values()), d["delta_area"], **EXACT, err_msg=name)


def test_pairs_never_sampled_together_ours_left_out_ccp_zero():
    # Deliberate difference (consensus_matrix's docstring): CCP sets such a pair to 0 and counts it
    labels = _subsample_labels()
    i, j = 0, 9
    both = (labels[:, i] != NOT_SAMPLED) & (labels[:, j] != NOT_SAMPLED)
    labels = labels[~both]  # now i and j are never drawn together
    M = consensus_matrix(labels)
    assert np.isnan(M[i, j]) and np.isnan(M[j, i])
    values = M[np.tril_indices(10, -1)]
    ours = values[~np.isnan(values)]
    assert consensus_cdf(consensus_distribution(labels))[10] == pytest.approx((ours <= 0.1).mean(), rel=1e-12)
    assert pac(consensus_distribution(labels)) == pytest.approx(((ours > 0.1) & (ours <= 0.9)).mean(), rel=1e-12)
    ccp = np.nan_to_num(M, nan=0.0)  # CCP's M[tmpCount == 0] <- 0
    v = ccp[np.tril_indices(10, -1)]
    np.testing.assert_allclose(consensus_cdf(pair_distribution(ccp)), [(v <= g).mean() for g in CDF_GRID], **EXACT)
    assert pac(pair_distribution(ccp)) == pytest.approx(((v > 0.1) & (v <= 0.9)).mean(), rel=1e-12)


def test_prediction_strength_of_one_split_is_fpc_and_corrpred_averages_both_halves():
    ref = fixture("exact_prediction_strength.json")
    X = read("ps_data.csv")[["x1", "x2"]].to_numpy(float)
    split = read("ps_split.csv")
    k = ref["k"]
    halves = {h: (d.item.to_numpy(), zero_based(d.label)) for h, d in split.groupby("half")}
    assert halves[1][0].size == X.shape[0] // 2
    minima = []
    for r in ref["halves"]:
        (test_items, test_labels), (train_items, train_labels) = halves[r["half"]], halves[3 - r["half"]]
        assert test_items.tolist() == r["test_items"]
        np.testing.assert_array_equal(test_labels, zero_based(r["test_labels"]))
        centroids = np.array([X[train_items[train_labels == g]].mean(axis=0) for g in range(k)])
        np.testing.assert_allclose(centroids, r["training_centroids"], **EXACT)
        distance = ((X[test_items][:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        predicted = distance.argmin(axis=1)
        np.testing.assert_array_equal(predicted, zero_based(r["predicted_labels"]))
        np.testing.assert_array_equal(contingency(test_labels, predicted), r["contingency"])
        per_cluster = [prediction_strength(predicted[test_labels == c], test_labels[test_labels == c])
                       for c in range(k)]
        np.testing.assert_allclose(per_cluster, r["ps_per_cluster"], **EXACT)
        ps = prediction_strength(predicted, test_labels)
        assert ps == pytest.approx(r["ps_min"], rel=1e-12)
        minima.append(ps)
    # fpc's corrpred, and the stability harness's per-split value: the mean of the two directions
    assert (minima[0] + minima[1]) / 2 == pytest.approx(ref["corrpred"], rel=1e-12)
    assert min(minima) != ref["corrpred"]  # not the min of the two


@pytest.mark.parametrize("name", GAP_SETS)
def test_log_w_given_rs_partitions_clusgap_d_power_1(name):
    ref = fixture("gap_statistic.json")
    assert ref["d.power"] == 1 and ref["spaceH0"] == "scaledPCA"
    d = ref["datasets"][name]
    X = xy(name)
    parts = {k: zero_based(p) for k, p in zip(d["k"], d["partitions"])}
    # clusGap's W.k = 0.5 * sum_r sum_{i<j in r} ||x_i - x_j|| / n_r = 0.5 * within_ss(d_power=1)
    ours = [np.log(0.5 * within_ss(X, parts[k], d_power=1)) for k in d["k"]]
    np.testing.assert_allclose(ours, d["logW"], **EXACT)
    # the same through gap_statistic (its log W lacks clusGap's constant 0.5, which cancels in the gap)
    table = gap_statistic(X, {k: p for k, p in parts.items() if k > 1}, _no_clustering, references=2, d_power=1)
    np.testing.assert_allclose(table["log_w"] + np.log(0.5), d["logW"], **EXACT)


@pytest.mark.parametrize("name", GAP_SETS)
def test_log_w_default_is_the_papers_squared_distances(name):
    # Deliberate difference: W_k with squared distances (the paper; d_power=2, our default) is the
    # sum of squares to the centroids and twice clusGap's W.k with d.power = 2.
    d = fixture("gap_statistic.json")["datasets"][name]
    X = xy(name)
    for k, p in zip(d["k"], d["partitions"]):
        labels = zero_based(p)
        ss = sum(((X[labels == c] - X[labels == c].mean(axis=0)) ** 2).sum() for c in range(k))
        clusgap_d2 = 0.5 * sum((pdist(X[labels == c]) ** 2).sum() / (labels == c).sum() for c in range(k))
        assert within_ss(X, labels) == pytest.approx(ss, rel=1e-12)
        assert within_ss(X, labels, d_power=2) == within_ss(X, labels)
        assert within_ss(X, labels) == pytest.approx(2 * clusgap_d2, rel=1e-12)
        if k > 1:  # the two powers are different statistics, not a rescaling of each other
            assert not np.isclose(np.log(0.5 * within_ss(X, labels)), d["logW"][k - 1])
    with pytest.raises(ValueError):
        within_ss(X, np.zeros(X.shape[0], int), d_power=0)


def _no_clustering(X, k, seed):
    return np.arange(X.shape[0]) % k


@pytest.mark.parametrize("name", GAP_SETS)
def test_maxse_rules_on_rs_gap_tables(name):
    d = fixture("gap_statistic.json")["datasets"][name]
    frame = pd.DataFrame({"k": d["k"], "gap": d["gap"], "sd": d["SE.sim"]})
    for rule in GAP_RULES:
        assert d["k"][max_se(d["gap"], d["SE.sim"], rule)] == d["picks"][rule], rule
        assert pick("gap", frame, gap_rule=rule) == d["picks"][rule], rule


# =============================================================================================
# Random references (Monte Carlo tolerances)
# =============================================================================================


def _kmeans(X, k, seed):
    return KMeans(k, n_init=5, random_state=seed).fit(X).labels_


GAP_B = 100


@pytest.fixture(scope="module")
def our_gap():
    """Our gap statistic with clusGap's d.power = 1 on R's own partitions, B = 100 references."""
    ref = fixture("gap_statistic.json")["datasets"]
    out = {}
    for name in GAP_SETS:
        parts = {k: zero_based(p) for k, p in zip(ref[name]["k"], ref[name]["partitions"]) if k > 1}
        out[name] = gap_statistic(xy(name), parts, _kmeans, references=GAP_B, seed=20240611, d_power=1)
    return out


@pytest.mark.parametrize("name", GAP_SETS)
def test_gap_matches_clusgap_within_monte_carlo_error(name, our_gap):
    d = fixture("gap_statistic.json")["datasets"][name]
    table = our_gap[name]
    B_r = fixture("gap_statistic.json")["B"]
    sd_r = np.asarray(d["SE.sim"]) / np.sqrt(1 + 1 / B_r)
    # gap = mean_b log W*_b - log W: log W is the same (R's partitions), so the difference is the
    # Monte Carlo error of two means: se = sqrt(mc_se_R^2 + sd^2 / B_ours) (about 0.0037); 5 se.
    # Observed (this seed): |ours - R| <= 0.0071.
    se = np.sqrt(np.asarray(d["mc_se_E.logW"]) ** 2 + sd_r ** 2 / GAP_B)
    assert np.all(np.abs(table["gap"] - d["gap"]) < 5 * se)
    # s_k: the sd of an sd estimate is about sd / sqrt(2 (B - 1)); ours divides by B, R by B - 1
    # (0.5% at B = 100). 5 combined se (about 0.013); observed |ours - R| <= 0.0055.
    se_sd = np.sqrt(sd_r ** 2 / (2 * (GAP_B - 1)) + sd_r ** 2 / (2 * (B_r - 1)))
    assert np.all(np.abs(table["sd"] - d["SE.sim"]) < 5 * se_sd)
    assert max_se(table["gap"], table["sd"]) + 1 == d["picks"]["Tibs2001SEmax"]


@pytest.mark.parametrize("name, expected", [("blobs_separated", 3), ("blobs_overlap", 1), ("uniform", 1)])
def test_gap_picks_rs_k_with_our_kmeans_and_our_default_w(name, expected):
    # All ours: our k-means partitions, squared distances (the paper, our default), B = 100;
    # the Tibs2001SEmax pick is R's. (R's margins are wide: blobs_overlap gap[1] - (gap[2] - SE[2])
    # = 0.074, some 20 Monte Carlo se; the pick only needs k up to one past it, so K.max = 5.)
    d = fixture("gap_statistic.json")["datasets"][name]
    assert d["picks"]["Tibs2001SEmax"] == expected
    X = xy(name)
    labels = {k: _kmeans(X, k, 0) for k in range(2, 6)}
    table = gap_statistic(X, labels, _kmeans, references=GAP_B, seed=7)
    assert pick("gap", table) == expected


def _stability(name, ks, resamples, statistics, seed=20240611, starts=10):
    # The references ran kmeansCBI with runs = 10 (scripts/r_reference/resampling.R): so do our fits.
    return stability(bare_prepared(xy(name)), get_method("kmeans", n_init=starts), ks, resamples=resamples, seed=seed,
                     statistics=statistics, starts=starts)


@pytest.mark.parametrize("name", BLOBS)
def test_clusterboot_bootmean_by_cluster(name):
    # fpc: B = 200, kmeansCBI runs = 10; ours: 50 bootstrap resamples, k-means n_init = 10.
    ref = fixture("clusterboot.json")["datasets"][name]
    result = _stability(name, [3], 50, ("jaccard",))
    ours_full = get_method("kmeans").fit(bare_prepared(xy(name)), k=3, seed=20240611).labels_  # the harness's fit
    order = matched(ours_full, zero_based(ref["partition"]))  # R's cluster j is our segment order[j]
    seg = result.segments.set_index("segment").loc[order]
    if name == "blobs_separated":  # R: 1, 1, 1 with sd 0, recovered 200 of 200; ours exactly the same
        assert seg["jaccard"].tolist() == [1.0, 1.0, 1.0]
        assert seg["recovered"].tolist() == [50] * 3 and seg["dissolved"].tolist() == [0] * 3
        return
    # blobs_overlap: R 0.9639, 0.9980, 0.9687; 5 combined se, se = sd_R * sqrt(1/200 + 1/50)
    # (0.0021 to 0.0072). Observed |ours - R| <= 0.0019 (ours 0.9639, 0.9991, 0.9668).
    se = np.asarray(ref["bootresult_sd"]) * np.sqrt(1 / 200 + 1 / 50)
    assert np.all(np.abs(seg["jaccard"].to_numpy() - ref["bootmean"]) < 5 * se + 1e-9)
    assert seg["dissolved"].tolist() == [0] * 3 and seg["recovered"].tolist() == [50] * 3  # as R's 0 / 200


PS_SPLITS = 100


@pytest.mark.parametrize("name", BLOBS)
def test_prediction_strength_optimal_k(name):
    # fpc: M = 50 splits, cutoff 0.8, optimalk = max{k : mean.pred[k] > 0.8}, mean.pred[1] = 1.
    # Ours: 100 splits (blobs_overlap at k = 3 is 0.821 in R and about 0.84 in ours, whose se
    # is 0.09 / sqrt(100) = 0.009: with 50 splits one seed in six fell below 0.8).
    ref = fixture("prediction_strength.json")["datasets"][name]
    result = _stability(name, range(2, 7), PS_SPLITS, ("prediction_strength",))
    mean_pred = {1: 1.0, **{int(k): result.value("prediction_strength", k) for k in range(2, 7)}}
    assert max(k for k, v in mean_pred.items() if v > 0.8) == ref["optimalk"] == 3
    # values: 5 combined se = 5 sqrt(sd_R^2 / 50 + sd_R^2 / 100) (0 at k = 3 on the separated set,
    # where every split scores 1). Observed |ours - R| <= 0.084 (separated, k = 2: 2.9 se), else <= 0.043.
    sd = np.asarray(ref["sd.pred"][1:], float)
    ours = np.array([mean_pred[k] for k in range(2, 7)])
    assert np.all(np.abs(ours - ref["mean.pred"][1:]) <= 5 * sd * np.sqrt(1 / 50 + 1 / PS_SPLITS) + 1e-12)


@pytest.mark.parametrize("name, argmin", [("blobs_separated", 3), ("blobs_overlap", 3), ("uniform", 4)])
def test_consensus_pac(name, argmin):
    # CCP: 200 subsamples of floor(0.8 n) = 72 items, kmeans(nstart = 1, iter.max = 10) on each.
    # Ours: the distinct rows of 200 bootstrap samples (63% of the rows on average, the fits that
    # serve every bootstrap statistic), k-means with n_init = 1 (one start, as CCP:
    # with our default 10 starts k = 2 on blobs_overlap has PAC 0.03 against R's 0.64, a
    # different clustering rather than a different statistic).
    ref = fixture("consensus_clusterplus.json")["datasets"][name]
    result = _stability(name, range(2, 7), 200, ("consensus",), starts=1)
    ours = np.array([result.value("pac", k) for k in ref["k"]])
    assert ref["k"][int(np.argmin(ref["pac"]))] == argmin
    assert ref["k"][int(np.argmin(ours))] == argmin  # 0 (separated) or < 0.14, next >= 0.19
    if name == "blobs_separated":
        # Values within 0.05 (observed <= 0.011 here, <= 0.025 over three seeds: ours has PAC 0 at k = 3 where R's 0.011
        # comes from kmeans' random starts sometimes splitting a blob; k-means++ starts never do).
        # The full order of k by PAC is not robust: R's PAC at k = 5 and 6 are 0.230 and 0.251,
        # and ours swap them on some seeds. Elsewhere (not asserted) k = 2 differs by up to 0.08
        # on blobs_overlap / uniform: R's random starts and our k-means++ starts split them
        # differently at k = 2.
        np.testing.assert_allclose(ours, ref["pac"], atol=0.05, rtol=0)


@pytest.fixture(scope="module")
def nmf_planted() -> np.ndarray:
    return read("nmf_planted.csv").to_numpy(float)


@pytest.mark.parametrize("orientation", ["rows", "columns"])
def test_nmf_cophenetic_and_dispersion_peak_at_the_planted_rank(orientation, nmf_planted):
    # NMF::nmf(brunet, nrun = 30) against ours (sklearn KL NMF, 30 random starts per rank). The
    # algorithms and starts differ, so the values are not compared, only the peak: both criteria
    # are exactly 1 at rank 3 (the consensus is exactly 0/1 block-diagonal), in R and in ours.
    ref = fixture("nmf_rank.json")["orientations"][orientation]
    A = nmf_planted if orientation == "rows" else nmf_planted.T  # ours clusters rows; NMF columns
    assert A.shape[0] == ref["n_samples"]
    template = get_method("nmf")
    consensus = {r: nmf_consensus(template, A, r, 30, seed=20240611 + r) for r in ref["ranks"]}
    ours = {"cophenetic": {r: cophenetic_correlation(C) for r, C in consensus.items()},
            "dispersion": {r: dispersion(C) for r, C in consensus.items()}}
    for criterion, values in ours.items():
        theirs = dict(zip(ref["ranks"], ref[criterion]))
        assert max(theirs, key=theirs.get) == 3 and theirs[3] == 1.0
        assert pick(criterion, theirs) == 3  # our rules on R's values
        assert values[3] == pytest.approx(1.0, abs=1e-12)
        assert min(r for r, v in values.items() if v >= values[3] - 1e-12) == 3  # first k at the maximum
    # Dispersion peaks strictly (ours <= 0.995 at other ranks over seeds, R <= 0.975). The
    # cophenetic coefficient need not: it is also exactly 1 whenever the consensus is an
    # ultrametric, e.g. one planted group split the same way in 29 of 30 starts (values 0,
    # 29/30, 1), which ours shows at rank 4 here (in 3 of 24 seed x rank trials); in R it is
    # 0.9997 there. Ours stays above 0.97 at every rank, as R's (>= 0.994).
    assert all(v < 1 - 1e-3 for r, v in ours["dispersion"].items() if r != 3)
    assert pick("dispersion", ours["dispersion"]) == 3
    assert pick("cophenetic", ours["cophenetic"]) == 3  # a plateau at 1 picks its smallest rank
    assert min(ours["cophenetic"].values()) > 0.97

"""Gap statistic (Tibshirani, Walther & Hastie 2001) and the Kneedle elbow."""

import numpy as np
import pytest
from scipy.spatial.distance import pdist
from sklearn.cluster import KMeans

from persona_lab.assess.elbow import knee
from persona_lab.assess.gap import PcaBox, gap_statistic, max_se, reference_log_w, resample_gap, within_ss
from persona_lab.assess.vote import pick
from persona_lab.seeding import child_seeds


def kmeans(X, k, seed):
    return KMeans(k, n_init=5, random_state=seed).fit(X).labels_


def test_within_ss_by_hand_and_as_the_papers_pairwise_sum():
    X = np.array([[0, 0], [0, 2], [4, 0], [4, 2], [10, 10]], dtype=float)
    # two pairs 2 apart: each segment 2 * 2^2 / (2 * 2) = 2; a lone row adds nothing
    assert within_ss(X, np.array([0, 0, 1, 1, 2])) == pytest.approx(4.0)
    rng = np.random.default_rng(0)
    Y, labels = rng.normal(size=(40, 3)), rng.integers(0, 3, 40)
    pairwise = sum(2 * (pdist(Y[labels == s]) ** 2).sum() / (2 * (labels == s).sum()) for s in range(3))
    assert within_ss(Y, labels) == pytest.approx(pairwise)
    assert within_ss(Y, np.where(labels == 2, -1, labels)) < within_ss(Y, labels)  # unassigned left out


def test_gap_is_mean_reference_log_w_minus_log_w():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 2))
    labels = {2: kmeans(X, 2, 0)}
    table = gap_statistic(X, labels, kmeans, references=5, seed=3)
    assert list(table["k"]) == [1, 2]
    total_ss = ((X - X.mean(axis=0)) ** 2).sum()
    assert table["log_w"].iloc[0] == pytest.approx(np.log(total_ss))
    # the same references again, task by task, with the documented seeds
    ref = np.array([reference_log_w(PcaBox.of(X), 60, [1, 2], kmeans, s) for s in child_seeds(3, 6)[1:]])
    np.testing.assert_allclose(table["ref_log_w"], ref.mean(axis=0))
    np.testing.assert_allclose(table["gap"], ref.mean(axis=0) - table["log_w"])
    np.testing.assert_allclose(table["sd"], ref.std(axis=0) * np.sqrt(1 + 1 / 5))


def test_pca_box_references_follow_the_datas_orientation():
    rng = np.random.default_rng(2)
    t = rng.uniform(-5, 5, 500)
    X = np.column_stack([t, t + rng.uniform(-0.2, 0.2, 500)])  # a thin diagonal band
    draw = PcaBox.of(X).draw(2000, np.random.default_rng(0))
    assert np.abs(draw[:, 0] - draw[:, 1]).max() < 0.5  # stays in the band, not the square


def _blobs(k, n_per=50, d=2, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(k, d))
    return np.vstack([rng.normal(c, 0.5, size=(n_per, d)) for c in centres])


def _gap_pick(X, seed=0):
    labels = {k: kmeans(X, k, 0) for k in range(2, 8)}
    return pick("gap", gap_statistic(X, labels, kmeans, references=20, seed=seed))


def test_gap_finds_planted_blobs_and_says_one_on_uniform_data():
    assert _gap_pick(_blobs(4, seed=4)) == 4
    uniform = np.random.default_rng(5).uniform(size=(200, 2))
    assert _gap_pick(uniform) == 1


def test_clusgap_rules_on_a_hand_made_curve():
    f, s = [0.45, 0.5, 0.4, 0.9], [0.1] * 4
    assert max_se(f, s, "Tibs2001SEmax") == 0  # 0.45 >= 0.5 - 0.1
    assert max_se(f, s, "firstmax") == 1
    assert max_se(f, s, "firstSEmax") == 0  # within one s of the first local max
    assert max_se(f, s, "globalmax") == 3
    assert max_se(f, s, "globalSEmax") == 3  # nothing within 0.1 of 0.9
    assert max_se([1, 2, 3], [0.1] * 3, "Tibs2001SEmax") == 2  # still rising: the largest k
    with pytest.raises(ValueError):
        max_se(f, s, "nope")
    assert pick("gap", {1: (0.1, 0.1), 2: (0.5, 0.1), 3: (0.45, 0.1), 4: (0.9, 0.1)}) == 2
    assert pick("gap", {1: (0.1, 0.1), 2: (0.5, 0.1), 3: (0.45, 0.1), 4: (0.9, 0.1)}, gap_rule="globalmax") == 4


def test_kneedle_finds_the_planted_elbow_and_nothing_on_a_line():
    planted = dict(zip(range(1, 11), [100, 70, 40, 10, 9, 8, 7, 6, 5, 4]))
    assert knee(planted) == 4
    assert pick("inertia_elbow", planted) == 4
    assert knee({k: 50 - 3 * k for k in range(2, 11)}) is None
    assert knee({2: 5.0, 3: 1.0}) is None  # two points: always a line
    rising = {k: 1 - np.exp(-k) for k in range(1, 11)}
    assert pick("varexpl_elbow", rising) == knee(rising, curve="concave", direction="increasing") is not None


def test_resample_gap_against_the_datas_references_gives_the_datas_own_gap_back():
    # A "resample" that is the data itself must get the data's gap, whatever its number of rows:
    # both sides are compared per row, and the offset is the same for every k.
    X = np.random.default_rng(3).normal(size=(120, 2)) + np.repeat([[0, 0], [6, 0], [0, 6]], 40, axis=0)
    labels = {k: KMeans(k, n_init=4, random_state=0).fit(X).labels_ for k in (2, 3, 4)}
    table = gap_statistic(X, labels, lambda Z, k, s: KMeans(k, n_init=2, random_state=s).fit(Z).labels_,
                          references=5, seed=1)
    per_row = {int(k): lw - np.log(len(X)) for k, lw in zip(table["k"], table["log_w"])}
    again = resample_gap(table, per_row)
    assert np.allclose(again["gap"], table["gap"]) and np.allclose(again["sd"], table["sd"])
    assert pick("gap", again) == pick("gap", table.set_index("k")[["gap", "sd"]]) == 3
    # Only k values the references cover are scored.
    assert list(resample_gap(table, {**per_row, 9: 0.0})["k"]) == [1, 2, 3, 4]

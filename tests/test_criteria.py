import json

import numpy as np
import pandas as pd
import pytest

from persona_lab.assess.consensus import consensus_matrix, cophenetic_correlation, dispersion
from persona_lab.assess.criteria import criterion_curves, label, nmf_consensus
from persona_lab.assess.vote import pick, vote
from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.methods import get_method
from persona_lab.prepare import Preparation

from helpers import blobs_dataset, planted_blobs


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_criteria_pick_the_planted_k(method):
    dataset, _ = blobs_dataset(n_per=60, k=4, d=3, seed=2)
    curves = criterion_curves(dataset, method, range(2, 8), seed=0)
    assert set(curves.table["k"]) == set(range(2, 8))
    for criterion in ("silhouette", "calinski_harabasz", "davies_bouldin", "gap"):
        assert curves.picks[criterion] == 4
    if method == "gmm":
        assert curves.picks["bic"] == 4
    else:
        assert "inertia" in set(curves.table["criterion"]) and "inertia" not in curves.picks
    assert curves.to_dict()["picks"] == curves.picks
    assert curves.vote == 4 and curves.tally[4] >= 4
    # every pick is its rule re-applied to the values alone (as on a resample)
    for criterion, k in curves.picks.items():
        assert pick(criterion, curves.values(criterion)) == k
    assert vote(curves.picks) == curves.vote
    json.dumps(curves.to_dict())


def test_k_as_output_has_no_curve():
    dataset, _ = blobs_dataset()
    with pytest.raises(PersonaLabError, match="finds the number of segments itself"):
        criterion_curves(dataset, "hdbscan", range(2, 5))


def test_labels_say_which_way_is_better():
    assert "lower is better" in label("davies_bouldin") and "higher" in label("silhouette")
    assert "no pick" in label("inertia")
    assert "elbow" in label("inertia_elbow") and "Gap" in label("gap")


def test_on_the_apg_sample_the_distance_criteria_see_the_planted_five():
    import persona_lab as pl
    from persona_lab.data.sample_data import APG_SAMPLE, SAMPLE_DIR

    curves = criterion_curves(pl.load_dataset(SAMPLE_DIR / APG_SAMPLE), "nmf", range(2, 9), seed=0)
    picks = curves.picks
    assert picks["silhouette"] == 5 and picks["calinski_harabasz"] == 5, picks
    assert picks["cophenetic"] == 5 and picks["dispersion"] == 5, picks
    assert "gap" not in set(curves.table["criterion"])  # NMF: references would leave its domain
    assert curves.vote == 5, curves.votes


# -- NMF consensus -------------------------------------------------------------------------------


def test_consensus_matrix_and_dispersion_by_hand():
    C = consensus_matrix(np.array([[0, 0, 1], [0, 1, 1]]))
    np.testing.assert_allclose(C, [[1, 0.5, 0], [0.5, 1, 0.5], [0, 0.5, 1]])
    crisp = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=float)
    assert dispersion(crisp) == 1.0 and dispersion(np.full((3, 3), 0.5)) == 0.0
    assert dispersion(np.array([[1, 0.5], [0.5, 1]])) == pytest.approx(0.5)
    assert cophenetic_correlation(crisp) == pytest.approx(1.0)


def apg_like(n_groups=90, n_items=30, seed=0):
    """Counts of groups x items from three factors with disjoint favourite items."""
    rng = np.random.default_rng(seed)
    H = np.full((3, n_items), 0.2)
    for f in range(3):
        H[f, f * 10:(f + 1) * 10] = 5
    W = np.full((n_groups, 3), 0.05)
    W[np.arange(n_groups), np.arange(n_groups) % 3] = 1
    return rng.poisson(W @ H * rng.uniform(5, 20, size=(n_groups, 1))).astype(float)


def test_cophenetic_and_dispersion_see_three_planted_factors():
    X, nmf = apg_like(), get_method("nmf")
    by_k = {k: nmf_consensus(nmf, X, k, n_init=30, seed=1) for k in (2, 3, 5)}
    coph = {k: cophenetic_correlation(C) for k, C in by_k.items()}
    disp = {k: dispersion(C) for k, C in by_k.items()}
    assert coph[3] > 0.999 and coph[5] < coph[3] and coph[2] < coph[3], coph
    assert disp[3] > 0.99 and disp[5] < 0.97, disp
    assert pick("cophenetic", coph) == 3 and pick("dispersion", disp) == 3


# -- business limits -------------------------------------------------------------------------------


def _table(X):
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame.insert(0, "row_id", [f"r{i:04d}" for i in range(len(frame))])
    return Dataset(frame, {"row_id": "id", **{c: "feature" for c in frame.columns[1:]}}, "entities", name="t")


def test_min_share_marks_a_k_with_a_tiny_segment_and_keeps_it_out_of_the_vote():
    X, _ = planted_blobs(n_per=60, k=3, d=3, seed=3)
    tiny = X[:4] + np.array([40.0, 40.0, 40.0])  # four far-away rows: a segment of 2%
    curves = criterion_curves(_table(np.vstack([X, tiny])), "kmeans", range(2, 6), seed=0,
                              min_share=0.05, gap_references=5)
    assert curves.smallest_share[4] == pytest.approx(4 / 184)
    assert 4 in curves.marked and "too small" in curves.marked[4]
    assert 4 not in curves.tally and curves.vote != 4
    marked_votes = curves.votes[curves.votes["k"] == 4]
    assert not marked_votes.empty and not marked_votes["counted"].any()
    unlimited = criterion_curves(_table(np.vstack([X, tiny])), "kmeans", range(2, 6), seed=0, gap_references=5)
    assert unlimited.marked == {} and unlimited.vote == 4


def test_max_k_drops_the_larger_k_before_fitting():
    dataset, _ = blobs_dataset(n_per=30, k=3, d=2, seed=1)
    curves = criterion_curves(dataset, "kmeans", range(2, 8), seed=0, max_k=4, gap_references=5)
    assert set(curves.table["k"]) == {2, 3, 4}
    assert set(curves.marked) == {5, 6, 7} and "largest k" in curves.marked[7]
    with pytest.raises(PersonaLabError, match="above the largest k"):
        criterion_curves(dataset, "kmeans", range(5, 8), max_k=4)
    with pytest.raises(PersonaLabError, match="min_share"):
        criterion_curves(dataset, "kmeans", range(2, 4), min_share=5)


def test_progress_reaches_one():
    dataset, _ = blobs_dataset(n_per=30, k=3, d=2, seed=1)
    seen = []
    criterion_curves(dataset, "kmeans", range(2, 4), progress=lambda f, t: seen.append(f), gap_references=3)
    assert seen == sorted(seen) and seen[-1] == 1.0 and len(seen) == 2 + 3 + 1


def _two_diamonds(seed: int = 0) -> Dataset:
    """Two touching diamonds of uniform density side by side (as FCPS TwoDiamonds): the x axis
    spans twice the y axis, so z-scoring stretches y and makes each diamond a tall shape."""
    rng = np.random.default_rng(seed)
    parts = []
    for cx in (-1, 1):
        u = rng.uniform(-1, 1, (700, 2))
        parts.append(u[np.abs(u).sum(axis=1) <= 1][:300] + [cx, 0])
    return Dataset(pd.DataFrame(np.vstack(parts), columns=["x", "y"]), {"x": "feature", "y": "feature"}, "entities",
                   name="two diamonds")


def test_columns_kept_in_their_unit_keep_the_clusters_shape():
    dataset = _two_diamonds()
    z_scored = criterion_curves(dataset, "kmeans", range(2, 8), seed=0, gap_references=5)
    one_unit = criterion_curves(dataset, "kmeans", range(2, 8), seed=0, gap_references=5,
                                preparation=Preparation(scale="none", log_counts=False))
    # z-scored, silhouette and Davies-Bouldin split each diamond in two; in the data's own unit
    # every distance criterion and the gap see the two diamonds.
    assert z_scored.picks["silhouette"] == z_scored.picks["davies_bouldin"] == 4
    assert {one_unit.picks[c] for c in ("silhouette", "calinski_harabasz", "davies_bouldin", "gap")} == {2}
    assert one_unit.vote == 2
    assert set(one_unit.fits) == set(range(2, 8))  # the one fit series, kept for the stability harness


def test_smallest_share_of_an_apg_fit_is_its_smallest_persona_share():
    """With memberships, a segment's size is its share of every group's interactions, as its
    persona's is: a factor that is no group's strongest is not left out (hand computed)."""
    from persona_lab.assess.criteria import smallest_share

    labels, totals = np.array([0, 0, 1]), np.array([10.0, 20.0, 30.0])
    memberships = np.array([[0.9, 0.1, 0.0], [0.5, 0.2, 0.3], [0.0, 0.4, 0.6]])
    # Sizes: 19, 17 (no group's strongest), 24 of 60.
    assert smallest_share(labels, totals, memberships) == pytest.approx(17 / 60)
    assert smallest_share(labels, totals) == pytest.approx(30 / 60)  # hard labels: two segments

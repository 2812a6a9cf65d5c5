import numpy as np
import pytest

from persona_lab.assess.criteria import criterion_curves, label
from persona_lab.errors import PersonaLabError

from helpers import blobs_dataset


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_criteria_pick_the_planted_k(method):
    dataset, _ = blobs_dataset(n_per=60, k=4, d=3, seed=2)
    curves = criterion_curves(dataset, method, range(2, 8), seed=0)
    assert set(curves.table["k"]) == set(range(2, 8))
    for criterion in ("silhouette", "calinski_harabasz", "davies_bouldin"):
        assert curves.picks[criterion] == 4
    if method == "gmm":
        assert curves.picks["bic"] == 4
    else:
        assert "inertia" in set(curves.table["criterion"]) and "inertia" not in curves.picks
    assert curves.to_dict()["picks"] == curves.picks


def test_k_as_output_has_no_curve():
    dataset, _ = blobs_dataset()
    with pytest.raises(PersonaLabError, match="finds the number of segments itself"):
        criterion_curves(dataset, "hdbscan", range(2, 5))


def test_labels_say_which_way_is_better():
    assert "lower is better" in label("davies_bouldin") and "higher" in label("silhouette")
    assert "no pick" in label("inertia")


def test_on_the_apg_sample_the_distance_criteria_see_the_planted_five():
    import persona_lab as pl
    from persona_lab.data.samples import APG_SAMPLE, SAMPLE_DIR

    curves = criterion_curves(pl.load_dataset(SAMPLE_DIR / APG_SAMPLE), "nmf", range(2, 9), seed=0)
    picks = curves.picks
    assert picks["silhouette"] == 5 and picks["calinski_harabasz"] == 5, picks

"""Every method through one set of checks, then each on planted data it is meant for."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from persona_lab.errors import PersonaLabError
from persona_lab.methods import METHODS, UNASSIGNED, get_method
from persona_lab.prepare import prepare

from helpers import blobs_dataset


def _prepared(method, **kwargs):
    dataset, truth = blobs_dataset(**kwargs)
    return prepare(dataset, method.default_preparation("entities")), truth


@pytest.mark.parametrize("name", sorted(METHODS))
def test_protocol(name):
    method = get_method(name)
    clone = method.clone()
    assert clone is not method and clone.get_params() == method.get_params()
    assert method.name == name and method.label
    # Numbers and one category, so that methods for mixed and categorical data can run too.
    dataset, _ = blobs_dataset(category=True)
    prepared = prepare(dataset, method.default_preparation("entities"))
    k = None if method.k_is_output else 3
    first = method.clone().fit(prepared, k=k, seed=5)
    again = method.clone().fit(prepared, k=k, seed=5)
    assert first.labels_.shape == (prepared.n_rows,)
    assert first.labels_.dtype.kind == "i"
    np.testing.assert_array_equal(first.labels_, again.labels_)
    assert set(np.unique(first.labels_)) <= set(range(first.n_segments_)) | {UNASSIGNED}
    if first.memberships_ is not None:
        assert first.memberships_.shape == (prepared.n_rows, first.n_segments_)
        np.testing.assert_allclose(first.memberships_.sum(axis=1), 1.0)
    # assign() must reproduce the method's own labels on the rows it was fitted on.
    np.testing.assert_array_equal(first.assign(prepared.X), first.labels_)


def test_kmeans_recovers_planted_blobs():
    method = get_method("kmeans")
    prepared, truth = _prepared(method)
    assert adjusted_rand_score(truth, method.fit(prepared, k=3).labels_) > 0.99


@pytest.mark.parametrize("name", sorted(METHODS))
def test_unknown_parameter_is_a_clear_error(name):
    with pytest.raises(PersonaLabError, match="has no parameter 'bogus'"):
        get_method(name, bogus=1)


def test_unknown_method():
    with pytest.raises(PersonaLabError, match="Choose one of"):
        get_method("kmedoids")


@pytest.mark.parametrize("name", ["nmf", "kmeans"])
def test_more_personas_than_distinct_rows_is_refused(name):
    method = get_method(name)
    prepared, _ = _prepared(method, n_per=2, k=2)
    with pytest.raises(PersonaLabError, match="fewer than the 5 personas"):
        method.fit(prepared, k=5)


def test_nmf_refuses_negative_features_and_names_an_alternative():
    method = get_method("nmf")
    prepared, _ = _prepared(get_method("kmeans"))  # standard scaling: negative values
    with pytest.raises(PersonaLabError, match="non-negative.*k-means"):
        method.fit(prepared, k=3)


def test_nmf_restarts_are_seeded_and_the_best_is_kept():
    method = get_method("nmf", n_restarts=3, init="random")
    prepared, _ = _prepared(method)
    a = method.clone().fit(prepared, k=3, seed=1)
    b = method.clone().fit(prepared, k=3, seed=1)
    single = get_method("nmf", n_restarts=1, init="random").fit(prepared, k=3, seed=1)
    np.testing.assert_array_equal(a.W_, b.W_)
    assert a.reconstruction_err_ <= single.reconstruction_err_ + 1e-9


def test_hdbscan_leaves_noise_unassigned_and_ignores_k():
    method = get_method("hdbscan")
    prepared, truth = _prepared(method, n_per=80, noise=40)
    method.fit(prepared, k=7)
    assert any("ignored" in note for note in method.notes_)
    assert method.n_segments_ == 3
    noise = truth == -1
    # HDBSCAN keeps the noise points that attach to a segment before it merges with another,
    # so only about half of uniform noise is left out; planted members almost never are.
    assert (method.labels_[noise] == UNASSIGNED).mean() > 0.4
    assert (method.labels_[~noise] == UNASSIGNED).mean() < 0.05
    assert adjusted_rand_score(truth[~noise], method.labels_[~noise]) > 0.9


def test_hdbscan_fits_a_sample_above_its_limit_and_keeps_noise_unassigned():
    method = get_method("hdbscan", max_fit_rows=150)
    prepared, truth = _prepared(method, n_per=80, noise=40)
    method.fit(prepared, seed=3)
    assert method.sample_size_ == 150 and any("seeded sample of 150" in n for n in method.notes_)
    assert method.labels_.shape == truth.shape and (method.labels_ == UNASSIGNED).any()
    members = truth >= 0
    assert adjusted_rand_score(truth[members], method.labels_[members]) > 0.9
    np.testing.assert_array_equal(method.assign(prepared.X), method.labels_)


def test_nmf_starts_side_by_side_give_the_same_fit():
    """The random starts run in threads with n_jobs > 1; each has its own child seed and the best
    is picked in start order, so the fit is the same to the last digit."""
    prepared, _ = _prepared(get_method("nmf"))
    one = get_method("nmf", n_restarts=3).fit(prepared, 4, seed=5)
    two = get_method("nmf", n_restarts=3).fit(prepared, 4, seed=5, n_jobs=2)
    np.testing.assert_array_equal(one.W_, two.W_)
    np.testing.assert_array_equal(one.H_, two.H_)
    with pytest.raises(PersonaLabError, match="n_jobs"):
        get_method("nmf").fit(prepared, 4, seed=5, n_jobs=0)

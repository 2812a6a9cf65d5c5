"""The seeded APG generators of persona_lab.data.synthetic_apg."""

import numpy as np
import pytest
from sklearn.metrics import adjusted_rand_score

from persona_lab.data import interaction_matrix
from persona_lab.data.synthetic_apg import independence_apg, planted_apg
from persona_lab.methods import get_method
from persona_lab.prepare import Preparation, prepare


@pytest.fixture(scope="module")
def planted():
    return planted_apg(seed=3)


def test_shape_sparsity_and_labels_as_movielens(planted):
    V = planted.counts
    assert V.shape == (168, 1682)
    assert abs((V > 0).sum() - 50_000) < 1_000  # the expected count is 50,000 by construction
    assert (V >= 0).all() and (V == np.rint(V)).all()
    assert (V.sum(axis=1) > 0).all()
    assert planted.groups.shape == (168, 3) and not planted.groups.duplicated().any()
    assert np.bincount(planted.truth, minlength=5).min() >= 2
    # Popularity is long-tailed: the top 10% of items hold far more than 10% of the views.
    views = np.sort(V.sum(axis=0))[::-1]
    assert views[:168].sum() > 0.3 * views.sum()
    # Log-normal volumes: the largest group dwarfs the smallest.
    assert V.sum(axis=1).max() > 50 * V.sum(axis=1).min()


def test_the_same_seed_gives_the_same_matrix():
    a, b, c = planted_apg(seed=1), planted_apg(seed=1), planted_apg(seed=2)
    np.testing.assert_array_equal(a.counts, b.counts)
    np.testing.assert_array_equal(a.truth, b.truth)
    assert not np.array_equal(a.counts, c.counts)
    np.testing.assert_array_equal(independence_apg(seed=4).counts, independence_apg(seed=4).counts)


def test_the_dataset_loads_with_groups_in_the_planted_order(planted):
    dataset = planted.dataset()
    matrix = interaction_matrix(dataset)
    assert matrix.group_labels == planted.group_labels
    kept = planted.counts.sum(axis=0) > 0
    np.testing.assert_array_equal(matrix.V, planted.counts[:, kept])
    assert list(matrix.item_ids) == list(planted.items[kept])
    assert planted.truth_by_group.loc[matrix.group_labels].tolist() == planted.truth.tolist()


def test_nmf_at_the_planted_k_recovers_the_behaviours(planted):
    prepared = prepare(planted.dataset(), Preparation(interactions="counts"))
    labels = get_method("nmf", n_restarts=1).fit(prepared, k=5, seed=0).labels_
    assert adjusted_rand_score(planted.truth, labels) > 0.9


def test_independence_model_has_no_behaviours_and_keeps_totals(planted):
    null = independence_apg(seed=0)
    assert null.counts.shape == (168, 1682)
    assert abs((null.counts > 0).sum() - 50_000) < 1_000
    assert (null.truth == 0).all()
    like = independence_apg(like=planted.counts, seed=1)
    np.testing.assert_array_equal(like.counts.sum(axis=1), planted.counts.sum(axis=1))
    # Every group draws from the pooled item mix: group profiles agree far better than in the
    # planted matrix (measured as the spread of the big groups' shares of the most popular items).
    def spread(V):
        big = V[np.argsort(V.sum(axis=1))[-20:]]
        top = np.argsort(V.sum(axis=0))[-50:]
        shares = big[:, top] / big.sum(axis=1, keepdims=True)
        return float(shares.std(axis=0).mean())
    assert spread(like.counts) < 0.5 * spread(planted.counts)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="nonzero"):
        planted_apg(n_groups=10, n_items=10, nonzero=100)
    with pytest.raises(ValueError, match="n_behaviours"):
        planted_apg(n_groups=10, n_items=50, n_behaviours=11, nonzero=100)
    with pytest.raises(ValueError, match="like"):
        independence_apg(like=-np.ones((3, 3)))


@pytest.mark.parametrize("n_groups", [40, 400])
def test_other_sizes_get_distinct_demographic_groups(n_groups):
    data = planted_apg(n_groups=n_groups, n_items=300, n_behaviours=4, nonzero=8_000, seed=0)
    assert data.counts.shape == (n_groups, 300)
    assert len(set(data.group_labels)) == n_groups
    assert interaction_matrix(data.dataset()).group_labels == data.group_labels

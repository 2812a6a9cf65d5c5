"""Our KL multiplicative-update NMF solver (persona_lab.methods.nmf), on cases checkable by hand."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import NMF as SklearnNMF

from persona_lab.assess.criteria import bare_prepared
from persona_lab.errors import PersonaLabError
from persona_lab.methods import get_method
from persona_lab.methods import nmf as solver


def _exact(n=30, m=40, k=3, seed=0, zeros=0.5):
    """V = W H exactly, both non-negative and sparse-ish (so the sparse path runs), each row of V
    drawn mostly from one component."""
    rng = np.random.default_rng(seed)
    W = rng.gamma(1.0, 1.0, (n, k)) * (rng.random((n, k)) < 0.4)
    W[np.arange(n), np.arange(n) % k] += 5.0
    H = rng.gamma(1.0, 3.0, (k, m)) * (rng.random((k, m)) > zeros)
    H[np.arange(k), np.arange(k)] += 1.0  # no all-zero item
    return W @ H, W, H


def _kl(V, WH):
    """D(V || WH), WH floored at scikit-learn's epsilon inside the logarithm only."""
    nz = V > 0
    return float((V[nz] * np.log(V[nz] / np.maximum(WH[nz], solver.EPSILON))).sum() - V.sum() + WH.sum())


@pytest.mark.parametrize("dense", [False, True])
def test_an_exactly_rank_k_matrix_is_rebuilt(dense, monkeypatch):
    monkeypatch.setattr(solver, "DENSE_ABOVE", 0.0 if dense else 1.0)
    V, _, _ = _exact()
    data = solver._Data(V)
    assert data.dense_for(3) == dense
    W0, H0 = solver.initial_factors(V, 3, "nndsvda", 0)
    # tol=0 runs until the loss stops falling at all (rounding), or max_iter.
    W, H, loss, n_iter = solver.kl_nmf(data, W0, H0, max_iter=3000, tol=0.0)
    # The loss the solver reports is the divergence of the factors it returns.
    assert loss == pytest.approx(_kl(V, W @ H), rel=1e-9, abs=1e-9)
    assert loss < 1e-3 * V.sum()
    np.testing.assert_allclose(W @ H, V, atol=0.05 * V.max())


def test_the_loss_never_increases_and_sparse_equals_dense(monkeypatch):
    V, _, _ = _exact(seed=1)
    W0, H0 = solver.initial_factors(V, 3, "random", 7)
    losses = {}
    for dense in (False, True):
        monkeypatch.setattr(solver, "DENSE_ABOVE", 0.0 if dense else 1.0)
        data = solver._Data(V)
        losses[dense] = [solver.kl_nmf(data, W0, H0, max_iter=it, tol=0.0)[2] for it in range(0, 60, 3)]
    np.testing.assert_allclose(losses[False], losses[True], rtol=1e-6, atol=1e-9)
    steps = np.diff(losses[False])
    assert (steps <= 1e-9 * np.abs(losses[False][:-1])).all(), steps
    assert losses[False][-1] < 0.5 * losses[False][0]


def test_the_fused_sweep_is_the_two_half_updates_to_the_last_bit():
    V, _, _ = _exact(n=40, m=60, k=6, seed=4)
    data = solver._Data(V)
    W0, H0 = solver.initial_factors(V, 6, "random", 5)
    args = (data.indptr, data.indices, data.values)
    W_two, HT_two = W0.copy(), np.ascontiguousarray(H0.T)
    solver._w_pass(*args, W_two, HT_two, solver.EPSILON, False)
    solver._h_pass(*args, W_two, HT_two, np.zeros_like(HT_two), solver.EPSILON)
    W_one, HT_one = W0.copy(), np.ascontiguousarray(H0.T)
    solver._wh_pass(*args, W_one, HT_one, np.zeros_like(HT_one), solver.EPSILON)
    assert not np.array_equal(W_one, W0)
    np.testing.assert_array_equal(W_one, W_two)
    np.testing.assert_array_equal(HT_one, HT_two)


def test_same_updates_as_scikit_learn_from_the_same_start():
    V, _, _ = _exact(seed=2)
    W0, H0 = solver.initial_factors(V, 3, "random", 3)
    W, H, loss, _ = solver.kl_nmf(V, W0, H0, max_iter=25, tol=0.0)
    reference = SklearnNMF(3, init="custom", solver="mu", beta_loss="kullback-leibler", max_iter=25, tol=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        W_ref = reference.fit_transform(V, W=W0.copy(), H=H0.copy())
    np.testing.assert_allclose(W, W_ref, rtol=1e-6)
    np.testing.assert_allclose(H, reference.components_, rtol=1e-6)
    assert np.sqrt(2 * loss) == pytest.approx(reference.reconstruction_err_, rel=1e-6)


@pytest.mark.parametrize("dense", [False, True])
def test_entries_below_the_floor_are_zero_and_the_rest_unchanged(dense, monkeypatch):
    """Entries that multiplicative updates drive towards 0 stop at exactly 0 below FLOOR instead of
    crossing the subnormal range (two times slower at k = 100); every other entry, and the loss,
    are those of the same updates without the floor."""
    monkeypatch.setattr(solver, "DENSE_ABOVE", 0.0 if dense else 1.0)
    V, _, _ = _exact(n=40, m=60, k=3, seed=4)
    V = np.random.default_rng(4).poisson(V).astype(float)  # noise: fitted at k = 4, some entries fade
    W0, H0 = solver.initial_factors(V, 4, "random", 0)
    W, H, loss, _ = solver.kl_nmf(solver._Data(V), W0, H0, max_iter=300, tol=0.0)
    W_ref, H_ref = W0.copy(), H0.copy()  # the same updates in plain NumPy, no floor
    for _ in range(300):
        W_ref *= (V / np.maximum(W_ref @ H_ref, solver.EPSILON)) @ H_ref.T / np.maximum(H_ref.sum(axis=1), solver.EPSILON)
        H_ref *= W_ref.T @ (V / np.maximum(W_ref @ H_ref, solver.EPSILON)) / np.maximum(
            W_ref.sum(axis=0), solver.EPSILON)[:, None]
    fading = sum(((theirs > 0) & (theirs < solver.FLOOR)).sum() for theirs in (W_ref, H_ref))
    assert fading >= 10, "the case needs entries on their way through the floor"
    for ours, theirs in ((W, W_ref), (H, H_ref)):
        assert not ((ours > 0) & (ours < solver.FLOOR)).any()
        np.testing.assert_allclose(ours, np.where(theirs < solver.FLOOR, 0.0, theirs), rtol=1e-6, atol=0)
    assert loss == pytest.approx(_kl(V, W_ref @ H_ref), rel=1e-9)


def test_the_tolerance_stops_early_and_max_iter_caps():
    V, _, _ = _exact(seed=3)
    V = np.random.default_rng(3).poisson(V).astype(float)  # noise: the loss levels off above 0
    W0, H0 = solver.initial_factors(V, 3, "random", 0)
    *_, loose = solver.kl_nmf(V, W0, H0, max_iter=5000, tol=1e-2)
    *_, tight = solver.kl_nmf(V, W0, H0, max_iter=5000, tol=1e-6)
    *_, capped = solver.kl_nmf(V, W0, H0, max_iter=7, tol=0.0)
    assert loose % solver.CHECK_EVERY == 0 and loose < tight
    assert capped == 7


def test_fits_are_seeded_and_assign_gives_the_training_labels():
    V, W_true, _ = _exact(n=40, seed=4)
    prepared = bare_prepared(V)
    a = get_method("nmf").fit(prepared, k=3, seed=11)
    b = get_method("nmf").fit(prepared, k=3, seed=11)
    np.testing.assert_array_equal(a.W_, b.W_)
    np.testing.assert_array_equal(a.H_, b.H_)
    truth = np.arange(40) % 3
    # The planted dominant component of each row, up to renaming the segments.
    assert len({(t, f) for t, f in zip(truth, a.labels_)}) == 3
    np.testing.assert_array_equal(a.assign(V), a.labels_)
    np.testing.assert_allclose(a.predict_memberships(V), a.memberships_, atol=0.02)


def test_a_warm_start_from_the_solution_stays_there():
    V, _, _ = _exact(n=40, seed=5)
    prepared = bare_prepared(V)
    full = get_method("nmf", n_restarts=1).fit(prepared, k=3, seed=0)
    rows = np.random.default_rng(0).choice(40, 40)  # a bootstrap resample
    warm = get_method("nmf", n_restarts=1).fit(bare_prepared(V[rows]), seed=0, init_H=full.H_, init_W=full.W_[rows])
    only_h = get_method("nmf", n_restarts=1).fit(bare_prepared(V[rows]), seed=0, init_H=full.H_)
    np.testing.assert_array_equal(warm.labels_, full.labels_[rows])
    np.testing.assert_array_equal(only_h.labels_, full.labels_[rows])
    assert warm.n_iter_ <= 3 * solver.CHECK_EVERY  # it starts at the optimum's doorstep
    with pytest.raises(PersonaLabError, match="init_H must be"):
        get_method("nmf").fit(prepared, k=3, init_H=full.H_[:2])
    with pytest.raises(PersonaLabError, match="needs init_H"):
        get_method("nmf").fit(prepared, k=3, init_W=full.W_)


def test_the_scikit_learn_solver_is_still_there_and_agrees():
    V, _, _ = _exact(n=40, seed=6)
    prepared = bare_prepared(V)
    ours = get_method("nmf").fit(prepared, k=3, seed=0)
    theirs = get_method("nmf", solver="sklearn").fit(prepared, k=3, seed=0)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.reconstruction_err_ <= theirs.reconstruction_err_ * 1.01
    np.testing.assert_array_equal(theirs.assign(V), theirs.labels_)
    with pytest.raises(PersonaLabError, match="Unknown NMF solver"):
        get_method("nmf", solver="als").fit(prepared, k=3)


def test_all_zero_rows_and_items_do_not_break_the_fit():
    V, _, _ = _exact(n=30, seed=7)
    V[4] = 0.0
    V[:, 7] = 0.0
    method = get_method("nmf").fit(bare_prepared(V), k=3, seed=0)
    assert np.isfinite(method.W_).all() and np.isfinite(method.H_).all()
    np.testing.assert_allclose(method.memberships_[4], 1 / 3)  # nobody in particular
    assert (method.H_[:, 7] < 1e-6).all()
    np.testing.assert_array_equal(method.assign(V), method.labels_)


def test_memberships_of_new_rows_are_the_same_dense_or_sparse(monkeypatch):
    V, _, _ = _exact(seed=2)
    H = solver.initial_factors(V, 3, "nndsvda", 0)[1]
    solved = {}
    for dense in (False, True):
        monkeypatch.setattr(solver, "DENSE_ABOVE", 0.0 if dense else 1.0)
        solved[dense] = solver._solve_w(solver._Data(V), H, tol=0.0, max_iter=200)
    np.testing.assert_allclose(solved[True], solved[False], rtol=1e-6, atol=1e-9)

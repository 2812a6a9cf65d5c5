"""Latent class analysis, k-prototypes and archetypal analysis: the protocol, then planted data.

Every table goes through persona_lab.prepare.prepare with the method's default preparation, so
the binning / category-code paths are tested along with the methods.
"""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_rand_score

from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.methods.archetypes import Archetypes, furthest_sum, project_to_simplex, simplex_least_squares
from persona_lab.methods.kprototypes import KPrototypes, gower_silhouette
from persona_lab.methods.lca import LatentClass
from persona_lab.prepare import prepare

from helpers import blobs_dataset


def _dataset(frame: pd.DataFrame, weight: str | None = None) -> Dataset:
    frame = frame.copy()
    frame.insert(0, "row_id", [f"r{i:04d}" for i in range(len(frame))])
    roles = {c: "feature" for c in frame.columns[1:]}
    roles["row_id"] = "id"
    if weight:
        roles[weight] = "weight"
    return Dataset(frame, roles, "entities", name="planted")


def survey(n=900, seed=0):
    """3 latent classes answering 5 yes/no and 3 three-way items, plus an age that the default
    preparation bins: each class gives its own answer with probability 0.8."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, n)
    frame = {}
    yes = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 0, 0], [1, 0, 1, 1, 0]])  # each pair of classes differs
    for j in range(5):
        p = np.where(yes[truth, j] == 1, 0.8, 0.2)
        frame[f"q{j}"] = np.where(rng.random(n) < p, "yes", "no")
    for j in range(3):
        favourite = (truth + j) % 3
        other = (favourite + rng.integers(1, 3, n)) % 3
        frame[f"t{j}"] = np.array(list("abc"))[np.where(rng.random(n) < 0.8, favourite, other)]
    frame["age"] = rng.normal(np.array([30, 45, 60])[truth], 8).round()
    return pd.DataFrame(frame), truth


def mixed(n_per=100, seed=0):
    """3 segments over 2 numbers and 3 categories (own level with probability 0.8)."""
    rng = np.random.default_rng(seed)
    truth = np.repeat(np.arange(3), n_per)
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])
    X = rng.normal(centres[truth], 0.8)
    frame = {"spend": X[:, 0] * 10 + 50, "visits": X[:, 1] + 5}
    for j, levels in enumerate(["xyz", "uvw", "pqr"]):
        own = (truth + j) % 3
        draw = np.where(rng.random(truth.size) < 0.8, own, rng.integers(0, 3, truth.size))
        frame[f"c{j}"] = np.array(list(levels))[draw]
    return pd.DataFrame(frame), truth


CORNERS = np.array([[0.0, 0.0, 0.0, 0.0, 0.0], [4.0, 0.0, 1.0, 0.0, 2.0], [2.0, 3.5, 0.0, 1.0, -1.0]])


def simplex(n=600, concentration=0.5, seed=0):
    """Rows that are Dirichlet mixtures of 3 fixed corners in 5-D."""
    weights = np.random.default_rng(seed).dirichlet([concentration] * 3, size=n)
    columns = [f"x{j}" for j in range(CORNERS.shape[1])]
    return pd.DataFrame(weights @ CORNERS, columns=columns), weights


CASES = {LatentClass: survey, KPrototypes: mixed, Archetypes: simplex}


def _prepared(method, frame, weight=None):
    return prepare(_dataset(frame, weight), method.default_preparation("entities"))


# -- the protocol -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.name)
def test_protocol(cls):
    method = cls()
    clone = method.clone()
    assert clone is not method and clone.get_params() == method.get_params()
    assert method.name and method.label and method.criteria
    frame, _ = CASES[cls]()
    prepared = _prepared(method, frame)
    first = method.clone().fit(prepared, k=3, seed=5)
    again = method.clone().fit(prepared, k=3, seed=5)
    assert first.labels_.shape == (prepared.n_rows,)
    assert first.labels_.dtype.kind == "i"
    np.testing.assert_array_equal(first.labels_, again.labels_)
    assert set(np.unique(first.labels_)) == set(range(first.n_segments_))
    assert (first.memberships_ is not None) == cls.has_memberships
    if first.memberships_ is not None:
        assert first.memberships_.shape == (prepared.n_rows, first.n_segments_)
        np.testing.assert_allclose(first.memberships_.sum(axis=1), 1.0)
        np.testing.assert_array_equal(first.memberships_.argmax(axis=1), first.labels_)
    # Exact, not approximate: LCA's assign repeats the posterior computation that set labels_,
    # archetypes re-solve the same convex problem from the same start, and k-prototypes'
    # labels_ are its own predict().
    np.testing.assert_array_equal(first.assign(prepared.X), first.labels_)
    for name in cls.criteria:
        if hasattr(first, name + "_"):
            assert np.isfinite(getattr(first, name + "_"))


@pytest.mark.parametrize("cls", list(CASES), ids=lambda c: c.name)
def test_invalid_parameters_are_clear_errors(cls):
    bad = {"n_init": 0} if "n_init" in cls().get_params() else {"max_iter": 0}
    with pytest.raises(PersonaLabError, match="at least 1"):
        cls(**bad).fit(_prepared(cls(), CASES[cls]()[0]), k=3)


# -- latent class analysis --------------------------------------------------------------------


def test_lca_recovers_planted_classes_and_bic_picks_their_number():
    frame, truth = survey()
    method = LatentClass()
    prepared = _prepared(method, frame)
    assert len(prepared.categorical_index) == prepared.X.shape[1]  # age was binned
    fits = {k: method.clone().fit(prepared, k=k, seed=0) for k in range(2, 6)}
    assert adjusted_rand_score(truth, fits[3].labels_) >= 0.8
    assert min(fits, key=lambda k: fits[k].bic_) == 3
    assert fits[3].entropy_ > 0.7  # classes this distinct are assigned confidently


def test_lca_criteria_match_a_hand_computation():
    frame, _ = survey(n=400, seed=3)
    method = LatentClass()
    prepared = _prepared(method, frame)
    fit = method.fit(prepared, k=3, seed=1)
    n = prepared.n_rows
    codes = np.column_stack([np.searchsorted(lv, prepared.X[:, j]) for j, lv in enumerate(fit.levels_)])
    # P(row) = sum_c w_c prod_j P(answer_j | c)
    joint = np.tile(fit.class_weights_, (n, 1))
    for j, probs in enumerate(fit.response_probabilities_):
        joint *= probs[:, codes[:, j]].T
    ll = np.log(joint.sum(axis=1)).sum()
    p = (3 - 1) + 3 * sum(lv.size - 1 for lv in fit.levels_)
    assert fit.n_parameters_ == p
    assert fit.log_likelihood_ == pytest.approx(ll, rel=1e-9)
    assert fit.bic_ == pytest.approx(-2 * ll + p * math.log(n), rel=1e-9)
    assert fit.aic_ == pytest.approx(-2 * ll + 2 * p, rel=1e-9)
    assert fit.caic_ == pytest.approx(-2 * ll + p * (math.log(n) + 1), rel=1e-9)
    assert fit.sabic_ == pytest.approx(-2 * ll + p * math.log((n + 2) / 24), rel=1e-9)
    posterior = joint / joint.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(fit.memberships_, posterior, atol=1e-9)
    np.testing.assert_allclose(fit.model_.predict_proba(codes), posterior, atol=1e-9)
    entropy = -np.sum(posterior * np.log(np.clip(posterior, 1e-15, 1)))
    assert fit.entropy_ == pytest.approx(1 - entropy / (n * math.log(3)), rel=1e-9)


def test_lca_skips_answers_never_seen_in_training():
    frame, _ = survey(n=300)
    method = LatentClass()
    prepared = _prepared(method, frame)
    fit = method.fit(prepared, k=3, seed=0)
    new = frame.head(5).copy()
    new["q0"] = "maybe"  # an unseen level: coded "other", which training never used
    labels = fit.assign(prepared.transform(new))
    without_q0 = fit._codes(prepared.X[:5])
    without_q0[:, 0] = -1
    np.testing.assert_array_equal(labels, fit._memberships(fit._posterior(without_q0)).argmax(axis=1))


def test_lca_uses_row_weights():
    frame, truth = survey(n=300)
    frame["w"] = np.random.default_rng(1).uniform(0.5, 2.0, len(frame))
    method = LatentClass()
    prepared = _prepared(method, frame, weight="w")
    fit = method.fit(prepared, k=3, seed=0)
    assert not any("weights" in note for note in fit.notes_)
    assert adjusted_rand_score(truth, fit.labels_) >= 0.7


def test_lca_refuses_plain_numbers_and_names_alternatives():
    dataset, _ = blobs_dataset()
    prepared = prepare(dataset)  # standard scaling, no binning
    with pytest.raises(PersonaLabError, match="plain numbers.*gmm.*k-means"):
        LatentClass().fit(prepared, k=3)


# -- k-prototypes -----------------------------------------------------------------------------


def test_kprototypes_recovers_planted_mixed_segments():
    frame, truth = mixed()
    method = KPrototypes()
    prepared = _prepared(method, frame)
    assert len(prepared.categorical_index) == 3
    fit = method.fit(prepared, k=3, seed=0)
    assert adjusted_rand_score(truth, fit.labels_) >= 0.85
    assert fit.gamma_ == pytest.approx(0.5)  # half the std of standard-scaled numbers
    assert fit.cost_ > 0 and fit.silhouette_gower_ > 0.2


def test_kprototypes_without_categories_suggests_kmeans():
    dataset, _ = blobs_dataset()
    prepared = prepare(dataset, KPrototypes().default_preparation("entities"))
    with pytest.raises(PersonaLabError, match=r"categorical column.*k-means \(kmeans\)"):
        KPrototypes().fit(prepared, k=3)


def test_kprototypes_on_categories_only_falls_back_to_kmodes():
    frame, truth = mixed()
    method = KPrototypes()
    fit = method.fit(_prepared(method, frame[["c0", "c1", "c2"]]), k=3, seed=0)
    assert any("k-modes" in note for note in fit.notes_)
    assert adjusted_rand_score(truth, fit.labels_) > 0.3


def test_gower_silhouette_of_separated_groups():
    X = np.array([[0.0, 0], [0.1, 0], [0.0, 0], [5.0, 1], [5.1, 1], [5.0, 1]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    assert gower_silhouette(X, labels, [1], seed=0) > 0.95
    assert np.isnan(gower_silhouette(X, np.zeros(6, dtype=int), [1], seed=0))


# -- archetypal analysis ----------------------------------------------------------------------


def test_archetypes_find_the_corners_of_a_planted_simplex():
    frame, weights = simplex()
    method = Archetypes()
    prepared = _prepared(method, frame)
    fit = method.fit(prepared, k=3, seed=0)
    corners = prepared.transform(pd.DataFrame(CORNERS, columns=frame.columns))
    distance = np.linalg.norm(fit.archetypes_[:, None, :] - corners[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(distance)
    # Standard scaling makes each column's spread 1, so 0.1 is a tenth of the data's scale.
    assert distance[rows, cols].max() < 0.1
    for a, c in zip(rows, cols):
        assert np.corrcoef(fit.memberships_[:, a], weights[:, c])[0, 1] > 0.95
    assert fit.varexpl_ > 0.99
    assert fit.converged_


def test_archetypes_stay_inside_the_data_unless_delta_allows():
    frame, weights = simplex(concentration=1.0)  # few rows near the corners
    prepared = _prepared(Archetypes(), frame)
    inside = Archetypes().fit(prepared, k=3, seed=0)
    # delta = 0: every archetype is a convex combination of rows.
    np.testing.assert_allclose(inside.C_.sum(axis=1), 1.0)
    assert (inside.C_ >= 0).all()
    relaxed = Archetypes(delta=0.2).fit(prepared, k=3, seed=0)
    assert ((relaxed.alpha_ >= 0.8 - 1e-12) & (relaxed.alpha_ <= 1.2 + 1e-12)).all()
    assert relaxed.varexpl_ >= inside.varexpl_ - 1e-9


def test_simplex_least_squares_is_exact_on_mixtures():
    rng = np.random.default_rng(0)
    Z = rng.normal(size=(4, 6))
    S = rng.dirichlet([0.7] * 4, size=50)
    np.testing.assert_allclose(simplex_least_squares(S @ Z, Z), S, atol=1e-6)
    P = project_to_simplex(rng.normal(size=(20, 5)) * 3)
    assert (P >= 0).all()
    np.testing.assert_allclose(P.sum(axis=1), 1.0)


def test_archetypes_use_row_weights():
    frame, _ = simplex(n=300)
    frame["w"] = np.random.default_rng(2).uniform(0.5, 2.0, len(frame))
    method = Archetypes()
    fit = method.fit(_prepared(method, frame, weight="w"), k=3, seed=0)
    assert not any("weights" in note for note in fit.notes_)
    assert fit.varexpl_ > 0.99


def test_pcha_improves_on_its_furthest_sum_start():
    X = np.random.default_rng(4).normal(size=(400, 4))
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(4)])
    prepared = _prepared(Archetypes(), frame)
    fit = Archetypes().fit(prepared, k=4, seed=0)
    start = prepared.X[furthest_sum(prepared.X, 4, int(np.random.default_rng(0).integers(400)))]
    residual = prepared.X - simplex_least_squares(prepared.X, start) @ start
    assert fit.n_iter_ > 1 and fit.converged_
    assert fit.sse_ < 0.9 * np.sum(residual**2)


def test_lca_says_when_em_did_not_converge():
    frame, _ = survey(n=300)
    method = LatentClass(max_iter=2, n_init=1)
    fit = method.fit(_prepared(method, frame), k=3, seed=0)
    assert any("did not converge" in note for note in fit.notes_)


def test_kprototypes_uses_row_weights():
    frame, truth = mixed()
    frame["w"] = np.random.default_rng(3).uniform(0.5, 2.0, len(frame))
    method = KPrototypes()
    fit = method.fit(_prepared(method, frame, weight="w"), k=3, seed=0)
    assert not any("weights" in note for note in fit.notes_)
    assert adjusted_rand_score(truth, fit.labels_) >= 0.85


def test_kprototypes_fits_a_sample_above_its_limit_and_assigns_every_row():
    frame, truth = mixed()
    method = KPrototypes(max_fit_rows=120)
    prepared = _prepared(method, frame)
    fit = method.fit(prepared, k=3, seed=0)
    assert fit.sample_size_ == 120 and any("seeded sample of 120" in n for n in fit.notes_)
    assert fit.labels_.shape == truth.shape
    assert adjusted_rand_score(truth, fit.labels_) >= 0.8
    np.testing.assert_array_equal(fit.assign(prepared.X), fit.labels_)


def test_archetypes_found_on_a_sample_give_memberships_to_every_row():
    rng = np.random.default_rng(0)
    corners = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    weights = rng.dirichlet([0.5] * 3, size=600)
    frame = pd.DataFrame(weights @ corners, columns=["a", "b"])
    method = Archetypes(max_fit_rows=200)
    prepared = _prepared(method, frame)
    fit = method.fit(prepared, k=3, seed=0)
    assert fit.sample_size_ == 200 and any("seeded sample of 200" in n for n in fit.notes_)
    assert fit.memberships_.shape == (600, 3)
    np.testing.assert_array_equal(fit.assign(prepared.X), fit.labels_)
    matched = np.abs(np.corrcoef(fit.memberships_.T, weights.T)[:3, 3:]).max(axis=1)
    assert matched.min() > 0.95

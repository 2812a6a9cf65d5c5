"""Gaussian mixture, agglomerative and spectral clustering: the protocol, then planted data each
is meant for, including shapes where k-means fails, and the sample-and-assign rule."""

import numpy as np
import pytest
from sklearn.datasets import make_moons
from sklearn.metrics import adjusted_rand_score

from persona_lab.errors import PersonaLabError
from persona_lab.methods._nearest_row import max_rows_for
from persona_lab.seeding import sample_rows
from persona_lab.methods.gmm import GaussianMixture
from persona_lab.methods.hierarchical import Hierarchical
from persona_lab.methods.kmeans import KMeans
from persona_lab.methods.spectral import Spectral
from persona_lab.prepare import Preparation, Prepared, prepare

from helpers import blobs_dataset, planted_blobs

METHODS = [GaussianMixture, Hierarchical, Spectral]


def _raw(X):
    """X as it is: the planted geometry is the point, so no scaling in between."""
    X = np.asarray(X, dtype=float)
    return Prepared(
        X=X, feature_names=[f"x{i}" for i in range(X.shape[1])], row_labels=[str(i) for i in range(len(X))],
        kind="entities", preparation=Preparation(scale="none"), steps=[], sample_weight=None,
        size_weight=np.ones(len(X)),
    )


def _unequal_gaussians(seed=0):
    """Three Gaussians of different sizes, shapes and orientations (one long, one tilted)."""
    rng = np.random.default_rng(seed)
    means = [(0, 0), (6, 1), (2, 7)]
    covs = [[[3.0, 0], [0, 0.3]], [[0.3, 0.25], [0.25, 0.5]], [[1.0, -0.8], [-0.8, 1.5]]]
    sizes = (150, 100, 200)
    X = np.vstack([rng.multivariate_normal(m, c, size=s) for m, c, s in zip(means, covs, sizes)])
    return X, np.repeat(np.arange(3), sizes)


def _disk_and_small_group(seed=0):
    """400 rows spread evenly over a disk of radius 4 and 40 tight rows 7 away from its centre.
    k-means pulls its boundary into the big disk to balance the sum of squares; average linkage
    keeps the gap."""
    rng = np.random.default_rng(seed)
    angle, radius = rng.uniform(0, 2 * np.pi, 400), 4 * np.sqrt(rng.uniform(0, 1, 400))
    disk = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    X = np.vstack([disk, rng.normal((7, 0), 0.3, size=(40, 2))])
    return X, np.repeat([0, 1], [400, 40])


@pytest.mark.parametrize("cls", METHODS)
def test_protocol(cls):
    method = cls()
    clone = method.clone()
    assert clone is not method and clone.get_params() == method.get_params()
    assert method.name and method.label and not method.k_is_output and not method.supports_weights
    dataset, _ = blobs_dataset()
    prepared = prepare(dataset, method.default_preparation("entities"))
    first = method.clone().fit(prepared, k=3, seed=5)
    again = method.clone().fit(prepared, k=3, seed=5)
    assert first.labels_.shape == (prepared.n_rows,) and first.labels_.dtype.kind == "i"
    np.testing.assert_array_equal(first.labels_, again.labels_)
    assert set(np.unique(first.labels_)) == set(range(first.n_segments_)) and first.n_segments_ == 3
    if cls.has_memberships:
        assert first.memberships_.shape == (prepared.n_rows, first.n_segments_)
        np.testing.assert_allclose(first.memberships_.sum(axis=1), 1.0)
    else:
        assert first.memberships_ is None
    np.testing.assert_array_equal(first.assign(prepared.X), first.labels_)


@pytest.mark.parametrize("cls", [Hierarchical, Spectral])
def test_assign_is_exact_on_training_rows_with_duplicates(cls):
    # Category-like data repeats rows; tie-breaking must not split a row from its copies.
    X, _ = planted_blobs(n_per=40, k=3, d=3, spread=1.5, seed=2)
    X = np.repeat(np.round(X), 3, axis=0)
    method = cls().fit(_raw(X), k=3, seed=0)
    np.testing.assert_array_equal(method.assign(X), method.labels_)
    assert method.sample_size_ is None


def test_gmm_recovers_unequal_covariances_and_bic_finds_k():
    X, truth = _unequal_gaussians()
    method = GaussianMixture().fit(_raw(X), k=3, seed=0)
    assert adjusted_rand_score(truth, method.labels_) >= 0.9  # measured 0.995
    bic = {k: GaussianMixture().fit(_raw(X), k=k, seed=0).bic_ for k in range(2, 7)}
    assert min(bic, key=bic.get) == 3
    assert np.isfinite(method.aic_) and method.aic_ < method.bic_  # BIC penalises parameters more


def test_gmm_retries_singular_covariance_with_more_regularisation():
    X, truth = _unequal_gaussians()
    X = np.column_stack([X, X[:, 0]])  # a collinear column: singular without regularisation
    method = GaussianMixture(reg_covar=0.0).fit(_raw(X), k=3, seed=0)
    assert method.reg_covar_ > 0 and any("reg_covar" in note for note in method.notes_)
    assert adjusted_rand_score(truth, method.labels_) >= 0.9


def test_gmm_runs_on_one_hot_columns():
    import pandas as pd

    from persona_lab.data.dataset import Dataset

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "id": [f"r{i}" for i in range(300)], "plan": rng.choice(["a", "b", "c"], 300),
        "region": rng.choice(["n", "s"], 300), "spend": rng.gamma(2, 10, 300),
    })
    roles = {"id": "id", "plan": "feature", "region": "feature", "spend": "feature"}
    method = GaussianMixture()
    prepared = prepare(Dataset(frame, roles, "entities", name="t"), method.default_preparation("entities"))
    method.fit(prepared, k=4, seed=0)
    np.testing.assert_allclose(method.memberships_.sum(axis=1), 1.0)
    np.testing.assert_array_equal(method.assign(prepared.X), method.labels_)


def test_ward_recovers_separated_blobs():
    X, truth = planted_blobs(n_per=80, k=4, d=5, seed=1)
    method = Hierarchical().fit(_raw(X), k=4)
    assert adjusted_rand_score(truth, method.labels_) >= 0.95  # measured 1.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_average_linkage_keeps_a_small_group_apart_where_kmeans_splits_the_big_one(seed):
    X, truth = _disk_and_small_group(seed)
    average = Hierarchical(linkage="average").fit(_raw(X), k=2)
    kmeans = KMeans().fit(_raw(X), k=2, seed=0)
    assert adjusted_rand_score(truth, average.labels_) >= 0.95  # measured 1.0
    assert adjusted_rand_score(truth, kmeans.labels_) < 0.5  # measured 0.05-0.28


def test_spectral_separates_half_moons_where_kmeans_fails():
    X, truth = make_moons(n_samples=400, noise=0.05, random_state=0)
    spectral = Spectral().fit(_raw(X), k=2, seed=0)
    kmeans = KMeans().fit(_raw(X), k=2, seed=0)
    assert adjusted_rand_score(truth, spectral.labels_) >= 0.9  # measured 1.0
    assert adjusted_rand_score(truth, kmeans.labels_) < 0.5  # measured 0.27


def test_sample_limit_keeps_the_n_by_n_matrix_within_half_a_gigabyte():
    assert max_rows_for() == 11_180  # 11,180^2 float64 = 0.9999 GB
    assert max_rows_for(budget=0.5e9) == 7_905
    assert Hierarchical().max_fit_rows == Spectral().max_fit_rows == 7_905
    assert sample_rows(100, seed=0, max_rows=100) is None
    index = sample_rows(1000, seed=3, max_rows=200)
    assert index.size == np.unique(index).size == 200 and (np.diff(index) > 0).all()
    np.testing.assert_array_equal(index, sample_rows(1000, seed=3, max_rows=200))


@pytest.mark.parametrize("method", [Hierarchical(max_fit_rows=200), Hierarchical(linkage="average", max_fit_rows=200),
                                    Spectral(max_fit_rows=200)], ids=["ward", "average", "spectral"])
def test_large_data_is_fitted_on_a_seeded_sample_and_the_rest_assigned(method):
    X, truth = planted_blobs(n_per=250, k=4, d=4, seed=3)
    fitted = method.clone().fit(_raw(X), k=4, seed=1)
    assert fitted.sample_size_ == 200
    assert any("seeded sample of 200 of 1,000 rows" in note for note in fitted.notes_)
    assert fitted.labels_.shape == (1000,) and (fitted.labels_ >= 0).all()
    assert adjusted_rand_score(truth, fitted.labels_) >= 0.95  # measured 1.0
    np.testing.assert_array_equal(fitted.labels_, method.clone().fit(_raw(X), k=4, seed=1).labels_)
    np.testing.assert_array_equal(fitted.assign(X), fitted.labels_)


def test_sample_smaller_than_k_is_refused():
    X, _ = planted_blobs(n_per=20, k=3)
    with pytest.raises(PersonaLabError, match="max_fit_rows=3 leaves fewer rows than the 4 personas"):
        Hierarchical(max_fit_rows=3).fit(_raw(X), k=4)


@pytest.mark.parametrize(
    "method, message",
    [
        (GaussianMixture(covariance_type="banana"), "Unknown covariance_type 'banana'.*full, tied"),
        (GaussianMixture(n_init=0), "n_init must be a whole number of at least 1"),
        (GaussianMixture(max_iter=2.5), "max_iter must be a whole number"),
        (GaussianMixture(reg_covar=-1), "reg_covar must be >= 0"),
        (Hierarchical(linkage="single"), "Unknown linkage 'single'.*ward, average, complete"),
        (Hierarchical(max_fit_rows=1), "max_fit_rows must be a whole number of at least 2.*7,905"),
        (Spectral(n_neighbors=1), "n_neighbors must be a whole number of at least 2"),
        (Spectral(assign_labels="discretise"), "Unknown assign_labels 'discretise'.*cluster_qr, kmeans"),
    ],
)
def test_invalid_parameters_are_clear_errors(method, message):
    X, _ = planted_blobs()
    with pytest.raises(PersonaLabError, match=message):
        method.fit(_raw(X), k=3)

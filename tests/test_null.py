"""Null calibration: structure-free reference sets and the band they give."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from helpers import blobs_dataset
from persona_lab.assess.null import (
    band_of, beats_null, gaussian_reference, null_band, null_values, pca_box_reference, reference_prepared,
)
from persona_lab.assess.stability import stability
from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.methods import get_method
from persona_lab.prepare import prepare

KMEANS = {"n_init": 3}
STATS = ("bootstrap_ari", "prediction_strength")


def correlated(n, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3)) @ np.array([[1.0, 0.5, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]]) + [5, -2, 0]


def test_gaussian_reference_keeps_mean_and_covariance():
    X = correlated(4000, 0)
    Y = gaussian_reference(X, seed=1)
    assert Y.shape == X.shape
    assert np.allclose(Y.mean(axis=0), X.mean(axis=0), atol=0.1)
    assert np.allclose(np.cov(Y, rowvar=False), np.cov(X, rowvar=False), atol=0.1)
    assert np.array_equal(Y, gaussian_reference(X, seed=1)) and not np.array_equal(Y, gaussian_reference(X, seed=2))


def test_pca_box_reference_fills_the_principal_box_uniformly():
    X = correlated(4000, 0)
    Y = pca_box_reference(X, seed=1)
    mean = X.mean(axis=0)
    _, _, Vt = np.linalg.svd(X - mean, full_matrices=False)
    Zx, Zy = (X - mean) @ Vt.T, (Y - mean) @ Vt.T
    assert np.all(Zy >= Zx.min(axis=0) - 1e-9) and np.all(Zy <= Zx.max(axis=0) + 1e-9)
    # uniform on each axis: about a quarter of the rows in each quarter of the range
    low, high = Zx.min(axis=0), Zx.max(axis=0)
    quarter = ((Zy - low) / (high - low) < 0.25).mean(axis=0)
    assert np.allclose(quarter, 0.25, atol=0.03)


def test_reference_permutes_category_codes_and_clips_for_nonnegative_methods():
    frame = pd.DataFrame({"colour": list("aabbbc") * 10, "size": np.arange(60.0)})
    dataset = Dataset(frame, {"colour": "feature", "size": "feature"}, "entities", name="t")
    lca = get_method("kprototypes")
    prepared = prepare(dataset, lca.default_preparation("entities"))
    ref = reference_prepared(prepared, lca, "gaussian", seed=0)
    for j in prepared.categorical_index:
        assert sorted(ref.X[:, j]) == sorted(prepared.X[:, j])
    nmf = get_method("nmf")
    nonneg = prepare(dataset, nmf.default_preparation("entities"))
    ref = reference_prepared(nonneg, nmf, "pca_box", seed=0)
    assert (ref.X >= 0).all() and ref.sample_weight is None
    with pytest.raises(PersonaLabError):
        reference_prepared(prepared, lca, "uniform", seed=0)


@pytest.fixture(scope="module")
def noise():
    frame = pd.DataFrame(correlated(150, 3), columns=["a", "b", "c"])
    return Dataset(frame, {c: "feature" for c in frame}, "entities", name="noise")


def test_structure_free_data_beats_the_null_band_at_no_k(noise):
    values = null_values(noise, "kmeans", [2, 3, 4], STATS, n_ref=20, resamples=8, seed=1, params=KMEANS)
    assert len(values) == 20 * 6
    band = band_of(values)
    assert list(band.columns) == ["k", "statistic", "p05", "p50", "p95"] and len(band) == 6
    assert (band["p05"] <= band["p50"]).all() and (band["p50"] <= band["p95"]).all()
    table = stability(noise, "kmeans", [2, 3, 4], resamples=8, seed=2, statistics=STATS, params=KMEANS).table
    merged = beats_null(table, band)
    assert not merged["beats"].any(), merged
    assert (merged["value"] <= merged["p95"]).all()
    assert not beats_null(table, band, values)["beats"].any()


def test_planted_segments_beat_the_null_band():
    dataset, _ = blobs_dataset(n_per=50, k=3, d=3)
    values = null_values(dataset, "kmeans", [3], STATS, n_ref=20, resamples=5, seed=1, params=KMEANS)
    table = stability(dataset, "kmeans", [3], resamples=5, seed=2, statistics=STATS, params=KMEANS).table
    assert beats_null(table, band_of(values))["beats"].all()
    assert beats_null(table, band_of(values), values)["beats"].all()


def test_band_for_a_method_with_k_as_output_is_per_statistic():
    dataset, _ = blobs_dataset(n_per=40, k=3, d=3)
    band = null_band(dataset, "hdbscan", (), ("bootstrap_ari",), n_ref=3, resamples=3, seed=0)
    assert band["k"].isna().all() and band["statistic"].tolist() == ["bootstrap_ari"]
    table = stability(dataset, "hdbscan", (), resamples=3, statistics=("bootstrap_ari",)).table
    assert len(beats_null(table, band)) == 1


def _values(kinds: dict[str, list[float]], k: int = 2, statistic: str = "bootstrap_ari") -> pd.DataFrame:
    rows = [(r, kind, k, statistic, v) for kind, vs in kinds.items() for r, v in enumerate(vs)]
    return pd.DataFrame(rows, columns=["reference", "kind", "k", "statistic", "value"])


def test_a_band_over_two_kinds_of_reference_is_the_envelope_of_each_kinds_band():
    low, high = list(np.linspace(0.30, 0.50, 10)), list(np.linspace(0.80, 0.90, 10))
    band = band_of(_values({"gaussian": low, "pca_box": high})).iloc[0]
    assert band["p95"] == pytest.approx(np.percentile(high, 95))  # not the pooled 95th percentile
    assert band["p05"] == pytest.approx(np.percentile(low, 5))
    assert band["p50"] == pytest.approx(np.percentile(low + high, 50))
    pooled = band_of(_values({"": low + high})).iloc[0]
    assert pooled["p95"] < band["p95"]


def test_the_family_wise_margin_and_a_value_past_every_reference_set():
    rng = np.random.default_rng(0)
    values = pd.concat([_values({"g": list(rng.normal(0.5, 0.05, 20))}, k=k) for k in range(2, 11)], ignore_index=True)
    band = band_of(values)
    p95 = band.set_index("k")["p95"]
    best = values.groupby("k")["value"].max()
    just_past = pd.DataFrame({"k": [2], "statistic": "bootstrap_ari", "value": [min(p95[2] + 0.002, best[2] - 1e-6)]})
    assert beats_null(just_past, band)["beats"].all()  # past the per-k band
    assert not beats_null(just_past, band, values)["beats"].any()  # within the family-wise margin
    past_all = just_past.assign(value=best[2] + 1e-6)
    assert beats_null(past_all, band, values)["beats"].all()  # better than every reference set at its k

"""Maps of the prepared data: PCA and UMAP embeddings, what is drawn, the density of the rest."""

from __future__ import annotations

import numpy as np
import pytest

from persona_lab import embed
from persona_lab.errors import PersonaLabError
from helpers import planted_blobs


def _neighbour_purity(coords: np.ndarray, truth: np.ndarray) -> float:
    """Share of rows whose nearest other row on the map comes from the same planted blob."""
    d = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((truth[d.argmin(axis=1)] == truth).mean())


def test_pca_keeps_planted_blobs_apart_and_is_seeded():
    X, truth = planted_blobs(n_per=50, k=3, d=6)
    first = embed.pca_embedding(X, seed=3)
    assert first.coords.shape == (150, 2) and first.method == "pca" and first.fitted_rows == 150
    assert _neighbour_purity(first.coords, truth) == 1.0
    np.testing.assert_array_equal(first.coords, embed.pca_embedding(X, seed=3).coords)


def test_pca_fits_a_sample_and_places_every_row():
    X, _ = planted_blobs(n_per=100, k=3, d=5)
    mapped = embed.pca_embedding(X, seed=0, max_fit=120)
    assert mapped.fitted_rows == 120 and mapped.coords.shape == (300, 2)
    assert np.isfinite(mapped.coords).all()


def test_one_feature_maps_onto_a_line():
    mapped = embed.pca_embedding(np.arange(10.0)[:, None])
    assert mapped.coords.shape == (10, 2) and np.all(mapped.coords[:, 1] == 0)


def test_nothing_to_map_is_the_users_error():
    with pytest.raises(PersonaLabError, match="nothing to map"):
        embed.pca_embedding(np.empty((5, 0)))
    with pytest.raises(PersonaLabError, match="Unknown map"):
        embed.embed(np.ones((5, 2)), "tsne")


def test_umap_separates_blobs_is_seeded_and_places_the_rest_by_transform():
    # The one numba-compiling test of the suite (30-45 s in a fresh process): small on purpose,
    # below 4,096 rows so that UMAP takes its exact-neighbours path.
    X, truth = planted_blobs(n_per=40, k=3, d=6)
    mapped = embed.umap_embedding(X, seed=7, max_fit=90)
    again = embed.umap_embedding(X, seed=7, max_fit=90)
    assert mapped.method == "umap" and mapped.fitted_rows == 90 and mapped.coords.shape == (120, 2)
    np.testing.assert_allclose(mapped.coords, again.coords)
    assert _neighbour_purity(mapped.coords, truth) > 0.95  # rows placed by transform land in their blob
    whole = embed.umap_embedding(X, seed=7)  # every row fitted: exact neighbours from scikit-learn
    assert whole.fitted_rows == 120 and _neighbour_purity(whole.coords, truth) == 1.0
    tiny = embed.umap_embedding(X[:3], seed=0)
    assert tiny.method == "pca", "three rows have no neighbourhood graph: PCA instead"


def test_drawn_rows_are_a_seeded_sample_and_the_rest_is_density():
    coords = np.array([[0.0, 0.0], [0.0, 0.1], [1.0, 1.0], [1.0, 0.9], [0.5, 0.5], [0.05, 0.0]])
    drawn = embed.drawn_rows(6, seed=0, max_points=6)
    np.testing.assert_array_equal(drawn, np.arange(6))
    assert embed.density(coords, drawn).empty
    drawn = np.array([0, 2])
    cells = embed.density(coords, drawn, bins=2)
    # Not drawn: (0, 0.1) and (0.05, 0) in the low-low cell, (1, 0.9) and (0.5, 0.5) in the high-high one.
    assert sorted(cells["rows"]) == [2, 2] and cells["rows"].sum() == 4
    low = cells[cells["x"] == 0.0].iloc[0]
    assert (low["x2"], low["y"], low["y2"], low["rows"]) == (0.5, 0.0, 0.5, 2)
    sample = embed.drawn_rows(1000, seed=1, max_points=100)
    assert len(sample) == 100 and np.array_equal(sample, embed.drawn_rows(1000, seed=1, max_points=100))


def test_density_of_rows_on_one_spot():
    coords = np.zeros((5, 2))
    cells = embed.density(coords, np.array([0]), bins=4)
    assert cells["rows"].sum() == 4

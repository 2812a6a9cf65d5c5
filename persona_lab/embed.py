"""2-D maps of the prepared data: PCA at once, UMAP when it is ready.

Both are seeded and fitted on at most :data:`MAX_FIT` rows (a seeded sample above that); the
other rows are placed with the fitted map's ``transform``, so every row has coordinates. Drawing
is a separate choice (:func:`drawn_rows`): at most :data:`MAX_POINTS` points go to the browser
and the rest are shown as a density (:func:`density`).

umap-learn is imported only inside the functions that need it: a fresh process spends 10-45 s
importing and compiling it (numba), so the app runs these functions in a worker process that
:func:`warm_up` compiles before the first real fit.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.neighbors import NearestNeighbors

from .errors import PersonaLabError
from .seeding import sample_rows

#: More points than this are not drawn: a seeded sample is drawn, the rest shown as a density.
MAX_POINTS = 20_000
#: More rows than this are not fitted: a seeded sample is, and the others are placed by transform.
MAX_FIT = 50_000
#: UMAP's neighbourhood size (its default); smaller for tiny data.
N_NEIGHBORS = 15
#: Up to this many rows (all fitted), UMAP gets exact neighbours from scikit-learn instead of
#: building them with pynndescent, whose numba compile costs a fresh process 30 s or more.
EXACT_KNN_MAX = 10_000
METHODS = ("pca", "umap")


@dataclass(frozen=True)
class Embedding:
    """Coordinates of every row of a matrix, and how they were made."""

    coords: np.ndarray  # n_rows x 2
    method: str  # "pca" or "umap"
    fitted_rows: int  # rows the map was fitted on; the others were placed by transform
    seconds: float

    @property
    def label(self) -> str:
        return {"pca": "PCA", "umap": "UMAP"}[self.method]


def _fit_rows(n_rows: int, seed: int, max_fit: int) -> np.ndarray:
    sample = sample_rows(n_rows, seed, max_fit)
    return np.arange(n_rows) if sample is None else sample


def _place(model, X: np.ndarray, fit_rows: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Coordinates of all rows: the fitted ones as fitted, the others through ``transform``."""
    coords = np.empty((X.shape[0], 2))
    coords[fit_rows] = fitted
    rest = np.setdiff1d(np.arange(X.shape[0]), fit_rows, assume_unique=True)
    if rest.size:
        coords[rest] = model.transform(X[rest])
    return coords


def _two_columns(coords: np.ndarray) -> np.ndarray:
    """Pad a one-column map (data with one feature or one row) with zeros."""
    return coords if coords.shape[1] == 2 else np.column_stack([coords, np.zeros(len(coords))])


def pca_embedding(X: np.ndarray, seed: int = 0, max_fit: int = MAX_FIT) -> Embedding:
    """The first two principal components (instant; the first look, and UMAP's fallback)."""
    started = time.perf_counter()
    X = _check(X)
    fit_rows = _fit_rows(X.shape[0], seed, max_fit)
    components = min(2, X.shape[1], len(fit_rows))
    model = PCA(n_components=components, random_state=seed).fit(X[fit_rows])
    coords = _two_columns(model.transform(X))
    return Embedding(coords, "pca", len(fit_rows), time.perf_counter() - started)


def umap_embedding(
    X: np.ndarray, seed: int = 0, max_fit: int = MAX_FIT, n_neighbors: int = N_NEIGHBORS, min_dist: float = 0.1
) -> Embedding:
    """UMAP (McInnes et al. 2018), seeded: the same seed gives the same map.

    Data too small for a neighbourhood graph (fewer than 4 rows) get PCA instead.
    """
    started = time.perf_counter()
    X = _check(X)
    if X.shape[0] < 4:
        return pca_embedding(X, seed, max_fit)
    import umap  # slow on a fresh process: see the module docstring

    fit_rows = _fit_rows(X.shape[0], seed, max_fit)
    n_neighbors = max(2, min(n_neighbors, len(fit_rows) - 1))
    # Rows placed later by transform need pynndescent's search index: then UMAP builds its own.
    exact = len(fit_rows) == X.shape[0] and X.shape[0] <= EXACT_KNN_MAX
    model = umap.UMAP(
        n_components=2, n_neighbors=n_neighbors, min_dist=min_dist, random_state=seed, n_jobs=1,
        precomputed_knn=_exact_neighbours(X, n_neighbors) if exact else (None, None, None),
    )
    with warnings.catch_warnings():
        # A seeded UMAP runs on one thread and says so; a tiny graph is not fully connected.
        warnings.simplefilter("ignore", UserWarning)
        fitted = model.fit_transform(X[fit_rows])
        coords = _place(model, X, fit_rows, fitted)
    return Embedding(coords, "umap", len(fit_rows), time.perf_counter() - started)


def _exact_neighbours(X: np.ndarray, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """(indices, distances) of each row's ``n_neighbors`` nearest rows, itself first, as UMAP
    expects them."""
    distances, indices = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)
    return indices, distances


def embed(X: np.ndarray, method: str, seed: int = 0, max_fit: int = MAX_FIT) -> Embedding:
    if method not in METHODS:
        raise PersonaLabError(f"Unknown map {method!r}", fix=f"Use one of {', '.join(METHODS)}")
    return (pca_embedding if method == "pca" else umap_embedding)(X, seed, max_fit)


def _check(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0 or X.shape[1] == 0:
        raise PersonaLabError("There is nothing to map: the prepared data has no rows or no features",
                              fix="Check the columns' roles on the Data page")
    return X


# -- running UMAP in a worker process -------------------------------------------------------------


def warm_up(seed: int = 0) -> float:
    """Import umap and fit a tiny dataset, so that numba compiles before the first real map.
    Returns the seconds it took."""
    started = time.perf_counter()
    X = np.random.default_rng(seed).normal(size=(200, 5))
    umap_embedding(X, seed)
    return time.perf_counter() - started


# -- what is drawn ------------------------------------------------------------------------------


def drawn_rows(n_rows: int, seed: int = 0, max_points: int = MAX_POINTS) -> np.ndarray:
    """Indices of the rows drawn as points: all, or a seeded sample of ``max_points``."""
    return _fit_rows(n_rows, seed, max_points)


def density(coords: np.ndarray, drawn: np.ndarray, bins: int = 40) -> pd.DataFrame:
    """Counts of the rows *not* drawn, on a ``bins`` x ``bins`` grid over the whole map.

    Columns x, x2, y, y2 (the cell's edges) and rows; only cells holding rows. Empty when
    every row is drawn.
    """
    hidden = np.ones(len(coords), dtype=bool)
    hidden[drawn] = False
    columns = ["x", "x2", "y", "y2", "rows"]
    if not hidden.any():
        return pd.DataFrame(columns=columns)
    x_edges, y_edges = (_edges(coords[:, axis], bins) for axis in (0, 1))
    counts, _, _ = np.histogram2d(coords[hidden, 0], coords[hidden, 1], bins=[x_edges, y_edges])
    i, j = np.nonzero(counts)
    return pd.DataFrame(
        {"x": x_edges[i], "x2": x_edges[i + 1], "y": y_edges[j], "y2": y_edges[j + 1], "rows": counts[i, j].astype(int)}
    )


def _edges(values: np.ndarray, bins: int) -> np.ndarray:
    low, high = float(values.min()), float(values.max())
    if high <= low:  # every row at one coordinate: one unit-wide span around it
        low, high = low - 0.5, high + 0.5
    return np.linspace(low, high, bins + 1)


def row_details(prepared, dataset, persona_set, rows: np.ndarray, n: int = 4) -> pd.DataFrame:
    """A few values that say who each of ``rows`` is, as text, for a map's tooltips.

    An entity's values of the features that set the personas apart most (each persona's top
    traits, in turn), under their labels; a demographic group's interactions and its most viewed item.
    """
    if prepared.matrix is not None:
        V = prepared.matrix.V[rows]
        items = prepared.matrix.items
        titles = items.iloc[:, 0].astype(str) if items.shape[1] else pd.Series(items.index.astype(str))
        return pd.DataFrame({
            "interactions": [f"{v:,.0f}" for v in V.sum(axis=1)],
            "top item": [str(titles.iloc[i]) for i in V.argmax(axis=1)],
        })  # fmt: skip
    features: list[str] = []
    depth = max((len(p.traits) for p in persona_set.personas), default=0)
    for level in range(depth):  # every persona's first trait, then every second, ...
        for persona in persona_set.personas:
            if level < len(persona.traits) and persona.traits[level].feature not in features:
                features.append(persona.traits[level].feature)
    features = [f for f in features if f in dataset.frame.columns][:n]
    if len(dataset.frame) != prepared.n_rows:  # rows were dropped in preparing: no safe match
        return pd.DataFrame(index=range(len(rows)))
    frame, dictionary = dataset.frame.iloc[rows], dataset.dictionary
    # Named and shown as the cards name and show them: labels, units, years as years.
    return pd.DataFrame({dictionary.label(f): [dictionary.format_value(f, v) for v in frame[f]] for f in features})

"""2-D maps of the prepared data. PCA now; UMAP joins it later behind the same function."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA

from .sampling import sample_rows

#: More points than this are not drawn: a seeded sample is embedded and shown.
MAX_POINTS = 20_000


def pca_map(X: np.ndarray, seed: int = 0, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """(row indices drawn, their 2-D coordinates). PCA is fitted on the drawn rows only."""
    drawn = sample_rows(X.shape[0], seed, max_points)
    rows = np.arange(X.shape[0]) if drawn is None else drawn
    data = X[rows]
    components = min(2, data.shape[1], data.shape[0])
    coords = PCA(n_components=components, random_state=seed).fit_transform(data)
    if components < 2:
        coords = np.column_stack([coords, np.zeros(len(rows))])
    return rows, coords


"""Sample-and-assign: fit on a seeded sample when an n x n structure would not fit in memory.

Agglomerative clustering keeps a condensed n x n distance matrix and spectral clustering an
n x n affinity and embedding, so both grow with the square of the rows. Above the size where a
dense float64 n x n matrix would not fit in 1 GB (about 11,180 rows) such a method fits on a
seeded sample and labels every row by its nearest fitted row; the result says so in its notes.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.neighbors import NearestNeighbors

from ..errors import PersonaLabError
from ..seeding import sample_rows
from .base import UNASSIGNED, SegmentationMethod, check_whole


def max_rows_for(bytes_per_pair: int = 8, budget: float = 1e9) -> int:
    """The most rows whose n x n matrix of ``bytes_per_pair`` entries fits in ``budget`` bytes."""
    return math.isqrt(int(budget // bytes_per_pair))


#: Default limit for methods that need an n x n structure. A dense float64 n x n matrix fits in
#: 1 GB up to 11,180 rows, but scipy and scikit-learn keep working copies beside it (a process
#: peak of 1.24 GB was measured for Ward at that size), so the matrix gets half the budget:
#: 7,905 rows.
MAX_FIT_ROWS = max_rows_for(budget=0.5e9)


def sample_note(sample_size: int, n_rows: int) -> str:
    return (
        f"fitted on a seeded sample of {sample_size:,} of {n_rows:,} rows; "
        "the other rows were assigned to the nearest segment"
    )


class NearestRowMethod(SegmentationMethod):
    """A method whose clusterer has no predict: it fits ``_cluster`` on at most
    ``max_fit_rows`` rows and labels any row, new or left out of the sample, by its nearest
    fitted row. Subclasses take ``max_fit_rows`` in ``__init__`` and implement ``_cluster``.
    """

    max_fit_rows: int
    #: The fitted rows and their labels: new rows take their nearest fitted row's label.
    state_arrays = ("fitted_rows_", "_fitted_labels")

    def _cluster(self, X: np.ndarray, k: int | None, seed: int) -> np.ndarray:
        """Labels of the fitted rows; -1 for rows the method leaves unassigned."""
        raise NotImplementedError

    def _check_max_fit_rows(self) -> None:
        check_whole("max_fit_rows", self.max_fit_rows, 2, fix=f"Leave it at the default ({MAX_FIT_ROWS:,}, what fits in 1 GB)")

    def _fit(self, X, k, seed, sample_weight):
        index = sample_rows(X.shape[0], seed, int(self.max_fit_rows))
        fitted = X if index is None else X[index]
        if k is not None and fitted.shape[0] < k:
            raise PersonaLabError(
                f"max_fit_rows={self.max_fit_rows} leaves fewer rows than the {k} personas asked for",
                fix="Raise max_fit_rows or ask for fewer personas",
            )
        labels = np.asarray(self._cluster(fitted, k, seed), dtype=int)
        self.fitted_rows_ = fitted
        self._restore()
        # Tie-breaking can split exact duplicate rows between segments; labelling the fitted rows
        # through the nearest-row rule itself keeps assign(training rows) == labels_ exact.
        labels = labels[self._nearest(fitted)]
        # Number the segments 0..k-1 without gaps; unassigned rows (-1) stay unassigned.
        assigned = labels >= 0
        self._fitted_labels = np.full(labels.size, UNASSIGNED, dtype=int)
        self._fitted_labels[assigned] = np.unique(labels[assigned], return_inverse=True)[1]
        self.memberships_ = None
        self.sample_size_ = None if index is None else int(index.size)
        if index is None:
            self.labels_ = self._fitted_labels
        else:
            self.labels_ = self._assign(X)
            self.notes_.append(sample_note(index.size, X.shape[0]))

    def _restore(self):
        self._neighbours = NearestNeighbors(n_neighbors=1).fit(self.fitted_rows_)

    def _misfit(self, X):
        return self._neighbours.kneighbors(X)[0][:, 0]

    def training_misfit(self, X):
        """Each fitted row's distance to its nearest other fitted row (its own is 0)."""
        self._check_fitted()
        return self._neighbours.kneighbors(None)[0][:, 0]

    def _nearest(self, X: np.ndarray) -> np.ndarray:
        return self._neighbours.kneighbors(X, return_distance=False)[:, 0]

    def _assign(self, X):
        return self._fitted_labels[self._nearest(X)]

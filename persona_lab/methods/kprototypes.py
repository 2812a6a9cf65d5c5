"""k-prototypes (Huang 1997): k-means on the numbers and k-modes on the categories at once.

A row's cost to a prototype is the squared Euclidean distance over the numeric columns plus
gamma times the number of mismatched categories. kmodes' default gamma is half the mean standard
deviation of the numeric columns, i.e. 0.5 under the default standard scaling.
"""

from __future__ import annotations

import numpy as np
from kmodes.kmodes import KModes
from kmodes.kprototypes import KPrototypes as _KmodesKPrototypes
from sklearn.metrics import silhouette_score

from ..errors import PersonaLabError
from ..prepare import Preparation
from ..seeding import sample_rows
from ._nearest_row import sample_note
from .base import SegmentationMethod, check_whole

#: The Gower silhouette holds an m x m distance matrix: it is computed on a seeded sample.
SILHOUETTE_SAMPLE = 1000
#: kmodes runs in Python loops (measured 15 s at 10,000 rows with 5 starts, over 15 minutes at
#: 100,000), so above this it fits a seeded sample and assigns the rest to the nearest prototype.
MAX_FIT_ROWS = 10_000


class KPrototypes(SegmentationMethod):
    name = "kprototypes"
    label = "k-prototypes"
    accepts = "mixed"
    supports_weights = True
    criteria = ("silhouette_gower", "cost")
    state_arrays = ("prototypes_",)
    state_values = ("gamma_",)

    def __init__(self, init="Cao", n_init=5, gamma=None, max_iter=100, max_fit_rows=MAX_FIT_ROWS):
        self.init = init
        self.n_init = n_init
        self.gamma = gamma
        self.max_iter = max_iter
        self.max_fit_rows = max_fit_rows

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(encode="codes", scale="standard", borrow_categories=True)

    def _validate_params(self) -> None:
        if str(self.init).lower() not in ("cao", "huang"):
            raise PersonaLabError(f"Unknown k-prototypes initialisation {self.init!r}", fix="Use Cao or Huang")
        for key in ("n_init", "max_iter", "max_fit_rows"):
            check_whole(key, getattr(self, key), 1, fix=f"Use {key}=5")
        if self.gamma is not None and not float(self.gamma) >= 0:
            raise PersonaLabError(f"gamma must be >= 0 or None, got {self.gamma!r}", fix="Leave gamma=None (automatic)")

    def _fit(self, X, k, seed, sample_weight):
        categorical = list(self.categorical_index_)
        if not categorical:
            raise PersonaLabError(
                f"{self.label} needs at least one categorical column, but every prepared column is numeric",
                fix="Give a text or yes/no column the role 'feature' (or 'demographic': its default preparation "
                "segments on those when no feature is a category), or choose k-means (kmeans) for numeric data",
            )
        options = dict(n_clusters=k, init=str(self.init), n_init=int(self.n_init), max_iter=int(self.max_iter),
                       random_state=seed, n_jobs=1)
        full = X
        index = sample_rows(X.shape[0], seed, int(self.max_fit_rows))
        if index is not None:
            X = X[index]
            sample_weight = None if sample_weight is None else sample_weight[index]
            self.notes_.append(sample_note(index.size, full.shape[0]))
        self.sample_size_ = None if index is None else int(index.size)
        if len(categorical) == X.shape[1]:
            self.model_ = KModes(**options)
            self.model_.fit(X, sample_weight=sample_weight)
            self.notes_.append("every column is categorical, so k-modes (k-prototypes without numbers) was used")
            self.gamma_ = None
        else:
            self.model_ = _KmodesKPrototypes(gamma=self.gamma, **options)
            self.model_.fit(X, categorical=categorical, sample_weight=sample_weight)
            self.gamma_ = float(self.model_.gamma)
        self.cost_ = float(self.model_.cost_)
        # kmodes gives the numeric columns of a prototype first, then its categories.
        self.prototypes_ = np.asarray(self.model_.cluster_centroids_, dtype=float)
        # kmodes' own labels_ come from its last pass, which can differ from its predict() when
        # it stops at max_iter; assigning keeps assign() on the training rows equal to labels_.
        self.labels_ = self._assign(full)
        self.memberships_ = None
        self.silhouette_gower_ = gower_silhouette(full, self.labels_, categorical, seed)

    def _costs(self, X):
        """Each row's cost to each prototype, as kmodes' predict() computes it (squared
        Euclidean distance on the numbers + gamma x mismatched categories), from the prototypes
        alone so that a saved model assigns alike. An unseen category matches no prototype."""
        categorical = list(self.categorical_index_)
        numeric = [j for j in range(X.shape[1]) if j not in categorical]
        split = len(numeric)
        costs = np.empty((X.shape[0], self.prototypes_.shape[0]))
        for c, prototype in enumerate(self.prototypes_):
            cost = np.sum(X[:, categorical] != prototype[split:], axis=1).astype(float)
            if split:
                cost = np.sum((X[:, numeric] - prototype[:split]) ** 2, axis=1) + self.gamma_ * cost
            costs[:, c] = cost
        return costs

    def _assign(self, X):
        return self._costs(X).argmin(axis=1).astype(int)

    def _misfit(self, X):
        return self._costs(X).min(axis=1)


def gower_distances(X: np.ndarray, categorical: list[int], ranges: np.ndarray) -> np.ndarray:
    """Gower's distance: the mean over columns of |difference| / range for numbers and of
    mismatch (0/1) for categories."""
    D = np.zeros((X.shape[0], X.shape[0]))
    for j in range(X.shape[1]):
        column = X[:, j]
        if j in categorical:
            D += column[:, None] != column[None, :]
        elif ranges[j] > 0:
            D += np.abs(column[:, None] - column[None, :]) / ranges[j]
    return D / X.shape[1]


def gower_silhouette(X: np.ndarray, labels: np.ndarray, categorical: list[int], seed: int,
                     sample: int = SILHOUETTE_SAMPLE) -> float:
    """Silhouette under Gower's distance on a seeded sample of rows; NaN when undefined."""
    ranges = np.ptp(X, axis=0)  # from all rows, so that the sample's spread does not set the scale
    drawn = sample_rows(X.shape[0], seed, sample)
    rows = np.arange(X.shape[0]) if drawn is None else drawn
    n_segments = np.unique(labels[rows]).size
    if n_segments < 2 or n_segments >= rows.size:
        return float("nan")
    D = gower_distances(X[rows], list(categorical), ranges)
    return float(silhouette_score(D, labels[rows], metric="precomputed"))

"""Spectral clustering on a nearest-neighbour graph: segments that are connected, not round."""

from __future__ import annotations

import warnings

from sklearn.cluster import SpectralClustering

from ..errors import PersonaLabError
from ..prepare import Preparation
from ._nearest_row import MAX_FIT_ROWS, NearestRowMethod
from .base import check_whole

ASSIGN_LABELS = ("cluster_qr", "kmeans")


class Spectral(NearestRowMethod):
    name = "spectral"
    label = "Spectral"
    accepts = "numeric"
    criteria = ("silhouette", "calinski_harabasz", "davies_bouldin")

    def __init__(self, n_neighbors=10, assign_labels="cluster_qr", max_fit_rows=MAX_FIT_ROWS):
        self.n_neighbors = n_neighbors
        self.assign_labels = assign_labels
        self.max_fit_rows = max_fit_rows

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        check_whole("n_neighbors", self.n_neighbors, 2, fix="Use n_neighbors=10; more neighbours give smoother, larger segments")
        if self.assign_labels not in ASSIGN_LABELS:
            raise PersonaLabError(
                f"Unknown assign_labels {self.assign_labels!r}", fix=f"Use one of {', '.join(ASSIGN_LABELS)}"
            )
        self._check_max_fit_rows()

    def _cluster(self, X, k, seed):
        neighbours = min(int(self.n_neighbors), X.shape[0] - 1)
        if neighbours < int(self.n_neighbors):
            self.notes_.append(f"n_neighbors lowered to {neighbours} for {X.shape[0]} rows")
        model = SpectralClustering(
            n_clusters=k, affinity="nearest_neighbors", n_neighbors=neighbours,
            assign_labels=self.assign_labels, random_state=seed,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            labels = model.fit_predict(X)
        # Well-separated groups make the graph fall apart; that is worth saying, not warning about.
        for w in caught:
            if "not fully connected" in str(w.message):
                self.notes_.append(
                    "the nearest-neighbour graph is not connected; segments follow its separate parts"
                )
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return labels

"""HDBSCAN: density-based, finds the number of segments itself, leaves noise unassigned."""

from __future__ import annotations

import numpy as np
from sklearn.cluster import HDBSCAN as _SklearnHDBSCAN
from sklearn.neighbors import NearestNeighbors

from ..errors import PersonaLabError
from ..prepare import Preparation
from .base import UNASSIGNED, SegmentationMethod


class HDBSCAN(SegmentationMethod):
    name = "hdbscan"
    label = "HDBSCAN"
    accepts = "numeric"
    k_is_output = True
    criteria = ("silhouette", "calinski_harabasz", "davies_bouldin")

    def __init__(self, min_cluster_size=None, min_samples=None, cluster_selection_method="eom"):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        if self.min_cluster_size is not None and int(self.min_cluster_size) < 2:
            raise PersonaLabError("min_cluster_size must be at least 2", fix="Leave it empty for a size-based default")
        if self.cluster_selection_method not in ("eom", "leaf"):
            raise PersonaLabError("cluster_selection_method must be 'eom' or 'leaf'", fix="Use eom")

    def _fit(self, X, k, seed, sample_weight):
        # A persona below ~2% of the rows is rarely worth presenting; 5 is HDBSCAN's own floor.
        size = self.min_cluster_size or max(5, int(round(0.02 * X.shape[0])))
        size = min(int(size), X.shape[0])
        model = _SklearnHDBSCAN(
            min_cluster_size=max(size, 2),
            min_samples=self.min_samples,
            cluster_selection_method=self.cluster_selection_method,
            copy=True,
        )
        labels = model.fit(X).labels_.astype(int)
        labels[labels < 0] = UNASSIGNED
        self.labels_ = labels
        self.memberships_ = None
        self.probabilities_ = model.probabilities_
        self.min_cluster_size_ = size
        if (labels == UNASSIGNED).all():
            self.notes_.append(
                "HDBSCAN found no dense segment: every row is unassigned. Try a smaller "
                "min_cluster_size or a method with a fixed k"
            )
        # New rows take the label of their nearest training row, noise included, so that the
        # training rows are assigned exactly their own labels.
        self._neighbours = NearestNeighbors(n_neighbors=1).fit(X)

    def _assign(self, X):
        index = self._neighbours.kneighbors(X, return_distance=False)[:, 0]
        return self.labels_[index]

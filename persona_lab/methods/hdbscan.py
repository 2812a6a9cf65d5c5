"""HDBSCAN: density-based, finds the number of segments itself, leaves noise unassigned."""

from __future__ import annotations

from sklearn.cluster import HDBSCAN as _SklearnHDBSCAN

from ..errors import PersonaLabError
from ..prepare import Preparation
from ._nearest_row import NearestRowMethod
from .base import UNASSIGNED

#: HDBSCAN's time grows fast with rows in 20 dimensions (measured: 22 s at 20,000 rows, 392 s
#: and 6.4 GB at 100,000), so above this it fits a seeded sample and assigns the rest.
MAX_FIT_ROWS = 10_000


class HDBSCAN(NearestRowMethod):
    name = "hdbscan"
    label = "HDBSCAN"
    accepts = "numeric"
    k_is_output = True
    criteria = ("silhouette", "calinski_harabasz", "davies_bouldin")

    def __init__(self, min_cluster_size=None, min_samples=None, cluster_selection_method="eom", max_fit_rows=MAX_FIT_ROWS):
        self.min_cluster_size = min_cluster_size
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.max_fit_rows = max_fit_rows

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        if self.min_cluster_size is not None and int(self.min_cluster_size) < 2:
            raise PersonaLabError("min_cluster_size must be at least 2", fix="Leave it empty for a size-based default")
        if self.cluster_selection_method not in ("eom", "leaf"):
            raise PersonaLabError("cluster_selection_method must be 'eom' or 'leaf'", fix="Use eom")
        self._check_max_fit_rows()

    def _cluster(self, X, k, seed):
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
        self.min_cluster_size_ = size
        if (labels == UNASSIGNED).all():
            self.notes_.append(
                "HDBSCAN found no dense segment: every row is unassigned. Try a smaller "
                "min_cluster_size or a method with a fixed k"
            )
        # New rows take the label of their nearest fitted row, noise included (the base class),
        # so that the fitted rows are assigned exactly their own labels.
        return labels

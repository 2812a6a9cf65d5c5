"""Agglomerative (hierarchical) clustering: Ward, average or complete linkage."""

from __future__ import annotations

from sklearn.cluster import AgglomerativeClustering

from ..errors import PersonaLabError
from ..prepare import Preparation
from ._nearest_row import MAX_FIT_ROWS, NearestRowMethod

LINKAGES = ("ward", "average", "complete")


class Hierarchical(NearestRowMethod):
    name = "hierarchical"
    label = "Agglomerative (hierarchical)"
    accepts = "numeric"
    criteria = ("silhouette", "calinski_harabasz", "davies_bouldin")

    def __init__(self, linkage="ward", max_fit_rows=MAX_FIT_ROWS):
        self.linkage = linkage
        self.max_fit_rows = max_fit_rows

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        if self.linkage not in LINKAGES:
            raise PersonaLabError(
                f"Unknown linkage {self.linkage!r}",
                fix=f"Use one of {', '.join(LINKAGES)} (ward suits compact segments)",
            )
        self._check_max_fit_rows()

    def _cluster(self, X, k, seed):
        # The merge tree is deterministic, so the seed only matters for the sample.
        # New rows take their nearest training row's label, for every linkage: a Ward segment is
        # not the Voronoi cell of its centroid (on overlapping blobs nearest-centroid relabels
        # 2-12% of the training rows), while 1-NN gives every training row its own label.
        return AgglomerativeClustering(n_clusters=k, linkage=self.linkage).fit_predict(X)

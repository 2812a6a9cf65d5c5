"""k-means with k-means++ starts (:mod:`.lloyd`); mini-batch k-means above a size where Lloyd
gets slow."""

from __future__ import annotations

from sklearn.cluster import MiniBatchKMeans

from ..errors import PersonaLabError
from ..prepare import Preparation
from .base import SegmentationMethod
from .lloyd import kmeans, nearest


class KMeans(SegmentationMethod):
    name = "kmeans"
    label = "k-means"
    accepts = "numeric"
    supports_weights = True
    criteria = ("silhouette", "calinski_harabasz", "davies_bouldin", "inertia")
    state_arrays = ("centres_",)

    def __init__(self, n_init=10, max_iter=300, minibatch_above=50_000):
        self.n_init = n_init
        self.max_iter = max_iter
        self.minibatch_above = minibatch_above

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        if int(self.n_init) < 1:
            raise PersonaLabError("n_init must be at least 1", fix="Use n_init=10")

    def _fit(self, X, k, seed, sample_weight):
        if X.shape[0] > int(self.minibatch_above):
            model = MiniBatchKMeans(
                n_clusters=k, n_init=int(self.n_init), max_iter=int(self.max_iter),
                batch_size=4096, random_state=seed,
            ).fit(X, sample_weight=sample_weight)
            self.notes_.append(f"mini-batch k-means used for {X.shape[0]:,} rows")
            labels, self.centres_, inertia = model.labels_, model.cluster_centers_, model.inertia_
        else:
            labels, self.centres_, inertia = kmeans(X, k, n_init=int(self.n_init), max_iter=int(self.max_iter),
                                                    seed=seed, sample_weight=sample_weight)
        self.labels_ = labels.astype(int)
        self.memberships_ = None
        self.inertia_ = float(inertia)

    def _assign(self, X):
        # The nearest centre, computed from the centres alone so that a saved model assigns alike.
        return nearest(X, self.centres_)[0].astype(int)

    def _misfit(self, X):
        return nearest(X, self.centres_)[1]

"""Non-negative matrix factorisation, as Automatic Persona Generation uses it.

V (rows x features) ~ W (rows x k) . H (k x features). Each latent behaviour p is a persona.
Because the scale of W and H is arbitrary, memberships are normalised (DESIGN.md):
m[g, p] = W[g, p] |H[p, :]|_1 / sum_q W[g, q] |H[q, :]|_1, and a row's segment is its largest m.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.decomposition import NMF as _SklearnNMF
from sklearn.exceptions import ConvergenceWarning

from ..errors import PersonaLabError
from ..prepare import Preparation
from .base import SegmentationMethod, child_seeds


class NMF(SegmentationMethod):
    name = "nmf"
    label = "NMF"
    accepts = "nonnegative"
    has_memberships = True
    criteria = ("reconstruction_error", "silhouette", "calinski_harabasz", "davies_bouldin")
    state_arrays = ("H_",)

    def __init__(self, loss="kullback-leibler", init="nndsvda", n_restarts=4, max_iter=500, tol=1e-4):
        self.loss = loss
        self.init = init
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol

    def default_preparation(self, kind: str) -> Preparation:
        # APG factorises the raw counts; a table is min-max scaled into [0, 1] (one-hot is 0/1).
        if kind == "interactions":
            return Preparation(interactions="counts")
        return Preparation(scale="minmax")

    def _validate_params(self) -> None:
        if self.loss not in ("kullback-leibler", "frobenius"):
            raise PersonaLabError(f"Unknown NMF loss {self.loss!r}", fix="Use kullback-leibler or frobenius")
        if self.init not in ("nndsvda", "random"):
            raise PersonaLabError(f"Unknown NMF initialisation {self.init!r}", fix="Use nndsvda or random")
        if int(self.n_restarts) < 1:
            raise PersonaLabError("n_restarts must be at least 1", fix="Use n_restarts=1 or more")

    def _fit(self, X, k, seed, sample_weight):
        # nndsvda is deterministic, so only its first restart uses it; the rest start at random
        # so that restarts explore different optima.
        # nndsvda (an SVD) cannot give more components than min(rows, features).
        first = self.init if k <= min(X.shape) else "random"
        inits = [first] + ["random"] * (int(self.n_restarts) - 1)
        best = None
        for init, child in zip(inits, child_seeds(seed, len(inits))):
            model = self._model(k, init, child)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                W = model.fit_transform(X)
            if best is None or model.reconstruction_err_ < best[0].reconstruction_err_:
                best = (model, W)
        self.model_, self.W_ = best
        self.H_ = self.model_.components_
        self.reconstruction_err_ = float(self.model_.reconstruction_err_)
        self.memberships_ = self._memberships(self.W_)
        self.labels_ = self.memberships_.argmax(axis=1)

    def _model(self, k, init, seed):
        return _SklearnNMF(
            n_components=k,
            init=init,
            solver="mu" if self.loss == "kullback-leibler" else "cd",
            beta_loss=self.loss,
            max_iter=int(self.max_iter),
            tol=float(self.tol),
            random_state=seed,
        )

    def _memberships(self, W: np.ndarray) -> np.ndarray:
        mass = W * self.H_.sum(axis=1)[None, :]
        total = mass.sum(axis=1, keepdims=True)
        k = W.shape[1]
        # A row with no activity at all belongs to nobody in particular: spread it evenly.
        return np.divide(mass, total, out=np.full_like(mass, 1.0 / k), where=total > 0)

    def _restore(self):
        # transform() solves for W with H fixed; it reads only H and the solver's settings.
        self.model_ = self._model(self.H_.shape[0], self.init, self.seed_)
        self.model_.components_ = self.H_
        self.model_.n_components_ = self.H_.shape[0]
        self.model_.n_features_in_ = self.H_.shape[1]

    def _transform(self, X):
        """W for new rows, H fixed. An all-zero row makes scikit-learn's stopping test divide
        0 by 0 (its W is 0 either way), and max_iter is said in a note at fit time."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            return self.model_.transform(np.clip(X, 0, None))

    def _predict_memberships(self, X):
        return self._memberships(self._transform(X))

    def _assign(self, X):
        return self._predict_memberships(X).argmax(axis=1)

    def _misfit(self, X):
        # Euclidean reconstruction error: a row no mix of the latent behaviours rebuilds.
        return np.linalg.norm(np.clip(X, 0, None) - self._transform(X) @ self.H_, axis=1)

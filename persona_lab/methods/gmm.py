"""Gaussian mixture: soft memberships, and BIC/AIC to choose k."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture as _SklearnGaussianMixture

from ..errors import PersonaLabError
from ..prepare import Preparation
from .base import SegmentationMethod, check_whole

COVARIANCE_TYPES = ("full", "tied", "diag", "spherical")


class GaussianMixture(SegmentationMethod):
    name = "gmm"
    label = "Gaussian mixture"
    accepts = "numeric"
    has_memberships = True
    criteria = ("bic", "aic", "silhouette", "calinski_harabasz", "davies_bouldin")
    #: The mixture's own parameters, from which predict_proba is rebuilt exactly.
    state_arrays = ("kept_components_", "weights_", "means_", "covariances_", "precisions_cholesky_")
    state_values = ("reg_covar_",)

    def __init__(self, covariance_type="full", n_init=3, max_iter=200, reg_covar=1e-6):
        self.covariance_type = covariance_type
        self.n_init = n_init
        self.max_iter = max_iter
        self.reg_covar = reg_covar

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        if self.covariance_type not in COVARIANCE_TYPES:
            raise PersonaLabError(
                f"Unknown covariance_type {self.covariance_type!r}",
                fix=f"Use one of {', '.join(COVARIANCE_TYPES)} (diag or spherical for many features)",
            )
        for key in ("n_init", "max_iter"):
            check_whole(key, getattr(self, key), 1, fix=f"Use {key}=3")
        if not float(self.reg_covar) >= 0:
            raise PersonaLabError(f"reg_covar must be >= 0, got {self.reg_covar!r}", fix="Use reg_covar=1e-6")

    def _fit(self, X, k, seed, sample_weight):
        # One-hot and collinear columns make a component's covariance singular. Regularising the
        # diagonal more is the usual cure, so retry with a 10x larger reg_covar a few times.
        reg = float(self.reg_covar)
        for attempt in range(5):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)  # said in a note below
                    self.model_ = self._model(k, seed, reg).fit(X)
                break
            except ValueError as error:
                if "ill-defined" not in str(error) or attempt == 4:
                    raise
                reg = max(reg * 10, 1e-4)
        if reg != float(self.reg_covar):
            self.notes_.append(
                f"covariances were singular (one-hot or collinear features); refitted with reg_covar={reg:g}"
            )
        if not self.model_.converged_:
            self.notes_.append(f"the Gaussian mixture did not converge in {self.max_iter} iterations")
        self.reg_covar_ = reg
        m = self.model_
        self.weights_, self.means_, self.covariances_, self.precisions_cholesky_ = (
            m.weights_, m.means_, m.covariances_, m.precisions_cholesky_)
        self.bic_ = float(self.model_.bic(X))
        self.aic_ = float(self.model_.aic(X))
        proba = self.model_.predict_proba(X)
        # A component that wins no row would be a persona of nobody: drop it and renormalise,
        # so that memberships have one column per segment.
        self.kept_components_ = np.unique(proba.argmax(axis=1))
        if self.kept_components_.size < k:
            self.notes_.append(f"{k - self.kept_components_.size} of the {k} mixture components took no rows")
        self.memberships_ = self._memberships(proba)
        self.labels_ = self.memberships_.argmax(axis=1)

    def _model(self, k, seed, reg):
        return _SklearnGaussianMixture(
            n_components=k, covariance_type=self.covariance_type, n_init=int(self.n_init),
            max_iter=int(self.max_iter), reg_covar=reg, random_state=seed,
        )

    def _memberships(self, proba):
        kept = proba[:, self.kept_components_]
        total = kept.sum(axis=1, keepdims=True)
        # Underflow can leave a far-away row with no mass on any kept component; spread it evenly.
        return np.divide(kept, total, out=np.full_like(kept, 1.0 / kept.shape[1]), where=total > 0)

    def _restore(self):
        self.model_ = self._model(self.weights_.size, 0, self.reg_covar_)
        for name in ("weights_", "means_", "covariances_", "precisions_cholesky_"):
            setattr(self.model_, name, getattr(self, name))
        self.model_.n_features_in_ = self.means_.shape[1]

    def _predict_memberships(self, X):
        return self._memberships(self.model_.predict_proba(X))

    def _assign(self, X):
        return self._predict_memberships(X).argmax(axis=1)

    def _misfit(self, X):
        return -self.model_.score_samples(X)

"""Latent class analysis: a mixture of independent categorical items (StepMix), for surveys.

Each class has its own response probabilities per item; a row's memberships are its posterior
class probabilities. Numbers are binned into quantile categories by the default preparation.
Information criteria use the log-likelihood LL and the number of free parameters p:
BIC = -2LL + p ln n, AIC = -2LL + 2p, CAIC = -2LL + p (ln n + 1), SABIC = -2LL + p ln((n + 2) / 24),
and the relative entropy R^2 = 1 - sum(-m ln m) / (n ln k) says how cleanly rows are classified.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from stepmix.stepmix import StepMix

from ..errors import PersonaLabError
from ..prepare import Preparation
from .base import SegmentationMethod, check_whole


class LatentClass(SegmentationMethod):
    name = "lca"
    label = "Latent class analysis"
    accepts = "categorical"
    supports_weights = True
    has_memberships = True
    criteria = ("bic", "aic", "caic", "sabic", "entropy")
    state_arrays = ("levels_", "response_probabilities_", "class_weights_", "classes_")

    def __init__(self, n_init=3, max_iter=1000, tol=1e-6):
        self.n_init = n_init
        self.max_iter = max_iter
        self.tol = tol

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(encode="codes", bins=4)

    def _validate_params(self) -> None:
        for key in ("n_init", "max_iter"):
            check_whole(key, getattr(self, key), 1, fix=f"Use {key}=3")
        if not float(self.tol) > 0:
            raise PersonaLabError(f"tol must be positive, got {self.tol!r}", fix="Use tol=1e-6")

    def _fit(self, X, k, seed, sample_weight):
        if len(self.categorical_index_) != X.shape[1]:
            raise PersonaLabError(
                f"{self.label} models categories, but {X.shape[1] - len(self.categorical_index_)} "
                "prepared column(s) hold plain numbers",
                fix="Use its default preparation (numbers cut into quantile bins), "
                "or choose a Gaussian mixture (gmm) or k-means for numeric data",
            )
        # Codes are compacted per column to the levels seen in training: StepMix counts every
        # code below a column's maximum as a possible answer, so an empty bin would add a free
        # parameter per class, and an unseen code in new data would spill into the next column.
        self.levels_ = [np.unique(column) for column in X.T]
        codes = self._codes(X)
        self.model_ = StepMix(
            n_components=k, measurement="categorical", n_init=int(self.n_init), max_iter=int(self.max_iter),
            abs_tol=float(self.tol), random_state=seed, verbose=0, progress_bar=0,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # said in a note below
            self.model_.fit(codes, sample_weight=sample_weight)
        if not self.model_.converged_:
            self.notes_.append(f"latent class EM did not converge in {self.max_iter} iterations")
        self.class_weights_ = self.model_.get_parameters()["weights"]
        self.response_probabilities_ = self._response_probabilities()
        posterior = self._posterior(codes)
        self._criteria(codes, posterior, sample_weight)
        # A class that is no row's most likely class would be a persona of nobody: drop it.
        self.classes_ = np.unique(posterior.argmax(axis=1))
        if self.classes_.size < k:
            self.notes_.append(f"{k - self.classes_.size} of the {k} latent classes took no rows")
        self.memberships_ = self._memberships(posterior)
        self.labels_ = self.memberships_.argmax(axis=1)

    def _codes(self, X):
        """Compact codes; -1 for a level not seen in training."""
        codes = np.empty(X.shape, dtype=int)
        for j, levels in enumerate(self.levels_):
            at = np.searchsorted(levels, X[:, j]).clip(max=levels.size - 1)
            codes[:, j] = np.where(levels[at] == X[:, j], at, -1)
        return codes

    def _response_probabilities(self):
        """Per column, a classes x levels array of P(level | class)."""
        measurement = self.model_.get_parameters()["measurement"]
        k, width = self.class_weights_.size, measurement["max_n_outcomes"]
        pis = measurement["pis"].reshape(k, len(self.levels_), width)
        return [pis[:, j, : levels.size] for j, levels in enumerate(self.levels_)]

    def _log_joint(self, codes):
        """log P(class, answers) per row and class."""
        # Computed here rather than by StepMix's predict_proba so that an answer never seen in
        # training (-1) is skipped, as a missing answer would be, instead of breaking the encoding.
        log_joint = np.tile(np.log(np.clip(self.class_weights_, 1e-300, None)), (codes.shape[0], 1))
        for j, probs in enumerate(self.response_probabilities_):
            seen = codes[:, j] >= 0
            log_joint[seen] += np.log(np.clip(probs[:, codes[seen, j]].T, 1e-15, 1.0))
        return log_joint

    def _posterior(self, codes):
        log_joint = self._log_joint(codes)
        log_joint -= log_joint.max(axis=1, keepdims=True)
        posterior = np.exp(log_joint)
        return posterior / posterior.sum(axis=1, keepdims=True)

    def _criteria(self, codes, posterior, sample_weight):
        n, k = codes.shape[0], posterior.shape[1]
        # Weights are rescaled to sum to n so that their unit does not change LL or the penalties.
        weight = np.ones(n) if sample_weight is None else sample_weight * n / sample_weight.sum()
        ll = n * float(self.model_.score(codes, sample_weight=weight))
        p = float(self.model_.n_parameters)
        self.log_likelihood_, self.n_parameters_ = ll, p
        self.bic_ = -2 * ll + p * np.log(n)
        self.aic_ = -2 * ll + 2 * p
        self.caic_ = -2 * ll + p * (np.log(n) + 1)
        self.sabic_ = -2 * ll + p * np.log((n + 2) / 24)
        m = np.clip(posterior, 1e-15, 1.0)
        entropy = -float(np.sum(weight[:, None] * m * np.log(m)))
        self.entropy_ = 1 - entropy / (n * np.log(k)) if k > 1 else float("nan")

    def _memberships(self, posterior):
        kept = posterior[:, self.classes_]
        total = kept.sum(axis=1, keepdims=True)
        return np.divide(kept, total, out=np.full_like(kept, 1.0 / kept.shape[1]), where=total > 0)

    def _predict_memberships(self, X):
        return self._memberships(self._posterior(self._codes(X)))

    def _assign(self, X):
        return self._predict_memberships(X).argmax(axis=1)

    def _misfit(self, X):
        # Negative log-likelihood of the answer pattern: an improbable combination of answers.
        log_joint = self._log_joint(self._codes(X))
        top = log_joint.max(axis=1)
        return -(top + np.log(np.exp(log_joint - top[:, None]).sum(axis=1)))

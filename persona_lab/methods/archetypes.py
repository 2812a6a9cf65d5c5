"""Archetypal analysis by PCHA (Morup & Hansen 2012, Neurocomputing 80, 54-63).

Rows are modelled as convex mixtures of k extreme "archetypes", which are themselves convex
mixtures of rows: X ~ S Z with Z = C X, where the rows of S (n x k) and C (k x n) lie on the
simplex. A persona is then a pure type, and a row's memberships say how much of each it is.
With delta > 0 an archetype may reach a little outside the data (C's rows sum to 1 +- delta).

PCHA alternates projected-gradient steps on C and S with an adaptive step size (a step that
raises the error is halved and retried; an accepted one grows by 1.2), starting from archetypes
chosen by FurthestSum. As in the paper, gradients are those of the normalisation-invariant
parametrisation s = v / sum(v) (g - <g, s> for each row), which is why a step is followed by
clipping negatives and rescaling rows to sum 1 rather than by a Euclidean projection.
"""

from __future__ import annotations

import numpy as np

from ..errors import PersonaLabError
from ..prepare import Preparation
from ..seeding import sample_rows
from .base import SegmentationMethod, check_whole

INNER_STEPS = 10  # projected-gradient steps on C, then on S, per outer iteration
FURTHEST_SUM_SWAPS = 10  # extra FurthestSum rounds that replace the arbitrary first point
#: PCHA's cost grows with the rows (measured 75 s at 100,000 x 20 on a busy 2-core machine), so
#: above this the archetypes are found on a seeded sample and every row's memberships solved after.
MAX_FIT_ROWS = 50_000


class Archetypes(SegmentationMethod):
    name = "archetypes"
    label = "Archetypal analysis"
    accepts = "numeric"
    supports_weights = True
    has_memberships = True
    criteria = ("varexpl", "silhouette", "calinski_harabasz", "davies_bouldin")
    state_arrays = ("all_archetypes_", "kept_")

    def __init__(self, max_iter=500, tol=1e-6, delta=0.0, max_fit_rows=MAX_FIT_ROWS):
        self.max_iter = max_iter
        self.tol = tol
        self.delta = delta
        self.max_fit_rows = max_fit_rows

    def default_preparation(self, kind: str) -> Preparation:
        return Preparation(scale="standard", interactions="row")

    def _validate_params(self) -> None:
        check_whole("max_iter", self.max_iter, 1, fix="Use max_iter=500")
        if not float(self.tol) > 0:
            raise PersonaLabError(f"tol must be positive, got {self.tol!r}", fix="Use tol=1e-6")
        check_whole("max_fit_rows", self.max_fit_rows, 2, fix=f"Leave it at {MAX_FIT_ROWS:,}")
        if not 0 <= float(self.delta) < 1:
            raise PersonaLabError(
                f"delta must be in [0, 1), got {self.delta!r}", fix="Use delta=0 (archetypes inside the data)"
            )

    # -- fitting ------------------------------------------------------------------------------

    def _fit(self, X, k, seed, sample_weight):
        full, full_weight = X, sample_weight
        index = sample_rows(X.shape[0], seed, int(self.max_fit_rows))
        self.sample_size_ = None if index is None else int(index.size)
        if index is not None:
            # The archetypes come from a seeded sample; every row's memberships are then solved
            # for them below, exactly as assign() would.
            X = X[index]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[index]
            self.notes_.append(f"archetypes found on a seeded sample of {index.size:,} of {full.shape[0]:,} rows; "
                               "every row's memberships were then solved for them")
        w = np.ones(X.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        start = int(np.random.default_rng(seed).integers(X.shape[0]))
        C = np.zeros((k, X.shape[0]))
        C[np.arange(k), furthest_sum(X, k, start)] = 1.0
        alpha = np.ones(k)
        S = simplex_least_squares(X, C @ X)
        fit = _Problem(X, w)
        sse = fit.sse(S, C @ X)
        steps = {"C": 1.0, "S": 1.0, "alpha": 1.0}
        # Convergence is judged on the explained variance: a change relative to the remaining
        # error would never settle on data an exact model fits (SSE -> 0).
        sst = _sst(X, w)
        self.converged_ = False
        for self.n_iter_ in range(1, int(self.max_iter) + 1):
            C, sse = fit.update_C(S, C, alpha, sse, steps)
            if self.delta > 0:
                alpha, sse = fit.update_alpha(S, C, alpha, sse, steps, float(self.delta))
            S, sse_new = fit.update_S(S, alpha[:, None] * (C @ X), sse, steps)
            change, sse = sse - sse_new, sse_new
            if abs(change) <= float(self.tol) * sst:
                self.converged_ = True
                break
        if not self.converged_:
            self.notes_.append(f"archetypal analysis did not converge in {self.max_iter} iterations")
        self.C_, self.alpha_ = C, alpha
        Z = alpha[:, None] * (C @ X)
        # The S sub-problem for fixed archetypes is convex, so solving it to the optimum makes
        # a row's memberships a function of the archetypes alone: assign() repeats it exactly.
        if index is not None:
            X = full
            w = np.ones(X.shape[0]) if full_weight is None else np.asarray(full_weight, dtype=float)
            fit, sst = _Problem(X, w), _sst(X, w)
        S = simplex_least_squares(X, Z)
        self.sse_ = fit.sse(S, Z)
        self.varexpl_ = 1.0 - self.sse_ / sst
        self.all_archetypes_ = Z
        # An archetype that is no row's main type would be a persona of nobody: drop it.
        self.kept_ = np.unique(S.argmax(axis=1))
        if self.kept_.size < k:
            self.notes_.append(f"{k - self.kept_.size} of the {k} archetypes were no row's main type")
        self.archetypes_ = Z[self.kept_]
        self.memberships_ = _renormalise(S[:, self.kept_])
        self.labels_ = self.memberships_.argmax(axis=1)

    # -- new rows ----------------------------------------------------------------------------

    def _assign(self, X):
        S = simplex_least_squares(X, self.all_archetypes_)
        return _renormalise(S[:, self.kept_]).argmax(axis=1)

    def _predict_memberships(self, X):
        return self.transform(X)

    def _misfit(self, X):
        # Distance from the archetypes' convex hull: a row no mix of pure types comes near.
        return np.linalg.norm(X - simplex_least_squares(X, self.all_archetypes_) @ self.all_archetypes_, axis=1)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Memberships of new rows over the kept archetypes."""
        return _renormalise(simplex_least_squares(np.asarray(X, dtype=float), self.all_archetypes_)[:, self.kept_])


class _Problem:
    """The weighted PCHA objective SSE = sum_i w_i |x_i - s_i Z|^2 and its three updates.

    Losses are evaluated from k x k and k x d summaries (expanding the square) rather than the
    n x d residual, so that each trial step of a line search is cheap. Gradients are divided by
    the mean squared row norm so that step sizes do not depend on the data's units.
    """

    def __init__(self, X, w):
        self.X, self.w = X, w
        self.wxx = float(np.sum(w * np.einsum("ij,ij->i", X, X)))
        self.unit = max(self.wxx / max(w.sum(), 1e-300), 1e-300)

    def sse(self, S, Z) -> float:
        R = self.X - S @ Z
        return float(np.sum(self.w * np.einsum("ij,ij->i", R, R)))

    def _sse_given_S(self, Z, StWS, StWX) -> float:
        return max(self.wxx - 2 * float(np.sum(Z * StWX)) + float(np.sum((Z @ Z.T) * StWS)), 0.0)

    def update_S(self, S, Z, sse, steps):
        w = self.w
        ZZt, XZt = Z @ Z.T, self.X @ Z.T

        def loss(S_):
            return max(self.wxx - 2 * float(np.sum(w * np.sum(S_ * XZt, axis=1)))
                       + float(np.sum(w * np.sum((S_ @ ZZt) * S_, axis=1))), 0.0)

        for _ in range(INNER_STEPS):
            grad = w[:, None] * (S @ ZZt - XZt) / self.unit
            grad -= np.sum(grad * S, axis=1, keepdims=True)
            S, sse = _line_search(lambda mu: _to_simplex_rows(S - mu * grad), loss, sse, steps, "S")
        return S, sse

    def update_C(self, S, C, alpha, sse, steps):
        X, w = self.X, self.w
        StWS, StWX = S.T @ (w[:, None] * S), S.T @ (w[:, None] * X)
        scale = self.unit * max(w.sum(), 1e-300)
        for _ in range(INNER_STEPS):
            Z = alpha[:, None] * (C @ X)
            grad = alpha[:, None] * ((StWS @ Z - StWX) @ X.T) / scale
            grad -= np.sum(grad * C, axis=1, keepdims=True)
            C, sse = _line_search(lambda mu: _to_simplex_rows(C - mu * grad),
                                  lambda C_: self._sse_given_S(alpha[:, None] * (C_ @ X), StWS, StWX),
                                  sse, steps, "C")
        return C, sse

    def update_alpha(self, S, C, alpha, sse, steps, delta):
        CX = C @ self.X
        StWS, StWX = S.T @ (self.w[:, None] * S), S.T @ (self.w[:, None] * self.X)
        scale = self.unit * max(self.w.sum(), 1e-300)
        for _ in range(INNER_STEPS):
            grad = np.sum((StWS @ (alpha[:, None] * CX) - StWX) * CX, axis=1) / scale
            alpha, sse = _line_search(lambda mu: np.clip(alpha - mu * grad, 1.0 - delta, 1.0 + delta),
                                      lambda a: self._sse_given_S(a[:, None] * CX, StWS, StWX), sse, steps, "alpha")
        return alpha, sse


# -- the numerical steps ----------------------------------------------------------------------


def furthest_sum(X: np.ndarray, k: int, start: int) -> list[int]:
    """Indices of k rows far from each other: each new row maximises the summed distance to
    the rows chosen so far. The arbitrary first row is then swapped out in extra rounds, each
    dropping the oldest choice and adding the row furthest from the rest."""
    chosen = [start]
    summed = np.linalg.norm(X - X[start], axis=1)
    for round_ in range(1, k + FURTHEST_SUM_SWAPS):
        if round_ >= k:
            dropped = chosen.pop(0)
            summed -= np.linalg.norm(X - X[dropped], axis=1)
        candidates = summed.copy()
        candidates[chosen] = -np.inf
        best = int(np.argmax(candidates))
        chosen.append(best)
        summed += np.linalg.norm(X - X[best], axis=1)
    return chosen


def project_to_simplex(V: np.ndarray) -> np.ndarray:
    """Euclidean projection of each row of V onto the probability simplex (sort-based)."""
    k = V.shape[1]
    U = -np.sort(-V, axis=1)
    excess = np.cumsum(U, axis=1) - 1.0
    ranks = np.arange(1, k + 1)
    support = np.count_nonzero(U - excess / ranks > 0, axis=1)
    theta = excess[np.arange(V.shape[0]), support - 1] / support
    return np.maximum(V - theta[:, None], 0.0)


def simplex_least_squares(X: np.ndarray, Z: np.ndarray, max_iter: int = 3000, tol: float = 1e-10) -> np.ndarray:
    """argmin_S |X - S Z|^2 with S's rows on the simplex, all rows at once by accelerated
    projected gradient (FISTA) with step 1/L, L the largest eigenvalue of Z Z^T."""
    ZZt, XZt = Z @ Z.T, X @ Z.T
    L = max(float(np.linalg.eigvalsh(ZZt)[-1]), 1e-12)
    S = Y = np.full((X.shape[0], Z.shape[0]), 1.0 / Z.shape[0])
    t = 1.0
    for _ in range(max_iter):
        S_next = project_to_simplex(Y - (Y @ ZZt - XZt) / L)
        t_next = (1.0 + np.sqrt(1.0 + 4.0 * t * t)) / 2.0
        Y = S_next + ((t - 1.0) / t_next) * (S_next - S)
        done = np.max(np.abs(S_next - S)) < tol
        S, t = S_next, t_next
        if done:
            break
    return S


def _sst(X, w) -> float:
    """Weighted total sum of squares about the weighted mean (the denominator of varexpl)."""
    centred = X - np.average(X, axis=0, weights=w if w.sum() > 0 else None)
    return max(float(np.sum(w[:, None] * centred**2)), 1e-300)


def _to_simplex_rows(M: np.ndarray) -> np.ndarray:
    """PCHA's repair after a tangent step: clip negatives, rescale each row to sum 1."""
    M = np.maximum(M, 0.0)
    total = M.sum(axis=1, keepdims=True)
    return np.divide(M, total, out=np.full_like(M, 1.0 / M.shape[1]), where=total > 0)


def _line_search(candidate, loss, current, steps, key, max_halvings=50):
    """Take the largest step (from the last accepted size) that does not raise the loss."""
    for _ in range(max_halvings):
        point = candidate(steps[key])
        value = loss(point)
        if value <= current * (1 + 1e-9):
            steps[key] *= 1.2
            return point, value
        steps[key] /= 2.0
    return candidate(0.0), loss(candidate(0.0))


def _renormalise(M: np.ndarray) -> np.ndarray:
    total = M.sum(axis=1, keepdims=True)
    return np.divide(M, total, out=np.full_like(M, 1.0 / M.shape[1]), where=total > 0)

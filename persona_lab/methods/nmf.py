"""Non-negative matrix factorisation, as Automatic Persona Generation uses it.

V (rows x features) ~ W (rows x k) . H (k x features). Each latent behaviour p is a persona.
Because the scale of W and H is arbitrary, memberships are normalised (DESIGN.md):
m[g, p] = W[g, p] |H[p, :]|_1 / sum_q W[g, q] |H[q, :]|_1, and a row's segment is its largest m.

The Kullback-Leibler loss (APG's, on counts) is fitted by our own multiplicative updates (Lee &
Seung 2001), the algorithm scikit-learn's ``solver="mu"`` runs, because the stability analysis of
issue 15 fits NMF thousands of times and scikit-learn's dense updates touch every cell of a matrix
that is mostly zeros. Where the time goes decides the layout:

- APG matrices are sparse (MovieLens-100k as groups x films: 18% of cells non-zero), and the KL
  updates need W @ H only where V is non-zero: sum_ij WH_ij = |W|_col . |H|_row gives the rest.
  Compiled loops over the non-zero cells do each half-update in one pass, with no dense
  temporaries; above 30% density NumPy's dense products are faster and run instead (the bundled
  sample is 92% dense). Both compute the same updates.
- The loss is checked every ``CHECK_EVERY`` iterations, and fitting stops when it fell by less
  than ``tol`` times itself since the last check. (scikit-learn divides the fall of sqrt(2 D) by
  its value at the start instead, which makes its tol 1e-4 about as loose as 1e-3 here.) A seed
  draws the same starts as scikit-learn's solver, and at tol 1e-3 the fitted loss is 0.01-3%
  below its loss with the same partitions, or partitions that differ from it less than two of its
  own seeds differ (benchmarks/results/nmf_speed.md).
- Warm starts: ``fit(..., init_H=H)`` (and optionally ``init_W``) starts from given factors, so
  that a resample can start from the full-data solution restricted to its rows. Measured on
  bootstrap resamples they save less than a third of a 1-start fit: the updates' slow tail, not
  the start, sets the number of iterations.

``solver="sklearn"`` keeps scikit-learn's solver (the previous behaviour) for comparison; the
Frobenius loss always uses scikit-learn's coordinate descent.
"""

from __future__ import annotations

import functools
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse
from numba import njit
from sklearn.decomposition import NMF as _SklearnNMF
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.extmath import randomized_svd

from ..errors import PersonaLabError
from ..prepare import Preparation
from ..seeding import child_seeds
from .base import SegmentationMethod, check_whole

#: scikit-learn's floor for W @ H in the ratio V / WH (and for the update denominators).
EPSILON = float(np.finfo(np.float32).eps)
#: Iterations between two evaluations of the loss (the stopping test).
CHECK_EVERY = 10
#: Factor entries that fall below this are set to 0. Multiplicative updates drive most entries
#: of H towards 0 at high k (two thirds of them below 1e-200 after 300 iterations at k = 100 on
#: 168 x 1,682), into the subnormal range, where x86 arithmetic (on the numbers and on products
#: that underflow) is about 100 times slower: an iteration took 10 ms instead of 4, and the k = 100
#: fit twice the time. Such an entry adds less than 1e-190 of a count to any cell; measured on that
#: matrix (k = 20, 100) and the bundled sample (k = 9, 50, 100), every other entry of the chosen
#: factors and the loss are the same to the last bit. (At 1e-150 one k = 100 start took another
#: path, 0.015% higher; at 1e-300, products of two small entries still underflowed, 30% slower.)
FLOOR = 1e-200
#: Above this share of non-zero cells, dense BLAS products beat the compiled sparse passes. Measured
#: with one thread: a sparse pass costs about 10 ns per non-zero cell and component-loop, a dense
#: iteration about 3-4 ns per cell at k <= 8 (112 x 200 at 92% density: 0.07 ms dense, 0.2 ms
#: sparse; 168 x 1,682 at 18%: 1.1 ms dense, 0.5 ms sparse, and still 5.5 against 4.1 ms at k = 100).
DENSE_ABOVE = 0.3
#: Transform (W for new rows, H fixed) is a convex problem, solved to a tighter tolerance than
#: the fit. Tighter still buys nothing: at 1e-4 the labels of 168 x 1,682 groups differ from the
#: fully converged ones in at most 1 group at k = 8 (the fit's own labels in 2), at 2.5x less
#: time than 1e-6; the stability analysis assigns every row after each resample fit.
TRANSFORM_TOL = 1e-4
TRANSFORM_MAX_ITER = 2000
#: A resample fit's assignment of every row (bootstrap ARI) and of the other half (prediction
#: strength) stops earlier: on the generated 168 x 1,682 APG matrix and its independence model, 18
#: bootstrap fits at k = 3, 5, 8 each, the labels differed from fully converged ones in 0 and 26
#: of 3,024 rows (7 at 1e-4), at 40% fewer iterations; the APG default analysis of
#: benchmarks/apg_speed.py took 117.4 s instead of 122.1 s, with the same answer. The data and the
#: reference sets are assigned alike.
RESAMPLE_TRANSFORM_TOL = 1e-3
#: Iterations of W alone (H fixed) that make a W for a warm start given only H.
WARM_W_ITER = 20

FAST = {"reassoc", "contract", "arcp", "nsz"}


class NMF(SegmentationMethod):
    name = "nmf"
    label = "NMF"
    accepts = "nonnegative"
    has_memberships = True
    criteria = ("reconstruction_error", "silhouette", "calinski_harabasz", "davies_bouldin")
    state_arrays = ("H_",)

    def __init__(self, loss="kullback-leibler", init="nndsvda", n_restarts=4, max_iter=500, tol=1e-3, solver="mu",
                 resample_tol=3e-3, transform_tol=TRANSFORM_TOL, resample_transform_tol=RESAMPLE_TRANSFORM_TOL):
        self.loss = loss
        self.init = init
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.solver = solver
        self.resample_tol = resample_tol
        self.transform_tol = transform_tol
        self.resample_transform_tol = resample_transform_tol

    def default_preparation(self, kind: str) -> Preparation:
        # APG factorises the raw counts; a table is min-max scaled into [0, 1] (one-hot is 0/1).
        if kind == "interactions":
            return Preparation(interactions="counts")
        return Preparation(scale="minmax")

    def resample_params(self) -> dict:
        """A resample fit runs from the NNDSVDa start alone (``starts`` of the stability analysis
        can ask for more) and stops at a relative fall of ``resample_tol``: the stability analysis
        of an APG matrix makes thousands of fits (its null band most of them), and on the
        generated 168 x 1,682 matrix that fit had the loss and the partition of the 4-restart,
        tol 1e-3 fit at k = 5, 7.8x faster (benchmarks/results/nmf_speed.md). The data's
        resamples and the reference sets are fitted alike, so the comparison stays fair; the
        full-data fits keep the method's own settings. Their new rows are assigned to
        ``resample_transform_tol`` (:data:`RESAMPLE_TRANSFORM_TOL`)."""
        return {"n_restarts": 1, "tol": float(self.resample_tol), "transform_tol": float(self.resample_transform_tol)}

    def _validate_params(self) -> None:
        if self.loss not in ("kullback-leibler", "frobenius"):
            raise PersonaLabError(f"Unknown NMF loss {self.loss!r}", fix="Use kullback-leibler or frobenius")
        if self.init not in ("nndsvda", "random"):
            raise PersonaLabError(f"Unknown NMF initialisation {self.init!r}", fix="Use nndsvda or random")
        if self.solver not in ("mu", "sklearn"):
            raise PersonaLabError(f"Unknown NMF solver {self.solver!r}", fix="Use mu or sklearn")
        if not float(self.resample_tol) > 0:
            raise PersonaLabError(f"resample_tol must be positive, got {self.resample_tol}", fix="Use e.g. 3e-3")
        for name, usual in (("transform_tol", "1e-4"), ("resample_transform_tol", "1e-3")):
            if not float(getattr(self, name)) > 0:
                raise PersonaLabError(f"{name} must be positive, got {getattr(self, name)}", fix=f"Use e.g. {usual}")
        if int(self.n_restarts) < 1:
            raise PersonaLabError("n_restarts must be at least 1", fix="Use n_restarts=1 or more")
        check_whole("max_iter", self.max_iter, 1, fix="Use max_iter=500")
        if not float(self.tol) >= 0:
            raise PersonaLabError(f"tol must be a number >= 0, got {self.tol!r}", fix="Use tol=1e-3")

    @property
    def _own_solver(self) -> bool:
        return self.solver == "mu" and self.loss == "kullback-leibler"

    # -- fitting --------------------------------------------------------------------------------

    def fit(self, prepared, k=None, seed=0, *, init_W=None, init_H=None, n_jobs=1):
        """As every method's fit; ``init_H`` (k x features), and optionally ``init_W`` (rows x k),
        make the first start a warm start from these factors instead of ``init``. Without
        ``init_W``, W is solved for with H fixed. The other ``n_restarts - 1`` starts stay random,
        so ``n_restarts=1`` gives a single warm-started fit."""
        if init_W is not None and init_H is None:
            raise PersonaLabError("A warm start needs init_H; init_W alone is not enough", fix="Give init_H too")
        self._warm = None
        if init_H is not None:
            H = np.asarray(init_H, dtype=float)
            if k is None:
                k = H.shape[0]
            if H.shape != (int(k), prepared.X.shape[1]) or (H < 0).any() or not np.isfinite(H).all():
                raise PersonaLabError(
                    f"init_H must be a non-negative {int(k)} x {prepared.X.shape[1]} matrix, got shape {H.shape}",
                    fix="Pass the H_ of a fit on the same features with the same k",
                )
            W = None
            if init_W is not None:
                W = np.asarray(init_W, dtype=float)
                if W.shape != (prepared.X.shape[0], int(k)) or (W < 0).any() or not np.isfinite(W).all():
                    raise PersonaLabError(
                        f"init_W must be a non-negative {prepared.X.shape[0]} x {int(k)} matrix, got shape {W.shape}",
                        fix="Pass the W_ rows of the rows being fitted",
                    )
            if self.solver == "sklearn" or self.loss != "kullback-leibler":
                raise PersonaLabError("Warm starts need the mu solver and the kullback-leibler loss",
                                      fix="Use solver='mu' with loss='kullback-leibler'")
            self._warm = (W, H)
        try:
            return super().fit(prepared, k, seed, n_jobs=n_jobs)
        finally:
            del self._warm

    def _fit(self, X, k, seed, sample_weight):
        if not self._own_solver:
            return self._fit_sklearn(X, k, seed)
        data = _Data(X)
        warm = getattr(self, "_warm", None)
        # nndsvda is deterministic, so only its first restart uses it; the rest start at random
        # so that restarts explore different optima.
        # nndsvda (an SVD) cannot give more components than min(rows, features).
        first = self.init if k <= min(X.shape) else "random"
        inits = ["warm" if warm else first] + ["random"] * (int(self.n_restarts) - 1)

        def start(init, child):
            if init == "warm":
                W, H = warm
                # A rough W for the given H is enough: the joint updates refine both.
                W = _solve_w(data, H, TRANSFORM_TOL, WARM_W_ITER) if W is None else W
            else:
                W, H = initial_factors(X, k, init, child, sparse=None if data.dense_for(k) else data.csr)
            return kl_nmf(data, W, H, int(self.max_iter), float(self.tol))

        seeds = child_seeds(seed, len(inits))
        threads = min(self._n_jobs, len(inits))
        if threads > 1:
            # The compiled updates release the GIL (nogil) and the dense path's BLAS runs one
            # thread each: starts run side by side. Each start has its own child seed, and the
            # best is picked in start order, so the result does not depend on the threads.
            with ThreadPoolExecutor(threads) as pool:
                fits = list(pool.map(start, inits, seeds))
        else:
            fits = [start(init, child) for init, child in zip(inits, seeds)]
        best = min(fits, key=lambda fit: fit[2])  # the first of equal losses, as before
        self.W_, self.H_, loss, self.n_iter_ = best
        # On scikit-learn's scale (sqrt(2 D)), which the criteria and earlier results use.
        self.reconstruction_err_ = float(np.sqrt(2.0 * max(loss, 0.0)))
        self.memberships_ = self._memberships(self.W_)
        self.labels_ = self.memberships_.argmax(axis=1)

    def _fit_sklearn(self, X, k, seed):
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
        self.n_iter_ = int(self.model_.n_iter_)
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

    def _segment_count(self) -> int:
        # Every factor is a persona, also one that is no row's strongest: it still holds a share
        # of many rows' activity, and a new row can match it (issue 17: k = 9 on the sample gave
        # 7 personas whose shares summed to 0.93).
        return int(self.W_.shape[1])

    def _memberships(self, W: np.ndarray) -> np.ndarray:
        mass = W * self.H_.sum(axis=1)[None, :]
        total = mass.sum(axis=1, keepdims=True)
        k = W.shape[1]
        # A row with no activity at all belongs to nobody in particular: spread it evenly.
        return np.divide(mass, total, out=np.full_like(mass, 1.0 / k), where=total > 0)

    # -- new rows -------------------------------------------------------------------------------

    def _restore(self):
        if self._own_solver:
            return
        # transform() solves for W with H fixed; it reads only H and the solver's settings.
        self.model_ = self._model(self.H_.shape[0], self.init, self.seed_)
        self.model_.components_ = self.H_
        self.model_.n_components_ = self.H_.shape[0]
        self.model_.n_features_in_ = self.H_.shape[1]

    def _transform(self, X):
        """W for new rows, H fixed."""
        X = np.clip(X, 0, None)
        if self._own_solver:
            return _solve_w(_Data(X), np.asarray(self.H_, dtype=float), float(self.transform_tol), TRANSFORM_MAX_ITER)
        # An all-zero row makes scikit-learn's stopping test divide 0 by 0 (its W is 0 either way).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
            return self.model_.transform(X)

    def _predict_memberships(self, X):
        return self._memberships(self._transform(X))

    def _assign(self, X):
        return self._predict_memberships(X).argmax(axis=1)

    def _misfit(self, X):
        # Euclidean reconstruction error: a row no mix of the latent behaviours rebuilds.
        return np.linalg.norm(np.clip(X, 0, None) - self._transform(X) @ self.H_, axis=1)


# -- the solver -------------------------------------------------------------------------------------


class _Data:
    """V once, in the forms the updates read: dense, and its non-zero cells row by row (CSR)."""

    def __init__(self, X: np.ndarray):
        self.X = np.ascontiguousarray(X, dtype=np.float64)
        # One compiled pass instead of np.nonzero and fancy indexing (3 ms -> 0.3 ms at 168 x
        # 1,682): every fit and every assign builds this.
        self.indptr, self.indices, self.values, self.xlogx = _to_csr(self.X)
        self.total = float(self.values.sum())

    @functools.cached_property
    def flat(self) -> np.ndarray:
        """Flat positions of the non-zero cells, for the dense path's loss."""
        rows = np.repeat(np.arange(self.X.shape[0]), np.diff(self.indptr))
        return rows * self.X.shape[1] + self.indices

    @functools.cached_property
    def csr(self):
        # nndsvda's randomized SVD runs its products on the sparse form: a third faster.
        return scipy.sparse.csr_matrix((self.values, self.indices, self.indptr), shape=self.X.shape)

    @property
    def density(self) -> float:
        return self.values.size / max(self.X.size, 1)

    def dense_for(self, k: int) -> bool:
        return self.density > DENSE_ABOVE


def initial_factors(X: np.ndarray, k: int, init: str, seed: int, sparse=None) -> tuple[np.ndarray, np.ndarray]:
    """Starting W and H as scikit-learn makes them (its ``_initialize_nmf``), from ``seed``.

    "random": |N(0, 1)| scaled by sqrt(mean(V) / k), so that W @ H starts at V's mean level.
    "nndsvda": Boutsidis & Gallopoulos' (2008) non-negative double SVD, zeros filled with mean(V)
    (zeros would stay zeros under multiplicative updates). ``sparse``: X as a scipy matrix, for
    a faster SVD (the same factors up to rounding).
    """
    n, m = X.shape
    mean = float(X.mean())
    if init == "random":
        # scikit-learn's stream (legacy RandomState, H drawn before W): the same seed gives the
        # same start as the scikit-learn solver, so the two solvers' results can be compared
        # start for start (restarts land in different local optima, and which ones is luck).
        rng = np.random.RandomState(seed)
        scale = np.sqrt(mean / k)
        H = scale * np.abs(rng.standard_normal((k, m)))
        return scale * np.abs(rng.standard_normal((n, k))), H
    U, S, Vt = leading_svd(X, k, seed, sparse)
    W, H = np.zeros((n, k)), np.zeros((k, m))
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(S[0]) * np.abs(Vt[0])
    for j in range(1, k):
        x, y = U[:, j], Vt[j]
        xp, yp = np.maximum(x, 0), np.maximum(y, 0)
        xn, yn = np.abs(np.minimum(x, 0)), np.abs(np.minimum(y, 0))
        xp_norm, yp_norm, xn_norm, yn_norm = (np.linalg.norm(v) for v in (xp, yp, xn, yn))
        # Of the singular pair's positive and negative parts, the one with more mass leads.
        if xp_norm * yp_norm > xn_norm * yn_norm:
            u, v, sigma = xp / xp_norm, yp / yp_norm, xp_norm * yp_norm
        else:
            u, v, sigma = xn / xn_norm, yn / yn_norm, xn_norm * yn_norm
        scale = np.sqrt(S[j] * sigma)
        W[:, j], H[j] = scale * u, scale * v
    W[W < 1e-6] = 0
    H[H < 1e-6] = 0
    W[W == 0] = mean
    H[H == 0] = mean
    return W, H


#: Up to this many rows or columns the leading singular vectors come exactly from the smaller Gram
#: matrix: on 112 x 200 the randomized SVD (its validation, QR and LU passes) was two thirds of a
#: resample fit.
GRAM_SVD_UP_TO = 2000


def leading_svd(X: np.ndarray, k: int, seed: int, sparse=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` leading singular triplets of X (U, S, Vt). Exact, from the eigenvectors of the
    smaller of X X^T and X^T X, when that side is at most :data:`GRAM_SVD_UP_TO`; else
    scikit-learn's randomized SVD. Signs may differ from another SVD's; NNDSVD does not read them
    (it keeps whichever of a pair's positive and negative parts has more mass)."""
    n, m = X.shape
    if min(n, m) > GRAM_SVD_UP_TO:
        return randomized_svd(X if sparse is None else sparse, k, random_state=seed)
    rows = n <= m  # dense BLAS: scipy's sparse product cost more than it saved here
    gram = X @ X.T if rows else X.T @ X
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:k]
    S = np.sqrt(np.maximum(values[top], 0.0))
    vectors = vectors[:, top]
    other = X.T @ vectors if rows else X @ vectors  # X^T U = V S, or X V = U S
    other = np.divide(other, S, out=np.zeros_like(other), where=S > 0)
    return (vectors, S, other.T) if rows else (other, S, vectors.T)


def kl_nmf(data: "_Data | np.ndarray", W: np.ndarray, H: np.ndarray, max_iter: int = 500, tol: float = 1e-4):
    """Multiplicative updates for min D_KL(V || W H) from W, H (updated copies are returned).

    Returns ``(W, H, loss, n_iter)``; ``loss`` is the generalised KL divergence of the returned
    factors. Stops after ``max_iter`` iterations, or at a check (every ``CHECK_EVERY``) where the
    loss fell by less than ``tol`` times itself since the previous check.
    """
    data = data if isinstance(data, _Data) else _Data(data)
    W = np.array(W, dtype=np.float64, order="C")
    HT = np.array(np.asarray(H, dtype=np.float64).T, order="C")  # items x k: one item's row is contiguous
    k = W.shape[1]
    if data.dense_for(k):
        return _kl_dense(data, W, np.ascontiguousarray(HT.T), max_iter, tol)
    return _kl_sparse(data, W, HT, max_iter, tol)


def _kl_sparse(data: _Data, W, HT, max_iter, tol, fixed_h: bool = False):
    """Multiplicative updates over the non-zero cells (of W alone with ``fixed_h``: new rows'
    memberships); H is carried transposed, items x k."""
    scratch = np.zeros_like(HT)
    previous = np.inf
    n_iter = 0
    while n_iter < max_iter:
        # The W pass measures the loss of the current factors on the way (only when asked).
        check = n_iter % CHECK_EVERY == 0
        if check or fixed_h:
            mass = float(W.sum(axis=0) @ HT.sum(axis=0)) if check else 0.0  # sum of W H before the update
            fit = _w_pass(data.indptr, data.indices, data.values, W, HT, EPSILON, check)
            if check:
                loss = data.xlogx - fit - data.total + mass
                if previous - loss < tol * abs(loss):
                    break
                previous = loss
            if not fixed_h:
                _h_pass(data.indptr, data.indices, data.values, W, HT, scratch, EPSILON)
        else:
            # Both halves in one sweep: the same arithmetic in the same order as the two passes
            # (the same factors to the last bit), 13% less time at k = 100, as a row's H rows are
            # read again while still in cache.
            _wh_pass(data.indptr, data.indices, data.values, W, HT, scratch, EPSILON)
        n_iter += 1
    loss = _kl_sparse_loss(data, W, HT)
    return W, np.ascontiguousarray(HT.T), loss, n_iter


def _kl_dense(data: _Data, W, H, max_iter, tol, fixed_h: bool = False):
    """Dense multiplicative updates of W and H (of W alone with ``fixed_h``: new rows' memberships)."""
    X = data.X
    R = np.empty_like(X)
    previous = np.inf
    n_iter = 0
    while n_iter < max_iter:
        np.matmul(W, H, out=R)
        np.maximum(R, EPSILON, out=R)
        if n_iter % CHECK_EVERY == 0:
            loss = _kl_dense_loss(data, R, W, H)
            if previous - loss < tol * abs(loss):
                break
            previous = loss
        np.divide(X, R, out=R)
        W *= (R @ H.T) / np.maximum(H.sum(axis=1), EPSILON)
        W[W < FLOOR] = 0.0
        n_iter += 1
        if fixed_h:
            continue
        np.matmul(W, H, out=R)
        np.maximum(R, EPSILON, out=R)
        np.divide(X, R, out=R)
        H *= (W.T @ R) / np.maximum(W.sum(axis=0), EPSILON)[:, None]
        H[H < FLOOR] = 0.0
    np.matmul(W, H, out=R)
    np.maximum(R, EPSILON, out=R)
    return W, H, _kl_dense_loss(data, R, W, H), n_iter


def _kl_dense_loss(data: _Data, WH: np.ndarray, W: np.ndarray, H: np.ndarray) -> float:
    """The loss from WH floored at EPSILON; sum(WH) from the factors, unfloored, as the sparse
    path and scikit-learn compute it (the floor only guards the logarithm)."""
    mass = float(W.sum(axis=0) @ H.sum(axis=1))
    return data.xlogx - float(np.dot(data.values, np.log(WH.ravel()[data.flat]))) - data.total + mass


def _kl_sparse_loss(data: _Data, W, HT) -> float:
    fit = _w_pass(data.indptr, data.indices, data.values, W.copy(), HT, EPSILON, True)
    return data.xlogx - fit - data.total + float(W.sum(axis=0) @ HT.sum(axis=0))


def _solve_w(data: _Data, H: np.ndarray, tol: float, max_iter: int) -> np.ndarray:
    """W minimising D_KL(V || W H) for H fixed (convex in W), from a flat start as scikit-learn's
    transform."""
    n, k = data.X.shape[0], H.shape[0]
    W = np.full((n, k), np.sqrt(max(data.X.mean(), EPSILON) / k))
    HT = np.ascontiguousarray(H.T)
    if data.dense_for(k):
        return _kl_dense(data, W, H, max_iter, tol, fixed_h=True)[0]
    return _kl_sparse(data, W, HT, max_iter, tol, fixed_h=True)[0]


@njit(cache=True, nogil=True)
def _to_csr(X):
    """(indptr, indices, values, sum of v log v) of X's non-zero cells, row by row."""
    n, m = X.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        count = 0
        for j in range(m):
            if X[i, j] != 0.0:
                count += 1
        indptr[i + 1] = indptr[i] + count
    indices = np.empty(indptr[n], dtype=np.int64)
    values = np.empty(indptr[n])
    xlogx = 0.0
    p = 0
    for i in range(n):
        for j in range(m):
            v = X[i, j]
            if v != 0.0:
                indices[p] = j
                values[p] = v
                xlogx += v * np.log(v)
                p += 1
    return indptr, indices, values, xlogx


# The pieces of a multiplicative update, inlined into each pass so that the fused pass does
# the same arithmetic in the same order as the two it fuses.


@njit(inline="always", nogil=True, fastmath=FAST)
def _column_sums(M, eps):
    """The sums of M's columns, at least ``eps`` (the updates' denominators)."""
    k = M.shape[1]
    sums = np.empty(k)
    for q in range(k):
        sums[q] = 0.0
    for r in range(M.shape[0]):
        for q in range(k):
            sums[q] += M[r, q]
    for q in range(k):
        sums[q] = max(sums[q], eps)
    return sums


@njit(inline="always", nogil=True, fastmath=FAST)
def _w_row(indptr, indices, values, W, HT, i, hsum, numerator, eps, measure, fit):
    """Row i of W updated in place (``numerator``: k scratch); ``fit`` plus the row's sum of
    V log WH before the update when ``measure``."""
    k = W.shape[1]
    for q in range(k):
        numerator[q] = 0.0
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        wh = 0.0
        for q in range(k):
            wh += W[i, q] * HT[j, q]
        wh = max(wh, eps)
        if measure:
            fit += values[p] * np.log(wh)
        ratio = values[p] / wh
        for q in range(k):
            numerator[q] += ratio * HT[j, q]
    for q in range(k):
        w = W[i, q] * (numerator[q] / hsum[q])
        W[i, q] = w if w >= FLOOR else 0.0
    return fit


@njit(inline="always", nogil=True, fastmath=FAST)
def _h_numerator_of_row(indptr, indices, values, W, HT, i, numerator, eps):
    """Row i's cells' share of H's numerator W^T (V / WH), added into ``numerator``."""
    k = W.shape[1]
    for p in range(indptr[i], indptr[i + 1]):
        j = indices[p]
        wh = 0.0
        for q in range(k):
            wh += W[i, q] * HT[j, q]
        ratio = values[p] / max(wh, eps)
        for q in range(k):
            numerator[j, q] += ratio * W[i, q]


@njit(inline="always", nogil=True, fastmath=FAST)
def _scale_h(HT, numerator, wsum):
    for j in range(HT.shape[0]):
        for q in range(HT.shape[1]):
            h = HT[j, q] * (numerator[j, q] / wsum[q])
            HT[j, q] = h if h >= FLOOR else 0.0


@njit(cache=True, nogil=True, fastmath=FAST)
def _w_pass(indptr, indices, values, W, HT, eps, measure):
    """W <- W * ((V / WH) H^T) / rowsums(H), one row at a time (a row's update reads only its
    own W row). Returns sum over non-zero cells of V log WH before the update when ``measure``."""
    hsum = _column_sums(HT, eps)
    numerator = np.empty(W.shape[1])
    fit = 0.0
    for i in range(W.shape[0]):
        fit = _w_row(indptr, indices, values, W, HT, i, hsum, numerator, eps, measure, fit)
    return fit


@njit(cache=True, nogil=True, fastmath=FAST)
def _wh_pass(indptr, indices, values, W, HT, numerator, eps):
    """:func:`_w_pass` then :func:`_h_pass` in one sweep over the rows: once row i of W is
    updated (it reads only row i), its cells' share of H's numerator is added with the new row."""
    hsum = _column_sums(HT, eps)
    row_numerator = np.empty(W.shape[1])
    numerator[:, :] = 0.0
    for i in range(W.shape[0]):
        _w_row(indptr, indices, values, W, HT, i, hsum, row_numerator, eps, False, 0.0)
        _h_numerator_of_row(indptr, indices, values, W, HT, i, numerator, eps)
    _scale_h(HT, numerator, _column_sums(W, eps))


@njit(cache=True, nogil=True, fastmath=FAST)
def _h_pass(indptr, indices, values, W, HT, numerator, eps):
    """H <- H * (W^T (V / WH)) / colsums(W), with H stored transposed (items x k)."""
    wsum = _column_sums(W, eps)
    numerator[:, :] = 0.0
    for i in range(W.shape[0]):
        _h_numerator_of_row(indptr, indices, values, W, HT, i, numerator, eps)
    _scale_h(HT, numerator, wsum)

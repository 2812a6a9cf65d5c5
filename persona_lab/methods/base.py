"""The method protocol: one small estimator class per segmentation method.

In the manner of scikit-learn: keyword parameters are stored unchanged in ``__init__``, validated
in :meth:`SegmentationMethod.fit`, and fitted attributes end in ``_``. A subclass fills in a few
hooks (``_fit``, ``_assign``, ``default_preparation``) and inherits validation, seeding, thread
limits and cloning.

Fitted attributes every method sets:
- ``labels_``: one int per row, ``0..n_segments_-1``, and :data:`UNASSIGNED` (-1) for rows the
  method leaves out (HDBSCAN's noise), which become the "unassigned" group, never a persona;
- ``memberships_``: rows x segments soft memberships summing to 1, or None for hard methods;
- ``n_segments_`` (NMF: one per factor, also a factor that is no row's strongest, since it still
  holds a share of the rows' activity), ``seed_`` and ``notes_`` (sentences for the user, e.g. "k was ignored");
- ``categorical_index_``: the columns of X that hold category codes (set before ``_fit``, for
  methods that model categories: LCA, k-prototypes).
"""

from __future__ import annotations

import functools
import inspect
from typing import ClassVar

import numpy as np
from threadpoolctl import ThreadpoolController

from ..errors import PersonaLabError
from ..prepare import Preparation, Prepared

UNASSIGNED = -1



@functools.cache
def _threads() -> ThreadpoolController:
    """The BLAS/OpenMP libraries of this process, found once: the scan takes milliseconds and
    resampling makes thousands of fits. Made at the first fit, when scikit-learn's OpenMP is
    already loaded."""
    return ThreadpoolController()

#: What a method can fit: any real numbers, non-negative numbers only, or categories.
ACCEPTS = ("numeric", "nonnegative", "categorical", "mixed")


class SegmentationMethod:
    name: ClassVar[str] = ""
    label: ClassVar[str] = ""  # human name for the app
    accepts: ClassVar[str] = "numeric"
    k_is_output: ClassVar[bool] = False
    supports_weights: ClassVar[bool] = False
    has_memberships: ClassVar[bool] = False
    #: Names of the criteria of k that mean something for this method (assess.criteria).
    criteria: ClassVar[tuple[str, ...]] = ()

    # -- parameters (scikit-learn's convention: introspected from __init__) ------------------

    @classmethod
    @functools.cache
    def _param_names(cls) -> tuple[str, ...]:
        # Cached: resampling clones a method for every fit, and reading a signature is slow.
        signature = inspect.signature(cls.__init__)
        return tuple(p for p in signature.parameters if p != "self")

    def get_params(self) -> dict:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "SegmentationMethod":
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise PersonaLabError(
                    f"Method {self.name!r} has no parameter {key!r}",
                    fix=f"Its parameters are: {', '.join(valid) or 'none'}",
                )
            setattr(self, key, value)
        return self

    def clone(self) -> "SegmentationMethod":
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- the protocol -------------------------------------------------------------------------

    @classmethod
    def requested_k(cls, k: int | None) -> int | None:
        """The k to ask a fit for: None when the method finds k itself (its k is an output),
        else ``k`` as an int. The one place that decides whether k is an input."""
        return None if cls.k_is_output or k is None else int(k)

    def default_preparation(self, kind: str) -> Preparation:
        """The preparation under which this method runs on a table of ``kind``."""
        return Preparation()

    def resample_params(self) -> dict:
        """Parameters that resample fits (stability, the null band) use instead of this method's:
        none by default, so that stability measures the researcher's own procedure."""
        return {}

    def fit(self, prepared: Prepared, k: int | None = None, seed: int = 0, *, n_jobs: int = 1) -> "SegmentationMethod":
        """Fit to ``prepared``. ``n_jobs``: threads a method may use for independent parts of one
        fit (NMF's random starts); the result does not depend on it. Resampling keeps 1: it runs
        fits in parallel itself."""
        self._validate_params()
        check_whole("n_jobs", n_jobs, 1, fix="Use n_jobs=1 or more")
        self._n_jobs = int(n_jobs)
        self._check_data(prepared)
        self.notes_: list[str] = []
        if self.k_is_output:
            if k is not None:
                self.notes_.append(f"{self.label} finds the number of segments itself; k={k} was ignored")
            k = None
        else:
            k = self._check_k(prepared, k)
        self.categorical_index_ = list(prepared.categorical_index)
        weight = prepared.sample_weight if self.supports_weights else None
        if prepared.sample_weight is not None and not self.supports_weights:
            self.notes_.append(f"{self.label} cannot use row weights in fitting; sizes and shares still use them")
        # BLAS/OpenMP threads would fight the process-level parallelism of resampling.
        with _threads().limit(limits=1):
            self._fit(prepared.X, k, int(seed), weight)
        self.seed_ = int(seed)
        self.n_segments_ = self._segment_count()
        return self

    def assign(self, X: np.ndarray) -> np.ndarray:
        """Labels for new rows prepared the same way as the training rows."""
        self._check_fitted()
        X = np.asarray(X, dtype=float)
        with _threads().limit(limits=1):
            return self._assign(X)

    def predict_memberships(self, X: np.ndarray) -> np.ndarray | None:
        """Soft memberships (rows x segments) of new rows, or None for a hard method."""
        self._check_fitted()
        if not self.has_memberships:
            return None
        with _threads().limit(limits=1):
            return self._predict_memberships(np.asarray(X, dtype=float))

    def misfit(self, X: np.ndarray) -> np.ndarray:
        """How badly each new row fits its best segment (larger is worse; the unit is the
        method's own: a distance, a cost or a negative log-likelihood). Rows are flagged as
        fitting no persona when this exceeds a high quantile of :meth:`training_misfit`."""
        self._check_fitted()
        with _threads().limit(limits=1):
            return self._misfit(np.asarray(X, dtype=float))

    def training_misfit(self, X: np.ndarray) -> np.ndarray:
        """:meth:`misfit` of the training rows, the reference for flagging new rows."""
        return self.misfit(X)

    # -- fitted state, as plain arrays and JSON values (persona_lab.model_file) ------------------

    #: Fitted attributes assign() needs: saved as arrays (a list of arrays becomes one entry
    #: per item) and as JSON values. Never a pickled scikit-learn object.
    state_arrays: ClassVar[tuple[str, ...]] = ()
    state_values: ClassVar[tuple[str, ...]] = ()
    _COMMON_STATE = ("n_segments_", "seed_", "notes_", "categorical_index_")

    def get_state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """(JSON-able values, arrays) from which :meth:`from_state` rebuilds assign()."""
        self._check_fitted()
        values = {name: _plain(getattr(self, name)) for name in self._COMMON_STATE + self.state_values}
        arrays = {"labels_": np.asarray(self.labels_)}
        for name in self.state_arrays:
            value = getattr(self, name)
            if isinstance(value, list):
                arrays.update({f"{name}{i}": np.asarray(item) for i, item in enumerate(value)})
                values[f"{name}length"] = len(value)
            else:
                arrays[name] = np.asarray(value)
        return values, arrays

    @classmethod
    def from_state(cls, params: dict, values: dict, arrays: dict[str, np.ndarray]) -> "SegmentationMethod":
        """A fitted method from :meth:`get_state`'s output; raises KeyError for a missing entry."""
        method = cls().set_params(**params)
        for name in cls._COMMON_STATE + cls.state_values:
            setattr(method, name, values[name])
        method.labels_ = np.asarray(arrays["labels_"], dtype=int)
        method.memberships_ = None  # the training rows' memberships are not kept
        for name in cls.state_arrays:
            if f"{name}length" in values:
                setattr(method, name, [arrays[f"{name}{i}"] for i in range(int(values[f"{name}length"]))])
            else:
                setattr(method, name, arrays[name])
        method._restore()
        return method

    # -- hooks --------------------------------------------------------------------------------

    def _segment_count(self) -> int:
        """Segments of the fit: by default those the hard labels reach (HDBSCAN finds its own)."""
        return int(self.labels_.max()) + 1 if (self.labels_ >= 0).any() else 0

    def _restore(self) -> None:
        """Rebuild working objects (a neighbour index, a scikit-learn model) from the state."""

    def _predict_memberships(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _misfit(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _validate_params(self) -> None:
        """Raise PersonaLabError for an invalid parameter value."""

    def _fit(self, X: np.ndarray, k: int | None, seed: int, sample_weight: np.ndarray | None) -> None:
        raise NotImplementedError

    def _assign(self, X: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    # -- shared checks ------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "labels_"):
            raise PersonaLabError(f"{self.label} has not been fitted yet", fix="Call fit first")

    def _check_k(self, prepared: Prepared, k: int | None) -> int:
        if k is None:
            raise PersonaLabError(f"{self.label} needs a number of personas k", fix="Give k, e.g. --k 5")
        check_whole("k", k, 1, fix="Give k >= 2")
        k = int(k)
        distinct = _n_distinct_rows(prepared.X, limit=k)
        if prepared.n_rows < k or distinct < k:
            raise PersonaLabError(
                f"The data has {distinct} distinct rows, fewer than the {k} personas asked for",
                fix=f"Ask for at most {distinct} personas or load more data",
            )
        return k

    def _check_data(self, prepared: Prepared) -> None:
        X = prepared.X
        if not np.all(np.isfinite(X)):
            raise PersonaLabError(
                "The prepared features hold missing or infinite values",
                fix="Remove infinite values from the data or mark those columns 'ignore'",
            )
        if self.accepts == "nonnegative" and (X < 0).any():
            raise PersonaLabError(
                f"{self.label} needs non-negative data, but the prepared features hold negative values",
                fix="Use the method's default preparation (min-max scaling), remove negative counts, "
                "or choose k-means, which accepts any numbers",
            )


def _n_distinct_rows(X: np.ndarray, limit: int) -> int:
    """Distinct rows, counted exactly only up to ``limit`` (cheap for large n).

    Rows are told apart by one seeded random projection each: equal rows project alike and
    distinct rows apart (equal projections of distinct rows have probability zero), at the cost
    of a matrix-vector product, where sorting whole rows cost a resample fit 20% of its time."""
    X = np.asarray(X, float)
    if X.ndim != 2 or not X.shape[1]:
        return min(X.shape[0], 1)
    direction = np.random.default_rng(0).standard_normal(X.shape[1])

    def count(rows):
        # A matrix-vector product may sum equal rows in different orders (SIMD by alignment):
        # equal rows then differ in the last bits, so projections are compared to 1e-9 of scale.
        projected = rows @ direction
        scale = float(np.abs(projected).max()) or 1.0
        return np.unique(np.round(projected / scale, 9)).size

    head = X[: max(limit * 50, 1000)]
    distinct = count(head)
    if distinct >= limit or head.shape[0] == X.shape[0]:
        return distinct
    return count(X)


def check_whole(name: str, value, minimum: int, fix: str) -> None:
    """PersonaLabError unless ``value`` is a whole number of at least ``minimum`` (a parameter)."""
    number = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not number or int(value) != value or value < minimum:
        raise PersonaLabError(f"{name} must be a whole number of at least {minimum}, got {value!r}", fix=fix)


def hard_memberships(labels: np.ndarray, k: int) -> np.ndarray:
    """One-hot memberships for hard labels (unassigned rows get all zeros)."""
    m = np.zeros((labels.size, k))
    rows = labels >= 0
    m[np.flatnonzero(rows), labels[rows]] = 1.0
    return m


def _plain(value):
    """A JSON-able copy of a fitted value (NumPy scalars and arrays become Python ones)."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value

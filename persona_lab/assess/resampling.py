"""Seeded resamples of row indices: bootstrap samples and half splits.

Every resample ``b`` is drawn from its own child of ``numpy.random.SeedSequence(seed)`` (the
``b``-th spawned child), so resample ``b`` is the same whatever else is drawn: asking for more
resamples only adds new ones, and a worker can redraw resample ``b`` from ``(seed, b)`` alone
instead of receiving its index array. The list functions and the single-draw functions
(``bootstrap(n, seed, b)`` ...) give the same indices.
"""

from __future__ import annotations

import numpy as np

from ..errors import PersonaLabError

#: Consensus matrices are m x m: above this many rows they are built on a seeded item sample.
CONSENSUS_ITEMS = 2000


def _rng(seed: int, b: int) -> np.random.Generator:
    # SeedSequence(seed, spawn_key=(b,)) is exactly SeedSequence(seed).spawn(B)[b].
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(b),)))


def _check(n: int, B: int = 1) -> None:
    if int(n) < 2:
        raise PersonaLabError(f"Resampling needs at least 2 rows, got {n}", fix="Load more data")
    if int(B) < 1:
        raise PersonaLabError(f"The number of resamples must be at least 1, got {B}", fix="Use e.g. 50")


# -- single draws (what a worker computes) -----------------------------------------------------


def bootstrap(n: int, seed: int, b: int) -> np.ndarray:
    """Resample ``b``: ``n`` rows drawn with replacement (duplicates kept, unsorted)."""
    return _rng(seed, b).integers(0, n, size=n)


def half_split(n: int, seed: int, b: int) -> tuple[np.ndarray, np.ndarray]:
    """Resample ``b``: a random split into halves of floor(n/2) and the rest (as fpc)."""
    order = _rng(seed, b).permutation(n)
    half = n // 2
    return np.sort(order[:half]), np.sort(order[half:])


# -- all B at once ---------------------------------------------------------------------------


def bootstraps(n: int, B: int, seed: int) -> list[np.ndarray]:
    _check(n, B)
    return [bootstrap(n, seed, b) for b in range(int(B))]


def half_splits(n: int, B: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    _check(n, B)
    return [half_split(n, seed, b) for b in range(int(B))]


def item_sample(n: int, limit: int = CONSENSUS_ITEMS, seed: int = 0) -> np.ndarray:
    """The rows whose pairwise consensus is tracked: all of them up to ``limit``, else a
    fixed seeded sample of ``limit`` rows (sorted), so the m x m matrix stays small."""
    if n <= limit:
        return np.arange(n)
    return np.sort(np.random.default_rng(np.random.SeedSequence(int(seed))).choice(n, size=int(limit), replace=False))

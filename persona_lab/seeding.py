"""Randomness by seed: independent child seeds for sub-tasks, and seeded samples of rows.

Every random step takes an explicit seed. Sub-tasks (restarts, resamples, reference sets) get
their own seeds from ``numpy.random.SeedSequence(seed)`` (:func:`child_seeds`), so that a result
does not depend on how many workers share the tasks; whatever must not grow with n (n x n
matrices, drawing, slow fits) works on a seeded sample of rows (:func:`sample_rows`).
"""

from __future__ import annotations

import numpy as np


def child_seeds(seed: int, n: int) -> list[int]:
    """Independent seeds for ``n`` sub-tasks (restarts, resamples), fixed by ``seed`` alone."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(int(seed)).spawn(n)]


def sample_rows(n_rows: int, seed: int, max_rows: int) -> np.ndarray | None:
    """Sorted indices of a seeded sample of ``max_rows`` rows, or None when all rows fit."""
    if n_rows <= max_rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))

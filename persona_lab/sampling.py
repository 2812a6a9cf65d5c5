"""Seeded samples of rows, for whatever must not grow with n (n x n matrices, drawing, slow fits)."""

from __future__ import annotations

import numpy as np


def sample_rows(n_rows: int, seed: int, max_rows: int) -> np.ndarray | None:
    """Sorted indices of a seeded sample of ``max_rows`` rows, or None when all rows fit."""
    if n_rows <= max_rows:
        return None
    return np.sort(np.random.default_rng(seed).choice(n_rows, size=max_rows, replace=False))

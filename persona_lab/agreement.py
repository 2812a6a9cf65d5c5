"""Agreement between partitions, and the one place where segments are matched.

Matching is one-to-one (Hungarian assignment on the contingency table, maximising the rows the
two partitions share), so that "segment 2 of NMF is segment 4 of GMM" can be read off, and so
that the same persona keeps its colour across k and methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score

from .errors import PersonaLabError


def _check_pair(a, b) -> tuple[np.ndarray, np.ndarray]:
    a, b = np.asarray(a).astype(int), np.asarray(b).astype(int)
    if a.shape != b.shape or a.ndim != 1:
        raise PersonaLabError(
            f"Two partitions of different lengths ({a.size} and {b.size} rows) cannot be compared",
            fix="Compare segmentations of the same rows",
        )
    return a, b


def contingency(a, b) -> pd.DataFrame:
    """Rows shared by segment i of ``a`` (index) and segment j of ``b`` (columns); -1 = unassigned."""
    a, b = _check_pair(a, b)
    return pd.crosstab(pd.Series(a, name="a"), pd.Series(b, name="b"))


def match_segments(a, b) -> dict[int, int]:
    """One-to-one map from segments of ``a`` to segments of ``b`` sharing the most rows.

    Unassigned rows (-1) take no part; when the two have different numbers of segments the
    extra ones stay unmatched.
    """
    table = contingency(a, b)
    table = table.loc[table.index >= 0, table.columns >= 0]
    if table.empty:
        return {}
    rows, cols = linear_sum_assignment(-table.to_numpy())
    return {int(table.index[r]): int(table.columns[c]) for r, c in zip(rows, cols)}


def align_labels(reference, labels) -> np.ndarray:
    """Relabel ``labels`` so that segments matched to ``reference`` take the reference's ids.

    Unmatched segments get fresh ids after the reference's largest, in order of size.
    """
    reference, labels = _check_pair(reference, labels)
    mapping = {b: a for a, b in match_segments(reference, labels).items()}
    next_id = max(int(reference.max()), -1) + 1
    present, counts = np.unique(labels[labels >= 0], return_counts=True)
    for seg in present[np.argsort(-counts, kind="stable")]:
        if int(seg) not in mapping:
            mapping[int(seg)] = next_id
            next_id += 1
    mapping[-1] = -1
    return np.array([mapping[int(x)] for x in labels], dtype=int)


def agreement(a, b) -> dict[str, float]:
    """Adjusted Rand index and adjusted mutual information (unassigned rows count as a group)."""
    a, b = _check_pair(a, b)
    return {"ari": float(adjusted_rand_score(a, b)), "ami": float(adjusted_mutual_info_score(a, b))}


def matched_contingency(a, b) -> pd.DataFrame:
    """The contingency table with ``b``'s segments reordered so matched pairs sit on the diagonal.

    Unmatched segments of ``b`` and its unassigned column (-1) follow the matched ones.
    """
    table = contingency(a, b)
    mapping = match_segments(a, b)
    rows = [r for r in table.index if r >= 0] + [r for r in table.index if r < 0]
    first = [mapping[r] for r in rows if r in mapping]
    rest = [c for c in table.columns if c not in first]
    return table.loc[rows, first + sorted(rest, key=lambda c: (c < 0, c))]


def match_profiles(A: np.ndarray, B: np.ndarray, min_similarity: float = 0.8) -> list[tuple[int, int, float]]:
    """One-to-one matching of profile rows of ``A`` to rows of ``B`` by cosine similarity.

    Hungarian assignment maximises the total cosine; pairs below ``min_similarity`` are not
    matches (a persona that changed that much is a different persona). Returns (i, j, cosine).
    """
    A, B = np.asarray(A, dtype=float), np.asarray(B, dtype=float)
    if A.size == 0 or B.size == 0:
        return []
    norms = np.linalg.norm(A, axis=1)[:, None] * np.linalg.norm(B, axis=1)[None, :]
    cosine = np.divide(A @ B.T, norms, out=np.zeros((A.shape[0], B.shape[0])), where=norms > 0)
    rows, cols = linear_sum_assignment(-cosine)
    return [(int(i), int(j), float(cosine[i, j])) for i, j in zip(rows, cols) if cosine[i, j] >= min_similarity]

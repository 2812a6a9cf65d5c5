"""Criteria of k: one fit per k, every applicable criterion computed on it.

Each criterion states its own rule for the best k. Monotone curves (inertia, reconstruction
error) are reported but pick nothing here: they need an elbow or null comparison.
Distance-based criteria are computed in the common space so that they mean the same for every
method (for APG matrices, on each group's content mix rather than its raw volume).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

from ..errors import PersonaLabError
from ..data.dataset import Dataset
from ..methods import get_method
from ..prepare import COMMON_SPACE, prepare

#: Silhouette is O(n^2): above this many rows it is computed on a seeded sample.
SILHOUETTE_SAMPLE = 2000


def _silhouette(X, labels, seed):
    size = min(SILHOUETTE_SAMPLE, X.shape[0])
    return silhouette_score(X, labels, sample_size=size if size < X.shape[0] else None, random_state=seed)


#: name -> (score(X, labels, seed), rule, label)
CRITERIA = {
    "silhouette": (_silhouette, "max", "Silhouette (higher is better)"),
    "calinski_harabasz": (lambda X, y, s: calinski_harabasz_score(X, y), "max", "Calinski-Harabasz (higher is better)"),
    "davies_bouldin": (lambda X, y, s: davies_bouldin_score(X, y), "min", "Davies-Bouldin (lower is better)"),
}
#: Criteria a method computes while fitting: name -> (fitted attribute, rule, label).
FITTED = {
    "bic": ("bic_", "min", "BIC (lower is better)"),
    "aic": ("aic_", "min", "AIC (lower is better)"),
    "caic": ("caic_", "min", "CAIC (lower is better)"),
    "sabic": ("sabic_", "min", "Sample-size adjusted BIC (lower is better)"),
    "silhouette_gower": ("silhouette_gower_", "max", "Silhouette, Gower distance (higher is better)"),
}
#: Fitted attributes reported as curves without a pick of their own: they improve with k by
#: construction (or measure something else, as entropy), so picking needs an elbow or a null.
MONOTONE = {
    "reconstruction_error": "reconstruction_err_",
    "inertia": "inertia_",
    "cost": "cost_",
    "varexpl": "varexpl_",
    "entropy": "entropy_",
}


def label(criterion: str) -> str:
    """How a criterion is named on screen."""
    if criterion in CRITERIA:
        return CRITERIA[criterion][2]
    if criterion in FITTED:
        return FITTED[criterion][2]
    return criterion.replace("_", " ").capitalize() + " (no pick of its own)"


@dataclass
class CriterionCurves:
    table: pd.DataFrame  # columns k, criterion, value
    picks: dict[str, int]  # criterion -> its best k

    def to_dict(self) -> dict:
        return {
            "values": {c: dict(zip(g["k"].astype(int), g["value"])) for c, g in self.table.groupby("criterion")},
            "picks": dict(self.picks),
        }


def score(criterion: str, X: np.ndarray, labels: np.ndarray, seed: int = 0) -> float:
    """One criterion for one partition; unassigned rows (-1) are left out; NaN when undefined."""
    fn = CRITERIA[criterion][0]
    keep = labels >= 0
    n_segments = np.unique(labels[keep]).size
    if n_segments < 2 or n_segments >= keep.sum():
        return float("nan")
    return float(fn(X[keep], labels[keep], seed))


def criterion_curves(
    dataset: Dataset, method: str, k_values, seed: int = 0, progress=None, **params
) -> CriterionCurves:
    """Fit ``method`` once per k under its default preparation; distance-based criteria are
    computed in the common space (:data:`persona_lab.prepare.COMMON_SPACE`), fitted ones
    (BIC, reconstruction error, ...) on the method's own fit."""
    template = get_method(method, **params)
    if template.k_is_output:
        raise PersonaLabError(
            f"{template.label} finds the number of segments itself, so there is no curve over k",
            fix="Choose a method with k as input (nmf, kmeans) to compare k values",
        )
    k_values = sorted({int(k) for k in k_values})
    if not k_values or k_values[0] < 2:
        raise PersonaLabError("k values must be at least 2", fix="Use a range such as 2:10")
    prepared = prepare(dataset, template.default_preparation(dataset.kind))
    common = prepare(dataset, COMMON_SPACE)
    rows = []
    for i, k in enumerate(k_values):
        if progress:
            progress(i / len(k_values), f"fitting k = {k}")
        model = template.clone().fit(prepared, k=k, seed=seed)
        for name in CRITERIA:
            if name in template.criteria:
                rows.append((k, name, score(name, common.X, model.labels_, seed)))
        attributes = {**{n: spec[0] for n, spec in FITTED.items()}, **MONOTONE}
        for name, attribute in attributes.items():
            if name in template.criteria and hasattr(model, attribute):
                rows.append((k, name, float(getattr(model, attribute))))
    if progress:
        progress(1.0, "done")
    table = pd.DataFrame(rows, columns=["k", "criterion", "value"])
    picks = {}
    for name, group in table.groupby("criterion"):
        rule = CRITERIA[name][1] if name in CRITERIA else FITTED[name][1] if name in FITTED else None
        if rule and group["value"].notna().any():
            values = group.set_index("k")["value"]
            picks[name] = int(values.idxmax() if rule == "max" else values.idxmin())
    return CriterionCurves(table, picks)

"""Several segmentation methods on the same data at one k, side by side.

Each method runs the whole pipeline under its own default preparation (that is what a user
gets, personas included, so their profiles can be set side by side), but internal
quality is measured for all of them in :data:`persona_lab.prepare.COMMON_SPACE`: silhouette of
NMF on min-max features and of k-means on z-scores would not be comparable.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from ..agreement import agreement, matched_contingency, match_segments
from ..data.dataset import Dataset
from ..errors import PersonaLabError
from ..methods import UNASSIGNED, get_method
from ..pipeline import PersonaRun, run
from ..prepare import COMMON_SPACE, prepare
from .criteria import CRITERIA, score


@dataclass
class MethodResult:
    method: str
    label: str
    params: dict
    labels: np.ndarray | None = None
    runtime_s: float = float("nan")
    n_segments: int = 0
    sizes: list[float] = field(default_factory=list)  # weighted rows / interactions per segment
    unassigned: float = 0.0
    quality: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    #: The whole run (prepared data, fitted method, personas) for profiles side by side.
    run: PersonaRun | None = field(default=None, repr=False)

    def to_dict(self, timings: bool = False) -> dict:
        """JSON-ready; run times only on request, so that reruns stay byte-identical."""
        out = {
            "method": self.method, "label": self.label, "params": self.params,
            "n_segments": self.n_segments,
            "sizes": [round(s, 6) for s in self.sizes], "unassigned": round(self.unassigned, 6),
            "quality": {k: (None if np.isnan(v) else round(v, 6)) for k, v in self.quality.items()},
            "notes": self.notes, "error": self.error,
        }
        if timings:
            out["runtime_s"] = round(self.runtime_s, 4) if np.isfinite(self.runtime_s) else None
        return out


@dataclass
class MethodComparison:
    k: int | None
    seed: int
    results: list[MethodResult]
    row_labels: list[str]

    @property
    def fitted(self) -> list[MethodResult]:
        return [r for r in self.results if r.error is None]

    def agreement_table(self) -> pd.DataFrame:
        """ARI and AMI for every pair of fitted methods."""
        rows = []
        for a, b in combinations(self.fitted, 2):
            rows.append({"method_a": a.method, "method_b": b.method, **agreement(a.labels, b.labels)})
        return pd.DataFrame(rows, columns=["method_a", "method_b", "ari", "ami"])

    def result(self, method: str) -> MethodResult:
        for r in self.results:
            if r.method == method:
                return r
        raise PersonaLabError(f"{method!r} is not part of this comparison", fix="Pick one of the compared methods")

    def contingency(self, a: str, b: str) -> pd.DataFrame:
        """Rows shared by the segments of ``a`` and ``b``, matched pairs on the diagonal."""
        return matched_contingency(self.result(a).labels, self.result(b).labels)

    def to_dict(self, timings: bool = False) -> dict:
        pairs = []
        for a, b in combinations(self.fitted, 2):
            pairs.append({
                "method_a": a.method, "method_b": b.method, **{k: round(v, 6) for k, v in agreement(a.labels, b.labels).items()},
                "matching": {str(s): t for s, t in match_segments(a.labels, b.labels).items()},
                "contingency": _table_dict(matched_contingency(a.labels, b.labels)),
            })
        return {"k": self.k, "seed": self.seed, "methods": [r.to_dict(timings) for r in self.results], "pairs": pairs}


def _table_dict(table: pd.DataFrame) -> dict:
    return {str(r): {str(c): int(table.loc[r, c]) for c in table.columns} for r in table.index}


def compare_methods(
    dataset: Dataset,
    methods: list[str],
    k: int | None,
    *,
    seed: int = 0,
    params: dict[str, dict] | None = None,
    progress=None,
) -> MethodComparison:
    """Fit every method at ``k``; a method that cannot use the data is reported, not fatal."""
    if not methods:
        raise PersonaLabError("No method chosen to compare", fix="Choose at least two methods")
    params = params or {}
    common = prepare(dataset, COMMON_SPACE)
    results = []
    for i, name in enumerate(methods):
        if progress:
            progress(i / len(methods), f"fitting {name}")
        results.append(_fit_one(dataset, name, k, seed, params.get(name, {}), common))
    if progress:
        progress(1.0, "done")
    return MethodComparison(k=k, seed=seed, results=results, row_labels=common.row_labels)


def _fit_one(dataset, name, k, seed, method_params, common) -> MethodResult:
    model = get_method(name, **method_params)
    result = MethodResult(method=model.name, label=model.label, params=model.get_params())
    try:
        start = time.perf_counter()
        result.run = run(dataset, name, k, seed=seed, params=method_params)
        result.runtime_s = time.perf_counter() - start
    except PersonaLabError as exc:
        result.error = exc.one_line()
        return result
    fitted = result.run.method
    labels = fitted.labels_
    weight = result.run.prepared.size_weight
    result.labels = labels
    result.n_segments = fitted.n_segments_
    result.sizes = [float(weight[labels == s].sum()) for s in range(fitted.n_segments_)]
    result.unassigned = float(weight[labels == UNASSIGNED].sum())
    result.quality = {c: score(c, common.X, labels, seed) for c in CRITERIA}
    result.notes = list(fitted.notes_)
    return result

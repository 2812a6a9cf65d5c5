"""The whole run in one call: prepare -> segment -> describe. The app, CLI and API all use it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._version import __version__
from .data.dataset import Dataset
from .methods import SegmentationMethod, get_method
from .personas.build import build_personas
from .personas.model import PersonaSet
from .prepare import Preparation, Prepared, prepare

#: progress(fraction in [0, 1], message)
Progress = Callable[[float, str], None]


def _silent(fraction: float, message: str) -> None:
    pass


@dataclass
class PersonaRun:
    dataset: Dataset
    prepared: Prepared
    method: SegmentationMethod
    personas: PersonaSet

    @property
    def labels(self) -> np.ndarray:
        return self.method.labels_


def segment(
    prepared: Prepared, method: str | SegmentationMethod, k: int | None, seed: int = 0, **params
) -> SegmentationMethod:
    """Fit ``method`` (a name or an unfitted instance) to prepared data."""
    model = get_method(method, **params) if isinstance(method, str) else method.clone().set_params(**params)
    return model.fit(prepared, k=k, seed=seed)


def manifest(dataset: Dataset, prepared: Prepared, method: SegmentationMethod, k: int | None, seed: int) -> dict:
    """Everything needed to repeat a run (no timestamps: reruns must be byte-identical)."""
    return {
        "package_version": __version__,
        "dataset": dataset.name,
        "data_fingerprint": dataset.fingerprint(),
        "kind": dataset.kind,
        "roles": {str(c): r for c, r in dataset.roles.items()},
        "types": {str(c): t for c, t in dataset.types.items()},
        "dictionary": dataset.dictionary.to_json(),
        "preparation": prepared.describe(),
        "method": method.name,
        "parameters": _jsonable(method.get_params()),
        "k_requested": k,
        "seed": int(seed),
        "notes": list(getattr(method, "notes_", [])),
    }


def run(
    dataset: Dataset,
    method: str = "nmf",
    k: int | None = 5,
    *,
    seed: int = 0,
    params: dict | None = None,
    preparation: Preparation | None = None,
    progress: Progress | None = None,
    n_jobs: int = 1,
) -> PersonaRun:
    """Prepare ``dataset`` for ``method`` (its default preparation unless given), fit, describe.
    ``n_jobs``: threads for the fit's independent parts (NMF's starts); the result does not
    depend on it."""
    progress = progress or _silent
    model = get_method(method, **(params or {}))
    progress(0.05, "preparing features")
    prepared = prepare(dataset, preparation or model.default_preparation(dataset.kind))
    progress(0.2, f"fitting {model.label}")
    model.fit(prepared, k=k, seed=seed, n_jobs=n_jobs)
    progress(0.8, "describing personas")
    personas = build_personas(
        dataset, prepared, model, manifest=manifest(dataset, prepared, model, k, seed), seed=seed
    )
    progress(1.0, "done")
    return PersonaRun(dataset, prepared, model, personas)


def _jsonable(params: dict) -> dict:
    return {k: (v if isinstance(v, (str, int, float, bool, type(None))) else repr(v)) for k, v in params.items()}

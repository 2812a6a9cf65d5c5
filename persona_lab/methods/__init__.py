"""Segmentation methods behind one protocol (see :mod:`persona_lab.methods.base`)."""

from __future__ import annotations

from ..errors import PersonaLabError
from .archetypes import Archetypes
from .base import UNASSIGNED, SegmentationMethod
from .gmm import GaussianMixture
from .hdbscan import HDBSCAN
from .hierarchical import Hierarchical
from .kmeans import KMeans
from .kprototypes import KPrototypes
from .lca import LatentClass
from .nmf import NMF
from .spectral import Spectral

#: Method names as used on the command line and in JSON.
METHODS: dict[str, type[SegmentationMethod]] = {
    cls.name: cls
    for cls in (NMF, KMeans, GaussianMixture, Hierarchical, Spectral, HDBSCAN, LatentClass, KPrototypes, Archetypes)
}


def parse_value(text: str):
    """A parameter value typed as text (command line, app): number, true/false/none, or text."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.strip().lower(), text)


def get_method(name: str, **params) -> SegmentationMethod:
    """A new, unfitted method by its name, e.g. ``get_method("nmf", loss="frobenius")``."""
    try:
        cls = METHODS[str(name).lower()]
    except KeyError:
        raise PersonaLabError(
            f"Unknown method {name!r}", fix=f"Choose one of: {', '.join(METHODS)}"
        ) from None
    return cls().set_params(**params)


__all__ = [
    "METHODS", "UNASSIGNED", "SegmentationMethod", "get_method", "parse_value",
    "NMF", "KMeans", "GaussianMixture", "Hierarchical", "Spectral", "HDBSCAN",
    "LatentClass", "KPrototypes", "Archetypes",
]

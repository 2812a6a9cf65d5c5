"""Persona Lab: data-driven personas with their uncertainty.

The Python API is the same core the app and the command line use::

    import persona_lab as pl
    data = pl.load_dataset("sample_data/channel_views.csv")
    result = pl.run(data, method="nmf", k=5, seed=0)
    result.personas.personas[0].name
    edited = pl.apply_edits(result.personas, "edits.json")  # edits saved from the app or by hand
"""

from ._version import __version__
from .data import load_dataset
from .errors import PersonaLabError
from .methods import get_method
from .personas.edits import EditSet, apply_edits
from .pipeline import run, segment
from .prepare import Preparation, prepare

__all__ = ["EditSet", "PersonaLabError", "Preparation", "apply_edits", "get_method", "load_dataset", "prepare",
           "run", "segment", "__version__"]

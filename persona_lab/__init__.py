"""Persona Lab: data-driven personas with their uncertainty.

The Python API is the same core the app and the command line use::

    import persona_lab as pl
    data = pl.load_dataset("sample_data/channel_views.csv")
    result = pl.run(data, method="nmf", k=5, seed=0)
    result.personas.personas[0].name
"""

__version__ = "0.1.0"

from .data import load_dataset  # noqa: E402
from .errors import PersonaLabError  # noqa: E402
from .methods import get_method  # noqa: E402
from .pipeline import run, segment  # noqa: E402
from .prepare import Preparation, prepare  # noqa: E402

__all__ = ["PersonaLabError", "Preparation", "get_method", "load_dataset", "prepare", "run", "segment", "__version__"]

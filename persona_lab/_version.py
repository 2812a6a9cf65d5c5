"""The package version, in a module of its own so that any module can import it (pipeline.py and
model_file.py record it in manifests) without importing the package's ``__init__``."""

__version__ = "0.1.0"

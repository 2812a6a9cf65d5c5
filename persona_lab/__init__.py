"""Persona Lab: data-driven personas with their uncertainty."""

__version__ = "0.1.0"

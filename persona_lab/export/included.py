"""What an export shows of a persona set: the personas the user included, without hidden traits.

The JSON keeps everything (the edits themselves are data, so a saved set can be edited further);
the PDF and Markdown, written for readers, show only :func:`included`.
"""

from __future__ import annotations

from dataclasses import replace

from ..personas.model import Persona, PersonaSet
from ..personas.text import scrub


def included(persona_set: PersonaSet) -> PersonaSet:
    """A copy holding only the included personas, each without its hidden traits."""
    return replace(persona_set, personas=[visible(p) for p in persona_set.personas if p.include])


def visible(persona: Persona) -> Persona:
    """``persona`` without the traits the user hid, its quotes scrubbed of contact details (again:
    a quote typed into a saved file is scrubbed too)."""
    return replace(persona, traits=[t for t in persona.traits if not t.hidden], quotes=[scrub(q) for q in persona.quotes])


def identity(persona: Persona) -> str:
    """The persona as a person: "40 · female · DE" (its own age, gender and country, when known)."""
    return " · ".join(str(v) for v in (persona.age, persona.gender, persona.country) if v)

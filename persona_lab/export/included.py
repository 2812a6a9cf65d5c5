"""What an export shows of a persona set: the personas the user included, without hidden traits.

The JSON keeps everything (the edits themselves are data, so a saved set can be edited further);
the PDF and Markdown, written for readers, show only :func:`included`.
"""

from __future__ import annotations

from dataclasses import replace

from ..data.dictionary import DataDictionary
from ..personas.model import Persona, PersonaSet
from ..personas.text import scrub


def included(persona_set: PersonaSet) -> PersonaSet:
    """A copy holding only the included personas, each without its hidden traits, its demographic
    columns named by their labels in the data dictionary."""
    dictionary = persona_set.dictionary
    return replace(persona_set, personas=[labelled(visible(p), dictionary) for p in persona_set.personas if p.include])


def labelled(persona: Persona, dictionary: DataDictionary) -> Persona:
    """``persona`` with its demographics named as a reader reads them ("Yearly household income")."""
    if not dictionary.labels:
        return persona
    return replace(persona, demographics={dictionary.label(k): v for k, v in persona.demographics.items()})


def visible(persona: Persona) -> Persona:
    """``persona`` without the traits the user hid, its quotes scrubbed of contact details (again:
    a quote typed into a saved file is scrubbed too)."""
    return replace(persona, traits=[t for t in persona.traits if not t.hidden], quotes=[scrub(q) for q in persona.quotes])


def identity(persona: Persona) -> str:
    """The persona as a person: "40 · female · DE" (its own age, gender and country, when known)."""
    return " · ".join(str(v) for v in (persona.age, persona.gender, persona.country) if v)

"""Narratives written by templates from a persona's own profile.

A narrative cites the persona's share and its top three (visible) traits, or for the APG shape
its top three interests, with the profile's numbers formatted by :func:`percent` and
:meth:`Trait.measure`, so a reader (or a test) can trace every figure back to the profile. The template
variant is drawn from the persona's identity and the seed; the name and the numbers keep any two
personas' narratives apart.
"""

from __future__ import annotations

import numpy as np

from .model import Persona, Trait
from .naming import seed_entropy

OPENINGS = (
    "{who} stands for {share} of the {population}.",
    "{who} represents {share} of the {population}.",
    "{who} accounts for {share} of the {population}.",
)
TRAIT_LEADS = ("What sets this persona apart:", "Compared with everybody else:", "In the data:")
INTEREST_LEADS = ("Top interests:", "What this persona engages with most:", "Most of the attention goes to")


def percent(share: float) -> str:
    """A share as cited in narratives: one decimal, e.g. ``"37.3%"``."""
    return f"{100 * share:.1f}%"


def write_narrative(persona: Persona, seed: int, population: str = "people in the data") -> str:
    """The narrative of ``persona`` (share, then its top three traits or interests)."""
    entropy = seed_entropy(f"story|{persona.id}|{persona.name}")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), *entropy]))
    who = persona.name or f"Persona {persona.id + 1}"
    details = [v for v in (persona.age and f"{persona.age}", persona.country) if v]
    if details:
        who = f"{who} ({', '.join(details)})"
    parts = [OPENINGS[rng.integers(len(OPENINGS))].format(who=who, share=percent(persona.share), population=population)]
    traits = [t for t in persona.traits if not t.hidden][:3]
    if traits:
        parts.append(f"{TRAIT_LEADS[rng.integers(len(TRAIT_LEADS))]} " + "; ".join(_trait(t) for t in traits) + ".")
    elif persona.interests:
        cited = "; ".join(
            f"{i.label or i.item}{f' ({i.topic})' if i.topic else ''}, {percent(i.weight)} of the attention"
            for i in persona.interests[:3]
        )
        parts.append(f"{INTEREST_LEADS[rng.integers(len(INTEREST_LEADS))]} {cited}.")
    if persona.terms:
        parts.append(f"In their own words they mention {', '.join(persona.terms[:4])}.")
    return " ".join(parts)


def _trait(t: Trait) -> str:
    feature = t.label or t.feature.replace("_", " ")
    if t.kind == "numeric":
        direction = "higher" if t.value > t.population else "lower"
        return f"{feature} is {direction}, {t.measure(t.value)} on average against {t.measure(t.population)} overall"
    having = feature if t.level == "True" else f"{feature} {t.level}"
    return f"{percent(t.value)} have {having}, against {percent(t.population)} overall"

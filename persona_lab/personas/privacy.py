"""Privacy of exported personas: a minimum segment size.

A persona of three customers describes three identifiable people (their quotes, their typical
age and town): below :data:`MIN_SIZE` rows a persona is withheld from every export, and the export
says how many were withheld and why. Quotes are scrubbed of contact details where they are made
(:func:`persona_lab.personas.text.scrub`).
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import PersonaLabError
from .model import Persona, PersonaSet

#: Personas with fewer rows than this are not exported (default; the app and --min-size set it).
MIN_SIZE = 10


def segment_size(persona: Persona) -> float:
    """What the minimum size is compared with: the segment's rows (unweighted, since a weight
    does not add people), or for the APG shape, which has no rows, its interactions."""
    return persona.rows if persona.rows is not None else persona.size


def withhold(persona_set: PersonaSet, min_size: int = MIN_SIZE) -> PersonaSet:
    """``persona_set`` without the personas smaller than ``min_size``, counted in ``withheld``
    (with their size and share, so that shares still add up to 1)."""
    if isinstance(min_size, bool) or not isinstance(min_size, int) or min_size < 0:
        raise PersonaLabError(f"The minimum segment size must be a whole number >= 0, not {min_size!r}",
                              where="minimum segment size", fix="Give e.g. 10 (0 exports every persona)")
    small = [p for p in persona_set.personas if segment_size(p) < min_size]
    if not small:
        return persona_set
    before = persona_set.withheld or {"personas": 0, "size": 0.0, "share": 0.0}
    withheld = {
        "personas": int(before["personas"]) + len(small),
        "size": float(before["size"]) + sum(p.size for p in small),
        "share": float(before["share"]) + sum(p.share for p in small),
        "min_size": int(min_size),
    }
    kept = [p for p in persona_set.personas if segment_size(p) >= min_size]
    return replace(persona_set, personas=kept, withheld=withheld)


def withheld_note(persona_set: PersonaSet) -> str | None:
    """What the exports say about withheld personas, or None when none were."""
    w = persona_set.withheld
    if not w or not w.get("personas"):
        return None
    n, unit = int(w["personas"]), "interactions" if persona_set.kind == "interactions" else "rows"
    return (f"{n} persona{'' if n == 1 else 's'} withheld for privacy: fewer than {int(w.get('min_size', 0)):,} "
            f"{unit} each (the minimum segment size), {100 * float(w.get('share', 0.0)):.1f}% of {unit} together.")


def is_small(persona: Persona, min_size: int = MIN_SIZE) -> bool:
    """Whether ``persona`` is below the minimum segment size (and so withheld from the exports)."""
    return segment_size(persona) < min_size


def flag_small(persona_set: PersonaSet, min_size: int = MIN_SIZE) -> PersonaSet:
    """``persona_set`` as the app shows it: each persona below ``min_size`` stands as what it is, a
    small segment ("Small segment 4 · 1 row"), without a name, face or story that would pretend a
    persona (and describe a few identifiable people). The same minimum as the exports'."""
    unit = "interaction" if persona_set.kind == "interactions" else "row"
    personas = []
    for p in persona_set.personas:
        if is_small(p, min_size):
            size = segment_size(p)
            label = f"Small segment {p.id + 1} · {size:,.0f} {unit}{'' if size == 1 else 's'}"
            p = replace(p, name=label, face="", narrative="", explanation="", quotes=[])
        personas.append(p)
    return replace(persona_set, personas=personas)


def small_note(persona_set: PersonaSet, min_size: int = MIN_SIZE) -> str | None:
    """What a page says beside personas some of which are too small, or None."""
    small = [p for p in persona_set.personas if is_small(p, min_size)]
    if not small:
        return None
    unit = "interactions" if persona_set.kind == "interactions" else "rows"
    n = len(small)
    return (f"{n} segment{'' if n == 1 else 's'} smaller than {int(min_size):,} {unit} (the minimum segment size of "
            f"the exports, set on the Personas page), {100 * sum(p.share for p in small):.1f}% together: shown as "
            f"small segment{'' if n == 1 else 's'}, not as persona{'' if n == 1 else 's'}, and withheld from the "
            "exports. Too few rows to describe anybody but a few identifiable people.")

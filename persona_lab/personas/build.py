"""From a fitted segmentation to persona profiles.

The profile itself comes from :mod:`.apg` (the APG shape) or :mod:`.tables` (entity tables);
this module adds what makes a persona human and traceable, offline and seeded: a name fitting its
gender and country (:mod:`.naming`), one age inside the segment's range, an illustrated face
(:mod:`.faces`), a narrative citing its own numbers (:mod:`.narrative`), how it differs from a
persona with the same skeleton, and its stability when the assessment gives one.
"""

from __future__ import annotations

import math

import numpy as np

from ..data.dataset import Dataset
from ..data.ranges import whole_range
from ..methods.base import SegmentationMethod
from ..prepare import Prepared
from .apg import apg_personas, memberships
from .faces import face_svg
from .model import Persona, PersonaSet
from .narrative import write_narrative
from .naming import NameBook, persona_name, seed_entropy
from .prevalence import apg_prevalence, table_prevalence
from .tables import table_personas

#: The oldest age drawn for an open-ended band such as "65+".
OPEN_BAND_YEARS = 14
#: How far below its bound an open lower age band ("under 18") reaches: 13-17.
YOUNG_BAND_YEARS = 5
POPULATION = {"interactions": "audience's interactions", "entities": "people in the data"}
#: A persona's name, age and face follow from what it is (:func:`name_key`), not from the run's
#: seed: the same persona found with another seed, or at another k, is the same person.
IDENTITY_SEED = 0


def build_personas(
    dataset: Dataset,
    prepared: Prepared,
    method: SegmentationMethod,
    *,
    manifest: dict,
    seed: int = 0,
    n_traits: int = 8,
    survival: dict[int, float] | None = None,
) -> PersonaSet:
    """Personas of a fitted ``method``; ``survival`` maps persona id -> share of resamples in
    which the persona was recovered (the assessment's), when known."""
    if prepared.kind == "interactions":
        personas, unassigned = apg_personas(prepared, method, n_traits)
    else:
        personas, unassigned = table_personas(dataset, prepared, method, n_traits, seed)
    _add_prevalence(dataset, prepared, method, personas)
    taken = NameBook()
    # In the order of what they are, not of their ids (which another seed permutes), so that a
    # name redrawn to stay unique is redrawn for the same persona whatever the seed.
    for persona in sorted(personas, key=lambda p: (name_key(p), p.id)):
        key = name_key(persona)
        persona.name = persona_name(persona.gender, persona.country, IDENTITY_SEED, key, taken)
        persona.age = age_in_range(persona.age, IDENTITY_SEED, key)
        # The name joins the key: personas sharing a skeleton get different names, and faces.
        persona.face = face_svg(f"{key}|{persona.name}", IDENTITY_SEED, persona.gender, _as_number(persona.age))
        recovered = (survival or {}).get(persona.id)
        if recovered is not None and math.isfinite(recovered):
            persona.stability = float(recovered)
    _tell_apart(personas)
    for persona in personas:
        persona.narrative = write_narrative(persona, seed, POPULATION[prepared.kind])
    personas.sort(key=lambda p: (-p.share, p.id))
    return PersonaSet(
        method=method.name,
        k=method.n_segments_,
        personas=personas,
        manifest=manifest,
        unassigned=unassigned,
        dataset=dataset.name,
        kind=prepared.kind,
    )


def _add_prevalence(dataset: Dataset, prepared: Prepared, method: SegmentationMethod, personas: list[Persona]) -> None:
    """Each persona's row count and its prevalence (:mod:`.prevalence`)."""
    labels = np.asarray(method.labels_)
    if prepared.kind == "interactions":
        matrix = prepared.matrix
        totals = np.asarray(matrix.V.sum(axis=1)).ravel()
        m = memberships(method)
        for persona in personas:
            persona.prevalence, persona.headline = apg_prevalence(matrix.groups, totals, persona.demographics,
                                                                  m[:, persona.id], dataset.dictionary)
        return
    for persona in personas:
        persona.rows = int((labels == persona.id).sum())
        persona.prevalence, persona.headline = table_prevalence(
            dataset.frame, labels, prepared.size_weight, persona, dictionary=dataset.dictionary)


def name_key(persona: Persona) -> str:
    """What the persona is, independent of k and of its id: its demographic skeleton (APG) or
    typical identity and leading trait (tables). The same persona at another k keeps its name."""
    if persona.groups or persona.interests:
        return "|".join(f"{k}={v}" for k, v in persona.demographics.items())
    lead = persona.traits[0] if persona.traits else None
    trait = f"{lead.feature}={lead.level}" if lead else ""
    return "|".join(str(x) for x in (persona.gender, persona.country, persona.age, trait))


def age_in_range(age: str | None, seed: int, key: str) -> str | None:
    """One whole age inside ``age`` ("25-34", "65+", "under 18", "37-53", "41"), seeded by the
    persona; text that is no age range (e.g. "adult") is kept as it is."""
    if age is None:
        return None
    span = whole_range(age, above=OPEN_BAND_YEARS, below=YOUNG_BAND_YEARS)
    if span is None:
        return age
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), *seed_entropy(f"age|{key}")]))
    return str(int(rng.integers(span[0], span[1] + 1)))


def _as_number(age: str | None) -> float | None:
    try:
        return float(age) if age is not None else None
    except ValueError:
        return None


#: Siblings (personas sharing a skeleton) named in one persona's explanation; the rest are counted.
MAX_SIBLINGS = 4


def _tell_apart(personas: list[Persona]) -> None:
    """Personas sharing a skeleton (or typical demographics) say in their explanation what each
    leads with, and how their groups differ: at k = 100 seven personas can share one skeleton."""
    by_skeleton: dict[tuple, list[Persona]] = {}
    for persona in personas:
        if persona.demographics:
            by_skeleton.setdefault(tuple(persona.demographics.items()), []).append(persona)
    for same in by_skeleton.values():
        for persona in same if len(same) > 1 else ():
            persona.explanation += " " + _difference(persona, [o for o in same if o is not persona])


def _difference(persona: Persona, siblings: list[Persona]) -> str:
    theirs = {x for o in siblings for x in _leading(o)}
    own = _leading(persona)
    distinct = [x for x in own if x not in theirs] or own
    count = f"{len(siblings)} other persona{'s' if len(siblings) > 1 else ''} share{'s' if len(siblings) == 1 else ''}"
    text = f"{count} this skeleton; this one leads with {', '.join(distinct[:3]) or 'no clear traits'}"
    if len(persona.groups) > 1:
        text += f" and its second group is {_second(persona)}"
    named = [f"{o.name} leads with {', '.join(_leading(o)[:2]) or 'no clear traits'}"
             + (f" (second group {_second(o)})" if len(o.groups) > 1 else "") for o in siblings[:MAX_SIBLINGS]]
    more = len(siblings) - len(named)
    return text + ". " + "; ".join(named) + (f"; and {more} more" if more else "") + "."


def _second(persona: Persona) -> str:
    return f"{persona.groups[1].group} ({persona.groups[1].weight:.2f})"


def _leading(persona: Persona) -> list[str]:
    """What the persona leads with: its distinctive interests (APG; what it watches *more* than
    everybody), else its top interests, else its leading traits."""
    interests = persona.distinctive or persona.interests
    if interests:
        return list(dict.fromkeys(i.label or i.topic or i.item for i in interests[:5]))
    return [f"{t.feature} = {t.level}" if t.level else t.feature for t in persona.traits[:3]]

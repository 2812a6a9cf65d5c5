"""Every persona of a set on one line: the overview the app's table, the PDF's index and the
PowerPoint's overview slides are made from, and its filters.

At 100 personas nobody reads cards one after another; a table finds a persona by name, interest or
demographic, and sorts by share or stability. One row per persona: its name, skeleton (the APG
group that defines it, or a table segment's typical demographics), share, what it leads with (its
top interests, or its leading traits), what sets it apart (APG: its distinctive interests), its
stability when assessed, and one column per demographic attribute, to filter by.
"""

from __future__ import annotations

import pandas as pd

from .model import Persona, PersonaSet

#: Interests or traits named per persona in the overview.
N_LEADING = 3
SEPARATOR = " · "


def leading(persona: Persona, n: int = N_LEADING) -> list[str]:
    """What the persona leads with: its top interests (APG) or its visible traits (tables)."""
    if persona.interests:
        return [i.label or i.item for i in persona.interests[:n]]
    return [t.text or t.feature for t in persona.traits if not t.hidden][:n]


def apart(persona: Persona, n: int = N_LEADING) -> list[str]:
    """What sets the persona apart: its distinctive interests (APG), else what it leads with."""
    return [i.label or i.item for i in persona.distinctive[:n]] or leading(persona, n)


def distinctive_text(persona: Persona, n: int = 5) -> str:
    """The distinctive interests with their lift: "Casablanca (4.1x), Citizen Kane (3.8x)"."""
    return ", ".join(f"{i.label or i.item} ({i.lift:.1f}x)" for i in persona.distinctive[:n] if i.lift is not None)


#: What a distinctive interest's lift means, for captions and help texts.
LIFT_NOTE = ("x: its share of the persona's attention over its share of everybody's, among items the persona "
             "accounts for enough interactions of")


def skeleton(persona: Persona) -> str:
    return SEPARATOR.join(str(v) for v in persona.demographics.values())


def attributes(persona_set: PersonaSet) -> list[str]:
    """The demographic attributes of the set's personas, in their first-seen order."""
    return list(dict.fromkeys(c for p in persona_set.personas for c in p.demographics))


def overview_frame(persona_set: PersonaSet) -> pd.DataFrame:
    """One row per persona, in the set's order (largest first unless the user reordered it)."""
    names = attributes(persona_set)
    rows = []
    for persona in persona_set.personas:
        rows.append({
            "id": persona.id,
            "persona": persona.name,
            "skeleton": skeleton(persona),
            "share": persona.share,
            "stability": persona.stability,
            "sets it apart": ", ".join(apart(persona)),
            "leads with": ", ".join(leading(persona)),
            **{f"attribute: {a}": persona.demographics.get(a, "") for a in names},
        })
    columns = ["id", "persona", "skeleton", "share", "stability", "sets it apart", "leads with",
               *(f"attribute: {a}" for a in names)]
    return pd.DataFrame(rows, columns=columns)


def filter_overview(frame: pd.DataFrame, search: str = "", filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """The rows whose name, skeleton or interests contain ``search`` (any case) and whose
    attributes take one of the chosen values (an attribute with no value chosen is not a filter)."""
    keep = pd.Series(True, index=frame.index)
    text = search.strip().casefold()
    if text:
        haystack = frame[["persona", "skeleton", "leads with", "sets it apart"]].astype(str).agg(" ".join, axis=1)
        keep &= haystack.str.casefold().str.contains(text, regex=False)
    for attribute, values in (filters or {}).items():
        column = f"attribute: {attribute}"
        if values and column in frame.columns:
            keep &= frame[column].isin([str(v) for v in values])
    return frame[keep]

"""A researcher's edits to a persona set: rename, rewrite the narrative, hide traits, leave a
persona out of the exports, reorder. Pure functions (set in, new set out), used by the app's
Personas page, and an :class:`EditSet` that records them so that the command line
(``persona-lab personas ... --edits FILE``) and the API (:func:`apply_edits`) can apply them to a
new run of the same analysis.

An edit set file is JSON::

    {"persona_edits": 1,
     "personas": [{"id": 2, "name": "Night owls", "narrative": "...",
                   "hidden_traits": ["age", "region = North"], "include": false}],
     "order": [2, 0, 1, 3, 4]}

Every field but ``id`` is optional; a trait is named by its feature, and by ``feature = level``
for a category level. A ``personas.json`` written by Persona Lab (from the app, with the user's
edits) is read as an edit set too: its names, narratives, hidden traits, exclusions and order.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import PersonaLabError
from .build import IDENTITY_SEED, name_key
from .model import Persona, PersonaSet, Trait
from .naming import NameBook, persona_name

EDIT_SET_VERSION = 1


# -- one edit at a time ---------------------------------------------------------------------------


def _with_persona(ps: PersonaSet, persona_id: int, **changes) -> PersonaSet:
    return replace(ps, personas=[replace(p, **changes) if p.id == persona_id else p for p in ps.personas])


def renamed(ps: PersonaSet, persona_id: int, name: str) -> PersonaSet:
    """``ps`` with the persona called ``name``, wherever its name is written: its own narrative
    ("Christopher Smith (18) accounts for...") and its siblings' explanations ("Christopher Smith
    leads with..."), so that no export holds the old name beside the new one."""
    return renamed_all(ps, {persona_id: name})


def renamed_all(ps: PersonaSet, names: dict[int, str]) -> PersonaSet:
    """:func:`renamed` for several personas at once (an edit set's names, which may swap two)."""
    names = {i: " ".join(str(name).split()) for i, name in names.items()}
    if not all(names.values()):
        raise PersonaLabError("A persona needs a name", where="persona name", fix="Type a name")
    final = [names.get(p.id, p.name) for p in ps.personas]
    twice = sorted({n for n in final if final.count(n) > 1} & set(names.values()))
    if twice:
        raise PersonaLabError(f"Another persona is already called {twice[0]!r}", where="persona name",
                              fix="Give each persona its own name")
    return _with_names(ps, names)


def named_like(ps: PersonaSet, names: dict[int, str], taken: NameBook) -> PersonaSet:
    """``ps`` with persona ``i`` called ``names[i]``: the name of the same persona in another
    solution (matched by shared rows, as Compare k colours them alike), so that it keeps its name
    there. Every other persona keeps its own name unless ``taken`` (the names of the other
    solutions' personas) or a carried name already holds it, or its first name: it then draws a
    new one, so that one name never stands for two different personas. The names used are added
    to ``taken``; pass one book for all the solutions shown together."""
    ids = {p.id for p in ps.personas}
    carried = {i: n for i, n in names.items() if i in ids}
    for name in carried.values():
        taken.add(name)
    new = dict(carried)
    for p in ps.personas:
        if p.id in carried:
            continue
        first = (p.name.split() or [""])[0]
        if p.name and taken.free(p.name, first):
            taken.add(p.name, first)
        else:
            new[p.id] = persona_name(p.gender, p.country, IDENTITY_SEED, f"{name_key(p)}|{p.id}", taken)
    return _with_names(ps, new)


def _with_names(ps: PersonaSet, names: dict[int, str]) -> PersonaSet:
    """Every persona ``i`` in ``names`` renamed at once, in every text of the set that names it."""
    old = {p.name: names[p.id] for p in ps.personas if p.id in names and p.name and p.name != names[p.id]}

    def rewritten(text: str) -> str:
        # Only the names the text holds (a regex of 100 names on every text took seconds at k = 100);
        # whole names only ("Anna Lee" leaves "Anna Leeds" alone), longest first, in one pass so
        # that two personas swapping names do not rename each other twice.
        present = sorted((n for n in old if n in text), key=len, reverse=True)
        if not present:
            return text
        written = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in present))
        return written.sub(lambda m: old[m.group(0)], text)

    personas = []
    for p in ps.personas:
        changes = {"name": names[p.id]} if p.id in names else {}
        if old:
            changes |= {"explanation": rewritten(p.explanation), "narrative": rewritten(p.narrative)}
        personas.append(replace(p, **changes))
    return replace(ps, personas=personas)


def with_narrative(ps: PersonaSet, persona_id: int, narrative: str) -> PersonaSet:
    return _with_persona(ps, persona_id, narrative=str(narrative).strip())


def with_hidden_traits(ps: PersonaSet, persona_id: int, hidden: set[int]) -> PersonaSet:
    """Hide the traits at positions ``hidden`` (and show every other trait)."""
    persona = next(p for p in ps.personas if p.id == persona_id)
    traits = [replace(t, hidden=i in hidden) for i, t in enumerate(persona.traits)]
    return _with_persona(ps, persona_id, traits=traits)


def with_included(ps: PersonaSet, persona_id: int, include: bool) -> PersonaSet:
    return _with_persona(ps, persona_id, include=bool(include))


def moved(ps: PersonaSet, persona_id: int, step: int) -> PersonaSet:
    """The persona moved ``step`` places (-1: one up), clamped at both ends."""
    order = list(ps.personas)
    i = next(i for i, p in enumerate(order) if p.id == persona_id)
    j = min(max(i + step, 0), len(order) - 1)
    order.insert(j, order.pop(i))
    return replace(ps, personas=order)


def with_stability(ps: PersonaSet, survival: dict[int, float]) -> PersonaSet:
    """Each persona's share of resamples recovering it, where the assessment has one."""
    return replace(ps, personas=[replace(p, stability=survival.get(p.id, p.stability)) for p in ps.personas])


# -- a set of edits, saved and applied again --------------------------------------------------------


def trait_name(trait: Trait) -> str:
    """How an edit set names a trait: its feature, and ``feature = level`` for a category level."""
    return trait.feature if trait.level is None else f"{trait.feature} = {trait.level}"


@dataclass(frozen=True)
class PersonaEdit:
    """What the user set for one persona (None: left as the run made it)."""

    id: int
    name: str | None = None
    narrative: str | None = None
    hidden_traits: tuple[str, ...] | None = None  # every other trait is shown
    include: bool | None = None

    def to_dict(self) -> dict:
        out: dict = {"id": self.id}
        for key in ("name", "narrative", "include"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.hidden_traits is not None:
            out["hidden_traits"] = list(self.hidden_traits)
        return out


@dataclass(frozen=True)
class EditSet:
    """Edits to the personas of one analysis, by persona id, and their order."""

    personas: tuple[PersonaEdit, ...] = ()
    order: tuple[int, ...] | None = None  # persona ids, first to last; ids left out keep their order

    @classmethod
    def between(cls, original: PersonaSet, edited: PersonaSet) -> "EditSet":
        """The edits that turn ``original`` into ``edited`` (two sets of the same run)."""
        before = {p.id: p for p in original.personas}
        edits = []
        for p in edited.personas:
            o = before.get(p.id)
            if o is None:
                continue
            hidden = tuple(trait_name(t) for t in p.traits if t.hidden)
            edit = PersonaEdit(
                p.id,
                name=p.name if p.name != o.name else None,
                narrative=p.narrative if p.narrative != o.narrative else None,
                hidden_traits=hidden if hidden != tuple(trait_name(t) for t in o.traits if t.hidden) else None,
                include=p.include if p.include != o.include else None,
            )
            if edit != PersonaEdit(p.id):
                edits.append(edit)
        order = tuple(p.id for p in edited.personas if p.id in before)
        same = order == tuple(p.id for p in original.personas if p.id in set(order))
        return cls(tuple(edits), None if same else order)

    @classmethod
    def of(cls, ps: PersonaSet) -> "EditSet":
        """Everything a user can edit in ``ps``, as edits: applied to another set of the same run,
        they give it ``ps``'s names, narratives, hidden traits, exclusions and order."""
        edits = tuple(PersonaEdit(p.id, p.name, p.narrative, tuple(trait_name(t) for t in p.traits if t.hidden),
                                  p.include) for p in ps.personas)
        return cls(edits, tuple(p.id for p in ps.personas))

    def apply(self, ps: PersonaSet) -> PersonaSet:
        """``ps`` with these edits. An edit naming a persona or a trait that ``ps`` does not have
        raises :class:`PersonaLabError`: edits belong to the analysis they were made on."""
        by_id = {p.id: p for p in ps.personas}
        for edit in self.personas:
            persona = by_id.get(edit.id)
            if persona is None:
                raise PersonaLabError(
                    f"The edits name persona {edit.id}, which these personas do not have "
                    f"(ids {', '.join(map(str, sorted(by_id))) or 'none'})",
                    fix="Apply edits to the analysis they were made on (same data, method, k and seed)",
                )
            if edit.hidden_traits is not None:
                ps = with_hidden_traits(ps, edit.id, _trait_positions(persona, edit.hidden_traits))
            if edit.include is not None:
                ps = with_included(ps, edit.id, edit.include)
        # All names at once, before the narratives an edit set holds (already written with them).
        ps = renamed_all(ps, {e.id: e.name for e in self.personas if e.name is not None})
        for edit in self.personas:
            if edit.narrative is not None:
                ps = with_narrative(ps, edit.id, edit.narrative)
        if self.order is not None:
            ranks = {pid: i for i, pid in enumerate(self.order)}
            unknown = sorted(set(ranks) - set(by_id))
            if unknown:
                raise PersonaLabError(
                    f"The edits order persona {unknown[0]}, which these personas do not have",
                    fix="Apply edits to the analysis they were made on (same data, method, k and seed)",
                )
            first = sorted((p for p in ps.personas if p.id in ranks), key=lambda p: ranks[p.id])
            ps = replace(ps, personas=first + [p for p in ps.personas if p.id not in ranks])
        return ps

    def to_dict(self) -> dict:
        out: dict = {"persona_edits": EDIT_SET_VERSION, "personas": [e.to_dict() for e in self.personas]}
        if self.order is not None:
            out["order"] = list(self.order)
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict, where: str = "edits") -> "EditSet":
        """An edit set, or the edits a ``personas.json`` holds (:meth:`of`)."""
        if not isinstance(data, dict):
            raise PersonaLabError("An edit set is a JSON object", where=where, fix=_FIX)
        if "persona_edits" not in data and "schema_version" in data:
            try:
                return cls.of(PersonaSet.from_dict(data))
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                raise PersonaLabError(f"The persona file is malformed ({exc})", where=where, fix=_FIX) from None
        if data.get("persona_edits") != EDIT_SET_VERSION:
            raise PersonaLabError(f"Not an edit set of version {EDIT_SET_VERSION} (persona_edits: "
                                  f"{data.get('persona_edits')!r})", where=where, fix=_FIX)
        try:
            edits = tuple(
                PersonaEdit(
                    int(e["id"]),
                    name=None if e.get("name") is None else str(e["name"]),
                    narrative=None if e.get("narrative") is None else str(e["narrative"]),
                    hidden_traits=None if e.get("hidden_traits") is None else tuple(str(t) for t in e["hidden_traits"]),
                    include=None if e.get("include") is None else bool(e["include"]),
                )
                for e in data.get("personas", [])
            )
            order = None if data.get("order") is None else tuple(int(i) for i in data["order"])
        except (KeyError, TypeError, ValueError) as exc:
            raise PersonaLabError(f"The edit set is malformed ({exc})", where=where, fix=_FIX) from None
        return cls(edits, order)


_FIX = "Give a file written as persona_lab.personas.edits describes, or a personas.json written by Persona Lab"


def _trait_positions(persona: Persona, names: tuple[str, ...]) -> set[int]:
    positions = {trait_name(t): i for i, t in enumerate(persona.traits)}
    missing = [n for n in names if n not in positions]
    if missing:
        raise PersonaLabError(
            f"Persona {persona.id} has no trait {missing[0]!r} to hide",
            fix=f"Its traits are: {', '.join(positions) or 'none'}",
        )
    return {positions[n] for n in names}


def read_edits(path: str | Path) -> EditSet:
    """An edit set from a file: an edit set's JSON, or a personas.json with the user's edits."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise PersonaLabError(f"Cannot read the edits ({exc.strerror or exc})", where=str(path), fix=_FIX) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PersonaLabError(f"The edits are not JSON ({exc})", where=str(path), fix=_FIX) from None
    return EditSet.from_dict(data, where=str(path))


def apply_edits(ps: PersonaSet, edits: EditSet | dict | str | Path) -> PersonaSet:
    """``ps`` with ``edits`` applied: an :class:`EditSet`, its dict, or the path of its file."""
    if isinstance(edits, (str, Path)):
        edits = read_edits(edits)
    elif isinstance(edits, dict):
        edits = EditSet.from_dict(edits)
    return edits.apply(ps)

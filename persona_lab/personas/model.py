"""Persona profiles as plain, typed objects that serialise to JSON (``personas.json``).

The JSON contract (DESIGN.md, "Command line"): ``schema_version``, ``method``, ``k``,
``manifest``, ``personas`` (each with ``id``, ``name``, ``size``, ``share`` and its describing
attributes) and ``unassigned`` (size and share, or null). Shares of the personas and the
unassigned group add up to 1. No timestamps, so reruns are byte-identical.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

SCHEMA_VERSION = 1


@dataclass
class Trait:
    """Something that sets a segment apart from everybody else (entity tables).

    For a numeric feature ``value`` and ``population`` are means and ``effect`` is the
    standardised mean difference; for a category they are shares of rows having ``level``,
    ``effect`` is Cohen's h (so both kinds rank on one standardised scale) and ``lift`` is the
    segment share over the population share.
    """

    feature: str
    kind: str  # "numeric" or "category"
    value: float
    population: float
    effect: float
    level: str | None = None
    lift: float | None = None
    text: str = ""  # a human-readable sentence, e.g. "spend: 412 vs 230 overall"


@dataclass
class Interest:
    """A content item the persona is drawn to (APG: the top items of H[p, :])."""

    item: str
    weight: float  # share of the persona's H row mass
    label: str = ""  # e.g. the video title
    topic: str = ""


@dataclass
class Persona:
    id: int
    name: str
    size: float  # rows (weighted when a weight column is set) or, for APG, interactions
    share: float
    demographics: dict[str, str] = field(default_factory=dict)
    gender: str | None = None  # "female" / "male" when known, for naming and faces
    country: str | None = None
    age: str | None = None  # an age or age range, as text
    traits: list[Trait] = field(default_factory=list)
    interests: list[Interest] = field(default_factory=list)
    explanation: str = ""  # why this skeleton / these traits were chosen
    narrative: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Persona":
        data = dict(data)
        data["traits"] = [Trait(**t) for t in data.get("traits", [])]
        data["interests"] = [Interest(**i) for i in data.get("interests", [])]
        return cls(**data)


@dataclass
class PersonaSet:
    method: str
    k: int
    personas: list[Persona]
    manifest: dict[str, Any]
    unassigned: dict[str, float] | None = None  # {"size": ..., "share": ...}
    dataset: str = ""
    kind: str = "entities"
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "dataset": self.dataset,
            "kind": self.kind,
            "method": self.method,
            "k": self.k,
            "manifest": self.manifest,
            "personas": [asdict(p) for p in self.personas],
            "unassigned": self.unassigned,
        }

    def to_json(self) -> str:
        return json.dumps(_rounded(self.to_dict()), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PersonaSet":
        return cls(
            method=data["method"],
            k=int(data["k"]),
            personas=[Persona.from_dict(p) for p in data["personas"]],
            manifest=data.get("manifest", {}),
            unassigned=data.get("unassigned"),
            dataset=data.get("dataset", ""),
            kind=data.get("kind", "entities"),
            schema_version=int(data.get("schema_version", SCHEMA_VERSION)),
        )


def _rounded(obj: Any, digits: int = 10) -> Any:
    """Round floats so that JSON does not depend on the last bits of a BLAS reduction order."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v, digits) for v in obj]
    return obj

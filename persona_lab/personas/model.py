"""Persona profiles as plain, typed objects that serialise to JSON (``personas.json``).

The JSON contract (DESIGN.md, "Command line"; field by field in docs/personas-schema.md):
``schema_version``, ``method``, ``k``, ``manifest``, ``personas`` (each with ``id``, ``name``,
``size``, ``share`` and its describing attributes) and ``unassigned`` (size and share, or null).
Shares of the personas and the unassigned group add up to 1. No timestamps, so reruns are
byte-identical, and JSON -> :meth:`PersonaSet.from_dict` -> JSON gives the same text.

Schema 2 adds confidence intervals and support to traits, the user's edits (``hidden`` traits,
``include`` personas), descriptor profiles, the next strongest APG groups, free-text terms and
quotes, a face and the stability; later, still schema 2 (every addition is optional, so files
load both ways), each persona's row count and prevalence, and the set's withheld personas;
APG personas' distinctive interests (with their lift).
Schema 1 files load: the new fields take their defaults.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any

from ..data.dictionary import DataDictionary, measure
from ..errors import PersonaLabError

SCHEMA_VERSION = 2


class Labelled:
    """How a trait, a descriptor or the comparison behind them names its column and shows its
    numbers: by the data dictionary's label and unit it was described with (``label``, ``unit``),
    the column's name when none."""

    feature: str
    kind: str  # "numeric" or "category"
    level: str | None
    label: str
    unit: str

    @property
    def title(self) -> str:
        """"Children at home = two", "Yearly household income"."""
        name = self.label or self.feature
        return name if self.level is None else f"{name} = {self.level}"

    def measure(self, x: float | None) -> str:
        """One of the column's numbers as shown: with its unit, a year as a year."""
        return measure(x, self.feature, self.label, self.unit)

    def versus(self, value: float, population: float) -> str:
        """The segment's figure against everybody's: "Income: 52,000 USD vs 41,000 USD overall",
        "Channel = app: 88% vs 29% overall"."""
        if self.kind == "numeric":
            return f"{self.title}: {self.measure(value)} vs {self.measure(population)} overall"
        return f"{self.title}: {value:.0%} vs {population:.0%} overall"


@dataclass
class Trait(Labelled):
    """Something that sets a segment apart from everybody else (entity tables).

    For a numeric feature ``value`` and ``population`` are means and ``effect`` is the
    standardised mean difference; for a category they are shares of rows having ``level``,
    ``effect`` is Cohen's h (so both kinds rank on one standardised scale) and ``lift`` is the
    segment share over the population share. ``ci_low``/``ci_high`` bound ``value`` (95%).

    A trait is descriptive: the segments were built from its column, so its interval says how
    precisely ``value`` is known, not that the segment differs. ``q_value`` is the
    Benjamini-Hochberg q of the same difference tested on a held-out half of the rows against
    structure-free data (personas/holdout.py), None when untested; ``significant`` means q < 0.05
    in the trait's direction.
    """

    feature: str
    kind: str  # "numeric" or "category"
    value: float
    population: float
    effect: float
    level: str | None = None
    lift: float | None = None
    text: str = ""  # a human-readable sentence, e.g. "spend: 412 vs 230 overall"
    ci_low: float | None = None
    ci_high: float | None = None
    support: int = 0  # the segment's rows behind the value (having the level, for a category)
    hidden: bool = False  # hidden by the user in the app; exports skip it
    q_value: float | None = None
    significant: bool = False
    #: The column's label and unit from the data dictionary ("" when it has none): what cards,
    #: charts and exports show instead of the raw column name, and after every number.
    label: str = ""
    unit: str = ""


@dataclass
class Descriptor(Labelled):
    """A column not used for segmenting (revenue, churn, channel), profiled for one persona.

    ``value`` is the segment's mean (numeric) or share of rows with ``level`` (category), with a
    95% confidence interval; ``population`` is the same over everybody. ``p_value`` tests the
    segment against the rest (Welch t, or two-proportion z); ``q_value`` is Benjamini-Hochberg
    across all persona x descriptor tests of the set, and ``significant`` means q < 0.05.
    """

    feature: str
    kind: str  # "numeric" or "category"
    level: str | None = None
    value: float = 0.0
    ci_low: float | None = None
    ci_high: float | None = None
    population: float = 0.0
    p_value: float | None = None
    q_value: float | None = None
    significant: bool = False
    text: str = ""
    label: str = ""  # the column's label and unit in the data dictionary, "" when none (as a Trait's)
    unit: str = ""


@dataclass
class GroupWeight:
    """A demographic group of an APG persona and its share of the persona's total weight."""

    group: str  # the group's label, e.g. "25-34 · female · DE"
    weight: float


@dataclass
class Interest:
    """A content item the persona is drawn to (APG: the top items of H[p, :])."""

    item: str
    weight: float  # share of the persona's H row mass
    label: str = ""  # e.g. the video title
    topic: str = ""
    lift: float | None = None  # that share over the item's share of all interactions (distinctive interests)


@dataclass
class Persona:
    id: int
    name: str
    size: float  # rows (weighted when a weight column is set) or, for APG, interactions
    share: float
    demographics: dict[str, str] = field(default_factory=dict)
    gender: str | None = None  # "female" / "male" when known, for naming and faces
    country: str | None = None
    age: str | None = None  # one age inside the segment's range, as text (e.g. "34")
    traits: list[Trait] = field(default_factory=list)
    interests: list[Interest] = field(default_factory=list)
    #: APG: the items whose share of the persona's mix most exceeds their share of everybody's
    #: (lift), among those it accounts for enough interactions of; set beside the most viewed.
    distinctive: list[Interest] = field(default_factory=list)
    explanation: str = ""  # why this skeleton / these traits were chosen
    narrative: str = ""
    groups: list[GroupWeight] = field(default_factory=list)  # APG: strongest groups, skeleton first
    descriptors: list[Descriptor] = field(default_factory=list)
    terms: list[str] = field(default_factory=list)  # distinctive free-text terms
    quotes: list[str] = field(default_factory=list)  # real members' texts, never made up
    face: str = ""  # an SVG document
    stability: float | None = None  # share of resamples recovering the persona, when assessed
    include: bool = True  # exported or not (the user's choice in the app)
    rows: int | None = None  # unweighted rows in the segment (entity tables), for the minimum size
    prevalence: float | None = None  # share of real rows matching all headline attributes
    headline: list[str] = field(default_factory=list)  # those attributes, as matched, in words

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Persona":
        data = _known(cls, data, "persona")
        data["traits"] = [Trait(**_known(Trait, t, "trait")) for t in data.get("traits", [])]
        data["interests"] = [Interest(**_known(Interest, i, "interest")) for i in data.get("interests", [])]
        data["distinctive"] = [Interest(**_known(Interest, i, "interest")) for i in data.get("distinctive", [])]
        data["groups"] = [GroupWeight(**_known(GroupWeight, g, "group")) for g in data.get("groups", [])]
        data["descriptors"] = [
            Descriptor(**_known(Descriptor, d, "descriptor")) for d in data.get("descriptors", [])
        ]
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
    #: Personas left out of this file for privacy: {"personas", "size", "share", "min_size"}.
    withheld: dict[str, float] | None = None

    @property
    def dictionary(self) -> DataDictionary:
        """The data dictionary the personas were described with (the manifest's): the labels that
        name a demographic column on cards and in exports."""
        return DataDictionary.from_json(self.manifest.get("dictionary") if isinstance(self.manifest, dict) else None)

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
            "withheld": self.withheld,
        }

    def to_json(self) -> str:
        return json.dumps(_rounded(self.to_dict()), indent=2, ensure_ascii=False, sort_keys=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "PersonaSet":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise PersonaLabError(
                f"The persona file is not valid JSON ({exc})", where="personas JSON",
                fix="Load a personas.json written by Persona Lab",
            ) from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "PersonaSet":
        """A persona set from its JSON form, any schema up to :data:`SCHEMA_VERSION`.

        An older file is upgraded on load (new fields take their defaults), so the object and
        the JSON it writes are always of the current schema.
        """
        if not isinstance(data, dict) or not {"method", "k", "personas"} <= data.keys():
            raise PersonaLabError(
                "This is not a persona set", where="personas JSON",
                fix="Load a personas.json written by Persona Lab",
            )
        version = int(data.get("schema_version", 1))
        if version > SCHEMA_VERSION:
            raise PersonaLabError(
                f"The persona file has schema {version}, newer than this Persona Lab ({SCHEMA_VERSION})",
                where="personas JSON", fix="Update Persona Lab to load it",
            )
        return cls(
            method=data["method"],
            k=int(data["k"]),
            personas=[Persona.from_dict(p) for p in data["personas"]],
            manifest=data.get("manifest", {}),
            unassigned=data.get("unassigned"),
            dataset=data.get("dataset", ""),
            kind=data.get("kind", "entities"),
            schema_version=SCHEMA_VERSION,
            withheld=data.get("withheld"),
        )


def _known(cls: type, data: dict[str, Any], what: str) -> dict[str, Any]:
    """The fields of ``cls`` in ``data``; a file without a required one is a user error."""
    if not isinstance(data, dict):
        raise PersonaLabError(
            f"A {what} is {type(data).__name__}, not an object", where="personas JSON",
            fix="Load a personas.json written by Persona Lab",
        )
    names = {f.name for f in fields(cls)}
    out = {key: value for key, value in data.items() if key in names}
    missing = [f.name for f in fields(cls) if f.name not in out and _required(f)]
    if missing:
        raise PersonaLabError(
            f"A {what} lacks {', '.join(missing)}", where="personas JSON",
            fix="Load a personas.json written by Persona Lab",
        )
    return out


def _required(f) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


def _rounded(obj: Any, digits: int = 10) -> Any:
    """Round floats so that JSON does not depend on the last bits of a BLAS reduction order."""
    if isinstance(obj, float):
        return round(obj, digits)
    if isinstance(obj, dict):
        return {k: _rounded(v, digits) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_rounded(v, digits) for v in obj]
    return obj

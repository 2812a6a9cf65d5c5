"""Personas of an entity table (one row per customer or respondent).

Size and share come from the (weighted) rows of the segment; demographics from typical values (the
mode with its share, or the median with the middle half, weighted); traits are what most sets the
segment apart from everybody (:mod:`.traits`), those that hold on held-out rows marked
(:mod:`.holdout`); descriptor columns are profiled with tests
(:mod:`.descriptors`); free text gives distinctive terms and quotes (:mod:`.text`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..data.dictionary import DataDictionary, format_number
from ..methods.base import SegmentationMethod
from ..prepare import Prepared
from .descriptors import profile_descriptors
from .holdout import HeldOut, held_out_tests
from .model import Persona, Trait
from .naming import normalise_gender
from .stats import weighted_quantiles
from .text import SegmentTexts
from .traits import CONFIRMED, MIN_EFFECT, MIN_SUPPORT, Column, is_category, segment_traits

GENDER = ("gender", "sex")
COUNTRY = ("country", "country_code", "nation", "market", "locale")
AGE = ("age", "age_group", "age_bucket", "age_range", "age_band")


def table_personas(
    dataset: Dataset, prepared: Prepared, method: SegmentationMethod, n_traits: int, seed: int = 0
) -> tuple[list[Persona], dict[str, float] | None]:
    labels, weight = method.labels_, prepared.size_weight
    frame, k = dataset.frame, method.n_segments_
    total = float(weight.sum())
    features = [_column(dataset, c, weight) for c in dataset.columns("feature")
                if dataset.declared_type(c) != "identifier"]
    descriptors = profile_descriptors([_column(dataset, c, weight) for c in dataset.columns("descriptor")], labels, k)
    texts = SegmentTexts(frame, dataset.columns("text"))
    shown_columns = dataset.columns("demographic")
    # Who the persona is (for its name, age and face) may sit in descriptor columns too.
    identity_columns = shown_columns + [c for c in dataset.columns("descriptor") if _role_of(c)]
    held = held_out_tests(frame, prepared, method, seed)
    personas = []
    for p in range(k):
        inside = labels == p
        traits = [_checked(t, p, held) for t in segment_traits(features, inside, n_traits)]
        size = float(weight[inside].sum())
        typical = {c: _typical(frame[c], inside, weight, dataset.dictionary) for c in identity_columns}
        persona = Persona(
            id=p,
            name="",
            size=size,
            share=size / total if total else 0.0,
            demographics={c: typical[c][1] for c in shown_columns if typical[c][1]},
            traits=traits,
            descriptors=descriptors[p],
            terms=texts.distinctive_terms(inside),
            quotes=texts.quotes(inside),
            explanation=f"{_rows(inside, size)}; {_how_chosen(traits, held)}",
        )
        identity = {_role_of(c): value for c, (value, _) in typical.items() if _role_of(c)}
        persona.gender = normalise_gender(identity.get("gender"))
        persona.country = identity.get("country") or None
        persona.age = identity.get("age") or None
        personas.append(persona)
    return personas, unassigned(labels, weight)


def _column(dataset: Dataset, column: str, weight: np.ndarray) -> Column:
    """A column as its declared type reads it (Kidhome's 0, 1, 2 as categories; a 0/1 column as
    yes/no: "Accepted campaign 2 = 1: 0% vs 14% overall", not a mean of 0 against 0.138), with its
    label."""
    declared = dataset.declared_type(column)
    category = True if declared in ("categorical", "boolean") else None
    return Column(dataset.frame[column], weight, category=category, dictionary=dataset.dictionary)


def _checked(t: Trait, persona: int, held: HeldOut) -> Trait:
    q, confirmed = held.confirmed(persona, t.feature, t.level, t.effect)
    return replace(t, q_value=q, significant=confirmed, text=f"{t.text} {CONFIRMED}" if confirmed else t.text)


def _how_chosen(traits: list[Trait], held: HeldOut) -> str:
    text = (f"traits ranked by how far the segment stands from everybody (|standardised difference| >= "
            f"{MIN_EFFECT}, at least {MIN_SUPPORT} rows), descriptive: the segments were built from these columns")
    if held.note:
        return f"{text}; {held.note}."
    confirmed = sum(t.significant for t in traits)
    return (f"{text}; {confirmed} of {len(traits)} held on a held-out half of the rows against structure-free "
            f"data (Benjamini-Hochberg q < 0.05, marked {CONFIRMED}).")


def unassigned(labels: np.ndarray, size_weight: np.ndarray) -> dict[str, float] | None:
    out = labels < 0
    if not out.any():
        return None
    size = float(size_weight[out].sum())
    return {"size": size, "share": size / float(size_weight.sum())}


def _rows(inside: np.ndarray, size: float) -> str:
    rows = int(inside.sum())
    return f"{rows:,} rows" if np.isclose(rows, size) else f"{rows:,} rows ({size:,.0f} weighted)"


def _role_of(column: str) -> str | None:
    name = str(column).strip().lower()
    for role, names in (("gender", GENDER), ("country", COUNTRY), ("age", AGE)):
        if name in names:
            return role
    return None


def _typical(series: pd.Series, inside: np.ndarray, weight: np.ndarray,
             dictionary: DataDictionary | None = None) -> tuple[str, str]:
    """(typical value, how it is shown): the weighted mode with its share, or for a number the
    middle half of the segment as the value ("37-53", an age range to draw from) and the median
    with the middle half (its interquartile range) as shown, as ``dictionary`` shows the column's
    numbers (its unit; a year as a year), all weighted as sizes are."""
    values, w = series[inside], weight[inside]
    if is_category(series):
        shares = pd.Series(w, index=values.index).groupby(values.astype("string")).sum()
        if shares.empty or shares.sum() <= 0:
            return "", ""
        shares = shares / shares.sum()
        mode = str(shares.idxmax())
        return mode, (f"{mode} ({shares.max():.0%})" if shares.max() < 0.995 else mode)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    quartiles = weighted_quantiles(numbers, w, [0.25, 0.5, 0.75])
    if np.isnan(quartiles).any():
        return "", ""
    dictionary = dictionary or DataDictionary()
    low, mid, high = (format_number(x) for x in quartiles)
    median = dictionary.format_value(series.name, quartiles[1])
    if low == high:
        return mid, median
    return f"{low}-{high}", f"{median} (middle half {dictionary.format_range(series.name, quartiles[0], quartiles[2])})"

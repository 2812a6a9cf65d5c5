"""From a fitted segmentation to persona profiles.

APG shape (DESIGN.md): memberships m[g, p] (soft for NMF, one-hot for hard methods); a persona's
size is the interactions it accounts for, sum_g V[g, :].sum() m[g, p], on the raw counts whatever
weighting was used for fitting; its demographic skeleton is the group with the highest weight
W[:, p]; its interests are the top items of H[p, :].

Per-customer tables: size and share from the (weighted) rows in the segment; demographics from
typical values; traits are what sets the segment apart from everybody, ranked on one standardised
scale (standardised mean difference for numbers, Cohen's h for category shares).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dataset import Dataset
from ..methods.base import SegmentationMethod, hard_memberships
from ..prepare import Prepared
from .model import Interest, Persona, PersonaSet, Trait
from .naming import normalise_gender, persona_name

#: A trait smaller than this (|SMD| or |Cohen's h|) is a "small" effect by Cohen's convention.
MIN_EFFECT = 0.2
#: A category level must hold at least this many of the segment's rows to be shown as a trait.
MIN_SUPPORT = 10

_GENDER = ("gender", "sex")
_COUNTRY = ("country", "country_code", "nation", "market", "locale")
_AGE = ("age", "age_group", "age_bucket", "age_range", "age_band")


def build_personas(
    dataset: Dataset,
    prepared: Prepared,
    method: SegmentationMethod,
    *,
    manifest: dict,
    seed: int = 0,
    n_traits: int = 8,
) -> PersonaSet:
    if prepared.kind == "interactions":
        personas, unassigned = _apg_personas(prepared, method, n_traits)
    else:
        personas, unassigned = _table_personas(dataset, prepared, method, n_traits)
    taken: set[str] = set()
    for persona in personas:
        persona.name = persona_name(persona.gender, persona.country, seed, _name_key(persona), taken)
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


def _name_key(persona: Persona) -> str:
    """What the persona is, independent of k and of its id: its demographic skeleton (APG) or
    typical identity and leading trait (tables). The same persona at another k keeps its name."""
    if persona.interests:
        return "|".join(f"{k}={v}" for k, v in persona.demographics.items())
    lead = persona.traits[0] if persona.traits else None
    trait = f"{lead.feature}={lead.level}" if lead else ""
    return "|".join(str(x) for x in (persona.gender, persona.country, persona.age, trait))


def _unassigned(labels: np.ndarray, size_weight: np.ndarray) -> dict[str, float] | None:
    out = labels < 0
    if not out.any():
        return None
    size = float(size_weight[out].sum())
    return {"size": size, "share": size / float(size_weight.sum())}


def _pick(demographics: dict[str, str], names: tuple[str, ...]) -> str | None:
    for key, value in demographics.items():
        if key.strip().lower() in names:
            return value
    return None


def _with_identity(persona: Persona, values: dict[str, str] | None = None) -> Persona:
    """Gender, country and age for naming, from the typical values (default: the demographics)."""
    values = persona.demographics if values is None else values
    persona.gender = normalise_gender(_pick(values, _GENDER))
    persona.country = _pick(values, _COUNTRY)
    persona.age = _pick(values, _AGE)
    return persona


# -- the APG shape ------------------------------------------------------------------------------


def _apg_personas(prepared: Prepared, method: SegmentationMethod, n_items: int):
    matrix = prepared.matrix
    V, labels, k = matrix.V, method.labels_, method.n_segments_
    totals = V.sum(axis=1)
    m = method.memberships_ if method.memberships_ is not None else hard_memberships(labels, k)
    size = totals @ m
    if hasattr(method, "W_"):
        weight, profile = method.W_, method.H_
        rule = "the group with the highest weight in W for this behaviour"
    else:
        # Hard methods have no W: a group's weight is the interactions it brings to the segment.
        weight, profile = m * totals[:, None], m.T @ V
        rule = "the group bringing the most interactions to this segment"
    personas = []
    for p in range(k):
        column = weight[:, p]
        g = int(np.argmax(column))
        relative = column[g] / column.sum() if column.sum() > 0 else 0.0
        demographics = {c: str(v) for c, v in matrix.groups.iloc[g].items()}
        persona = Persona(
            id=p,
            name="",
            size=float(size[p]),
            share=float(size[p] / V.sum()),
            demographics=demographics,
            interests=_interests(profile[p], matrix.items, n_items),
            explanation=(
                f"Demographic skeleton {matrix.group_labels[g]}: {rule} "
                f"({relative:.2f} of the persona's total weight over {len(column)} groups)."
            ),
        )
        personas.append(_with_identity(persona))
    return personas, _unassigned(labels, totals)


def _interests(row: np.ndarray, items: pd.DataFrame, n: int) -> list[Interest]:
    total = row.sum()
    if total <= 0:
        return []
    share = row / total
    label_col = next((c for c in items.columns if "title" in c.lower() or "name" in c.lower()), None)
    topic_col = next((c for c in items.columns if c.lower() in ("topic", "category", "genre")), None)
    out = []
    for j in np.argsort(-share, kind="stable")[:n]:
        info = items.iloc[j]
        out.append(
            Interest(
                item=str(items.index[j]),
                weight=float(share[j]),
                label=str(info[label_col]) if label_col else "",
                topic=str(info[topic_col]) if topic_col else "",
            )
        )
    return out


# -- per-customer tables ------------------------------------------------------------------------


def _table_personas(dataset: Dataset, prepared: Prepared, method: SegmentationMethod, n_traits: int):
    labels, weight = method.labels_, prepared.size_weight
    total = float(weight.sum())
    frame = dataset.frame
    personas = []
    for p in range(method.n_segments_):
        inside = labels == p
        size = float(weight[inside].sum())
        typical = {c: _typical(frame[c], inside, weight) for c in dataset.columns("demographic")}
        traits = []
        for col in dataset.columns("feature"):
            traits += _traits(frame[col], inside, weight)
        traits = [t for t in traits if abs(t.effect) >= MIN_EFFECT]
        traits.sort(key=lambda t: (-abs(t.effect), t.feature, t.level or ""))
        persona = Persona(
            id=p,
            name="",
            size=size,
            share=size / total if total else 0.0,
            demographics={c: shown for c, (_, shown) in typical.items() if shown},
            traits=traits[:n_traits],
            explanation=(
                f"{int(inside.sum()):,} rows; traits ranked by how far the segment stands from "
                f"everybody (|standardised difference| >= {MIN_EFFECT})."
            ),
        )
        personas.append(_with_identity(persona, {c: value for c, (value, _) in typical.items()}))
    return personas, _unassigned(labels, weight)


def _is_category(series: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series)


def _typical(series: pd.Series, inside: np.ndarray, weight: np.ndarray) -> tuple[str, str]:
    """(typical value, how it is shown): the weighted mode with its share, or the median and
    middle half of a number."""
    values, w = series[inside], weight[inside]
    if _is_category(series):
        shares = pd.Series(w, index=values.index).groupby(values.astype("string")).sum()
        if shares.empty or shares.sum() <= 0:
            return "", ""
        shares = shares / shares.sum()
        mode = str(shares.idxmax())
        return mode, (f"{mode} ({shares.max():.0%})" if shares.max() < 0.995 else mode)
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(numbers)
    if not ok.any():
        return "", ""
    low, mid, high = np.percentile(numbers[ok], [25, 50, 75])
    return f"{mid:.3g}", (f"{mid:.3g}" if low == high else f"{mid:.3g} (middle half {low:.3g}-{high:.3g})")


def _traits(series: pd.Series, inside: np.ndarray, weight: np.ndarray) -> list[Trait]:
    name = str(series.name)
    if _is_category(series):
        text = series.astype("string").fillna("(missing)")
        # For a yes/no column "True" says it all; "False" would repeat it mirrored.
        levels = ["True"] if pd.api.types.is_bool_dtype(series) else text.unique()
        out = []
        for level in levels:
            has = (text == level).to_numpy()
            if (has & inside).sum() < MIN_SUPPORT:
                continue
            seg, pop = _share(has, inside, weight), _share(has, np.ones_like(inside), weight)
            effect = 2 * np.arcsin(np.sqrt(seg)) - 2 * np.arcsin(np.sqrt(pop))
            out.append(
                Trait(
                    feature=name, kind="category", level=str(level), value=seg, population=pop,
                    effect=float(effect), lift=seg / pop if pop else None,
                    text=f"{name} = {level}: {seg:.0%} vs {pop:.0%} overall",
                )
            )
        return out
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    ok = ~np.isnan(numbers) & (weight > 0)
    if (ok & inside).sum() < 2:
        return []
    pop_mean = np.average(numbers[ok], weights=weight[ok])
    pop_sd = np.sqrt(np.average((numbers[ok] - pop_mean) ** 2, weights=weight[ok]))
    if pop_sd == 0:
        return []
    seg_mean = np.average(numbers[ok & inside], weights=weight[ok & inside])
    effect = (seg_mean - pop_mean) / pop_sd
    return [
        Trait(
            feature=name, kind="numeric", value=float(seg_mean), population=float(pop_mean),
            effect=float(effect), text=f"{name}: {seg_mean:.3g} vs {pop_mean:.3g} overall",
        )
    ]


def _share(has: np.ndarray, rows: np.ndarray, weight: np.ndarray) -> float:
    total = weight[rows].sum()
    return float(weight[rows & has].sum() / total) if total > 0 else 0.0

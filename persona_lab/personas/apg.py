"""Personas of the APG shape (DESIGN.md): demographic groups x content items.

Memberships m[g, p] (soft for NMF, one-hot for hard methods); a persona's size is the interactions
it accounts for, sum_g V[g, :].sum() m[g, p], on the raw counts whatever weighting was used for
fitting; its demographic skeleton is the group with the highest weight W[:, p] (for hard methods,
which have no W, the interactions a group brings to the segment); the next strongest groups are
shown with their weights; its interests are the top items of H[p, :], and its distinctive
interests the items whose share of H[p, :] most exceeds their share of all interactions (lift),
among those the persona accounts for at least :data:`MIN_VOLUME` interactions of (a small
persona: among its most viewed items): at high k many
personas share the most viewed items, and what sets each apart is what it watches *more*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..methods.base import SegmentationMethod, hard_memberships
from ..prepare import Prepared
from .model import GroupWeight, Interest, Persona
from .naming import normalise_gender
from .tables import AGE, COUNTRY, GENDER, unassigned

#: Groups shown per persona: the skeleton and the next strongest ones.
N_GROUPS = 5
#: The fewest of an item's interactions a persona must account for (its size times the item's
#: share of its mix) for the item to count as distinctive: a lift on a handful of views is noise.
MIN_VOLUME = 10.0


def memberships(method: SegmentationMethod) -> np.ndarray:
    """Groups x personas: the soft memberships (NMF), or one-hot labels for a hard method."""
    if method.memberships_ is not None:
        return method.memberships_
    return hard_memberships(method.labels_, method.n_segments_)


def apg_personas(
    prepared: Prepared, method: SegmentationMethod, n_items: int
) -> tuple[list[Persona], dict[str, float] | None]:
    matrix = prepared.matrix
    V, labels, k = matrix.V, method.labels_, method.n_segments_
    totals = V.sum(axis=1)
    m = memberships(method)
    size = totals @ m
    audience = V.sum(axis=0) / V.sum()
    if hasattr(method, "W_"):
        weight, profile = method.W_, method.H_
        rule = "the highest weight in W for this behaviour"
    else:
        # Hard methods have no W: a group's weight is the interactions it brings to the segment.
        weight, profile = m * totals[:, None], m.T @ V
        rule = "the highest weight (the most interactions brought to this segment)"
    personas = []
    for p in range(k):
        groups = strongest_groups(weight[:, p], matrix.group_labels, N_GROUPS)
        g = int(np.argmax(weight[:, p]))
        demographics = {c: str(v) for c, v in matrix.groups.iloc[g].items()}
        persona = Persona(
            id=p,
            name="",
            size=float(size[p]),
            share=float(size[p] / V.sum()),
            demographics=demographics,
            interests=_interests(profile[p], matrix.items, n_items),
            distinctive=_distinctive(profile[p], audience, float(size[p]), matrix.items, n_items),
            groups=groups,
            explanation=_explanation(groups, rule, len(weight)),
        )
        persona.gender = normalise_gender(_pick(demographics, GENDER))
        persona.country = _pick(demographics, COUNTRY)
        persona.age = _pick(demographics, AGE)
        personas.append(persona)
    return personas, unassigned(labels, totals)


def strongest_groups(column: np.ndarray, labels: list[str], n: int) -> list[GroupWeight]:
    """The ``n`` groups with the highest weight, as shares of the persona's total weight."""
    total = column.sum()
    if total <= 0:
        return []
    order = np.argsort(-column, kind="stable")[:n]
    return [GroupWeight(group=labels[g], weight=float(column[g] / total)) for g in order]


def _explanation(groups: list[GroupWeight], rule: str, n_groups: int) -> str:
    if not groups:
        return "No group has any weight for this persona."
    top = groups[0]
    text = (
        f"Demographic skeleton {top.group}: chosen because this group has {rule}, "
        f"{top.weight:.2f} of the persona's total weight over {n_groups} groups."
    )
    if len(groups) > 1:
        text += " Next strongest: " + ", ".join(f"{g.group} ({g.weight:.2f})" for g in groups[1:]) + "."
    return text


def _pick(demographics: dict[str, str], names: tuple[str, ...]) -> str | None:
    for key, value in demographics.items():
        if key.strip().lower() in names:
            return value
    return None


def _interests(row: np.ndarray, items: pd.DataFrame, n: int) -> list[Interest]:
    total = row.sum()
    if total <= 0:
        return []
    share = row / total
    return [_interest(items, j, share[j]) for j in np.argsort(-share, kind="stable")[:n]]


def _distinctive(row: np.ndarray, audience: np.ndarray, size: float, items: pd.DataFrame, n: int) -> list[Interest]:
    """The ``n`` items of highest lift (share of the persona's mix over share of all
    interactions) above 1, among those the persona accounts for at least MIN_VOLUME
    interactions of; a persona too small for ``n`` such items draws on its 3n most viewed."""
    total = row.sum()
    if total <= 0:
        return []
    share = row / total
    lift = np.divide(share, audience, out=np.zeros_like(share), where=audience > 0)
    pool = np.flatnonzero(size * share >= MIN_VOLUME)
    if pool.size < n:
        pool = np.argsort(-share, kind="stable")[: 3 * n]
    pool = pool[lift[pool] > 1]
    order = pool[np.argsort(-lift[pool], kind="stable")][:n]
    return [_interest(items, j, share[j], float(lift[j])) for j in order]


def _interest(items: pd.DataFrame, j: int, share: float, lift: float | None = None) -> Interest:
    info = items.iloc[j]
    label_col = next((c for c in items.columns if "title" in c.lower() or "name" in c.lower()), None)
    topic_col = next((c for c in items.columns if c.lower() in ("topic", "category", "genre")), None)
    return Interest(
        item=str(items.index[j]),
        weight=float(share),
        label=str(info[label_col]) if label_col else "",
        topic=str(info[topic_col]) if topic_col else "",
        lift=lift,
    )

"""Persona lineage across k (as clustree, Zappia & Oshlack 2018): which persona splits into which.

Solutions for consecutive k are the levels of a tree. An edge goes from persona i at k to persona
j at the next k, weighted by the share of j's rows that came from i (clustree's ``in_prop``); edges
below ``min_share`` (10%) are hidden. A child with one strong parent is a persona that carried on
or split off; a child with two strong parents is a merge.

Personas keep one identity across the levels through :func:`chain_align`, agreement.py's one-to-one
matching applied level after level, so that a persona keeps its colour as k grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .agreement import align_labels
from .errors import PersonaLabError
from .personas.edits import named_like
from .personas.model import PersonaSet
from .personas.naming import NameBook

#: Edges carrying less of their child than this are hidden (clustree's default view).
MIN_SHARE = 0.1
#: Levels (numbers of personas) a lineage shows at most: more do not fit a page.
MAX_LEVELS = 8


def levels_between(ks) -> list[int]:
    """The levels of a lineage over the asked numbers of personas ``ks``: every k from the smallest
    to the largest while they are at most :data:`MAX_LEVELS`, else exactly the asked k (5, 10 and
    20 are three levels, not 5 to 12)."""
    asked = sorted({int(k) for k in ks})
    if not asked:
        return []
    every = list(range(asked[0], asked[-1] + 1))
    return every if len(every) <= MAX_LEVELS else asked


def chain_align(labelings: list, anchor: int = 0) -> list[np.ndarray]:
    """Each labeling relabelled by its match in its neighbour towards ``anchor`` (whose labeling
    keeps its ids), so that a persona carried from one solution to the next keeps its id, and so
    its colour."""
    labelings = [np.asarray(labels).astype(int) for labels in labelings]
    aligned: list[np.ndarray | None] = [None] * len(labelings)
    aligned[anchor] = labelings[anchor]
    for i in range(anchor + 1, len(labelings)):
        aligned[i] = align_labels(aligned[i - 1], labelings[i])
    for i in range(anchor - 1, -1, -1):
        aligned[i] = align_labels(aligned[i + 1], labelings[i])
    return aligned


def named_across(persona_sets: list[PersonaSet], identities: list[dict[int, int]], anchor: int = 0) -> list[PersonaSet]:
    """The sets with one name per matched persona: ``identities[i]`` maps a persona id of set i to
    its identity (:func:`chain_align`'s id, the one its colour follows). The anchor's personas
    keep their names, and a persona takes the name its identity has in the nearest set towards
    the anchor; a persona with an identity of its own gets a name no other identity has, so that
    a name never stands for two different personas (:func:`persona_lab.personas.edits.named_like`)."""
    order = [anchor, *range(anchor + 1, len(persona_sets)), *range(anchor - 1, -1, -1)]
    taken, names = NameBook(), {}
    named: list[PersonaSet | None] = [None] * len(persona_sets)
    for i in order:
        ids = identities[i]
        ps = named_like(persona_sets[i], {p: names[n] for p, n in ids.items() if n in names}, taken)
        for persona in ps.personas:
            names.setdefault(ids.get(persona.id), persona.name)
        named[i] = ps
    return named


@dataclass(frozen=True)
class Lineage:
    """Nodes (k, persona_id, colour_id, rows, share, position, stability) and edges
    (k_from, from_id, k_to, to_id, rows, share, shown). ``persona_id`` is the persona's id in its
    own solution; ``colour_id`` its id after :func:`chain_align`; ``position`` its place in its
    level (0 first), ordered so that children sit near their parents."""

    nodes: pd.DataFrame
    edges: pd.DataFrame
    min_share: float

    @property
    def shown(self) -> pd.DataFrame:
        return self.edges[self.edges["shown"]]


def lineage(
    labelings: dict[int, np.ndarray],
    weights: np.ndarray | None = None,
    stability: dict[tuple[int, int], float] | None = None,
    min_share: float = MIN_SHARE,
    anchor: int | None = None,
) -> Lineage:
    """The lineage of the solutions in ``labelings`` ({k: labels of the same rows}), in order of k.

    ``weights`` (a row's weight, e.g. its interactions) count rows, 1 each without them;
    ``stability`` maps (k, persona_id) to the persona's survival over resamples, where known.
    ``anchor`` is the k whose personas keep their ids (and colours); the smallest by default.
    Unassigned rows (-1) take no part.
    """
    ks = sorted(int(k) for k in labelings)
    if len(ks) < 2:
        raise PersonaLabError("A lineage needs at least two numbers of personas", fix="Choose a range of k")
    raw = [np.asarray(labelings[k]).astype(int) for k in ks]
    if len({len(labels) for labels in raw}) != 1:
        raise PersonaLabError("The solutions of a lineage must label the same rows",
                              fix="Segment the same data for every k")
    w = np.ones(len(raw[0])) if weights is None else np.asarray(weights, dtype=float)
    aligned = chain_align(raw, ks.index(int(anchor)) if anchor in ks else 0)

    node_rows = []
    for k, labels, colours in zip(ks, raw, aligned):
        assigned = labels >= 0
        total = w[assigned].sum()
        for persona_id in np.unique(labels[assigned]):
            members = labels == persona_id
            rows = float(w[members].sum())
            node_rows.append((k, int(persona_id), int(colours[members][0]), rows, rows / total if total else 0.0))
    nodes = pd.DataFrame(node_rows, columns=["k", "persona_id", "colour_id", "rows", "share"])

    edge_rows = []
    for (k_a, a), (k_b, b) in zip(zip(ks, raw), zip(ks[1:], raw[1:])):
        keep = (a >= 0) & (b >= 0)
        table = pd.crosstab(a[keep], b[keep], values=w[keep], aggfunc="sum").fillna(0.0)
        child_totals = table.sum(axis=0)
        for i in table.index:
            for j in table.columns:
                if table.loc[i, j] > 0:
                    share = float(table.loc[i, j] / child_totals[j])
                    edge_rows.append((k_a, int(i), k_b, int(j), float(table.loc[i, j]), share, share >= min_share))
    edges = pd.DataFrame(edge_rows, columns=["k_from", "from_id", "k_to", "to_id", "rows", "share", "shown"])

    nodes["position"] = _positions(nodes, edges)
    nodes["stability"] = [(stability or {}).get((k, p), np.nan) for k, p in zip(nodes["k"], nodes["persona_id"])]
    return Lineage(nodes, edges, min_share)


def focus(tree: Lineage, k: int, persona_id: int) -> Lineage:
    """The part of ``tree`` that descends from persona ``persona_id`` at ``k`` along its shown
    edges: where a level holds 50 or 100 personas the whole tree is unreadable, and a user follows
    one persona at a time."""
    keep = {(int(k), int(persona_id))}
    shown = tree.shown
    for level in sorted(tree.nodes["k"].unique()):
        out = shown[shown["k_from"] == level]
        keep |= {(int(e.k_to), int(e.to_id)) for e in out.itertuples() if (int(e.k_from), int(e.from_id)) in keep}
    if (int(k), int(persona_id)) not in set(zip(tree.nodes["k"], tree.nodes["persona_id"])):
        raise PersonaLabError(f"There is no persona {persona_id} at k = {k} in this lineage",
                              fix="Choose one of the lineage's personas")
    nodes = tree.nodes[[(int(a), int(b)) in keep for a, b in zip(tree.nodes["k"], tree.nodes["persona_id"])]]
    edges = tree.edges[[(int(a), int(b)) in keep and (int(c), int(d)) in keep for a, b, c, d in
                        zip(tree.edges["k_from"], tree.edges["from_id"], tree.edges["k_to"], tree.edges["to_id"])]]
    nodes = nodes.assign(position=_positions(nodes, edges))
    return Lineage(nodes.reset_index(drop=True), edges.reset_index(drop=True), tree.min_share)


def _positions(nodes: pd.DataFrame, edges: pd.DataFrame) -> list[int]:
    """Each node's rank within its level: the first level by colour, each later one by the
    share-weighted mean position of its parents (barycentre ordering, fewer crossing edges)."""
    place: dict[tuple[int, int], int] = {}
    for k, level in nodes.groupby("k", sort=True):
        if not place:
            order = level.sort_values("colour_id")
        else:
            incoming = edges[edges["k_to"] == k]
            centre = {
                int(j): float(np.average([place[(int(r.k_from), int(r.from_id))] for r in group.itertuples()],
                                         weights=group["share"]))
                for j, group in incoming.groupby("to_id")
            }
            order = level.assign(centre=level["persona_id"].map(centre)).sort_values(["centre", "colour_id"])
        for rank, persona_id in enumerate(order["persona_id"]):
            place[(int(k), int(persona_id))] = rank
    return [place[(int(k), int(p))] for k, p in zip(nodes["k"], nodes["persona_id"])]

"""Persona lineage across k on a hand-built case, identities carried across solutions, and the
chart builders of the map, the lineage and the contingency table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from persona_lab import charts
from persona_lab.agreement import matched_contingency
from persona_lab.errors import PersonaLabError
from persona_lab.lineage import chain_align, lineage
from persona_lab.personas.model import Persona, PersonaSet

# Ten rows in persona 0 and thirteen in persona 1 at k = 2. At k = 3: persona 1 takes four rows of
# parent 0; persona 0 five of parent 0 and three of parent 1; persona 2 one row of parent 0 and ten
# of parent 1.
PARENT = np.array([0] * 10 + [1] * 13)
CHILD = np.array([1] * 4 + [2] + [0] * 5 + [0] * 3 + [2] * 10)


def _edges(tree) -> dict[tuple[int, int], tuple[float, float, bool]]:
    return {(r.from_id, r.to_id): (r.rows, r.share, r.shown) for r in tree.edges.itertuples()}


def test_edges_weigh_the_share_of_the_child_that_came_from_the_parent():
    tree = lineage({2: PARENT, 3: CHILD})
    edges = _edges(tree)
    assert set(edges) == {(0, 1), (0, 0), (1, 0), (0, 2), (1, 2)}
    assert edges[(0, 1)] == (4, 1.0, True)
    assert edges[(0, 0)] == (5, pytest.approx(5 / 8), True)
    assert edges[(1, 0)] == (3, pytest.approx(3 / 8), True)
    assert edges[(0, 2)] == (1, pytest.approx(1 / 11), False), "below 10% of its child: hidden"
    assert edges[(1, 2)] == (10, pytest.approx(10 / 11), True)
    assert len(tree.shown) == 4 and (tree.edges["k_from"] == 2).all() and (tree.edges["k_to"] == 3).all()
    for child, group in tree.edges.groupby("to_id"):
        assert group["share"].sum() == pytest.approx(1.0), f"shares into child {child} add up to 1"


def test_nodes_carry_sizes_identities_positions_and_known_stability():
    tree = lineage({3: CHILD, 2: PARENT}, stability={(3, 2): 0.8})
    nodes = tree.nodes.set_index(["k", "persona_id"])
    assert nodes.loc[(2, 0), "rows"] == 10 and nodes.loc[(3, 2), "share"] == pytest.approx(11 / 23)
    # Hungarian matching: parent 0 <-> child 0 (5 rows), parent 1 <-> child 2 (10 rows); child 1,
    # unmatched, gets the next free id.
    assert [nodes.loc[(3, p), "colour_id"] for p in (0, 1, 2)] == [0, 2, 1]
    # Children ordered by their parents' mean position: child 1 (all from parent 0), child 0
    # (5/8 from parent 0), child 2 (10/11 from parent 1).
    assert [nodes.loc[(3, p), "position"] for p in (1, 0, 2)] == [0, 1, 2]
    assert nodes.loc[(3, 2), "stability"] == 0.8 and nodes["stability"].isna().sum() == 4


def test_weights_count_rows_as_much_as_they_weigh():
    weights = np.ones(len(PARENT))
    weights[4] = 10.0  # the one row that went from parent 0 to child 2
    edges = _edges(lineage({2: PARENT, 3: CHILD}, weights=weights))
    assert edges[(0, 2)][:2] == (10, pytest.approx(0.5)) and edges[(0, 2)][2]


def test_a_lineage_needs_two_solutions_of_the_same_rows():
    with pytest.raises(PersonaLabError, match="at least two"):
        lineage({2: PARENT})
    with pytest.raises(PersonaLabError, match="same rows"):
        lineage({2: PARENT, 3: CHILD[:-1]})


def test_chain_align_keeps_the_anchor_and_carries_identities_outward():
    k2 = np.array([0, 0, 0, 1, 1, 1, 1, 1])
    k3 = np.array([2, 2, 2, 0, 0, 0, 1, 1])  # persona 0 of k2 is 2 here; persona 1 split into 0 and 1
    k4 = np.array([1, 1, 3, 2, 2, 2, 0, 0])
    aligned = chain_align([k2, k3, k4], anchor=1)
    np.testing.assert_array_equal(aligned[1], k3)
    np.testing.assert_array_equal(aligned[0], [2, 2, 2, 0, 0, 0, 0, 0])
    np.testing.assert_array_equal(aligned[2], [2, 2, 3, 0, 0, 0, 1, 1])


# -- charts ---------------------------------------------------------------------------------------


def _personas(names: list[str]) -> PersonaSet:
    personas = [Persona(id=i, name=n, size=1.0, share=1 / len(names)) for i, n in enumerate(names)]
    return PersonaSet(method="kmeans", k=len(names), personas=personas, manifest={})


def _scale(spec: dict) -> dict[str, str]:
    """persona name -> colour of a single-view spec (or its last layer)."""
    view = spec["layer"][-1] if "layer" in spec else spec
    scale = view["encoding"]["color"]["scale"]
    return dict(zip(scale["domain"], scale["range"]))


def test_segment_map_colours_personas_by_id_with_tooltips_and_density():
    coords = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "persona_id": [0, 1, -1], "row": list("abc")})
    density = pd.DataFrame({"x": [0.0], "x2": [1.0], "y": [0.0], "y2": [1.0], "rows": [7]})
    spec = charts.segment_map(coords, _personas(["Ann", "Bo"]), tooltip=["row:N"], density=density).to_dict()
    shade, points = spec["layer"]
    assert shade["mark"]["type"] == "rect" and shade["encoding"]["opacity"]["field"] == "rows"
    assert points["mark"]["type"] == "circle"
    assert _scale(spec) == {"Ann": charts.PALETTE[0], "Bo": charts.PALETTE[1], "unassigned": charts.UNASSIGNED_COLOR}
    assert [t["field"] for t in points["encoding"]["tooltip"]] == ["persona", "row"]
    (pick,) = spec["params"]
    assert pick["select"]["fields"] == ["colour"] and pick["bind"] == "legend"
    alone = charts.segment_map(coords, _personas(["Ann", "Bo"])).to_dict()
    assert "layer" not in alone and alone["mark"]["type"] == "circle"


def test_a_map_of_100_personas_colours_the_largest_and_greys_the_rest():
    names = [f"P{i}" for i in range(100)]
    personas = _personas(names)
    for p in personas.personas:
        p.share = (p.id + 1) / 5050  # P99 is the largest
    coords = pd.DataFrame({"x": np.arange(100.0), "y": np.zeros(100), "persona_id": np.arange(100)})
    spec = charts.segment_map(coords, personas).to_dict()
    scale = _scale(spec)
    assert len(scale) == charts.MAX_COLOURED + 1 and len(set(scale.values())) == len(scale)  # no hue twice
    assert list(scale)[:2] == ["P99", "P98"] and scale["81 other personas"] == charts.OTHER_COLOUR
    rows = pd.DataFrame(spec["datasets"][spec["data"]["name"]]).set_index("persona")
    assert rows.loc["P0", "colour"] == "81 other personas" and rows.loc["P99", "colour"] == "P99"


def test_a_map_coloured_by_an_attribute_of_each_persona():
    coords = pd.DataFrame({"x": [0.0, 1.0, 2.0], "y": [0.0, 1.0, 0.5], "persona_id": [0, 1, 2]})
    spec = charts.segment_map(coords, _personas(["Ann", "Bo", "Cy"]), colour_by={0: "F", 1: "M", 2: "F"}).to_dict()
    assert _scale(spec) == {"F": charts.PALETTE[0], "M": charts.PALETTE[1]}
    rows = pd.DataFrame(spec["datasets"][spec["data"]["name"]])
    assert list(rows["colour"]) == ["F", "M", "F"] and list(rows["persona"]) == ["Ann", "Bo", "Cy"]


def test_matched_personas_keep_their_colour_across_k():
    k3 = np.array([0] * 4 + [1] * 4 + [2] * 4)
    k4 = np.array([3] * 4 + [0] * 4 + [1] * 2 + [2] * 2)  # persona 0 is 3 here, 1 is 0; 2 split
    aligned = chain_align([k3, k4])
    coords = pd.DataFrame({"x": np.arange(12.0), "y": np.zeros(12)})
    solutions = []
    for k, labels, ids, names in [(3, k3, aligned[0], ["A", "B", "C"]), (4, k4, aligned[1], ["a", "b", "c", "d"])]:
        solutions.append((f"k = {k}", labels, _personas(names), {int(p): int(i) for p, i in zip(labels, ids)}))
    spec = charts.segment_map_panels(coords, solutions).to_dict()
    assert spec["resolve"]["scale"]["color"] == "independent" and len(spec["concat"]) == 2
    at3, at4 = (_scale(panel) for panel in spec["concat"])
    assert at4["d"] == at3["A"] and at4["a"] == at3["B"], "matched personas share a colour"
    assert at4["b"] == at3["C"] or at4["c"] == at3["C"]
    assert len(set(at4.values())) == 4
    assert len({p["name"] for p in spec["params"]}) == 2, "each panel highlights through its own legend"


def test_lineage_tree_draws_weighted_edges_and_nodes():
    tree = lineage({2: PARENT, 3: CHILD}, stability={(3, 0): 0.9})
    names = {(2, 0): "P0", (2, 1): "P1", (3, 0): "C0", (3, 1): "C1", (3, 2): "C2"}
    spec = charts.lineage_tree(tree.nodes, tree.shown, names).to_dict()
    edges, nodes, text = spec["layer"]
    assert edges["mark"]["type"] == "rule" and edges["encoding"]["strokeWidth"]["field"] == "share"
    assert {"x2", "y2"} <= set(edges["encoding"])
    assert nodes["mark"]["type"] == "circle" and nodes["encoding"]["size"]["field"] == "share"
    datasets = spec["datasets"]
    edge_rows = next(rows for rows in datasets.values() if rows and "to_id" in rows[0])
    assert len(edge_rows) == 4, "the hidden edge is not drawn"
    labels = next(rows for rows in datasets.values() if rows and "label" in rows[0])
    assert {r["label"] for r in labels} == {"P0", "P1", "C0 (90% stable)", "C1", "C2"}


def test_contingency_heatmap_is_valid_vega_lite():
    table = matched_contingency(PARENT, CHILD)
    spec = charts.contingency_heatmap(table, "k = 2", "k = 3").to_dict()
    assert spec["mark"]["type"] == "rect" and spec["encoding"]["color"]["field"] == "rows"
    assert spec["encoding"]["x"]["sort"] == ["0", "2", "1"], "matched children first, on the diagonal"


def test_focus_keeps_one_persona_and_what_descends_from_it():
    from persona_lab.lineage import focus

    k2 = np.array([0] * 6 + [1] * 6)
    k3 = np.array([0] * 3 + [1] * 3 + [2] * 6)  # persona 0 splits into 0 and 1; 1 carries on as 2
    k4 = np.array([0] * 3 + [1] * 3 + [2] * 3 + [3] * 3)
    tree = lineage({2: k2, 3: k3, 4: k4})
    part = focus(tree, 2, 0)
    assert sorted(zip(part.nodes["k"], part.nodes["persona_id"])) == [(2, 0), (3, 0), (3, 1), (4, 0), (4, 1)]
    assert set(part.shown["from_id"][part.shown["k_from"] == 2]) == {0}
    assert sorted(part.nodes[part.nodes["k"] == 3]["position"]) == [0, 1]  # ranks within what is shown
    with pytest.raises(PersonaLabError, match="no persona 5"):
        focus(tree, 2, 5)

"""interaction_matrix: the APG pivot (long and wide form) and what it refuses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from persona_lab.data import (
    Dataset,
    InteractionMatrix,
    infer_roles,
    interaction_matrix,
    load_dataset,
)
from persona_lab.errors import PersonaLabError

LONG_ROLES = {
    "age": "demographic",
    "gender": "demographic",
    "video": "item",
    "title": "descriptor",
    "views": "value",
}


def long_table() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("25-34", "female", "v1", "Cats", 10),
            ("25-34", "female", "v2", "Dogs", 4),
            ("18-24", "male", "v1", "Cats", 3),
            ("25-34", "female", "v1", "Cats", 5),  # a repeated (group, item) pair: summed
            ("18-24", "female", "v3", "Cars", 7),
            ("18-24", "male", "v3", "Cars", 0),
        ],
        columns=["age", "gender", "video", "title", "views"],
    )


def build(frame, roles=LONG_ROLES) -> InteractionMatrix:
    return interaction_matrix(Dataset(frame, roles, "interactions", name="views.csv"))


def test_long_form_pivot():
    matrix = build(long_table())
    # Groups sorted by their demographic values; items in order of first appearance.
    assert matrix.group_labels == ["18-24 | female", "18-24 | male", "25-34 | female"]
    assert matrix.item_ids == ["v1", "v2", "v3"]
    np.testing.assert_array_equal(matrix.V, [[0, 0, 7], [3, 0, 0], [15, 4, 0]])
    assert matrix.V.dtype == np.float64
    assert matrix.groups.to_dict("list") == {
        "age": ["18-24", "18-24", "25-34"],
        "gender": ["female", "male", "female"],
    }
    assert matrix.items["title"].to_dict() == {"v1": "Cats", "v2": "Dogs", "v3": "Cars"}
    assert any("summed" in w for w in matrix.warnings)


def test_long_form_with_inferred_roles():
    frame = long_table()
    kind, roles = infer_roles(frame)
    assert (kind, roles) == ("interactions", LONG_ROLES)
    np.testing.assert_array_equal(build(frame, roles).V.sum(), 29)


def test_item_ids_are_strings_and_non_dependent_descriptors_are_left_out():
    frame = long_table().assign(
        video=[101, 102, 101, 101, 103, 103], mood=["a", "b", "c", "d", "e", "f"]
    )
    matrix = build(frame, {**LONG_ROLES, "mood": "descriptor"})
    assert matrix.item_ids == ["101", "102", "103"]
    assert list(matrix.items.columns) == ["title"]


def test_wide_form():
    frame = pd.DataFrame(
        {"age": ["18-24", "25-34", "35-44"], "p1": [1, 0, 2], "p2": [0, 0, 0], "p3": [5, 0, 1]}
    )
    roles = {"age": "demographic", "p1": "feature", "p2": "feature", "p3": "feature"}
    matrix = build(frame, roles)
    assert matrix.group_labels == ["18-24", "35-44"]
    assert matrix.item_ids == ["p1", "p3"]
    np.testing.assert_array_equal(matrix.V, [[1, 5], [2, 1]])
    assert matrix.items.shape == (2, 0)
    assert any("18-24" not in w and "'25-34'" in w for w in matrix.warnings)
    assert any("'p2'" in w for w in matrix.warnings)


def test_missing_counts_are_zero_and_missing_demographics_a_group():
    frame = long_table()
    frame.loc[0, "views"] = np.nan
    frame.loc[2, "gender"] = None
    matrix = build(frame)
    assert "18-24 | (missing)" in matrix.group_labels
    assert matrix.V.sum() == 29 - 10
    assert any("counted as 0" in w for w in matrix.warnings)


def test_negative_counts():
    frame = long_table()
    frame.loc[4, "views"] = -2
    with pytest.raises(PersonaLabError, match=r"'views'.*row 5 \(-2\).*non-negative") as info:
        build(frame)
    assert "Remove the rows" in info.value.fix and "other than NMF" in info.value.fix


def test_non_numeric_and_infinite_counts():
    frame = long_table().astype({"views": object})
    frame.loc[1, "views"] = "lots"
    with pytest.raises(PersonaLabError, match=r"'views' must hold counts, but row 2 holds 'lots'"):
        build(frame)
    frame = long_table().astype({"views": float})
    frame.loc[3, "views"] = np.inf
    with pytest.raises(PersonaLabError, match=r"infinite count in row 4"):
        build(frame)


def test_refusals():
    frame = long_table()
    with pytest.raises(PersonaLabError, match="No demographic column"):
        build(frame, {**LONG_ROLES, "age": "ignore", "gender": "ignore"})
    with pytest.raises(PersonaLabError, match="all zeros"):
        build(frame.assign(views=0))
    with pytest.raises(PersonaLabError, match="not an interaction matrix"):
        interaction_matrix(Dataset(frame, LONG_ROLES, "entities"))
    with pytest.raises(PersonaLabError, match="exactly one 'value' column"):
        build(frame.assign(plays=1), {**LONG_ROLES, "plays": "value"})


def test_from_a_file_end_to_end(tmp_path):
    path = tmp_path / "views.csv"
    long_table().to_csv(path, index=False)
    dataset = load_dataset(path)
    assert dataset.kind == "interactions"
    matrix = interaction_matrix(dataset)
    np.testing.assert_array_equal(matrix.V, [[0, 0, 7], [3, 0, 0], [15, 4, 0]])

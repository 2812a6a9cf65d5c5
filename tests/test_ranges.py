"""Ranges written as text: an APG group "under 18" is younger than 18 on its card, and age groups
are charted in age order (persona_lab.data.ranges)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from persona_lab.charts import column_distribution
from persona_lab.data.ranges import is_ordered, range_bounds, sort_key
from persona_lab.personas.build import age_in_range


@pytest.mark.parametrize("text, bounds", [
    ("18-24", (18, 24)),
    ("under 18", (-math.inf, 18)),
    ("<18", (-math.inf, 18)),
    ("18 and under", (-math.inf, 18)),
    ("65+", (65, math.inf)),
    ("65 and over", (65, math.inf)),
    ("41", (41, 41)),
    ("adult", None),
])  # fmt: skip
def test_range_bounds(text, bounds):
    assert range_bounds(text) == bounds


def test_an_under_18_group_gets_an_age_under_18():
    ages = {int(age_in_range("under 18", 0, f"persona {i}")) for i in range(60)}
    assert ages <= set(range(13, 18)) and len(ages) > 1
    assert {int(age_in_range("18 and under", 0, f"p{i}")) for i in range(60)} <= set(range(14, 19))
    assert {int(age_in_range("65+", 0, f"p{i}")) for i in range(60)} <= set(range(65, 80))
    assert age_in_range("adult", 0, "p") == "adult"


def test_age_groups_are_charted_in_age_order_not_by_count():
    groups = ["25-34"] * 50 + ["under 18"] * 5 + ["65+"] * 20 + ["18-24"] * 30 + [None] * 3
    chart = column_distribution(pd.Series(groups, name="age_group"), "categorical").to_dict()
    assert chart["encoding"]["y"]["sort"] == ["under 18", "18-24", "25-34", "65+", "(missing)"]
    # Anything else stays ordered by how common it is.
    other = column_distribution(pd.Series(["b"] * 5 + ["a"] * 9, name="x"), "categorical").to_dict()
    assert other["encoding"]["y"]["sort"] == "-x"


def test_ordering_helpers():
    assert is_ordered(["13-17", "65+"]) and not is_ordered(["13-17", "teen"])
    assert sorted(["65+", "18-24", "under 18"], key=sort_key) == ["under 18", "18-24", "65+"]

"""profile_columns and infer_roles on hand-made frames."""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest

from persona_lab.data import infer_roles, profile_columns
from persona_lab.errors import PersonaLabError


def hand_made(n: int = 40) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({
        "respondent_id": [f"R{i:04d}" for i in range(n)],
        "row": np.arange(1, n + 1),
        "income": rng.normal(50_000, 8_000, n).round(2),
        "rating": rng.integers(1, 6, n),
        "country": rng.choice(["US", "DE", "FR"], n),
        "subscribed": rng.choice(["yes", "no"], n),
        "mobile": rng.choice([0, 1], n),
        "active": rng.random(n) > 0.5,
        "signup": pd.date_range("2024-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
        "last_seen": pd.date_range("2024-03-01", periods=n, freq="h"),
        "comment": [f"Delivery {i} was late again and support did not answer" for i in range(n)],
        "code": [f"X{i}" for i in range(n)],  # unique short strings, no id-like name
    })  # fmt: skip


def test_profile_types():
    profile = profile_columns(hand_made()).set_index("column")
    assert profile["type"].to_dict() == {
        "respondent_id": "identifier",
        "row": "identifier",
        "income": "numeric",
        "rating": "categorical",
        "country": "categorical",
        "subscribed": "boolean",
        "mobile": "boolean",
        "active": "boolean",
        "signup": "datetime",
        "last_seen": "datetime",
        "comment": "text",
        "code": "identifier",
    }


def test_profile_columns_and_values():
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0, 3.0], "b": ["x", "y", None, "x"], "empty": [np.nan] * 4}
    )
    profile = profile_columns(frame)
    assert list(profile.columns) == ["column", "type", "missing_share", "distinct", "examples"]
    a, b, empty = profile.to_dict("records")
    assert (a["missing_share"], a["distinct"], a["examples"]) == (0.25, 2, "1, 3")
    assert (b["missing_share"], b["distinct"], b["examples"]) == (0.25, 2, "x, y")
    assert (empty["missing_share"], empty["distinct"], empty["examples"]) == (1.0, 0, "")


def test_numbers_as_strings_are_not_dates():
    frame = pd.DataFrame({
        "zip": [str(10000 + 7 * i) for i in range(30)],
        "x": ["a", "b"] * 15,
        "household": ["1-2", "3-5", "6-10"] * 10,  # ranges parse as dates in year 1
        "age_group": ["18-24", "25-34", "35-44"] * 10,
        "month": ["2024-01", "2024-02", "2024-03"] * 10,
    })  # fmt: skip
    types = profile_columns(frame)["type"].tolist()
    assert types == ["identifier", "categorical", "categorical", "categorical", "datetime"]


def test_profile_types_100k_rows():
    rng = np.random.default_rng(1)
    n = 100_000
    frame = pd.DataFrame({
        "id": np.arange(n),
        "x": rng.normal(size=n),
        "cat": rng.choice(list("abcdef"), n),
        "when": pd.Series(pd.date_range("2020-01-01", periods=n, freq="min")).astype(str),
        "note": [f"free text answer number {i} with some words in it" for i in range(n)],
    })  # fmt: skip
    profile = profile_columns(frame)  # its speed: a timed test fails on a loaded machine, not here
    assert profile["type"].tolist() == ["identifier", "numeric", "categorical", "datetime", "text"]


# --- roles -----------------------------------------------------------------------------------


def long_apg() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    rows = []
    for age in ["18-24", "25-34", "35-44"]:
        for gender in ["female", "male"]:
            for video, title, topic in [
                ("v1", "Cats", "pets"),
                ("v2", "Dogs", "pets"),
                ("v3", "Cars", "autos"),
                ("v4", "Bikes", "autos"),
            ]:
                rows.append(
                    (
                        age,
                        gender,
                        "US",
                        video,
                        title,
                        topic,
                        int(rng.integers(0, 1000)),
                        int(rng.integers(0, 50)),
                    )
                )
    return pd.DataFrame(
        rows,
        columns=[
            "age_group",
            "gender",
            "country",
            "video_id",
            "video_title",
            "topic",
            "views",
            "likes",
        ],
    )


def test_roles_long_apg():
    kind, roles = infer_roles(long_apg())
    assert kind == "interactions"
    assert roles == {
        "age_group": "demographic",
        "gender": "demographic",
        "country": "ignore",  # constant
        "video_id": "item",
        "video_title": "descriptor",
        "topic": "descriptor",
        "views": "value",
        "likes": "ignore",
    }


def test_roles_wide_apg():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"age": ["18-24", "18-24", "25-34", "25-34"], "sex": ["f", "m", "f", "m"]})
    for i in range(6):
        frame[f"page_{i}"] = rng.integers(0, 500, len(frame))
    kind, roles = infer_roles(frame)
    assert kind == "interactions"
    assert roles == {
        "age": "demographic",
        "sex": "demographic",
        **{f"page_{i}": "feature" for i in range(6)},
    }


def customers(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "customer_id": [f"C{i:03d}" for i in range(n)],
        "age": rng.integers(18, 80, n),
        "gender": rng.choice(["female", "male"], n),
        "country": rng.choice(["US", "DE"], n),
        "visits": rng.integers(0, 40, n),
        "basket_size": rng.gamma(2, 20, n),
        "plan": rng.choice(["basic", "pro", "team"], n),
        "churned": rng.choice(["yes", "no"], n),
        "spend_total": rng.gamma(2, 50, n),
        "weight": rng.uniform(0.5, 2, n),
        "signup": pd.date_range("2024-01-01", periods=n).strftime("%Y-%m-%d"),
        "comment": [f"I like product number {i} but the shipping was slow" for i in range(n)],
        "source": "web",
    })  # fmt: skip


def test_roles_customer_table():
    kind, roles = infer_roles(customers())
    assert kind == "entities"
    assert roles == {
        "customer_id": "id",
        "age": "demographic",
        "gender": "demographic",
        "country": "demographic",
        "visits": "feature",
        "basket_size": "feature",
        "plan": "feature",
        "churned": "descriptor",
        "spend_total": "descriptor",
        "weight": "weight",
        "signup": "date",
        "comment": "text",
        "source": "ignore",
    }


def test_forced_kind():
    kind, roles = infer_roles(long_apg(), kind="entities")
    assert kind == "entities" and roles["views"] == "feature"
    kind, roles = infer_roles(customers().drop(columns="customer_id"), kind="interactions")
    assert (
        kind == "interactions" and roles["gender"] == "demographic" and roles["visits"] == "feature"
    )
    with pytest.raises(PersonaLabError, match="Unknown kind"):
        infer_roles(customers(), kind="people")


def test_roles_accept_a_given_profile():
    frame = customers()
    profile = profile_columns(frame)
    profile.loc[profile["column"] == "plan", "type"] = "text"
    assert infer_roles(frame, profile)[1]["plan"] == "text"

"""Roles a researcher would choose: ids never segmented on, declared types carried into
preparation, and the weight role checked (persona_lab.data.profile, persona_lab.prepare)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from persona_lab.data import load_dataset, profile_columns
from persona_lab.errors import PersonaLabError
from persona_lab.prepare import Preparation, prepare


def marketing_survey(n: int = 240, seed: int = 0) -> pd.DataFrame:
    """A table shaped like the public marketing-campaign survey: an ID of distinct integers in no
    order and with gaps, birth years, an all-distinct income, 0/1/2 children, 0/1 campaigns."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "ID": rng.choice(np.arange(11_000), n, replace=False),
        "Year_Birth": rng.integers(1945, 2000, n),
        "Income": rng.choice(np.arange(15_000, 120_000), n, replace=False),
        "Kidhome": rng.integers(0, 3, n),
        "Teenhome": rng.integers(0, 3, n),
        "MntWines": np.round(rng.gamma(1.0, 300.0, n)),
        "NumStorePurchases": rng.integers(0, 14, n),
        "AcceptedCmp1": (rng.random(n) < 0.08).astype(int),
        "AcceptedCmp2": (rng.random(n) < 0.12).astype(int),
    })  # fmt: skip


@pytest.fixture(scope="module")
def survey(tmp_path_factory):
    path = tmp_path_factory.mktemp("survey") / "marketing.csv"
    marketing_survey().to_csv(path, sep=";", index=False)
    return load_dataset(path)


def test_an_id_column_is_detected_and_never_segmented_on(survey):
    assert survey.roles["ID"] == "id" and survey.types["ID"] == "identifier"
    # A measurement whose values are all distinct is no id.
    assert survey.types["Income"] == "numeric" and survey.roles["Income"] != "id"
    prepared = prepare(survey, Preparation())
    assert not any(name.startswith("ID") for name in prepared.feature_names)
    # Even given the feature role by hand, an identifier stays out, and the steps say why.
    forced = prepare(survey.with_roles({"ID": "feature"}), Preparation())
    assert not any(name.startswith("ID") for name in forced.feature_names)
    assert "ID: an identifier (a distinct value per row), not segmented on" in forced.steps


@pytest.mark.parametrize("name, values", [
    ("user", np.random.default_rng(1).permutation(np.arange(1, 101))),  # sequential, shuffled
    ("respondent", [f"R{i:04d}" for i in range(100)]),  # distinct strings
    ("customer_id", np.random.default_rng(2).choice(10**6, 100, replace=False)),  # named so
    ("RespondentID", np.random.default_rng(3).choice(10**6, 100, replace=False)),
])  # fmt: skip
def test_ids_by_name_order_or_uniqueness(name, values):
    frame = pd.DataFrame({name: values, "spend": np.arange(100) % 7})
    assert profile_columns(frame).set_index("column").loc[name, "type"] == "identifier"


def test_words_ending_in_id_are_not_ids():
    frame = pd.DataFrame({"paid": np.random.default_rng(4).random(50), "valid": np.arange(50) % 3})
    types = profile_columns(frame).set_index("column")["type"]
    assert types["paid"] == "numeric" and types["valid"] == "categorical"


def test_declared_types_are_carried_into_preparation(survey):
    steps = prepare(survey, Preparation()).steps
    assert "Kidhome: categorical, 3 levels one-hot" in steps
    assert "Teenhome: categorical, 3 levels one-hot" in steps
    campaign = next(s for s in steps if s.startswith("AcceptedCmp1"))
    assert "log1p" not in campaign
    assert "log1p" in next(s for s in steps if s.startswith("MntWines"))  # a skewed amount still is
    # A type chosen by hand wins: Kidhome as a number again.
    numeric = prepare(survey.with_types({"Kidhome": "numeric"}), Preparation()).steps
    assert next(s for s in numeric if s.startswith("Kidhome")).startswith("Kidhome: numeric")


def test_a_zero_one_column_is_never_logged_even_typed_numeric(survey):
    steps = prepare(survey.with_types({"AcceptedCmp1": "numeric"}), Preparation()).steps
    assert "log1p" not in next(s for s in steps if s.startswith("AcceptedCmp1"))


def test_categorical_codes_become_category_traits(survey):
    import persona_lab as pl

    result = pl.run(survey, method="kmeans", k=2, seed=0)
    features = {t.feature for p in result.personas.personas for t in p.traits}
    levels = {t.level for p in result.personas.personas for t in p.traits if t.feature in ("Kidhome", "Teenhome")}
    assert "ID" not in features
    assert levels <= {"0", "1", "2"}


@pytest.mark.parametrize("column, values, message", [
    ("ID", None, "is an identifier"),
    ("w", np.full(240, 2.0), "same weight (2) in every row"),
    ("w", np.r_[np.ones(239), -1.0], "1 negative weight"),
    ("w", np.zeros(240), "no positive numbers"),
    ("w", ["a"] * 120 + ["b"] * 120, "does not hold numbers"),
])  # fmt: skip
def test_the_weight_role_is_checked_with_a_clear_message(survey, column, values, message):
    dataset = survey
    if values is not None:
        dataset = survey.__class__(survey.frame.assign(w=values), {**survey.roles, "w": "ignore"}, survey.kind,
                                   name="marketing.csv", types=dict(survey.types))
    with pytest.raises(PersonaLabError) as refused:
        prepare(dataset.with_roles({column: "weight"}), Preparation())
    assert message in refused.value.one_line()
    assert "weight" in refused.value.one_line() and "marketing.csv" in refused.value.one_line()


def test_a_real_weight_is_accepted(survey):
    weights = np.random.default_rng(5).uniform(0.5, 2.0, len(survey.frame))
    dataset = survey.__class__(survey.frame.assign(w=weights), {**survey.roles, "w": "weight"}, survey.kind,
                               types=dict(survey.types))
    prepared = prepare(dataset, Preparation())
    assert np.allclose(prepared.sample_weight, weights)

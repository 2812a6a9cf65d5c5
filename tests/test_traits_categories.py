"""Two-valued and other text columns are categories to every method that models categories;
yes/no columns stay 0/1 numbers where a method needs numbers. The Mall Customers shape runs with
every method."""

import numpy as np
import pandas as pd
import pytest

import persona_lab as pl
from persona_lab.cli import main
from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.features import CategoryEncoder, NumericEncoder
from persona_lab.methods import METHODS
from persona_lab.personas.traits import Column

METHOD_NAMES = ["nmf", "kmeans", "gmm", "hierarchical", "spectral", "hdbscan", "lca", "kprototypes", "archetypes"]


def _mall(n=200, seed=0) -> pd.DataFrame:
    """The public Mall Customers table's shape: an id, Gender as Male/Female, three numbers."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "CustomerID": np.arange(1, n + 1),
        "Gender": rng.choice(["Male", "Female"], n, p=[0.44, 0.56]),
        "Age": rng.integers(18, 71, n),
        "Annual Income (k$)": rng.integers(15, 138, n),
        "Spending Score (1-100)": rng.integers(1, 100, n),
    })


@pytest.fixture(scope="module")
def mall(tmp_path_factory):
    path = tmp_path_factory.mktemp("mall") / "mall.csv"
    _mall().to_csv(path, index=False)
    return path


def test_all_nine_methods_are_tested_here():
    assert sorted(METHOD_NAMES) == sorted(METHODS)


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_the_mall_shape_runs_with_every_method(mall, method):
    dataset = pl.load_dataset(str(mall))
    assert dataset.roles["Gender"] == "demographic" and dataset.roles["CustomerID"] == "id"
    run = pl.run(dataset, method=method, k=4, seed=0)
    assert run.personas.personas and all(p.demographics.get("Gender") for p in run.personas.personas)
    shares = sum(p.share for p in run.personas.personas) + (run.personas.unassigned or {}).get("share", 0)
    assert shares == pytest.approx(1)


def test_k_prototypes_segments_on_gender_when_no_feature_is_a_category(mall, tmp_path, capsys):
    run = pl.run(pl.load_dataset(str(mall)), method="kprototypes", k=4, seed=0)
    gender = run.prepared.feature_names.index("Gender")
    assert run.prepared.categorical_index == [gender]
    assert any(step.startswith("Gender: demographic, segmented on as a category") for step in run.prepared.steps)
    # The fitted model scores new rows with the same columns, Gender included.
    new = _mall(20, seed=9)
    assert (run.method.assign(run.prepared.transform(new)) >= 0).all()
    assert main(["personas", str(mall), "--method", "kprototypes", "--k", "4", "--out", str(tmp_path / "o")]) == 0
    # k-means keeps to the feature columns: only k-prototypes needs a category.
    kmeans = pl.run(pl.load_dataset(str(mall)), method="kmeans", k=4, seed=0)
    assert "Gender" not in " ".join(kmeans.prepared.feature_names)


def test_k_prototypes_with_no_category_anywhere_says_how_to_fix_it():
    frame = _mall().drop(columns="Gender")
    dataset = Dataset(frame, {"CustomerID": "id", "Age": "demographic", "Annual Income (k$)": "feature",
                              "Spending Score (1-100)": "feature"}, "entities")
    with pytest.raises(PersonaLabError, match="needs at least one categorical column") as caught:
        pl.run(dataset, method="kprototypes", k=3, seed=0)
    assert "'feature'" in caught.value.fix and "kmeans" in caught.value.fix


def _mixed() -> Dataset:
    rng = np.random.default_rng(3)
    n = 120
    frame = pd.DataFrame({
        "plan": rng.choice(["basic", "plus"], n),  # two-valued text
        "newsletter": rng.random(n) < 0.4,  # yes/no
        "spend": rng.gamma(2.0, 30.0, n),
    })
    return Dataset(frame, {c: "feature" for c in frame.columns}, "entities")


def test_two_valued_text_is_a_category_and_yes_no_a_number_where_numbers_are_needed():
    dataset = _mixed()
    by_column = {enc.column: enc for enc in pl.prepare(dataset, pl.get_method("kprototypes").default_preparation("entities")).encoders}
    assert isinstance(by_column["plan"], CategoryEncoder) and by_column["plan"].codes
    assert isinstance(by_column["newsletter"], CategoryEncoder) and by_column["newsletter"].codes
    lca = pl.prepare(dataset, pl.get_method("lca").default_preparation("entities"))
    assert len(lca.categorical_index) == 3  # plan and newsletter as categories, spend in bins
    assert [sorted(enc.levels) for enc in lca.encoders if enc.column == "plan"] == [["basic", "plus"]]
    kmeans = {enc.column: enc for enc in pl.prepare(dataset, pl.get_method("kmeans").default_preparation("entities")).encoders}
    assert isinstance(kmeans["newsletter"], NumericEncoder)  # one 0/1 column, scaled
    assert isinstance(kmeans["plan"], CategoryEncoder) and not kmeans["plan"].codes
    weight = np.ones(len(dataset.frame))
    assert Column(dataset.frame["plan"], weight).kind == "category"
    assert Column(dataset.frame["newsletter"], weight).kind == "category"
    assert Column(dataset.frame["spend"], weight).kind == "numeric"


def test_a_zero_one_column_typed_yes_no_reads_as_a_share_on_cards():
    # A survey's 0/1 campaign column: "accepted = 1: 60% vs 20% overall", never "0.6 vs 0.2".
    from persona_lab.personas.tables import _column
    from persona_lab.personas.traits import trait

    frame = pd.DataFrame({"accepted": [1] * 12 + [0] * 8 + [0] * 40, "spend": np.arange(60.0)})
    dataset = Dataset(frame, {"accepted": "feature", "spend": "feature"}, "entities",
                      types={"accepted": "boolean", "spend": "numeric"})
    column = _column(dataset, "accepted", np.ones(60))
    inside = np.arange(60) < 20
    [only] = column.compare(inside)  # "1" only: "0" would say the same thing mirrored
    assert (column.kind, only.level) == ("category", "1")
    assert trait(only).text == "accepted = 1: 60% vs 20% overall"
    # Untyped, the same numbers stay numbers (a count of 0 and 1 is still a count).
    assert Column(frame["accepted"], np.ones(60)).kind == "numeric"

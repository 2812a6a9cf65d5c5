import numpy as np
import pandas as pd
import pytest

from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.prepare import Preparation, prepare


def _table():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "spend": rng.lognormal(3, 1.0, n),  # long right tail: log1p expected
            "score": rng.normal(50, 10, n),
            "channel": rng.choice(["web", "app", "store"], n),
            "constant": 1.0,
            "w": rng.uniform(0.5, 2.0, n),
        }
    )
    frame.loc[[3, 7], "score"] = np.nan
    roles = {"id": "id", "spend": "feature", "score": "feature", "channel": "feature", "constant": "feature", "w": "weight"}
    return Dataset(frame, roles, "entities", name="t")


def test_entity_preparation_steps_and_values():
    dataset = _table()
    prepared = prepare(dataset, Preparation(scale="standard"))
    names = prepared.feature_names
    assert names[:2] == ["spend", "score"]
    assert {"channel=web", "channel=app", "channel=store"} <= set(names)
    assert "constant" not in names and "channel=other" not in names
    X = prepared.X
    np.testing.assert_allclose(X[:, :2].mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(X[:, :2].std(axis=0), 1, atol=1e-9)
    # The imputed rows sit at the (scaled) median of the observed scores.
    score = dataset.frame["score"]
    imputed = score.fillna(score.median())
    expected = (score.median() - imputed.mean()) / imputed.std(ddof=0)
    np.testing.assert_allclose(X[[3, 7], 1], expected, rtol=1e-6)
    steps = " | ".join(prepared.steps)
    assert "spend: numeric, log1p" in steps and "score: numeric, 1% missing imputed" in steps
    assert "constant: dropped" in steps and "weighted by 'w'" in steps
    np.testing.assert_array_equal(prepared.sample_weight, dataset.frame["w"].to_numpy())
    assert prepared.row_labels[:2] == ["c0", "c1"]


def test_transform_repeats_the_fitted_preparation_on_new_rows():
    dataset = _table()
    prepared = prepare(dataset, Preparation(scale="robust"))
    np.testing.assert_allclose(prepared.transform(dataset.frame), prepared.X)
    new = dataset.frame.head(3).assign(channel=["web", "kiosk", "app"])
    out = prepared.transform(new)
    assert out.shape == (3, prepared.X.shape[1])
    with pytest.raises(PersonaLabError, match="lacks column"):
        prepared.transform(dataset.frame.drop(columns=["score"]))


def test_minmax_gives_non_negative_features_for_nmf():
    prepared = prepare(_table(), Preparation(scale="minmax"))
    assert prepared.nonnegative and prepared.X.max() <= 1.0 + 1e-12


def test_no_feature_is_a_clear_error():
    dataset = _table()
    dataset = dataset.with_roles({c: "descriptor" for c in ("spend", "score", "channel", "constant")})
    with pytest.raises(PersonaLabError, match="No column is marked for segmenting"):
        prepare(dataset)


def test_only_constant_features_is_a_clear_error():
    dataset = _table().with_roles({"spend": "ignore", "score": "ignore", "channel": "ignore"})
    with pytest.raises(PersonaLabError, match="constant or empty"):
        prepare(dataset)


def _long_apg():
    rows = [
        ("18-24", "f", "v1", 10), ("18-24", "f", "v2", 30),
        ("35-44", "m", "v1", 5), ("35-44", "m", "v3", 15),
    ]
    frame = pd.DataFrame(rows, columns=["age", "gender", "video", "views"])
    roles = {"age": "demographic", "gender": "demographic", "video": "item", "views": "value"}
    return Dataset(frame, roles, "interactions", name="apg")


@pytest.mark.parametrize("weighting", ["counts", "row", "tfidf"])
def test_interaction_weightings(weighting):
    prepared = prepare(_long_apg(), Preparation(interactions=weighting))
    V = prepared.matrix.V
    np.testing.assert_allclose(prepared.size_weight, V.sum(axis=1))
    if weighting == "counts":
        np.testing.assert_allclose(prepared.X, V)
    elif weighting == "row":
        np.testing.assert_allclose(prepared.X.sum(axis=1), 1.0)
    else:
        np.testing.assert_allclose(np.linalg.norm(prepared.X, axis=1), 1.0)
    assert prepared.X.shape == (2, 3)


def test_unknown_preparation_values_are_refused():
    with pytest.raises(PersonaLabError, match="Unknown scaling"):
        Preparation(scale="zscore")


def test_transform_keeps_the_column_order_of_mixed_tables():
    dataset = _table()
    frame = dataset.frame.assign(flag=np.arange(len(dataset.frame)) % 3 == 0)
    dataset = Dataset(frame, {**dataset.roles, "flag": "feature"}, "entities", name="t")
    prepared = prepare(dataset)
    assert prepared.feature_names[-1] == "flag"  # a boolean after the categories
    np.testing.assert_allclose(prepared.transform(frame), prepared.X)


def test_codes_and_bins_give_category_columns():
    dataset = _table()
    codes = prepare(dataset, Preparation(encode="codes"))
    assert codes.feature_names == ["spend", "score", "channel"]
    assert codes.categorical_index == [2]
    assert set(codes.X[:, 2]) == {0.0, 1.0, 2.0}
    binned = prepare(dataset, Preparation(bins=4))
    assert binned.categorical_index == [0, 1, 2]
    spend = binned.X[:, 0]
    assert set(spend) == {0.0, 1.0, 2.0, 3.0}
    np.testing.assert_allclose(np.bincount(spend.astype(int)) / len(spend), 0.25, atol=0.01)
    # The two imputed scores fall in a bin of their own.
    assert set(binned.X[[3, 7], 1]) == {4.0}
    np.testing.assert_allclose(binned.transform(dataset.frame), binned.X)

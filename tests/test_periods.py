import numpy as np
import pandas as pd
import pytest

from persona_lab.assess.periods import period_labels, personas_by_period
from persona_lab.agreement import match_profiles
from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError


def _monthly(seed=0, n=240):
    """Three months of customers; three planted segments, the third replaced in March."""
    rng = np.random.default_rng(seed)
    centres = {0: (5, 0, 0), 1: (0, 5, 0), 2: (0, 0, 5), 3: (-5, -5, 5)}
    rows = []
    for month, segments in (("2024-01-15", (0, 1, 2)), ("2024-02-15", (0, 1, 2)), ("2024-03-15", (0, 1, 3))):
        for s in rng.choice(segments, size=n):
            rows.append((month, *rng.normal(centres[s], 0.5)))
    frame = pd.DataFrame(rows, columns=["date", "a", "b", "c"])
    roles = {"date": "date", "a": "feature", "b": "feature", "c": "feature"}
    return Dataset(frame, roles, "entities", name="monthly")


def test_stable_personas_match_and_a_new_one_does_not():
    result = personas_by_period(_monthly(), "kmeans", 3, seed=0)
    assert result.periods == ["2024-01", "2024-02", "2024-03"] and result.frequency == "M"
    first, second = result.transitions
    assert first.share_matched == 1.0 and all(c > 0.95 for _, _, c in first.matches)
    assert second.share_matched == pytest.approx(2 / 3)
    table = result.table()
    march = table[table["period"] == "2024-03"]
    assert march["matched_previous"].isna().sum() == 1  # the new segment
    assert (march["drift"].dropna() < 0.05).all()
    doc = result.to_dict()
    assert doc["transitions"][1]["share_matched"] == pytest.approx(2 / 3, abs=1e-6)


def test_periods_from_a_categorical_column_and_clear_errors():
    labels, frequency = period_labels(pd.Series(["Q2", "Q1", "Q2"]), "M")
    assert frequency is None and list(labels) == ["Q2", "Q1", "Q2"]
    data = _monthly()
    one_month = Dataset(data.frame.assign(date="2024-01-01"), data.roles, "entities", name="x")
    with pytest.raises(PersonaLabError, match="fewer than two periods"):
        personas_by_period(one_month, "kmeans", 3)
    no_date = Dataset(data.frame, {**data.roles, "date": "ignore"}, "entities", name="x")
    with pytest.raises(PersonaLabError, match="no date or period column"):
        personas_by_period(no_date, "kmeans", 3)


def test_match_profiles_by_cosine_with_a_threshold():
    A = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    B = np.array([[0, 0.9, 0.1], [0, 0, 1.0]])
    assert match_profiles(A, B, 0.8) == [(1, 0, pytest.approx(0.9 / np.hypot(0.9, 0.1)))]

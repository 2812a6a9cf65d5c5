"""Survey weights reach every figure of a card: weighted quartiles of numeric demographics,
weighted prevalence, weighted descriptor tests; each against values computed by hand."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from persona_lab.data.dataset import Dataset
from persona_lab.methods import KMeans
from persona_lab.personas.build import build_personas
from persona_lab.personas.model import Persona
from persona_lab.personas.prevalence import table_prevalence
from persona_lab.personas.stats import weighted_quantiles
from persona_lab.personas.traits import Column
from persona_lab.prepare import prepare


def test_weighted_quantiles_by_hand():
    # 90% of the weight at 20: every quartile is 20 (np.percentile would say 40 for the median).
    assert weighted_quantiles([20, 40, 60], [0.9, 0.05, 0.05], [0.25, 0.5, 0.75]).tolist() == [20, 20, 20]
    # Cumulative shares 0.5, 0.625, 0.75, 0.875, 1: the median and the upper quartile fall on a
    # flat step, so they average their neighbours: (20 + 30) / 2 and (40 + 50) / 2.
    assert weighted_quantiles([20, 30, 40, 50, 60], [4, 1, 1, 1, 1], [0.25, 0.5, 0.75]).tolist() == [20, 25, 45]
    # Equal weights: the familiar median of an even count.
    assert weighted_quantiles([4, 1, 3, 2], np.ones(4), [0.5]).tolist() == [2.5]
    # NaNs and zero weights are no data.
    assert weighted_quantiles([np.nan, 7, 100], [5, 1, 0], [0.5]).tolist() == [7]
    assert np.isnan(weighted_quantiles([np.nan], [1], [0.5])).all()


def _weighted_dataset(weight):
    """Segment 0: ages 20, 30, 40, 50, 60 (rows 0-4); segment 1: ages 70-79 (rows 5-14). Equal
    weights are refused as a weight role (they weigh nothing), so they stand for no weight column."""
    frame = pd.DataFrame({
        "age": [20, 30, 40, 50, 60] + list(range(70, 80)),
        "spend": [10.0, 11, 12, 13, 14] + [50.0 + i for i in range(10)],
        "revenue": [100.0, 0, 0, 0, 0] + [10.0] * 10,
        "w": weight,
    })
    roles = {"age": "demographic", "spend": "feature", "revenue": "descriptor",
             "w": "ignore" if len(set(weight)) == 1 else "weight"}
    dataset = Dataset(frame, roles, "entities", name="weighted")
    method = KMeans()
    method.labels_ = np.array([0] * 5 + [1] * 10)
    method.memberships_, method.n_segments_ = None, 2
    personas = build_personas(dataset, prepare(dataset), method, manifest={}, seed=0)
    return frame, {p.id: p for p in personas.personas}


def test_numeric_demographic_is_the_weighted_median_and_middle_half():
    _, personas = _weighted_dataset([36, 1, 1, 1, 1] + [1] * 10)
    assert personas[0].demographics["age"] == "20"  # 90% of the segment's weight is 20 years old
    _, personas = _weighted_dataset([4, 1, 1, 1, 1] + [1] * 10)
    assert personas[0].demographics["age"] == "25 (middle half 20-45)"
    _, personas = _weighted_dataset([1] * 15)
    assert personas[0].demographics["age"] == "40 (middle half 30-50)"


def test_prevalence_matches_the_weighted_middle_half():
    frame = pd.DataFrame({"age": [20, 30, 40, 50, 60, 25, 45]})
    labels = np.array([0, 0, 0, 0, 0, 1, 1])
    persona = Persona(0, "P", 1, 0.5, demographics={"age": "x"})
    # Weighted, segment 0's middle half is 20-45: rows aged 20, 30, 40 and the 25 and 45 outside it.
    weight = np.array([4, 1, 1, 1, 1, 2, 2.0])
    share, headline = table_prevalence(frame, labels, weight, persona)
    assert headline == ["age 20-45"]
    assert share == pytest.approx((4 + 1 + 1 + 2 + 2) / weight.sum())
    # Unweighted it is 30-50: rows aged 30, 40, 50 and the 45.
    share, headline = table_prevalence(frame, labels, np.ones(7), persona)
    assert headline == ["age 30-50"] and share == pytest.approx(4 / 7)


def test_descriptor_tests_use_the_weighted_means_and_kish_effective_size():
    weight = np.array([6.0, 1, 1, 1, 1] + [1] * 10)
    _, personas = _weighted_dataset(weight)
    revenue = next(d for d in personas[0].descriptors if d.feature == "revenue")
    x_in, w_in = np.array([100.0, 0, 0, 0, 0]), weight[:5]
    assert revenue.value == pytest.approx(np.average(x_in, weights=w_in))  # 60, unweighted 20
    assert revenue.population == pytest.approx(np.average([100.0, 0, 0, 0, 0] + [10] * 10, weights=weight))
    # Welch's test with each group's Kish effective size n_eff = (sum w)^2 / sum w^2.
    n_eff = w_in.sum() ** 2 / (w_in**2).sum()
    mean = np.average(x_in, weights=w_in)
    var = np.average((x_in - mean) ** 2, weights=w_in) * n_eff / (n_eff - 1)
    se2, rest_se2 = var / n_eff, 0.0
    t = (mean - 10.0) / np.sqrt(se2 + rest_se2)
    assert revenue.p_value == pytest.approx(2 * stats.t.sf(abs(t), n_eff - 1))


def test_a_level_every_row_has_is_a_share_of_one_with_no_spread():
    # These weights sum a hair higher in np.bincount than in np.sum: the share was 1 + 2e-16 and
    # its sd NaN (a RuntimeWarning and a trait without an interval).
    rng = np.random.default_rng(0)
    w = rng.gamma(2, 1, rng.integers(5, 200))  # 170 weights
    assert np.bincount(np.zeros(170, int), weights=w)[0] > w.sum()
    column = Column(pd.Series(["yes"] * 170, name="all"), w)
    (share,) = column.compare(np.ones(170, dtype=bool))
    assert share.segment.value == 1.0 and share.segment.sd == 0.0

"""The statistics behind traits and descriptors, against scipy and hand-computed answers."""

import numpy as np
import pytest
from scipy import stats

from persona_lab.personas.stats import (
    Summary, benjamini_hochberg, cohens_h, mean_ci, share_ci, summarise, two_proportion_p, welch_p,
)


def test_benjamini_hochberg_matches_scipy_and_keeps_missing_tests():
    p = [0.01, 0.04, 0.03, 0.2, None, 0.001, 0.5]
    q = benjamini_hochberg(p)
    expected = stats.false_discovery_control([x for x in p if x is not None])
    assert q[4] is None
    np.testing.assert_allclose([x for x in q if x is not None], expected)
    # By hand: sorted p 0.001, 0.01, 0.03, 0.04, 0.2, 0.5 (m = 6) -> p m / rank = 0.006, 0.03, 0.06,
    # 0.06, 0.24, 0.5, already monotone.
    assert q[5] == pytest.approx(0.006) and q[2] == pytest.approx(0.06) and q[1] == pytest.approx(0.06)
    # Step-up: 0.04 at rank 2 of 2 stays 0.04 and pulls 0.039 at rank 1 (0.078) down to it.
    assert benjamini_hochberg([0.039, 0.04]) == pytest.approx([0.04, 0.04])
    assert benjamini_hochberg([None]) == [None] and benjamini_hochberg([]) == []


def test_unweighted_welch_equals_scipy():
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 40), rng.normal(0.5, 2, 70)
    ones = np.ones
    p = welch_p(summarise(a, ones(40)), summarise(b, ones(70)))
    assert p == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)


def test_mean_ci_is_the_t_interval_without_weights():
    x = np.array([1.0, 2.0, 3.0, 4.0, 10.0])
    low, high = mean_ci(summarise(x, np.ones(5)))
    expected = stats.t.interval(0.95, 4, loc=x.mean(), scale=stats.sem(x))
    assert (low, high) == pytest.approx(expected)


def test_weights_shrink_the_effective_sample_size():
    x = np.arange(10.0)
    even = summarise(x, np.ones(10))
    lopsided = summarise(x, np.array([9.0] + [1.0] * 9))
    assert even.n_eff == pytest.approx(10) and lopsided.n_eff == pytest.approx(18**2 / 90)
    assert even.rows == lopsided.rows == 10
    assert summarise(np.array([np.nan]), np.ones(1)) is None


def test_wilson_interval_and_two_proportion_test_by_hand():
    # 30 of 100: Wilson 95% = (0.2189, 0.3958) (Newcombe 1998's worked example values, recomputed).
    low, high = share_ci(Summary(0.3, np.sqrt(0.21), 100, 100))
    assert (low, high) == pytest.approx((0.21904, 0.39578), abs=1e-4)
    zero_low, _ = share_ci(Summary(0.0, 0.0, 20, 20))
    assert zero_low == 0.0
    # 0.6 of 200 vs 0.5 of 300: pooled 0.54, z = 0.1 / sqrt(0.54 * 0.46 * (1/200 + 1/300)) = 2.198.
    p = two_proportion_p(Summary(0.6, 0, 200, 200), Summary(0.5, 0, 300, 300))
    assert p == pytest.approx(2 * stats.norm.sf(2.1978), abs=1e-4)


def test_cohens_h():
    assert cohens_h(0.5, 0.5) == 0
    assert cohens_h(0.65, 0.45) == pytest.approx(2 * np.arcsin(np.sqrt(0.65)) - 2 * np.arcsin(np.sqrt(0.45)))
    assert cohens_h(0.2, 0.4) < 0

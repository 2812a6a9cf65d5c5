"""Each criterion's rule for k as a pure function of its values, and the majority vote."""

import numpy as np
import pandas as pd

from persona_lab.assess.vote import pick, rule, tally, vote


def test_max_and_min_rules_skip_missing_values_and_break_ties_toward_the_smaller_k():
    values = {2: 0.3, 3: 0.5, 4: 0.5, 5: np.nan}
    assert pick("silhouette", values) == 3
    assert pick("davies_bouldin", {2: 1.2, 3: 0.7, 4: 0.7}) == 3
    assert pick("silhouette", {2: np.nan}) is None
    # the same values as a Series or as the long table rows
    assert pick("calinski_harabasz", pd.Series({4: 10.0, 2: 30.0})) == 2
    assert pick("bic", pd.DataFrame({"k": [2, 3], "value": [5.0, 4.0]})) == 3


def test_cophenetic_picks_the_last_k_before_it_starts_falling():
    assert pick("cophenetic", {2: 0.97, 3: 0.999, 4: 0.998, 5: 0.90, 6: 0.89}) == 3
    assert pick("cophenetic", {2: 0.9, 3: 1.0, 4: 1.0, 5: 0.99}) == 3  # a plateau: its smallest k
    assert pick("cophenetic", {2: 0.9, 3: 0.95, 4: 0.99}) is None  # never falls
    assert pick("dispersion", {2: 0.6, 3: 0.99, 4: 0.8}) == 3


def test_criteria_without_a_rule_pick_nothing():
    assert pick("inertia", {2: 3.0, 3: 2.0, 4: 1.0}) is None and rule("inertia") is None
    assert "Tibshirani" in rule("gap") and "firstSEmax" in rule("gap", "firstSEmax")


def test_vote_counts_every_pick_and_ties_go_to_the_smaller_k():
    picks = {"silhouette": 5, "calinski_harabasz": 3, "davies_bouldin": 5, "gap": 3, "inertia_elbow": None}
    assert tally(picks) == {3: 2, 5: 2}
    assert vote(picks) == 3
    assert vote({**picks, "bic": 5}) == 5
    assert vote(picks, excluded=[3]) == 5 and tally(picks, excluded=[3]) == {5: 2}
    assert vote({}) is None and vote({"gap": None}) is None
    # The gap's "no structure" is reported, not counted: the null band decides that; counted, a
    # lone 1 would win every tie among disagreeing criteria.
    assert vote({"gap": 1, "silhouette": 4}) == 4 and tally({"gap": 1, "silhouette": 4, "bic": 6}) == {4: 1, 6: 1}

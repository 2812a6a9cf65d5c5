"""Persona prevalence (Chapman et al. 2008) on hand-built cases with hand-computed shares."""

import numpy as np
import pandas as pd
import pytest

from persona_lab.personas.model import Persona, Trait
from persona_lab.personas.prevalence import apg_prevalence, table_prevalence
from persona_lab.pipeline import run

from helpers import blobs_dataset

FRAME = pd.DataFrame({
    "gender": ["F", "F", "F", "F", "M", "M", "F", "M", "F", "F"],
    "age": [30, 32, 34, 36, 50, 52, 31, 60, 33, 70],
    "spend": [100, 200, 300, 400, 50, 60, 500, 40, 10, 20],  # mean 168
    "channel": ["app", "app", "web", "app", "store", "store", "app", "store", "app", "web"],
})
LABELS = np.array([0, 0, 0, 0, 1, 1, 0, 1, 1, 1])


def _persona(traits) -> Persona:
    return Persona(0, "P", 5, 0.5, demographics={"gender": "F (83%)", "age": "32 (middle half 31-34)"}, traits=traits)


TRAITS = [
    Trait("spend", "numeric", 300.0, 168.0, 1.0),  # above the mean: rows 1, 2, 3, 6
    Trait("channel", "category", 0.6, 0.3, 0.9, level="web", hidden=True),  # hidden: not matched
    Trait("channel", "category", 0.8, 0.5, 0.8, level="app"),  # rows 0, 1, 3, 6, 8
    Trait("channel", "category", 0.0, 0.3, -0.5, level="store"),  # negative: not store
    Trait("spend", "numeric", 0.0, 168.0, -0.3),  # a fourth visible trait: beyond the top three
]


def test_share_of_rows_matching_every_headline_attribute_by_hand():
    # gender = F (the segment's mode): rows 0,1,2,3,6,8,9. age in the segment's middle half: its ages
    # 30,31,32,34,36 have quartiles 31 and 34: rows 1,2,6,8. spend > 168: rows 1,2,3,6. channel = app:
    # rows 0,1,3,6,8. channel != store: keeps them. All of them: rows 1 and 6, 2 of 10.
    share, headline = table_prevalence(FRAME, LABELS, np.ones(10), _persona(TRAITS))
    assert share == pytest.approx(0.2)
    assert headline == ["gender = F", "age 31-34", "spend above the overall mean (168)", "channel = app",
                        "channel ≠ store"]


def test_weights_count_as_sizes_do():
    weight = np.ones(10)
    weight[6] = 3.0  # total 12; rows 1 and 6 weigh 4
    share, _ = table_prevalence(FRAME, LABELS, weight, _persona(TRAITS))
    assert share == pytest.approx(4 / 12)


def test_fewer_attributes_match_more_rows_and_missing_values_never_match():
    share, _ = table_prevalence(FRAME, LABELS, np.ones(10), _persona([]))
    assert share == pytest.approx(0.4)  # gender = F and age 31-34: rows 1,2,6,8
    frame = FRAME.assign(age=FRAME["age"].astype(float).where(FRAME.index != 1))
    share, _ = table_prevalence(frame, LABELS, np.ones(10), _persona([]))
    # The segment's ages are now 30,34,36,31: quartiles 30.75 and 34.5; rows 2, 6 and 8 match.
    assert share == pytest.approx(0.3)


def test_apg_prevalence_is_the_share_of_interactions_from_the_skeleton_attributed_to_the_persona():
    groups = pd.DataFrame({"age_group": ["25-34", "25-34", "35-44", "25-34"],
                           "gender": ["female", "male", "female", "female"],
                           "country": ["DE", "DE", "DE", "FR"]})
    totals = np.array([30.0, 50.0, 20.0, 100.0])
    membership = np.array([0.4, 1.0, 1.0, 0.5])
    share, headline = apg_prevalence(groups, totals, {"age_group": "25-34", "gender": "female", "country": "DE"},
                                     membership)
    assert share == pytest.approx(0.4 * 30 / 200)
    assert headline == ["age_group = 25-34", "gender = female", "country = DE"]
    share, _ = apg_prevalence(groups, totals, {"age_group": "25-34", "gender": "female"}, membership)
    assert share == pytest.approx((0.4 * 30 + 0.5 * 100) / 200)


def test_apg_siblings_sharing_a_skeleton_have_their_own_prevalence():
    """Two personas with one skeleton group (it has the highest W for both) split its
    interactions 0.6 / 0.4, and so do their prevalences (hand computed)."""
    from persona_lab.personas.build import build_personas

    from helpers import hand_built_apg

    rows = [("18-24", "female", "US", "i0", 50), ("18-24", "female", "US", "i1", 50), ("25-34", "male", "DE", "i0", 10)]
    # |H0| = |H1| = 1, so m[g] = W[g] / sum W[g]: the skeleton group (0) is (0.6, 0.4).
    dataset, prepared, method = hand_built_apg(rows, [[6.0, 4.0], [1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]])
    by_id = {p.id: p for p in build_personas(dataset, prepared, method, manifest={}, seed=0).personas}
    assert by_id[0].demographics == by_id[1].demographics
    assert by_id[0].prevalence == pytest.approx(0.6 * 100 / 110)
    assert by_id[1].prevalence == pytest.approx(0.4 * 100 / 110)


def test_built_personas_carry_rows_and_prevalence_matching_a_recount():
    dataset, _ = blobs_dataset(n_per=40, k=3, d=3, category=True)
    result = run(dataset, "kmeans", 3, seed=0)
    labels = result.method.labels_
    assert sorted(p.rows for p in result.personas.personas) == sorted(np.bincount(labels).tolist())
    for persona in result.personas.personas:
        # No demographic columns: the headline is the top three traits.
        assert len(persona.headline) == 3 and 0 < persona.prevalence <= 1
        # The planted blobs are far apart: a blob's headline matches only rows of its own blob.
        assert persona.prevalence <= persona.share + 1e-9


def test_rebuilding_gives_the_same_prevalence():
    dataset, _ = blobs_dataset(n_per=30, k=2, d=2)
    a = run(dataset, "kmeans", 2, seed=3).personas
    b = run(dataset, "kmeans", 2, seed=3).personas
    assert [p.prevalence for p in a.personas] == [p.prevalence for p in b.personas]

"""Persona profiles: the APG rules on a hand-built case, traits on planted tables, JSON."""

import numpy as np
import pandas as pd
import pytest

from persona_lab.data.dataset import Dataset
from persona_lab.methods import KMeans
from persona_lab.personas.build import build_personas
from persona_lab.personas.model import PersonaSet
from persona_lab.prepare import prepare

from helpers import hand_built_apg


def _hand_built_apg():
    """V has group totals 10, 20, 30; W and H are set by hand (DESIGN.md's formulas)."""
    rows = [("18-24", "female", "US", "i0", 10), ("25-34", "male", "DE", "i1", 20), ("65+", "female", "JP", "i2", 30)]
    return hand_built_apg(rows, [[2.0, 0.0], [1.0, 1.0], [0.0, 3.0]], [[1.0, 1.0, 0.0], [0.0, 1.0, 2.0]])


def test_apg_memberships_shares_skeletons_and_interests():
    dataset, prepared, method = _hand_built_apg()
    # m = W * |H|_1 normalised per group: |H0| = 2, |H1| = 3 -> g1 = (2, 3) / 5.
    np.testing.assert_allclose(method.memberships_, [[1, 0], [0.4, 0.6], [0, 1]])
    result = build_personas(dataset, prepared, method, manifest={}, seed=0)
    by_id = {p.id: p for p in result.personas}
    # size_p = sum_g |V_g| m[g, p]: p0 = 10 + 0.4 * 20 = 18, p1 = 0.6 * 20 + 30 = 42; V.sum() = 60.
    assert by_id[0].size == pytest.approx(18) and by_id[0].share == pytest.approx(0.3)
    assert by_id[1].size == pytest.approx(42) and by_id[1].share == pytest.approx(0.7)
    # Skeleton: the group with the highest W[:, p].
    assert by_id[0].demographics == {"age_group": "18-24", "gender": "female", "country": "US"}
    assert by_id[1].demographics == {"age_group": "65+", "gender": "female", "country": "JP"}
    assert (by_id[1].gender, by_id[1].country) == ("female", "JP")
    assert 65 <= int(by_id[1].age) <= 79 and 18 <= int(by_id[0].age) <= 24  # one age inside the band
    assert "highest weight in W" in by_id[1].explanation and "0.75" in by_id[1].explanation
    # Interests: H[1] / |H[1]| = (0, 1/3, 2/3).
    assert [i.item for i in by_id[1].interests[:2]] == ["i2", "i1"]
    assert by_id[1].interests[0].weight == pytest.approx(2 / 3)
    assert result.unassigned is None
    assert [p.id for p in result.personas] == [1, 0]  # largest share first
    assert len({p.name for p in result.personas}) == 2


def _planted_table(n=900, seed=3):
    rng = np.random.default_rng(seed)
    segment = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "gender": np.where(segment == 2, rng.choice(["female", "male"], n, p=[0.9, 0.1]), rng.choice(["female", "male"], n)),
            "visits": rng.normal(10, 2, n) + 6 * (segment == 1),  # segment 1 visits far more
            "null_score": rng.normal(0, 1, n),  # no planted difference anywhere
            "channel": np.where(segment == 2, "store", rng.choice(["web", "app", "store"], n, p=[0.45, 0.45, 0.1])),
        }
    )
    roles = {"id": "id", "gender": "demographic", "visits": "feature", "null_score": "feature", "channel": "feature"}
    return Dataset(frame, roles, "entities", name="planted"), segment


def _with_labels(dataset, labels):
    prepared = prepare(dataset)
    method = KMeans()
    method.labels_, method.memberships_, method.n_segments_ = labels, None, int(labels.max()) + 1
    return prepared, method


def test_table_traits_name_the_planted_differences_first_and_never_the_null_one():
    dataset, segment = _planted_table()
    prepared, method = _with_labels(dataset, segment)
    personas = {p.id: p for p in build_personas(dataset, prepared, method, manifest={}, seed=1).personas}
    top1 = personas[1].traits[0]
    assert (top1.feature, top1.kind) == ("visits", "numeric") and top1.effect > 1
    top2 = personas[2].traits[0]
    assert (top2.feature, top2.level) == ("channel", "store") and top2.lift > 3
    assert personas[2].demographics["gender"].startswith("female")
    assert personas[2].gender == "female"
    for persona in personas.values():
        assert all(t.feature != "null_score" for t in persona.traits)
    assert sum(p.share for p in personas.values()) == pytest.approx(1.0)
    assert personas[0].size == (segment == 0).sum()


def test_weights_drive_sizes_and_shares():
    dataset, segment = _planted_table()
    weights = np.where(segment == 2, 3.0, 1.0)
    frame = dataset.frame.assign(w=weights)
    dataset = Dataset(frame, {**dataset.roles, "w": "weight"}, "entities", name="weighted")
    prepared, method = _with_labels(dataset, segment)
    personas = {p.id: p for p in build_personas(dataset, prepared, method, manifest={}, seed=1).personas}
    assert personas[2].size == pytest.approx(3.0 * (segment == 2).sum())
    assert personas[2].share == pytest.approx(weights[segment == 2].sum() / weights.sum())


def test_unassigned_rows_are_a_group_of_their_own_and_shares_add_up():
    dataset, segment = _planted_table()
    labels = segment.copy()
    labels[:50] = -1
    prepared, method = _with_labels(dataset, labels)
    result = build_personas(dataset, prepared, method, manifest={}, seed=1)
    assert result.unassigned["size"] == 50
    total = sum(p.share for p in result.personas) + result.unassigned["share"]
    assert total == pytest.approx(1.0)


def test_json_round_trip_is_identical():
    dataset, segment = _planted_table()
    prepared, method = _with_labels(dataset, segment)
    result = build_personas(dataset, prepared, method, manifest={"seed": 1}, seed=1)
    text = result.to_json()
    assert PersonaSet.from_dict(__import__("json").loads(text)).to_json() == text
    assert '"schema_version": 2' in text


def test_the_same_apg_persona_keeps_its_name_across_k():
    import persona_lab as pl
    from persona_lab.data.sample_data import APG_SAMPLE, SAMPLE_DIR

    data = pl.load_dataset(SAMPLE_DIR / APG_SAMPLE)
    names = {}
    for k in (4, 5):
        for p in pl.run(data, "nmf", k, seed=0).personas.personas:
            names.setdefault(tuple(p.demographics.values()), []).append(p.name)
    at_both = [found for found in names.values() if len(found) == 2]
    assert len(at_both) >= 3  # most skeletons of k = 4 are found again at k = 5
    assert all(found[0] == found[1] for found in at_both)


@pytest.mark.parametrize("k", [2, 5, 9, 14])
def test_every_nmf_factor_is_a_persona_and_shares_add_up(k):
    """k asked, k personas, also for a factor that is no group's strongest (k = 9 on the sample
    had two such factors, and gave 7 personas whose shares summed to 0.93)."""
    import persona_lab as pl
    from persona_lab.data.sample_data import SAMPLE_DIR

    result = pl.run(pl.load_dataset(SAMPLE_DIR / "channel_views.csv"), "nmf", k, seed=0)
    personas = result.personas
    assert result.method.n_segments_ == personas.k == k
    assert sorted(p.id for p in personas.personas) == list(range(k))
    unassigned = (personas.unassigned or {}).get("share", 0.0)
    assert sum(p.share for p in personas.personas) + unassigned == pytest.approx(1.0)
    # assign's labels name personas that exist.
    assert set(result.method.assign(result.prepared.X)) <= {p.id for p in personas.personas}


def test_a_factor_that_is_no_groups_strongest_is_still_a_persona_new_rows_can_match():
    """Factor 1 is no group's strongest; it still has a persona with its own share (hand
    computed), and a new group made of its item alone is assigned to it."""
    rows = [("18-24", "female", "US", "i0", 10), ("25-34", "male", "DE", "i1", 20), ("65+", "female", "JP", "i2", 1)]
    W, H = [[2.0, 0.1], [3.0, 0.2], [1.0, 0.9]], [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    dataset, prepared, method = hand_built_apg(rows, W, H)
    assert (method.labels_ == 0).all() and method._segment_count() == 2
    result = build_personas(dataset, prepared, method, manifest={}, seed=0)
    by_id = {p.id: p for p in result.personas}
    # m = W * |H|_1 (2 and 1) normalised per group: (4, 0.1) / 4.1, (6, 0.2) / 6.2, (2, 0.9) / 2.9.
    assert by_id[1].size == pytest.approx(10 * 0.1 / 4.1 + 20 * 0.2 / 6.2 + 0.9 / 2.9)
    assert sum(p.share for p in result.personas) == pytest.approx(1.0)
    assert method.assign(np.array([[0.0, 0.0, 5.0]]))[0] == 1


@pytest.fixture(scope="module")
def many_apg_personas():
    """40 personas of a generated APG matrix in MovieLens's group structure (168 groups), where
    several personas share a skeleton."""
    import persona_lab as pl
    from persona_lab.data.synthetic_apg import planted_apg

    data = planted_apg(n_items=400, nonzero=12_000, seed=1).dataset()
    return pl.run(data, "nmf", 40, seed=0, params={"n_restarts": 1})


def test_siblings_sharing_a_skeleton_have_their_own_text_and_prevalence(many_apg_personas):
    personas = many_apg_personas.personas.personas
    assert len(personas) == 40 and sum(p.share for p in personas) == pytest.approx(1.0)
    by_skeleton: dict = {}
    for p in personas:
        by_skeleton.setdefault(tuple(p.demographics.items()), []).append(p)
    siblings = [same for same in by_skeleton.values() if len(same) > 1]
    assert siblings, "the case needs personas sharing a skeleton"
    for same in siblings:
        assert len({p.explanation for p in same}) == len(same)
        assert len({round(p.prevalence, 12) for p in same}) == len(same)
        for p in same:
            assert "share this skeleton" in p.explanation or "shares this skeleton" in p.explanation
    # Prevalence is the skeleton's interactions attributed to the persona: never above its share.
    assert all(0 < p.prevalence <= p.share + 1e-12 for p in personas)


def test_distinctive_interests_are_lifted_above_everybody_with_enough_volume(many_apg_personas):
    from persona_lab.personas.apg import MIN_VOLUME

    run = many_apg_personas
    V = run.prepared.matrix.V
    audience = V.sum(axis=0) / V.sum()
    column = {str(item): j for j, item in enumerate(run.prepared.matrix.items.index)}
    differ = floored = 0
    for p in run.personas.personas:
        assert p.distinctive, p.name
        for interest in p.distinctive:
            assert interest.lift == pytest.approx(interest.weight / audience[column[interest.item]])
            assert interest.lift > 1
        mix = run.method.H_[p.id] / run.method.H_[p.id].sum()
        if (p.size * mix >= MIN_VOLUME).sum() >= len(p.interests):  # large enough for the volume floor
            assert all(p.size * i.weight >= MIN_VOLUME - 1e-9 for i in p.distinctive)
            floored += 1
        assert [i.lift for i in p.distinctive] == sorted((i.lift for i in p.distinctive), reverse=True)
        differ += p.distinctive[0].item != p.interests[0].item
    # The most viewed items are shared across personas; what sets them apart mostly is not.
    assert differ >= 0.8 * len(run.personas.personas) and floored >= 10

"""Personas for every method, for 2 to 100 personas, and the JSON contract (schema 2, schema 1)."""

import json

import numpy as np
import pandas as pd
import pytest

import persona_lab as pl
from persona_lab.data.dataset import Dataset
from persona_lab.data.sample_data import SAMPLE_DIR
from persona_lab.errors import PersonaLabError
from persona_lab.methods import METHODS, KMeans, NMF
from persona_lab.personas.build import build_personas
from persona_lab.personas.model import SCHEMA_VERSION, Persona, PersonaSet, Trait
from persona_lab.prepare import Preparation, prepare

from helpers import hand_built_apg


@pytest.fixture(scope="module")
def customers():
    data = pl.load_dataset(SAMPLE_DIR / "customers.csv")
    return Dataset(data.frame.iloc[:300].reset_index(drop=True), data.roles, data.kind, name="customers-300")


def _check_set(result: PersonaSet):
    shares = sum(p.share for p in result.personas) + (result.unassigned or {}).get("share", 0.0)
    assert shares == pytest.approx(1.0)
    assert len(result.personas) == result.k
    assert len({p.name for p in result.personas}) == result.k
    assert len({p.narrative for p in result.personas}) == result.k
    assert all(p.face.startswith("<svg") for p in result.personas)
    text = result.to_json()
    loaded = PersonaSet.from_json(text)
    assert loaded.to_json() == text and loaded == PersonaSet.from_json(text)


@pytest.mark.parametrize("method", sorted(METHODS))
def test_every_method_gives_a_full_persona_set(customers, method):
    k = None if METHODS[method].k_is_output else 3
    result = pl.run(customers, method, k, seed=2).personas
    assert result.method == method and result.k >= 1
    _check_set(result)
    for persona in result.personas:
        assert persona.descriptors and all(d.q_value is not None for d in persona.descriptors)
        assert persona.quotes and 18 <= int(persona.age) <= 90


def test_apg_with_a_hard_method_and_survival():
    data = pl.load_dataset(SAMPLE_DIR / "channel_views.csv")
    run = pl.run(data, "kmeans", 4, seed=0)
    survival = {0: 0.9, 1: 0.45, 2: float("nan")}  # NaN: never resampled
    result = build_personas(data, run.prepared, run.method, manifest={}, seed=0, survival=survival)
    _check_set(result)
    assert {p.id: p.stability for p in result.personas} == {0: 0.9, 1: 0.45, 2: None, 3: None}
    for persona in result.personas:
        assert persona.groups[0].group == " | ".join(persona.demographics.values())
        assert persona.groups[0].weight >= persona.groups[1].weight and "(the most interactions" in persona.explanation


def _random_apg(n_groups, k, seed=0):
    rng = np.random.default_rng(seed)
    groups = [(a, g, c) for a in ("18-24", "25-34", "35-44", "45-54", "65+") for g in ("female", "male")
              for c in ("US", "DE", "JP", "EG", "BR", "FR", "IN", "GB", "ES", "IT", "CN", "KR", "MX", "PL", "SE")]
    groups = groups[:n_groups]
    rows = [(*grp, f"i{j}", int(rng.integers(1, 50))) for grp in groups for j in range(30)]
    frame = pd.DataFrame(rows, columns=["age_group", "gender", "country", "item", "views"])
    roles = {"age_group": "demographic", "gender": "demographic", "country": "demographic", "item": "item", "views": "value"}
    dataset = Dataset(frame, roles, "interactions", name="random")
    prepared = prepare(dataset, Preparation(interactions="counts"))
    method = NMF()
    method.W_ = rng.gamma(0.3, size=(n_groups, k))
    method.H_ = rng.gamma(0.3, size=(k, 30))
    method.memberships_ = method._memberships(method.W_)
    method.labels_ = method.memberships_.argmax(axis=1)
    method.n_segments_ = k
    return dataset, prepared, method


def test_a_hundred_personas_apg_and_table():
    # How fast is benchmarks/many_personas.py's question (timed tests fail on a loaded machine).
    dataset, prepared, method = _random_apg(150, 100)
    result = build_personas(dataset, prepared, method, manifest={}, seed=3)
    _check_set(result)
    assert len({p.face for p in result.personas}) == 100

    data = pl.load_dataset(SAMPLE_DIR / "customers.csv")
    labels = np.random.default_rng(1).permutation(np.arange(3000) % 100)
    table = KMeans()
    table.labels_, table.memberships_, table.n_segments_ = labels, None, 100
    result = build_personas(data, prepare(data), table, manifest={}, seed=3)
    _check_set(result)
    # Random labels plant nothing: few traits and no significant descriptor beyond BH's 5%.
    descriptors = [d for p in result.personas for d in p.descriptors]
    assert sum(d.significant for d in descriptors) <= 0.05 * len(descriptors)


def test_two_personas_with_the_same_skeleton_say_how_they_differ():
    rows = [("18-24", "female", "US", "i0", 40), ("18-24", "female", "US", "i1", 40), ("25-34", "male", "DE", "i1", 10),
            ("25-34", "male", "DE", "i2", 10), ("65+", "female", "JP", "i0", 5)]
    # Both personas peak on 18-24 female US; their second groups and top items differ.
    dataset, prepared, method = hand_built_apg(rows, [[5.0, 4.0], [0.0, 2.0], [1.0, 0.0]],
                                               [[3.0, 1.0, 0.0], [0.0, 1.0, 3.0]], name="twins")
    by_id = {p.id: p for p in build_personas(dataset, prepared, method, manifest={}, seed=0).personas}
    assert by_id[0].demographics == by_id[1].demographics
    assert "1 other persona shares this skeleton" in by_id[0].explanation
    assert "this one leads with i0" in by_id[0].explanation and "this one leads with i2" in by_id[1].explanation
    # Each names its sibling and what that one leads with.
    assert f"{by_id[1].name} leads with i2" in by_id[0].explanation
    assert f"{by_id[0].name} leads with i0" in by_id[1].explanation
    assert by_id[0].explanation != by_id[1].explanation
    assert "second group is 65+ | female | JP (0.17)" in by_id[0].explanation
    assert "second group is 25-34 | male | DE (0.33)" in by_id[1].explanation
    assert by_id[0].groups[1].weight == pytest.approx(1 / 6) and by_id[1].groups[1].weight == pytest.approx(2 / 6)


def test_schema_1_files_load_with_defaults():
    old = {
        "schema_version": 1, "dataset": "d", "kind": "entities", "method": "kmeans", "k": 1, "manifest": {"seed": 0},
        "personas": [{
            "id": 0, "name": "Ann", "size": 10.0, "share": 1.0, "demographics": {"gender": "female"},
            "gender": "female", "country": None, "age": "25-34",
            "traits": [{"feature": "spend", "kind": "numeric", "value": 2.0, "population": 1.0, "effect": 0.5,
                        "level": None, "lift": None, "text": "spend: 2 vs 1 overall"}],
            "interests": [], "explanation": "", "narrative": "",
        }],
        "unassigned": None,
    }
    loaded = PersonaSet.from_dict(old)
    assert loaded.schema_version == SCHEMA_VERSION == 2
    persona = loaded.personas[0]
    assert persona.traits == [Trait("spend", "numeric", 2.0, 1.0, 0.5, text="spend: 2 vs 1 overall")]
    assert (persona.include, persona.stability, persona.face, persona.descriptors, persona.groups) == (True, None, "", [], [])
    assert persona.traits[0].hidden is False and persona.traits[0].ci_low is None
    assert json.loads(loaded.to_json())["schema_version"] == 2


def test_round_trip_keeps_user_edits_and_refuses_bad_files():
    result = PersonaSet("kmeans", 1, [Persona(0, "Ann", 3.0, 1.0, traits=[Trait("a", "numeric", 1.0, 0.0, 1.0, hidden=True)],
                                              include=False, stability=0.8)], {})
    loaded = PersonaSet.from_json(result.to_json())
    assert loaded == result
    with pytest.raises(PersonaLabError, match="newer"):
        PersonaSet.from_dict({**result.to_dict(), "schema_version": 3})
    with pytest.raises(PersonaLabError, match="not a persona set"):
        PersonaSet.from_dict({"hello": 1})
    with pytest.raises(PersonaLabError, match="not valid JSON"):
        PersonaSet.from_json("{")
    with pytest.raises(PersonaLabError, match="A persona is list"):
        PersonaSet.from_dict({**result.to_dict(), "personas": [[1, 2]]})
    broken = result.to_dict()
    del broken["personas"][0]["share"]
    with pytest.raises(PersonaLabError, match="lacks share"):
        PersonaSet.from_dict(broken)

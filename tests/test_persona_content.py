"""Persona content on planted data: descriptor profiles, free text, narratives, faces."""

import io
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from fpdf import FPDF

from persona_lab.data.dataset import Dataset
from persona_lab.methods import KMeans
from persona_lab.personas.build import age_in_range, build_personas
from persona_lab.personas.faces import face_svg
from persona_lab.data.dictionary import format_number as number
from persona_lab.personas.narrative import percent
from persona_lab.prepare import prepare

WORDS = {0: "coupons discount offer", 1: "app crashes update", 2: "delivery parcel courier"}


def _planted(n=900, seed=5):
    """Three segments on two features; descriptors and comments planted per segment."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    filler = rng.choice(["Nice shop.", "Good prices overall.", "Friendly staff here."], n)
    comments = [f"{WORDS[s].split()[rng.integers(3)]} {WORDS[s]} {f}" for s, f in zip(segment, filler)]
    comments = [c if rng.random() > 0.1 else None for c in comments]  # some rows without a comment
    frame = pd.DataFrame({
        "id": np.arange(n),
        "gender": rng.choice(["female", "male"], n),
        "age": rng.integers(20, 70, n),
        "visits": rng.normal(10, 2, n) + 5 * (segment == 1) - 4 * (segment == 2),
        "basket": rng.normal(50, 10, n) + 20 * (segment == 0),
        "channel": np.where(segment == 0, "store", rng.choice(["web", "app"], n)),
        "revenue": rng.normal(1000, 200, n) + 400 * (segment == 1),  # planted: segment 1 spends more
        "churned": rng.random(n) < np.where(segment == 2, 0.5, 0.1),  # planted: segment 2 churns
        "null_outcome": rng.normal(50, 10, n),  # planted null: the same everywhere
        "null_region": rng.choice(["north", "south"], n),  # planted null
        "comment": comments,
    })
    roles = {"id": "id", "gender": "demographic", "age": "demographic", "visits": "feature", "basket": "feature",
             "channel": "feature", "revenue": "descriptor", "churned": "descriptor",
             "null_outcome": "descriptor", "null_region": "descriptor", "comment": "text"}
    dataset = Dataset(frame, roles, "entities", name="planted")
    method = KMeans()
    method.labels_, method.memberships_, method.n_segments_ = segment, None, 3
    return dataset, prepare(dataset), method, segment


@pytest.fixture(scope="module")
def planted():
    dataset, prepared, method, segment = _planted()
    result = build_personas(dataset, prepared, method, manifest={}, seed=4)
    return dataset, {p.id: p for p in result.personas}, segment


def _significant(persona):
    return {(d.feature, d.level) for d in persona.descriptors if d.significant}


def test_descriptors_flag_the_planted_differences_and_never_the_nulls(planted):
    _, personas, _ = planted
    revenue = next(d for d in personas[1].descriptors if d.feature == "revenue")
    assert revenue.significant and revenue.value > revenue.population + 200
    assert revenue.ci_low < revenue.value < revenue.ci_high and revenue.ci_low > revenue.population
    churn = next(d for d in personas[2].descriptors if d.feature == "churned")
    assert churn.level == "True" and churn.significant and churn.value == pytest.approx(0.5, abs=0.08)
    assert [d.level for d in personas[2].descriptors if d.feature == "churned"] == ["True"]
    for persona in personas.values():
        assert not {f for f, _ in _significant(persona)} & {"null_outcome", "null_region"}
        for d in persona.descriptors:
            assert d.q_value >= d.p_value and d.significant == (d.q_value < 0.05)


def test_traits_lead_with_the_planted_feature_and_carry_intervals(planted):
    _, personas, segment = planted
    top = personas[1].traits[0]
    assert top.feature == "visits" and top.effect > 1 and top.support == (segment == 1).sum()
    assert top.ci_low < top.value < top.ci_high and not top.ci_low <= top.population <= top.ci_high
    store = personas[0].traits[0]
    assert (store.feature, store.level) == ("channel", "store") and store.value == 1.0
    assert store.support == (segment == 0).sum()
    assert all(t.feature not in ("revenue", "gender", "age") for p in personas.values() for t in p.traits)


def test_terms_and_quotes_come_from_the_segments_own_texts(planted):
    dataset, personas, segment = planted
    texts = dataset.frame["comment"]
    for s, persona in personas.items():
        assert set(persona.terms[:3]) == set(WORDS[s].split())
        assert 2 <= len(persona.quotes) <= 3 and len(set(persona.quotes)) == len(persona.quotes)
        members = set(texts[segment == s].dropna())
        assert all(q in members for q in persona.quotes)  # verbatim, never made up


def test_narrative_cites_share_and_top_three_traits_with_the_profiles_numbers(planted):
    _, personas, _ = planted
    for persona in personas.values():
        cited = re.findall(r"\d[\d,]*(?:\.\d+)?%?", persona.narrative)
        assert percent(persona.share) in cited
        assert len(persona.traits) >= 2
        for t in persona.traits[:3]:
            if t.kind == "numeric":
                assert number(t.value) in cited and number(t.population) in cited
            else:
                assert percent(t.value) in cited and percent(t.population) in cited
        # The parsed share is the profile's own, to the cited precision.
        assert float(percent(persona.share)[:-1]) == pytest.approx(100 * persona.share, abs=0.05)
    assert max(len(p.traits) for p in personas.values()) >= 3
    assert len({p.narrative for p in personas.values()}) == len(personas)


def test_ages_are_drawn_inside_the_segment_range(planted):
    dataset, personas, segment = planted
    for s, persona in personas.items():
        ages = dataset.frame["age"][segment == s]
        assert ages.quantile(0.25) <= int(persona.age) <= ages.quantile(0.75)
    assert age_in_range("25-34", 0, "x") == age_in_range("25-34", 0, "x")
    assert {int(age_in_range("65+", s, "x")) for s in range(50)} <= set(range(65, 80))
    assert {age_in_range("25-34", s, "x") for s in range(50)} == {str(a) for a in range(25, 35)}
    assert age_in_range("adult", 0, "x") == "adult" and age_in_range(None, 0, "x") is None


def test_same_persona_same_name_and_face_whatever_the_seed_and_personas_differ(planted):
    dataset, personas, _ = planted
    _, prepared, method, _ = _planted()
    again = {p.id: p for p in build_personas(dataset, prepared, method, manifest={}, seed=4).personas}
    assert [(p.name, p.face) for p in again.values()] == [(p.name, p.face) for p in personas.values()]
    assert len({p.face for p in personas.values()}) == 3
    # The same fitted personas described under another seed are the same people.
    other_seed = {p.id: p for p in build_personas(dataset, prepared, method, manifest={}, seed=5).personas}
    assert {i: (p.name, p.face, p.age) for i, p in other_seed.items()} == \
        {i: (p.name, p.face, p.age) for i, p in personas.items()}


def test_faces_fit_age_and_gender_and_use_only_primitives_fpdf_renders():
    svgs = [face_svg(f"persona {i}", 0, g, a) for i in range(40) for g, a in (("female", 25), ("male", 75))]
    assert len(set(svgs)) == len(svgs)
    for svg in svgs:
        tags = set(re.findall(r"<(\w+)", svg))
        assert tags <= {"svg", "rect", "circle", "ellipse", "path"}
        assert "style" not in svg and "Gradient" not in svg and "filter" not in svg
    old = [face_svg(f"p{i}", 1, "male", 80) for i in range(40)]
    young = [face_svg(f"p{i}", 1, "male", 20) for i in range(40)]
    greys = ("#b0b0b0", "#d6d6d6", "#eeeeee")
    assert sum(any(g in s for g in greys) for s in old) > 30 > sum(any(g in s for g in greys) for s in young)
    pdf = FPDF()
    pdf.add_page()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for i, svg in enumerate(svgs[:12] + old[:4]):
            pdf.image(io.BytesIO(svg.encode()), x=10 + 30 * (i % 6), y=10 + 30 * (i // 6), w=28)
    assert len(pdf.output()) > 1000

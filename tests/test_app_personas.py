"""The Personas page: editing personas, keeping the edits across pages and runs, saving and loading."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from persona_lab.export.markdown import escape, markdown_text
from persona_lab.personas import edits
from persona_lab.personas.model import PersonaSet
from ui import analyses, edited_sets, overview, runs
from ui.state import EDITS
from ui.views import descriptor_frame, md

from persona_samples import EXCLUDED, HIDDEN_TRAIT, persona_set

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SETTINGS = {"data_source": "sample_customers", "seg_method": "kmeans", "seg_k": 3, "seg_seed": 0}


# -- the page ------------------------------------------------------------------------------------


def _run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _open(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"ui/pages/{page}.py")
    return _run(at)


def _session(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in {**SETTINGS, **state}.items():
        at.session_state[key] = value
    return _open(_run(at), "personas")


def _order(at: AppTest) -> list[int]:
    """Persona ids in the order the cards show them."""
    return [int(t.key.rsplit("_", 1)[1]) for t in at.text_input if t.key.startswith("_w_pe_name_")]


def _card_names(at: AppTest) -> list[str]:
    """The names heading the cards, in their order (the overview's heading left out)."""
    return [h.value for h in at.subheader if h.value != "All personas"]


def _edited(at: AppTest) -> PersonaSet:
    (ps,) = at.session_state[EDITS].values()
    return ps


def _texts(at: AppTest) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "subheader", "info", "error") for e in getattr(at, kind))


@pytest.fixture(scope="module")
def edited_session() -> tuple[AppTest, list[int]]:
    """One session: rename, hide a trait, reorder and exclude, each through its widget."""
    at = _session()
    first, second, third = _order(at)
    at.text_input(key=f"_w_pe_name_{first}").set_value("Zoë =HYPERLINK(\"x\")")
    _run(at)
    at.multiselect(key=f"_w_pe_hidden_{first}").set_value([0])
    _run(at)
    at.button(key=f"_w_pe_down_{first}").click()
    _run(at)
    at.checkbox(key=f"_w_pe_include_{third}").set_value(False)
    _run(at)
    return at, [first, second, third]


def test_edits_show_on_the_cards(edited_session):
    at, (first, second, third) = edited_session
    assert _order(at) == [second, first, third]
    assert _card_names(at)[1] == md('Zoë =HYPERLINK("x")')
    assert at.text_input(key=f"_w_pe_name_{first}").value == 'Zoë =HYPERLINK("x")'
    ps = _edited(at)
    persona = next(p for p in ps.personas if p.id == first)
    hidden = persona.traits[0]
    assert hidden.hidden and not any(t.hidden for t in persona.traits[1:])
    trait_lists = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert all(md(hidden.text) not in lines for lines in trait_lists)
    assert any(md(persona.traits[1].text) in lines for lines in trait_lists)
    assert "Left out of the exports" in _texts(at)
    descriptors = at.dataframe[-1].value  # the sample's descriptor columns, per persona
    # satisfaction is typed categorical (ratings 1-5), so it is described level by level.
    assert "revenue_12m_eur" in set(descriptors["descriptor"])
    assert any(d.startswith("satisfaction = ") for d in descriptors["descriptor"])
    assert set(descriptors["persona"]) == {p.name for p in ps.personas}
    assert [p.include for p in ps.personas] == [True, True, False]


def test_edits_survive_other_pages_and_other_runs(edited_session):
    at, (first, second, third) = edited_session
    _open(at, "data")
    _open(at, "personas")
    assert _order(at) == [second, first, third]
    assert at.multiselect(key=f"_w_pe_hidden_{first}").value == [0]
    assert at.checkbox(key=f"_w_pe_include_{third}").value is False
    # Another k: fresh personas, and a word that the edits are kept rather than dropped.
    at.session_state["seg_k"] = 4
    _run(at)
    assert len(_order(at)) == 4 and "Zoë" not in _texts(at)
    assert "are kept: choose those settings again" in _texts(at)
    at.session_state["seg_k"] = 3
    _run(at)
    assert _order(at) == [second, first, third] and "are kept" not in _texts(at)


def test_exports_follow_the_edits(edited_session):
    at, (first, second, third) = edited_session
    ps = _edited(at)
    text = markdown_text(ps)
    names = {p.id: p.name for p in ps.personas}
    assert text.index(f"## {escape(names[second])}") < text.index(f"## {escape(names[first])}")
    assert f"## {escape(names[third])}" not in text
    traits = next(p for p in ps.personas if p.id == first).traits
    assert escape(traits[0].text) not in text and escape(traits[1].text) in text
    csv = runs.export_assignments(edited_sets.set_key(ps), _FakeRun.from_ids([first, third]), ps)
    assert 'Zoë =HYPERLINK(""x"")' in csv and names[third] in csv


class _FakeRun:
    """The parts of a PersonaRun the assignments export reads."""

    @classmethod
    def from_ids(cls, ids):
        import numpy as np

        run = cls()
        run.prepared = type("P", (), {"row_labels": [f"r{i}" for i in range(len(ids))]})()
        run.method = type("M", (), {"labels_": np.array(ids), "memberships_": None})()
        return run


def test_save_and_load_back_continues_the_edits(edited_session):
    at, order = edited_session
    saved = _edited(at).to_json().encode("utf-8")
    fresh = _session()
    assert _order(fresh) == order  # a new session starts from the run's own personas
    fresh.file_uploader(key="_w_pe_upload").set_value(("personas.json", saved, "application/json"))
    _run(fresh)
    assert not fresh.error
    assert _order(fresh) == [order[1], order[0], order[2]]
    assert "Zoë" in _card_names(fresh)[1]
    assert _edited(fresh).to_json().encode("utf-8") == saved
    labels = [b.label for b in fresh.get("download_button")]
    assert "assignments.csv" in labels  # the same run: its rows can be exported


@pytest.mark.parametrize("content, message", [
    (b"{not json", "not valid JSON"),
    (b'{"rows": []}', "not a persona set"),
    (b'{"method": "kmeans", "k": 2, "personas": [{"id": 0}]}', "lacks name"),
    (b"\xff\xfe\x00", "not UTF-8"),
    (b'{"schema_version": 99, "method": "kmeans", "k": 1, "personas": []}', "newer than this Persona Lab"),
])
def test_a_bad_file_shows_an_error_and_changes_nothing(content, message):
    at = _session()
    before = _order(at)
    at.file_uploader(key="_w_pe_upload").set_value(("personas.json", content, "application/json"))
    _run(at)
    assert at.error and message in at.error[0].value.replace("\\", "")
    assert _order(at) == before and not at.session_state[EDITS]


def test_a_file_from_another_run_is_worked_on_as_a_file(edited_session):
    at, _ = edited_session
    other = _edited(at)
    other = replace(other, manifest={**other.manifest, "seed": 99}, personas=other.personas[:2])
    fresh = _session()
    fresh.file_uploader(key="_w_pe_upload").set_value(("old.json", other.to_json().encode(), "application/json"))
    _run(fresh)
    assert "Working on a loaded persona file" in _texts(fresh)
    assert len(_order(fresh)) == 2
    assert "assignments.csv" not in [b.label for b in fresh.get("download_button")]
    next(b for b in fresh.button if b.label.startswith("Back")).click()
    _run(fresh)
    assert len(_order(fresh)) == 3 and "Working on a loaded" not in _texts(fresh)
    assert json.loads(other.to_json())["manifest"]["seed"] == 99


def test_the_sample_set_round_trips_through_the_page_functions():
    ps = persona_set()
    assert HIDDEN_TRAIT not in markdown_text(ps) and EXCLUDED not in markdown_text(ps)
    assert edited_sets.set_key(ps) == edited_sets.set_key(PersonaSet.from_json(ps.to_json()))
    assert edited_sets.set_key(edits.renamed(ps, 0, "Other")) != edited_sets.set_key(ps)


def test_stability_from_the_assessment_reaches_the_cards(monkeypatch):
    import pandas as pd

    class Assessed:  # what the Number of personas page leaves in its slot, for k = 3
        recommended_k, curves = 3, None
        statement = "k = 3 was the vote's pick in 90% of 10 resamples"
        headline = "3 personas"

        def __init__(self, ids):
            self.survival = pd.DataFrame({"persona_id": ids, "survival": [0.9, 0.5, float("nan")]})

        def p_k_hat(self):
            return pd.DataFrame(columns=["criterion", "k", "probability"])

    at = _session()
    ids = _order(at)
    monkeypatch.setattr(analyses, "page_selection", lambda loaded, method, seed: Assessed(ids))
    _run(at)
    lines = [m.value for m in at.markdown if "share ·" in m.value]
    assert "**90.0%** stable" in lines[0] and "**50.0%** stable" in lines[1]
    assert "stable" not in lines[2]  # never resampled: no figure rather than a made-up one
    assert "Stability from the assessment" in _texts(at)


def test_an_empty_name_is_refused_with_a_message():
    at = _session()
    first = _order(at)[0]
    name = at.text_input(key=f"_w_pe_name_{first}").value
    at.text_input(key=f"_w_pe_name_{first}").set_value("   ")
    _run(at)
    assert at.error and "needs a name" in at.error[0].value
    assert at.text_input(key=f"_w_pe_name_{first}").value == name and not at.session_state[EDITS]


def test_descriptor_profiles_table():
    frame = descriptor_frame(persona_set())
    assert list(frame["descriptor"]) == ["revenue", "channel = web"]
    assert list(frame["significant"]) == [True, False] and frame["q (BH)"].tolist() == [0.004, 0.3]
    assert descriptor_frame(PersonaSet("kmeans", 0, [], {})).empty


def test_the_assessment_of_k_goes_into_the_pdf():
    import io

    import pandas as pd
    from pypdf import PdfReader

    from persona_lab.export.pdf import ReportContext, pdf_bytes

    class Curves:
        table = pd.DataFrame({"criterion": ["silhouette"] * 3, "k": [2, 3, 4], "value": [0.4, 0.6, 0.5]})
        picks = {"silhouette": 3}

    class Assessed:
        recommended_k, curves, headline = 4, Curves(), "4 personas (chosen in 80% of 10 resamples)"
        statement = "k = 4 was the vote's pick in 80% of 10 resamples"
        survival = pd.DataFrame({"persona_id": [0, 1, 2, 3], "survival": [0.9, 0.8, 0.7, 0.6]})
        resamples, k_distribution, stable = 10, {3: 0.2, 4: 0.8}, [3, 4]

        def p_k_hat(self):
            return pd.DataFrame({"criterion": ["rule", "rule"], "k": [3, 4], "probability": [0.2, 0.8]})

    survival, choice, figures = edited_sets.assessment_of(Assessed(), 4)
    assert survival == {0: 0.9, 1: 0.8, 2: 0.7, 3: 0.6} and choice.endswith(Assessed.statement)
    assert [title for title, _ in figures] == ["Criteria over k", "P(k_hat = k) over resamples"]
    by_hand = edited_sets.assessment_of(Assessed(), 3)
    assert by_hand[0] == {} and "chosen by hand" in by_hand[1] and "recommends 4 personas" in by_hand[1]
    assert edited_sets.assessment_of(None, 4) == ({}, None, ())

    reader = PdfReader(io.BytesIO(pdf_bytes(edits.with_stability(persona_set(), survival), ReportContext(choice, figures))))
    assert "vote's pick in 80%" in reader.pages[0].extract_text()
    assert "recovered in 90.0%" in reader.pages[1].extract_text()
    appendix = "\n".join(page.extract_text() for page in reader.pages[4:])
    assert "Criteria over k" in appendix and "P(k_hat = k) over resamples" in appendix
    assert sum(len(page.images) for page in reader.pages[4:]) == 2


# -- many personas: the overview ------------------------------------------------------------------


@pytest.fixture(scope="module")
def hundred() -> AppTest:
    """The APG sample (112 groups) at k = 100."""
    return _session(data_source="sample_apg", seg_method="nmf", seg_k=100)


def test_the_app_makes_100_personas_and_the_overview_lists_them_all(hundred):
    at = hundred
    (table,) = at.dataframe
    assert len(table.value) == 100 and {"persona", "skeleton", "share", "leads with"} <= set(table.value.columns)
    assert table.value["share"].sum() == pytest.approx(100.0)
    assert len(_order(at)) == 9  # one page of cards, not 100
    assert at.number_input(key="_w_pe_page").max == 12
    # Stability was not assessed: the cells say so instead of printing a blank number as "None".
    assert set(table.value["stability"]) == {overview.NOT_ASSESSED}


def test_stability_cells_are_numbers_to_sort_only_when_every_persona_was_assessed():
    import pandas as pd

    assessed = overview.stability_cells(pd.Series([0.9, 0.5]))
    assert assessed.tolist() == [90.0, 50.0]
    partly = overview.stability_cells(pd.Series([0.9, None, float("nan")], dtype=object))
    assert partly.tolist() == ["90%", overview.NOT_ASSESSED, overview.NOT_ASSESSED]


def test_the_overview_filters_by_attribute_and_search(hundred):
    at = hundred
    everyone = at.dataframe[0].value
    at.session_state["pe_filters"] = {"gender": ["female"]}
    _run(at)
    women = at.dataframe[0].value
    assert 0 < len(women) < len(everyone) and women["skeleton"].str.contains("female").all()
    assert len(_order(at)) == min(9, len(women))
    at.session_state["pe_filters"] = {}
    name = everyone["persona"].iloc[5]
    at.session_state["pe_search"] = name.upper()
    _run(at)
    assert list(at.dataframe[0].value["persona"]) == [name] and len(_order(at)) == 1
    at.session_state["pe_search"] = ""
    _run(at)


def test_the_overview_filters_are_named_by_the_data_dictionary_and_keyed_by_column():
    at = _session()
    at.session_state["data_labels"] = {"labels": {"gender": "Sex of respondent", "country": "Country of residence"}}
    _run(at)
    # The cards' prevalence names the columns as the filters do.
    helps = " ".join(m.proto.help.replace("\\", "") for m in at.markdown if m.value.startswith("Matches"))
    assert "Sex of respondent = " in helps and "gender = " not in helps
    filters = {m.key: m.label for m in at.multiselect if m.key.startswith("_w_pe_filter_")}
    assert "Sex of respondent" in filters.values() and "Country of residence" in filters.values()
    assert "gender" not in filters.values()
    # The stored filter stays keyed by the column, whatever its label.
    widget = next(key for key, label in filters.items() if label == "Sex of respondent")
    at.multiselect(key=widget).set_value(["female"])
    _run(at)
    assert at.session_state["pe_filters"]["gender"] == ["female"]

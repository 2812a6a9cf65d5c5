"""The Typing tool page through AppTest: the library's tool, shown and offered for download."""

from __future__ import annotations

import pytest

from persona_lab.data import load_dataset
from persona_lab.data.sample_data import CUSTOMER_SAMPLE, SAMPLE_DIR
from persona_lab.model_file import PersonaModel
from persona_lab.pipeline import run
from persona_lab.typing_tool import typing_tool_for_model

from helpers import app_page

CUSTOMERS = {"data_source": "sample_customers", "seg_method": "kmeans", "seg_k": 3, "seg_seed": 0}


def _page(**state):
    return app_page("typing_tool", **state)


def _questions(at) -> list[str]:
    """The question headings, unescaped."""
    texts = [m.value.replace("\\", "").strip("*") for m in at.markdown]
    return [t for t in texts if t[:1].isdigit()]


@pytest.fixture(scope="module")
def expected():
    dataset = load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE)
    model = PersonaModel.from_run(run(dataset, "kmeans", 3, seed=0))
    return typing_tool_for_model(model, dataset.frame, seed=0)


def test_page_shows_the_librarys_tool_and_offers_downloads(expected):
    at = _page(**CUSTOMERS)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Questions"] == str(expected.n_questions)
    assert metrics["Correct (cross-validated)"] == f"{100 * expected.accuracy:.0f}%"
    shown = _questions(at)
    assert shown == [f"{i}. {q.text}" for i, q in enumerate(expected.questions, start=1)]
    assert [d.value for d in at.dataframe][0]["question"].tolist() == [c["question"] for c in expected.curve]
    assert len(at.get("download_button")) == 3

    choice = at.selectbox(key="_w_tt_questions")
    assert choice.value == 0 and choice.options[0] == f"recommended ({expected.n_questions})"
    at.selectbox(key="_w_tt_questions").set_value(2).run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Questions"] == "2"
    assert len(_questions(at)) == 2


def test_interaction_data_gets_a_clear_message():
    at = _page()  # the app opens on the APG channel sample
    assert any("per-respondent data" in e.value.replace("\\", "") for e in at.error)
    assert not at.metric


def test_a_rename_on_the_personas_page_reaches_the_typing_tool_and_its_questionnaire(expected):
    """The questionnaire is an export: it names the personas as the user renamed them."""
    from persona_lab.export.questionnaire import markdown_text

    at = app_page("personas", **CUSTOMERS)
    name_box = next(t for t in at.text_input if t.key.startswith("_w_pe_name_"))
    old, pid = name_box.value, int(name_box.key.rsplit("_", 1)[1])
    name_box.set_value("Ada Lovelace").run()
    at.switch_page("ui/pages/typing_tool.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    start_points = at.dataframe[1].value
    assert "Ada Lovelace" in start_points.columns and old not in start_points.columns
    # The page's downloads are written from the renamed tool: the same rename, nothing refitted.
    renamed = expected.renamed({pid: "Ada Lovelace"})
    assert "Ada Lovelace" in markdown_text(renamed) and old not in markdown_text(renamed)
    assert renamed.points[0].tolist() == expected.points[0].tolist()

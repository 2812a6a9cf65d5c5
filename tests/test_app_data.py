"""The Data page's reading options, types, weight check and labels, through streamlit.testing."""

from __future__ import annotations

import pytest

from helpers import titled_workbook as write_titled_workbook
from test_app import _app, _choose
from test_roles import marketing_survey


def _texts(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "warning", "error") for e in getattr(at, kind))


@pytest.fixture
def titled_workbook(tmp_path):
    survey = marketing_survey(60)
    path = tmp_path / "survey.xlsx"
    write_titled_workbook(path, "Marketing survey 2024", list(survey.columns),
                          [[int(v) for v in row] for row in survey.itertuples(index=False)])
    return path


def test_a_title_row_is_skipped_and_the_header_row_can_be_set(titled_workbook):
    at = _app(data_source="path", data_path=str(titled_workbook))
    assert list(at.dataframe[0].value.columns)[:3] == ["ID", "Year_Birth", "Income"]
    assert "Read the column names from row 3" in _texts(at)
    assert at.number_input(key="_w_data_header_row").value is None
    at.number_input(key="_w_data_header_row").set_value(4).run()
    assert not at.exception
    assert at.session_state["data_header_row"] == 4  # kept with the workspace's choices
    assert list(at.dataframe[0].value.columns)[0] != "ID"
    at.number_input(key="_w_data_header_row").set_value(3).run()
    at.number_input(key="_w_data_skip_rows").set_value(10).run()
    assert len(at.dataframe[0].value) == 50


def test_the_id_is_not_segmented_on_and_a_type_can_be_changed(tmp_path):
    path = tmp_path / "marketing.csv"
    marketing_survey(120).to_csv(path, sep=";", index=False)
    at = _app(data_source="path", data_path=str(path), seg_method="kmeans")
    text = _texts(at)
    assert "**Row id:** ID" in text and "Segmenting on:** ID" not in text
    steps = list(at.dataframe[2].value["step"])
    assert "Kidhome: categorical, 3 levels one-hot" in steps
    roles = at.dataframe[1].value
    assert dict(zip(roles["column"], roles["type"]))["Kidhome"] == "categorical"
    _choose(at, data_types={"Kidhome": "numeric"})
    assert any(s.startswith("Kidhome: numeric") for s in at.dataframe[2].value["step"])


def test_an_id_as_weight_is_refused_with_a_message_not_a_traceback(tmp_path):
    path = tmp_path / "marketing.csv"
    marketing_survey(120).to_csv(path, sep=";", index=False)
    at = _app(data_source="path", data_path=str(path), seg_method="kmeans")
    _choose(at, data_roles={"ID": "weight"})
    assert at.error and "is an identifier" in at.error[0].value
    # The rest of the page stays: the labels can still be edited.
    assert any(s.value == "Labels and units" for s in at.subheader)


def test_labels_and_units_name_the_chart_and_reach_the_cards(tmp_path):
    path = tmp_path / "marketing.csv"
    marketing_survey(120).to_csv(path, sep=";", index=False)
    at = _app(data_source="path", data_path=str(path), seg_method="kmeans", seg_k=2, data_profile_column="Income")
    _choose(at, data_labels={"labels": {"Income": "Yearly household income", "MntWines": "Spent on wine"},
                          "units": {"Income": "USD", "MntWines": "$"}})
    labels = at.dataframe[3].value
    assert dict(zip(labels["column"], labels["label"]))["Income"] == "Yearly household income"
    charts = [c.proto.spec for kind in ("vega_lite_chart", "arrow_vega_lite_chart") for c in at.get(kind)]
    assert any("Yearly household income (USD)" in spec for spec in charts)
    at.switch_page("ui/pages/personas.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    page = "\n".join(str(e.value) for e in at.markdown) + str([str(e.proto) for e in at.get("arrow_data_frame")])
    # Income is a demographic (by its name): the card names it by its label, its numbers in USD.
    assert "**Yearly household income:** " in page and " USD \\(middle half" in page
    assert "**Income:**" not in page

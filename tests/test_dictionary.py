"""The data dictionary: labels and units from SPSS, from a labels CSV, and where they show (cards,
the typing tool's questions, charts, exports)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import persona_lab as pl
from persona_lab.charts import column_distribution, persona_profile
from persona_lab.data import load_dataset, read_table
from persona_lab.data.dictionary import DataDictionary, with_unit
from persona_lab.errors import PersonaLabError
from persona_lab.export.markdown import markdown_text
from persona_lab.export.questionnaire import markdown_text as questionnaire_text
from persona_lab.typing_tool import build_typing_tool

from test_roles import marketing_survey

LABELS = (
    "column,label,unit,value_labels\n"
    "Income,Yearly household income,USD,\n"
    "NumStorePurchases,Purchases in store,,\n"
    "MntWines,Spent on wine,$,\n"
    "Kidhome,Children at home,,0=none; 1=one; 2=two\n"
)


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labelled")
    (folder / "labels.csv").write_text(LABELS)
    survey = marketing_survey()
    survey.to_csv(folder / "marketing.csv", sep=";", index=False)
    dataset = load_dataset(folder / "marketing.csv", dictionary=folder / "labels.csv",
                           roles={"Income": "feature", "MntWines": "feature"})
    return dataset, pl.run(dataset, method="kmeans", k=2, seed=0)


def test_numbers_carry_their_unit():
    assert with_unit("32,364", "USD") == "32,364 USD"
    assert with_unit("32,364", "$") == "$32,364" and with_unit("-5", "€") == "-€5"
    assert with_unit("12", "%") == "12%" and with_unit("7", "") == "7"
    d = DataDictionary(units={"Income": "USD"}, value_labels={"Kidhome": {"1": "one"}})
    assert d.format_value("Income", 32364.4) == "32,364 USD"
    assert d.format_value("Kidhome", 1.0) == "one" and d.format_value("other", 3) == "3"


def test_a_labels_csv_labels_the_dataset(labelled):
    dataset, _ = labelled
    assert dataset.dictionary.label("Income") == "Yearly household income"
    assert dataset.dictionary.title("Income") == "Yearly household income (USD)"
    assert dataset.dictionary.label("Year_Birth") == "Year_Birth"  # not in the file: as it is
    # Value labels replace the codes, and the column is a category.
    assert set(dataset.frame["Kidhome"].unique()) == {"none", "one", "two"}


def test_labels_and_units_show_on_cards_and_in_exports(labelled):
    dataset, result = labelled
    traits = [t for p in result.personas.personas for t in p.traits]
    numeric = [t for t in traits if t.feature in ("Income", "MntWines")]
    assert numeric, [t.text for t in traits]
    for t in numeric:
        label, unit = ("Yearly household income", "USD") if t.feature == "Income" else ("Spent on wine", "$")
        assert t.text.startswith(f"{label}: ") and t.feature not in t.text
        assert (f" {unit} vs " in t.text) if unit == "USD" else t.text.count("$") == 2
    text = markdown_text(result.personas)
    assert "Yearly household income" in text or "Spent on wine" in text
    # The card's chart names the bars by label too.
    persona = next(p for p in result.personas.personas if any(t in numeric for t in p.traits))
    bars = persona_profile(persona).to_dict()["datasets"]
    assert any("Yearly household income" in str(b) or "Spent on wine" in str(b) for b in bars.values())


def test_the_typing_tool_asks_with_labels_and_units(labelled):
    dataset, result = labelled
    columns = ["Income", "NumStorePurchases", "Kidhome"]
    tool = build_typing_tool(dataset.frame, result.labels, columns, n_questions=3,
                             dictionary=dataset.dictionary)
    by_column = {q.column: q for q in tool.questions}
    assert by_column["Income"].text == "Yearly household income: choose the range of the number"
    assert all(" USD" in a for a in by_column["Income"].answers[:-1])  # "under 45,000 USD", ...
    assert by_column["Income"].answers[-1] == "don't know / no answer"
    assert by_column["Kidhome"].text.startswith("Children at home:")
    text = questionnaire_text(tool)
    assert "Purchases in store" in text and "NumStorePurchases" not in text


def test_spss_variable_and_value_labels_are_read(tmp_path):
    import pyreadstat

    frame = pd.DataFrame({"q1": [1.0, 2.0, 1.0, 2.0] * 10, "income": np.arange(40) * 1000.0})
    path = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, str(path), column_labels=["Owns a car", "Household income"],
                         variable_value_labels={"q1": {1.0: "yes", 2.0: "no"}})
    dataset = load_dataset(path)
    assert dataset.dictionary.label("q1") == "Owns a car"
    assert dataset.dictionary.label("income") == "Household income"
    assert set(dataset.frame["q1"]) == {"yes", "no"}
    # A labels CSV given for the same file goes on top of the file's own labels.
    (tmp_path / "labels.csv").write_text("column,unit\nincome,EUR\n")
    relabelled = load_dataset(path, dictionary=tmp_path / "labels.csv")
    assert relabelled.dictionary.title("income") == "Household income (EUR)"


def test_a_currency_column_keeps_its_unit(tmp_path):
    path = tmp_path / "money.csv"
    path.write_text("spend,share\n" + "".join(f"\"${i * 1100:,}\",{i}%\n" for i in range(1, 30)))
    assert load_dataset(path, roles={"spend": "feature"}).dictionary.units == {"spend": "$", "share": "%"}


def test_a_bad_labels_file_gets_a_clear_message(tmp_path):
    (tmp_path / "bad.csv").write_text("name,label\nIncome,Income\n")
    with pytest.raises(PersonaLabError, match="no 'column' column"):
        DataDictionary.from_csv(tmp_path / "bad.csv")
    (tmp_path / "codes.csv").write_text("column,value_labels\nKidhome,none\n")
    with pytest.raises(PersonaLabError, match="Value labels of 'Kidhome'"):
        DataDictionary.from_csv(tmp_path / "codes.csv")


def test_the_dictionary_round_trips_as_a_table_and_json():
    d = DataDictionary({"a": "Alpha"}, {"a": "kg"}, {"b": {"1": "yes", "2": "no"}})
    table = d.to_frame(["a", "b"])
    assert list(table["value_labels"]) == ["", "1=yes; 2=no"]
    assert DataDictionary.from_frame(table) == d
    assert DataDictionary.from_json(d.to_json()) == d


def test_a_chart_title_carries_the_label_and_unit():
    chart = column_distribution(pd.Series([1.0, 2.0, 3.0], name="inc"), "numeric",
                                title=DataDictionary({"inc": "Income"}, {"inc": "USD"}).title("inc"))
    assert chart.to_dict()["title"] == "Income (USD)"


def test_read_table_keeps_the_file_labels_in_attrs(tmp_path):
    import pyreadstat

    path = tmp_path / "s.sav"
    pyreadstat.write_sav(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), str(path), column_labels=["Ex"])
    assert read_table(path).attrs["dictionary"]["labels"] == {"x": "Ex"}

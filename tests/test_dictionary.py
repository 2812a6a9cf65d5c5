"""The data dictionary: labels and units from SPSS, from a labels CSV, and where they show (cards,
the typing tool's questions, charts, exports)."""

from __future__ import annotations

import re

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


# -- every column labelled: no raw name left where a reader reads -----------------------------------

EVERY_LABEL = (
    "column,label,unit,value_labels\n"
    "Year_Birth,Year of birth,,\n"
    "Income,Yearly household income,USD,\n"
    "Kidhome,Children at home,,0=none; 1=one; 2=two\n"
    "Teenhome,Teenagers at home,,\n"
    "MntWines,Spent on wine,$,\n"
    "NumStorePurchases,Purchases in store,,\n"
    "AcceptedCmp1,Accepted campaign 1,,\n"
    "AcceptedCmp2,Accepted campaign 2,,\n"
    "gender,Sex of respondent,,\n"
)
RAW = ("Year_Birth", "Income", "Kidhome", "Teenhome", "MntWines", "NumStorePurchases", "AcceptedCmp1",
       "AcceptedCmp2", "gender")


@pytest.fixture(scope="module")
def every_label(tmp_path_factory):
    """The survey with a label for every column, a demographic year, a descriptor in dollars,
    through every export and the questionnaire."""
    from pptx import Presentation
    from pypdf import PdfReader

    from persona_lab.export import write_run
    from persona_lab.model_file import PersonaModel
    from persona_lab.typing_tool import typing_tool_for_model

    folder = tmp_path_factory.mktemp("every_label")
    (folder / "labels.csv").write_text(EVERY_LABEL)
    survey = marketing_survey()
    survey["gender"] = np.where(np.arange(len(survey)) % 3, "female", "male")
    survey.to_csv(folder / "marketing.csv", sep=";", index=False)
    dataset = load_dataset(folder / "marketing.csv", dictionary=folder / "labels.csv", roles={
        "Income": "feature", "MntWines": "descriptor", "gender": "demographic", "Year_Birth": "demographic"})
    result = pl.run(dataset, method="kmeans", k=3, seed=0)
    files = write_run(result, folder / "out", min_size=0)
    tool = typing_tool_for_model(PersonaModel.from_run(result), dataset.frame, dictionary=dataset.dictionary,
                                 n_questions=6)
    pages = [page.extract_text() for page in PdfReader(files["pdf"]).pages]
    slides = ["\n".join(shape.text_frame.text if shape.has_text_frame else
                        "\n".join(c.text for row in shape.table.rows for c in row.cells) if shape.has_table else ""
                        for shape in slide.shapes) for slide in Presentation(files["pptx"]).slides]
    return dataset, result, {
        "markdown": files["markdown"].read_text(encoding="utf-8").split("## Manifest")[0],  # the record keeps names
        "pdf cards": "\n".join(pages[1:4]),
        "pdf appendix": "\n".join(pages[4:]),
        "pptx": "\n".join(s for s in slides if "How these personas were made" not in s),
        "pptx method": next(s for s in slides if "How these personas were made" in s),
        "questionnaire": questionnaire_text(tool),
    }, tool


def test_every_export_names_columns_by_their_labels(every_label):
    _, _, texts, _ = every_label
    for kind, text in texts.items():
        flat = " ".join(text.split())
        if kind in ("pdf appendix", "pptx method"):
            # The preparation steps lead with the label and keep the name a reader checks the data by.
            assert "Yearly household income (Income): numeric" in flat, kind
            continue
        raw = [name for name in RAW if re.search(rf"\b{name}\b", flat)]
        assert not raw, (kind, raw)
    # The prevalence headline and the descriptor table, which printed raw names, included.
    assert re.search(r"all of Year of birth 19\d\d-19\d\d; Sex of respondent = ", " ".join(texts["pdf cards"].split()))
    assert re.search(r"Spent on wine \$[\d,]+ \[\$[\d,]+, \$[\d,]+\] \$[\d,]+", " ".join(texts["pdf appendix"].split()))
    assert re.search(r"\(all of: Year of birth 19\d\d-19\d\d; Sex of respondent = ", texts["markdown"])


def test_years_print_as_years_on_cards_and_in_exports(every_label):
    _, result, texts, tool = every_label
    for persona in result.personas.personas:
        shown = persona.demographics["Year_Birth"]
        assert re.fullmatch(r"19\d\d \(middle half 19\d\d-19\d\d\)", shown) or re.fullmatch(r"19\d\d", shown), shown
    for kind, text in texts.items():
        assert not re.search(r"(?<!\$)\b[12],\d{3}\b(?! USD)", text), kind  # "1,957"; money keeps its comma
    assert "Year of birth" in texts["pdf cards"] and re.search(r"YEAR OF BIRTH\s+19\d\d", texts["pdf cards"])
    (year,) = [q for q in tool.questions if q.column == "Year_Birth"] or [None]
    if year is not None:  # when the tool asks it, its ranges are whole years
        assert all(e == int(e) for e in year.edges) and re.fullmatch(r"under 19\d\d", year.answers[0])


def test_measure_knows_a_year_by_its_name_label_or_unit():
    from persona_lab.data.dictionary import measure, says_year

    assert says_year("Year_Birth") and says_year("BirthYear") and says_year("yob", "Year of birth")
    assert not says_year("YearlyIncome") and not says_year("Income", "Yearly household income")
    assert measure(1957.0, "Year_Birth") == "1957" and measure(1968.6, "yob", "Year of birth") == "1969"
    assert measure(1957.0, "Income") == "1,957" and measure(32364.4, "Income", unit="USD") == "32,364 USD"
    assert measure(12.0, "years_employed") == "12"  # a duration is no calendar year
    assert DataDictionary({"yob": "Year of birth"}).format_value("yob", 1957) == "1957"


def test_numbers_declared_categorical_are_asked_as_their_categories(every_label):
    dataset, result, _, tool = every_label
    by_column = {q.column: q for q in tool.questions}
    assert dataset.types["Teenhome"] == "categorical"
    teens = by_column["Teenhome"]
    assert teens.kind == "category" and teens.levels == ("0", "1", "2")
    assert teens.text == "Teenagers at home: choose one"
    # Value labels are the answers, in their codes' order.
    assert by_column["Kidhome"].levels == ("none", "one", "two")
    # A 0/1 column is a yes/no question, not a range of one cut.
    campaign = by_column.get("AcceptedCmp1") or by_column.get("AcceptedCmp2")
    assert campaign is not None and campaign.kind == "category" and campaign.levels == ("0", "1")
    # The same column undeclared is still a range question: the declaration decides.
    plain = build_typing_tool(dataset.frame.assign(Teenhome=dataset.frame["Teenhome"].astype(int)), result.labels,
                              ["Teenhome", "Income"], n_questions=2)
    assert {q.column: q.kind for q in plain.questions}["Teenhome"] == "number"
    # A respondent's answer is found whether the code comes as 2 or 2.0.
    assert teens.encode(pd.Series([2.0, 0, None])).tolist() == [2, 0, 3]


def test_a_range_says_its_unit_once():
    d = DataDictionary({"yob": "Year of birth"}, {"age": "years", "inc": "USD", "spend": "$", "share": "%"})
    assert d.format_range("age", 37.0, 54.0) == "37-54 years"
    assert d.format_range("inc", 15000.0, 45000.0) == "15,000-45,000 USD"
    assert d.format_range("spend", 37.0, 54.0) == "$37-$54" and d.format_range("share", 12.0, 15.0) == "12-15%"
    assert d.format_range("yob", 1957.0, 1979.0) == "1957-1979" and d.format_range("other", 1.5, 2.0) == "1.5-2"

"""The typing tool on planted segments: it finds the columns that carry the signal, its
cross-validated accuracy holds on fresh data, and its exported rule can be applied by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from persona_lab.cli import main
from persona_lab.data.dataset import Dataset
from persona_lab.errors import PersonaLabError
from persona_lab.export.questionnaire import markdown_text, pdf_bytes, write_typing_tool
from persona_lab.model_file import PersonaModel, save_model
from persona_lab.pipeline import run
from persona_lab.typing_tool import build_typing_tool, typing_tool_for_model

SIGNAL = ["plan", "visits", "spend"]


def planted(n: int, seed: int, noise: int = 10) -> tuple[pd.DataFrame, np.ndarray]:
    """Three segments told apart by a category (plan) and two numbers (visits, spend), each
    noisy on its own, among ``noise`` columns (numbers and categories) that carry nothing."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    plans = np.array(["basic", "plus", "pro"])
    columns = {
        "plan": np.where(rng.random(n) < 0.7, plans[y], rng.choice(plans, n)),
        "visits": rng.normal(np.array([2.0, 5.0, 8.0])[y], 1.6),
        "spend": rng.normal(np.array([50.0, 80.0, 90.0])[y], 15),
    }
    for i in range(noise):
        columns[f"noise{i}"] = rng.normal(0, 1, n) if i % 3 else rng.choice(list("abcd"), n)
    frame = pd.DataFrame(columns)
    return frame[sorted(frame.columns)], y  # signal columns are not first in the table


@pytest.fixture(scope="module")
def tool_and_data():
    frame, y = planted(600, seed=0)
    names = {0: "Bargain hunter", 1: "| Regular *", 2: "Power user"}
    tool = build_typing_tool(frame, y, list(frame.columns), names=names, max_questions=4, seed=3)
    return tool, frame, y


def test_picks_the_signal_columns_first_and_stops_there(tool_and_data):
    tool, _, _ = tool_and_data
    order = [c["question"] for c in tool.curve]
    assert sorted(order[:3]) == sorted(SIGNAL)
    assert [c["n_questions"] for c in tool.curve] == [1, 2, 3, 4]
    # Non-decreasing-ish: each signal question adds, the noise question adds nothing much.
    acc = [c["accuracy"] for c in tool.curve]
    assert acc[0] + 0.03 < acc[1] and acc[1] + 0.02 < acc[2]
    assert abs(acc[3] - acc[2]) < 0.02
    assert all(0 < c["accuracy_sd"] < 0.1 for c in tool.curve)
    assert tool.n_questions == 3 and [q.column for q in tool.questions] == order[:3]


def test_reported_accuracy_holds_on_a_fresh_sample(tool_and_data):
    tool, _, _ = tool_and_data
    fresh, y = planted(4000, seed=99)
    held_out = np.mean(tool.predict(fresh) == y)
    assert 0.75 < tool.accuracy < 0.97  # the planted noise keeps it from being trivial
    assert abs(held_out - tool.accuracy) < 0.04
    assert tool.statement() == f"3 questions, {100 * tool.accuracy:.0f}% correct (cross-validated)"


def _by_hand(rule: dict, row: dict) -> int:
    """Apply the exported JSON rule to one respondent's answers, as a person would."""
    totals = list(rule["start_points"])
    for question in rule["questions"]:
        value = row.get(question["column"])
        for answer in question["answers"]:
            if _matches(answer["match"], value):
                totals = [t + p for t, p in zip(totals, answer["points"])]
                break
        else:
            raise AssertionError(f"no answer matches {value!r}")
    return totals.index(max(totals))  # a tie goes to the persona listed first


def _matches(match: dict, value) -> bool:
    missing = value is None or (isinstance(value, float) and np.isnan(value))
    if "equals" in match:
        return not missing and str(value) == match["equals"]
    if "other" in match or "missing" in match:
        return True  # the last answer: anything not matched before
    if missing:
        return False
    return (match["from"] is None or value >= match["from"]) and (match["below"] is None or value < match["below"])


def test_the_exported_rule_applied_by_hand_gives_the_tools_predictions(tool_and_data, tmp_path):
    tool, _, _ = tool_and_data
    paths = write_typing_tool(tool, tmp_path)
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    fresh, _ = planted(300, seed=5)
    # Answers the training data never held: an unknown plan, a missing number, a missing plan.
    fresh.loc[0, "plan"], fresh.loc[1, "visits"], fresh.loc[2, "plan"] = "enterprise", np.nan, None
    ids = [p["id"] for p in document["personas"]]
    by_hand = [ids[_by_hand(document["rule"], row)] for row in fresh.to_dict("records")]
    assert by_hand == tool.predict(fresh).tolist()
    assert document["n_questions"] == 3 and document["accuracy"] == round(tool.accuracy, 4)
    assert [c["question"] for c in document["curve"]] == [c["question"] for c in tool.curve]
    assert [p["name"] for p in document["personas"]] == ["Bargain hunter", "| Regular *", "Power user"]


def test_two_personas_hand_built():
    # One question decides: "yes" is persona 7, "no" persona 2 (ids need not start at 0).
    frame = pd.DataFrame({"member": ["yes"] * 20 + ["no"] * 20, "age": np.tile([20.0, 30, 40, 50], 10)})
    labels = np.array([7] * 20 + [2] * 20)
    tool = build_typing_tool(frame, labels, ["age", "member"], seed=0)
    assert [q.column for q in tool.questions] == ["member"] and tool.accuracy == 1.0
    assert tool.persona_ids == [2, 7]
    assert tool.predict(pd.DataFrame({"member": ["no", "yes"]})).tolist() == [2, 7]
    yes = tool.points[0][list(tool.questions[0].answers).index("yes")]
    assert yes[1] > yes[0]  # "yes" earns persona 7 (listed second) more points


def test_unassigned_rows_are_left_out_and_fixed_length_is_kept(tool_and_data):
    _, frame, y = tool_and_data
    labels = y.copy()
    labels[:50] = -1
    tool = build_typing_tool(frame, labels, SIGNAL, n_questions=2, seed=0)
    assert tool.n_questions == 2 and tool.n_rows == 550
    assert any("50 rows that fit no persona" in note for note in tool.notes)
    sampled = build_typing_tool(frame, y, SIGNAL, n_questions=1, max_rows=200, seed=0)
    assert sampled.n_rows == 200 and any("sample of 200 of the 600" in note for note in sampled.notes)
    with pytest.raises(PersonaLabError, match="4 questions asked for"):
        build_typing_tool(frame, y, ["plan", "visits"], n_questions=4)


def test_same_seed_same_tool_and_exports_hold_every_question(tool_and_data):
    tool, frame, y = tool_and_data
    again = build_typing_tool(frame, y, list(frame.columns), names={0: "Bargain hunter", 1: "| Regular *",
                                                                   2: "Power user"}, max_questions=4, seed=3)
    assert again.to_dict() == tool.to_dict()
    md = markdown_text(tool)
    text = "".join(page.extract_text() for page in PdfReader(__import__("io").BytesIO(pdf_bytes(tool))).pages)
    for question in tool.questions:
        assert f"**{question.column}**" in md
        assert question.column in text
        for answer in question.answers:
            assert answer.split()[0] in text
    assert r"\| Regular \*" in md  # a persona name is data, not table syntax
    assert "3 questions" in text and "cross-validated" in text


def test_apg_interaction_data_is_refused_with_a_reason(tmp_path, capsys):
    frame = pd.DataFrame({"group": [f"g{i}" for i in range(8)],
                          **{f"video{j}": np.arange(8) * (j % 3) + 5 + j for j in range(6)}})
    roles = {"group": "demographic", **{f"video{j}": "feature" for j in range(6)}}
    model = PersonaModel.from_run(run(Dataset(frame, roles, "interactions", name="apg"), "nmf", 2, seed=0))
    with pytest.raises(PersonaLabError, match="per-respondent data"):
        typing_tool_for_model(model, frame)
    save_model(model, tmp_path)
    frame.to_csv(tmp_path / "views.csv", index=False)
    args = ["typing-tool", str(tmp_path / "views.csv"), "--kind", "interactions", "--role", "group=demographic",
            "--model", str(tmp_path), "--out", str(tmp_path / "out")]
    assert main(args) == 2
    assert "needs per-respondent data" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_cli_end_to_end_with_a_saved_model(tmp_path, capsys):
    frame, _ = planted(300, seed=1, noise=2)
    roles = {c: "feature" for c in frame.columns}
    model = PersonaModel.from_run(run(Dataset(frame, roles, "entities", name="planted"), "kmeans", 3, seed=0))
    save_model(model, tmp_path)
    data = tmp_path / "respondents.csv"
    frame.to_csv(data, index=False)
    out = tmp_path / "tool"
    code = main(["typing-tool", str(data), "--model", str(tmp_path / "model.json"), "--out", str(out), "--seed", "2"])
    printed = capsys.readouterr().out
    assert code == 0
    document = json.loads((out / "typing_tool.json").read_text(encoding="utf-8"))
    assert document["statement"] in printed.splitlines()
    assert printed.splitlines()[0].endswith("% correct (cross-validated)")
    assert {p["name"] for p in document["personas"]} == {p.name for p in model.personas.personas}
    assert (out / "typing_tool.md").is_file() and (out / "typing_tool.pdf").read_bytes().startswith(b"%PDF")
    assert main(["typing-tool", str(data), "--model", str(tmp_path / "model.json"), "--out", str(out),
                 "--questions", "1"]) == 0
    assert capsys.readouterr().out.startswith("1 question, ")
    assert json.loads((out / "typing_tool.json").read_text(encoding="utf-8"))["n_questions"] == 1
    assert main(["typing-tool", str(data), "--model", str(tmp_path / "model.json"), "--out", str(out),
                 "--questions", "9"]) == 2
    assert "9 questions asked for" in capsys.readouterr().err

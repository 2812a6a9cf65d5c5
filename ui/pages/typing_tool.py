"""Typing tool: the few questions that tell the current personas apart, with their points table,
to download as a questionnaire (Markdown, PDF, JSON)."""

import json

import pandas as pd
import streamlit as st

from persona_lab.errors import PersonaLabError
from persona_lab.export.questionnaire import markdown_text, pdf_bytes
from ui import analyses, edited_sets, runs, state
from ui.dataset import require_dataset
from ui.state import method_label
from ui.views import md, show_error


def _unique(names: list[str]) -> list[str]:
    """Column headers: two personas may share a name."""
    return [n if names.count(n) == 1 else f"{n} ({i + 1})" for i, n in enumerate(names)]


st.title("Typing tool")
loaded = require_dataset()
method, k, seed = choice = state.sidebar_choice()
st.caption(
    "The few questions that best tell the personas apart, chosen one at a time (each the one that adds "
    "most to the cross-validated accuracy), and a points table to score a new respondent by hand. "
    f"Personas: {method_label(method)}" + (f", k = {k}" if k is not None else "") + f", seed {seed}."
)
run = analyses.require_run(loaded, choice)
key = runs.run_key(loaded, method, k, seed)
try:
    recommended = runs.typing_tool(key, None, seed, run)
    chosen = st.session_state["tt_questions"]
    tool = recommended if chosen in (0, recommended.n_questions) else runs.typing_tool(key, chosen, seed, run)
except PersonaLabError as exc:
    show_error(exc.one_line())
    st.stop()
tool = tool.renamed({p.id: p.name for p in edited_sets.of_run(key, run.personas).personas})  # an export too

lengths = [entry["n_questions"] for entry in recommended.curve]
if st.session_state["tt_questions"] not in (0, *lengths):
    st.session_state["tt_questions"] = 0
st.selectbox(
    "Number of questions", [0, *lengths],
    format_func=lambda n: f"recommended ({recommended.n_questions})" if n == 0 else str(n),
    help="The recommended number is the fewest within one point of the best accuracy.",
    **state.bind("tt_questions"),
)

cols = st.columns(3)
cols[0].metric("Questions", tool.n_questions)
cols[1].metric("Correct (cross-validated)", f"{100 * tool.accuracy:.0f}%",
               help=f"Mean over {tool.folds} stratified folds; ± {100 * tool.accuracy_sd:.0f} points (SD over folds).")
cols[2].metric("Respondents", f"{tool.n_rows:,}")
for note in tool.notes:
    st.info(md(note), icon=":material/info:")

st.subheader("Accuracy by number of questions")
curve = pd.DataFrame(recommended.curve)
curve["accuracy"] *= 100
curve["accuracy_sd"] *= 100
st.dataframe(
    curve, hide_index=True, width="stretch", column_order=["n_questions", "title", "accuracy", "accuracy_sd"],
    column_config={
        "n_questions": st.column_config.NumberColumn("questions"),
        "title": st.column_config.TextColumn("question added"),
        "accuracy": st.column_config.ProgressColumn("correct", format="%.0f%%", min_value=0, max_value=100),
        "accuracy_sd": st.column_config.NumberColumn("± (SD over folds)", format="%.1f"),
    },
)

st.subheader("Questions and points")
st.caption("Add each persona's points for the answers given, starting from its start points; the most points wins "
           "(a tie goes to the persona listed first).")
names = _unique(tool.persona_names)
st.dataframe(pd.DataFrame([tool.start_points], index=["start points"], columns=names), width="stretch")
for number, (question, table) in enumerate(zip(tool.questions, tool.points), start=1):
    st.markdown(f"**{number}. {md(question.text)}**")
    st.dataframe(pd.DataFrame(table, index=question.answers, columns=names), width="stretch")

st.subheader("Download")
cols = st.columns(3)
cols[0].download_button("Questionnaire (PDF)", pdf_bytes(tool), "typing_tool.pdf", "application/pdf")
cols[1].download_button("Questionnaire (Markdown)", markdown_text(tool), "typing_tool.md", "text/markdown")
cols[2].download_button("Rule (JSON)", json.dumps(tool.to_dict(), indent=2, ensure_ascii=False) + "\n",
                        "typing_tool.json", "application/json")

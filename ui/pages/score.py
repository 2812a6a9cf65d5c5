"""Score new data: assign the rows of an uploaded file to the current personas, flag the rows
that fit none, and download the assignments (and the model, to score later from the CLI)."""

import pandas as pd
import streamlit as st

from persona_lab.errors import PersonaLabError
from persona_lab.export.tables import csv_text
from persona_lab.model_file import PersonaModel, assignment_table
from ui import analyses, edited_sets, runs, state
from ui.dataset import UPLOAD_TYPES, digest, require_dataset
from ui.state import method_label
from ui.views import md, show_error


def _counts(model: PersonaModel, labels) -> pd.DataFrame:
    names = [(p.id, p.name) for p in model.personas.personas] + [(-1, "fits no persona (flagged)")]
    rows = [int((labels == i).sum()) for i, _ in names]
    return pd.DataFrame({"persona": [n for _, n in names], "rows": rows,
                         "share": [r / max(len(labels), 1) for r in rows]})


st.title("Score new data")
loaded = require_dataset()
method, k, seed = choice = state.sidebar_choice()
run = analyses.require_run(loaded, choice)
key = runs.run_key(loaded, method, k, seed)
named = edited_sets.of_run(key, run.personas)  # the assignments and model.json are exports too
model, text, arrays = (runs.persona_model(key, run) if named is run.personas
                       else runs.named_model(key, edited_sets.set_key(named), run, named))
what = "demographic groups" if run.prepared.kind == "interactions" else "rows"
st.caption(
    f"New {what} are prepared as the training {what} were and assigned to the current personas "
    f"({method_label(method)}, k = {run.personas.k}). One is flagged when it fits no persona well: "
    f"its distance (or misfit) is beyond the {model.flag_quantile:.0%} quantile of the training rows' misfits. "
    f"The file needs the columns: {md(', '.join(model.columns[:12]))}"
    + (f" and {len(model.columns) - 12} more." if len(model.columns) > 12 else ".")
)
cols = st.columns(6)
cols[0].download_button("model.json", text, file_name="model.json", mime="application/json", on_click="ignore",
                        icon=":material/data_object:", help="Keep model.npz beside it: persona-lab assign NEWDATA --model model.json")
cols[1].download_button("model.npz", arrays, file_name="model.npz", mime="application/octet-stream",
                        on_click="ignore", icon=":material/download:")

upload = st.file_uploader("New data to score", type=UPLOAD_TYPES, key="_w_score_upload")
if upload is None:
    st.stop()
raw = upload.getvalue()
try:
    frame = runs.new_rows(digest(raw), upload.name, raw)
    scored = model.score(frame)
except PersonaLabError as exc:
    show_error(exc.one_line())
    st.stop()

for note in scored.notes:
    st.warning(md(note), icon=":material/warning:")
st.subheader(f"{len(scored.labels):,} {what} scored")
st.dataframe(_counts(model, scored.labels), hide_index=True,
             column_config={"share": st.column_config.NumberColumn(format="percent")})
table = assignment_table(model, scored)
st.download_button("assignments.csv", csv_text(table), file_name="assignments.csv", mime="text/csv",
                   on_click="ignore", icon=":material/table_view:",
                   help="Row -> persona id, name, membership, flag and nearest persona.")
st.dataframe(table.head(200), hide_index=True)

"""Score new data: assign the rows of an uploaded file to the current personas, flag the rows
that fit none, and download the assignments (and the model, to score later from the CLI)."""

import io

import pandas as pd
import streamlit as st

import app_shared as shared
from persona_lab.data.load import read_table
from persona_lab.errors import PersonaLabError
from persona_lab.export.tables import csv_text
from persona_lab.model_file import PersonaModel, assignment_table, model_files


@st.cache_resource(max_entries=8, show_spinner=False)
def _model(key: tuple, _run) -> tuple[PersonaModel, str, bytes]:
    """The run's model and its two files. The key is the run's (dataset, method, k, seed): the
    run itself is not hashed."""
    model = PersonaModel.from_run(_run)
    return (model, *model_files(model))


@st.cache_data(max_entries=4, show_spinner=False)
def _read(digest: str, name: str, _raw: bytes) -> pd.DataFrame:
    return read_table(io.BytesIO(_raw), name=name)


def _counts(model: PersonaModel, labels) -> pd.DataFrame:
    names = [(p.id, p.name) for p in model.personas.personas] + [(-1, "fits no persona (flagged)")]
    rows = [int((labels == i).sum()) for i, _ in names]
    return pd.DataFrame({"persona": [n for _, n in names], "rows": rows,
                         "share": [r / max(len(labels), 1) for r in rows]})


st.title("Score new data")
loaded = shared.require_dataset()
method, k, seed = shared.sidebar_choice()
run = shared.run_current(loaded, f"Fitting {shared.method_label(method)}")
if run is None:
    st.stop()
key = shared.run_key(loaded, method, k, seed)
model, text, arrays = _model(key, run)
what = "demographic groups" if run.prepared.kind == "interactions" else "rows"
st.caption(
    f"New {what} are prepared as the training {what} were and assigned to the current personas "
    f"({shared.method_label(method)}, k = {run.personas.k}). One is flagged when it fits no persona well: "
    f"its distance (or misfit) is beyond the {model.flag_quantile:.0%} quantile of the training rows' misfits. "
    f"The file needs the columns: {shared.md(', '.join(model.columns[:12]))}"
    + (f" and {len(model.columns) - 12} more." if len(model.columns) > 12 else ".")
)
cols = st.columns(6)
cols[0].download_button("model.json", text, file_name="model.json", mime="application/json", on_click="ignore",
                        icon=":material/data_object:", help="Keep model.npz beside it: persona-lab assign NEWDATA --model model.json")
cols[1].download_button("model.npz", arrays, file_name="model.npz", mime="application/octet-stream",
                        on_click="ignore", icon=":material/download:")

upload = st.file_uploader("New data to score", type=shared.UPLOAD_TYPES, key="_w_score_upload")
if upload is None:
    st.stop()
raw = upload.getvalue()
try:
    frame = _read(shared.digest(raw), upload.name, raw)
    scored = model.score(frame)
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()

for note in scored.notes:
    st.warning(shared.md(note), icon=":material/warning:")
st.subheader(f"{len(scored.labels):,} {what} scored")
st.dataframe(_counts(model, scored.labels), hide_index=True,
             column_config={"share": st.column_config.NumberColumn(format="percent")})
table = assignment_table(model, scored)
st.download_button("assignments.csv", csv_text(table), file_name="assignments.csv", mime="text/csv",
                   on_click="ignore", icon=":material/table_view:",
                   help="Row -> persona id, name, membership, flag and nearest persona.")
st.dataframe(table.head(200), hide_index=True)

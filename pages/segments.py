"""Segments: run the chosen method and see how the audience splits into personas."""

import streamlit as st

import app_shared as shared
from persona_lab import charts

st.title("Segments")
loaded = shared.require_dataset()
method, k, seed = shared.sidebar_choice()
st.caption(
    f"{shared.md(loaded.dataset.name)} · {shared.method_label(method)}"
    + (f" · k = {k}" if k is not None else " · k found by the method")
    + f" · seed {seed} (change them in the sidebar)"
)

run = shared.run_current(loaded, f"Fitting {shared.method_label(method)}")
if run is None:
    st.stop()

persona_set = run.personas
for note in run.method.notes_:
    st.info(shared.md(note), icon=":material/info:")

seconds = shared.run_seconds(loaded, method, k, seed)
cols = st.columns(4)
cols[0].metric("Personas", persona_set.k)
cols[1].metric("Rows segmented", f"{run.prepared.n_rows:,}")
unassigned = persona_set.unassigned
cols[2].metric("Unassigned", shared.percent(unassigned["share"]) if unassigned else "none")
if seconds is not None:
    cols[3].metric("Fitted in", f"{seconds:.2f} s")

left, right = st.columns([2, 3], gap="large")
with left:
    st.altair_chart(charts.segment_sizes(persona_set), width="stretch")
with right:
    st.dataframe(
        shared.personas_table(persona_set),
        hide_index=True,
        width="stretch",
        column_config={
            "share": st.column_config.ProgressColumn("share", format="%.1f%%", min_value=0, max_value=100),
            "size": st.column_config.NumberColumn(
                "interactions" if persona_set.kind == "interactions" else "size", format="localized"
            ),
        },
    )
    if unassigned:
        st.caption(
            f"Unassigned (no persona): {shared.percent(unassigned['share'])}, "
            f"{shared.size_text(persona_set, unassigned['size'])}."
        )

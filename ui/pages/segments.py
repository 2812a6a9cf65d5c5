"""Segments: run the chosen method and see how the audience splits into personas."""

import streamlit as st

from persona_lab import charts
from persona_lab.methods import METHODS
from ui import analyses, state, views
from ui.dataset import digest, require_dataset
from ui.state import method_label
from ui.views import md, show_error

st.title("Segments")
loaded = require_dataset()
method, k, seed = choice = state.sidebar_choice()
st.caption(
    f"{md(loaded.dataset.name)} · {method_label(method)}"
    + (f" · k = {k}" if k is not None else " · k found by the method")
    + f" · seed {seed} (change them in the sidebar)"
)

run = analyses.require_run(loaded, choice)

persona_set = views.flagged(run.personas)
for note in run.method.notes_:
    st.info(md(note), icon=":material/info:")

seconds = analyses.run_seconds(loaded, choice)
cols = st.columns(4)
cols[0].metric("Personas", persona_set.k)
cols[1].metric("Rows segmented", f"{run.prepared.n_rows:,}")
unassigned = persona_set.unassigned
cols[2].metric("Unassigned", views.percent(unassigned["share"]) if unassigned else "none")
if seconds is not None:
    cols[3].metric("Fitted in", f"{seconds:.2f} s")

views.small_segments_note(persona_set)
left, right = st.columns([2, 3], gap="large")
with left:
    st.altair_chart(charts.segment_sizes(persona_set), width="stretch")
with right:
    st.dataframe(
        views.personas_table(persona_set, views.min_size()),
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
            f"Unassigned (no persona): {views.percent(unassigned['share'])}, "
            f"{views.size_text(persona_set, unassigned['size'])}."
        )

# -- several methods at the same k ---------------------------------------------------------------

st.divider()
st.header("Compare methods")
st.caption(
    "Run several methods on the same data at the same k (the sidebar's k and seed). Each runs under "
    "its own default preparation; quality is measured for all in one common space (z-scored "
    "numbers, one-hot categories, each APG group's content mix), so the figures are comparable."
)
labels = {name: method_label(name) for name in METHODS}
st.multiselect(
    "Methods", list(labels), format_func=labels.get, **state.bind("seg_compare_methods")
)
methods = tuple(st.session_state["seg_compare_methods"])
with st.expander("Method parameters"):
    st.caption("Change a value to override the method's default; leave it to keep the default.")
    table = views.parameter_table(methods, st.session_state["seg_compare_params"])
    # Keyed on its content: after an edit the table is rebuilt with the edit in it, so the
    # editor never re-applies stale edits to a changed table.
    edited = st.data_editor(
        table,
        disabled=["method", "parameter", "default"],
        hide_index=True,
        width="stretch",
        key=f"_w_seg_params_{digest(table.to_csv().encode())}",
    )
    params, problems = views.parameters_from(edited)
    for problem in problems:
        show_error(problem)
    st.session_state["seg_compare_params"] = params

if len(methods) < 2:
    st.info("Choose at least two methods to compare.", icon=":material/info:")
found = analyses.obtain([analyses.comparison(loaded, methods, k, seed, params)], title="Comparing methods",
                        button="Compare", ask=True, disabled=len(methods) < 2 or bool(problems),
                        help="On a large matrix the fits run on the server as a job, kept in the workspace: you can "
                             "open other pages or reload meanwhile.")
if found is None:
    st.stop()
[comparison] = found

st.dataframe(views.comparison_table(comparison), hide_index=True, width="stretch")
for result in comparison.results:
    if result.error:
        show_error(f"{result.label}: {result.error}")
fitted = [r.method for r in comparison.fitted]
if len(fitted) < 2:
    st.stop()

pairs = comparison.agreement_table()
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader("Agreement")
    st.caption("Adjusted Rand index between every two solutions: 1 = the same partition, 0 = chance.")
    st.altair_chart(charts.agreement_heatmap(pairs, fitted))
with right:
    st.subheader("Pairs")
    st.dataframe(pairs.round(3), hide_index=True, width="stretch")

st.subheader("Two solutions side by side")
pair = st.session_state["seg_compare_pair"]
if not pair or any(m not in fitted for m in pair):
    st.session_state["seg_compare_pair"] = (fitted[0], fitted[1])
choices = st.columns(2)
first = choices[0].selectbox("Left", fitted, format_func=labels.get, index=fitted.index(st.session_state["seg_compare_pair"][0]))
second = choices[1].selectbox("Right", fitted, format_func=labels.get, index=fitted.index(st.session_state["seg_compare_pair"][1]))
st.session_state["seg_compare_pair"] = (first, second)
views.side_by_side(comparison.result(first).run, comparison.result(second).run, labels[first], labels[second])

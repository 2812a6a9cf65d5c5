"""Number of personas: each criterion's curve over k and the k it picks."""

import pandas as pd
import streamlit as st

import app_shared as shared
from persona_lab import charts
from persona_lab.errors import PersonaLabError

st.title("Number of personas")
loaded = shared.require_dataset()
method, _, seed = shared.sidebar_choice()
label = shared.method_label(method)

if shared.k_is_output(method):
    st.info(
        f"{label} finds the number of personas itself: k is its output, not a choice, so there is "
        "no curve over k. Its result is on the Segments page; choose a method with k as input "
        "(e.g. NMF or k-means) in the sidebar to compare values of k.",
        icon=":material/info:",
    )
    st.stop()

st.slider(
    "Range of k", min_value=shared.K_MIN, max_value=shared.K_MAX, step=1, **shared.bind("nk_range")
)
low, high = st.session_state["nk_range"]
if low == high:
    st.info("Choose a range of at least two values of k.")
    st.stop()
k_values = tuple(range(int(low), int(high) + 1))
st.number_input(
    "Smallest segment share worth a persona (%)", min_value=0.0, max_value=50.0, step=0.5,
    help="A k whose solution has a smaller segment is marked and left out of the vote (a business limit).",
    **shared.bind("nk_min_share"),
)
min_share = float(st.session_state["nk_min_share"]) / 100 or None
st.caption(f"{label}, seed {seed}: one fit per k on {shared.md(loaded.dataset.name)}, reused by every criterion.")

report, done = shared.progress_reporter(f"Fitting {label} for k = {low}..{high}")
try:
    curves = shared.criterion_curves(loaded, method, k_values, seed, min_share=min_share, progress=report)
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()
finally:
    done()

if curves.table.empty:
    st.info(f"No criterion of k applies to {label}.")
    st.stop()

labels = {c: shared.criterion_label(c) for c in curves.table["criterion"].unique()}
counted = curves.votes[curves.votes["counted"]] if not curves.votes.empty else curves.votes
if curves.vote is not None:
    st.markdown(
        f"**The vote picks k = {curves.vote}**: {curves.tally.get(curves.vote, 0)} of "
        f"{len(counted)} criteria with a pick agree."
    )
else:
    st.markdown("**No criterion picks a k** in this range.")
for k, why in sorted(curves.marked.items()):
    st.warning(f"k = {k}: {shared.md(why)}", icon=":material/warning:")

st.altair_chart(charts.criterion_curve(curves.table, curves.picks, labels))
st.caption(
    "A red point marks each criterion's pick; a monotone curve (inertia, reconstruction error) picks "
    "through its elbow (Kneedle). Resampling stability of the pick comes below."
)
votes = curves.votes.assign(criterion=curves.votes["criterion"].map(shared.criterion_label))
st.dataframe(votes, hide_index=True, width="stretch")

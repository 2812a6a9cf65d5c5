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
st.caption(f"{label}, seed {seed}: one fit per k on {shared.md(loaded.dataset.name)}.")

report, done = shared.progress_reporter(f"Fitting {label} for k = {low}..{high}")
try:
    curves = shared.criterion_curves(loaded, method, k_values, seed, progress=report)
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()
finally:
    done()

labels = shared.criterion_labels(curves.table["criterion"].unique())
if curves.table.empty:
    st.info(f"No criterion of k applies to {label}.")
    st.stop()

picks = pd.DataFrame(
    [(labels.get(name, name), k) for name, k in curves.picks.items()], columns=["criterion", "picks k"]
)
if not picks.empty:
    votes = picks["picks k"].value_counts()
    top = votes.index[0]
    agreed = int(votes.iloc[0])
    each = " ".join(f"{name} picks k = {k}." for name, k in zip(picks["criterion"], picks["picks k"]))
    if agreed > 1:
        st.markdown(f"**{agreed} of {len(picks)} criteria pick k = {top}.** {each}")
    elif len(picks) > 1:
        st.markdown(f"**The criteria disagree.** {each}")
    else:
        st.markdown(each)
st.altair_chart(charts.criterion_curve(curves.table, curves.picks, labels))
st.caption(
    "A red point marks each criterion's pick. Monotone curves (reconstruction error, inertia) "
    "pick nothing on their own: read them for an elbow. Resampling stability of the pick comes later."
)
if not picks.empty:
    st.dataframe(picks, hide_index=True)

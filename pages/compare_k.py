"""Compare k: two numbers of personas side by side, matched persona to persona."""

import streamlit as st

import app_shared as shared
from persona_lab import charts
from persona_lab.errors import PersonaLabError

st.title("Compare k")
loaded = shared.require_dataset()
method, _, seed = shared.sidebar_choice()
label = shared.method_label(method)

if shared.k_is_output(method):
    st.info(
        f"{label} finds the number of personas itself, so there are no two values of k to compare. "
        "Choose a method with k as input (e.g. NMF or k-means) in the sidebar.",
        icon=":material/info:",
    )
    st.stop()

inputs = st.columns(2)
with inputs[0]:
    st.number_input("k on the left", min_value=shared.K_MIN, max_value=shared.K_MAX, step=1, **shared.bind("cmp_k_a"))
with inputs[1]:
    st.number_input("k on the right", min_value=shared.K_MIN, max_value=shared.K_MAX, step=1, **shared.bind("cmp_k_b"))
k_a, k_b = int(st.session_state["cmp_k_a"]), int(st.session_state["cmp_k_b"])

report, done = shared.progress_reporter(f"Fitting {label}")
try:
    run_a = shared.run_personas(loaded, method, k_a, seed, progress=report)
    run_b = shared.run_personas(loaded, method, k_b, seed, progress=report)
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()
finally:
    done()

alignment = shared.align_runs(run_a, run_b)
st.caption(
    f"{label}, seed {seed}. Each persona on the right sits next to the persona on the left it "
    "shares the most rows with (one-to-one matching), and takes its colour; extra personas of the "
    "larger k come last."
)


def card(persona, persona_set) -> None:
    with st.container(border=True):
        st.markdown(f"**{shared.md(persona.name)}**")
        st.caption(
            f"{shared.percent(persona.share)} · {shared.size_text(persona_set, persona.size)}"
            + ("  \n" + shared.md(", ".join(persona.demographics.values())) if persona.demographics else "")
        )
        if persona.traits or persona.interests:
            st.altair_chart(charts.persona_profile(persona, n=3), width="stretch")


heads = st.columns(2)
heads[0].subheader(f"k = {k_a}")
heads[1].subheader(f"k = {k_b}")
for persona_a, persona_b in alignment.rows:
    left, right = st.columns(2)
    with left:
        if persona_a is not None:
            card(persona_a, run_a.personas)
    with right:
        if persona_b is not None:
            card(persona_b, run_b.personas)

st.subheader("Who goes where")
unit = "Demographic groups" if run_a.personas.kind == "interactions" else "Rows"
st.caption(f"{unit} shared by each persona at k = {k_a} (rows of the table) and at k = {k_b} (columns).")
heatmap = charts.contingency_heatmap(alignment.table, f"k = {k_a}", f"k = {k_b}")
st.altair_chart(heatmap, width="stretch")
st.dataframe(alignment.table.rename_axis(index=f"k = {k_a}", columns=f"k = {k_b}"), width="stretch")

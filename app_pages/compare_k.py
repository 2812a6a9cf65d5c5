"""Compare k: two numbers of personas side by side, matched persona to persona."""

import streamlit as st

import app_shared as shared
import app_views as views
from persona_lab.errors import PersonaLabError

st.title("Compare k")
loaded = shared.require_dataset()
method, _, seed = shared.sidebar_choice()
label = shared.method_label(method)

shared.require_k_input(method, "so there are no two values of k to compare")

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

st.caption(
    f"{label}, seed {seed}. Each persona on the right sits next to the persona on the left it "
    "shares the most rows with (one-to-one matching), and takes its colour; extra personas of the "
    "larger k come last."
)
views.side_by_side(run_a, run_b, f"k = {k_a}", f"k = {k_b}")

"""Persona Lab: the router and the sidebar, nothing else.

Everything else of the app lives in ui/: pages in ui/pages/ (not pages/: Streamlit would also
serve a top-level pages/ folder as legacy auto-discovered pages, so a deep link would run a page
without this router), session state in ui/state.py, every cached call in ui/runs.py, the dataset
in use in ui/dataset.py, how results are shown in ui/views.py, and the workspace on disk that
keeps all of it across reloads and restarts in ui/workspace.py.
"""

import streamlit as st

from persona_lab.methods import METHODS
from ui import dataset, runs, state, workspace
from ui.state import K_MIN, k_is_output, method_label
from ui.views import md

st.set_page_config(page_title="Persona Lab", page_icon=":material/groups:", layout="wide")
state.init_state()
workspace.open_workspace()  # this tab's workspace (?ws= in the URL): its choices, saved ones taken over
runs.start_warm_up()  # UMAP's import and numba compile, in a worker process, once per server

pages = [
    st.Page("ui/pages/data.py", title="Data", icon=":material/table:", default=True),
    st.Page("ui/pages/segments.py", title="Segments", icon=":material/donut_large:"),
    st.Page("ui/pages/number_of_personas.py", title="Number of personas", icon=":material/query_stats:"),
    st.Page("ui/pages/compare_k.py", title="Compare k", icon=":material/compare_arrows:"),
    st.Page("ui/pages/map.py", title="Map", icon=":material/scatter_plot:"),
    st.Page("ui/pages/personas.py", title="Personas & export", icon=":material/badge:"),
    st.Page("ui/pages/score.py", title="Score new data", icon=":material/person_search:"),
    st.Page("ui/pages/typing_tool.py", title="Typing tool", icon=":material/quiz:"),
]
page = st.navigation(pages)

with st.sidebar:
    workspace.notes()
    loaded = dataset.current_dataset()
    st.markdown("**Dataset**")
    if loaded.dataset is not None:
        data = loaded.dataset
        st.caption(
            f"{md(data.name)}  \n{len(data.frame):,} rows x {data.frame.shape[1]} columns  \n"
            f"{dataset.KIND_LABELS[data.kind]}"
        )
    elif loaded.error:
        st.caption(f"{md(loaded.source.name) if loaded.source else 'No data'}: cannot be read")
    else:
        st.caption("No data chosen yet")

    st.markdown("**Segmentation**")
    st.selectbox("Method", list(METHODS), format_func=method_label, **state.bind("seg_method"))
    finds_k = k_is_output(st.session_state["seg_method"])
    st.number_input(
        "Number of personas k",
        min_value=K_MIN,
        max_value=(k_high := state.k_max(loaded.dataset)),
        step=1,
        disabled=finds_k,
        help=(
            f"{method_label(st.session_state['seg_method'])} finds the number of segments itself."
            if finds_k
            else f"How many personas the method forms: 2 to {k_high} on this data."
        ),
        **state.bind_k("seg_k", k_high),
    )
    st.number_input(
        "Seed", min_value=0, max_value=2**31 - 1, step=1, help="Same seed, same result.", **state.bind_value("seg_seed")
    )
    workspace.control()

try:
    page.run()
finally:
    workspace.sync()  # what the page changed (also when it stopped early or asked for a rerun)

"""Persona Lab: the router and frame.

Pages live in app_pages/, not pages/: Streamlit would also serve a pages/ folder as legacy
auto-discovered pages, so a deep link would run a page without this router. Shared state,
loading and cached runs are in app_shared.py; cards and tables as people read them in app_views.py.
"""

import streamlit as st

import app_embed
import app_shared as shared

st.set_page_config(page_title="Persona Lab", page_icon=":material/groups:", layout="wide")
shared.init_state()
app_embed.start_warm_up()  # UMAP's import and numba compile, in a worker process, once per server

pages = [
    st.Page("app_pages/data.py", title="Data", icon=":material/table:", default=True),
    st.Page("app_pages/segments.py", title="Segments", icon=":material/donut_large:"),
    st.Page("app_pages/number_of_personas.py", title="Number of personas", icon=":material/query_stats:"),
    st.Page("app_pages/compare_k.py", title="Compare k", icon=":material/compare_arrows:"),
    st.Page("app_pages/map.py", title="Map", icon=":material/scatter_plot:"),
    st.Page("app_pages/personas.py", title="Personas & export", icon=":material/badge:"),
    st.Page("app_pages/score.py", title="Score new data", icon=":material/person_search:"),
    st.Page("app_pages/typing_tool.py", title="Typing tool", icon=":material/quiz:"),
]
page = st.navigation(pages)

with st.sidebar:
    loaded = shared.current_dataset()
    st.markdown("**Dataset**")
    if loaded.dataset is not None:
        data = loaded.dataset
        st.caption(
            f"{shared.md(data.name)}  \n{len(data.frame):,} rows x {data.frame.shape[1]} columns  \n"
            f"{shared.KIND_LABELS[data.kind]}"
        )
    elif loaded.error:
        st.caption(f"{shared.md(loaded.source.name) if loaded.source else 'No data'}: cannot be read")
    else:
        st.caption("No data chosen yet")

    st.markdown("**Segmentation**")
    st.selectbox("Method", list(shared.METHODS), format_func=shared.method_label, **shared.bind("seg_method"))
    finds_k = shared.k_is_output(st.session_state["seg_method"])
    st.number_input(
        "Number of personas k",
        min_value=shared.K_MIN,
        max_value=shared.K_MAX,
        step=1,
        disabled=finds_k,
        help=(
            f"{shared.method_label(st.session_state['seg_method'])} finds the number of segments itself."
            if finds_k
            else "How many personas the method forms."
        ),
        **shared.bind("seg_k"),
    )
    st.number_input(
        "Seed", min_value=0, max_value=2**31 - 1, step=1, help="Same seed, same result.", **shared.bind("seg_seed")
    )

page.run()

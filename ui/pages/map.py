"""Map: the segments on a 2-D map of the prepared data (PCA at once, UMAP when ready), and the
same map coloured by several k."""

import streamlit as st

from persona_lab import charts, embed
from persona_lab.errors import PersonaLabError
from persona_lab.lineage import chain_align
from ui import analyses, runs, state, views
from ui.dataset import require_dataset
from ui.state import K_MIN, k_is_output, method_label
from ui.views import md, show_error

POLL_S = 2.0

st.title("Map")
loaded = require_dataset()
method, k, seed = choice = state.sidebar_choice()

run = analyses.require_run(loaded, choice)

try:
    mapped, what = runs.map_matrix(loaded)
except PersonaLabError as exc:
    show_error(exc.one_line())
    st.stop()
key = runs.map_key(loaded, seed)
start = runs.background_enabled() or st.session_state["map_umap_requested"]
umap = runs.umap_map(key, mapped, start=start)
embedding = umap.embedding or runs.pca_map(key, mapped)

if umap.running:
    @st.fragment(run_every=POLL_S)
    def wait_for_umap() -> None:
        """Polls the worker; reruns the page once the UMAP map is there."""
        status = runs.umap_map(key, mapped, start=False)
        if not status.running:
            st.rerun()
        st.info(f"UMAP is being computed; PCA shown meanwhile ({status.elapsed:.0f} s so far).",
                icon=":material/hourglass_top:")

    wait_for_umap()
elif umap.error:
    st.warning(md(umap.error), icon=":material/warning:")
elif umap.embedding is None:
    st.info("This is the PCA map. UMAP, which keeps neighbours together better, takes a while to "
            "compute the first time.", icon=":material/info:")
    st.button("Compute the UMAP map", on_click=lambda: st.session_state.update(map_umap_requested=True))

run_key = runs.run_key(loaded, method, k, seed)
frame, tooltips = views.drawn_frame(run_key, run, embedding, seed)
density = embed.density(embedding.coords, frame.index.to_numpy())
fitted = (f" (fitted on a seeded sample of {embedding.fitted_rows:,} rows, the others placed on it)"
          if embedding.fitted_rows < mapped.n_rows else "")
st.caption(
    f"{embedding.label} of {what} ({mapped.n_rows:,} rows x {mapped.X.shape[1]:,} features){fitted}, "
    f"coloured by persona ({method_label(method)}, k = {run.personas.k}). "
    + ("Each point is a demographic group. " if run.personas.kind == "interactions" else "")
    + (f"A seeded sample of {len(frame):,} rows is drawn; grey cells hold the other rows. " if len(density) else "")
    + "Click a persona in the legend to highlight it; hover a point for its row."
)
labels = run.labels[frame.index.to_numpy()]
shown = views.flagged(run.personas)
views.small_segments_note(shown)
attributes = views.skeleton_attributes(run.personas)
if attributes:
    options = [views.BY_PERSONA, *attributes]
    label = run.personas.dictionary.label
    st.selectbox("Colour by", options,
                 format_func=lambda a: a if a == views.BY_PERSONA else f"the persona's {label(a)}",
                 help="With many personas, colour by what their demographic skeletons share.",
                 **state.bind_choice("map_colour_by", options))
colour_by = views.skeleton_values(run.personas, st.session_state["map_colour_by"])
st.altair_chart(charts.segment_map(frame.assign(persona_id=labels), shown, tooltip=tooltips, density=density,
                                   colour_by=colour_by), width="stretch")

# -- the same map, coloured by several k ------------------------------------------------------------

st.subheader("The same map at other k")
if k_is_output(method):
    st.info(f"{method_label(method)} finds the number of personas itself: there are no other k to colour by.")
    st.stop()
k_high = state.k_max(loaded.dataset)
around = sorted({max(K_MIN, k - 1), k, min(k_high, k + 1)})
if st.session_state["map_ks"] is None:
    st.session_state["map_ks"] = around
st.multiselect("Numbers of personas", list(range(K_MIN, k_high + 1)), max_selections=6,
               **state.bind_k("map_ks", k_high))
ks = sorted(int(v) for v in st.session_state["map_ks"])
if not ks:
    st.info("Choose one or more numbers of personas.")
    st.stop()
found = analyses.persona_runs(loaded, [(method, v) for v in ks], seed)
if found is None:
    st.stop()
at_k = dict(zip(ks, found))
# Colours follow matched personas outward from the sidebar's k, so they match the map above.
order = sorted(set(ks) | {k})
aligned = dict(zip(order, chain_align([(at_k.get(v) or run).labels for v in order], anchor=order.index(k))))
panels = []
for v in ks:
    colour_ids = {int(a): int(b) for a, b in zip(at_k[v].labels, aligned[v])}
    panels.append((f"k = {v}", at_k[v].labels[frame.index.to_numpy()], views.flagged(at_k[v].personas), colour_ids))
st.caption("One fixed embedding; only the colouring changes. A persona keeps its colour from one k to the next "
           "when it is matched one-to-one to a persona there (most rows shared).")
st.altair_chart(charts.segment_map_panels(frame, panels, tooltip=tooltips), width="content")

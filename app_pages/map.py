"""Map: the segments on a 2-D map of the prepared data (PCA at once, UMAP when ready), and the
same map coloured by several k."""

import streamlit as st

import app_embed
import app_shared as shared
from persona_lab import charts, embed
from persona_lab.errors import PersonaLabError
from persona_lab.lineage import chain_align

POLL_S = 2.0

st.title("Map")
loaded = shared.require_dataset()
method, k, seed = shared.sidebar_choice()
st.session_state.setdefault("map_ks", None)  # None: the sidebar's k and its neighbours
st.session_state.setdefault("map_umap_requested", False)

run = shared.run_current(loaded, f"Fitting {shared.method_label(method)}")
if run is None:
    st.stop()

try:
    mapped, what = app_embed.map_matrix(loaded)
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()
key = app_embed.map_key(loaded, seed)
start = app_embed.background_enabled() or st.session_state["map_umap_requested"]
umap = app_embed.umap_map(key, mapped, start=start)
embedding = umap.embedding or app_embed.pca_map(key, mapped)

if umap.running:
    @st.fragment(run_every=POLL_S)
    def wait_for_umap() -> None:
        """Polls the worker; reruns the page once the UMAP map is there."""
        status = app_embed.umap_map(key, mapped, start=False)
        if not status.running:
            st.rerun()
        st.info(f"UMAP is being computed; PCA shown meanwhile ({status.elapsed:.0f} s so far).",
                icon=":material/hourglass_top:")

    wait_for_umap()
elif umap.error:
    st.warning(shared.md(umap.error), icon=":material/warning:")
elif umap.embedding is None:
    st.info("This is the PCA map. UMAP, which keeps neighbours together better, takes a while to "
            "compute the first time.", icon=":material/info:")
    st.button("Compute the UMAP map", on_click=lambda: st.session_state.update(map_umap_requested=True))

run_key = shared.run_key(loaded, method, k, seed)
frame, tooltips = app_embed.drawn_frame(run_key, run, embedding, seed)
density = embed.density(embedding.coords, frame.index.to_numpy())
fitted = (f" (fitted on a seeded sample of {embedding.fitted_rows:,} rows, the others placed on it)"
          if embedding.fitted_rows < mapped.n_rows else "")
st.caption(
    f"{embedding.label} of {what} ({mapped.n_rows:,} rows x {mapped.X.shape[1]:,} features){fitted}, "
    f"coloured by persona ({shared.method_label(method)}, k = {run.personas.k}). "
    + ("Each point is a demographic group. " if run.personas.kind == "interactions" else "")
    + (f"A seeded sample of {len(frame):,} rows is drawn; grey cells hold the other rows. " if len(density) else "")
    + "Click a persona in the legend to highlight it; hover a point for its row."
)
labels = run.labels[frame.index.to_numpy()]
st.altair_chart(charts.segment_map(frame.assign(persona_id=labels), run.personas, tooltip=tooltips, density=density),
                width="stretch")

# -- the same map, coloured by several k ------------------------------------------------------------

st.subheader("The same map at other k")
if shared.k_is_output(method):
    st.info(f"{shared.method_label(method)} finds the number of personas itself: there are no other k to colour by.")
    st.stop()
around = sorted({max(shared.K_MIN, k - 1), k, min(shared.K_MAX, k + 1)})
if st.session_state["map_ks"] is None:
    st.session_state["map_ks"] = around
st.multiselect("Numbers of personas", list(range(shared.K_MIN, shared.K_MAX + 1)), max_selections=6,
               **shared.bind("map_ks"))
ks = sorted(int(v) for v in st.session_state["map_ks"])
if not ks:
    st.info("Choose one or more numbers of personas.")
    st.stop()
report, done = shared.progress_reporter(f"Fitting {shared.method_label(method)}")
try:
    runs = {v: shared.run_personas(loaded, method, v, seed, progress=report) for v in ks}
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()
finally:
    done()
# Colours follow matched personas outward from the sidebar's k, so they match the map above.
order = sorted(set(ks) | {k})
aligned = dict(zip(order, chain_align([(runs.get(v) or run).labels for v in order], anchor=order.index(k))))
panels = []
for v in ks:
    colour_ids = {int(a): int(b) for a, b in zip(runs[v].labels, aligned[v])}
    panels.append((f"k = {v}", runs[v].labels[frame.index.to_numpy()], runs[v].personas, colour_ids))
st.caption("One fixed embedding; only the colouring changes. A persona keeps its colour from one k to the next "
           "when it is matched one-to-one to a persona there (most rows shared).")
st.altair_chart(charts.segment_map_panels(frame, panels, tooltip=tooltips), width="content")

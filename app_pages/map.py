"""Map: the segments on a 2-D map of the prepared data."""

import streamlit as st

import app_shared as shared
from persona_lab import charts

st.title("Map")
loaded = shared.require_dataset()
method, k, seed = shared.sidebar_choice()

run = shared.run_current(loaded, f"Fitting {shared.method_label(method)}")
if run is None:
    st.stop()

key = shared.run_key(loaded, method, k, seed)
mapped, what = shared.map_matrix(loaded)
coords = shared.map_coordinates(key, mapped, run.labels)
st.caption(
    f"PCA of {what} ({mapped.n_rows:,} rows x {mapped.X.shape[1]:,} features), "
    f"coloured by persona ({shared.method_label(method)}, k = {run.personas.k}). "
    + ("Each point is a demographic group. " if run.personas.kind == "interactions" else "")
    + (f"A seeded sample of {len(coords):,} rows is drawn. " if len(coords) < run.prepared.n_rows else "")
    + "Click a persona in the legend to highlight it; hover a point for its row."
)
st.altair_chart(charts.segment_map(coords, run.personas, tooltip=["row:N"]), width="stretch")

"""Compare k: 2 to 4 solutions (k values and methods) side by side, matched persona to persona;
the lineage of personas across consecutive k; who goes where between any two."""

from dataclasses import replace

import numpy as np
import streamlit as st

import app_shared as shared
import app_views as views
from persona_lab import charts
from persona_lab.errors import PersonaLabError
from persona_lab.lineage import MAX_LEVELS, chain_align, lineage

st.title("Compare k")
loaded = shared.require_dataset()
sidebar_method, sidebar_k, seed = shared.sidebar_choice()
methods = [m for m in shared.METHODS if not shared.k_is_output(m)]
SLOTS = "abcd"  # cmp_k_a, cmp_k_b (app_shared's defaults), cmp_k_c, cmp_k_d
st.session_state.setdefault("cmp_count", 2)
st.session_state.setdefault("cmp_k_c", 8)
st.session_state.setdefault("cmp_k_d", 10)
for slot in SLOTS:
    st.session_state.setdefault(f"cmp_method_{slot}", sidebar_method if sidebar_method in methods else methods[0])

st.number_input("Solutions side by side", min_value=2, max_value=4, step=1, **shared.bind("cmp_count"))
count = int(st.session_state["cmp_count"])
for slot, column in zip(SLOTS, st.columns(count)):
    with column:
        st.selectbox("Method", methods, format_func=shared.method_label, **shared.bind(f"cmp_method_{slot}"))
        st.number_input("k", min_value=shared.K_MIN, max_value=shared.K_MAX, step=1, **shared.bind(f"cmp_k_{slot}"))
chosen = [(st.session_state[f"cmp_method_{s}"], int(st.session_state[f"cmp_k_{s}"])) for s in SLOTS[:count]]
one_method = len({m for m, _ in chosen}) == 1
names = [f"k = {k}" if one_method else f"{shared.method_label(m)}, k = {k}" for m, k in chosen]

report, done = shared.progress_reporter("Fitting")
try:
    runs = [shared.run_personas(loaded, m, k, seed, progress=report) for m, k in chosen]
except PersonaLabError as exc:
    shared.show_error(exc.one_line())
    st.stop()
finally:
    done()

# -- persona cards, one column per solution, rows aligned by matched personas -----------------------

st.caption(
    f"Seed {seed}. Personas are matched one-to-one between neighbouring columns (most rows shared): a "
    "matched persona sits in the same row and keeps its colour, the sidebar's solution keeping its own. "
    "Personas without a match come last."
)
# The sidebar's solution, when it is a column, keeps its ids: its colours are those of every other page.
anchor = chosen.index((sidebar_method, sidebar_k)) if (sidebar_method, sidebar_k) in chosen else 0
aligned = chain_align([run.labels for run in runs], anchor=anchor)
identities = [{int(a): int(b) for a, b in zip(run.labels, ids)} for run, ids in zip(runs, aligned)]
spare = max(i for ids in identities for i in ids.values()) + 1
for run, ids in zip(runs, identities):
    for persona in run.personas.personas:
        if persona.id not in ids:  # a soft persona (NMF) that no row has as its first: a row of its own
            ids[persona.id], spare = spare, spare + 1
first_ids = [p.id for p in runs[anchor].personas.personas]  # the anchor's order, then the others
order = first_ids + sorted({i for ids in identities for i in ids.values() if i >= 0} - set(first_ids))
heads = st.columns(count)
for head, name in zip(heads, names):
    head.subheader(name)
by_identity = [{ids[p.id]: replace(p, id=ids[p.id]) for p in run.personas.personas}
               for run, ids in zip(runs, identities)]
for identity in order:
    for column, run, personas in zip(st.columns(count), runs, by_identity):
        if identity in personas:
            with column:
                views.persona_brief(personas[identity], run.personas)

# -- lineage across consecutive k ----------------------------------------------------------------

lineage_method = chosen[0][0]
ks = [k for m, k in chosen if m == lineage_method]
low, high = min(ks), max(ks)
st.subheader("Lineage across k")
if high == low:
    st.info("Choose two different k for the first column's method to see which persona splits into which.")
else:
    high = min(high, low + MAX_LEVELS - 1)
    report, done = shared.progress_reporter(f"Fitting {shared.method_label(lineage_method)} for k = {low}..{high}")
    try:
        level_runs = {k: shared.run_personas(loaded, lineage_method, k, seed, progress=report) for k in range(low, high + 1)}
    except PersonaLabError as exc:
        shared.show_error(exc.one_line())
        st.stop()
    finally:
        done()
    # Stability: the Number of personas page's assessment of this dataset and method, if it was made.
    min_share = float(st.session_state["nk_min_share"]) / 100 or None
    nk_low, nk_high = st.session_state["nk_range"]
    selection = shared.cached_selection(shared.selection_key(
        loaded, lineage_method, tuple(range(int(nk_low), int(nk_high) + 1)), seed, min_share))
    stability = {}
    if selection is not None and selection.survival is not None:
        stability = {(selection.recommended_k, int(p)): float(s)
                     for p, s in zip(selection.survival["persona_id"], selection.survival["survival"]) if not np.isnan(s)}
    first = level_runs[low]
    tree = lineage({k: r.labels for k, r in level_runs.items()}, weights=first.prepared.size_weight,
                   stability=stability, anchor=sidebar_k if lineage_method == sidebar_method else chosen[0][1])
    # Where a level is one of the columns above, its personas take the colours they have there.
    card_colours = {(k, p): i for (m, k), ids in zip(chosen, identities) if m == lineage_method for p, i in ids.items()}
    nodes = tree.nodes.assign(colour_id=[card_colours.get((int(k), int(p)), c) for k, p, c in
                                         zip(tree.nodes["k"], tree.nodes["persona_id"], tree.nodes["colour_id"])])
    persona_names = {(k, p.id): p.name for k, r in level_runs.items() for p in r.personas.personas}
    unit = "interactions" if first.personas.kind == "interactions" else "rows"
    st.caption(
        f"{shared.method_label(lineage_method)}, k = {low} to {high}. A line joins a persona to one at the next k; its "
        f"width is the share of the child's {unit} that came from that parent (below {tree.min_share:.0%}: hidden). "
        "One thick line in: the persona carried on or split off; several: personas merged."
        + (f" Stability at k = {selection.recommended_k} from the Number of personas page's resampling."
           if stability else " Assess stability on the Number of personas page to see each persona's survival here.")
    )
    st.altair_chart(charts.lineage_tree(nodes, tree.shown, persona_names), width="stretch")

# -- who goes where between any two solutions -------------------------------------------------------

st.subheader("Who goes where")
for key, default in (("cmp_pair_a", 0), ("cmp_pair_b", count - 1)):
    st.session_state[key] = min(st.session_state.get(key, default), count - 1)
left, right = st.columns(2)
with left:
    st.selectbox("Rows", list(range(count)), format_func=lambda i: names[i], **shared.bind("cmp_pair_a"))
with right:
    st.selectbox("Columns", list(range(count)), format_func=lambda i: names[i], **shared.bind("cmp_pair_b"))
a, b = int(st.session_state["cmp_pair_a"]), int(st.session_state["cmp_pair_b"])
alignment = views.align_runs(runs[a], runs[b])
unit = "Demographic groups" if runs[a].personas.kind == "interactions" else "Rows"
st.caption(f"{unit} shared by each persona of {shared.md(names[a])} (rows) and of {shared.md(names[b])} (columns).")
st.altair_chart(charts.contingency_heatmap(alignment.table, names[a], names[b]), width="stretch")
st.dataframe(alignment.table.rename_axis(index=names[a], columns=names[b]), width="stretch")

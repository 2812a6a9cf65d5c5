"""Compare k: 2 to 4 solutions (k values and methods) side by side, matched persona to persona;
the lineage of personas across consecutive k; who goes where between any two."""

from dataclasses import replace

import numpy as np
import streamlit as st

from persona_lab import charts
from persona_lab.lineage import MAX_LEVELS, chain_align, focus, levels_between, lineage, named_across
from persona_lab.methods import METHODS
from ui import analyses, state, views
from ui.dataset import require_dataset
from ui.state import K_MIN, k_is_output, method_label
from ui.views import md

st.title("Compare k")
loaded = require_dataset()
sidebar_method, sidebar_k, seed = state.sidebar_choice()
methods = [m for m in METHODS if not k_is_output(m)]
SLOTS = "abcd"  # cmp_k_a..cmp_k_d and cmp_method_a..cmp_method_d (ui.state's defaults)
for slot in SLOTS:
    if st.session_state[f"cmp_method_{slot}"] is None:  # the page's first opening: the sidebar's method
        st.session_state[f"cmp_method_{slot}"] = sidebar_method if sidebar_method in methods else methods[0]

st.number_input("Solutions side by side", min_value=2, max_value=4, step=1, **state.bind("cmp_count"))
count = int(st.session_state["cmp_count"])
k_high = state.k_max(loaded.dataset)
for slot, column in zip(SLOTS, st.columns(count)):
    with column:
        st.selectbox("Method", methods, format_func=method_label, **state.bind(f"cmp_method_{slot}"))
        st.number_input("k", min_value=K_MIN, max_value=k_high, step=1, **state.bind_k(f"cmp_k_{slot}", k_high))
chosen = [(st.session_state[f"cmp_method_{s}"], int(st.session_state[f"cmp_k_{s}"])) for s in SLOTS[:count]]
one_method = len({m for m, _ in chosen}) == 1
names = [f"k = {k}" if one_method else f"{method_label(m)}, k = {k}" for m, k in chosen]

solutions = analyses.persona_runs(loaded, chosen, seed)
if solutions is None:
    st.stop()

# -- persona cards, one column per solution, rows aligned by matched personas -----------------------

st.caption(
    f"Seed {seed}. Personas are matched one-to-one between neighbouring columns (most rows shared): a "
    "matched persona sits in the same row and keeps its colour, the sidebar's solution keeping its own. "
    "Personas without a match come last."
)
# The sidebar's solution, when it is a column, keeps its ids: its colours are those of every other page.
anchor = chosen.index((sidebar_method, sidebar_k)) if (sidebar_method, sidebar_k) in chosen else 0
aligned = chain_align([run.labels for run in solutions], anchor=anchor)
identities = [{int(a): int(b) for a, b in zip(run.labels, ids)} for run, ids in zip(solutions, aligned)]
spare = max(i for ids in identities for i in ids.values()) + 1
for run, ids in zip(solutions, identities):
    for persona in run.personas.personas:
        if persona.id not in ids:  # a soft persona (NMF) that no row has as its first: a row of its own
            ids[persona.id], spare = spare, spare + 1
# One name per matched persona (the one its colour follows), the sidebar's solution keeping its own;
# segments below the exports' minimum size show as small segments, not personas.
named = named_across([run.personas for run in solutions], identities, anchor)
solutions = [replace(run, personas=views.flagged(ps)) for run, ps in zip(solutions, named)]
for run, name in zip(solutions, names):
    views.small_segments_note(run.personas, name)
# The anchor's order, then the others (by identity: a soft persona of the anchor has a spare one).
first_ids = [identities[anchor][p.id] for p in solutions[anchor].personas.personas]
order = first_ids + sorted({i for ids in identities for i in ids.values() if i >= 0} - set(first_ids))
by_identity = [{ids[p.id]: replace(p, id=ids[p.id]) for p in run.personas.personas}
               for run, ids in zip(solutions, identities)]
if max(len(run.personas.personas) for run in solutions) > views.CARDS_SIDE_BY_SIDE:
    # 50 and 100 personas as cards would be a page of 150 charts: one line per matched persona.
    st.dataframe(views.matched_table(order, by_identity, names), hide_index=True, width="stretch",
                 height=views.table_height(len(order), limit=560))
else:
    heads = st.columns(count)
    for head, name in zip(heads, names):
        head.subheader(name)
    for identity in order:
        for column, run, personas in zip(st.columns(count), solutions, by_identity):
            if identity in personas:
                with column:
                    views.persona_brief(personas[identity], run.personas)

# -- lineage across consecutive k ----------------------------------------------------------------

lineage_method = chosen[0][0]
ks = sorted({k for m, k in chosen if m == lineage_method})
low, high = min(ks), max(ks)
st.subheader("Lineage across k")
others = [name for (m, _), name in zip(chosen, names) if m != lineage_method]
level_runs = {}
if high == low:
    st.info("Choose two different k for the first column's method to see which persona splits into which.")
else:
    # Every k between the asked ones while they fit a page; beyond, exactly the asked k.
    levels = levels_between(ks)
    level_runs = dict(zip(levels, analyses.persona_runs(loaded, [(lineage_method, k) for k in levels], seed) or []))
if level_runs:
    # Stability: the Number of personas page's assessment of this dataset and method, if it was made.
    selection = analyses.page_selection(loaded, lineage_method, seed)
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
    # Names follow the lineage's matching from a level that is a column, whose cards' names it keeps;
    # the other columns' levels keep the cards' names too.
    level_ks = sorted(level_runs)
    level_ids = [{int(p): int(c) for p, c in zip(n["persona_id"], n["colour_id"])}
                 for _, n in tree.nodes.groupby("k", sort=True)]
    card_sets = {k: ps for (m, k), ps in zip(chosen, named) if m == lineage_method}
    lineage_anchor = next(i for i, k in enumerate(level_ks) if k in card_sets)
    level_sets = named_across([card_sets.get(k, level_runs[k].personas) for k in level_ks], level_ids, lineage_anchor)
    level_sets = [card_sets.get(k, ps) for k, ps in zip(level_ks, level_sets)]
    persona_names = {(k, p.id): p.name for k, ps in zip(level_ks, level_sets) for p in views.flagged(ps).personas}
    unit = "interactions" if first.personas.kind == "interactions" else "rows"
    shown_tree = replace(tree, nodes=nodes)
    if nodes.groupby("k").size().max() > views.LINEAGE_NODES:
        firsts = [p.id for p in first.personas.personas]
        st.selectbox(f"Follow a persona of k = {low}", firsts, format_func=lambda i: persona_names[(low, i)],
                     help="With this many personas the whole tree is unreadable: one persona and what it "
                          "splits into at a time.", **state.bind_choice("cmp_focus", firsts))
        shown_tree = focus(shown_tree, low, int(st.session_state["cmp_focus"]))
    span = (f"every k from {low} to {high}" if len(levels) == high - low + 1 else
            f"k = {', '.join(map(str, levels))}, the k asked for (the {high - low + 1} numbers of personas from "
            f"{low} to {high} are more than the {MAX_LEVELS} levels a lineage shows)")
    if others:
        span += f"; {', '.join(others)} not shown: a lineage follows the first column's method"
    st.caption(
        f"{method_label(lineage_method)}, {span}. A line joins a persona to one at the next k shown; its "
        f"width is the share of the child's {unit} that came from that parent (below {tree.min_share:.0%}: hidden). "
        "One thick line in: the persona carried on or split off; several: personas merged."
        + (f" Stability at k = {selection.recommended_k} from the Number of personas page's resampling."
           if stability else " Assess stability on the Number of personas page to see each persona's survival here.")
    )
    st.altair_chart(charts.lineage_tree(shown_tree.nodes, shown_tree.shown, persona_names), width="stretch")

# -- who goes where between any two solutions -------------------------------------------------------

st.subheader("Who goes where")
st.session_state["cmp_pair_a"], st.session_state["cmp_pair_b"] = views.distinct_pair(
    st.session_state["cmp_pair_a"], st.session_state["cmp_pair_b"], chosen)
left, right = st.columns(2)
with left:
    st.selectbox("Rows", list(range(count)), format_func=lambda i: names[i], **state.bind("cmp_pair_a"))
with right:
    st.selectbox("Columns", list(range(count)), format_func=lambda i: names[i], **state.bind("cmp_pair_b"))
a, b = int(st.session_state["cmp_pair_a"]), int(st.session_state["cmp_pair_b"])
alignment = views.align_runs(solutions[a], solutions[b])
unit = "Demographic groups" if solutions[a].personas.kind == "interactions" else "Rows"
table = alignment.table
if max(table.shape) > views.HEATMAP_SIDE:
    # A 50 x 100 heatmap has no readable label: one persona of the rows and where its rows went.
    rows_of = list(table.index)
    st.selectbox(f"Persona of {md(names[a])}", rows_of, **state.bind_choice("cmp_pair_focus", rows_of))
    table = views.focused_contingency(table, st.session_state["cmp_pair_focus"])
st.caption(f"{unit} shared by each persona of {md(names[a])} (rows) and of {md(names[b])} (columns).")
st.altair_chart(charts.contingency_heatmap(table, names[a], names[b]), width="stretch")
st.dataframe(alignment.table.rename_axis(index=names[a], columns=names[b]), width="stretch")

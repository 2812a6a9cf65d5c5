"""Altair chart builders: data in, chart out. Used by the app pages and the PDF alike.

Every persona keeps one colour everywhere: :func:`persona_colors` maps persona ids to a fixed
palette, and the charts take that mapping rather than letting Vega-Lite assign colours.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from .data import ranges
from .data.dictionary import says_year
from .personas.model import Persona, PersonaSet
from .personas.traits import CONFIRMED

# Tableau 10 then 10 more distinguishable hues; ids beyond wrap around.
PALETTE = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#aec7e8", "#ff7f0e", "#98df8a", "#d62728", "#c5b0d5",
    "#8c564b", "#e377c2", "#7f7f7f", "#17becf",
]
UNASSIGNED_COLOR = "#c8c8c8"
#: A histogram or bar chart never carries more rows than this into the browser.
MAX_ROWS = 5000
#: Pixels per bar of a horizontal bar chart. A chart's height includes its axes, so less than
#: about 22 px a band makes Vega drop every other label.
ROW_STEP = 22


def persona_colors(ids) -> dict[int, str]:
    return {int(i): (PALETTE[int(i) % len(PALETTE)] if int(i) >= 0 else UNASSIGNED_COLOR) for i in ids}


def _persona_scale(names: list[str], ids: list[int]) -> alt.Scale:
    colors = persona_colors(ids)
    return alt.Scale(domain=names, range=[colors[i] for i in ids])


def column_distribution(values: pd.Series, kind: str, title: str | None = None) -> alt.Chart:
    """A histogram for numbers and dates, a bar chart of the 15 commonest values otherwise."""
    title = title or str(values.name)
    if kind in ("numeric", "datetime"):
        data = pd.DataFrame({"value": values.dropna()})
        if len(data) > MAX_ROWS:
            data = data.sample(MAX_ROWS, random_state=0)
        value_type = "temporal" if kind == "datetime" else "quantitative"
        return (
            alt.Chart(data, title=title)
            .mark_bar()
            .encode(
                # Calendar years as years are written: 1960, not "1,960".
                x=alt.X("value", type=value_type, bin=alt.Bin(maxbins=30), title=None,
                        axis=alt.Axis(format="d") if kind == "numeric" and says_year(values.name, title) else alt.Undefined),
                y=alt.Y("count()", title="rows"),
            )
            .properties(height=160)
        )
    counts = values.astype("string").fillna("(missing)").value_counts().head(15)
    levels = [str(v) for v in counts.index]
    # Ranges ("13-17", "under 18", "65+") read in their own order, the rest by how common.
    present = [v for v in levels if v != "(missing)"]
    order = (sorted(present, key=ranges.sort_key) + [v for v in levels if v == "(missing)"]
             if ranges.is_ordered(present) else "-x")
    data = pd.DataFrame({"value": levels, "rows": counts.to_numpy()})
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("value:N", sort=order, title=None),
            x=alt.X("rows:Q", title="rows"),
            tooltip=["value:N", "rows:Q"],
        )
        .properties(height=alt.Step(ROW_STEP))
    )


def _persona_frame(persona_set: PersonaSet) -> pd.DataFrame:
    rows = [(p.id, p.name, p.share, p.size) for p in persona_set.personas]
    if persona_set.unassigned:
        rows.append((-1, "unassigned", persona_set.unassigned["share"], persona_set.unassigned["size"]))
    return pd.DataFrame(rows, columns=["id", "persona", "share", "size"])


def segment_sizes(persona_set: PersonaSet, title: str = "Share of the audience") -> alt.Chart:
    data = _persona_frame(persona_set)
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("persona:N", sort=list(data["persona"]), title=None),
            x=alt.X("share:Q", axis=alt.Axis(format="%"), title="share"),
            color=alt.Color(
                "persona:N", scale=_persona_scale(list(data["persona"]), list(data["id"])), legend=None
            ),
            tooltip=["persona:N", alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("size:Q", format=",.0f")],
        )
    )


def criterion_curve(table: pd.DataFrame, picks: dict[str, int], labels: dict[str, str] | None = None) -> alt.Chart:
    """One small panel per criterion, its value over k, its picked k marked with a point (for a
    monotone curve, the pick of its elbow, ``<curve>_elbow``)."""
    data = table.copy()
    data["label"] = data["criterion"].map(lambda c: (labels or {}).get(c, c))
    data["picked"] = [picks.get(c, picks.get(f"{c}_elbow")) == k for c, k in zip(data["criterion"], data["k"])]
    base = alt.Chart(data).encode(
        x=alt.X("k:Q", axis=alt.Axis(tickMinStep=1), title="number of personas k"),
        y=alt.Y("value:Q", scale=alt.Scale(zero=False), title=None),
    )
    line = base.mark_line(point=True)
    pick = base.transform_filter(alt.datum.picked).mark_point(size=160, color="#e15759", filled=True)
    return (
        alt.layer(line, pick, data=data)
        .properties(width=220, height=160)
        .facet(facet=alt.Facet("label:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


#: Beyond this many personas a map colours only the largest ones: twenty hues are about as many
#: as eyes tell apart, and a wrapped palette gives two personas one colour.
MAX_COLOURED = len(PALETTE) - 1
OTHER_COLOUR = "#d9d9d9"


def segment_map(
    coords: pd.DataFrame,
    persona_set: PersonaSet,
    tooltip: list[str] | None = None,
    density: pd.DataFrame | None = None,
    colour_ids: dict[int, int] | None = None,
    title: str | None = None,
    height: int = 460,
    selection_name: str = "persona_pick",
    legend_orient: str = "right",
    colour_by: dict[int, str] | None = None,
) -> alt.Chart:
    """Scatter of a 2-D embedding; ``coords`` has x, y, persona_id (and any tooltip columns).

    ``density`` (x, x2, y, y2, rows: the rows not drawn, binned) is shaded beneath the points;
    ``colour_ids`` gives a persona the colour of the id it was matched to in another solution.
    ``colour_by`` (persona id -> a value, e.g. its skeleton's gender) colours the points by that
    value instead of by persona. With more than :data:`MAX_COLOURED` personas only the largest
    keep a colour of their own; the rest are "other personas", named in the tooltip.
    Clicking a legend entry highlights it.
    """
    names = {p.id: p.name for p in persona_set.personas}
    names[-1] = "unassigned"
    data = coords.copy()
    data["persona"] = data["persona_id"].map(names)
    ids = [p.id for p in persona_set.personas] + ([-1] if (data["persona_id"] < 0).any() else [])
    if colour_by is not None:
        groups = {i: str(colour_by.get(i, "unassigned" if i < 0 else "(none)")) for i in ids}
        domain = sorted(set(groups.values()))
        scale = alt.Scale(domain=domain, range=[PALETTE[n % len(PALETTE)] for n in range(len(domain))])
        legend_title = "persona's value"
    else:
        groups, domain, colours = _coloured_personas(persona_set, ids, names, colour_ids)
        scale = alt.Scale(domain=domain, range=colours)
        legend_title = "persona"
    data["colour"] = data["persona_id"].map(groups)
    selection = alt.selection_point(fields=["colour"], bind="legend", name=selection_name)
    axis = alt.Axis(labels=False, ticks=False, grid=False)
    points = (
        alt.Chart(data)
        .mark_circle(size=28)
        .encode(
            x=alt.X("x:Q", title=None, axis=axis, scale=alt.Scale(zero=False)),
            y=alt.Y("y:Q", title=None, axis=axis, scale=alt.Scale(zero=False)),
            color=alt.Color("colour:N", scale=scale, title=legend_title, legend=alt.Legend(labelLimit=220, orient=legend_orient, columns=2 if legend_orient == "bottom" else 1)),
            opacity=alt.condition(selection, alt.value(0.8), alt.value(0.08)),
            tooltip=["persona:N"] + list(tooltip or []),
        )
        .add_params(selection)
    )
    chart = points
    if density is not None and len(density):
        shade = (
            alt.Chart(density)
            .mark_rect(color="#7f7f7f")
            .encode(
                x="x:Q", x2="x2:Q", y="y:Q", y2="y2:Q",
                opacity=alt.Opacity("rows:Q", scale=alt.Scale(type="sqrt", range=[0.15, 0.7]), legend=None),
                tooltip=[alt.Tooltip("rows:Q", title="rows not drawn", format=",")],
            )
        )  # fmt: skip
        chart = alt.layer(shade, points)
    return chart.properties(height=height, **({"title": title} if title else {}))


def _coloured_personas(persona_set: PersonaSet, ids: list[int], names: dict[int, str],
                       colour_ids: dict[int, int] | None) -> tuple[dict[int, str], list[str], list[str]]:
    """(legend entry of each persona id, legend domain, its colours): each persona its own colour,
    or past :data:`MAX_COLOURED` personas the largest ones and "other personas" in grey."""
    colour_ids = colour_ids or {}
    colours = persona_colors([colour_ids.get(i, i) for i in ids])
    own = {i: colours[colour_ids.get(i, i)] for i in ids}
    if len(persona_set.personas) > MAX_COLOURED:
        largest = sorted(persona_set.personas, key=lambda p: (-p.share, p.id))[:MAX_COLOURED]
        own = {p.id: PALETTE[n] for n, p in enumerate(largest)} | ({-1: UNASSIGNED_COLOR} if -1 in ids else {})
        other = f"{len(persona_set.personas) - MAX_COLOURED} other personas"
        groups = {i: names[i] if i in own else other for i in ids}
        kept = [p.id for p in largest] + [i for i in ids if i < 0]  # the legend, largest first
        return groups, [names[i] for i in kept] + [other], [own[i] for i in kept] + [OTHER_COLOUR]
    return {i: names[i] for i in ids}, [names[i] for i in ids], [own[i] for i in ids]


def segment_map_panels(coords: pd.DataFrame, solutions: list[tuple[str, np.ndarray, PersonaSet, dict[int, int]]],
                       tooltip: list[str] | None = None, columns: int = 3) -> alt.ConcatChart:
    """The same map once per solution: (title, persona id of each drawn row, personas, colour ids).
    Only the colouring changes between panels; each has its own legend."""
    panels = [
        segment_map(coords.assign(persona_id=np.asarray(labels)), persona_set, tooltip=tooltip,
                    colour_ids=colour_ids, title=title, height=260, selection_name=f"persona_pick_{i}",
                    legend_orient="bottom")
        .properties(width=300)
        for i, (title, labels, persona_set, colour_ids) in enumerate(solutions)
    ]
    return alt.concat(*panels, columns=columns).resolve_scale(color="independent")


def lineage_tree(nodes: pd.DataFrame, edges: pd.DataFrame, names: dict[tuple[int, int], str]) -> alt.LayerChart:
    """Personas as nodes at (k, place in the level), edges as lines whose width is the share of
    the child that came from the parent (persona_lab.lineage's nodes and shown edges); a node's
    colour is its matched persona's, its size its share, its label its stability when known."""
    data = nodes.copy()
    level_size = data.groupby("k")["position"].transform("count")
    data["y"] = data["position"] - (level_size - 1) / 2  # each level centred
    data["persona"] = [names.get((int(k), int(p)), f"persona {p}") for k, p in zip(data["k"], data["persona_id"])]
    data["colour"] = data["colour_id"].map(lambda i: persona_colors([i])[int(i)])
    data["label"] = [
        name if np.isnan(s) else f"{name} ({s:.0%} stable)" for name, s in zip(data["persona"], data["stability"])
    ]
    at = {(int(k), int(p)): (float(y), c) for k, p, y, c in zip(data["k"], data["persona_id"], data["y"], data["colour"])}
    lines = edges.copy()
    lines["y_from"] = [at[(int(k), int(i))][0] for k, i in zip(lines["k_from"], lines["from_id"])]
    lines["y_to"] = [at[(int(k), int(j))][0] for k, j in zip(lines["k_to"], lines["to_id"])]
    lines["colour"] = [at[(int(k), int(i))][1] for k, i in zip(lines["k_from"], lines["from_id"])]
    lines["parent"] = [names.get((int(k), int(i)), "") for k, i in zip(lines["k_from"], lines["from_id"])]
    lines["child"] = [names.get((int(k), int(j)), "") for k, j in zip(lines["k_to"], lines["to_id"])]
    k_low, k_high = int(data["k"].min()), int(data["k"].max())
    # Ticks at the levels shown only: a lineage over k = 5, 10 and 20 must not read as 5 to 20.
    x_axis = alt.Axis(values=sorted(int(k) for k in data["k"].unique()), format="d", grid=False)
    x_scale = alt.Scale(domain=[k_low - 0.2, k_high + 0.9], zero=False, nice=False)  # room for the last labels
    y_scale = alt.Scale(reverse=True)
    x = alt.X("k:Q", title="number of personas k", axis=x_axis, scale=x_scale)
    y = alt.Y("y:Q", title=None, axis=None, scale=y_scale)
    edge_layer = (
        alt.Chart(lines)
        .mark_rule(opacity=0.55)
        .encode(
            x=alt.X("k_from:Q", title="number of personas k", axis=x_axis, scale=x_scale), x2="k_to:Q",
            y=alt.Y("y_from:Q", title=None, axis=None, scale=y_scale), y2="y_to:Q",
            color=alt.Color("colour:N", scale=None),
            strokeWidth=alt.StrokeWidth("share:Q", scale=alt.Scale(domain=[0, 1], range=[0.5, 12]), legend=None),
            tooltip=["parent:N", "child:N", alt.Tooltip("share:Q", format=".0%", title="share of the child")],
        )
    )  # fmt: skip
    node_layer = (
        alt.Chart(data)
        .mark_circle(opacity=1, stroke="white", strokeWidth=1)
        .encode(
            x=x, y=y,
            color=alt.Color("colour:N", scale=None),
            size=alt.Size("share:Q", scale=alt.Scale(domain=[0, 1], range=[60, 1400]), legend=None),
            tooltip=["persona:N", "k:Q", alt.Tooltip("share:Q", format=".1%"),
                     alt.Tooltip("stability:Q", format=".0%", title="stability")],
        )
    )  # fmt: skip
    text_layer = (
        alt.Chart(data)
        .mark_text(align="left", dx=12, fontSize=11, limit=170)
        .encode(x=x, y=y, text="label:N")
    )
    height = max(220, 56 * int(level_size.max()))
    return alt.layer(edge_layer, node_layer, text_layer).properties(height=height)


def persona_has_traits(persona: Persona) -> bool:
    """Whether the persona's chart shows traits (tables) rather than interests (APG)."""
    return any(not t.hidden for t in persona.traits)


def profile_data(persona: Persona, n: int = 8) -> pd.DataFrame:
    """What a persona's chart shows, one row per bar: a brief label (``what``), the full sentence
    (``detail``) and the bar's length (``effect``: a standardised effect, or a share of interest).
    The app, the PDF and the deck's native chart all draw this."""
    shown = [t for t in persona.traits if not t.hidden]
    if shown:
        traits = shown[:n]
        return pd.DataFrame(
            {
                # The mark leads, so that a label cut to the chart's width keeps it.
                "what": [(f"{CONFIRMED} " if t.significant else "")
                         + ((t.label or t.feature) if t.level is None else f"{t.label or t.feature}={t.level}")
                         for t in traits],
                "detail": [t.text for t in traits],
                "effect": [t.effect for t in traits],
            }
        )
    items = persona.interests[:n]
    return pd.DataFrame(
        {
            "what": [i.label or i.item for i in items],
            "detail": [f"{i.label or i.item} ({i.topic})" if i.topic else (i.label or i.item) for i in items],
            "effect": [i.weight for i in items],
        }
    )


def persona_profile(persona: Persona, n: int = 8) -> alt.Chart:
    """The persona's top traits (standardised effect) or interests (share of its content).

    Bars are labelled briefly (``feature=level``, an item's title) with the full sentence in
    the tooltip, so that the chart stays readable in a narrow card. Traits the user hid are left
    out, here as in every export.
    """
    data = profile_data(persona, n)
    if persona_has_traits(persona):
        x = alt.X("effect:Q", title="effect size (SD)")
    else:
        x = alt.X("effect:Q", axis=alt.Axis(format="%"), title="share of interest")
    color = persona_colors([persona.id])[persona.id]
    return (
        alt.Chart(data)
        .mark_bar(color=color)
        .encode(
            y=alt.Y("what:N", sort=None, title=None, axis=alt.Axis(labelLimit=140)),
            x=x,
            tooltip=[alt.Tooltip("detail:N", title="what"), alt.Tooltip("effect:Q", format=".2f")],
        )
        .properties(height=alt.Step(ROW_STEP))
    )


def contingency_heatmap(table: pd.DataFrame, a_name: str, b_name: str) -> alt.Chart:
    data = table.stack().rename("rows").reset_index()
    data.columns = ["a", "b", "rows"]
    data["a"], data["b"] = data["a"].astype(str), data["b"].astype(str)
    order_a = [str(v) for v in table.index]
    order_b = [str(v) for v in table.columns]
    return (
        alt.Chart(data)
        .mark_rect()
        .encode(
            # Horizontal labels, wrapped by Vega's limit: turned names would eat the chart.
            x=alt.X("b:N", title=b_name, sort=order_b, axis=alt.Axis(labelAngle=0, labelLimit=110)),
            y=alt.Y("a:N", title=a_name, sort=order_a),
            color=alt.Color("rows:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["a:N", "b:N", "rows:Q"],
        )
        .properties(height=alt.Step(36))
    )



def agreement_heatmap(pairs: pd.DataFrame, methods: list[str], measure: str = "ari") -> alt.Chart:
    """Symmetric method x method heatmap of an agreement measure (1 on the diagonal)."""
    cells = {(m, m): 1.0 for m in methods}
    for row in pairs.itertuples():
        value = float(getattr(row, measure))
        cells[(row.method_a, row.method_b)] = cells[(row.method_b, row.method_a)] = value
    data = pd.DataFrame([(a, b, v) for (a, b), v in cells.items()], columns=["a", "b", "value"])
    base = alt.Chart(data).encode(
        x=alt.X("a:N", sort=methods, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("b:N", sort=methods, title=None),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("value:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title=measure.upper()),
        tooltip=["a:N", "b:N", alt.Tooltip("value:Q", format=".3f", title=measure.upper())],
    )
    text = base.mark_text(fontSize=13).encode(
        text=alt.Text("value:Q", format=".2f"),
        color=alt.condition(alt.datum.value > 0.6, alt.value("white"), alt.value("#222")),
    )
    return (rect + text).properties(height=alt.Step(44), width=alt.Step(80))


def k_hat_heatmap(p_k_hat: pd.DataFrame, labels: dict[str, str] | None = None) -> alt.Chart:
    """P(k_hat = k) over resamples: one row per criterion (the rule's answer first), one column per k."""
    data = p_k_hat.copy()
    data["label"] = data["criterion"].map(lambda c: (labels or {}).get(c, c))
    order = list(dict.fromkeys(["rule"] + list(data["criterion"])))
    rows = [(labels or {}).get(c, c) for c in order if c in set(data["criterion"])]
    base = alt.Chart(data).encode(
        x=alt.X("k:O", title="k picked on a resample", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("label:N", sort=rows, title=None, axis=alt.Axis(labelLimit=260)),
    )
    rect = base.mark_rect().encode(
        color=alt.Color("probability:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"), title="P(k_hat = k)"),
        tooltip=["label:N", "k:O", alt.Tooltip("probability:Q", format=".0%")],
    )
    text = base.mark_text(fontSize=K_HAT_FONT).encode(
        text=alt.Text("probability:Q", format=".0%"),
        color=alt.condition(alt.datum.probability > 0.6, alt.value("white"), alt.value("#222")),
    )
    # Columns as wide as "100%" and a margin: Vega's default step (20 px) printed "93%7%".
    return (rect + text).properties(height=alt.Step(26), width=alt.Step(K_HAT_STEP))


#: The P(k_hat = k) heatmap's label size and column width (px): the widest label, "100%", is about
#: 2.6 font sizes wide in the default sans-serif.
K_HAT_FONT, K_HAT_STEP = 11, 40


def stability_bands(null_table: pd.DataFrame, labels: dict[str, str] | None = None) -> alt.Chart:
    """Each stability statistic over k, with the 5-95% band of structure-free reference data;
    a filled point where k beats the band."""
    data = null_table.dropna(subset=["value"]).copy()
    data["label"] = data["statistic"].map(lambda c: (labels or {}).get(c, c))
    base = alt.Chart(data).encode(x=alt.X("k:Q", axis=alt.Axis(tickMinStep=1), title="number of personas k"))
    band = base.mark_area(opacity=0.25, color="#bab0ac").encode(
        y=alt.Y("p05:Q", title=None, scale=alt.Scale(zero=False)), y2="p95:Q"
    )
    line = base.mark_line(color="#4e79a7").encode(y="value:Q")
    points = base.mark_point(size=70, filled=True).encode(
        y="value:Q",
        color=alt.Color("beats:N", scale=alt.Scale(domain=[True, False], range=["#e15759", "#4e79a7"]),
                        title="beats the null band"),
        tooltip=["label:N", "k:Q", alt.Tooltip("value:Q", format=".3f"), alt.Tooltip("p05:Q", format=".3f"),
                 alt.Tooltip("p95:Q", format=".3f")],
    )
    return (
        alt.layer(band, line, points, data=data)
        .properties(width=220, height=150)
        .facet(facet=alt.Facet("label:N", title=None), columns=3)
        .resolve_scale(y="independent")
    )


def consensus_cdf(cdf: pd.DataFrame) -> alt.Chart:
    """The consensus CDF of each k (Monti 2003): a crisp partition climbs at 0 and 1 and is flat
    between; the flattest middle marks the most stable k."""
    data = cdf.assign(k=cdf["k"].astype(int))
    return (
        alt.Chart(data)
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("consensus:Q", title="consensus index"),
            y=alt.Y("cdf:Q", title="CDF", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("k:O", scale=alt.Scale(scheme="viridis"), title="k"),
            tooltip=["k:O", alt.Tooltip("consensus:Q", format=".2f"), alt.Tooltip("cdf:Q", format=".2f")],
        )
        .properties(height=260)
    )

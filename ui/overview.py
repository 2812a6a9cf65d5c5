"""The Personas page's overview: every persona in one sortable, searchable table with a filter per
demographic attribute, a click through to a persona's card, and the cards a page at a time.

At k = 100 a wall of cards is 20,000 pixels tall and draws 100 charts on every rerun; the table
is one element, and only the cards of one page (or the persona clicked) are drawn.
"""

from __future__ import annotations

import base64
import math

import pandas as pd
import streamlit as st

from persona_lab.personas.model import Persona, PersonaSet
from persona_lab.personas.overview import attributes, filter_overview, overview_frame
from ui import state
from ui.state import FILTERS, PAGE, SEARCH

#: Cards drawn at a time (three rows of three).
CARDS_PER_PAGE = 9
#: The stability cell of a persona no resampling assessed (a blank number reads "None" in the grid).
NOT_ASSESSED = "not assessed"


def face_uri(svg: str) -> str | None:
    """The face as a data URI for an image column (the SVG is our own drawing, never user text)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode() if svg else None


def table(persona_set: PersonaSet) -> pd.DataFrame:
    """The overview as shown: a face, and shares and stability in percent."""
    frame = overview_frame(persona_set)
    frame.insert(1, "face", [face_uri(p.face) for p in persona_set.personas])
    frame["share"] = 100 * frame["share"]
    frame["stability"] = stability_cells(frame["stability"])
    return frame


def stability_cells(stability: pd.Series) -> pd.Series:
    """Stability in percent, a number to sort by when every persona was assessed; otherwise text,
    with :data:`NOT_ASSESSED` where there is no figure (the grid would print a missing number
    as "None")."""
    known = pd.to_numeric(stability, errors="coerce")
    if known.notna().all():
        return 100 * known
    return pd.Series([NOT_ASSESSED if pd.isna(x) else f"{100 * x:.0f}%" for x in known], index=stability.index,
                     dtype=object)


def persona_overview(persona_set: PersonaSet) -> list[Persona]:
    """Draw the overview; return the personas whose cards to draw (the one clicked in the table,
    or one page of those the filters keep)."""
    frame = table(persona_set)
    names = attributes(persona_set)
    label = persona_set.dictionary.label  # filters keyed by column, named as the cards name them
    search_column, *filter_columns = st.columns([2] + [1] * max(1, min(len(names), 4)))
    search_column.text_input("Find a persona", placeholder="name, skeleton or interest",
                             **state.bind(SEARCH, on_change=_first_page))
    for i, attribute in enumerate(names):
        values = sorted(set(frame[f"attribute: {attribute}"]) - {""})
        widget = f"_w_pe_filter_{i}"
        # Seeded from the stored filters on every run, as state.bind does: Streamlit forgets a
        # widget's state on other pages, and another run may not have the stored values.
        st.session_state[widget] = [v for v in st.session_state[FILTERS].get(attribute, []) if v in values]
        with filter_columns[i % len(filter_columns)]:
            st.multiselect(label(attribute), values, key=widget, placeholder="any",
                           on_change=_store_filter, args=(attribute, widget))
    shown = filter_overview(frame, st.session_state[SEARCH], st.session_state[FILTERS])
    st.caption(f"{len(shown)} of {len(frame)} personas. Sort by a column's header; click a row to see its card.")
    event = st.dataframe(
        shown.drop(columns=["id", *(c for c in shown.columns if c.startswith("attribute: "))]),
        hide_index=True, width="stretch", height=min(38 + 35 * len(shown), 420), key="_w_pe_table",
        on_select="rerun", selection_mode="single-row",
        column_config={
            "face": st.column_config.ImageColumn("", width="small"),
            "share": st.column_config.NumberColumn("share", format="%.1f%%"),
            "stability": _stability_column(shown["stability"]),
        },
    )
    rows = event.selection.rows if event is not None else []
    by_id = {p.id: p for p in persona_set.personas}
    if rows:
        picked = by_id[int(shown.iloc[rows[0]]["id"])]
        st.caption("The persona clicked in the table; clear the selection to page through the cards.")
        return [picked]
    kept = [by_id[int(i)] for i in shown["id"]]
    pages = max(1, math.ceil(len(kept) / CARDS_PER_PAGE))
    if pages > 1:
        st.session_state[PAGE] = min(max(int(st.session_state[PAGE]), 1), pages)
        st.number_input(f"Cards, page (of {pages})", min_value=1, max_value=pages, step=1, **state.bind(PAGE))
    page = min(int(st.session_state[PAGE]), pages)
    return kept[(page - 1) * CARDS_PER_PAGE: page * CARDS_PER_PAGE]


def _stability_column(cells: pd.Series):
    help_text = "Share of resamples recovering the persona (assessed on the Number of personas page)"
    if pd.api.types.is_numeric_dtype(cells):
        return st.column_config.NumberColumn("stability", format="%.0f%%", help=help_text)
    return st.column_config.TextColumn("stability", help=help_text)


def _first_page() -> None:
    st.session_state[PAGE] = 1


def _store_filter(attribute: str, widget: str) -> None:
    st.session_state[FILTERS] = {**st.session_state[FILTERS], attribute: list(st.session_state[widget])}
    _first_page()

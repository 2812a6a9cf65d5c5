"""Personas & export: persona cards to read and edit, and the files to take away."""

import streamlit as st

from persona_lab import charts
from persona_lab.export.included import identity
from persona_lab.export.pdf import ReportContext
from persona_lab.personas import edits
from persona_lab.personas.overview import LIFT_NOTE, distinctive_text
from persona_lab.personas.prevalence import prevalence_phrase
from persona_lab.personas.privacy import segment_size, withhold, withheld_note
from persona_lab.personas.text import scrub
from persona_lab.personas.traits import traits_note
from ui import analyses, edited_sets, overview, runs, state, views
from ui.dataset import require_dataset
from ui.state import EDITS, LOADED, MIN_ROWS, PROBLEM, method_label
from ui.views import md, show_error

st.title("Personas & export")
loaded = require_dataset()
method, k, seed = choice = state.sidebar_choice()

run = analyses.require_run(loaded, choice)
run_source = edited_sets.run_source(runs.run_key(loaded, method, k, seed))
survival, k_choice, k_figures = edited_sets.assessment(loaded, method, run.personas.k, seed)

source = st.session_state[LOADED] or run_source
original = run.personas if source == run_source else st.session_state[EDITS][source]
persona_set = edited_sets.current(source, original)
if source == run_source:
    persona_set = edits.with_stability(persona_set, survival)

# -- where these personas come from ---------------------------------------------------------------

if source != run_source:
    st.info(
        f"Working on a loaded persona file: {md(persona_set.dataset)}, {md(persona_set.method)}, "
        f"k = {persona_set.k}. It is not the current run's personas, so its assignments cannot be exported.",
        icon=":material/upload_file:",
    )
    st.button("Back to the current run's personas", on_click=lambda: st.session_state.update({LOADED: None}))
else:
    st.caption(
        f"{len(persona_set.personas)} personas from {md(persona_set.dataset)} "
        f"({method_label(method)}, seed {seed})."
        + ("" if not survival else " Stability from the assessment on the Number of personas page.")
    )
for other in edited_sets.other_edited(source):
    st.info(
        f"Your edits to the personas of {md(other.dataset)} ({md(other.method)}, k = {other.k}, "
        f"seed {md(other.manifest.get('seed', '?'))}) are kept: choose those settings again to go on with them.",
        icon=":material/edit_note:",
    )
if st.session_state[PROBLEM]:
    show_error(st.session_state[PROBLEM])

# -- exports, save and load ----------------------------------------------------------------------

# A plain state key seeds the widget: Streamlit forgets a widget's own state on other pages.
st.session_state["_w_pe_min_size"] = st.session_state[MIN_ROWS]
size_column, note_column = st.columns([1, 3], vertical_alignment="bottom")
min_size = size_column.number_input(
    "Minimum segment size (rows)", min_value=0, step=1, key="_w_pe_min_size",
    on_change=lambda: st.session_state.update({MIN_ROWS: int(st.session_state["_w_pe_min_size"])}),
    help="Personas with fewer rows (interactions, for the APG shape) are withheld from the PDF, PowerPoint, "
         "JSON and Markdown, which say how many were withheld: a tiny segment describes identifiable people.")
shown = withhold(persona_set, int(min_size))
if withheld_note(shown):
    note_column.caption(withheld_note(shown))  # our own words and numbers, no user text
key = edited_sets.set_key(shown)
context = ReportContext(k_choice, k_figures)
exported = sum(p.include for p in shown.personas)
stem = f"personas_{persona_set.method}_k{persona_set.k}"
downloads = st.columns(5)
downloads[0].download_button(
    # Made on the click (a callable), not on every edit: a PDF takes about 0.2 s a persona.
    "PDF report", lambda: runs.export_pdf(key, context, shown), file_name=f"{stem}.pdf", mime="application/pdf",
    icon=":material/picture_as_pdf:", on_click="ignore", width="stretch",
    help=f"Cover, {exported} persona pages and an appendix with the method and the manifest.",
)
downloads[1].download_button(
    "PowerPoint", lambda: runs.export_pptx(key, context, shown), file_name=f"{stem}.pptx",
    mime="application/vnd.openxmlformats-officedocument.presentationml.presentation",
    icon=":material/slideshow:", on_click="ignore", width="stretch",
    help=f"A title slide, {exported} persona slides and, when assessed, how k was chosen.",
)
downloads[2].download_button(
    "personas.json", runs.export_json(key, shown), file_name="personas.json", mime="application/json",
    icon=":material/data_object:", on_click="ignore", width="stretch",
    help="Every persona with your edits and the manifest; load it back below to go on editing.",
)
downloads[3].download_button(
    "personas.md", runs.export_markdown(key, shown), file_name="personas.md", mime="text/markdown",
    icon=":material/article:", on_click="ignore", width="stretch",
)
if source == run_source:
    downloads[4].download_button(
        "assignments.csv", lambda: runs.export_assignments(key, run, persona_set), file_name="assignments.csv",
        mime="text/csv", icon=":material/table_view:", on_click="ignore", width="stretch",
        help="Row id -> persona and membership. Its manifest is in personas.json and manifest.json.",
    )
with st.expander("Load a saved persona set, manifest, reset"):
    upload = st.file_uploader("Continue from a saved personas.json", type=["json"], key="_w_pe_upload")
    if upload is not None and edited_sets.load_upload(upload.getvalue(), run_source, run.personas):
        st.rerun()
    st.download_button("manifest.json", runs.export_manifest(key, persona_set), file_name="manifest.json",
                       mime="application/json", on_click="ignore",
                       help="persona-lab personas --manifest manifest.json repeats this run.")
    if source in st.session_state[EDITS]:
        st.button("Discard my edits", on_click=edited_sets.discard, args=(source,), icon=":material/undo:")
if persona_set.unassigned:
    st.caption(
        f"Unassigned (no persona): {views.percent(persona_set.unassigned['share'])}, "
        f"{views.size_text(persona_set, persona_set.unassigned['size'])}."
    )

# -- the cards ------------------------------------------------------------------------------------


def seeded(name: str, persona_id: int, value) -> str:
    """The widget key of ``name`` for this persona, holding the stored value (after page switches
    Streamlit has forgotten the widget's own state)."""
    widget = f"_w_pe_{name}_{persona_id}"
    st.session_state[widget] = value
    return widget


def from_widget(widget: str, change, persona_id: int, convert=lambda v: v):
    return lambda: edited_sets.edit(source, original, change, persona_id, convert(st.session_state[widget]))


def editor(persona, position: int) -> None:
    pid = persona.id
    name = seeded("name", pid, persona.name)
    st.text_input("Name", key=name, on_change=from_widget(name, edits.renamed, pid))
    story = seeded("story", pid, persona.narrative)
    st.text_area("Narrative", key=story, on_change=from_widget(story, edits.with_narrative, pid), height=140)
    if persona.traits:
        hidden = seeded("hidden", pid, [i for i, t in enumerate(persona.traits) if t.hidden])
        st.multiselect("Hidden traits", list(range(len(persona.traits))), key=hidden,
                       format_func=lambda i: persona.traits[i].text or persona.traits[i].feature,
                       on_change=from_widget(hidden, edits.with_hidden_traits, pid, set),
                       help="Hidden traits leave the card, the chart and every export. The narrative is "
                            "yours to edit: it may still cite one.")
    include = seeded("include", pid, persona.include)
    st.checkbox("Include in exports", key=include, on_change=from_widget(include, edits.with_included, pid))
    up, down = st.columns(2)
    up.button("Move up", key=f"_w_pe_up_{pid}", icon=":material/arrow_upward:", width="stretch",
              disabled=position == 0, on_click=edited_sets.edit, args=(source, original, edits.moved, pid, -1))
    down.button("Move down", key=f"_w_pe_down_{pid}", icon=":material/arrow_downward:", width="stretch",
                disabled=position == len(persona_set.personas) - 1,
                on_click=edited_sets.edit, args=(source, original, edits.moved, pid, 1))


def card(persona, position: int) -> None:
    with st.container(border=True):
        head = st.columns([1, 2]) if persona.face else [None, st.container()]
        if persona.face:
            head[0].image(persona.face, width="stretch")
        with head[1]:
            st.subheader(md(persona.name), anchor=False)
            if identity(persona):
                st.caption(md(identity(persona)))
            if not persona.include:
                st.caption(":material/visibility_off: Left out of the exports")
            elif segment_size(persona) < min_size:
                st.caption(f":material/lock: Withheld from the exports: fewer than {int(min_size):,} rows")
        # One line rather than metrics: three metrics side by side are cut off in a card a third wide.
        st.markdown(
            f"**{views.percent(persona.share)}** share · {views.size_text(persona_set, persona.size)}"
            + ("" if persona.stability is None else f" · **{views.percent(persona.stability)}** stable"),
            help=None if persona.stability is None else
            "Stable: the share of bootstrap resamples that recovered this persona (Jaccard > 0.75).",
        )
        if persona.prevalence is not None:
            st.markdown(f"Matches **{views.percent(persona.prevalence)}** {prevalence_phrase(persona_set.kind)}",
                        help="Prevalence (Chapman et al., 2008): "
                             + ("the share of all interactions that come from groups having all of "
                                if persona_set.kind == "interactions" else "the share of real rows having all of ")
                             + md("; ".join(persona.headline) or "its headline attributes")
                             + (", and that the fit attributes to this persona"
                                if persona_set.kind == "interactions" else "")
                             + ". A persona describes a segment, not its typical member.")
        if persona.demographics:
            label = persona_set.dictionary.label
            st.markdown("  \n".join(f"**{md(label(k))}:** {md(v)}" for k, v in persona.demographics.items()))
        if persona.narrative:
            st.markdown(md(persona.narrative))
        shown = [t for t in persona.traits if not t.hidden]
        if shown:
            st.markdown("**What sets them apart**")
            st.markdown("\n".join(f"- {md(t.text or t.feature)}" for t in shown[:5]))
            st.caption(md(traits_note(shown)))
        elif persona.interests:
            st.markdown("**Interests**")
            st.markdown("\n".join(f"- {md(i.label or i.item)}" + (f" ({md(i.topic)})" if i.topic else "")
                                  for i in persona.interests[:5]))
        if persona.distinctive:
            st.markdown(f"**Sets them apart:** {md(distinctive_text(persona))}", help=LIFT_NOTE)
        if shown or persona.interests:
            st.altair_chart(charts.persona_profile(persona), width="stretch")
        for quote in persona.quotes[:3]:
            st.markdown(f"> {md(scrub(quote))}")
        if persona.explanation:
            st.caption(md(persona.explanation))
        with st.expander("Edit", icon=":material/edit:"):
            editor(persona, position)


st.subheader("All personas", anchor=False)
cards = overview.persona_overview(persona_set)
position = {p.id: i for i, p in enumerate(persona_set.personas)}
for start in range(0, len(cards), 3):
    for offset, column in enumerate(st.columns(3)):
        if start + offset < len(cards):
            with column:
                card(cards[start + offset], position[cards[start + offset].id])

descriptors = views.descriptor_frame(persona_set)
if not descriptors.empty:
    st.subheader("Descriptor profiles", anchor=False)
    st.caption("Columns not used for segmenting, per persona against everybody. q: Benjamini-Hochberg adjusted "
               "p-value over all persona x descriptor tests; significant: q < 0.05.")
    st.dataframe(descriptors.round(4), hide_index=True, width="stretch")

"""Personas & export: the persona profiles as cards, and the files to take away."""

import streamlit as st

import app_shared as shared
import app_views as views
from persona_lab import charts

st.title("Personas & export")
loaded = shared.require_dataset()
method, k, seed = shared.sidebar_choice()

run = shared.run_current(loaded, f"Fitting {shared.method_label(method)}")
if run is None:
    st.stop()
persona_set = run.personas
key = shared.run_key(loaded, method, k, seed)

st.caption(
    f"{len(persona_set.personas)} personas from {shared.md(persona_set.dataset)} "
    f"({shared.method_label(method)}, seed {seed})."
)

downloads = st.columns(3)
stem = f"personas_{method}_k{persona_set.k}"
downloads[0].download_button(
    "PDF report", shared.export_pdf(key, persona_set), file_name=f"{stem}.pdf",
    mime="application/pdf", icon=":material/picture_as_pdf:", on_click="ignore", width="stretch",
)
downloads[1].download_button(
    "personas.json", shared.export_json(key, persona_set), file_name="personas.json",
    mime="application/json", icon=":material/data_object:", on_click="ignore", width="stretch",
)
downloads[2].download_button(
    "assignments.csv", shared.export_assignments(key, run), file_name="assignments.csv",
    mime="text/csv", icon=":material/table_view:", on_click="ignore", width="stretch",
)
if persona_set.unassigned:
    st.caption(
        f"Unassigned (no persona): {views.percent(persona_set.unassigned['share'])}, "
        f"{views.size_text(persona_set, persona_set.unassigned['size'])}."
    )


def card(persona) -> None:
    with st.container(border=True):
        st.subheader(shared.md(persona.name), anchor=False)
        facts = st.columns(2)
        facts[0].metric("Share", views.percent(persona.share))
        facts[1].metric(
            "Interactions" if persona_set.kind == "interactions" else "Rows",
            views.compact(persona.size),
            help=views.size_text(persona_set, persona.size),
        )
        if persona.demographics:
            st.markdown(
                "  \n".join(f"**{shared.md(name)}:** {shared.md(value)}" for name, value in persona.demographics.items())
            )
        if persona.traits:
            st.markdown("**What sets them apart**")
            st.markdown("\n".join(f"- {shared.md(t.text)}" for t in persona.traits[:5]))
        elif persona.interests:
            st.markdown("**Interests**")
            st.markdown(
                "\n".join(
                    f"- {shared.md(i.label or i.item)}" + (f" ({shared.md(i.topic)})" if i.topic else "")
                    for i in persona.interests[:5]
                )
            )
        if persona.traits or persona.interests:
            st.altair_chart(charts.persona_profile(persona), width="stretch")
        if persona.explanation:
            st.caption(shared.md(persona.explanation))


personas = persona_set.personas
for start in range(0, len(personas), 3):
    columns = st.columns(3)
    for column, persona in zip(columns, personas[start : start + 3]):
        with column:
            card(persona)

"""The Personas page's state: the user's edits to persona sets, and the cached exports.

Edits (a new name or narrative, hidden traits, order, which personas to export) are kept in
session state, one edited :class:`PersonaSet` per *source*: a run (its ``app_shared.run_key``) or
a persona file the user loaded. A set is stored only once it is edited, so the stored sets are
exactly the user's work; moving to another page, dataset, method or k never drops it, and the page
says when edits are kept for a run other than the one shown. The edit functions are pure (set in,
new set out) so that they can be tested without Streamlit.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pandas as pd
import streamlit as st

import app_shared as shared
from persona_lab import charts
from persona_lab.errors import PersonaLabError
from persona_lab.export import manifest_json
from persona_lab.export.markdown import markdown_text
from persona_lab.export.pdf import ReportContext, pdf_bytes
from persona_lab.export.pptx import pptx_bytes
from persona_lab.export.tables import assignments_frame, csv_text
from persona_lab.personas.model import PersonaSet
from persona_lab.personas.privacy import MIN_SIZE

EDITS = "pe_edits"  # {source key: edited PersonaSet}
LOADED = "pe_loaded"  # the source key of the persona file being worked on, or None (the run)
LOADED_DIGEST = "pe_loaded_digest"  # SHA-256 of the last upload read, so a rerun does not reload it
PROBLEM = "pe_problem"  # why the last upload or edit was refused, for the page to show
MIN_ROWS = "pe_min_size"  # the minimum segment size: smaller personas are withheld from exports


def init_state() -> None:
    for key, value in ((EDITS, {}), (LOADED, None), (LOADED_DIGEST, None), (PROBLEM, None), (MIN_ROWS, MIN_SIZE)):
        st.session_state.setdefault(key, value)


# -- edits: pure functions on persona sets -------------------------------------------------------


def _with_persona(ps: PersonaSet, persona_id: int, **changes) -> PersonaSet:
    return replace(ps, personas=[replace(p, **changes) if p.id == persona_id else p for p in ps.personas])


def renamed(ps: PersonaSet, persona_id: int, name: str) -> PersonaSet:
    name = " ".join(str(name).split())
    if not name:
        raise PersonaLabError("A persona needs a name", where="persona name", fix="Type a name")
    return _with_persona(ps, persona_id, name=name)


def with_narrative(ps: PersonaSet, persona_id: int, narrative: str) -> PersonaSet:
    return _with_persona(ps, persona_id, narrative=str(narrative).strip())


def with_hidden_traits(ps: PersonaSet, persona_id: int, hidden: set[int]) -> PersonaSet:
    """Hide the traits at positions ``hidden`` (and show every other trait)."""
    persona = next(p for p in ps.personas if p.id == persona_id)
    traits = [replace(t, hidden=i in hidden) for i, t in enumerate(persona.traits)]
    return _with_persona(ps, persona_id, traits=traits)


def with_included(ps: PersonaSet, persona_id: int, include: bool) -> PersonaSet:
    return _with_persona(ps, persona_id, include=bool(include))


def moved(ps: PersonaSet, persona_id: int, step: int) -> PersonaSet:
    """The persona moved ``step`` places (-1: one up), clamped at both ends."""
    order = list(ps.personas)
    i = next(i for i, p in enumerate(order) if p.id == persona_id)
    j = min(max(i + step, 0), len(order) - 1)
    order.insert(j, order.pop(i))
    return replace(ps, personas=order)


def with_stability(ps: PersonaSet, survival: dict[int, float]) -> PersonaSet:
    """Each persona's share of resamples recovering it, where the assessment has one."""
    return replace(ps, personas=[replace(p, stability=survival.get(p.id, p.stability)) for p in ps.personas])


# -- state --------------------------------------------------------------------------------------


def run_source(run_key: tuple) -> tuple:
    return ("run", run_key)


def current(source: tuple, original: PersonaSet) -> PersonaSet:
    """The user's edited set for ``source``, or ``original`` while it has no edits."""
    return st.session_state[EDITS].get(source, original)


def edit(source: tuple, original: PersonaSet, change, *args) -> None:
    """Apply ``change(set, *args)`` to the set of ``source`` and keep the result; a refused edit
    (an empty name) is kept as a message for the page."""
    try:
        st.session_state[EDITS][source] = change(current(source, original), *args)
        st.session_state[PROBLEM] = None
    except PersonaLabError as exc:
        st.session_state[PROBLEM] = exc.one_line()


def discard(source: tuple) -> None:
    st.session_state[EDITS].pop(source, None)
    st.session_state[LOADED_DIGEST] = None  # the same file may be loaded again


def other_edited(source: tuple) -> list[PersonaSet]:
    """Edited sets of runs other than ``source``: kept, and worth a word on the page."""
    return [ps for key, ps in st.session_state[EDITS].items() if key != source and key[0] == "run"]


def load_upload(raw: bytes, run_source_key: tuple | None, run_set: PersonaSet | None) -> bool:
    """Read an uploaded persona file and make it the set being edited; True when it was new.

    A file saved from the same run (same manifest) continues that run's edits, with assignments
    and stability; any other file is worked on as a file. A bad file leaves everything as it was
    and keeps the message for the page."""
    digest = hashlib.sha256(raw).hexdigest()
    if st.session_state[LOADED_DIGEST] == digest:
        return False
    st.session_state[LOADED_DIGEST] = digest
    try:
        ps = PersonaSet.from_json(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        st.session_state[PROBLEM] = "The persona file is not UTF-8 text: load a personas.json written by Persona Lab"
        return True
    except PersonaLabError as exc:
        st.session_state[PROBLEM] = exc.one_line()
        return True
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        st.session_state[PROBLEM] = f"The persona file is malformed ({exc}): load a personas.json written by Persona Lab"
        return True
    st.session_state[PROBLEM] = None
    if run_set is not None and _same_run(ps, run_set):
        st.session_state[EDITS][run_source_key] = ps
        st.session_state[LOADED] = None
    else:
        source = ("file", digest)
        st.session_state[EDITS][source] = ps
        st.session_state[LOADED] = source
    return True


def _same_run(a: PersonaSet, b: PersonaSet) -> bool:
    keys = ("data_fingerprint", "method", "parameters", "k_requested", "seed", "preparation", "roles")
    return (a.method, a.k) == (b.method, b.k) and all(a.manifest.get(k) == b.manifest.get(k) for k in keys) \
        and sorted(p.id for p in a.personas) == sorted(p.id for p in b.personas)


def descriptor_frame(ps: PersonaSet) -> pd.DataFrame:
    """One row per persona and descriptor: its value with the 95% interval against everybody."""
    rows = [{"persona": p.name, "descriptor": d.feature if d.level is None else f"{d.feature} = {d.level}",
             "persona value": d.value, "95% CI low": d.ci_low, "95% CI high": d.ci_high,
             "everybody": d.population, "q (BH)": d.q_value, "significant": d.significant}
            for p in ps.personas for d in p.descriptors]
    return pd.DataFrame(rows)


# -- the assessment of k, when the Number of personas page made one --------------------------------


def assessment(loaded, method: str, k: int, seed: int):
    """(survival by persona id, how k was chosen, k-selection charts) from the stability
    assessment of the Number of personas page for this dataset, method and seed, if one was run
    with its current settings; empty otherwise. Nothing is computed here."""
    low, high = st.session_state["nk_range"]
    min_share = float(st.session_state["nk_min_share"]) / 100 or None
    key = shared.selection_key(loaded, method, tuple(range(int(low), int(high) + 1)), seed, min_share)
    selection = shared.cached_selection(key) if low < high else None
    return assessment_of(selection, k)


def assessment_of(selection, k: int) -> tuple[dict[int, float], str | None, tuple[tuple[str, str], ...]]:
    """(survival by persona id, how k was chosen, k-selection charts as Vega-Lite JSON) from a
    :class:`persona_lab.assess.select.Selection`, or nothing without one."""
    if selection is None:
        return {}, None, ()
    survival = {}
    if selection.recommended_k == k:
        choice = f"Stability assessment: {selection.statement}"
        if selection.survival is not None:  # measured at the recommended k only
            survival = {int(r.persona_id): float(r.survival) for r in selection.survival.itertuples()
                        if r.survival == r.survival}  # NaN: never resampled
    else:
        choice = f"k = {k} chosen by hand; the stability assessment recommends {selection.headline}"
    figures = []
    if selection.curves is not None and not selection.curves.table.empty:
        labels = {c: shared.criterion_label(c) for c in selection.curves.table["criterion"].unique()}
        figures.append(("Criteria over k", charts.criterion_curve(selection.curves.table, selection.curves.picks, labels)))
    p = selection.p_k_hat()
    if not p.empty:
        names = {c: ("Vote" if c == "vote" else shared.criterion_label(c)) for c in p["criterion"].unique()}
        figures.append(("P(k_hat = k) over resamples", charts.k_hat_heatmap(p, names)))
    return survival, choice, tuple((title, chart.to_json()) for title, chart in figures)


# -- exports, cached on the set's own JSON (edits change it) --------------------------------------


def set_key(ps: PersonaSet) -> str:
    return hashlib.sha256(ps.to_json().encode("utf-8")).hexdigest()


@st.cache_data(max_entries=8, show_spinner="Writing the PDF…")
def export_pdf(key: str, context: ReportContext, _persona_set: PersonaSet) -> bytes:
    return pdf_bytes(_persona_set, context)


@st.cache_data(max_entries=8, show_spinner="Writing the PowerPoint…")
def export_pptx(key: str, context: ReportContext, _persona_set: PersonaSet) -> bytes:
    return pptx_bytes(_persona_set, context)


@st.cache_data(max_entries=8, show_spinner=False)
def export_json(key: str, _persona_set: PersonaSet) -> str:
    return _persona_set.to_json()


@st.cache_data(max_entries=8, show_spinner=False)
def export_markdown(key: str, _persona_set: PersonaSet) -> str:
    return markdown_text(_persona_set)


@st.cache_data(max_entries=8, show_spinner=False)
def export_manifest(key: str, _persona_set: PersonaSet) -> str:
    return manifest_json(_persona_set.manifest)


@st.cache_data(max_entries=8, show_spinner=False)
def export_assignments(key: str, _run, _persona_set: PersonaSet) -> str:
    frame = assignments_frame(_run.prepared.row_labels, _run.method.labels_, _run.method.memberships_, _persona_set)
    return csv_text(frame)

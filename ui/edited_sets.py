"""The Personas page's session: the user's edited persona sets, a loaded persona file, and how k
was chosen.

Edits (a new name or narrative, hidden traits, order, which personas to export) are kept in
session state, one edited :class:`PersonaSet` per *source*: a run (its :func:`ui.runs.run_key`)
or a persona file the user loaded. A set is stored only once it is edited, so the stored sets are
exactly the user's work; moving to another page, dataset, method or k never drops it, and the page
says when edits are kept for a run other than the one shown. The edits themselves are pure
functions of :mod:`persona_lab.personas.edits`; the keys are declared in :mod:`ui.state`.
"""

from __future__ import annotations

import hashlib

import streamlit as st

from persona_lab import charts
from persona_lab.assess.criteria import label as criterion_label
from persona_lab.assess.select import RULE, RULE_LABEL
from persona_lab.errors import PersonaLabError
from persona_lab.export.pdf import k_choice
from persona_lab.personas.model import PersonaSet
from ui import analyses
from ui.state import EDITS, LOADED, LOADED_DIGEST, PROBLEM


def run_source(run_key: tuple) -> tuple:
    return ("run", run_key)


def current(source: tuple, original: PersonaSet) -> PersonaSet:
    """The user's edited set for ``source``, or ``original`` while it has no edits."""
    return st.session_state[EDITS].get(source, original)


def of_run(run_key: tuple, original: PersonaSet) -> PersonaSet:
    """The personas of the run of ``run_key`` as the user edited them on the Personas page (its
    ``original`` set while unedited): the other pages' exports name them as the user did."""
    return current(run_source(run_key), original)


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


def set_key(ps: PersonaSet) -> str:
    """What the exports of ``ps`` are cached on: its own JSON (edits change it)."""
    return hashlib.sha256(ps.to_json().encode("utf-8")).hexdigest()


# -- the assessment of k, when the Number of personas page made one --------------------------------


def assessment(loaded, method: str, k: int, seed: int):
    """(survival by persona id, how k was chosen, k-selection charts) from the stability
    assessment of the Number of personas page for this dataset, method and seed, if one was run
    with its current settings; empty otherwise. Nothing is computed here."""
    return assessment_of(analyses.page_selection(loaded, method, seed), k)


def assessment_of(selection, k: int) -> tuple[dict[int, float], str | None, tuple[tuple[str, str], ...]]:
    """(survival by persona id, how k was chosen, k-selection charts as Vega-Lite JSON) from a
    :class:`persona_lab.assess.select.Selection`, or nothing without one."""
    if selection is None:
        return {}, None, ()
    survival = {}
    choice = k_choice(selection, k)
    if selection.recommended_k == k and selection.survival is not None:  # measured at the recommended k only
        survival = {int(r.persona_id): float(r.survival) for r in selection.survival.itertuples()
                    if r.survival == r.survival}  # NaN: never resampled
    figures = []
    if selection.curves is not None and not selection.curves.table.empty:
        labels = {c: criterion_label(c) for c in selection.curves.table["criterion"].unique()}
        figures.append(("Criteria over k", charts.criterion_curve(selection.curves.table, selection.curves.picks, labels)))
    p = selection.p_k_hat()
    if not p.empty:
        names = {c: (RULE_LABEL if c == RULE else criterion_label(c)) for c in p["criterion"].unique()}
        figures.append(("P(k_hat = k) over resamples", charts.k_hat_heatmap(p, names)))
    return survival, choice, tuple((title, chart.to_json()) for title, chart in figures)

"""How the app shows things: user text as literal markdown, errors, progress bars, and cards,
tables and numbers as people read them.

State is in :mod:`ui.state`, the cached calls in :mod:`ui.runs`; this module turns results into
widgets and frames.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

import altair as alt
import pandas as pd
import streamlit as st

from persona_lab import charts, embed, pipeline
from persona_lab.agreement import align_labels, matched_contingency
from persona_lab.errors import PersonaLabError
from persona_lab.methods import get_method, parse_value
from persona_lab.personas.model import Persona, PersonaSet
from persona_lab.personas.privacy import flag_small, is_small, small_note
from ui import runs
from ui.state import MIN_ROWS, method_label

# -- showing user text, errors and progress --------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:=])")


def md(text: object) -> str:
    """``text`` as literal markdown: every character markdown (or Streamlit's directives,
    emoji shortcodes and LaTeX) would interpret is backslash-escaped. Use for any user-supplied
    string (file, column, persona names, cell values) shown in markdown-rendering elements."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def show_error(message: str) -> None:
    st.error(md(message), icon=":material/error:")


def progress_reporter(text: str) -> tuple[runs.Progress, Callable[[], None]]:
    """(callback, done): a progress bar, drawn on the first report and removed when done.

    Nothing is drawn when the result comes from the cache."""
    placeholder = st.empty()

    def report(fraction: float, message: str) -> None:
        placeholder.progress(min(max(float(fraction), 0.0), 1.0), text=f"{text}: {message}")

    return report, placeholder.empty


# -- tables of parameters and comparisons ------------------------------------------------------------
def parameter_table(methods: tuple, overrides: dict[str, dict]) -> pd.DataFrame:
    """One row per parameter of each method: its default and the value in force (as text)."""
    rows = []
    for name in methods:
        for parameter, default in get_method(name).get_params().items():
            value = overrides.get(name, {}).get(parameter, default)
            rows.append((name, parameter, str(default), str(value)))
    return pd.DataFrame(rows, columns=["method", "parameter", "default", "value"])


def parameters_from(table: pd.DataFrame) -> tuple[dict[str, dict], list[str]]:
    """The overrides in an edited parameter table, and a message for each value a method refuses."""
    params: dict[str, dict] = {}
    for row in table.itertuples():
        if str(row.value).strip() != row.default:
            params.setdefault(row.method, {})[row.parameter] = parse_value(str(row.value).strip())
    problems = []
    for name, values in params.items():
        try:
            get_method(name, **values)._validate_params()
        except (PersonaLabError, TypeError, ValueError) as exc:
            message = exc.one_line() if isinstance(exc, PersonaLabError) else str(exc)
            problems.append(f"{method_label(name)}: {message}")
    return params, problems


def comparison_table(result) -> pd.DataFrame:
    """One row per compared method: segments, run time, common-space quality, notes."""
    rows = []
    for r in result.results:
        total = sum(r.sizes) + r.unassigned
        rows.append({
            "method": r.label,
            "segments": r.n_segments if r.error is None else None,
            "seconds": round(r.runtime_s, 2) if r.error is None else None,
            "silhouette": r.quality.get("silhouette"),
            "Calinski-Harabasz": r.quality.get("calinski_harabasz"),
            "Davies-Bouldin": r.quality.get("davies_bouldin"),
            "smallest segment": f"{min(r.sizes) / total:.1%}" if r.sizes and total else None,
            "unassigned": f"{r.unassigned / total:.1%}" if total else None,
            "notes": "; ".join(r.notes) if r.error is None else r.error,
        })
    return pd.DataFrame(rows).round(3)


# -- persona cards side by side ------------------------------------------------------------------


def persona_brief(persona: Persona, persona_set: PersonaSet) -> None:
    """A small card: name, share, size, demographics and the top three traits or interests; a
    segment below the minimum size only its size and a flag."""
    with st.container(border=True):
        small = is_small(persona, min_size())
        st.markdown(f"{':material/lock: ' if small else ''}**{md(persona.name)}**")
        st.caption(
            f"{percent(persona.share)} · {size_text(persona_set, persona.size)}"
            + ("  \n" + md(", ".join(persona.demographics.values())) if persona.demographics and not small else "")
        )
        if small:
            st.caption(f"Below the minimum segment size ({min_size():,}): not a persona, withheld from the exports.")
        elif persona.traits or persona.interests:
            st.altair_chart(charts.persona_profile(persona, n=3), width="stretch")


# -- small segments: the exports' minimum size, wherever personas show --------------------------------


def min_size() -> int:
    """The minimum segment size the exports use (set on the Personas page)."""
    return int(st.session_state[MIN_ROWS])


def flagged(persona_set: PersonaSet) -> PersonaSet:
    """``persona_set`` with its segments below the minimum size shown as small segments."""
    return flag_small(persona_set, min_size())


def small_segments_note(persona_set: PersonaSet, where: str = "") -> None:
    """A warning naming the segments below the minimum size, if any (``where``: whose they are)."""
    note = small_note(persona_set, min_size())
    if note:
        st.warning(md(f"{where}: {note}" if where else note), icon=":material/lock:")


def distinct_pair(a: int | None, b: int | None, solutions: list) -> tuple[int, int]:
    """The two column positions "Who goes where" compares: the stored ones within the columns
    there are, and where they would show one solution against itself (a diagonal), the second
    moved to the last column holding another solution."""
    count = len(solutions)
    a = min(0 if a is None else int(a), count - 1)
    b = min(count - 1 if b is None else int(b), count - 1)
    if solutions[a] == solutions[b]:
        others = [i for i in range(count) if solutions[i] != solutions[a]]
        if others:
            b = others[-1]
    return a, b


def side_by_side(run_a: pipeline.PersonaRun, run_b: pipeline.PersonaRun, name_a: str, name_b: str) -> None:
    """Two solutions' personas in two columns, matched row by row, then who goes where."""
    run_a, run_b = (replace(r, personas=flagged(r.personas)) for r in (run_a, run_b))
    alignment = align_runs(run_a, run_b)
    heads = st.columns(2)
    heads[0].subheader(name_a)
    heads[1].subheader(name_b)
    for persona_a, persona_b in alignment.rows:
        left, right = st.columns(2)
        with left:
            if persona_a is not None:
                persona_brief(persona_a, run_a.personas)
        with right:
            if persona_b is not None:
                persona_brief(persona_b, run_b.personas)
    st.subheader("Who goes where")
    unit = "Demographic groups" if run_a.personas.kind == "interactions" else "Rows"
    st.caption(f"{unit} shared by each persona of {md(name_a)} (rows) and of {md(name_b)} (columns).")
    st.altair_chart(charts.contingency_heatmap(alignment.table, name_a, name_b), width="stretch")
    st.dataframe(alignment.table.rename_axis(index=name_a, columns=name_b), width="stretch")


# -- derived views of a run (cached on the run's key) -------------------------------------------


def personas_table(persona_set: PersonaSet, min_rows: int = 0) -> pd.DataFrame:
    """One row per persona: name, share (%), size and demographics, for st.dataframe; a segment
    below ``min_rows`` flagged (its name is already that of a small segment: :func:`flagged`)."""
    return pd.DataFrame(
        {
            "persona": [p.name for p in persona_set.personas],
            "flag": ["🔒 too small: withheld from the exports" if is_small(p, min_rows) else ""
                     for p in persona_set.personas],
            "share": [100 * p.share for p in persona_set.personas],
            "size": [round(p.size, 0 if persona_set.kind == "interactions" else 1) for p in persona_set.personas],
            "demographics": [", ".join(f"{persona_set.dictionary.label(k)}: {v}" for k, v in p.demographics.items())
                             for p in persona_set.personas],
        }
    )


@dataclass(frozen=True)
class Alignment:
    """The second solution's personas re-identified by their match in the first."""

    rows: list[tuple[Persona | None, Persona | None]]  # (persona of A, its match in B), row by row
    table: pd.DataFrame  # contingency table with persona names (A rows x B columns)


def skeleton_attributes(persona_set: PersonaSet) -> list[str]:
    """The demographic attributes of APG personas' skeletons (groups are defined by them), to
    colour or filter personas by; none for an entity table (its demographics are summaries)."""
    if persona_set.kind != "interactions":
        return []
    return list(dict.fromkeys(c for p in persona_set.personas for c in p.demographics))


#: The Map's colouring by persona (the other choices are skeleton attributes).
BY_PERSONA = "persona"


def skeleton_values(persona_set: PersonaSet, attribute: str) -> dict[int, str] | None:
    """Each persona's value of ``attribute`` (None when colouring by persona, or an attribute the
    personas do not have)."""
    if attribute not in skeleton_attributes(persona_set):
        return None
    return {p.id: p.demographics.get(attribute, "(none)") for p in persona_set.personas}


#: Beyond this many personas in a column, Compare k matches personas in a table, not cards.
CARDS_SIDE_BY_SIDE = 12
#: Beyond this many personas at one k, the lineage follows one persona at a time.
LINEAGE_NODES = 16
#: Beyond this many personas on a side, "Who goes where" shows one row persona at a time.
HEATMAP_SIDE = 20


def matched_table(order: list[int], by_identity: list[dict[int, Persona]], names: list[str]) -> pd.DataFrame:
    """One row per matched persona: its name and share in each solution (blank where it has no
    match there)."""
    rows = []
    for identity in order:
        row = {}
        for name, personas in zip(names, by_identity):
            persona = personas.get(identity)
            row[name] = persona.name if persona else ""
            row[f"{name}: share"] = round(100 * persona.share, 1) if persona else None
        rows.append(row)
    return pd.DataFrame(rows)


def focused_contingency(table: pd.DataFrame, row: str) -> pd.DataFrame:
    """The row persona's line of a contingency table, with the columns it shares rows with."""
    line = table.loc[[row]]
    return line.loc[:, line.iloc[0] > 0]


def align_runs(a: pipeline.PersonaRun, b: pipeline.PersonaRun) -> Alignment:
    """Pair each persona of ``a`` with the persona of ``b`` sharing most rows (agreement.py's
    one-to-one matching); ``b``'s personas take their partner's id, and so its colour."""
    aligned = align_labels(a.labels, b.labels)
    new_id = {int(old): int(new) for old, new in zip(b.labels, aligned)}
    b_by_new = {new_id[p.id]: replace(p, id=new_id[p.id]) for p in b.personas.personas if p.id in new_id}
    rows: list[tuple[Persona | None, Persona | None]] = []
    for persona in a.personas.personas:
        rows.append((persona, b_by_new.pop(persona.id, None)))
    for persona in sorted(b_by_new.values(), key=lambda p: -p.share):
        rows.append((None, persona))
    table = matched_contingency(a.labels, b.labels)
    a_names = {p.id: p.name for p in a.personas.personas} | {-1: "unassigned"}
    b_names = {p.id: p.name for p in b.personas.personas} | {-1: "unassigned"}
    table = table.rename(index=lambda i: a_names.get(int(i), str(i)), columns=lambda j: b_names.get(int(j), str(j)))
    return Alignment(rows, table)


#: Row colours of the Jaccard bands (fpc clusterboot's reading), light enough for dark text.
BAND_COLOURS = {"unstable": "#f8d7da", "doubtful": "#fff3cd", "stable": "#d1e7dd", "highly stable": "#a3cfbb"}


def survival_styled(table: pd.DataFrame):
    """The survival table with each row coloured by its Jaccard band."""
    return table.style.apply(
        lambda row: [f"background-color: {BAND_COLOURS.get(row['band'], '')}"] * len(row), axis=1
    ).format({"jaccard": "{:.2f}"})


def table_height(n_rows: int, limit: int = 640) -> int:
    """Pixel height showing ``n_rows`` rows of a st.dataframe (and its header) without scrolling."""
    return min(35 * (n_rows + 1) + 3, limit)


def compact(number: float) -> str:
    """12,345 -> 12.3k; 2,500,000 -> 2.5M."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(number) >= limit:
            return f"{number / limit:.3g}{suffix}"
    return f"{number:.3g}" if number != int(number) else f"{int(number)}"


def percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def size_text(persona_set: PersonaSet, size: float) -> str:
    unit = "interactions" if persona_set.kind == "interactions" else "rows"
    return f"{size:,.0f} {unit}"


# -- maps ---------------------------------------------------------------------------------------------


def drawn_frame(run_key: tuple, run: pipeline.PersonaRun, embedding: embed.Embedding, seed: int) -> tuple[pd.DataFrame, list]:
    """(x, y, row id and a few key values of each drawn row, their tooltips). Key values get
    plain field names: column names are user text, and Vega reads dots and brackets in a field."""
    rows = embed.drawn_rows(len(embedding.coords), seed)
    prepared = run.prepared
    frame = pd.DataFrame({"x": embedding.coords[rows, 0], "y": embedding.coords[rows, 1],
                          "row": [str(prepared.row_labels[i]) for i in rows]})
    tooltips: list = [alt.Tooltip("row:N", title="group" if prepared.kind == "interactions" else "row")]
    details = runs.row_details(run_key, int(seed), run, rows)  # the drawn rows follow from the data and seed
    for i, column in enumerate(details.columns):
        frame[f"value_{i}"] = details[column].to_numpy()
        tooltips.append(alt.Tooltip(f"value_{i}:N", title=str(column)))
    return frame.set_index(pd.Index(rows, name="index")), tooltips


def descriptor_frame(ps: PersonaSet) -> pd.DataFrame:
    """One row per persona and descriptor: its value with the 95% interval against everybody."""
    rows = [{"persona": p.name, "descriptor": d.title + (f" ({d.unit})" if d.unit and d.kind == "numeric" else ""),
             "persona value": d.value, "95% CI low": d.ci_low, "95% CI high": d.ci_high,
             "everybody": d.population, "q (BH)": d.q_value, "significant": d.significant}
            for p in ps.personas for d in p.descriptors]
    return pd.DataFrame(rows)

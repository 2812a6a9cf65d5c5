"""Persona sets as a PDF: a cover page, one card page per included persona, then an appendix.

The cover says what was segmented and how (dataset, method, k, seed, how k was chosen); each
card is one A4 page laid out to fit (face, name, share, stability, demographics, story, the
persona's chart, quotes, why); the appendix holds how the personas were made as tables (method,
settings, stability, data fingerprint), the descriptor profiles and the
charts of the choice of k. A persona's chart is drawn as vector bars and text from the data the
app's chart shows (a report of 100 personas renders nothing: issue 17); the charts of the choice
of k are the app's own Altair charts rendered by vl-convert.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

from .. import charts
from ..data.dictionary import DataDictionary
from ..errors import PersonaLabError
from ..personas.model import Persona, PersonaSet
from ..personas.overview import LIFT_NOTE, apart, distinctive_text, skeleton
from ..personas.prevalence import prevalence_phrase
from ..personas.privacy import withheld_note
from ..personas.traits import traits_note
from . import layout as L
from .atomic import atomic_write
from .included import identity, included

#: A report stays readable whatever the width of the data (a table of 5,000 columns would make
#: thousands of appendix pages): the rest is in manifest.json, written beside the PDF.
STEPS_SHOWN = 40


@dataclass(frozen=True)
class ReportContext:
    """What a persona set does not hold itself: how k was chosen, and the charts behind it.

    ``k_charts`` are (title, Vega-Lite JSON) pairs, e.g. ``chart.to_json()`` of the app's
    criterion curves and P(k_hat = k) heatmap: text, so that a context can be a cache key."""

    k_choice: str | None = None
    k_charts: tuple[tuple[str, str], ...] = ()


def k_choice(selection, k: int) -> str:
    """How k was chosen, in words a client can follow, from a stability assessment
    (:class:`persona_lab.assess.select.Selection`): the assessment's own statement when ``k`` is its
    recommendation; for a k chosen by hand, what the recommendation means, how often resamples
    picked this k (P(k_hat = k)) and why one may still choose it."""
    if selection.recommended_k == k:
        return f"Stability assessment: {selection.statement}"
    runs = f"{selection.resamples} resample{'' if selection.resamples == 1 else 's'}"
    p_k = float(selection.k_distribution.get(k, 0.0))
    stable = k in selection.stable
    return (
        f"k = {k} chosen by hand. The stability assessment recommends {selection.headline}: the number of "
        "personas that reappears most reliably when the data are resampled and beats structure-free data, "
        f"a floor for how many personas the data support rather than a ceiling. "
        f"k = {k} itself was the answer on {p_k:.0%} of {runs} (P(k_hat = {k})) and is "
        + ("more stable than structure-free data. " if stable else "not more stable than structure-free data. ")
        + "One may choose more personas than recommended for finer detail a team can act on; its personas are then "
        "less reproducible: read each one's stability before relying on it."
    )


def pdf_bytes(persona_set: PersonaSet, context: ReportContext | None = None) -> bytes:
    """The PDF report of the included personas of ``persona_set`` as bytes."""
    context = context or ReportContext()
    shown = included(persona_set)
    pdf = _new_document(shown, context)
    _cover(pdf, shown, len(persona_set.personas), context)
    for index, persona in enumerate(shown.personas):
        _card(pdf, shown, persona, index)
    _appendix(pdf, shown, context)
    return bytes(pdf.output())


def write_pdf(persona_set: PersonaSet, path: str | os.PathLike, context: ReportContext | None = None) -> Path:
    """Write the PDF report to ``path`` (atomically) and return the path."""
    return atomic_write(path, pdf_bytes(persona_set, context))


def app_colour(persona: Persona) -> tuple[int, int, int]:
    """The persona's colour in the app's charts."""
    return L.hex_rgb(charts.persona_colors([persona.id])[persona.id])


def persona_colour(persona: Persona) -> tuple[int, int, int]:
    """The persona's colour in the app's charts, darkened so white text on it stays legible."""
    return L.mix(app_colour(persona), L.INK, 0.3)


class _Document(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_draw_color(*L.RULE)
        self.line(L.MARGIN, self.h - 14, self.w - L.MARGIN, self.h - 14)
        self.set_xy(L.MARGIN, self.h - 12)
        L.cell(self, self.epw - 24, 4, self.footer_text, 8, L.MUTED)
        L.cell(self, 24, 4, f"{self.page_no()} / {{nb}}", 8, L.MUTED, align="R")


def _new_document(ps: PersonaSet, context: ReportContext) -> _Document:
    pdf = _Document(orientation="P", unit="mm", format="A4")
    L.add_fonts(pdf, ps.to_json() + (context.k_choice or ""))
    pdf.alias_nb_pages()  # the footer's "{nb}": the page count, known once the appendix is laid out
    pdf.set_margins(L.MARGIN, L.MARGIN, L.MARGIN)
    # Cards are laid out to fit; an automatic break would silently add pages.
    pdf.set_auto_page_break(False)
    version = ps.manifest.get("package_version")
    pdf.footer_text = " · ".join(x for x in (f"Persona Lab {version or ''}".strip(), ps.dataset) if x)
    pdf.set_title(L.clean(f"Personas: {ps.dataset}" if ps.dataset else "Personas"))
    pdf.set_creator("Persona Lab")
    pdf.set_subject(L.clean(f"{_count(ps)} ({ps.method})"))
    date = _creation_date()
    if date is not None:
        pdf.set_creation_date(date)
    return pdf


def _creation_date() -> datetime | None:
    # reproducible-builds.org: a fixed date makes reruns byte-identical.
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc)
    except (ValueError, OverflowError, OSError) as exc:
        raise PersonaLabError(f"SOURCE_DATE_EPOCH={value!r} is not a number of seconds since 1970",
                              where="environment", fix="Set it to an integer or unset it") from exc


# --- cover -----------------------------------------------------------------------------------


def _cover(pdf: _Document, ps: PersonaSet, total: int, context: ReportContext) -> None:
    pdf.add_page()
    pdf.set_fill_color(*L.COVER)
    pdf.rect(0, 0, pdf.w, 92, style="F")
    L.text_at(pdf, L.MARGIN, 34, "Personas", 36, L.WHITE, bold=True)
    if ps.dataset:
        L.text_at(pdf, L.MARGIN, 52, ps.dataset, 14, L.WHITE)
    L.text_at(pdf, L.MARGIN, 62, f"{_count(ps)} · {ps.method} · k = {ps.k}", 11, L.mix(L.COVER, L.WHITE, 0.7))

    pdf.set_y(104)
    L.heading(pdf, "Summary", L.INK)
    rows = [("Dataset", ps.dataset or "—"), ("Method", ps.method), ("k", str(ps.k)),
            ("Seed", str(ps.manifest.get("seed", "—")))]
    if context.k_choice:
        rows.append(("How k was chosen", context.k_choice))
    rows.append(("Personas", str(len(ps.personas)) if total == len(ps.personas)
                 else f"{len(ps.personas)} of {total} exported"))
    if withheld_note(ps):
        rows.append(("Withheld", withheld_note(ps)))
    if ps.unassigned:
        share, size = ps.unassigned.get("share", 0.0), ps.unassigned.get("size", 0.0)
        rows.append(("Unassigned", f"{L.percent(share)} ({size:,.0f} {_unit(ps)})"))
    rows.append(("Persona Lab version", str(ps.manifest.get("package_version", "—"))))
    _table(pdf, rows, max_lines=12)  # a hand-chosen k's explanation is a paragraph

    pdf.ln(8)
    _index(pdf, ps)


#: The index's columns (mm): number, name, skeleton, share bar, share, what sets it apart (the rest).
INDEX_COLUMNS = (9.0, 42.0, 46.0, 18.0, 13.0)
INDEX_ROW = 6.0


def _index(pdf: _Document, ps: PersonaSet) -> None:
    """Every persona on one line, numbered as its card ("PERSONA 3 OF 100"), flowing onto as
    many pages as it needs: no persona is left out of the overview, whatever k."""
    L.heading(pdf, "Index of personas", L.INK)
    top = max([p.share for p in ps.personas if math.isfinite(p.share)], default=0.0)
    lead_w = pdf.epw - sum(INDEX_COLUMNS)
    extra = []
    if ps.unassigned:
        extra.append(("Unassigned", ps.unassigned.get("share", 0.0)))
    if ps.withheld:
        extra.append(("Withheld (privacy)", ps.withheld.get("share", 0.0)))
    for number, persona in enumerate(ps.personas, start=1):
        if L.room(pdf) < INDEX_ROW:
            pdf.add_page()
            L.heading(pdf, "Index of personas (continued)", L.INK)
        y = pdf.get_y()
        share = persona.share if math.isfinite(persona.share) else 0.0
        pdf.set_x(L.MARGIN)
        L.cell(pdf, INDEX_COLUMNS[0], INDEX_ROW, str(number), 8, L.MUTED)
        L.cell(pdf, INDEX_COLUMNS[1], INDEX_ROW, persona.name, 9, L.INK, bold=True)
        L.cell(pdf, INDEX_COLUMNS[2], INDEX_ROW, skeleton(persona), 8, L.MUTED)
        x = L.MARGIN + sum(INDEX_COLUMNS[:3])
        pdf.set_fill_color(*persona_colour(persona))
        pdf.rect(x, y + INDEX_ROW / 2 - 1.5, max((INDEX_COLUMNS[3] - 2) * share / top if top > 0 else 0, 0.4), 3,
                 style="F")
        pdf.set_xy(x + INDEX_COLUMNS[3], y)
        L.cell(pdf, INDEX_COLUMNS[4], INDEX_ROW, L.percent(share), 8, L.INK, align="R")
        L.cell(pdf, lead_w, INDEX_ROW, ", ".join(apart(persona)), 8, L.MUTED)
        pdf.set_y(y + INDEX_ROW)
    for label, share in extra:
        pdf.set_x(L.MARGIN)
        L.cell(pdf, INDEX_COLUMNS[0] + INDEX_COLUMNS[1] + INDEX_COLUMNS[2] + INDEX_COLUMNS[3], INDEX_ROW, label, 9,
               L.MUTED)
        L.cell(pdf, INDEX_COLUMNS[4], INDEX_ROW, L.percent(share), 8, L.MUTED, align="R", newline=True)


def _table(pdf: _Document, rows: list[tuple[str, str]], label_w: float = 50, max_lines: int = 3) -> None:
    for label, value in rows:
        # Break before a row, not inside it: the row is drawn from its starting y, which an
        # automatic break in the middle would leave on the previous page.
        if L.room(pdf) < 3 * 7:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_x(L.MARGIN)
        L.cell(pdf, label_w, 7, label, 10, L.MUTED)
        # A long value (how k was chosen) wraps onto at most ``max_lines`` lines.
        pdf.set_xy(L.MARGIN + label_w, y + 1)
        L.paragraph(pdf, value, max_lines=max_lines, indent=label_w)
        pdf.set_y(max(pdf.get_y() + 1, y + 7))
        pdf.set_draw_color(*L.RULE)
        pdf.line(L.MARGIN, pdf.get_y(), pdf.w - L.MARGIN, pdf.get_y())


# --- one card per persona --------------------------------------------------------------------

HEADER, FACE = 52.0, 40.0


def _card(pdf: _Document, ps: PersonaSet, persona: Persona, index: int) -> None:
    colour = persona_colour(persona)
    pdf.add_page()
    pdf.set_y(_card_header(pdf, ps, persona, index, colour) + 6)
    facts = [(str(k), str(v)) for k, v in persona.demographics.items()]
    if facts:
        L.heading(pdf, "Profile", colour)
        L.fact_grid(pdf, facts, max_rows=2)
    if persona.prevalence is not None and persona.headline:
        L.caption(pdf, f"Matches {L.percent(persona.prevalence)} {prevalence_phrase(ps.kind)}; all of "
                       + "; ".join(persona.headline) + ".")
    if persona.distinctive:
        L.caption(pdf, f"Sets them apart: {distinctive_text(persona)} ({LIFT_NOTE}).")
    if persona.groups[1:]:
        L.caption(pdf, "Also strong in: " + ", ".join(f"{g.group} ({g.weight:.2f})" for g in persona.groups[1:4]))
    if persona.narrative.strip():
        L.heading(pdf, "Story", colour)
        L.paragraph(pdf, persona.narrative, max_lines=7)
    quotes = [q for q in persona.quotes if q.strip()][:3]
    reserve = (14 + 11 * len(quotes) if quotes else 0) + (14 + 3 * L.LINE if persona.explanation.strip() else 0)
    if persona.terms:
        reserve += 6
    _persona_chart(pdf, persona, colour, max_height=L.room(pdf) - reserve - 16)
    if persona.terms:
        L.cell(pdf, pdf.epw, L.LINE, "Distinctive words: " + ", ".join(persona.terms[:12]), 8, L.MUTED, newline=True)
    if quotes and L.room(pdf) > 20:
        L.heading(pdf, "In their own words", colour)
        for quote in quotes:
            L.paragraph(pdf, f"“{quote.strip()}”", max_lines=2, size=9, colour=L.MUTED, indent=4)
            pdf.ln(1)
    if persona.explanation.strip() and L.room(pdf) > 16:
        L.heading(pdf, "Why this persona", colour)
        L.paragraph(pdf, persona.explanation, max_lines=max(1, int((L.room(pdf) - 2) // L.LINE)), size=9)
    if not (facts or persona.narrative.strip() or persona.traits or persona.interests):
        L.caption(pdf, "No profile details were recorded for this persona.")


def _card_header(pdf: _Document, ps: PersonaSet, persona: Persona, index: int, colour) -> float:
    """The coloured band on top of a card: every line wraps (a long prevalence phrase or name is
    never cut mid-word), and the band grows when they need more than its usual height. Returns
    the band's bottom."""
    text_w = pdf.epw - FACE - 6
    soft = L.mix(colour, L.WHITE, 0.75)
    lines = [(f"PERSONA {index + 1} OF {len(ps.personas)}", 8, soft, True, 1),
             (persona.name, 22, L.WHITE, True, 2),
             (identity(persona), 11, L.WHITE, False, 2),
             (f"{L.percent(persona.share)} share · {persona.size:,.0f} {_unit(ps)}" + _matches(persona, ps), 10,
              L.WHITE, True, 3)]
    if persona.stability is not None:
        lines.append((f"Stability: recovered in {L.percent(persona.stability)} of resamples", 9, soft, False, 2))
    wrapped = [(L.wrap(pdf, text, text_w, size, bold, most), size, tint, bold) for text, size, tint, bold, most in lines]
    height = 9 + sum(len(w) * size * 0.45 + 1.2 for w, size, _, _ in wrapped if w) + 5
    band = max(HEADER, height + 4)
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, pdf.w, band, style="F")
    y = 9.0
    for texts, size, tint, bold in wrapped:
        for text in texts:
            L.text_at(pdf, L.MARGIN, y, text, size, tint, bold=bold, width=text_w)
            y += size * 0.45
        if texts:
            y += 1.2
    # A share meter: how big this persona is next to the whole population.
    meter_y = band - 8
    pdf.set_fill_color(*L.mix(colour, L.WHITE, 0.35))
    pdf.rect(L.MARGIN, meter_y, 60, 1.8, style="F")
    pdf.set_fill_color(*L.WHITE)
    share = persona.share if math.isfinite(persona.share) else 0.0
    pdf.rect(L.MARGIN, meter_y, 60 * min(max(share, 0.0), 1.0), 1.8, style="F")
    _face(pdf, persona.face, pdf.w - L.MARGIN - FACE, (HEADER - FACE) / 2)
    return band


def _face(pdf: _Document, svg: str, x: float, y: float) -> None:
    if not svg.strip():
        return
    pdf.set_fill_color(*L.WHITE)
    pdf.rect(x, y, FACE, FACE, style="F", round_corners=True, corner_radius=4)
    try:
        pdf.image(io.BytesIO(svg.encode("utf-8")), x=x + 1, y=y + 1, w=FACE - 2, h=FACE - 2)
    except Exception:  # noqa: BLE001 - a face is decoration: a broken SVG (a hand-edited file) leaves it blank
        return


def _persona_chart(pdf: _Document, persona: Persona, colour, max_height: float) -> None:
    if not (persona.traits or persona.interests) or max_height < 25:
        return
    if persona.traits:
        L.heading(pdf, "What sets them apart", colour)
        L.caption(pdf, "Standardised difference from everybody else (SD for numbers, Cohen's h for shares).")
    else:
        L.heading(pdf, "Interests", colour)
    # The app's colour, as the bars there, not the card's darkened one.
    L.profile_chart(pdf, persona, app_colour(persona),
                    max_height=max_height - 10 - (L.LINE if persona.traits else 0))
    hidden_by_n = max(len(persona.traits or persona.interests) - L.TOP_N, 0)
    if hidden_by_n:
        L.cell(pdf, pdf.epw, L.LINE, f"+{hidden_by_n} more not shown", 8, L.MUTED, newline=True)
    if persona.traits:
        L.cell(pdf, pdf.epw, L.LINE, traits_note(persona.traits), 7, L.MUTED, newline=True)


# --- appendix --------------------------------------------------------------------------------


def _appendix(pdf: _Document, ps: PersonaSet, context: ReportContext) -> None:
    """Flowing pages (unlike the cards): how the personas were made as readable tables (method,
    settings, stability, data fingerprint), descriptor tables, k-selection charts."""
    pdf.add_page()
    pdf.set_auto_page_break(True, margin=L.FOOTER_SPACE)
    L.text_at(pdf, L.MARGIN, L.MARGIN, "Appendix", 20, L.INK, bold=True)
    pdf.set_y(L.MARGIN + 12)
    for title, rows in method_sections(ps, context):
        L.heading(pdf, title, L.INK)
        _table(pdf, rows, label_w=46, max_lines=12)
    L.caption(pdf, "The complete record is manifest.json, beside this report; persona-lab personas --manifest "
                   "personas.json repeats this run and writes the same personas.json.")
    described = [p for p in ps.personas if p.descriptors]
    if described:
        L.heading(pdf, "Descriptor profiles", L.INK)
        L.caption(pdf, "Columns not used for segmenting: each persona's value with its 95% interval against "
                       "everybody; q is the Benjamini-Hochberg adjusted p-value, * marks q < 0.05.")
        for persona in described:
            _descriptor_table(pdf, persona)
    for title, spec in context.k_charts:
        height = min(L.chart_size(pdf, spec)[1], pdf.h - 2 * L.MARGIN - L.FOOTER_SPACE - 20)
        if L.room(pdf) < height + 16:
            pdf.add_page()
        L.heading(pdf, title, L.INK)
        L.chart(pdf, spec, max_height=height)
    pdf.set_auto_page_break(False)


def method_sections(ps: PersonaSet, context: ReportContext) -> list[tuple[str, list[tuple[str, str]]]]:
    """How the personas were made, as (section, rows of label and value) for a reader: the method
    and its settings, the preparation, the stability of k and of each persona, and the data's
    fingerprint. The PDF's appendix and the deck's method slide show the same."""
    manifest = ps.manifest
    parameters = manifest.get("parameters") or {}
    method = [("Method", str(manifest.get("method", ps.method)))]
    method += [(str(name), _setting(value)) for name, value in parameters.items()] or [("Parameters", "defaults")]
    method += [("k requested", str(manifest.get("k_requested", "—"))), ("Personas found", str(ps.k))]

    settings = [("Seed", str(manifest.get("seed", "—"))), ("How k was chosen", context.k_choice or "given by the user")]
    steps = [_labelled_step(str(step), ps.dictionary) for step in (manifest.get("preparation") or {}).get("steps", [])]
    if len(steps) > STEPS_SHOWN:
        steps = steps[:STEPS_SHOWN] + [f"… and {len(steps) - STEPS_SHOWN:,} more steps (all in manifest.json)"]
    settings += [("Preparation" if i == 0 else "", step) for i, step in enumerate(steps)]
    settings += [("Note" if i == 0 else "", str(note)) for i, note in enumerate(manifest.get("notes", []))]
    if withheld_note(ps):
        settings.append(("Minimum segment size", withheld_note(ps)))

    assessed = [p for p in ps.personas if p.stability is not None]
    stability = [(p.name, f"recovered in {L.percent(p.stability)} of resamples") for p in assessed[:STEPS_SHOWN]]
    if len(assessed) < len(ps.personas):
        stability.append(("Other personas" if assessed else "Personas",
                          "not assessed: run the stability assessment (Number of personas, or persona-lab "
                          "select-k) at this k to see how often each persona reappears"))

    data = [("Data", str(manifest.get("dataset", ps.dataset or "—"))),
            ("Data fingerprint", str(manifest.get("data_fingerprint", "—"))),
            ("Kind", {"interactions": "interaction matrix (APG)", "entities": "one row per person"}.get(
                str(manifest.get("kind", ps.kind)), str(manifest.get("kind", "—")))),
            ("Persona Lab version", str(manifest.get("package_version", "—")))]
    return [("Method", method), ("Settings", settings), ("Stability", stability), ("Data fingerprint", data)]


def _labelled_step(step: str, dictionary: DataDictionary) -> str:
    """A preparation step ("Year_Birth: numeric, standard scaled") led by the column's label, its
    name kept beside it: the step is what a reader checks against the data."""
    column, sep, rest = step.partition(": ")
    if sep and column in dictionary.labels:
        return f"{dictionary.label(column)} ({column}): {rest}"
    return step


def _setting(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (dict, list, tuple)):
        return ", ".join(f"{k} = {v}" for k, v in value.items()) if isinstance(value, dict) else ", ".join(map(str, value))
    return str(value)


def _descriptor_table(pdf: _Document, persona: Persona) -> None:
    if L.room(pdf) < 30:
        pdf.add_page()
    pdf.ln(2)
    L.cell(pdf, pdf.epw, 6, persona.name, 10, persona_colour(persona), bold=True, newline=True)
    widths = (64, 46, 30, 34)
    for row, values in enumerate([("descriptor", "persona [95% CI]", "everybody", "q")] + [
        (d.title,
         f"{_value(d, d.value)} [{_value(d, d.ci_low)}, {_value(d, d.ci_high)}]",
         _value(d, d.population),
         _q(d.q_value) + (" *" if d.significant else ""))
        for d in persona.descriptors
    ]):
        pdf.set_x(L.MARGIN)
        for width, value in zip(widths, values):
            L.cell(pdf, width, 5.5, value, 8 if row else 7, L.MUTED if row == 0 else L.INK, bold=row == 0)
        pdf.ln(5.5)


def _q(q: float | None) -> str:
    return "—" if q is None else "< 0.001" if q < 0.001 else f"{q:.3f}"


def _value(descriptor, x: float | None) -> str:
    if x is None:
        return "—"
    return L.percent(x) if descriptor.kind == "category" else descriptor.measure(x)


def _count(ps: PersonaSet) -> str:
    return f"{len(ps.personas)} persona{'' if len(ps.personas) == 1 else 's'}"


def _matches(persona: Persona, ps: PersonaSet) -> str:
    """Prevalence, beside the share so that nobody reads a persona as a majority."""
    return "" if persona.prevalence is None else f" · matches {L.percent(persona.prevalence)} {prevalence_phrase(ps.kind)}"


def _unit(ps: PersonaSet) -> str:
    return "interactions" if ps.kind == "interactions" else "rows"

"""Persona sets as a PowerPoint deck (``personas.pptx``), for the meeting after the study.

A title slide, overview slides listing every persona, one slide per included persona (face, name, identity, share, prevalence, story,
the persona's chart, quotes) and, when known, a slide on how the number of personas was chosen.
Charts are the app's own Altair builders rendered by vl-convert, as in the PDF. Faces are SVG,
which PowerPoint files cannot hold portably: they are rasterised by CairoSVG (the system's
Cairo), so the face is the very drawing of the app and the PDF rather than a second drawing of
it; without Cairo a slide simply has no face. The deck opens in LibreOffice Impress.
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import datetime, timezone
from pathlib import Path

from pptx import Presentation
from pptx.dml.color import RGBColor
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Emu, Inches, Pt

from ..personas.model import Persona, PersonaSet
from ..personas.overview import apart, distinctive_text, skeleton
from ..personas.prevalence import prevalence_phrase
from ..personas.privacy import withheld_note
from . import layout as L
from .atomic import atomic_write
from .included import identity, included
from .pdf import ReportContext, _creation_date, persona_colour

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.5)
BAND = Inches(1.6)


def pptx_bytes(persona_set: PersonaSet, context: ReportContext | None = None, n_jobs: int = 1) -> bytes:
    """The deck of the included personas of ``persona_set`` as bytes (``n_jobs`` charts rendered
    at a time; those the PDF of the same set rendered are reused)."""
    context = context or ReportContext()
    shown = included(persona_set)
    specs = L.persona_charts(shown)
    L.render_charts([*specs.values(), *(spec for _, spec in context.k_charts[:2])], n_jobs)
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    deck.core_properties.title = L.clean(f"Personas: {shown.dataset}" if shown.dataset else "Personas")
    deck.core_properties.author = deck.core_properties.last_modified_by = "Persona Lab"
    # The date the PDF uses (SOURCE_DATE_EPOCH when set), rather than the template's 2013.
    deck.core_properties.created = deck.core_properties.modified = (
        _creation_date() or datetime.now(timezone.utc)).replace(tzinfo=None)
    _title_slide(deck, shown, len(persona_set.personas))
    _overview_slides(deck, shown)
    for index, persona in enumerate(shown.personas):
        _persona_slide(deck, shown, persona, index, specs.get(persona.id))
    if context.k_choice or context.k_charts:
        _k_slide(deck, context)
    out = io.BytesIO()
    deck.save(out)
    return _fixed_zip_times(out.getvalue())


def write_pptx(persona_set: PersonaSet, path: str | os.PathLike, context: ReportContext | None = None,
               n_jobs: int = 1) -> Path:
    """Write the deck to ``path`` (atomically) and return the path."""
    return atomic_write(path, pptx_bytes(persona_set, context, n_jobs))


def _blank(deck):
    return deck.slides.add_slide(deck.slide_layouts[6])  # the default template's blank layout


def _title_slide(deck, ps: PersonaSet, total: int) -> None:
    slide = _blank(deck)
    _rect(slide, 0, 0, WIDTH, Inches(3.4), L.COVER)
    _text(slide, MARGIN, Inches(1.0), WIDTH - 2 * MARGIN, Inches(1.0), "Personas", 44, L.WHITE, bold=True)
    if ps.dataset:
        _text(slide, MARGIN, Inches(2.0), WIDTH - 2 * MARGIN, Inches(0.5), ps.dataset, 20, L.WHITE)
    count = f"{len(ps.personas)} persona{'' if len(ps.personas) == 1 else 's'}"
    if total != len(ps.personas):
        count += f" of {total}"
    _text(slide, MARGIN, Inches(2.6), WIDTH - 2 * MARGIN, Inches(0.4),
          f"{count} · {ps.method} · k = {ps.k} · seed {ps.manifest.get('seed', '—')}", 16,
          L.mix(L.COVER, L.WHITE, 0.7))
    lines = [f"{p.name}: {L.percent(p.share)} of {_unit(ps)}" + _matches(p, ps) for p in ps.personas[:TITLE_LIST]]
    if len(ps.personas) > TITLE_LIST:
        lines.append(f"… and {len(ps.personas) - TITLE_LIST} more: every persona is on the overview slides.")
    if ps.unassigned:
        lines.append(f"Unassigned: {L.percent(ps.unassigned.get('share', 0.0))}")
    note = withheld_note(ps)
    if note:
        lines.append(note)
    lines.append("A persona describes a segment, not its typical member: few real rows match all of its "
                 "headline attributes (Chapman et al., 2008).")
    _text(slide, MARGIN, Inches(3.8), WIDTH - 2 * MARGIN, Inches(3.3), "\n".join(lines), 14, L.INK)


#: Personas named on the title slide (the largest); the overview slides list them all.
TITLE_LIST = 6
#: Personas listed on one overview slide.
OVERVIEW_ROWS = 20


def _overview_slides(deck, ps: PersonaSet) -> None:
    """Every persona in a table, numbered as its slide, 20 to a slide: at k = 100 the title slide's
    list cannot hold them, and a meeting needs to see all of them before any one."""
    pages = max(1, -(-len(ps.personas) // OVERVIEW_ROWS))
    for page in range(pages):
        chunk = list(enumerate(ps.personas))[page * OVERVIEW_ROWS: (page + 1) * OVERVIEW_ROWS]
        if not chunk:
            return
        slide = _blank(deck)
        title = "All personas" + (f" ({page + 1} of {pages})" if pages > 1 else "")
        _text(slide, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.6), title, 26, L.INK, bold=True)
        header = ["#", "persona", "skeleton", "share", "sets it apart"]
        widths = [Inches(0.5), Inches(2.6), Inches(3.4), Inches(0.9)]
        widths.append(WIDTH - 2 * MARGIN - sum(widths))
        shape = slide.shapes.add_table(len(chunk) + 1, len(header), MARGIN, Inches(1.0), WIDTH - 2 * MARGIN,
                                       Inches(0.28) * (len(chunk) + 1))
        grid = shape.table
        for column, width in enumerate(widths):
            grid.columns[column].width = int(width)
        rows = [header] + [[str(i + 1), p.name, skeleton(p), L.percent(p.share), ", ".join(apart(p))] for i, p in chunk]
        for r, values in enumerate(rows):
            grid.rows[r].height = Inches(0.28)
            for c, value in enumerate(values):
                cell = grid.cell(r, c)
                cell.margin_top = cell.margin_bottom = Pt(1)
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = L.clean(value)
                run.font.size, run.font.bold = Pt(11), r == 0


def _persona_slide(deck, ps: PersonaSet, persona: Persona, index: int, chart: str | None) -> None:
    slide = _blank(deck)
    colour = persona_colour(persona)
    soft = L.mix(colour, L.WHITE, 0.75)
    _rect(slide, 0, 0, WIDTH, BAND, colour)
    text_w = WIDTH - 2 * MARGIN - Inches(1.6)
    _text(slide, MARGIN, Inches(0.15), text_w, Inches(0.3), f"PERSONA {index + 1} OF {len(ps.personas)}", 11, soft,
          bold=True)
    _text(slide, MARGIN, Inches(0.4), text_w, Inches(0.6), persona.name, 30, L.WHITE, bold=True)
    facts = [identity(persona), f"{L.percent(persona.share)} share · {persona.size:,.0f} {_unit(ps)}"]
    _text(slide, MARGIN, Inches(1.05), text_w, Inches(0.4), "   ·   ".join(f for f in facts if f), 14, L.WHITE)
    _face(slide, persona.face, WIDTH - MARGIN - Inches(1.4), Inches(0.1), Inches(1.4))

    left_w = Inches(5.6)
    body = []
    if persona.prevalence is not None:
        body.append((f"Matches {L.percent(persona.prevalence)} {prevalence_phrase(ps.kind)}", 14, colour, True))
        if persona.headline:
            body.append(("all of: " + "; ".join(persona.headline), 10, L.MUTED, False))
    if persona.stability is not None:
        body.append((f"Recovered in {L.percent(persona.stability)} of resamples", 11, L.MUTED, False))
    if persona.distinctive:
        body.append((f"Sets them apart: {distinctive_text(persona, 4)}", 12, L.INK, True))
    if persona.narrative.strip():
        body.append((persona.narrative.strip(), 13, L.INK, False))
    for quote in [q for q in persona.quotes if q.strip()][:2]:
        body.append((f"“{quote.strip()}”", 11, L.MUTED, False))
    _paragraphs(slide, MARGIN, BAND + Inches(0.3), left_w, HEIGHT - BAND - Inches(0.6), body)
    if chart is not None:
        png, width_px, height_px = L.chart_png(chart)
        x, y = MARGIN + left_w + Inches(0.3), BAND + Inches(0.3)
        box_w, box_h = WIDTH - x - MARGIN, HEIGHT - y - Inches(0.4)
        scale = min(box_w / width_px, box_h / height_px)
        slide.shapes.add_picture(io.BytesIO(png), x, y, Emu(int(width_px * scale)), Emu(int(height_px * scale)))


def _k_slide(deck, context: ReportContext) -> None:
    slide = _blank(deck)
    _text(slide, MARGIN, Inches(0.4), WIDTH - 2 * MARGIN, Inches(0.7), "How many personas", 30, L.INK, bold=True)
    top = Inches(1.2)
    if context.k_choice:
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(0.9), context.k_choice, 14, L.MUTED)
        top += Inches(1.0)
    shown = context.k_charts[:2]
    for i, (title, spec) in enumerate(shown):
        png, width_px, height_px = L.chart_png(spec)
        box_w = (WIDTH - 2 * MARGIN - Inches(0.3) * (len(shown) - 1)) / len(shown)
        box_h = HEIGHT - top - Inches(0.8)
        scale = min(box_w / width_px, box_h / height_px)
        x = MARGIN + i * (box_w + Inches(0.3))
        _text(slide, x, top, box_w, Inches(0.4), title, 14, L.INK, bold=True)
        slide.shapes.add_picture(io.BytesIO(png), int(x), top + Inches(0.45),
                                 Emu(int(width_px * scale)), Emu(int(height_px * scale)))


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every member dated 1980-01-01: zip members carry the time they were
    written, which would make two decks of the same personas differ."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), source.read(info),
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- drawing ------------------------------------------------------------------------------


def _rect(slide, x, y, w, h, colour) -> None:
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, y, w, h)
    shape.fill.solid()
    shape.fill.fore_color.rgb = RGBColor(*colour)
    shape.line.fill.background()
    shape.shadow.inherit = False


def _text(slide, x, y, w, h, text, size, colour, bold=False) -> None:
    _paragraphs(slide, x, y, w, h, [(text, size, colour, bold)])


def _paragraphs(slide, x, y, w, h, paragraphs) -> None:
    """Text boxes that wrap and shrink their text to fit: user text never runs off the slide."""
    frame = slide.shapes.add_textbox(int(x), int(y), int(w), int(h)).text_frame
    frame.word_wrap = True
    frame.vertical_anchor = MSO_ANCHOR.TOP
    first = True
    for text, size, colour, bold in paragraphs:
        for line in L.clean(text, keep_newlines=True).split("\n"):
            paragraph = frame.paragraphs[0] if first else frame.add_paragraph()
            first = False
            paragraph.space_after = Pt(4)
            run = paragraph.add_run()
            run.text = line
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = RGBColor(*colour)


def _face(slide, svg: str, x, y, size) -> None:
    png = face_png(svg)
    if png is not None:
        slide.shapes.add_picture(io.BytesIO(png), x, y, size, size)


def face_png(svg: str, pixels: int = 320) -> bytes | None:
    """The persona's SVG face as a PNG, or None (no face, a broken SVG, no Cairo)."""
    if not svg.strip():
        return None
    try:
        import cairosvg

        return cairosvg.svg2png(bytestring=svg.encode("utf-8"), output_width=pixels, output_height=pixels)
    except Exception:  # noqa: BLE001 - a face is decoration: a hand-edited SVG or a missing Cairo leaves it out
        return None


def _matches(persona: Persona, ps: PersonaSet) -> str:
    return "" if persona.prevalence is None else f", matches {L.percent(persona.prevalence)} {prevalence_phrase(ps.kind)}"


def _unit(ps: PersonaSet) -> str:
    return "interactions" if ps.kind == "interactions" else "rows"

"""Persona sets as a PowerPoint deck (``personas.pptx``), for the meeting after the study.

A title slide, the personas' shares, overview slides listing every persona, one slide per included
persona (face, name, identity, share, prevalence, story, the persona's chart, quotes), a slide on
the method (method, settings, stability, data fingerprint) and, when known, one on how the number
of personas was chosen. Charts are native PowerPoint charts (python-pptx chart objects) drawn
from the data the app's charts show, so that a researcher can restyle or correct them in the deck;
the P(k_hat = k) heatmap is a table with shaded cells. Faces are SVG,
which PowerPoint files cannot hold portably: they are rasterised by CairoSVG (the system's
Cairo), so the face is the very drawing of the app and the PDF rather than a second drawing of
it; without Cairo a slide simply has no face. The deck opens in LibreOffice Impress.
"""

from __future__ import annotations

import io
import math
import os
import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import json

from pptx import Presentation
from pptx.chart.data import CategoryChartData, XyChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LABEL_POSITION, XL_TICK_LABEL_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import MSO_ANCHOR
from pptx.util import Emu, Inches, Pt

from .. import charts
from ..personas.model import Persona, PersonaSet
from ..personas.overview import apart, distinctive_text, skeleton
from ..personas.prevalence import prevalence_phrase
from ..personas.privacy import withheld_note
from . import layout as L
from .atomic import atomic_write
from .included import identity, included
from .pdf import ReportContext, _creation_date, method_sections, persona_colour

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)  # 16:9
MARGIN = Inches(0.5)
BAND = Inches(1.6)


def pptx_bytes(persona_set: PersonaSet, context: ReportContext | None = None) -> bytes:
    """The deck of the included personas of ``persona_set`` as bytes (a chart of the choice of k
    that the PDF of the same set rendered is reused)."""
    context = context or ReportContext()
    shown = included(persona_set)
    deck = Presentation()
    deck.slide_width, deck.slide_height = WIDTH, HEIGHT
    deck.core_properties.title = L.clean(f"Personas: {shown.dataset}" if shown.dataset else "Personas")
    deck.core_properties.author = deck.core_properties.last_modified_by = "Persona Lab"
    # The date the PDF uses (SOURCE_DATE_EPOCH when set), rather than the template's 2013.
    deck.core_properties.created = deck.core_properties.modified = (
        _creation_date() or datetime.now(timezone.utc)).replace(tzinfo=None)
    _title_slide(deck, shown, len(persona_set.personas))
    if shown.personas:
        _shares_slide(deck, shown)
    _overview_slides(deck, shown)
    for index, persona in enumerate(shown.personas):
        _persona_slide(deck, shown, persona, index)
    _method_slide(deck, shown, context)
    if context.k_choice or context.k_charts:
        _k_slide(deck, context)
    out = io.BytesIO()
    deck.save(out)
    return _fixed_zip_times(out.getvalue())


def write_pptx(persona_set: PersonaSet, path: str | os.PathLike, context: ReportContext | None = None) -> Path:
    """Write the deck to ``path`` (atomically) and return the path."""
    return atomic_write(path, pptx_bytes(persona_set, context))


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


def _persona_slide(deck, ps: PersonaSet, persona: Persona, index: int) -> None:
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
    x, y = MARGIN + left_w + Inches(0.3), BAND + Inches(0.3)
    _profile_chart(slide, persona, colour, x, y, WIDTH - x - MARGIN, HEIGHT - y - Inches(0.4))


#: Personas in the shares chart (the largest); the overview slides list them all.
SHARES_SHOWN = 30


def _shares_slide(deck, ps: PersonaSet) -> None:
    """Every persona's share in one native bar chart, largest on top."""
    slide = _blank(deck)
    largest = sorted(ps.personas, key=lambda p: -p.share)[:SHARES_SHOWN]
    title = "Share of " + _unit(ps) + (f" (the {len(largest)} largest personas)" if len(ps.personas) > len(largest) else "")
    _text(slide, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.6), title, 26, L.INK, bold=True)
    notes = [f"{label}: {L.percent(share)}" for label, share in
             (("Unassigned", (ps.unassigned or {}).get("share")), ("Withheld for privacy", (ps.withheld or {}).get("share")))
             if share]
    if notes:
        _text(slide, MARGIN, HEIGHT - Inches(0.6), WIDTH - 2 * MARGIN, Inches(0.4), " · ".join(notes), 12, L.MUTED)
    _bar_chart(slide, [p.name for p in largest], [p.share for p in largest], "0.0%",
               [persona_colour(p) for p in largest], MARGIN, Inches(1.0), WIDTH - 2 * MARGIN, HEIGHT - Inches(1.7))


def _profile_chart(slide, persona: Persona, colour, x, y, w, h) -> None:
    """The persona's chart (traits' effect sizes, or interests' shares) as a native bar chart."""
    data = charts.profile_data(persona, L.TOP_N)
    if data.empty:
        return
    traits = charts.persona_has_traits(persona)
    title = "What sets them apart (effect size, SD)" if traits else "Interests (share of attention)"
    _text(slide, x, y, w, Inches(0.4), title, 14, colour, bold=True)
    _bar_chart(slide, list(data["what"]), [float(v) for v in data["effect"]], "0.00" if traits else "0%",
               [colour] * len(data), x, y + Inches(0.45), w, h - Inches(0.45))


def _bar_chart(slide, labels: list[str], values: list[float], number_format: str, colours, x, y, w, h):
    """Horizontal bars, the first label on top, each bar its colour and its value written at its end."""
    data = CategoryChartData(number_format=number_format)
    # PowerPoint draws a bar chart's first category at the bottom: reversed, the first leads on top.
    data.categories = [L.clean(label) for label in reversed(labels)]
    data.add_series("value", list(reversed(values)))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, int(x), int(y), int(w), int(h), data).chart
    chart.has_legend = chart.has_title = False
    # Labels at the left edge, not at zero, where a negative effect's bar would cross them.
    chart.category_axis.tick_label_position = XL_TICK_LABEL_POSITION.LOW
    chart.font.size = Pt(11)
    plot = chart.plots[0]
    plot.gap_width = 50
    plot.has_data_labels = True
    plot.data_labels.number_format, plot.data_labels.number_format_is_linked = number_format, False
    plot.data_labels.position = XL_LABEL_POSITION.OUTSIDE_END
    series = plot.series[0]
    series.invert_if_negative = False
    for point, colour in enumerate(reversed(colours)):
        fill = series.points[point].format.fill
        fill.solid()
        fill.fore_color.rgb = RGBColor(*colour)
    chart.value_axis.has_major_gridlines = False
    # Room beyond the longest bars for their values: at the automatic scale a negative bar's value
    # ran into the category labels ("Yearly household income-0.67").
    axis = chart.value_axis
    axis.minimum_scale, axis.maximum_scale, axis.major_unit = _padded_scale(values)
    chart.value_axis.tick_labels.number_format = number_format
    chart.value_axis.tick_labels.number_format_is_linked = False
    return chart


def _padded_scale(values: list[float], room: float = 0.25) -> tuple[float, float, float]:
    """(lowest, highest, tick step) of a value axis from below the smallest to above the largest
    bar (from 0 on a side without bars), with ``room`` of the span beyond each bar's end for its
    label, at a round step giving about five ticks (more turn their labels on end)."""
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    step = _round_step(span * (1 + 2 * room) / 5)
    low = math.floor((low - room * span) / step) * step if low < 0 else 0.0
    high = math.ceil((high + room * span) / step) * step if high > 0 else 0.0
    return low, high, step


def _round_step(x: float) -> float:
    """1, 2 or 5 times a power of ten, the smallest at least ``x``."""
    power = 10 ** math.floor(math.log10(x))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= x)


#: Rows of each table on the method slide; the rest are in the PDF's appendix and manifest.json.
METHOD_ROWS = 6
METHOD_CHARS = 160


def _method_slide(deck, ps: PersonaSet, context: ReportContext) -> None:
    """How the personas were made: the PDF appendix's tables, two sections a column."""
    slide = _blank(deck)
    _text(slide, MARGIN, Inches(0.3), WIDTH - 2 * MARGIN, Inches(0.6), "How these personas were made", 26, L.INK,
          bold=True)
    sections = method_sections(ps, context)
    column_w = (WIDTH - 2 * MARGIN - Inches(0.4)) / 2
    for column, pair in enumerate((sections[:2], sections[2:])):
        rows = []
        for title, entries in pair:
            rows.append((title, "", True))
            cut = entries[:METHOD_ROWS]
            rows += [(label, value if len(value) <= METHOD_CHARS else value[:METHOD_CHARS - 1] + "…", False)
                     for label, value in cut]
            if len(entries) > len(cut):
                rows.append(("", f"… and {len(entries) - len(cut)} more in the PDF's appendix", False))
        x = MARGIN + column * (column_w + Inches(0.4))
        shape = slide.shapes.add_table(len(rows), 2, int(x), Inches(1.0), int(column_w), Inches(0.26) * len(rows))
        grid = shape.table
        grid.first_row = False
        grid.columns[0].width = Inches(1.9)
        grid.columns[1].width = int(column_w - Inches(1.9))
        for r, (label, value, heading) in enumerate(rows):
            grid.rows[r].height = Inches(0.26)
            for c, text in enumerate((label, value)):
                cell = grid.cell(r, c)
                cell.margin_top = cell.margin_bottom = Pt(1)
                run = cell.text_frame.paragraphs[0].add_run()
                run.text = L.clean(text)
                run.font.size, run.font.bold = Pt(12 if heading else 10), heading or c == 0


def _k_slide(deck, context: ReportContext) -> None:
    slide = _blank(deck)
    _text(slide, MARGIN, Inches(0.4), WIDTH - 2 * MARGIN, Inches(0.7), "How many personas", 30, L.INK, bold=True)
    top = Inches(1.2)
    if context.k_choice:
        _text(slide, MARGIN, top, WIDTH - 2 * MARGIN, Inches(1.3), context.k_choice, 12, L.MUTED)
        top += Inches(1.4)
    shown = context.k_charts[:2]
    for i, (title, spec) in enumerate(shown):
        box_w = (WIDTH - 2 * MARGIN - Inches(0.3) * (len(shown) - 1)) / len(shown)
        box_h = HEIGHT - top - Inches(0.8)
        x = MARGIN + i * (box_w + Inches(0.3))
        _text(slide, x, top, box_w, Inches(0.4), title, 14, L.INK, bold=True)
        _k_figure(slide, spec, x, top + Inches(0.45), box_w, box_h)


def _k_figure(slide, spec: str, x, y, w, h) -> None:
    """A chart of the choice of k, natively: the P(k_hat = k) heatmap as a table with shaded cells,
    criterion curves as one small line chart per criterion; anything else as its picture."""
    records = _records(spec)
    if records and {"label", "k", "probability"} <= set(records[0]):
        _k_hat_table(slide, records, x, y, w, h)
    elif records and {"label", "k", "value"} <= set(records[0]):
        _criterion_charts(slide, records, x, y, w, h)
    else:
        png, width_px, height_px = L.chart_png(spec)
        scale = min(w / width_px, h / height_px)
        slide.shapes.add_picture(io.BytesIO(png), int(x), int(y), Emu(int(width_px * scale)), Emu(int(height_px * scale)))


def _records(spec: str) -> list[dict]:
    """The rows an Altair chart's Vega-Lite JSON carries (its first inline dataset)."""
    datasets = json.loads(spec).get("datasets") or {}
    return next(iter(datasets.values()), [])


def _k_hat_table(slide, records: list[dict], x, y, w, h) -> None:
    labels = list(dict.fromkeys(r["label"] for r in records))
    ks = sorted({int(r["k"]) for r in records})
    p = {(r["label"], int(r["k"])): float(r["probability"]) for r in records}
    grid = slide.shapes.add_table(len(labels) + 1, len(ks) + 1, int(x), int(y), int(w),
                                  min(int(h), Inches(0.3) * (len(labels) + 1))).table
    grid.columns[0].width = int(min(Inches(1.6), w / 3))
    for c in range(1, len(ks) + 1):
        grid.columns[c].width = int((w - grid.columns[0].width) / len(ks))
    for r, row in enumerate([["k", *map(str, ks)]] + [[label, *[p.get((label, k)) for k in ks]] for label in labels]):
        for c, value in enumerate(row):
            cell = grid.cell(r, c)
            cell.margin_left = cell.margin_right = Pt(1)
            text = value if isinstance(value, str) else "" if value is None else f"{value:.0%}"
            run = cell.text_frame.paragraphs[0].add_run()
            run.text = L.clean(text)
            # Small enough that "100%" fits a column of 20 k: a wrapped "7 %" reads as two figures.
            run.font.size = Pt(10 if c == 0 or len(ks) <= 8 else 7)
            if r and c:
                shade = value or 0.0
                cell.fill.solid()
                cell.fill.fore_color.rgb = RGBColor(*L.mix(L.WHITE, (33, 102, 172), shade))
                run.font.color.rgb = RGBColor(*(L.WHITE if shade > 0.6 else L.INK))


#: Criteria drawn on the k slide (small multiples, three a row).
CRITERIA_SHOWN = 6


def _criterion_charts(slide, records: list[dict], x, y, w, h) -> None:
    labels = list(dict.fromkeys(r["label"] for r in records))[:CRITERIA_SHOWN]
    columns = min(3, len(labels))
    rows = -(-len(labels) // columns)
    cell_w, cell_h = w / columns, h / rows
    for i, label in enumerate(labels):
        points = sorted((int(r["k"]), r["value"]) for r in records if r["label"] == label and r["value"] is not None)
        data = XyChartData()
        series = data.add_series(L.clean(label))
        for k, value in points:
            series.add_data_point(k, float(value))
        frame = slide.shapes.add_chart(XL_CHART_TYPE.XY_SCATTER_LINES, int(x + (i % columns) * cell_w),
                                       int(y + (i // columns) * cell_h), int(cell_w), int(cell_h), data)
        chart = frame.chart
        chart.has_legend = False
        chart.has_title = True
        chart.chart_title.text_frame.text = L.clean(label)
        chart.font.size = Pt(9)
        chart.category_axis.major_unit = 1  # k is a whole number


def _fixed_zip_times(data: bytes) -> bytes:
    """The same archive with every member dated 1980-01-01: zip members carry the time they were
    written, which would make two decks of the same personas differ."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        workbook = any(name.startswith("xl/") for name in source.namelist())
        for info in source.infolist():
            body = source.read(info)
            if info.filename.endswith(".xlsx"):  # a native chart's data: a workbook inside the deck
                body = _fixed_zip_times(body)
            elif workbook and info.filename == "docProps/core.xml":  # the workbook's own creation date
                body = _WORKBOOK_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<3>", body)
            target.writestr(zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0)), body,
                            compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


_WORKBOOK_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


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

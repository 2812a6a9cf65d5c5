"""Drawing blocks of the PDF report: fonts, one-line cells, cut paragraphs, bars, charts.

fpdf2 draws everything with the bundled DejaVu fonts plus a CJK fallback font from the system
(DejaVu has no Chinese, Japanese or Korean glyphs), and HarfBuzz text shaping so that Arabic is
joined and laid out right to left. User text is data: it is only ever passed to ``cell`` without
markdown, so ``<b>`` or ``**`` print as typed, and it is cut to fit instead of wrapping onto
another page.
"""

from __future__ import annotations

import io
import math
import re
import unicodedata
from dataclasses import dataclass
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

from .. import charts
from ..personas.narrative import percent as narrative_percent

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY, CJK_FAMILY = "DejaVu", "CJK"
#: Fonts with Chinese, Japanese and Korean glyphs, the first found is used (scripts/setup.sh
#: installs Debian's fonts-droid-fallback).
CJK_FONTS = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
MARGIN = 18.0
FOOTER_SPACE = 20.0  # kept free at the bottom of every page for the footer
LINE = 5.0

INK, MUTED, RULE, WHITE = (33, 37, 41), (108, 117, 125), (222, 226, 230), (255, 255, 255)
COVER = (38, 50, 56)
NEGATIVE = (160, 170, 180)
#: Charts are rendered at this many pixels per millimetre of the page (about 165 dpi).
PX_PER_MM = 6.5


def cjk_font() -> Path | None:
    return next((Path(p) for p in CJK_FONTS if Path(p).is_file()), None)


def add_fonts(pdf: FPDF, text: str) -> None:
    """DejaVu, and the CJK font as a fallback when ``text`` (all the document will hold) has
    characters DejaVu lacks: reading the 4 MB font costs more than the rest of a small report."""
    pdf.add_font(FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    fallback = cjk_font()
    if fallback is not None and any(ord(c) not in _dejavu_chars() for c in set(text) if c.isprintable()):
        pdf.add_font(CJK_FAMILY, "", fallback)
        # exact_match=False: bold CJK text falls back to the regular face rather than to nothing.
        pdf.set_fallback_fonts([CJK_FAMILY], exact_match=False)


@lru_cache(maxsize=1)
def _dejavu_chars() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(FONT_DIR / "DejaVuSans.ttf", lazy=True) as font:
        return frozenset(font.getBestCmap())


# Scripts drawn right without shaping: Latin and its punctuation, symbols, CJK and Hangul syllables.
# Anything else (Arabic, Hebrew, Indic, combining marks, emoji sequences) goes through HarfBuzz,
# which joins and orders it, and costs about 1 ms a line.
_NEEDS_SHAPING = re.compile("[^\u0000-\u02ff\u2000-\u206f\u20a0-\u20cf\u2100-\u2bff"
                            "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def shape_for(pdf: FPDF, text: str) -> None:
    """Turn HarfBuzz text shaping on for ``text`` only when its script needs it."""
    needed = _NEEDS_SHAPING.search(text) is not None
    if needed != (pdf.text_shaping is not None):
        pdf.set_text_shaping(needed)


@dataclass
class Bar:
    label: str
    value: float  # 0..1 of the width
    annotation: str
    colour: tuple[int, int, int]


def bars(pdf: FPDF, rows: list[Bar], row_height: float, limit: int) -> None:
    """Horizontal bars with a label on the left and a figure on the right."""
    label_w, value_w = 80.0, 26.0
    chart_w = pdf.epw - label_w - value_w - 4
    fits = max(0, int((room(pdf) - LINE) // row_height))
    shown = rows[: min(limit, fits)]
    x0, y0 = MARGIN + label_w + 2, pdf.get_y()
    for row, bar in enumerate(shown):
        y = y0 + row * row_height
        pdf.set_xy(MARGIN, y + (row_height - 4) / 2)
        cell(pdf, label_w, 4, bar.label, 9, INK)
        pdf.set_fill_color(*bar.colour)
        pdf.rect(x0, y + row_height / 2 - 2, max(chart_w * bar.value, 0.4), 4, style="F")
        pdf.set_xy(x0 + chart_w + 2, y + row_height / 2 - 2)
        cell(pdf, value_w, 4, bar.annotation, 9, MUTED, align="R")
    pdf.set_xy(MARGIN, y0 + len(shown) * row_height)
    if len(rows) > len(shown):
        cell(pdf, pdf.epw, LINE, f"+{len(rows) - len(shown)} more not shown", 8, MUTED, newline=True)


def chart(pdf: FPDF, spec_json: str, max_height: float) -> None:
    """An Altair chart (as its Vega-Lite JSON) as an image the page's width, at most ``max_height``."""
    png = chart_png(spec_json)[0]
    width, height = chart_size(pdf, spec_json)
    if height > max_height:
        width, height = width * max_height / height, max_height
    pdf.image(io.BytesIO(png), x=MARGIN, y=pdf.get_y(), w=width, h=height)
    pdf.set_y(pdf.get_y() + height + 1)


def chart_size(pdf: FPDF, spec_json: str) -> tuple[float, float]:
    """(width, height) in mm of the chart drawn at its natural size, at most the page's width."""
    _, width_px, height_px = chart_png(spec_json)
    width = min(pdf.epw, width_px / PX_PER_MM)
    return width, width * height_px / width_px


#: Traits or interests in a persona's chart.
TOP_N = 8
#: Charts kept rendered: every persona's chart of a set of 200 and the charts of the choice of k,
#: so that the PDF and the PowerPoint of one set share each render.
CACHED_CHARTS = 512


@lru_cache(maxsize=CACHED_CHARTS)
def chart_png(spec_json: str) -> tuple[bytes, int, int]:
    """(PNG, width, height in pixels) of a Vega-Lite spec, rendered by vl-convert (no browser).

    Cached: the PDF and the PowerPoint of a set draw the same charts, and the same chart in an
    unchanged persona costs nothing when the files are made again."""
    import json
    import struct

    import vl_convert

    png = vl_convert.vegalite_to_png(json.loads(spec_json), scale=2)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return png, width, height


def persona_charts(persona_set) -> dict[int, str]:
    """Persona id -> its chart's spec, for the personas that have a chart: built once per
    report (building and validating a spec costs about as much as rendering it)."""
    return {p.id: persona_chart(p) for p in persona_set.personas if p.traits or p.interests}


def render_charts(specs, n_jobs: int = 1) -> None:
    """Render ``specs`` (Vega-Lite JSON) into :func:`chart_png`'s cache, ``n_jobs`` at a time.
    Threads, not processes: a worker process would pay vl-convert's start (about 0.5 s) again,
    and on 2 busy cores loky workers rendered 30 charts slower than one thread did."""
    missing = list(dict.fromkeys(specs))
    if n_jobs <= 1 or len(missing) < 2:
        for spec in missing:
            chart_png(spec)
        return
    with ThreadPoolExecutor(min(n_jobs, len(missing))) as pool:
        list(pool.map(chart_png, missing))


def persona_chart(persona, n: int = TOP_N, width: int = 440) -> str:
    """The persona's chart as the PDF and the PowerPoint both draw it (one spec, one render)."""
    # Not validated against the Vega-Lite schema again for every persona: the builder is ours, and
    # the chart tests validate what it makes.
    return charts.persona_profile(persona, n=n).properties(width=width).to_json(validate=False)


def heading(pdf: FPDF, text: str, colour) -> None:
    pdf.ln(3)
    pdf.set_x(MARGIN)
    cell(pdf, pdf.epw, 7, text, 12, colour, bold=True, newline=True)
    pdf.set_draw_color(*colour)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + 24, pdf.get_y())
    pdf.ln(2.5)


def caption(pdf: FPDF, text: str) -> None:
    block(pdf, text, size=8, line=4)


def block(pdf: FPDF, text: str, size: float, line: float) -> None:
    """Muted text wrapped over as many lines as it needs (pages break in the appendix)."""
    pdf.set_font(FAMILY, "", size)
    pdf.set_text_color(*MUTED)
    text = clean(text)
    shape_for(pdf, text)
    pdf.multi_cell(pdf.epw, line, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def fact_grid(pdf: FPDF, facts: list[tuple[str, str]], max_rows: int, columns: int = 3) -> None:
    width, height = pdf.epw / columns, 11.0
    rows = min(math.ceil(len(facts) / columns), max_rows)
    y0 = pdf.get_y()
    for i, (key, value) in enumerate(facts[: rows * columns]):
        x, y = MARGIN + (i % columns) * width, y0 + (i // columns) * height
        pdf.set_xy(x, y)
        cell(pdf, width - 4, 4, key.upper(), 7, MUTED, bold=True)
        pdf.set_xy(x, y + 4.5)
        cell(pdf, width - 4, 5, value, 10, INK)
    pdf.set_xy(MARGIN, y0 + rows * height)
    if len(facts) > rows * columns:
        cell(pdf, pdf.epw, LINE, f"+{len(facts) - rows * columns} more", 8, MUTED, newline=True)


def paragraph(pdf: FPDF, text: str, max_lines: int, size: float = 10, colour=INK, indent: float = 0.0) -> None:
    """Wrapped text, cut after ``max_lines`` lines with an ellipsis; right-aligned when RTL."""
    pdf.set_font(FAMILY, "", size)
    pdf.set_text_color(*colour)
    text = clean(text, keep_newlines=True)
    shape_for(pdf, text)
    width = pdf.epw - indent
    lines = pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")
    if len(lines) > max_lines:
        lines = lines[: max(max_lines, 1)]
        lines[-1] = fit(pdf, lines[-1].rstrip() + "…", width, ellipsis_given=True)
    align = "R" if is_rtl(text) else "L"
    for line in lines:
        pdf.set_x(MARGIN + indent)
        pdf.cell(width, LINE, line, align=align, new_x="LMARGIN", new_y="NEXT")


def wrap(pdf: FPDF, text: str, width: float, size: float, bold: bool = False, max_lines: int = 3) -> list[str]:
    """``text`` broken into the lines it takes at ``width``, at most ``max_lines`` (the last cut
    with an ellipsis only beyond them): headers wrap rather than lose their end."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    text = clean(text)
    shape_for(pdf, text)
    if not text:
        return []
    lines = pdf.multi_cell(width, size * 0.45, text, dry_run=True, output="LINES")
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = fit(pdf, lines[-1].rstrip() + "…", width, ellipsis_given=True)
    return lines


def text_at(pdf: FPDF, x: float, y: float, text: str, size: float, colour, bold=False, width=None) -> None:
    pdf.set_xy(x, y)
    cell(pdf, width or pdf.w - x - MARGIN, size * 0.45, text, size, colour, bold=bold)


def cell(pdf, w, h, text, size, colour, bold=False, align="L", newline=False) -> None:
    """One line of user text, cut to the width: never markdown, never wrapping onto the page."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    nxt = {"new_x": "LMARGIN", "new_y": "NEXT"} if newline else {}
    text = clean(text)
    shape_for(pdf, text)
    pdf.cell(w, h, fit(pdf, text, w), align=align, **nxt)


def fit(pdf: FPDF, text: str, width: float, ellipsis_given: bool = False) -> str:
    width -= 1  # fpdf2's cell padding
    full = pdf.get_string_width(text)
    if full <= width:
        return text
    body = text[:-1] if ellipsis_given else text
    body = body[: int(len(body) * width / full) + 2]  # a first guess keeps long text fast
    while body and pdf.get_string_width(body.rstrip() + "…") > width:
        body = body[:-1]
    return body.rstrip() + "…"


def clean(text: object, keep_newlines: bool = False) -> str:
    # Control characters (NUL, escape sequences) have no glyphs and confuse PDF viewers.
    text = "" if text is None else str(text)
    lines = text.splitlines() if keep_newlines else [text]
    kept = ["".join(c if unicodedata.category(c) != "Cc" else " " for c in line) for line in lines]
    return "\n".join(" ".join(line.split()) for line in kept)


def is_rtl(text: str) -> bool:
    # A paragraph's direction is that of its first strong character (Unicode bidi rule P2).
    strong = (d for d in map(unicodedata.bidirectional, text) if d in ("L", "R", "AL"))
    return next(strong, "L") != "L"


def room(pdf: FPDF) -> float:
    return pdf.h - FOOTER_SPACE - pdf.get_y()


def percent(share: float | None) -> str:
    """A share as the narratives cite it, or a dash when there is none."""
    return "—" if share is None or not math.isfinite(share) else narrative_percent(share)


def mix(colour, other, t: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * t) for a, b in zip(colour, other))

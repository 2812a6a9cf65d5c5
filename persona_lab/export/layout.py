"""Drawing blocks of the PDF report: fonts, one-line cells, cut paragraphs, a persona's bars, charts.

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


#: Bars of a persona's chart (traits or interests) and their height on the page (mm).
TOP_N = 8
BAR_ROW = 6.0
#: The persona chart's label column and the axis below its bars (mm).
LABEL_W, AXIS_H = 46.0, 9.0


def profile_chart(pdf: FPDF, persona, colour, max_height: float) -> None:
    """The persona's chart (:func:`persona_lab.charts.profile_data`: traits' effect sizes or
    interests' shares, as the app draws it) as vector bars and text: a label column, bars from
    zero (left of it for a negative effect), gridlines with their figures and the axis title.
    Labels go through :func:`cell`, so they are cut to the column, never markup, and shaped
    where their script needs it. As many bars as ``max_height`` holds."""
    data = charts.profile_data(persona, TOP_N)
    traits = charts.persona_has_traits(persona)
    rows = min(len(data), max(0, int((max_height - AXIS_H) // BAR_ROW)))
    if rows == 0:
        return
    data = data.iloc[:rows]
    values = [float(v) if math.isfinite(float(v)) else 0.0 for v in data["effect"]]
    ticks = nice_ticks(min(0.0, *values), max(0.0, *values))
    low, high = ticks[0], ticks[-1]
    x0, width = MARGIN + LABEL_W + 2, pdf.epw - LABEL_W - 4
    top = pdf.get_y()
    bottom = top + rows * BAR_ROW

    def x(value: float) -> float:
        return x0 + width * (value - low) / (high - low)

    pdf.set_line_width(0.15)
    for tick in ticks:
        pdf.set_draw_color(*RULE)
        pdf.line(x(tick), top, x(tick), bottom)
        pdf.set_xy(x(tick) - 9, bottom + 0.5)
        cell(pdf, 18, 3.5, tick_label(tick, percent=not traits), 7, MUTED, align="C")
    for row, (label, value) in enumerate(zip(data["what"], values)):
        y = top + row * BAR_ROW
        pdf.set_xy(MARGIN, y + 1)
        cell(pdf, LABEL_W, BAR_ROW - 2, label, 8, INK, align="R")
        pdf.set_fill_color(*colour)
        left, right = sorted((x(0.0), x(value)))
        pdf.rect(left, y + 0.8, max(right - left, 0.3), BAR_ROW - 1.6, style="F")
    pdf.set_draw_color(*MUTED)
    pdf.line(x(0.0), top, x(0.0), bottom)
    pdf.line(x0, bottom, x0 + width, bottom)
    pdf.set_xy(x0, bottom + 4)
    cell(pdf, width, 4, "effect size (SD)" if traits else "share of interest", 8, INK, bold=True, align="C")
    pdf.set_xy(MARGIN, bottom + AXIS_H)


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Evenly spaced round figures (1, 2, 2.5 or 5 times a power of ten) from at or below
    ``low`` to at or above ``high``, at most ``most`` + 1 of them."""
    span = high - low
    if not span > 0:
        return [low, low + 1.0]
    power = 10.0 ** math.floor(math.log10(span / most))
    step = next(power * m for m in (1, 2, 2.5, 5, 10) if span / (power * m) <= most)
    first, last = math.floor(low / step + 1e-9), math.ceil(high / step - 1e-9)
    return [round(i * step, 12) for i in range(first, last + 1)]


def tick_label(value: float, percent: bool = False) -> str:
    """A tick's figure, as short as it is exact ("0.25%", not "0%"), with a true minus sign."""
    text = f"{round(value * 100, 9):g}%" if percent else f"{round(value, 9):g}"
    return text.replace("-", "\u2212")


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


#: Charts of the choice of k kept rendered, so that the PDF and the PowerPoint of one set share
#: each render (persona charts are drawn natively in both).
CACHED_CHARTS = 64


@lru_cache(maxsize=CACHED_CHARTS)
def chart_png(spec_json: str) -> tuple[bytes, int, int]:
    """(PNG, width, height in pixels) of a Vega-Lite spec, rendered by vl-convert (no browser).

    Cached: the PDF and the PowerPoint of a set draw the same charts, and they cost nothing when
    the files are made again."""
    import json
    import struct

    import vl_convert

    png = vl_convert.vegalite_to_png(json.loads(spec_json), scale=2)
    width, height = struct.unpack(">II", png[16:24])  # the IHDR chunk
    return png, width, height


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
    align = "R" if is_rtl(text) else "L"
    for one in lines(pdf, text, pdf.epw):
        pdf.cell(pdf.epw, line, one, align=align, new_x="LMARGIN", new_y="NEXT")
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
    broken = lines(pdf, text, width)
    if len(broken) > max_lines:
        broken = broken[: max(max_lines, 1)]
        broken[-1] = fit(pdf, broken[-1].rstrip() + "…", width, ellipsis_given=True)
    align = "R" if is_rtl(text) else "L"
    for line in broken:
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
    broken = lines(pdf, text, width)
    if len(broken) > max_lines:
        broken = broken[:max_lines]
        broken[-1] = fit(pdf, broken[-1].rstrip() + "…", width, ellipsis_given=True)
    return broken


def lines(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` (cleaned) broken into the lines that fpdf2's ``multi_cell`` would make of it at
    ``width`` in the current font: at spaces (dropped), a word wider than a line at a character,
    and at newlines. Text that is shaped, or drawn partly in the fallback font, goes through
    ``multi_cell`` itself; the rest is broken here a word at a time, because ``multi_cell``
    measures a line again for every character it adds: at k = 100 that was three quarters of
    the PDF's time."""
    if pdf.text_shaping is not None or not set(map(ord, text)) <= _dejavu_chars():
        return pdf.multi_cell(width, LINE, text, dry_run=True, output="LINES")
    room = width - 2 * pdf.c_margin
    space = pdf.get_string_width(" ")
    out = []
    for paragraph in text.split("\n"):
        line, used = None, 0.0
        for word in paragraph.split(" "):
            size = pdf.get_string_width(word)
            if line is not None and used + space + size <= room + TOLERANCE:
                line, used = f"{line} {word}", used + space + size
                continue
            if line is not None:
                out.append(line)
            line, used = word, size
            while used > room + TOLERANCE and len(line) > 1:  # a word wider than a line: cut at a character
                cut = _fitting_prefix(pdf, line, room)
                out.append(line[:cut])
                line = line[cut:]
                used = pdf.get_string_width(line)
        out.append(line)
    return out


#: fpdf2's tolerance when it compares a line's width with the room for it (FloatTolerance).
TOLERANCE = 1e-9


def _fitting_prefix(pdf: FPDF, word: str, room: float) -> int:
    """How many of ``word``'s first characters fit in ``room`` (at least one)."""
    low, high = 1, len(word)
    while low < high:
        middle = (low + high + 1) // 2
        if pdf.get_string_width(word[:middle]) <= room + TOLERANCE:
            low = middle
        else:
            high = middle - 1
    return low


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


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """"#4c78a8" as (76, 120, 168)."""
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))


def mix(colour, other, t: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * t) for a, b in zip(colour, other))

"""Persona sets as a PDF: a cover page, then one A4 page per persona.

fpdf2 draws everything (bars are plain rectangles), with the bundled DejaVu fonts and HarfBuzz
text shaping so that Arabic is joined and laid out right to left. User text is data: it is only
ever passed to ``cell`` / ``multi_cell`` without markdown, so ``<b>`` or ``**`` print as typed.
Each persona page is laid out to fit: long text and lists are cut with an ellipsis or a
"+N more" note instead of spilling onto a second page.
"""

from __future__ import annotations

import math
import os
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from fpdf import FPDF

from ..charts import persona_colors
from ..errors import PersonaLabError
from ..personas.model import Interest, Persona, PersonaSet, Trait
from .atomic import atomic_write

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FAMILY = "DejaVu"
TOP_N = 8
MARGIN = 18.0
FOOTER_SPACE = 20.0  # kept free at the bottom of every page for the footer
LINE = 5.0
TRAIT_ROW, INTEREST_ROW = 8.0, 9.5

INK, MUTED, RULE, WHITE = (33, 37, 41), (108, 117, 125), (222, 226, 230), (255, 255, 255)
COVER = (38, 50, 56)
NEGATIVE = (160, 170, 180)


def _persona_colour(persona: Persona) -> tuple[int, int, int]:
    """The persona's colour in the app's charts, darkened so white text on it stays legible."""
    hex_colour = persona_colors([persona.id])[persona.id].lstrip("#")
    rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
    return _mix(rgb, INK, 0.3)


def pdf_bytes(persona_set: PersonaSet) -> bytes:
    """The PDF report of ``persona_set`` as bytes."""
    pdf = _new_document(persona_set)
    _cover(pdf, persona_set)
    for index, persona in enumerate(persona_set.personas):
        _persona_page(pdf, persona_set, persona, index)
    return bytes(pdf.output())


def write_pdf(persona_set: PersonaSet, path: str | os.PathLike) -> Path:
    """Write the PDF report to ``path`` (atomically) and return the path."""
    return atomic_write(path, pdf_bytes(persona_set))


class _Document(FPDF):
    footer_text = ""
    total_pages = 0

    def footer(self) -> None:
        self.set_draw_color(*RULE)
        self.line(MARGIN, self.h - 14, self.w - MARGIN, self.h - 14)
        self.set_xy(MARGIN, self.h - 12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(self.epw - 20, 4, _fit(self, self.footer_text, self.epw - 20))
        self.cell(20, 4, f"{self.page_no()} / {self.total_pages}", align="R")


def _new_document(persona_set: PersonaSet) -> _Document:
    pdf = _Document(orientation="P", unit="mm", format="A4")
    pdf.add_font(FAMILY, "", FONT_DIR / "DejaVuSans.ttf")
    pdf.add_font(FAMILY, "B", FONT_DIR / "DejaVuSans-Bold.ttf")
    pdf.set_text_shaping(True)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    # Every page is laid out to fit; an automatic break would silently add pages.
    pdf.set_auto_page_break(False)
    version = persona_set.manifest.get("package_version")
    pdf.footer_text = " · ".join(
        _clean(x) for x in (f"Persona Lab {version or ''}".strip(), persona_set.dataset) if x
    )
    pdf.total_pages = 1 + len(persona_set.personas)
    pdf.set_title(_clean(f"Personas: {persona_set.dataset}" if persona_set.dataset else "Personas"))
    pdf.set_creator("Persona Lab")
    pdf.set_subject(_clean(f"{_count(persona_set)} ({persona_set.method})"))
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


# --- pages -----------------------------------------------------------------------------------


def _cover(pdf: _Document, ps: PersonaSet) -> None:
    pdf.add_page()
    pdf.set_fill_color(*COVER)
    pdf.rect(0, 0, pdf.w, 92, style="F")
    _text(pdf, MARGIN, 34, "Personas", 36, WHITE, bold=True)
    if ps.dataset:
        _text(pdf, MARGIN, 52, ps.dataset, 14, WHITE)
    _text(pdf, MARGIN, 62, f"{_count(ps)} · {ps.method}", 11, _mix(COVER, WHITE, 0.7))

    pdf.set_y(106)
    _heading(pdf, "Summary", INK)
    unit = _unit(ps)
    rows = [("Dataset", ps.dataset or "—"), ("Method", ps.method), ("k", str(ps.k)),
            ("Seed", str(ps.manifest.get("seed", "—"))), ("Personas", str(len(ps.personas)))]
    if ps.unassigned:
        share, size = ps.unassigned.get("share", 0.0), ps.unassigned.get("size", 0.0)
        rows.append(("Unassigned", f"{_percent(share)} ({_number(size)} {unit})"))
    rows.append(("Persona Lab version", str(ps.manifest.get("package_version", "—"))))
    for label, value in rows:
        pdf.set_x(MARGIN)
        _cell(pdf, 50, 7, label, 10, MUTED)
        _cell(pdf, pdf.epw - 50, 7, value, 10, INK, newline=True)
        pdf.set_draw_color(*RULE)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())

    pdf.ln(8)
    _heading(pdf, "At a glance", INK)
    bars = [_Bar(p.name, "", p.share, _percent(p.share), _persona_colour(p)) for p in ps.personas]
    if ps.unassigned:
        share = ps.unassigned.get("share", 0.0)
        bars.append(_Bar("Unassigned", "", share, _percent(share), NEGATIVE))
    _bars(pdf, _scaled(bars), row_height=7.5, diverging=False, limit=len(bars))


def _persona_page(pdf: _Document, ps: PersonaSet, persona: Persona, index: int) -> None:
    colour = _persona_colour(persona)
    pdf.add_page()
    pdf.set_fill_color(*colour)
    pdf.rect(0, 0, pdf.w, 48, style="F")
    soft = _mix(colour, WHITE, 0.75)
    _text(pdf, MARGIN, 11, f"PERSONA {index + 1} OF {len(ps.personas)}", 8, soft, bold=True)
    _text(pdf, MARGIN, 17, persona.name, 22, WHITE, bold=True)
    subtitle = f"{_percent(persona.share)} share · {_number(persona.size)} {_unit(ps)}"
    _text(pdf, MARGIN, 30, subtitle, 11, WHITE)
    # A share meter: how big this persona is next to the whole population.
    pdf.set_fill_color(*_mix(colour, WHITE, 0.35))
    pdf.rect(MARGIN, 40, 60, 1.8, style="F")
    pdf.set_fill_color(*WHITE)
    pdf.rect(MARGIN, 40, 60 * min(max(persona.share, 0.0), 1.0), 1.8, style="F")

    pdf.set_y(58)
    facts = _facts(persona)
    if not (facts or persona.explanation.strip() or persona.narrative.strip()
            or persona.traits or persona.interests):
        _caption(pdf, "No profile details were recorded for this persona.")
    # Room kept for the charts, so that long prose is cut before the data-driven part is.
    reserve = sum(25 + min(len(items), TOP_N) * height
                  for items, height in ((persona.traits, TRAIT_ROW), (persona.interests, INTEREST_ROW)) if items)
    if facts:
        _heading(pdf, "Profile", colour)
        _fact_grid(pdf, facts, reserve=reserve + 40)
    if persona.explanation.strip():
        _heading(pdf, "Why this persona", colour)
        _paragraph(pdf, persona.explanation, max_lines=6, reserve=reserve + 20)
    if persona.narrative.strip():
        _heading(pdf, "Story", colour)
        _paragraph(pdf, persona.narrative, max_lines=10, reserve=reserve)
    if persona.traits and _room(pdf) > 30:
        _heading(pdf, "What sets them apart", colour)
        _caption(pdf, "Standardised difference from everybody else (Cohen's d for numbers, h for "
                      "category shares); right: more than overall.")
        _bars(pdf, _trait_bars(persona.traits, colour), diverging=True, row_height=TRAIT_ROW)
    if persona.interests and _room(pdf) > 30:
        _heading(pdf, "Interests", colour)
        bars = _scaled([_interest_bar(i, colour) for i in persona.interests])
        _bars(pdf, bars, diverging=False, row_height=INTEREST_ROW)


def _facts(persona: Persona) -> list[tuple[str, str]]:
    facts = [(str(k), str(v)) for k, v in persona.demographics.items()]
    known = {k.casefold() for k, _ in facts}
    shown = {v for _, v in facts}
    extra = {"Gender": persona.gender, "Age": persona.age, "Country": persona.country}
    # The identity fields are read off the demographics; show them only when they add something.
    return facts + [(k, str(v)) for k, v in extra.items() if v and k.casefold() not in known and str(v) not in shown]


# --- building blocks -------------------------------------------------------------------------


@dataclass
class _Bar:
    label: str
    note: str  # a second, muted line under the label (an interest's topic)
    value: float  # -1..1 of the half width when diverging, 0..1 of the width otherwise
    annotation: str
    colour: tuple[int, int, int]


def _trait_bars(traits: list[Trait], colour) -> list[_Bar]:
    # Effects share one standardised scale (SMD, Cohen's h): one axis for all, at least +-1 wide
    # so that small effects look small.
    effects = [t.effect if math.isfinite(t.effect) else 0.0 for t in traits]
    scale = max([1.0] + [abs(e) for e in effects])
    return [_Bar(t.text or _trait_text(t), "", e / scale, _effect_note(t), colour if e >= 0 else NEGATIVE)
            for t, e in zip(traits, effects)]


def _effect_note(trait: Trait) -> str:
    if trait.kind == "category" and trait.lift is not None and math.isfinite(trait.lift):
        return f"{trait.lift:.1f}× as often"
    return f"{trait.effect:+.2f} {'h' if trait.kind == 'category' else 'SD'}"


def _trait_text(trait: Trait) -> str:
    if trait.kind == "category":
        return f"{trait.feature} = {trait.level}: {_percent(trait.value)} vs {_percent(trait.population)} overall"
    return f"{trait.feature}: {_number(trait.value)} vs {_number(trait.population)} population"


def _interest_bar(interest: Interest, colour) -> _Bar:
    return _Bar(interest.label or interest.item, interest.topic, interest.weight,
                _percent(interest.weight), colour)


def _scaled(bars: list[_Bar]) -> list[_Bar]:
    # Shares and weights are drawn relative to the largest so that small ones stay visible.
    top = max((b.value for b in bars), default=0.0)
    for bar in bars:
        bar.value = bar.value / top if top > 0 else 0.0
    return bars


def _bars(pdf: _Document, bars: list[_Bar], diverging: bool, row_height: float,
          limit: int = TOP_N) -> None:
    label_w, value_w = 80.0, 26.0
    chart_w = pdf.epw - label_w - value_w - 4
    fits = max(0, int((_room(pdf) - LINE) // row_height))
    shown = bars[: min(limit, fits)]
    x0, y0 = MARGIN + label_w + 2, pdf.get_y()
    for row, bar in enumerate(shown):
        y = y0 + row * row_height
        two_lines = bool(bar.note)
        pdf.set_xy(MARGIN, y + (row_height - (8 if two_lines else 4)) / 2)
        _cell(pdf, label_w, 4, bar.label, 9, INK, newline=True)
        if two_lines:
            _cell(pdf, label_w, 4, bar.note, 8, MUTED)
        length = chart_w * (abs(bar.value) / 2 if diverging else bar.value)
        start = x0 + chart_w / 2 - (length if bar.value < 0 else 0) if diverging else x0
        pdf.set_fill_color(*bar.colour)
        pdf.rect(start, y + row_height / 2 - 2, max(length, 0.4), 4, style="F")
        pdf.set_xy(x0 + chart_w + 2, y + row_height / 2 - 2)
        _cell(pdf, value_w, 4, bar.annotation, 9, MUTED, align="R")
    if diverging and shown:
        pdf.set_draw_color(*MUTED)
        pdf.line(x0 + chart_w / 2, y0, x0 + chart_w / 2, y0 + len(shown) * row_height)
    pdf.set_xy(MARGIN, y0 + len(shown) * row_height)
    if len(bars) > len(shown):
        _cell(pdf, pdf.epw, LINE, f"+{len(bars) - len(shown)} more not shown", 8, MUTED, newline=True)


def _heading(pdf: _Document, text: str, colour) -> None:
    pdf.ln(3)
    pdf.set_x(MARGIN)
    _cell(pdf, pdf.epw, 7, text, 12, colour, bold=True, newline=True)
    pdf.set_draw_color(*colour)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + 24, pdf.get_y())
    pdf.ln(2.5)


def _caption(pdf: _Document, text: str) -> None:
    pdf.set_font(FAMILY, "", 8)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.epw, 4, text, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _fact_grid(pdf: _Document, facts: list[tuple[str, str]], reserve: float, columns: int = 3) -> None:
    width, height = pdf.epw / columns, 11.0
    rows = min(math.ceil(len(facts) / columns), max(1, int((_room(pdf) - reserve) // height)), 4)
    y0 = pdf.get_y()
    for i, (key, value) in enumerate(facts[: rows * columns]):
        x, y = MARGIN + (i % columns) * width, y0 + (i // columns) * height
        pdf.set_xy(x, y)
        _cell(pdf, width - 4, 4, key.upper(), 7, MUTED, bold=True)
        pdf.set_xy(x, y + 4.5)
        _cell(pdf, width - 4, 5, value, 10, INK)
    pdf.set_xy(MARGIN, y0 + rows * height)
    if len(facts) > rows * columns:
        _cell(pdf, pdf.epw, LINE, f"+{len(facts) - rows * columns} more", 8, MUTED, newline=True)


def _paragraph(pdf: _Document, text: str, max_lines: int, reserve: float) -> None:
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*INK)
    text = _clean(text, keep_newlines=True)
    lines = pdf.multi_cell(pdf.epw, LINE, text, dry_run=True, output="LINES")
    limit = max(2, min(max_lines, int((_room(pdf) - reserve) // LINE)))
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = _fit(pdf, lines[-1].rstrip() + "…", pdf.epw, ellipsis_given=True)
    align = "R" if _is_rtl(text) else "L"
    for line in lines:
        pdf.set_x(MARGIN)
        pdf.cell(pdf.epw, LINE, line, align=align, new_x="LMARGIN", new_y="NEXT")


def _text(pdf: _Document, x: float, y: float, text: str, size: float, colour, bold=False) -> None:
    pdf.set_xy(x, y)
    _cell(pdf, pdf.w - x - MARGIN, size * 0.45, text, size, colour, bold=bold)


def _cell(pdf, w, h, text, size, colour, bold=False, align="L", newline=False) -> None:
    """One line of user text, cut to the width: never markdown, never wrapping onto the page."""
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    nxt = {"new_x": "LMARGIN", "new_y": "NEXT"} if newline else {}
    pdf.cell(w, h, _fit(pdf, _clean(text), w), align=align, **nxt)


def _fit(pdf: FPDF, text: str, width: float, ellipsis_given: bool = False) -> str:
    width -= 1  # fpdf2's cell padding
    full = pdf.get_string_width(text)
    if full <= width:
        return text
    body = text[:-1] if ellipsis_given else text
    body = body[: int(len(body) * width / full) + 2]  # a first guess keeps long text fast
    while body and pdf.get_string_width(body.rstrip() + "…") > width:
        body = body[:-1]
    return body.rstrip() + "…"


def _clean(text: object, keep_newlines: bool = False) -> str:
    # Control characters (NUL, escape sequences) have no glyphs and confuse PDF viewers.
    text = "" if text is None else str(text)
    lines = text.splitlines() if keep_newlines else [text]
    kept = ["".join(c if unicodedata.category(c) != "Cc" else " " for c in line) for line in lines]
    return "\n".join(" ".join(line.split()) for line in kept)


def _is_rtl(text: str) -> bool:
    # A paragraph's direction is that of its first strong character (Unicode bidi rule P2).
    strong = (d for d in map(unicodedata.bidirectional, text) if d in ("L", "R", "AL"))
    return next(strong, "L") != "L"


def _room(pdf: FPDF) -> float:
    return pdf.h - FOOTER_SPACE - pdf.get_y()


def _count(ps: PersonaSet) -> str:
    return f"{len(ps.personas)} persona{'' if len(ps.personas) == 1 else 's'}"


def _unit(ps: PersonaSet) -> str:
    return "interactions" if ps.kind == "interactions" else "rows"


def _percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def _number(x: float) -> str:
    if not math.isfinite(x):
        return str(x)
    if abs(x - round(x)) < 1e-9 and abs(x) < 1e15:
        return f"{int(round(x)):,}"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:,.1f}" if abs(x) >= 10 else f"{x:.3g}"


def _mix(colour, other, t: float) -> tuple[int, int, int]:
    return tuple(round(a + (b - a) * t) for a, b in zip(colour, other))

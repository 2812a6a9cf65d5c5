"""The PDF report: cover, one card per included persona, appendix; scripts, edits, layout."""

import io
import os

import pandas as pd
import pytest
from pypdf import PdfReader

from persona_lab import charts
from persona_lab.errors import PersonaLabError
from persona_lab.export import atomic, layout
from persona_lab.export.atomic import atomic_write
from persona_lab.export.pdf import ReportContext, pdf_bytes, write_pdf
from persona_lab.personas.model import Interest, Persona, PersonaSet, Trait

from persona_samples import ARABIC, CJK, EXCLUDED, HIDDEN_TRAIT, LATIN, MANIFEST, persona_set


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_cover_then_a_card_per_included_persona_then_the_appendix(tmp_path):
    pages = _pages(write_pdf(persona_set(), tmp_path / "personas.pdf").read_bytes())
    # 4 personas, one excluded: cover + 3 cards + a one-page appendix.
    assert len(pages) == 1 + 3 + 1
    assert "customers.csv" in pages[0] and "kmeans" in pages[0] and "42" in pages[0]
    assert "3 of 4 exported" in pages[0] and "0.1.0" in pages[0]
    for page, (name, share) in zip(pages[1:4], [(LATIN, "41.2%"), (ARABIC, "30.0%"), (CJK, "23.1%")]):
        assert name in page and share in page
    assert all(f"PERSONA {i + 1} OF 3" in pages[1 + i] for i in range(3))
    assert pages[4].startswith("Appendix")
    for section in ("Method", "Settings", "Stability", "Data fingerprint"):
        assert f"\n{section}\n" in pages[4]
    assert all(p.rstrip().endswith(f"{i + 1} / 5") for i, p in enumerate(pages))


def test_excluded_personas_and_hidden_traits_are_left_out():
    pages = _pages(pdf_bytes(persona_set()))
    text = "\n".join(pages)
    assert EXCLUDED not in text and "Never exported" not in text
    assert HIDDEN_TRAIT not in text
    assert "spend" in pages[1] and "visits" in pages[1]  # the chart's bars, drawn as text and vectors


def test_persona_charts_need_no_chart_renderer(monkeypatch):
    """A persona's chart is drawn by the PDF itself (issue 17: 100 vl-convert renders were a third
    of a k = 100 run); only the charts of the choice of k are rendered."""
    def refuse(spec):
        raise AssertionError("a persona chart went through vl-convert")

    monkeypatch.setattr(layout, "chart_png", refuse)
    assert len(_pages(pdf_bytes(persona_set()))) == 5


def _drawn_chart(persona, max_height=120.0):
    """The rectangles (x, y, w, h) and texts (x, y, text) that profile_chart draws."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    layout.add_fonts(pdf, "")
    pdf.add_page()
    pdf.set_y(40)
    rects, texts = [], []
    draw_rect, draw_cell = pdf.rect, pdf.cell
    pdf.rect = lambda x, y, w, h, style=None, **kw: (rects.append((x, y, w, h)), draw_rect(x, y, w, h, style, **kw))
    pdf.cell = lambda w, h, text="", **kw: (texts.append((pdf.get_x(), pdf.get_y(), text)), draw_cell(w, h, text, **kw))
    layout.profile_chart(pdf, persona, (76, 120, 168), max_height)
    return rects, texts, pdf


def test_the_persona_chart_draws_effects_from_zero_both_ways_with_labels_and_an_axis():
    sofia = persona_set().personas[0]  # spend +1.3, visits -0.6 (a hidden trait left out)
    rects, texts, _ = _drawn_chart(sofia)
    (spend, visits) = rects
    assert visits[0] + visits[2] == pytest.approx(spend[0])  # both bars meet at zero
    assert spend[2] / visits[2] == pytest.approx(1.3 / 0.6)  # lengths on one scale
    assert spend[1] < visits[1] and spend[1] + spend[3] <= visits[1]  # one row each, not overlapping
    labels = [t for _, _, t in texts]
    assert labels.index("spend") < labels.index("visits") and HIDDEN_TRAIT not in labels
    assert "\u22120.5" in labels and "0" in labels and "1.5" in labels and "effect size (SD)" in labels
    ticks = [t for t in texts if t[2] in ("\u22120.5", "0", "0.5", "1", "1.5")]
    assert all(a[0] < b[0] for a, b in zip(ticks, ticks[1:]))  # left to right, in order


def test_the_persona_chart_keeps_markup_literal_cuts_long_labels_and_fits_its_height():
    from dataclasses import replace

    base = persona_set().personas[1]  # interests only
    long = "A title far too long for the label column of a persona chart " * 3
    interests = [replace(i, label=label) for i, label in zip(base.interests, ["<b>x</b> **y**", long])]
    persona = replace(base, interests=interests + base.interests[2:], traits=[])
    rects, texts, _ = _drawn_chart(persona)
    labels = [t for _, _, t in texts]
    assert "<b>x</b> **y**" in labels and "share of interest" in labels and "30%" in labels
    cut = next(t for t in labels if t.startswith("A title"))
    assert cut.endswith("…") and len(cut) < len(long)
    assert len(rects) == layout.TOP_N
    # Room for three bars and the axis: three bars, not eight spilling over.
    rects, _, pdf = _drawn_chart(persona, max_height=3 * layout.BAR_ROW + layout.AXIS_H)
    assert len(rects) == 3 and pdf.get_y() == pytest.approx(40 + 3 * layout.BAR_ROW + layout.AXIS_H)


@pytest.mark.parametrize("low, high, ticks", [(0, 0.3, [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]),
                                              (-0.6, 1.3, [-0.5 * 2, -0.5, 0, 0.5, 1, 1.5]),
                                              (0, 0.0123, [0, 0.0025, 0.005, 0.0075, 0.01, 0.0125]),
                                              (0, 0, [0, 1])])
def test_nice_ticks_are_round_and_cover_the_values(low, high, ticks):
    assert layout.nice_ticks(low, high) == pytest.approx(ticks)


def test_lines_are_broken_where_fpdf2_breaks_them():
    """The word-at-a-time line breaker makes the lines multi_cell makes (at spaces, inside a word
    wider than the line, at newlines), in any size and weight, on Latin text; shaped text is
    multi_cell's own."""
    import random

    from fpdf import FPDF

    pdf = FPDF(unit="mm", format="A4")
    layout.add_fonts(pdf, "")
    pdf.add_page()
    rng = random.Random(0)
    words = ("the persona of 12.5% Star Wars (1977) 18-24 é “quoted” — <b>x</b> **md** "
             + "W" * 60 + " supercalifragilistic-and-then-some").split(" ")
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 50)))
        text = layout.clean(text.replace(" the ", "\n", 1).replace(" of ", "\n\n", 1), keep_newlines=True)
        pdf.set_font(layout.FAMILY, rng.choice(["", "B"]), rng.choice([7, 9, 10, 22]))
        layout.shape_for(pdf, text)
        width = rng.uniform(10, 180)
        assert layout.lines(pdf, text, width) == pdf.multi_cell(width, 5, text, dry_run=True, output="LINES"), text
    many = layout.lines(pdf, "word " * 200, 50)
    assert len(many) > 10 and all(pdf.get_string_width(line) <= 50 for line in many)


def test_tick_labels_are_as_precise_as_their_ticks():
    assert [layout.tick_label(t, percent=True) for t in layout.nice_ticks(0, 0.0123)] == [
        "0%", "0.25%", "0.5%", "0.75%", "1%", "1.25%"]
    assert [layout.tick_label(t) for t in (-1.0, -0.25, 0.0, 0.1 + 0.2)] == ["\u22121", "\u22120.25", "0", "0.3"]


def test_card_holds_face_chart_story_quotes_and_stability():
    reader = PdfReader(io.BytesIO(pdf_bytes(persona_set())))
    page = reader.pages[1]
    text = page.extract_text()
    assert "29 · female · DE" in text and "Stability: recovered in 87.0% of resamples" in text
    assert "Sofia plans every purchase ahead." in text and "What sets them apart" in text
    assert "“I always compare prices first.”" in text and "Distinctive words: price, delivery" in text
    assert len(page.images) == 0  # the chart and the face are drawn as vector paths:
    faceless = persona_set()
    faceless.personas[0].face = ""
    without = PdfReader(io.BytesIO(pdf_bytes(faceless))).pages[1].get_contents().get_data()
    assert len(page.get_contents().get_data()) > len(without) + 2000
    assert "Also strong in: 25-34 · female · EG (0.20)" in reader.pages[2].extract_text()
    assert "+4 more not shown" in reader.pages[2].extract_text()  # 12 interests, 8 drawn


def test_markup_in_user_text_is_printed_literally():
    pages = _pages(pdf_bytes(persona_set()))
    assert "<i>x</i> **bold**" in pages[3]


def _embedded_glyphs(page) -> tuple[set[str], set[str]]:
    from fontTools.ttLib import TTFont

    names, glyphs = set(), set()
    for font in page["/Resources"]["/Font"].values():
        font = font.get_object()
        names.add(str(font["/BaseFont"]))
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        glyphs |= set(embedded.getGlyphOrder())
    return names, glyphs


def test_arabic_is_shaped_into_joined_forms():
    page = PdfReader(io.BytesIO(pdf_bytes(persona_set()))).pages[2]
    assert ARABIC in page.extract_text()  # the text layer keeps the letters, in logical order
    # HarfBuzz picks the joined presentation forms: initial lam (U+FEDF), final yeh (U+FEF0).
    assert {"uniFEDF", "uniFEF0"} <= _embedded_glyphs(page)[1]


def test_cjk_is_drawn_with_a_cjk_font():
    assert layout.cjk_font() is not None, "no CJK font: scripts/setup.sh installs fonts-droid-fallback"
    page = PdfReader(io.BytesIO(pdf_bytes(persona_set()))).pages[3]
    assert CJK in page.extract_text() and "陽子さんは毎朝ニュースを読みます。" in page.extract_text()
    fonts, glyphs = _embedded_glyphs(page)
    assert any("Droid" in f or "CJK" in f or "MicroHei" in f for f in fonts), fonts
    assert len(glyphs) > 10


def test_k_choice_on_the_cover_and_its_charts_in_the_appendix():
    table = pd.DataFrame({"criterion": ["silhouette"] * 4, "k": [2, 3, 4, 5], "value": [0.3, 0.5, 0.4, 0.35]})
    context = ReportContext("k = 3 picked by the vote", (("Criteria over k", charts.criterion_curve(table, {"silhouette": 3}).to_json()),))
    reader = PdfReader(io.BytesIO(pdf_bytes(persona_set(), context)))
    assert "How k was chosen" in reader.pages[0].extract_text()
    assert "k = 3 picked by the vote" in reader.pages[0].extract_text()
    appendix = "\n".join(p.extract_text() for p in reader.pages[4:])
    assert "Criteria over k" in appendix
    assert sum(len(p.images) for p in reader.pages[4:]) == 1


def test_appendix_holds_the_manifest_and_descriptor_profiles():
    appendix = _pages(pdf_bytes(persona_set()))[4]
    # Readable tables, not the manifest's JSON.
    assert f"Data fingerprint {MANIFEST['data_fingerprint']}" in appendix and "n_init 10" in appendix
    assert "Seed 42" in appendix and "Preparation spend: numeric, standard scaled" in appendix
    assert f"{LATIN} recovered in 87.0% of resamples" in appendix and "Other personas not assessed" in appendix
    assert "{" not in appendix and '"seed"' not in appendix
    assert "Descriptor profiles" in appendix and "revenue" in appendix and "120 [110, 131]" in appendix
    assert "channel = web" in appendix and "40.0% [33.0%, 47.0%]" in appendix


def test_overlong_content_never_spills_onto_extra_pages():
    long = "word " * 2000
    persona = Persona(
        0, "A" * 300, 1e12 + 0.5, float("nan"),
        demographics={f"key {i}" * 5: long[:400] for i in range(40)},
        traits=[Trait(f"f{i}", "numeric", i, 0.0, float(i - 20), text=long[:500]) for i in range(40)],
        interests=[Interest(long[:300], 1.0 / (i + 1), topic=long[:300]) for i in range(40)],
        explanation=long, narrative="line\n" * 200 + "\x00\x1b[31m", quotes=[long] * 5, terms=["t" * 50] * 40,
    )
    ps = PersonaSet("nmf", 1, [persona], {"seed": 1}, dataset=long[:500], kind="interactions")
    reader = PdfReader(io.BytesIO(pdf_bytes(ps)))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) == 3 and pages[2].startswith("Appendix")
    # A NaN share draws no "nan" into the content streams (viewers stop at such an operator).
    assert all(b"nan" not in page.get_contents().get_data() for page in reader.pages)


def test_empty_and_sparse_sets_render():
    ps = PersonaSet("hdbscan", 0, [], {}, unassigned={"size": 10, "share": 1.0})
    assert len(_pages(pdf_bytes(ps))) == 2  # cover and appendix
    bare = PersonaSet("kmeans", 1, [Persona(0, "", 0, 0.0, face="<svg broken")], {})
    assert len(_pages(pdf_bytes(bare))) == 3


def test_reruns_are_byte_identical_with_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = pdf_bytes(persona_set())
    assert pdf_bytes(persona_set()) == first
    assert PdfReader(io.BytesIO(first)).metadata.title == "Personas: customers.csv"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PersonaLabError):
        pdf_bytes(persona_set())


def test_atomic_write_keeps_the_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "personas.json"
    target.write_text("old")

    def broken_replace(src, dst):
        raise KeyboardInterrupt  # as if the user pressed Ctrl-C between write and rename

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["personas.json"]


def test_atomic_write_fails_cleanly_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.pdf"
    target.write_bytes(b"old")
    real_fdopen = os.fdopen

    class Full(io.RawIOBase):
        def __init__(self, fd):
            self.handle = real_fdopen(fd, "wb")

        def write(self, data):
            self.handle.write(data[:3])
            raise OSError(28, "No space left on device")

        def close(self):
            self.handle.close()
            super().close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: Full(fd))
    with pytest.raises(PersonaLabError, match="No space left"):
        atomic_write(target, b"new content")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.pdf"]


def test_atomic_write_text_and_permissions(tmp_path):
    path = atomic_write(tmp_path / "a.md", "héllo\r\n")
    assert path.read_bytes() == "héllo\r\n".encode()
    assert path.stat().st_mode & 0o044  # readable by others as usual, not mkstemp's 0600
    with pytest.raises(PersonaLabError, match="does not exist"):
        atomic_write(tmp_path / "missing" / "a.md", "x")


def test_the_index_lists_every_persona_of_a_large_set():
    from dataclasses import replace

    ps = persona_set()
    base = [p for p in ps.personas if p.include]
    many = replace(ps, k=90, personas=[replace(base[i % 3], id=i, name=f"Persona {i:03d}", share=1 / 90, traits=[],
                                               interests=[]) for i in range(90)])
    pages = _pages(pdf_bytes(many))
    index = "\n".join(p for p in pages if "Index of personas" in p)
    assert all(f"Persona {i:03d}" in index for i in range(90)) and "more not shown" not in index
    assert "PERSONA 90 OF 90" in "\n".join(pages)


def _label_boxes(spec: dict) -> list[tuple[float, float, float]]:
    """(left, right, y) of each cell label of a chart, as vl-convert lays it out, measured in the
    widest font it may use (DejaVu Sans)."""
    import re

    import vl_convert
    from PIL import ImageFont

    svg = vl_convert.vegalite_to_svg(spec)
    boxes = []
    for x, y, size, text in re.findall(r'aria-roledescription="text mark" text-anchor="middle" '
                                       r'transform="translate\(([\d.]+),([\d.]+)\)"[^>]*font-size="([\d.]+)px"[^>]*>'
                                       r'([^<]*)</text>', svg):
        width = ImageFont.truetype(str(layout.FONT_DIR / "DejaVuSans.ttf"), round(float(size))).getlength(text)
        boxes.append((float(x) - width / 2, float(x) + width / 2, float(y)))
    return boxes


def test_k_hat_heatmap_labels_never_overlap():
    """"93%7%": the labels of neighbouring cells ran into each other at Vega's default column width."""
    import json

    ks = list(range(2, 41))
    p = pd.DataFrame([(c, k, 1.0 if (c == "rule" and k == 2) else 0.93 if k == 3 else 0.07)
                      for c in ("rule", "silhouette") for k in ks], columns=["criterion", "k", "probability"])
    spec = json.loads(charts.k_hat_heatmap(p).to_json())
    boxes = _label_boxes(spec)
    assert len(boxes) == 2 * len(ks)
    for y in {b[2] for b in boxes}:
        row = sorted(b for b in boxes if b[2] == y)
        assert all(right + 2 <= left for (_, right, _), (left, _, _) in zip(row, row[1:])), row
    # The same check finds the overlap at the old width: it measures what it claims.
    spec["width"] = {"step": 20}
    row = sorted(b for b in _label_boxes(spec) if b[2] == boxes[0][2])
    assert any(right + 2 > left for (_, right, _), (left, _, _) in zip(row, row[1:]))


def _label_runs(image, bare, gap: int = 6) -> list[int]:
    """Per row of cell labels, how many separate labels the image shows: the pixels where the chart
    with its labels differs from the same chart without them, split where more than ``gap`` pixel
    columns hold none (the glyphs of one label, "7" and "%", stand closer)."""
    import numpy as np

    ink = np.abs(np.asarray(image.convert("RGB"), dtype=int) - np.asarray(bare.convert("RGB"), dtype=int)).sum(axis=2) > 60
    rows = np.flatnonzero(ink.any(axis=1))
    bands = np.split(rows, np.flatnonzero(np.diff(rows) > 1) + 1)
    counts = []
    for band in bands:
        columns = np.flatnonzero(ink[band].any(axis=0))
        counts.append(1 + int((np.diff(columns) > gap).sum()))  # blank columns between two labels
    return counts


def test_the_pdf_heatmap_labels_stand_apart_in_its_image():
    """The P(k_hat = k) heatmap as the PDF holds it: every cell's label a blob of its own, never run
    into its neighbour's ("93%7%")."""
    import json

    from PIL import Image

    ks = list(range(2, 14))
    p = pd.DataFrame([(c, k, 0.93 if k == 3 else 0.07) for c in ("rule", "silhouette") for k in ks],
                     columns=["criterion", "k", "probability"])
    spec = json.loads(charts.k_hat_heatmap(p).to_json())
    report = pdf_bytes(persona_set(), ReportContext("k = 3", (("P(k_hat = k) over resamples", json.dumps(spec)),)))
    page = next(pg for pg in PdfReader(io.BytesIO(report)).pages if "P(k_hat = k) over resamples" in pg.extract_text())
    (drawn,) = [im.image for im in page.images]
    bare = {**spec, "layer": spec["layer"][:1]}  # the cells without their labels, laid out alike
    blank = Image.open(io.BytesIO(layout.chart_png(json.dumps(bare))[0]))
    assert drawn.size == blank.size
    assert _label_runs(drawn, blank) == [len(ks), len(ks)]
    # At Vega's default column width the same count finds labels run together: it sees what it claims.
    narrow = {**spec, "width": {"step": 20}}
    crowded = Image.open(io.BytesIO(layout.chart_png(json.dumps(narrow))[0]))
    crowded_blank = Image.open(io.BytesIO(layout.chart_png(json.dumps({**narrow, "layer": spec["layer"][:1]}))[0]))
    assert min(_label_runs(crowded, crowded_blank)) < len(ks)


def test_a_long_card_header_wraps_instead_of_being_cut():
    from dataclasses import replace

    ps = persona_set()
    persona = replace(ps.personas[0], prevalence=0.096)
    ps = replace(ps, kind="interactions", personas=[persona])
    page = _pages(pdf_bytes(ps))[1]
    flat = " ".join(page.split())
    # "matches 9.6% of all interactions: its skeleton group's, attributed to it" runs past the band's width.
    assert "matches 9.6% of all interactions: its skeleton group's, attributed to it" in flat
    assert "…" not in page.split("Profile")[0]


def test_a_k_chosen_by_hand_is_explained_next_to_the_recommendation():
    from types import SimpleNamespace

    from persona_lab.export.pdf import k_choice

    selection = SimpleNamespace(recommended_k=2, resamples=50, k_distribution={2: 0.93, 3: 0.07}, stable=[2, 3],
                                headline="2 personas (chosen in 93% of 50 resamples; 2-3 cover 90%)",
                                statement="k = 2 beats the null band")
    text = k_choice(selection, 10)
    assert text.startswith("k = 10 chosen by hand. The stability assessment recommends 2 personas")
    assert "reappears most reliably when the data are resampled" in text
    assert "P(k_hat = 10)" in text and "0% of 50 resamples" in text and "not more stable" in text
    assert "finer detail" in text
    assert "k = 3 itself was the answer on 7% of 50 resamples" in k_choice(selection, 3)
    assert k_choice(selection, 2) == "Stability assessment: k = 2 beats the null band"
    cover = _pages(pdf_bytes(persona_set(), ReportContext(text)))[0]
    flat = " ".join(cover.split())
    assert "finer detail" in flat and "read each one's stability before relying on it." in flat  # not cut

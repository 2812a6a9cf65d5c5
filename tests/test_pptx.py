"""The PowerPoint deck: title, one slide per included persona, how k was chosen; opens in LibreOffice."""

import functools
import io
import shutil
import subprocess
import unicodedata

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pypdf import PdfReader

from persona_lab import charts
from persona_lab.export.pdf import ReportContext
from persona_lab.export.pptx import face_png, pptx_bytes, write_pptx

from persona_samples import ARABIC, CJK, EXCLUDED, LATIN, persona_set

INCLUDED = [LATIN, ARABIC, CJK]


def _context() -> ReportContext:
    import pandas as pd

    table = pd.DataFrame({"k": [2, 3, 4, 2, 3, 4], "criterion": ["silhouette"] * 3 + ["gap"] * 3,
                          "value": [0.4, 0.6, 0.5, 0.1, 0.3, 0.2]})
    chart = charts.criterion_curve(table, {"silhouette": 3, "gap": 3}, {"silhouette": "Silhouette", "gap": "Gap"})
    return ReportContext("Stability assessment: k = 3 (4 of 4 criteria agree)", (("Criteria over k", chart.to_json()),))


def _texts(data: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(data))
    return ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]


def test_slides_are_title_shares_overview_personas_method_then_the_k_summary():
    with_k, without = _texts(pptx_bytes(persona_set(), _context())), _texts(pptx_bytes(persona_set()))
    assert len(with_k) == 1 + 1 + 1 + 3 + 1 + 1 and len(without) == 1 + 1 + 1 + 3 + 1
    assert "customers.csv" in with_k[0] and "3 personas of 4" in with_k[0]
    assert with_k[1] == "Share of rows" and with_k[2] == "All personas"
    for slide, name, share in zip(with_k[3:6], INCLUDED, ("41.2%", "30.0%", "23.1%")):
        assert name in slide and share in slide
    assert with_k[6] == "How these personas were made"
    assert "How many personas" in with_k[7] and "4 of 4 criteria agree" in with_k[7]
    assert EXCLUDED not in "\n".join(with_k)


def _charts(slide):
    return [s.chart for s in slide.shapes if s.has_chart]


def test_charts_are_native_and_editable():
    deck = Presentation(io.BytesIO(pptx_bytes(persona_set(), _context())))
    slides = list(deck.slides)
    (shares,) = _charts(slides[1])
    assert list(shares.plots[0].categories) == INCLUDED[::-1]  # the largest on top
    assert [round(v, 3) for v in shares.plots[0].series[0].values] == [0.231, 0.3, 0.412]
    (traits,) = _charts(slides[3])
    assert list(traits.plots[0].categories) == ["visits", "spend"]  # the hidden trait left out
    assert list(traits.plots[0].series[0].values) == [-0.6, 1.3]
    (interests,) = _charts(slides[4])
    assert len(list(interests.plots[0].categories)) == 8 and "Pasta part 0" in list(interests.plots[0].categories)
    curve, gap = _charts(slides[7])  # one small chart per criterion
    assert curve.chart_type is not None and [round(v, 1) for v in curve.plots[0].series[0].values] == [0.4, 0.6, 0.5]
    # No chart is a picture: the only pictures are faces.
    pictures = [s for slide in slides for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert [p.image.blob for p in pictures] == [face_png(p.face) for p in persona_set().personas[:2]]


def test_bars_leave_room_for_their_values_on_a_few_round_ticks():
    """At LibreOffice's automatic scale a negative bar's value ran into its category's label."""
    deck = Presentation(io.BytesIO(pptx_bytes(persona_set())))
    (traits,) = _charts(list(deck.slides)[3])  # effects -0.6 and 1.3: a span of 1.9
    axis = traits.value_axis
    assert axis.minimum_scale <= -0.6 - 0.25 * 1.9 and axis.maximum_scale >= 1.3 + 0.25 * 1.9
    assert (axis.maximum_scale - axis.minimum_scale) / axis.major_unit <= 8  # labels stay level
    (shares,) = _charts(list(deck.slides)[1])  # shares only: the axis starts at 0
    assert shares.value_axis.minimum_scale == 0 and shares.value_axis.maximum_scale >= 0.412 * 1.25


def test_the_k_hat_heatmap_is_a_shaded_table_and_the_method_slide_is_filled():
    import pandas as pd

    p = pd.DataFrame({"criterion": ["rule", "rule", "gap"], "k": [2, 3, 3], "probability": [0.93, 0.07, 1.0]})
    context = ReportContext("k = 3 chosen by hand", (("P(k_hat = k)", charts.k_hat_heatmap(p).to_json()),))
    deck = Presentation(io.BytesIO(pptx_bytes(persona_set(), context)))
    slides = list(deck.slides)
    (table,) = [s.table for s in slides[-1].shapes if s.has_table]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells == [["k", "2", "3"], ["rule", "93%", "7%"], ["gap", "", "100%"]]
    method = [[c.text for c in row.cells] for s in slides[-2].shapes if s.has_table for row in s.table.rows]
    flat = {tuple(row) for row in method}
    assert ("Method", "kmeans") in flat and ("n_init", "10") in flat and ("Seed", "42") in flat
    assert ("Data fingerprint", "sha256:abc123") in flat and ("How k was chosen", "k = 3 chosen by hand") in flat


def test_a_persona_slide_has_face_chart_narrative_and_prevalence():
    ps = persona_set()
    ps.personas[0].prevalence, ps.personas[0].headline = 0.04, ["age 25-34", "spend above the overall mean (230)"]
    deck = Presentation(io.BytesIO(pptx_bytes(ps)))
    slide = deck.slides[3]
    text = "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "Matches 4.0% of real rows" in text and "age 25-34; spend above the overall mean (230)" in text
    assert "Sofia plans every purchase ahead." in text and "I always compare prices first." in text
    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1 and len(_charts(slide)) == 1  # the face, and the traits chart (native)
    assert pictures[0].image.content_type == "image/png" and pictures[0].image.blob == face_png(ps.personas[0].face)
    # The CJK persona has no face, no traits and no interests: no pictures, no chart.
    assert not [s for s in deck.slides[5].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE or s.has_chart]


def test_face_png_is_a_png_of_the_svg_and_none_for_a_broken_one():
    png = face_png(persona_set().personas[0].face, pixels=64)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 64
    assert face_png("<svg><not closed") is None and face_png("") is None


def test_libreoffice_opens_the_deck_and_it_holds_every_persona_name(tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: scripts/setup.sh --browser installs it"
    path = write_pptx(persona_set(), tmp_path / "personas.pptx", _context())
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(path)], check=True, capture_output=True, timeout=120)
    reader = PdfReader(tmp_path / "personas.pdf")
    assert len(reader.pages) == 1 + 1 + 1 + 3 + 1 + 1  # title, shares, overview, personas, method, k
    # NFKC: an Arabic name may come back in presentation forms (shaped glyphs); compare letters only.
    text = unicodedata.normalize("NFKC", "\n".join(p.extract_text() for p in reader.pages))
    letters = "".join(ch for ch in text if not ch.isspace())
    for name in INCLUDED:
        wanted = "".join(unicodedata.normalize("NFKC", name).split())
        assert wanted in letters or wanted[::-1] in letters, name


def test_the_same_personas_give_the_same_bytes(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = pptx_bytes(persona_set(), _context())
    assert pptx_bytes(persona_set(), _context()) == first
    assert Presentation(io.BytesIO(first)).core_properties.created.year == 2023


def test_the_pdf_and_the_deck_of_one_set_share_each_chart_render(monkeypatch):
    """The charts of the choice of k are rendered once for both (persona charts are native in
    both and render nothing)."""
    from persona_lab.export import layout
    from persona_lab.export.pdf import pdf_bytes

    rendered = []
    real = layout.chart_png.__wrapped__

    @functools.lru_cache(maxsize=layout.CACHED_CHARTS)
    def counting(spec):
        rendered.append(spec)
        return real(spec)

    monkeypatch.setattr(layout, "chart_png", counting)
    ps, context = persona_set(), _context()
    pdf_bytes(ps, context)
    pptx_bytes(ps, context)
    assert rendered and len(rendered) == len(set(rendered)) <= len(context.k_charts)


def _many(n: int):
    """``n`` personas: the sample's three included ones, renamed and numbered."""
    from dataclasses import replace

    ps = persona_set()
    base = [p for p in ps.personas if p.include]
    personas = [replace(base[i % 3], id=i, name=f"Persona {i:03d}", share=1 / n) for i in range(n)]
    return replace(ps, k=n, personas=personas)


def test_the_overview_slides_list_every_persona_numbered_as_its_slide():
    deck = Presentation(io.BytesIO(pptx_bytes(_many(45))))
    overview = [slide for slide in deck.slides if any(s.has_table for s in slide.shapes)][:-1]  # not the method
    assert len(overview) == 3  # 20 a slide
    listed = [row.cells[1].text for slide in overview for s in slide.shapes if s.has_table
              for row in list(s.table.rows)[1:]]
    assert listed == [f"Persona {i:03d}" for i in range(45)]
    title = "\n".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert "and 39 more" in title

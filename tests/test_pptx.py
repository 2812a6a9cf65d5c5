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

from persona_samples import ARABIC, CJK, EXCLUDED, HIDDEN_TRAIT, LATIN, persona_set

INCLUDED = [LATIN, ARABIC, CJK]


def _context() -> ReportContext:
    import pandas as pd

    table = pd.DataFrame({"k": [2, 3, 4, 2, 3, 4], "criterion": ["silhouette"] * 3 + ["gap"] * 3,
                          "score": [0.4, 0.6, 0.5, 0.1, 0.3, 0.2]})
    chart = charts.criterion_curve(table, {"silhouette": 3, "gap": 3}, {"silhouette": "Silhouette", "gap": "Gap"})
    return ReportContext("Stability assessment: k = 3 (4 of 4 criteria agree)", (("Criteria over k", chart.to_json()),))


def _texts(data: bytes) -> list[str]:
    deck = Presentation(io.BytesIO(data))
    return ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]


def test_slides_are_title_overview_personas_then_the_k_summary():
    with_k, without = _texts(pptx_bytes(persona_set(), _context())), _texts(pptx_bytes(persona_set()))
    assert len(with_k) == 1 + 1 + 3 + 1 and len(without) == 1 + 1 + 3
    assert "customers.csv" in with_k[0] and "3 personas of 4" in with_k[0]
    assert with_k[1] == "All personas"
    for slide, name, share in zip(with_k[2:5], INCLUDED, ("41.2%", "30.0%", "23.1%")):
        assert name in slide and share in slide
    assert "How many personas" in with_k[5] and "4 of 4 criteria agree" in with_k[5]
    assert EXCLUDED not in "\n".join(with_k)


def test_a_persona_slide_has_face_chart_narrative_and_prevalence():
    ps = persona_set()
    ps.personas[0].prevalence, ps.personas[0].headline = 0.04, ["age 25-34", "spend above the overall mean (230)"]
    deck = Presentation(io.BytesIO(pptx_bytes(ps)))
    slide = deck.slides[2]
    text = "\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
    assert "Matches 4.0% of real rows" in text and "age 25-34; spend above the overall mean (230)" in text
    assert "Sofia plans every purchase ahead." in text and "I always compare prices first." in text
    pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 2  # the face and the traits chart
    assert pictures[0].image.content_type == "image/png" and pictures[0].image.blob == face_png(ps.personas[0].face)
    # The CJK persona has no face, no traits and no interests: no pictures.
    assert not [s for s in deck.slides[4].shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]


def test_the_hidden_trait_is_not_charted(monkeypatch):
    drawn = []
    real = charts.persona_profile
    monkeypatch.setattr(charts, "persona_profile", lambda p, n: drawn.append(p) or real(p, n=n))
    pptx_bytes(persona_set())
    assert drawn and all(HIDDEN_TRAIT not in [t.feature for t in p.traits] for p in drawn)


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
    assert len(reader.pages) == 1 + 1 + 3 + 1  # title, overview, personas, how k was chosen
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
    """Each chart is rendered once: the deck reuses the PDF's renders (issue 17: 100 personas
    rendered 200 charts), also when they are rendered several at a time."""
    from persona_lab.export import layout
    from persona_lab.export.pdf import pdf_bytes

    rendered = []
    real = layout.chart_png.__wrapped__

    @functools.lru_cache(maxsize=layout.CACHED_CHARTS)
    def counting(spec):
        rendered.append(spec)
        return real(spec)

    monkeypatch.setattr(layout, "chart_png", counting)
    ps = persona_set()
    pdf_bytes(ps, n_jobs=2)
    pptx_bytes(ps, n_jobs=2)
    charted = [p for p in ps.personas if p.include and (p.traits or p.interests)]
    assert len(rendered) == len(set(rendered)) == len(charted)


def _many(n: int):
    """``n`` personas: the sample's three included ones, renamed and numbered."""
    from dataclasses import replace

    ps = persona_set()
    base = [p for p in ps.personas if p.include]
    personas = [replace(base[i % 3], id=i, name=f"Persona {i:03d}", share=1 / n) for i in range(n)]
    return replace(ps, k=n, personas=personas)


def test_the_overview_slides_list_every_persona_numbered_as_its_slide():
    deck = Presentation(io.BytesIO(pptx_bytes(_many(45))))
    overview = [slide for slide in deck.slides if any(s.has_table for s in slide.shapes)]
    assert len(overview) == 3  # 20 a slide
    listed = [row.cells[1].text for slide in overview for s in slide.shapes if s.has_table
              for row in list(s.table.rows)[1:]]
    assert listed == [f"Persona {i:03d}" for i in range(45)]
    title = "\n".join(s.text_frame.text for s in deck.slides[0].shapes if s.has_text_frame)
    assert "and 39 more" in title

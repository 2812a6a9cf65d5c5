import io
import os

import pytest
from pypdf import PdfReader

from persona_lab.errors import PersonaLabError
from persona_lab.export import atomic
from persona_lab.export.atomic import atomic_write
from persona_lab.export.pdf import pdf_bytes, write_pdf
from persona_lab.personas.model import Interest, Persona, PersonaSet, Trait

MANIFEST = {"seed": 42, "package_version": "0.1.0"}


def _persona_set() -> PersonaSet:
    traits = [
        Trait("spend", "numeric", 412.0, 230.0, 1.3, text="spend: 412 vs 230 overall"),
        Trait("visits", "numeric", 3.1, 5.2, -0.6),
        Trait("plan", "category", 0.62, 0.21, 0.88, level="premium", lift=2.95),
    ]
    interests = [Interest(f"video_{i}", 0.3 / (i + 1), label=f"Pasta part {i}", topic="Food") for i in range(12)]
    personas = [
        Persona(0, "Sofia Fischer", 412, 0.412, demographics={"Age": "25-34", "Country": "DE"},
                traits=traits, explanation="Differs most in spend.", narrative="Sofia plans ahead."),
        Persona(1, "ليلى حسن", 300, 0.30, gender="female", country="EG", interests=interests,
                explanation="Top group: female 35-44 EG.", narrative="تحب ليلى الطبخ."),
        Persona(2, "<b>Eve</b> **Kato** 加藤 😀", 231, 0.231, demographics={"Segment": "<i>x</i>"}),
    ]
    return PersonaSet(method="kmeans", k=3, personas=personas, manifest=MANIFEST,
                      unassigned={"size": 57, "share": 0.057}, dataset="customers.csv")


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_one_cover_and_one_page_per_persona(tmp_path):
    path = write_pdf(_persona_set(), tmp_path / "personas.pdf")
    pages = _pages(path.read_bytes())
    assert len(pages) == 4
    assert "Personas" in pages[0] and "customers.csv" in pages[0] and "kmeans" in pages[0]
    assert "42" in pages[0] and "0.1.0" in pages[0] and "5.7%" in pages[0]
    assert "Sofia Fischer" in pages[1] and "41.2%" in pages[1]
    assert "What sets them apart" in pages[1] and "spend: 412 vs 230 overall" in pages[1]
    assert "30.0%" in pages[2] and "Interests" in pages[2] and "+4 more" in pages[2]
    assert "23.1%" in pages[3]


def test_markup_in_user_text_is_printed_literally():
    pages = _pages(pdf_bytes(_persona_set()))
    assert "<b>Eve</b> **Kato**" in pages[3]
    assert "<i>x</i>" in pages[3]


def test_arabic_is_shaped_into_joined_forms():
    from fontTools.ttLib import TTFont

    page = PdfReader(io.BytesIO(pdf_bytes(_persona_set()))).pages[2]
    assert "ليلى حسن" in page.extract_text()  # the text layer keeps the letters, in logical order
    glyphs = set()
    for font in page["/Resources"]["/Font"].values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
        embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
        glyphs |= set(embedded.getGlyphOrder())
    # HarfBuzz picks the joined presentation forms: initial lam (U+FEDF), final yeh (U+FEF0).
    assert {"uniFEDF", "uniFEF0"} <= glyphs


def test_overlong_content_never_spills_onto_extra_pages():
    long = "word " * 2000
    persona = Persona(
        0, "A" * 300, 1e12 + 0.5, float("nan"),
        demographics={f"key {i}" * 5: long[:400] for i in range(40)},
        traits=[Trait(f"f{i}", "numeric", i, 0.0, float(i - 20), text=long[:500]) for i in range(40)],
        interests=[Interest(long[:300], 1.0 / (i + 1), topic=long[:300]) for i in range(40)],
        explanation=long, narrative="line\n" * 200 + "\x00\x1b[31m",
    )
    ps = PersonaSet("nmf", 1, [persona], MANIFEST, dataset=long[:500], kind="interactions")
    assert len(_pages(pdf_bytes(ps))) == 2


def test_empty_and_sparse_sets_render():
    ps = PersonaSet("hdbscan", 0, [], {}, unassigned={"size": 10, "share": 1.0})
    assert len(_pages(pdf_bytes(ps))) == 1
    bare = PersonaSet("kmeans", 1, [Persona(0, "", 0, 0.0)], {})
    assert len(_pages(pdf_bytes(bare))) == 2


def test_reruns_are_byte_identical_with_source_date_epoch(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = pdf_bytes(_persona_set())
    assert pdf_bytes(_persona_set()) == first
    assert PdfReader(io.BytesIO(first)).metadata.title == "Personas: customers.csv"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(PersonaLabError):
        pdf_bytes(_persona_set())


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

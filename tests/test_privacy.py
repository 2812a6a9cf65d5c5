"""Privacy: contact details scrubbed from quotes; personas under the minimum size withheld."""

import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

from persona_lab.cli import main
from persona_lab.errors import PersonaLabError
from persona_lab.export.markdown import markdown_text
from persona_lab.export.pdf import pdf_bytes
from persona_lab.export.pptx import pptx_bytes
from persona_lab.personas.privacy import MIN_SIZE, withhold, withheld_note
from persona_lab.personas.text import SegmentTexts, scrub

from helpers import planted_blobs
from persona_samples import ARABIC, CJK, LATIN, persona_set

EMAILS = ["jane.doe@example.com", "j_smith+shop@mail.example.co.uk", "X.Y@Sub.Domain.ORG"]
PHONES = ["+44 20 7946 0958", "(555) 123-4567", "555-123-4567", "555.123.4567", "555 123 4567",
          "+1-202-555-0143", "+49 (0)30 1234567", "0171 1234567", "+33 1 42 68 53 00", "+8613812345678",
          "020 7946 0958", "+81-3-1234-5678"]
URLS = ["https://example.com/a?b=1&c=2", "http://shop.example.org", "www.my-shop.de/offers", "example.net/path"]
ORDINARY = ["$1,299.99", "€ 49.90", "2024", "1999 to 2024", "12 500 units", "order 123456789", "3.5 stars",
            "10-15 minutes", "1990-2000", "2024-03-15", "1.234.567 lira", "version 2.10.3", "2,500,000",
            "1 000 000 people", "call me at 7", "0.125 0.25 0.5 0.75", "0800"]


@pytest.mark.parametrize("planted", EMAILS)
def test_emails_are_scrubbed(planted):
    assert scrub(f"Write to {planted}, please.") == "Write to [email], please."


@pytest.mark.parametrize("planted", PHONES)
def test_phone_numbers_are_scrubbed(planted):
    assert scrub(f"Call {planted} today.") == "Call [phone] today."


@pytest.mark.parametrize("planted", URLS)
def test_links_are_scrubbed(planted):
    assert scrub(f"See {planted}. Thanks") == "See [link]. Thanks"


@pytest.mark.parametrize("ordinary", ORDINARY)
def test_ordinary_numbers_are_left_alone(ordinary):
    text = f"It was {ordinary}, really."
    assert scrub(text) == text


def test_quotes_of_a_segment_are_scrubbed_where_they_are_made():
    frame = pd.DataFrame({"note": ["great coffee, mail me at ann@example.com"] * 3
                          + ["great coffee, ring 0171 1234567"] * 3 + ["slow delivery again"] * 6})
    quotes = SegmentTexts(frame, ["note"]).quotes(np.arange(12) < 6)
    assert quotes == ["great coffee, mail me at [email]", "great coffee, ring [phone]"]


def test_exports_scrub_a_quote_typed_into_a_saved_file():
    ps = persona_set()
    ps.personas[0].quotes = ["Reach me on +44 20 7946 0958 or at sofia@example.de"]
    md = markdown_text(ps)
    assert "7946" not in md and "sofia@" not in md and "\\[phone\\]" in md and "\\[email\\]" in md


# -- the minimum segment size -------------------------------------------------------------------


def _small_set():
    ps = persona_set()
    for persona, rows in zip(ps.personas, (412, 300, 7, 57)):
        persona.rows = rows  # CJK's persona: 7 rows, under the default minimum of 10
    return ps


def test_a_persona_under_the_minimum_size_is_withheld_and_counted():
    shown = withhold(_small_set())
    assert [p.name for p in shown.personas] == [LATIN, ARABIC, "Excluded Person Xavier"]
    assert shown.withheld == {"personas": 1, "size": 231.0, "share": pytest.approx(0.231), "min_size": MIN_SIZE}
    assert "1 persona withheld for privacy: fewer than 10 rows each" in withheld_note(shown)
    assert withhold(_small_set(), 0).withheld is None and len(withhold(_small_set(), 0).personas) == 4
    for bad in (-1, 2.5, "10", True):
        with pytest.raises(PersonaLabError, match="minimum segment size"):
            withhold(_small_set(), bad)


def test_a_withheld_persona_is_absent_from_pdf_pptx_json_and_markdown_which_say_so():
    shown = withhold(_small_set())
    pdf = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(shown))).pages)
    deck = Presentation(io.BytesIO(pptx_bytes(shown)))
    slides = ["\n".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in deck.slides]
    doc = json.loads(shown.to_json())
    md = markdown_text(shown)
    assert CJK not in pdf and CJK not in "\n".join(slides) and CJK not in md
    assert CJK not in [p["name"] for p in doc["personas"]]
    assert LATIN in pdf and LATIN in slides[3]  # after the title, shares and overview slides
    assert "1 persona withheld for privacy" in pdf.replace("\n", " ")
    assert "1 persona withheld for privacy" in slides[0] and "1 persona withheld for privacy" in md
    # title, shares, overview, the 2 included personas, how they were made
    assert doc["withheld"]["personas"] == 1 and len(deck.slides) == 1 + 1 + 1 + 2 + 1
    # Shares still add up: personas, unassigned and withheld.
    assert sum(p["share"] for p in doc["personas"]) + doc["withheld"]["share"] == pytest.approx(1.0)


def test_cli_min_size_withholds_a_small_planted_segment(tmp_path, capsys):
    X, _ = planted_blobs(n_per=40, k=3, d=2, seed=4)
    X = np.vstack([X[:80], X[80:86]])  # the third blob keeps 6 rows
    frame = pd.DataFrame(X, columns=["a", "b"])
    frame.to_csv(tmp_path / "data.csv", index=False)
    for min_size, expected in ((MIN_SIZE, 2), (0, 3)):
        out = tmp_path / f"out{min_size}"
        args = ["personas", str(tmp_path / "data.csv"), "--method", "kmeans", "--k", "3", "--out", str(out)]
        assert main(args + ([] if min_size == MIN_SIZE else ["--min-size", str(min_size)])) == 0
        doc = json.loads((out / "personas.json").read_text())
        assert len(doc["personas"]) == expected
        assert (out / "personas.pptx").is_file() and (out / "personas.pdf").is_file()
        if expected == 2:
            assert doc["withheld"] == {"personas": 1, "size": 6.0, "share": pytest.approx(6 / 86), "min_size": 10}
            assert "1 persona withheld for privacy" in capsys.readouterr().err
            assert "1 persona withheld" in (out / "personas.md").read_text()
            # The CSV names no withheld persona: its 6 rows are marked, with no persona id.
            assignments = pd.read_csv(out / "assignments.csv")
            withheld = assignments["persona"] == "withheld"
            assert withheld.sum() == 6 and assignments.loc[withheld, "persona_id"].isna().all()
            assert set(assignments.loc[~withheld, "persona"]) == {p["name"] for p in doc["personas"]}
        else:
            assert doc["withheld"] is None


# -- the app ----------------------------------------------------------------------------------------


def test_the_app_shows_prevalence_and_withholds_personas_under_the_size_it_is_given():
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    for key, value in {"data_source": "sample_customers", "seg_method": "kmeans", "seg_k": 3, "seg_seed": 0}.items():
        at.session_state[key] = value
    at.switch_page("ui/pages/personas.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert sum("of real rows" in m.value and "Matches" in m.value for m in at.markdown) == 3
    assert not [c for c in at.caption if "withheld" in c.value.lower()]
    at.number_input(key="_w_pe_min_size").set_value(100_000).run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("3 personas withheld for privacy: fewer than 100,000 rows" in c.value for c in at.caption)
    assert sum("Withheld from the exports" in c.value for c in at.caption) == 3
    at.switch_page("ui/pages/data.py").run()
    at.switch_page("ui/pages/personas.py").run()
    assert at.number_input(key="_w_pe_min_size").value == 100_000  # kept across pages

"""The line under the traits saying how they were chosen: on the PDF card, in Markdown and on
the app's card, and the confirmation mark in the chart."""

import io

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

import persona_lab as pl
from persona_lab import charts
from persona_lab.data.dataset import Dataset
from persona_lab.export.markdown import escape, markdown_text
from persona_lab.export.pdf import pdf_bytes
from persona_lab.personas.traits import CONFIRMED, traits_note
from ui.views import md

from helpers import app_page


@pytest.fixture(scope="module")
def planted_set():
    rng = np.random.default_rng(2)
    segment = rng.random(1200) < 0.3
    frame = pd.DataFrame(rng.normal(size=(1200, 3)), columns=["x0", "x1", "x2"])
    frame["x0"] += 3 * segment
    dataset = Dataset(frame, {c: "feature" for c in frame.columns}, "entities", name="planted")
    return pl.run(dataset, method="kmeans", k=3, seed=0).personas


def test_the_pdf_card_says_how_traits_were_chosen(planted_set):
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes(planted_set))).pages]
    cards = pages[1:1 + len(planted_set.personas)]
    assert all("Traits: largest gaps to everybody" in page and "descriptive" in page for page in cards)
    assert any(f"{CONFIRMED} held on held-out rows" in page for page in cards)


def test_markdown_says_it_under_each_persona_traits(planted_set):
    text = markdown_text(planted_set)
    assert text.count(escape(traits_note(planted_set.personas[0].traits))) == len(planted_set.personas)


def test_the_chart_marks_confirmed_traits_first_in_the_label(planted_set):
    persona = next(p for p in planted_set.personas if any(t.significant for t in p.traits))
    labels = charts.persona_profile(persona).data["what"].tolist()
    marked = [label for label in labels if label.startswith(CONFIRMED)]
    assert marked and len(marked) == sum(t.significant for t in persona.traits[: len(labels)])


def test_the_app_card_says_it_under_the_traits():
    at = app_page("personas", data_source="sample_customers", seg_method="kmeans", seg_k=3, seg_seed=0)
    captions = [str(c.value) for c in at.caption]
    assert sum(md("Traits: largest gaps to everybody") in c for c in captions) == 3
    assert any(md(f"{CONFIRMED} held on held-out rows") in c for c in captions)

"""Names that identify (issue 20): a rename is written wherever the name is, in the set and in
every export; a persona matched across k keeps its name; first names are unique within a set."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pptx import Presentation
from pypdf import PdfReader

from persona_lab import pipeline
from persona_lab.data.load import load_dataset
from persona_lab.data.sample_data import APG_SAMPLE, SAMPLE_DIR
from persona_lab.errors import PersonaLabError
from persona_lab.export import write_run
from persona_lab.lineage import chain_align
from persona_lab.personas import edits
from persona_lab.personas.naming import NameBook

from helpers import blobs_dataset
from persona_samples import LATIN, persona_set

NEW = "Zora Quillfeather"


@pytest.fixture(scope="module")
def apg_run():
    # k = 8 on the APG sample: two skeletons are shared, so siblings name each other.
    return pipeline.run(load_dataset(SAMPLE_DIR / APG_SAMPLE), "nmf", 8, seed=0)


def _sibling_named(ps):
    """(a persona another persona's explanation names, that other persona)."""
    for p in ps.personas:
        for o in ps.personas:
            if o is not p and p.name in o.explanation:
                return p, o
    raise AssertionError("no persona names a sibling")


def test_a_rename_reaches_the_narrative_and_the_siblings_texts(apg_run):
    ps = apg_run.personas
    persona, sibling = _sibling_named(ps)
    old = persona.name
    assert old in persona.narrative
    edited = edits.renamed(ps, persona.id, NEW)
    text = edited.to_json()
    assert old not in text and NEW in text
    by_id = {p.id: p for p in edited.personas}
    assert by_id[persona.id].narrative.startswith(NEW) or NEW in by_id[persona.id].narrative
    assert NEW in by_id[sibling.id].explanation
    # Applying the saved edits to a new run of the same analysis gives the same texts.
    again = edits.EditSet.between(ps, edited).apply(ps)
    assert again.to_json() == text


def test_a_rename_replaces_whole_names_and_refuses_a_name_in_use():
    ps = persona_set()
    ps = replace(ps, personas=[replace(ps.personas[1], explanation=f"Unlike {LATIN}, and unlike {LATIN}son.")
                               if p.id == 1 else p for p in ps.personas])
    edited = edits.renamed(ps, 0, "Ada")
    assert edited.personas[1].explanation == f"Unlike Ada, and unlike {LATIN}son."
    with pytest.raises(PersonaLabError, match="already called"):
        edits.renamed(ps, 0, ps.personas[2].name)


def test_a_rename_goes_into_every_export_and_the_old_name_nowhere(apg_run, tmp_path):
    persona, _ = _sibling_named(apg_run.personas)
    old = persona.name
    renamed_run = replace(apg_run, personas=edits.renamed(apg_run.personas, persona.id, NEW))
    files = write_run(renamed_run, tmp_path, min_size=0)
    texts = {
        "json": files["json"].read_text(encoding="utf-8"),
        "csv": files["csv"].read_text(encoding="utf-8"),
        "markdown": files["markdown"].read_text(encoding="utf-8"),
        "pdf": "\n".join(page.extract_text() for page in PdfReader(files["pdf"]).pages),
        "pptx": "\n".join(shape.text_frame.text if shape.has_text_frame else
                          "\n".join(c.text for row in shape.table.rows for c in row.cells) if shape.has_table else ""
                          for slide in Presentation(files["pptx"]).slides for shape in slide.shapes),
    }
    for kind, text in texts.items():
        flat = " ".join(text.split())
        assert NEW in flat, kind
        assert old not in flat and old.split()[-1] not in flat, kind
    assert NEW in [p["name"] for p in json.loads(texts["json"])["personas"]]


def test_first_names_are_unique_within_a_set(apg_run):
    for k in (8, 20):
        ps = apg_run.personas if k == 8 else pipeline.run(apg_run.dataset, "nmf", k, seed=0).personas
        firsts = [p.name.split()[0] for p in ps.personas]
        assert len(set(firsts)) == len(firsts), firsts


def test_a_matched_persona_keeps_its_name_across_k_and_no_name_means_two_personas():
    dataset, _ = blobs_dataset(k=5, n_per=40)
    runs = [pipeline.run(dataset, "kmeans", k, seed=0) for k in (3, 5)]
    ids = chain_align([r.labels for r in runs])
    identity = [{int(a): int(b) for a, b in zip(r.labels, i)} for r, i in zip(runs, ids)]
    taken = NameBook()
    first = edits.named_like(runs[0].personas, {}, taken)
    by_identity = {identity[0][p.id]: p.name for p in first.personas}
    second = edits.named_like(runs[1].personas, {p: by_identity[i] for p, i in identity[1].items()
                                                 if i in by_identity}, taken)
    for p in second.personas:
        i = identity[1][p.id]
        if i in by_identity:
            assert p.name == by_identity[i]
            assert p.narrative.startswith(p.name) or p.name in p.narrative
        else:  # a persona new at k = 5 takes no name of k = 3
            assert p.name not in set(by_identity.values())
    names = [p.name for p in second.personas]
    assert len({n.split()[0] for n in names}) == len(names) == 5
    # Fitted with another seed, the same personas keep their names.
    other_seed = pipeline.run(dataset, "kmeans", 3, seed=1).personas
    assert sorted(p.name for p in other_seed.personas) == sorted(p.name for p in runs[0].personas.personas)


def test_an_edit_set_may_swap_two_names():
    ps = persona_set()
    a, b = ps.personas[0].name, ps.personas[1].name
    swapped = edits.EditSet((edits.PersonaEdit(0, name=b), edits.PersonaEdit(1, name=a))).apply(ps)
    assert [p.name for p in swapped.personas[:2]] == [b, a]
    with pytest.raises(PersonaLabError, match="already called"):
        edits.EditSet((edits.PersonaEdit(0, name=b),)).apply(ps)

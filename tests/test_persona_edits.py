"""Edits to a persona set (persona_lab.personas.edits): pure functions, and edit sets saved and
applied again, without Streamlit."""

from __future__ import annotations

import json

import pytest

from persona_lab.errors import PersonaLabError
from persona_lab.personas import edits
from persona_lab.personas.edits import EditSet, PersonaEdit, apply_edits, read_edits

from persona_samples import HIDDEN_TRAIT, LATIN, persona_set


def test_edits_are_pure_and_leave_the_original_alone():
    ps = persona_set()
    edited = edits.moved(edits.renamed(ps, 1, "  Ana   Lima "), 1, -1)
    assert [p.name for p in edited.personas][:2] == ["Ana Lima", LATIN]
    assert [p.id for p in edits.moved(ps, 0, -5).personas] == [0, 1, 2, 3]  # clamped at the top
    assert [p.id for p in edits.moved(ps, 0, 9).personas] == [1, 2, 3, 0]
    hidden = edits.with_hidden_traits(ps, 0, {1})
    assert [t.hidden for t in hidden.personas[0].traits] == [False, True, False]  # trait 2 shown again
    assert not edits.with_included(ps, 2, False).personas[2].include
    assert edits.with_stability(ps, {1: 0.5}).personas[1].stability == 0.5
    assert edits.with_stability(ps, {1: 0.5}).personas[0].stability == 0.87  # kept where not assessed
    assert ps == persona_set()
    with pytest.raises(PersonaLabError, match="needs a name"):
        edits.renamed(ps, 0, "   ")


def _edited():
    ps = persona_set()
    ps = edits.renamed(ps, 2, "Morning readers")
    ps = edits.with_narrative(ps, 0, "  Plans ahead.  ")
    ps = edits.with_hidden_traits(ps, 0, {1})  # visits hidden, loyalty_tier shown again
    ps = edits.with_included(ps, 3, True)
    return edits.moved(ps, 2, -2)


def test_an_edit_set_records_what_changed_and_applies_it_again():
    original, edited = persona_set(), _edited()
    recorded = EditSet.between(original, edited)
    assert recorded.personas == (
        PersonaEdit(2, name="Morning readers"),
        PersonaEdit(0, narrative="Plans ahead.", hidden_traits=("visits",)),
        PersonaEdit(3, include=True),
    )
    assert recorded.order == (2, 0, 1, 3)
    assert recorded.apply(original) == edited
    assert EditSet.between(original, original) == EditSet()
    assert EditSet().apply(original) == original


def test_an_edit_set_round_trips_through_json_and_a_file(tmp_path):
    original, edited = persona_set(), _edited()
    recorded = EditSet.between(original, edited)
    document = json.loads(recorded.to_json())
    assert document["persona_edits"] == 1 and document["order"] == [2, 0, 1, 3]
    assert EditSet.from_dict(document) == recorded
    path = tmp_path / "edits.json"
    path.write_text(recorded.to_json(), encoding="utf-8")
    assert read_edits(path) == recorded
    assert apply_edits(original, path) == apply_edits(original, document) == apply_edits(original, recorded) == edited


def test_a_saved_personas_json_is_read_as_its_edits(tmp_path):
    original, edited = persona_set(), _edited()
    path = tmp_path / "personas.json"
    path.write_text(edited.to_json(), encoding="utf-8")
    assert apply_edits(original, path) == edited
    trait = f"{HIDDEN_TRAIT} = gold"
    assert EditSet.of(original).personas[0].hidden_traits == (trait,)  # a category level by feature = level


@pytest.mark.parametrize("document, message", [
    ({"persona_edits": 1, "personas": [{"id": 9, "name": "Nobody"}]}, "persona 9, which these personas do not have"),
    ({"persona_edits": 1, "order": [0, 9]}, "order persona 9"),
    ({"persona_edits": 1, "personas": [{"id": 0, "hidden_traits": ["height"]}]}, "no trait 'height'"),
    ({"persona_edits": 1, "personas": [{"id": 0, "name": "  "}]}, "needs a name"),
    ({"persona_edits": 1, "personas": [{"name": "no id"}]}, "malformed"),
    ({"persona_edits": 7}, "Not an edit set of version 1"),
    ([1, 2], "is a JSON object"),
])
def test_edits_that_do_not_fit_are_refused_with_a_message(document, message):
    with pytest.raises(PersonaLabError, match=message):
        apply_edits(persona_set(), document) if isinstance(document, dict) else EditSet.from_dict(document)


def test_an_unreadable_edit_file_is_a_user_error(tmp_path):
    with pytest.raises(PersonaLabError, match="Cannot read"):
        read_edits(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(PersonaLabError, match="not JSON"):
        read_edits(tmp_path / "bad.json")


# -- the command line and the API apply a saved edit set -------------------------------------------


def test_the_command_line_and_the_api_apply_saved_edits(tmp_path):
    import persona_lab as pl
    from persona_lab.cli import main
    from persona_lab.data.sample_data import CUSTOMER_SAMPLE, SAMPLE_DIR

    data = SAMPLE_DIR / CUSTOMER_SAMPLE
    args = ["personas", str(data), "--method", "kmeans", "--k", "3", "--seed", "1"]
    assert main(args + ["--out", str(tmp_path / "plain")]) == 0
    plain = pl.personas.model.PersonaSet.from_json((tmp_path / "plain" / "personas.json").read_text(encoding="utf-8"))
    first, second, third = (p.id for p in plain.personas)
    trait = edits.trait_name(plain.personas[0].traits[0])
    saved = EditSet((PersonaEdit(second, name="Renamed by hand", include=False),
                     PersonaEdit(first, hidden_traits=(trait,))), order=(third, first, second))
    (tmp_path / "edits.json").write_text(saved.to_json(), encoding="utf-8")

    assert main(args + ["--edits", str(tmp_path / "edits.json"), "--out", str(tmp_path / "edited")]) == 0
    text = (tmp_path / "edited" / "personas.json").read_text(encoding="utf-8")
    edited = pl.personas.model.PersonaSet.from_json(text)
    assert [p.id for p in edited.personas] == [third, first, second]
    assert edited.personas[2].name == "Renamed by hand" and not edited.personas[2].include
    assert edited.personas[1].traits[0].hidden
    # The API gives the same set; a personas.json edited in the app works as the edit file too.
    result = pl.run(pl.load_dataset(data), method="kmeans", k=3, seed=1)
    api = pl.apply_edits(result.personas, tmp_path / "edits.json")
    assert json.loads(api.to_json())["personas"] == json.loads(text)["personas"]
    assert main(args + ["--edits", str(tmp_path / "edited" / "personas.json"), "--out", str(tmp_path / "again")]) == 0
    assert (tmp_path / "again" / "personas.json").read_text(encoding="utf-8") == text
    # Edits of another analysis are refused on one line, before anything is written.
    (tmp_path / "other.json").write_text(EditSet((PersonaEdit(7, name="x"),)).to_json(), encoding="utf-8")
    assert main(args + ["--edits", str(tmp_path / "other.json"), "--out", str(tmp_path / "refused")]) == 2

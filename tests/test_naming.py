import unicodedata

import pytest
from faker import Faker

from persona_lab.personas.naming import NameBook, locale_for, normalise_gender, persona_name


def _scripts(text: str) -> set[str]:
    return {unicodedata.name(c).split()[0] for c in text if c.isalpha()}


def test_same_seed_and_id_give_the_same_name():
    assert persona_name("female", "US", 7, 3) == persona_name("female", "US", 7, 3)


def test_name_does_not_depend_on_global_faker_seed():
    first = persona_name("male", "DE", 7, 3)
    Faker.seed(12345)
    assert persona_name("male", "DE", 7, 3) == first


def test_names_differ_across_persona_ids_and_seeds():
    by_id = {persona_name("female", "US", 7, i) for i in range(10)}
    assert len(by_id) >= 9
    assert persona_name("female", "US", 7, 1) != persona_name("female", "US", 8, 1)


def test_gender_picks_matching_first_names():
    from faker.providers.person.en_US import Provider

    for i in range(20):
        assert persona_name("female", "US", 1, i).split()[0] in Provider.first_names_female
        assert persona_name("M", "US", 1, i).split()[0] in Provider.first_names_male


@pytest.mark.parametrize("country", ["JP", "Japan", "jp"])
def test_japanese_locale_gives_japanese_characters(country):
    assert locale_for(country) == "ja_JP"
    scripts = _scripts(persona_name("female", country, 3, 1))
    assert scripts & {"CJK", "HIRAGANA", "KATAKANA"}
    assert "LATIN" not in scripts


@pytest.mark.parametrize("country", ["EG", "Egypt", "SA"])
def test_arabic_countries_give_arabic_names(country):
    # Faker's ar_EG has no person names of its own (it would fall back to English ones).
    assert locale_for(country).startswith("ar_")
    assert _scripts(persona_name("male", country, 3, 1)) == {"ARABIC"}


def test_locale_for_codes_names_and_unknowns():
    assert locale_for("DE") == locale_for("Germany") == locale_for("deutschland") == "de_DE"
    assert locale_for("gb") == locale_for("United Kingdom") == "en_GB"
    assert locale_for("Österreich") == "de_AT"
    assert locale_for("pt-BR") == "pt_BR"
    for unknown in (None, float("nan"), "", "Atlantis", "ZZ"):
        assert locale_for(unknown) == "en_US"


def test_taken_prevents_duplicate_names_and_first_names_deterministically():
    taken = NameBook()
    names = [persona_name("female", "US", 5, i % 3, taken) for i in range(100)]
    assert len(set(names)) == 100
    assert len({n.split()[0] for n in names}) == 100  # "Christopher Smith" never beside "Christopher James"
    assert taken.names == set(names)
    again = NameBook()
    assert [persona_name("female", "US", 5, i % 3, again) for i in range(100)] == names


def test_a_locale_out_of_first_names_still_gives_unique_names():
    taken = NameBook()
    names = [persona_name("male", "IS", 1, i, taken) for i in range(400)]
    assert len(set(names)) == 400


def test_a_reserved_name_blocks_its_first_name():
    taken = NameBook(["Mary Major"])
    assert all(persona_name("female", "US", 0, i, taken).split()[0] != "Mary" for i in range(30))


def test_unknown_gender_still_gives_a_name():
    for gender in (None, "other", "", "prefer not to say"):
        name = persona_name(gender, "RU", 2, 4)
        assert len(name.split()) == 2


@pytest.mark.parametrize(
    "value, expected",
    [("F", "female"), ("female", "female"), ("Woman", "female"), ("w", "female"), ("Frau", "female"),
     ("femme", "female"), ("m", "male"), ("Male", "male"), ("man", "male"), ("Homme", "male"),
     ("other", None), ("", None), (None, None), (float("nan"), None), ("non-binary", None)],
)
def test_normalise_gender(value, expected):
    assert normalise_gender(value) == expected

"""Persona names: plausible, offline, reproducible.

A persona's name comes from Faker in the locale of its country, with a first name matching its
gender. The Faker instance is seeded from ``SeedSequence([seed, persona_id])`` so that a name
depends only on the run's seed and the persona, never on the order in which names are drawn or
on global random state (Faker's class-level seed is shared by every instance in the process).
"""

from __future__ import annotations

import hashlib

import math
import threading
import unicodedata
from functools import lru_cache

import numpy as np
from faker import Faker

DEFAULT_LOCALE = "en_US"

# ISO 3166-1 alpha-2 -> Faker locale. A locale without its own person names in Faker (ar_EG,
# en_CA...) is resolved to a sibling of the same language by _with_person_names().
_COUNTRY_LOCALES = {
    "US": "en_US", "GB": "en_GB", "UK": "en_GB", "IE": "en_IE", "CA": "en_CA", "AU": "en_AU",
    "NZ": "en_NZ", "IN": "en_IN", "PK": "en_PK", "NG": "en_NG", "KE": "en_KE", "ZA": "zu_ZA",
    "DE": "de_DE", "AT": "de_AT", "CH": "de_CH", "LU": "de_LU", "LI": "de_LI",
    "FR": "fr_FR", "BE": "nl_BE", "NL": "nl_NL", "ES": "es_ES", "MX": "es_MX", "AR": "es_AR",
    "CL": "es_CL", "CO": "es_CO", "VE": "es_ES", "PE": "es_ES", "PT": "pt_PT", "BR": "pt_BR",
    "IT": "it_IT", "GR": "el_GR", "CY": "el_GR", "TR": "tr_TR", "PL": "pl_PL", "CZ": "cs_CZ",
    "SK": "sk_SK", "HU": "hu_HU", "RO": "ro_RO", "BG": "bg_BG", "HR": "hr_HR", "SI": "sl_SI",
    "DK": "da_DK", "SE": "sv_SE", "NO": "no_NO", "FI": "fi_FI", "IS": "is_IS", "EE": "et_EE",
    "LV": "lv_LV", "LT": "lt_LT", "UA": "uk_UA", "RU": "ru_RU", "GE": "ka_GE", "AM": "hy_AM",
    "AZ": "az_AZ", "UZ": "uz_UZ", "IL": "he_IL", "IR": "fa_IR",
    "EG": "ar_EG", "SA": "ar_SA", "AE": "ar_AE", "BH": "ar_BH", "JO": "ar_JO", "PS": "ar_PS",
    "DZ": "ar_DZ", "MA": "ar_AA", "TN": "ar_AA", "IQ": "ar_AA", "KW": "ar_AA", "QA": "ar_AA",
    "LB": "ar_AA", "SY": "ar_AA", "OM": "ar_AA", "ET": "am_ET", "GH": "tw_GH", "TZ": "sw",
    "CN": "zh_CN", "TW": "zh_TW", "HK": "zh_TW", "JP": "ja_JP", "KR": "ko_KR", "TH": "th_TH",
    "VN": "vi_VN", "ID": "id_ID", "PH": "en_PH", "BD": "bn_BD", "NP": "ne_NP", "LK": "si_LK",
}

# Country names and other common spellings (compared case- and accent-insensitively).
_COUNTRY_NAMES = {
    "united states": "US", "united states of america": "US", "usa": "US", "america": "US",
    "united kingdom": "GB", "great britain": "GB", "britain": "GB", "england": "GB",
    "scotland": "GB", "wales": "GB", "ireland": "IE", "canada": "CA", "australia": "AU",
    "new zealand": "NZ", "india": "IN", "pakistan": "PK", "nigeria": "NG", "kenya": "KE",
    "south africa": "ZA", "germany": "DE", "deutschland": "DE", "austria": "AT",
    "osterreich": "AT", "switzerland": "CH", "schweiz": "CH", "suisse": "CH", "france": "FR",
    "belgium": "BE", "netherlands": "NL", "the netherlands": "NL", "holland": "NL",
    "nederland": "NL", "spain": "ES", "espana": "ES", "mexico": "MX", "argentina": "AR",
    "chile": "CL", "colombia": "CO", "venezuela": "VE", "peru": "PE", "portugal": "PT",
    "brazil": "BR", "brasil": "BR", "italy": "IT", "italia": "IT", "greece": "GR",
    "turkey": "TR", "turkiye": "TR", "poland": "PL", "polska": "PL", "czech republic": "CZ",
    "czechia": "CZ", "slovakia": "SK", "hungary": "HU", "romania": "RO", "bulgaria": "BG",
    "croatia": "HR", "slovenia": "SI", "denmark": "DK", "sweden": "SE", "norway": "NO",
    "finland": "FI", "iceland": "IS", "estonia": "EE", "latvia": "LV", "lithuania": "LT",
    "ukraine": "UA", "russia": "RU", "russian federation": "RU", "georgia": "GE",
    "armenia": "AM", "azerbaijan": "AZ", "uzbekistan": "UZ", "israel": "IL", "iran": "IR",
    "egypt": "EG", "saudi arabia": "SA", "ksa": "SA", "united arab emirates": "AE", "uae": "AE",
    "bahrain": "BH", "jordan": "JO", "palestine": "PS", "algeria": "DZ", "morocco": "MA",
    "tunisia": "TN", "iraq": "IQ", "kuwait": "KW", "qatar": "QA", "lebanon": "LB",
    "syria": "SY", "oman": "OM", "ethiopia": "ET", "ghana": "GH", "tanzania": "TZ",
    "china": "CN", "taiwan": "TW", "hong kong": "HK", "japan": "JP", "south korea": "KR",
    "korea": "KR", "republic of korea": "KR", "thailand": "TH", "vietnam": "VN",
    "viet nam": "VN", "indonesia": "ID", "philippines": "PH", "bangladesh": "BD",
    "nepal": "NP", "sri lanka": "LK",
    "gbr": "GB", "deu": "DE", "fra": "FR", "ind": "IN", "bra": "BR", "jpn": "JP",
    "egy": "EG", "esp": "ES", "ita": "IT", "nld": "NL", "mex": "MX", "chn": "CN", "kor": "KR",
    "sau": "SA", "can": "CA", "aus": "AU",
}

# Where a language has several locales, the one whose names read most generically.
_LANGUAGE_DEFAULTS = {"ar": "ar_AA", "en": "en_US", "es": "es_ES", "fr": "fr_FR", "de": "de_DE"}

_FEMALE = {"f", "female", "woman", "women", "w", "girl", "frau", "weiblich", "femme", "femenino",
           "feminino", "femmina", "mujer", "mulher", "donna", "vrouw", "kvinna"}
_MALE = {"m", "male", "man", "men", "boy", "herr", "mann", "männlich", "mannlich", "homme",
         "masculin", "masculino", "maschio", "hombre", "homem", "uomo", "h", "manlig"}

# Family name first, and for Chinese and Korean without a space.
_FAMILY_FIRST = {"ja": " ", "hu": " ", "zh": "", "ko": ""}

_MAX_REDRAWS = 200

# Real family names in Faker's lists that no client wants to see on a persona.
_UNFORTUNATE = ("بن لادن", "Hitler")


def normalise_gender(value: object) -> str | None:
    """``"female"``, ``"male"`` or ``None`` (unknown, other, missing) for a raw gender value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    key = str(value).strip().casefold().rstrip(".")
    if key in _FEMALE:
        return "female"
    if key in _MALE:
        return "male"
    return None


def locale_for(country: object) -> str:
    """The Faker locale whose names are used for ``country``.

    ``country`` may be an ISO 3166 alpha-2 code, a few alpha-3 codes, a common country name or
    a locale such as ``"de_DE"``. Unknown or missing values give ``"en_US"``. The locale
    returned always has its own person names in Faker (``EG`` -> ``ar_AA``, because Faker's
    ``ar_EG`` would silently give English names).
    """
    if country is None or (isinstance(country, float) and math.isnan(country)):
        return DEFAULT_LOCALE
    text = str(country).strip()
    as_locale = _as_locale(text)
    if as_locale:
        return _with_person_names(as_locale)
    key = _plain(text)
    code = text.upper() if len(text) == 2 else _COUNTRY_NAMES.get(key, key.upper())
    return _with_person_names(_COUNTRY_LOCALES.get(code, DEFAULT_LOCALE))


class NameBook:
    """The names, and first names, a persona set already uses: a new name differs in both, so
    that "Christopher Smith" and "Christopher James" never sit in one set (people remember a
    persona by its first name)."""

    def __init__(self, names=()):
        self.names: set[str] = set()
        self.first_names: set[str] = set()
        for name in names:
            self.add(name)

    def add(self, name: str, first: str | None = None) -> None:
        """Reserve ``name``; its first name is ``first`` when drawn here, else its first word
        (a name typed by the user or carried from another solution)."""
        self.names.add(name)
        self.first_names.add(first if first is not None else (name.split() or [""])[0])

    def free(self, name: str, first: str) -> bool:
        return name not in self.names and first not in self.first_names

    def __contains__(self, name: str) -> bool:
        return name in self.names


def persona_name(
    gender: str | None,
    country: str | None,
    seed: int,
    persona_id: int | str,
    taken: NameBook | None = None,
) -> str:
    """A reproducible full name for a persona, in the locale of its country.

    The same ``(seed, persona_id)`` always gives the same name. ``persona_id`` may be text (what
    the persona is, e.g. its demographic skeleton), so that the same persona found at k = 3 and
    k = 5 keeps its name. When ``taken`` is given, a name whose full or first name is already in
    it is re-drawn from the same seeded stream (so still deterministic), and the chosen name is
    added to ``taken``: pass one book for all personas of a set. A locale that runs out of first
    names (200 personas of one small country) falls back to unique full names.
    """
    locale = locale_for(country)
    state = np.random.SeedSequence([int(seed), *seed_entropy(persona_id)]).generate_state(2, np.uint32)
    with _FAKER_LOCK:
        return _draw(_faker(locale), locale, int(state[0]) << 32 | int(state[1]), gender, taken)


# One Faker per locale, re-seeded for every name: making one costs about 0.1 s, which Compare k
# paid for each of the 50 personas it renamed. The lock keeps two app sessions from re-seeding
# one instance under each other.
_FAKER_LOCK = threading.Lock()


@lru_cache(maxsize=32)
def _faker(locale: str) -> Faker:
    return Faker(locale)


def _draw(fake: Faker, locale: str, seed: int, gender: str | None, taken: NameBook | None) -> str:
    # Seeding the instance (not the class) keeps other Faker users in the process unaffected.
    fake.seed_instance(seed)
    first_name, last_name = _drawers(fake, normalise_gender(gender))

    name, first, found = "", "", False
    for attempt in range(2 * _MAX_REDRAWS):
        first = first_name()
        name = _full_name(first, last_name(), locale)
        unique_first = attempt < _MAX_REDRAWS
        if _acceptable(name) and (taken is None or (taken.free(name, first) if unique_first else name not in taken)):
            found = True
            break
    if not found:
        name = _disambiguate(name, taken.names)
    if taken is not None:
        taken.add(name, first)
    return name


def seed_entropy(persona_id: int | str) -> list[int]:
    if isinstance(persona_id, str):
        digest = hashlib.sha256(persona_id.encode("utf-8")).digest()
        return [int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4)]
    return [int(persona_id)]


def _drawers(fake: Faker, gender: str | None):
    # Gendered last names matter in some locales (Russian, Polish, Czech); Faker falls back to
    # plain last names elsewhere.
    if gender is None and _has_nonbinary_names(fake):
        return fake.first_name_nonbinary, fake.last_name_nonbinary
    if gender is None:
        # A seeded coin keeps first and last name consistent ("Pelageya Blinova", not "Blinov").
        gender = "female" if fake.random.random() < 0.5 else "male"
    if gender == "female":
        return fake.first_name_female, fake.last_name_female
    return fake.first_name_male, fake.last_name_male


def _has_nonbinary_names(fake: Faker) -> bool:
    return any(
        type(p).__module__.startswith("faker.providers.person") and hasattr(p, "first_names_nonbinary")
        for p in fake.get_providers()
    )


def _acceptable(name: str) -> bool:
    return not any(part in name for part in _UNFORTUNATE)


def _full_name(first: str, last: str, locale: str) -> str:
    separator = _FAMILY_FIRST.get(locale.split("_")[0])
    if separator is not None:
        return f"{last}{separator}{first}"
    return f"{first} {last}"


def _disambiguate(name: str, taken: set[str]) -> str:
    # A small locale can run out of combinations; a numbered name is still unique and stable.
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def _as_locale(text: str) -> str | None:
    # Only "ll_CC" forms: a bare "de" or "es" is a country code here, not Faker's language locale.
    parts = text.replace("-", "_").split("_")
    if len(parts) != 2:
        return None
    locale = f"{parts[0].lower()}_{parts[1].upper()}"
    return locale if locale in _all_locales() else None


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace(".", "")


def _with_person_names(locale: str) -> str:
    if locale in _person_locales():
        return locale
    language = locale.split("_")[0]
    preferred = _LANGUAGE_DEFAULTS.get(language)
    if preferred:
        return preferred
    siblings = sorted(loc for loc in _person_locales() if loc.split("_")[0] == language)
    return siblings[0] if siblings else DEFAULT_LOCALE


@lru_cache(maxsize=1)
def _person_locales() -> frozenset[str]:
    import faker.providers.person as person
    from faker.utils.loading import list_module

    return frozenset(list_module(person))


@lru_cache(maxsize=1)
def _all_locales() -> frozenset[str]:
    from faker.config import AVAILABLE_LOCALES

    return frozenset(AVAILABLE_LOCALES)

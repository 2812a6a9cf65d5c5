"""Persona prevalence: how many real people actually match a persona.

Chapman, Love, Milham, ElRif and Alford (2008), "Quantitative evaluation of personas as
information", showed that the share of real respondents matching *all* of a persona's headline
attributes falls fast as attributes are added, often to a few percent: a persona describes a
segment, not its typical member. Cards show this share ("matches 4% of real rows") next to the
segment's share so that nobody reads a persona as a majority.

Headline attributes, matched per row (a missing value never matches):

* entity tables: every demographic the persona shows, a category as the segment's (weighted)
  mode, a number as lying inside the segment's weighted middle half (its interquartile range,
  the range the card shows); and the persona's top three traits (:data:`N_TRAITS`, hidden ones skipped): a
  category level as having it (or, for a negative trait, not having it), a number as being on the
  persona's side of the overall mean. The share is of all rows, weighted as sizes are.
* the APG shape: the share of all interactions that come from groups whose demographics equal
  the skeleton's *and* belong to this persona (each such group's interactions times its
  membership of the persona). The skeleton group's whole volume would be the same figure for
  every persona sharing that skeleton (at k = 100 on MovieLens seven personas showed 9.0% with
  shares from 1.0% to 12.8%); attributed to the persona, it says how much of the real audience
  is both who and what the persona describes. Interests are not attributes of a group (every
  group watches everything to some degree), so they are not matched.

The attributes are worded with the data dictionary's labels and units, as the cards are.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data.dictionary import DataDictionary
from .model import Persona, Trait
from .stats import weighted_quantiles
from ..features import as_category_text
from .traits import MISSING, is_category

#: Traits matched, from the top of the persona's (visible) list.
N_TRAITS = 3


def table_prevalence(
    frame: pd.DataFrame, labels: np.ndarray, weight: np.ndarray, persona: Persona, n_traits: int = N_TRAITS,
    dictionary: DataDictionary | None = None,
) -> tuple[float, list[str]]:
    """(share of all rows matching every headline attribute, those attributes in words, by
    ``dictionary``'s labels and units)."""
    dictionary = dictionary or DataDictionary()
    weight = np.asarray(weight, dtype=float)
    inside = np.asarray(labels) == persona.id
    match = np.ones(len(frame), dtype=bool)
    headline: list[str] = []
    for column in persona.demographics:
        if column in frame.columns:
            matches, words = _typical_match(frame[column], inside, weight, dictionary)
            match &= matches
            headline.append(words)
    for trait in [t for t in persona.traits if not t.hidden][:n_traits]:
        if trait.feature in frame.columns:
            matches, words = _trait_match(frame[trait.feature], trait, dictionary)
            match &= matches
            headline.append(words)
    total = float(weight.sum())
    return (float(weight[match].sum()) / total if total > 0 else 0.0), headline


def prevalence_phrase(kind: str) -> str:
    """What a prevalence figure counts, in the words that follow it ("matches 4% ...")."""
    if kind == "interactions":
        return "of all interactions: its skeleton group's, attributed to it"
    return "of real rows"


def apg_prevalence(groups: pd.DataFrame, totals: np.ndarray, skeleton: dict[str, str],
                   membership: np.ndarray, dictionary: DataDictionary | None = None) -> tuple[float, list[str]]:
    """(share of all interactions from groups matching ``skeleton`` that belong to the persona,
    the skeleton in words).

    ``groups`` holds one row of demographic values per group, ``totals`` its interactions and
    ``membership`` its membership of the persona (0..1)."""
    totals = np.asarray(totals, dtype=float)
    match = np.ones(len(groups), dtype=bool)
    for column, value in skeleton.items():
        match &= groups[column].astype("string").fillna(MISSING).to_numpy() == str(value)
    total = float(totals.sum())
    attributed = float(totals[match] @ np.asarray(membership, dtype=float)[match])
    share = attributed / total if total > 0 else 0.0
    label = (dictionary or DataDictionary()).label
    return share, [f"{label(column)} = {value}" for column, value in skeleton.items()]


def _typical_match(series: pd.Series, inside: np.ndarray, weight: np.ndarray,
                   dictionary: DataDictionary) -> tuple[np.ndarray, str]:
    name = dictionary.label(series.name)
    if is_category(series):
        text = series.astype("string")
        shares = pd.Series(weight[inside], index=text.index[inside]).groupby(text[inside]).sum()
        if shares.empty:
            return np.zeros(len(series), dtype=bool), f"{name} = (none)"
        mode = str(shares.idxmax())
        return (text == mode).fillna(False).to_numpy(dtype=bool), f"{name} = {mode}"
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    # The same weighted middle half as the card shows (tables._typical).
    low, high = weighted_quantiles(numbers[inside], weight[inside], [0.25, 0.75])
    if np.isnan(low):
        return np.zeros(len(series), dtype=bool), f"{name}: (none)"
    with np.errstate(invalid="ignore"):
        matches = (numbers >= low) & (numbers <= high)
    return matches, f"{name} {dictionary.format_range(series.name, low, high)}"


def _trait_match(series: pd.Series, trait: Trait, dictionary: DataDictionary) -> tuple[np.ndarray, str]:
    name = dictionary.label(trait.feature)
    if trait.kind == "category":
        text = as_category_text(series)  # as the trait's levels were read: whole codes without ".0"
        has = text == str(trait.level)
        if trait.effect >= 0:
            return has, f"{name} = {trait.level}"
        return ~has, f"{name} ≠ {trait.level}"
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        mean = dictionary.format_value(trait.feature, trait.population)
        if trait.effect >= 0:
            return numbers > trait.population, f"{name} above the overall mean ({mean})"
        return numbers < trait.population, f"{name} below the overall mean ({mean})"

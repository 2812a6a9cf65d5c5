"""Free text of a segment: its distinctive terms and representative quotes.

Texts (all text columns of a row, joined) are weighted by TF-IDF over the whole table. A term is
distinctive for a segment when its mean TF-IDF there exceeds its mean over the rest; the quotes
are the members' own texts closest (cosine) to the segment's TF-IDF centre, verbatim. Nothing is
ever written for a persona that a member did not write, except that quotes are scrubbed
(:func:`scrub`) of e-mail addresses, phone numbers and links before anybody sees them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

#: Quotes longer than this are used only when the segment has no shorter ones (cards are small).
QUOTE_CHARS = 280


class SegmentTexts:
    """TF-IDF of a table's free text, fitted once, then described segment by segment."""

    def __init__(self, frame: pd.DataFrame, columns: list[str]):
        # Plain lists: a row-wise pandas join takes seconds on 100k rows.
        per_column = [[_as_text(v) for v in frame[c].tolist()] for c in columns]
        self.texts = [" ".join(" ".join(parts).split()) for parts in zip(*per_column)]
        self.has_text = np.array([bool(t) for t in self.texts], dtype=bool)
        self.X = None
        if self.has_text.sum() >= 2:
            vectorizer = TfidfVectorizer(
                stop_words="english", sublinear_tf=True, min_df=2 if self.has_text.sum() >= 20 else 1,
                max_features=20_000,
            )
            try:
                self.X = vectorizer.fit_transform(self.texts)
                self.terms = vectorizer.get_feature_names_out()
            except ValueError:  # nothing but stop words or punctuation
                self.X = None

    def distinctive_terms(self, inside: np.ndarray, n: int = 8) -> list[str]:
        """Terms whose mean TF-IDF in the segment most exceeds their mean in the rest."""
        if self.X is None:
            return []
        seg, rest = inside & self.has_text, ~inside & self.has_text
        if not seg.any():
            return []
        lift = np.asarray(self.X[seg].mean(axis=0)).ravel()
        if rest.any():
            lift = lift - np.asarray(self.X[rest].mean(axis=0)).ravel()
        order = np.argsort(-lift, kind="stable")[:n]
        return [str(self.terms[j]) for j in order if lift[j] > 0]

    def quotes(self, inside: np.ndarray, n: int = 3) -> list[str]:
        """Up to ``n`` different members' texts closest to the segment's centre, verbatim."""
        if self.X is None:
            return []
        rows = np.flatnonzero(inside & self.has_text)
        if rows.size == 0:
            return []
        members = self.X[rows]
        centre = np.asarray(members.mean(axis=0)).ravel()
        similarity = members @ centre  # rows are L2-normalised: the ranking of cosines
        long = np.array([len(self.texts[r]) > QUOTE_CHARS for r in rows])
        order = np.lexsort((rows, -similarity, long))  # short first, then closest, then row order
        out: list[str] = []
        seen: set[str] = set()
        for i in order:
            text = self.texts[rows[i]]
            key = text.casefold()
            if similarity[i] <= 0 or key in seen:
                continue
            seen.add(key)
            out.append(scrub(text))
            if len(out) == n:
                break
        return out


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}\b", re.IGNORECASE)
_URL = re.compile(
    r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"']+"  # with a scheme or www.
    r"|\b(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|co|de|uk|fr|nl|es|it|eu|info|biz|app|dev|me|ly)"
    r"\b(?:/[^\s<>\"']*)?",  # or a bare domain with a common top-level domain
    re.IGNORECASE,
)
# A candidate phone number: an optional +country code, an optional (area code), then 2 to 5
# groups of digits joined by single spaces, dots or dashes. :func:`_phone` decides.
_PHONE = re.compile(
    r"(?<![\w.,/])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,14}(?:[ .-]\d{1,14}){0,5}(?![\w,/]|\.\d)"
)


def scrub(text: str) -> str:
    """``text`` with e-mail addresses, links and phone numbers replaced by "[email]", "[link]"
    and "[phone]": quotes are real people's words, and must not identify or reach them.

    A phone number has 7 to 15 digits (E.164 allows 15) and looks like one: it starts with "+" or
    an "(area code)", or it starts with a trunk 0 ("020 7946 0958", "0171 1234567"), or it has
    the 3-3-4 shape of North America ("555 123 4567"), or its groups are joined by dashes or dots
    ("555-123-4567") in three groups or more, or two holding 9 digits or more, unless they read as
    a date ("2024-03-15") or thousands ("1.234.567"). So prices ("$1,299.99"), years ("1999 to
    2024", "1990-2000"), amounts ("12 500") and bare runs of digits (order numbers, which look
    like nothing else) stay as written.
    """
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub(lambda m: "[link]" + _trailing(m.group(0)), text)
    return _PHONE.sub(_phone, text)


def _trailing(url: str) -> str:
    # Sentence punctuation after a link ends the sentence, not the link.
    return url[len(url.rstrip(".,;:!?)]'\"")):]


def _phone(match: re.Match) -> str:
    found = match.group(0)
    groups = re.findall(r"\d+", found)
    digits = sum(map(len, groups))
    sizes = [len(g) for g in groups]
    if not 7 <= digits <= 15 or (len(groups) < 2 and not found.startswith("+")):
        return found
    if found.startswith(("+", "(")):
        return "[phone]"
    if "." in found and " " in found:  # "0.25 0.5 0.75": decimals in a row, not a phone
        return found
    joined = re.search(r"\d[.-]\d", found) is not None
    date = any(len(g) == 4 and g[:2] in ("19", "20") for g in groups) and max(sizes) <= 4
    grouped_thousands = len(groups) > 2 and sizes[0] <= 3 and set(sizes[1:]) == {3}
    looks = (
        (joined and (len(groups) >= 3 or digits >= 9) and not date and not grouped_thousands)
        or (groups[0].startswith("0") and "." not in found)
        or sizes == [3, 3, 4]
    )
    return "[phone]" if looks else found


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    return "" if pd.isna(value) else str(value)

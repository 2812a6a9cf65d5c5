"""Numeric ranges written as text: age groups ("13-17", "under 18", "65+"), income bands.

Groups like these are ordered by the numbers they cover, not by how many rows they hold, and a
persona drawn from "under 18" is younger than 18: both follow from :func:`range_bounds`.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
#: Words saying the range ends below its number ("under 18", "< 18", "younger than 18").
_BELOW = re.compile(r"(?i)(under|below|less than|younger than|fewer than|up to|<|≤)\s*\d")
#: Words saying the number itself is the top ("18 and under", "18 or younger").
_AT_MOST = re.compile(r"(?i)\d\s*(and|or)\s*(under|below|younger|less|fewer)")
#: Words saying the range is open upwards ("65+", "65 and over", "over 65").
_ABOVE = re.compile(r"(?i)\d\s*\+|\d\s*(and|or)\s*(over|above|older|more)|(over|above|older than|more than|>|≥)\s*\d")


def range_bounds(text) -> tuple[float, float] | None:
    """(lowest, highest) of the range ``text`` names, None when it names none; an open end is
    ``-inf`` or ``inf``. "under 18" covers numbers below 18, "18 and under" 18 itself too."""
    numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(str(text))]
    if not numbers:
        return None
    if _BELOW.search(str(text)):
        return float("-inf"), numbers[0]
    if _AT_MOST.search(str(text)):
        return float("-inf"), numbers[0]
    if _ABOVE.search(str(text)):
        return numbers[0], float("inf")
    return numbers[0], numbers[1] if len(numbers) > 1 else numbers[0]


def whole_range(text, above: float, below: float) -> tuple[int, int] | None:
    """The whole numbers a range covers, an open upper end ``above`` wide and an open lower end
    ``below`` wide: "under 18" with ``below`` 5 is 13-17, "18 and under" 14-18, "65+" with
    ``above`` 14 is 65-79."""
    bounds = range_bounds(text)
    if bounds is None:
        return None
    low, high = bounds
    if low == float("-inf"):
        top = high - 1 if _BELOW.search(str(text)) else high
        return int(max(0, top - below + 1)), int(top)
    if high == float("inf"):
        return int(low), int(low + above)
    return int(-(-low // 1)), int(high // 1)


def is_ordered(values) -> bool:
    """Every value names a range (or a number): such levels read best in numeric order."""
    values = [v for v in values if str(v).strip()]
    return bool(values) and all(range_bounds(v) is not None for v in values)


def sort_key(value) -> tuple[float, float]:
    """Orders ranges by where they start, then end ("under 18" < "18-24" < "65+")."""
    bounds = range_bounds(value)
    return bounds if bounds is not None else (float("inf"), float("inf"))

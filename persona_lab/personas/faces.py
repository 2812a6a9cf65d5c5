"""Illustrated faces, drawn locally as small SVG documents.

A face is built from simple shapes (background, shoulders and clothes, neck, ears, head, hair,
eyebrows, eyes, nose, mouth, and for some a beard or glasses) whose styles and colours are drawn
from a generator seeded by the persona's identity and the run's seed: the same persona and seed
always give the same face. Gender picks the hair styles (and beards); age greys the hair, makes
long styles rarer and adds glasses. Only paths, circles, ellipses and rects with plain fill and
stroke attributes are used (no text, gradients, filters or CSS), which fpdf2 renders in PDFs.
"""

from __future__ import annotations

import numpy as np

from .naming import seed_entropy

SKIN = ("#f6d7c3", "#eec1a2", "#e0a981", "#c68b5f", "#a56c45", "#7c4f32", "#5b3a25")
HAIR = ("#1f1a17", "#3b2a20", "#5a3b24", "#8a5a33", "#b5854f", "#d9b36c", "#a33b20")
GREY = ("#8e8e8e", "#b0b0b0", "#d6d6d6", "#eeeeee")
CLOTHES = ("#3c6e8f", "#8f3c5a", "#3c8f6b", "#c27c2c", "#5b4a8a", "#2f4f4f", "#b04a3c", "#4a7d2f")
BACKGROUND = ("#e8eef6", "#f6ece3", "#e9f3ea", "#f3e8f2", "#f5f2df", "#e6f1f3")
INK = "#2b2b2b"

#: Hair styles by gender; None (unknown) draws from all.
STYLES = {
    "female": ("long", "bob", "bun", "ponytail", "pixie", "curly"),
    "male": ("short", "side_part", "buzz", "quiff", "curly", "receding"),
}


def face_svg(identity: str, seed: int, gender: str | None = None, age: float | None = None) -> str:
    """An SVG face for a persona: deterministic in ``(identity, seed)``, fitting gender and age."""
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), *seed_entropy(identity)]))
    age = 40.0 if age is None else float(age)
    skin = SKIN[rng.integers(len(SKIN))]
    hair_colour = _hair_colour(rng, age)
    style = _style(rng, gender, age)
    clothes = CLOTHES[rng.integers(len(CLOTHES))]
    background = BACKGROUND[rng.integers(len(BACKGROUND))]
    eye_gap = float(rng.uniform(15, 19))
    head_w = float(rng.uniform(27, 31))
    beard = gender == "male" and age >= 20 and rng.random() < 0.35
    glasses = rng.random() < (0.15 + 0.5 * (age >= 50))
    smile = float(rng.uniform(2.5, 6.0))

    parts = [f'<rect x="0" y="0" width="120" height="120" fill="{background}"/>']
    parts += _hair_back(style, hair_colour, head_w)
    parts.append(f'<path d="M14 120 C16 96 34 88 60 88 C86 88 104 96 106 120 Z" fill="{clothes}"/>')
    parts.append(f'<rect x="52" y="72" width="16" height="18" fill="{skin}"/>')
    parts.append(f'<path d="M50 88 L60 98 L70 88 Z" fill="{skin}"/>')
    for x in (60 - head_w - 2, 60 + head_w + 2):
        parts.append(f'<ellipse cx="{x:.1f}" cy="58" rx="5" ry="7" fill="{skin}"/>')
    parts.append(f'<ellipse cx="60" cy="54" rx="{head_w:.1f}" ry="33" fill="{skin}"/>')
    parts += _hair_front(style, hair_colour, head_w)
    if beard:
        parts.append(
            f'<path d="M{60 - head_w + 3:.1f} 58 C{60 - head_w + 5:.1f} 84 50 88 60 88 '
            f'C70 88 {60 + head_w - 5:.1f} 84 {60 + head_w - 3:.1f} 58 '
            f'C{60 + head_w - 8:.1f} 72 68 72 60 72 C52 72 {60 - head_w + 8:.1f} 72 {60 - head_w + 3:.1f} 58 Z" '
            f'fill="{hair_colour}"/>'
        )
    for side in (-1, 1):
        x = 60 + side * eye_gap / 2
        parts.append(f'<rect x="{x - 5:.1f}" y="43" width="10" height="2.2" fill="{hair_colour}"/>')
        parts.append(f'<ellipse cx="{x:.1f}" cy="52" rx="2.6" ry="3" fill="{INK}"/>')
        parts.append(f'<circle cx="{x + 0.8:.1f}" cy="51" r="0.8" fill="#ffffff"/>')
        if glasses:
            parts.append(
                f'<circle cx="{x:.1f}" cy="52" r="6.5" fill="none" stroke="{INK}" stroke-width="1.3"/>'
            )
    if glasses:
        bridge = f'x="{60 - eye_gap / 2 + 6.5:.1f}" y="51" width="{eye_gap - 13:.1f}" height="1.2"'
        parts.append(f'<rect {bridge} fill="{INK}"/>')
    parts.append('<path d="M60 55 L57 64 L61 64 Z" fill="#000000" fill-opacity="0.12"/>')
    lower, upper = 70 + smile, 71 + smile / 3
    parts.append(
        f'<path d="M52 70 C55 {lower:.1f} 65 {lower:.1f} 68 70 C64 {upper:.1f} 56 {upper:.1f} 52 70 Z" fill="#9c3d3d"/>'
    )
    body = "".join(parts)
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120" viewBox="0 0 120 120">'
        f"{body}</svg>"
    )


def _hair_colour(rng: np.random.Generator, age: float) -> str:
    colour = HAIR[rng.integers(len(HAIR))]
    # Greying starts in the forties and is the rule from the sixties.
    grey_chance = float(np.clip((age - 40) / 30, 0, 1))
    if rng.random() < grey_chance:
        return GREY[min(int((age - 40) // 12), len(GREY) - 1)]
    return colour


def _style(rng: np.random.Generator, gender: str | None, age: float) -> str:
    styles = STYLES.get(gender or "", STYLES["female"] + STYLES["male"])
    styles = tuple(dict.fromkeys(styles))
    weights = np.ones(len(styles))
    for i, s in enumerate(styles):
        if s in ("long", "ponytail") and age >= 55:
            weights[i] = 0.3  # long styles become rarer with age
        if s == "receding":
            weights[i] = 0.2 + 2.0 * (age >= 50)
        if s in ("quiff", "buzz") and age >= 60:
            weights[i] = 0.4
    return styles[rng.choice(len(styles), p=weights / weights.sum())]


def _hair_back(style: str, colour: str, w: float) -> list[str]:
    """Hair behind the head and shoulders (long styles)."""
    if style == "long":
        return [f'<path d="M{60 - w - 6:.1f} 50 C{60 - w - 8:.1f} 12 {60 + w + 8:.1f} 12 {60 + w + 6:.1f} 50 '
                f'L{60 + w + 8:.1f} 100 L{60 - w - 8:.1f} 100 Z" fill="{colour}"/>']
    if style == "bob":
        return [f'<path d="M{60 - w - 6:.1f} 50 C{60 - w - 8:.1f} 14 {60 + w + 8:.1f} 14 {60 + w + 6:.1f} 50 '
                f'L{60 + w + 6:.1f} 76 L{60 - w - 6:.1f} 76 Z" fill="{colour}"/>']
    if style == "ponytail":
        return [f'<ellipse cx="{60 + w + 4:.1f}" cy="52" rx="7" ry="20" fill="{colour}"/>']
    if style == "bun":
        return [f'<circle cx="60" cy="16" r="11" fill="{colour}"/>']
    if style == "curly":
        return [f'<circle cx="{60 + dx:.1f}" cy="{30 + dy:.1f}" r="11" fill="{colour}"/>'
                for dx, dy in ((-w, 6), (-w + 8, -6), (0, -10), (w - 8, -6), (w, 6))]
    return []


def _hair_front(style: str, colour: str, w: float) -> list[str]:
    """Hair over the top of the head: a cap whose hairline sets the style."""
    left, right = 60 - w, 60 + w
    if style == "buzz":
        return [f'<path d="M{left:.1f} 48 C{left:.1f} 18 {right:.1f} 18 {right:.1f} 48 '
                f'C{right - 4:.1f} 34 {left + 4:.1f} 34 {left:.1f} 48 Z" fill="{colour}" fill-opacity="0.85"/>']
    if style == "receding":
        return [f'<path d="M{left - 1:.1f} 56 C{left - 2:.1f} 36 {left + 4:.1f} 30 {left + 8:.1f} 32 '
                f'C{left + 6:.1f} 40 {left + 3:.1f} 46 {left + 2:.1f} 56 Z" fill="{colour}"/>',
                f'<path d="M{right + 1:.1f} 56 C{right + 2:.1f} 36 {right - 4:.1f} 30 {right - 8:.1f} 32 '
                f'C{right - 6:.1f} 40 {right - 3:.1f} 46 {right - 2:.1f} 56 Z" fill="{colour}"/>']
    if style == "side_part":
        return [f'<path d="M{left - 1:.1f} 52 C{left - 3:.1f} 14 {right + 3:.1f} 14 {right + 1:.1f} 52 '
                f'C{right - 2:.1f} 36 {60 + 4:.1f} 30 {left + 10:.1f} 34 C{left + 4:.1f} 38 {left + 1:.1f} 44 {left - 1:.1f} 52 Z" '
                f'fill="{colour}"/>']
    if style == "quiff":
        return [f'<path d="M{left:.1f} 46 C{left - 2:.1f} 20 {60:.1f} 6 {right + 2:.1f} 24 '
                f'C{right + 2:.1f} 32 {right:.1f} 40 {right:.1f} 46 C{right - 6:.1f} 34 {left + 6:.1f} 32 {left:.1f} 46 Z" '
                f'fill="{colour}"/>']
    if style == "pixie":
        return [f'<path d="M{left - 1:.1f} 54 C{left - 4:.1f} 12 {right + 4:.1f} 12 {right + 1:.1f} 54 '
                f'C{right - 2:.1f} 38 {right - 10:.1f} 34 60 38 C{left + 10:.1f} 42 {left + 3:.1f} 40 {left - 1:.1f} 54 Z" '
                f'fill="{colour}"/>']
    # short, long, bob, bun, ponytail, curly: a fringe cap with a soft middle dip.
    return [f'<path d="M{left - 1:.1f} 52 C{left - 3:.1f} 14 {right + 3:.1f} 14 {right + 1:.1f} 52 '
            f'C{right - 3:.1f} 40 {60 + 8:.1f} 34 60 36 C{60 - 8:.1f} 34 {left + 3:.1f} 40 {left - 1:.1f} 52 Z" '
            f'fill="{colour}"/>']

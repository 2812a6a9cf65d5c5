"""Persona sets as Markdown (``personas.md``): one section per included persona, then the manifest.

For a wiki, a pull request or a slide tool that takes Markdown. User text (names, narratives,
quotes, column values) is escaped so that it prints as typed: a name like ``**Eve**`` or
``<script>`` stays text. Byte-identical for the same set (no timestamps).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ..personas.model import Persona, PersonaSet
from ..personas.overview import LIFT_NOTE, distinctive_text
from ..personas.prevalence import prevalence_phrase
from ..personas.privacy import withheld_note
from ..personas.traits import traits_note
from .atomic import atomic_write
from .included import identity, included
from .layout import percent

_SPECIAL = re.compile(r"([\\`*_\[\]#!|~<>$&])")
_LIST_START = re.compile(r"^([+\-=]|\d+(?=[.)]))")  # would start a list, or underline a heading


def escape(text: object) -> str:
    """``text`` on one line, every character Markdown or HTML would interpret escaped."""
    text = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _LIST_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit() else "\\" + m.group(1), text)


def markdown_text(persona_set: PersonaSet) -> str:
    ps = included(persona_set)
    unit = "interactions" if ps.kind == "interactions" else "rows"
    lines = [f"# Personas: {escape(ps.dataset)}" if ps.dataset else "# Personas", ""]
    lines.append(f"{len(ps.personas)} personas from method `{ps.method}`, k = {ps.k}, "
                 f"seed {escape(ps.manifest.get('seed', '—'))}.")
    if ps.unassigned:
        lines.append(f"Unassigned: {percent(ps.unassigned.get('share', 0.0))} of {unit}.")
    if withheld_note(ps):
        lines.append(escape(withheld_note(ps)))
    lines += ["", "| persona | share | size |", "|---|---:|---:|"]
    lines += [f"| {escape(p.name)} | {percent(p.share)} | {p.size:,.0f} |" for p in ps.personas]
    for persona in ps.personas:
        lines += [""] + _section(persona, unit, ps.kind)
    lines += ["", "## Manifest", "", "How to repeat this run (`persona-lab personas --manifest personas.json`):",
              "", "```json", json.dumps(ps.manifest, indent=2, ensure_ascii=False).replace("```", "` ` `"), "```"]
    return "\n".join(lines) + "\n"


def write_markdown(persona_set: PersonaSet, path) -> Path:
    return atomic_write(path, markdown_text(persona_set))


def _section(p: Persona, unit: str, kind: str) -> list[str]:
    lines = [f"## {escape(p.name)}", "", f"**Share:** {percent(p.share)} ({p.size:,.0f} {unit})"]
    if p.stability is not None:
        lines[-1] += f" · **stability:** recovered in {percent(p.stability)} of resamples"
    if p.prevalence is not None:
        lines += ["", f"**Matches {percent(p.prevalence)} {prevalence_phrase(kind)}**"
                  + (f" (all of: {escape('; '.join(p.headline))})" if p.headline else "")]
    if identity(p):
        lines += ["", f"*{escape(identity(p))}*"]
    if p.demographics:
        lines += [""] + [f"- **{escape(k)}:** {escape(v)}" for k, v in p.demographics.items()]
    if p.narrative.strip():
        lines += ["", escape(p.narrative)]
    if p.traits:
        lines += ["", "**What sets them apart**", ""]
        lines += [f"- {escape(t.text or t.feature)} (effect {t.effect:+.2f})" for t in p.traits[:8]]
        lines += ["", f"*{escape(traits_note(p.traits))}*"]
    elif p.interests:
        lines += ["", "**Interests**", ""]
        lines += [f"- {escape(i.label or i.item)} ({percent(i.weight)})" for i in p.interests[:8]]
    if p.distinctive:
        lines += ["", f"**Sets them apart:** {escape(distinctive_text(p))} (*{escape(LIFT_NOTE)}*)"]
    if p.terms:
        lines += ["", "**Distinctive words:** " + ", ".join(escape(t) for t in p.terms[:12])]
    if p.quotes:
        for quote in p.quotes[:3]:
            lines += ["", f"> {escape(quote)}"]
    if p.explanation.strip():
        lines += ["", f"*Why this persona:* {escape(p.explanation)}"]
    return lines

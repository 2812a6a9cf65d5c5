"""A benchmark's Markdown report: the table the script writes, and below a marker the reading
written by hand, which a rerun keeps."""

from __future__ import annotations

from pathlib import Path

NOTES = "<!-- notes: kept when the table is rewritten -->"


def write_keeping_notes(path: Path, generated: str) -> None:
    """Write ``generated`` to ``path``, followed by whatever stood below :data:`NOTES` there."""
    old = path.read_text() if path.exists() else ""
    kept = old[old.index(NOTES):] if NOTES in old else NOTES + "\n"
    path.write_text(generated.rstrip("\n") + "\n\n" + kept)

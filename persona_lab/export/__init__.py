"""Writers for a persona run: ``personas.json``, ``assignments.csv`` and ``personas.pdf``."""

from __future__ import annotations

from pathlib import Path

from ..errors import PersonaLabError
from .pdf import write_pdf
from .tables import assignments_frame, write_csv, write_json


def write_run(run, out_dir) -> dict[str, Path]:
    """Write every export of a :class:`persona_lab.pipeline.PersonaRun` into ``out_dir``."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PersonaLabError(
            f"Cannot create the output folder: {exc.strerror or exc}", where=str(out),
            fix="Choose a folder you can write to",
        ) from exc
    frame = assignments_frame(run.prepared.row_labels, run.method.labels_, run.method.memberships_, run.personas)
    return {
        "json": write_json(run.personas, out / "personas.json"),
        "csv": write_csv(frame, out / "assignments.csv"),
        "pdf": write_pdf(run.personas, out / "personas.pdf"),
    }

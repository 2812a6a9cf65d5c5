"""Writers for a persona run: ``personas.json``, ``assignments.csv``, ``personas.pdf``,
``personas.pptx``, ``personas.md`` and ``manifest.json``.

Every export carries the run's manifest (the JSON and Markdown inline, the PDF in its appendix;
``manifest.json`` stands beside the CSV, which has no room for it), so that
``persona-lab personas --manifest FILE`` can repeat the run. Personas smaller than the minimum
segment size are withheld from the JSON, PDF, PowerPoint and Markdown, which say so, and their
rows are marked "withheld" in the CSV.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ..errors import PersonaLabError
from ..personas.privacy import MIN_SIZE, withhold
from .atomic import atomic_write
from .markdown import write_markdown
from .pdf import ReportContext, write_pdf
from .pptx import write_pptx
from .tables import assignments_frame, write_csv, write_json


def manifest_json(manifest: dict) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def write_run(run, out_dir, context: ReportContext | None = None, min_size: int = MIN_SIZE,
              n_jobs: int = 1) -> dict[str, Path]:
    """Write every export of a :class:`persona_lab.pipeline.PersonaRun` into ``out_dir``, without
    the personas of fewer than ``min_size`` rows; with ``n_jobs`` > 1 the PDF is laid out in a
    forked process while the PowerPoint is built here (the same files)."""
    shown = withhold(run.personas, min_size)
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PersonaLabError(
            f"Cannot create the output folder: {exc.strerror or exc}", where=str(out),
            fix="Choose a folder you can write to",
        ) from exc
    frame = assignments_frame(run.prepared.row_labels, run.method.labels_, run.method.memberships_, shown)
    side_by_side = n_jobs > 1 and "fork" in multiprocessing.get_all_start_methods()
    # fpdf2 and python-pptx are pure Python and hold the GIL: side by side they need processes, and
    # a fork starts in milliseconds with every module already imported.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) if side_by_side \
            else contextlib.nullcontext() as pool:
        pdf = pool.submit(write_pdf, shown, out / "personas.pdf", context) if pool else None
        paths = {
            "json": write_json(shown, out / "personas.json"),
            "csv": write_csv(frame, out / "assignments.csv"),
            "manifest": atomic_write(out / "manifest.json", manifest_json(run.personas.manifest)),
            "markdown": write_markdown(shown, out / "personas.md"),
            "pptx": write_pptx(shown, out / "personas.pptx", context),
        }
        paths["pdf"] = pdf.result() if pdf else write_pdf(shown, out / "personas.pdf", context)
    return paths

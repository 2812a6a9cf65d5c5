"""Functions the job tests run in worker processes (a worker imports them by name, so they live
in a module of their own, not in a test file)."""

from __future__ import annotations

import time

from persona_lab.errors import PersonaLabError


def count(steps: int, pause: float, progress) -> int:
    """Report ``steps`` steps ``pause`` seconds apart; the answer is known: steps squared."""
    for step in range(steps):
        progress(step / steps, f"{step} of {steps} steps")
        time.sleep(pause)
    progress(1.0, "done")
    return steps * steps


def refuse(progress) -> None:
    progress(0.5, "halfway")
    raise PersonaLabError("Five rows are too few for k = 4", fix="Choose k of at most 2")

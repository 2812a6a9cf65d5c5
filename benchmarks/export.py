"""Time to write the PDF report of 10 and of 100 personas (issue 5: <= 3 s for 10 after warm-up).

The personas are real: k-means on the bundled customer sample (traits, descriptors, quotes,
faces), k = 10; the 100-persona set repeats them with each copy's effects nudged so that every
chart is its own (the renderer caches charts by their spec, and an unchanged chart would be free).
The chart cache is emptied before every timed run, so each figure includes rendering all charts.
The baseline, in the same process, is the JSON export of the same set; every figure is also given
as a ratio to it (machines are noisy; ratios travel better).

    python benchmarks/export.py [--repeats 3]

Writes benchmarks/results/export.json and export.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE.parent))

from persona_lab import __version__, pipeline  # noqa: E402
from persona_lab.data import load_dataset  # noqa: E402
from persona_lab.data.sample_data import CUSTOMER_SAMPLE, SAMPLE_DIR  # noqa: E402
from persona_lab.export import layout  # noqa: E402
from persona_lab.export.pdf import pdf_bytes  # noqa: E402
from persona_lab.personas.model import PersonaSet  # noqa: E402

TARGET_10_S = 3.0


def persona_sets() -> dict[int, PersonaSet]:
    base = pipeline.run(load_dataset(SAMPLE_DIR / CUSTOMER_SAMPLE), "kmeans", 10, seed=0).personas
    copies = []
    for i in range(100):
        p = base.personas[i % 10]
        nudge = 1 + i / 1000
        copies.append(replace(p, id=i, name=f"{p.name} {i}", share=p.share / 10,
                              traits=[replace(t, effect=t.effect * nudge) for t in p.traits]))
    return {10: base, 100: replace(base, k=100, personas=copies)}


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        layout.chart_png.cache_clear()
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sets = persona_sets()
    pdf_bytes(replace(sets[10], personas=sets[10].personas[:2]))  # warm-up: fonts, vl-convert's engine

    rows = []
    for n, ps in sets.items():
        baseline = best_of(args.repeats, ps.to_json)
        seconds = best_of(args.repeats, lambda: pdf_bytes(ps))
        pages = pdf_bytes(ps).count(b"/Type /Page\n") or None
        rows.append({"personas": n, "pdf_s": round(seconds, 3), "json_s": round(baseline, 4),
                     "ratio_to_json": round(seconds / baseline, 1), "per_persona_s": round(seconds / n, 4),
                     "pages": pages})
        print(f"{n:>4} personas: PDF {seconds:6.2f} s ({seconds / n * 1000:.0f} ms a persona), "
              f"JSON {baseline * 1000:.1f} ms, ratio {seconds / baseline:,.0f}x")
    ten = rows[0]["pdf_s"]
    verdict = "meets" if ten <= TARGET_10_S else "misses"
    print(f"target: PDF of 10 personas <= {TARGET_10_S:.0f} s after warm-up: {verdict} it ({ten:.2f} s)")

    RESULTS.mkdir(exist_ok=True)
    load = round(os.getloadavg()[0], 1)  # the machine may be shared: read the figures with it
    print(f"load average (1 min) at the end: {load} on {os.cpu_count()} CPUs")
    meta = {"package_version": __version__, "cpus": os.cpu_count(), "load_average": load,
            "repeats": args.repeats, "target_10_s": TARGET_10_S, "rows": rows}
    (RESULTS / "export.json").write_text(json.dumps(meta, indent=2) + "\n")
    table = ["| personas | pages | PDF (s) | JSON (s) | PDF / JSON | per persona (s) |", "|---:|---:|---:|---:|---:|---:|"]
    table += [f"| {r['personas']} | {r['pages']} | {r['pdf_s']} | {r['json_s']} | {r['ratio_to_json']} | "
              f"{r['per_persona_s']} |" for r in rows]
    (RESULTS / "export.md").write_text(
        "# PDF export\n\nBest of %d runs, chart cache emptied before each, after a warm-up; %d CPUs, load "
        "average %s at the end. Target: 10 personas <= %.0f s (%s).\n\n%s\n"
        % (args.repeats, os.cpu_count(), load, TARGET_10_S, verdict, "\n".join(table)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

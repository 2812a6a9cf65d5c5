"""Does select_k recommend the reference number of clusters on public benchmark sets? (issues 4, 15)

For every set in the benchmark folder (a selection from Gagolewski's clustering benchmark
battery; see its README.md and meta.json) this runs the default k-means assessment with
select_k's defaults and no per-set settings: k-means' default preparation (z-scored columns),
50 resamples, 20 reference sets of 10 resamples, and k = 2..min(35, n // 20) (at least 20 rows a
segment on average: a range a researcher could choose without knowing the answer). It reports
the recommended k, its probability over resamples, k_set_90, whether the recommendation is the
reference k (hit) and whether the reference k is inside k_set_90 (in_set).

Which sets are "roughly convex" is decided by an objective rule computed here: k-means with the
reference k (z-scored, 10 starts, seed 0) reaches ARI >= 0.9 with the reference labels. On the
other sets k-means cannot reproduce the reference partition even when told k, so its stability
cannot be expected to point at that k. SHAPES gives a one-line description of each set, for the
reader; it does not decide anything.

    python benchmarks/bench_sets.py [--bench ../shared/bench] [--sets a,b] [--jobs 2] [--seed 0]

Writes benchmarks/results/bench_sets.json and bench_sets.md (rewritten after every set, so an
interrupted run keeps what it measured).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
sys.path.insert(0, str(REPO))

from report import write_keeping_notes  # noqa: E402
from persona_lab.assess.select import select_k  # noqa: E402
from persona_lab.data.dataset import Dataset  # noqa: E402
from persona_lab.methods import get_method  # noqa: E402
from persona_lab.prepare import prepare  # noqa: E402

#: The objective convexity rule: k-means with the reference k reaches this ARI.
CONVEX_ARI = 0.9
K_CAP = 35

#: One line per set, from the battery's descriptions and a look at the data (not used to decide).
SHAPES = {
    "fcps_atom": "a dense ball inside a sparse spherical shell: nested, not linearly separable",
    "fcps_engytime": "two overlapping Gaussian-like blobs of different shape",
    "fcps_lsun": "two elongated rectangles and a ball: elongated, k-means splits them wrongly",
    "fcps_twodiamonds": "two touching diamonds of equal size: convex",
    "graves_dense": "two touching blobs of very different density",
    "h2mg_h2mg_16_30": "two 16-d Gaussian mixtures with heavy overlap",
    "sipu_aggregation": "seven groups, some joined by bridges, some non-convex, unequal sizes",
    "sipu_d31": "31 small Gaussian clusters, slightly overlapping: convex",
    "sipu_s2": "15 Gaussian clusters, moderate overlap: convex",
    "sipu_s3": "15 Gaussian clusters, strong overlap",
    "sipu_s4": "15 Gaussian clusters, very strong overlap",
    "sipu_unbalance": "8 well-separated blobs, three dense groups of 2,000 and five of 100: convex, unequal",
    "uci_glass": "glass types from chemistry: real data, classes not compact",
    "uci_statlog": "image segmentation features: real data, classes overlap",
    "uci_wdbc": "breast cancer diagnosis: real data, two overlapping classes",
    "uci_yeast": "protein localisation: real data, heavy overlap, very unequal classes",
    "wut_mk2": "two interleaved shapes (non-convex)",
    "wut_mk4": "three 3-d shapes, non-convex",
    "wut_x2": "three small groups with overlap and unequal spread",
}


def load(bench: Path, name: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(bench / f"{name}.csv")
    labels = np.loadtxt(bench / f"{name}.labels", dtype=int)
    return frame, labels


def convex_ari(dataset: Dataset, labels: np.ndarray, k: int) -> float:
    """ARI of k-means with the reference k (under the set's preparation) against the reference
    labels, noise points (label 0, where present) left out."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_rand_score

    Z = prepare(dataset, get_method("kmeans").default_preparation("entities")).X
    fitted = KMeans(n_clusters=k, n_init=10, random_state=0).fit(Z).labels_
    keep = labels > 0
    return float(adjusted_rand_score(labels[keep], fitted[keep]))


def k_range(n: int) -> list[int]:
    return list(range(2, max(3, min(K_CAP, n // 20)) + 1))


def run_set(bench: Path, name: str, meta: dict, args) -> dict:
    frame, labels = load(bench, name)
    dataset = Dataset(frame, {c: "feature" for c in frame.columns}, "entities", name=name)
    start = time.perf_counter()
    result = select_k(dataset, "kmeans", k_range(len(frame)), seed=args.seed, n_jobs=args.jobs, periods=False)
    return row_of(name, dataset, labels, int(meta["k"]), result, time.perf_counter() - start)


def row_of(name: str, dataset: Dataset, labels: np.ndarray, ref_k: int, result, seconds: float) -> dict:
    """One set's row: the selection against the reference k (and whether k-means can reach it)."""
    frame = dataset.frame
    ari = convex_ari(dataset, labels, ref_k)
    ks = k_range(len(frame))
    p = result.recommended_probability
    return {
        "set": name, "n": int(frame.shape[0]), "d": int(frame.shape[1]), "ref_k": ref_k,
        "k_range": [ks[0], ks[-1]], "kmeans_ari_at_ref_k": round(ari, 3), "convex": bool(ari >= CONVEX_ARI),
        "shape": SHAPES.get(name, ""),
        "recommended_k": int(result.recommended_k),
        "probability": None if p is None or not np.isfinite(p) else round(float(p), 3),
        "k_set_90": [int(k) for k in result.k_set_90],
        "k_distribution": {str(k): round(v, 3) for k, v in result.k_distribution.items()},
        "full_data_rule": result.rule.get("full_data_k"), "criteria_vote": result.rule.get("criteria_vote"),
        "full_data_picks": result.rule.get("full_data_picks"),
        "p_k_hat": {c: {str(int(k)): round(float(v), 3) for k, v in zip(g["k"], g["probability"])}
                    for c, g in result.p_k_hat().groupby("criterion", sort=False)},
        "stable_ks": None if result.null is None else result.stable,
        "hit": int(result.recommended_k) == ref_k, "in_set": ref_k in result.k_set_90,
        "seconds": round(seconds, 1),
    }


def rates(rows: list[dict]) -> dict:
    def share(subset, key):
        return None if not subset else round(sum(r[key] for r in subset) / len(subset), 3)

    convex = [r for r in rows if r["convex"]]
    return {
        "convex_sets": len(convex), "all_sets": len(rows),
        "hit_rate_convex": share(convex, "hit"), "hit_rate_all": share(rows, "hit"),
        "in_set_rate_convex": share(convex, "in_set"), "in_set_rate_all": share(rows, "in_set"),
    }


def markdown(rows: list[dict], summary: dict, settings: dict) -> str:
    def pct(x):
        return "n/a" if x is None else f"{x:.0%}"

    lines = [
        "# select_k on the public benchmark sets (issues 4, 15)", "",
        "Generated by `benchmarks/bench_sets.py`. Method: k-means with select_k's defaults and no per-set settings "
        "(z-scored columns; 50 resamples; 20 reference sets of 10 resamples); "
        f"seed {settings['seed']}, jobs {settings['jobs']}; k range 2..min({K_CAP}, n // 20).", "",
        f"Roughly convex = k-means told the reference k reaches ARI >= {CONVEX_ARI} with the reference labels "
        "(computed in the script).", "",
        f"- Hit rate (recommended k = reference k), convex sets: **{pct(summary['hit_rate_convex'])}** "
        f"({sum(r['hit'] for r in rows if r['convex'])} of {summary['convex_sets']})",
        f"- Hit rate, all sets: **{pct(summary['hit_rate_all'])}** ({sum(r['hit'] for r in rows)} of {summary['all_sets']})",
        f"- Reference k inside k_set_90, convex sets: **{pct(summary['in_set_rate_convex'])}**; all sets: "
        f"**{pct(summary['in_set_rate_all'])}** ({sum(r['in_set'] for r in rows)} of {summary['all_sets']})", "",
        "| set | n | d | ref k | k-means ARI at ref k | convex | recommended k | P | k_set_90 | hit | in set | s | shape |",
        "|---|---:|---:|---:|---:|:-:|---:|---:|---|:-:|:-:|---:|---|",
    ]
    for r in rows:
        p = "-" if r["probability"] is None else f"{r['probability']:.2f}"
        lines.append(
            f"| {r['set']} | {r['n']} | {r['d']} | {r['ref_k']} | {r['kmeans_ari_at_ref_k']:.3f} | "
            f"{'yes' if r['convex'] else 'no'} | {r['recommended_k']} | {p} | {r['k_set_90']} | "
            f"{'yes' if r['hit'] else 'no'} | {'yes' if r['in_set'] else 'no'} | {r['seconds']:.0f} | {r['shape']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", type=Path, default=REPO.parent / "shared" / "bench")
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all in meta.json)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "bench_sets")
    args = parser.parse_args(argv)
    meta = json.loads((args.bench / "meta.json").read_text())
    names = [s for s in args.sets.split(",") if s] or sorted(meta)
    settings = {k: getattr(args, k) for k in ("seed", "jobs")}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    rows = []
    print(f"{'set':18s} {'n':>5s} {'d':>3s} {'ref':>4s} {'ARI':>6s} conv {'rec':>4s} {'P':>5s} k_set_90      hit in_set     s")
    for name in names:
        row = run_set(args.bench, name, meta[name], args)
        rows.append(row)
        p = "-" if row["probability"] is None else f"{row['probability']:.2f}"
        print(f"{name:18s} {row['n']:5d} {row['d']:3d} {row['ref_k']:4d} {row['kmeans_ari_at_ref_k']:6.3f} "
              f"{'yes ' if row['convex'] else 'no  '} {row['recommended_k']:4d} {p:>5s} {str(row['k_set_90']):13s} "
              f"{'yes' if row['hit'] else 'no ':3s} {'yes' if row['in_set'] else 'no ':6s} {row['seconds']:6.0f}",
              flush=True)
        summary = rates(rows)
        doc = {"settings": settings, "convex_rule": f"k-means ARI at the reference k >= {CONVEX_ARI}",
               "summary": summary, "sets": rows}
        args.out.with_suffix(".json").write_text(json.dumps(doc, indent=1) + "\n")
        write_keeping_notes(args.out.with_suffix(".md"), markdown(rows, summary, settings))
    summary = rates(rows)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

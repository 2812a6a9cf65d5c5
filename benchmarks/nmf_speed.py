"""Time and quality of one NMF fit: our KL solver against the scikit-learn path it replaced.

On a generated APG matrix of MovieLens-100k's shape (168 groups x 1,682 items, about 50,000
non-zero cells, 5 planted behaviours; persona_lab.data.synthetic_apg), on its independence-model
reference and on the bundled sample (sample_data/channel_views.csv), every fit with one BLAS
thread. Old and new run in the same process, one after the other, so their ratio is measured
under the same load. For each k, over ``--seeds`` seeds: seconds per fit (median), the ratio, the new
loss over the old one (generalised KL divergence; < 1 is better), the ARI between the two fits'
hard labels, and, for reference, the ARI between two fits of the old solver with different seeds
(how much the old solver agrees with itself).

A second table measures the options one at a time at k = 5 and 8: fewer restarts, other
tolerances, an iteration cap, the dense path, float32, scikit-learn with a looser tol, and warm
starts from the full-data factors on a bootstrap resample of the groups.

    OMP_NUM_THREADS=1 python benchmarks/nmf_speed.py [--seeds 5] [--ks 2,5,8,100] [--option-ks 5,8]

Writes benchmarks/results/nmf_speed.json and nmf_speed.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402
from sklearn.metrics import adjusted_rand_score  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from persona_lab.assess.criteria import bare_prepared  # noqa: E402
from persona_lab.data import load_dataset  # noqa: E402
from persona_lab.data.sample_data import APG_SAMPLE, SAMPLE_DIR  # noqa: E402
from persona_lab.data.synthetic_apg import independence_apg, planted_apg  # noqa: E402
from persona_lab.methods import get_method  # noqa: E402
from persona_lab.methods import nmf as solver  # noqa: E402
from persona_lab.prepare import Preparation, prepare  # noqa: E402
from report import write_keeping_notes  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _loss(method) -> float:
    return float(method.reconstruction_err_) ** 2 / 2  # reconstruction_err_ is sqrt(2 D)


def _timed(make, prepared, k, seed, repeats, **fit):
    # CPU time of this process: with one thread it is the fit's compute time, and unlike wall
    # time it does not count the slices other processes take on a shared machine.
    times, method = [], None
    for _ in range(repeats):
        method = make()
        start = time.process_time()
        method.fit(prepared, k=k, seed=seed, **fit)
        times.append(time.process_time() - start)
    return statistics.median(times), method


def compare(name, prepared, k, seeds, truth=None) -> dict:
    """Old and new default fits with each seed: median seconds, mean (and worst) loss ratio and
    ARI, start for start (both solvers draw the same starting points from a seed)."""
    old_s, new_s, ratios, aris, self_aris, truth_old, truth_new, iters = [], [], [], [], [], [], [], []
    assign_old, assign_new, mismatch_old, mismatch_new = [], [], [], []
    previous = None
    for seed in range(seeds):
        seconds, old = _timed(lambda: get_method("nmf", solver="sklearn"), prepared, k, seed, 1)
        old_s.append(seconds)
        seconds, new = _timed(lambda: get_method("nmf"), prepared, k, seed, 1)
        new_s.append(seconds)
        # assign() of every training row: the stability analysis does it after each resample fit.
        for method, times, mismatches in ((old, assign_old, mismatch_old), (new, assign_new, mismatch_new)):
            start = time.process_time()
            labels = method.assign(prepared.X)
            times.append(time.process_time() - start)
            mismatches.append(int((labels != method.labels_).sum()))
        ratios.append(_loss(new) / _loss(old))
        aris.append(adjusted_rand_score(old.labels_, new.labels_))
        iters.append((int(old.n_iter_), int(new.n_iter_)))
        if previous is not None:
            self_aris.append(adjusted_rand_score(previous, old.labels_))
        previous = old.labels_
        if truth is not None:
            truth_old.append(adjusted_rand_score(truth, old.labels_))
            truth_new.append(adjusted_rand_score(truth, new.labels_))
    old_median, new_median = statistics.median(old_s), statistics.median(new_s)
    row = dict(
        data=name, k=k, seeds=seeds, old_s=old_median, new_s=new_median, speedup=old_median / new_median,
        loss_ratio=float(np.mean(ratios)), loss_ratio_max=float(np.max(ratios)),
        ari_new_old=float(np.mean(aris)), ari_new_old_min=float(np.min(aris)),
        ari_old_seeds=float(np.mean(self_aris)) if self_aris else float("nan"),
        old_iter=iters[0][0], new_iter=iters[0][1],
        assign_old_s=statistics.median(assign_old), assign_new_s=statistics.median(assign_new),
        assign_mismatch_old=max(mismatch_old), assign_mismatch_new=max(mismatch_new),
    )
    if truth is not None:
        row["ari_truth_old"] = float(np.mean(truth_old))
        row["ari_truth_new"] = float(np.mean(truth_new))
    return row


def _float32_dense(X, k, seed, max_iter=500, tol=1e-3):
    """The same updates with dense float32 products (one nndsvda start), to see what halving the
    memory traffic gives; returns (W, H, float64 loss)."""
    X32 = X.astype(np.float32)
    W, H = (a.astype(np.float32) for a in solver.initial_factors(X, k, "nndsvda", seed))
    eps = np.float32(solver.EPSILON)
    data = solver._Data(X)
    previous = np.inf
    for it in range(max_iter):
        if it % solver.CHECK_EVERY == 0:
            loss = solver._kl_dense_loss(data, np.maximum(W @ H, eps).astype(np.float64), W.astype(float), H.astype(float))
            if previous - loss < tol * loss:
                break
            previous = loss
        R = X32 / np.maximum(W @ H, eps)
        W *= (R @ H.T) / np.maximum(H.sum(axis=1), eps)
        R = X32 / np.maximum(W @ H, eps)
        H *= (W.T @ R) / np.maximum(W.sum(axis=0), eps)[:, None]
    W64, H64 = W.astype(float), H.astype(float)
    return W64, H64, solver._kl_dense_loss(data, np.maximum(W64 @ H64, solver.EPSILON), W64, H64)


def options(prepared, k, seeds) -> list[dict]:
    """Each option alone against the old solver's default fit, seed for seed: median seconds,
    mean loss ratio and mean ARI over ``seeds`` seeds."""
    X = prepared.X
    baseline = [_timed(lambda: get_method("nmf", solver="sklearn"), prepared, k, seed, 1) for seed in range(seeds)]
    old_s = statistics.median(seconds for seconds, _ in baseline)
    rows = []

    def add(option, runs, note=""):
        """runs: (seconds, loss, labels) per seed."""
        seconds = statistics.median(r[0] for r in runs)
        rows.append(dict(
            k=k, option=option, seconds=seconds, speedup=old_s / seconds,
            loss_ratio=float(np.mean([r[1] / _loss(old) for r, (_, old) in zip(runs, baseline)])),
            ari_vs_old=float(np.mean([adjusted_rand_score(old.labels_, r[2]) for r, (_, old) in zip(runs, baseline)])),
            note=note,
        ))

    def fitted(make, **fit):
        runs, iters = [], []
        for seed in range(seeds):
            seconds, method = _timed(make, prepared, k, seed, 1, **fit)
            runs.append((seconds, _loss(method), method.labels_))
            iters.append(int(method.n_iter_))
        return runs, f"{statistics.median(iters):.0f} iterations (median) in the kept start"

    add("old: scikit-learn mu, 4 restarts, tol 1e-4 (baseline)", [(t, _loss(m), m.labels_) for t, m in baseline])
    for label, params in [
        ("new default: 4 restarts, tol 1e-3", {}),
        ("new, 1 restart (nndsvda)", dict(n_restarts=1)),
        ("new, 1 restart (random, as the consensus fits)", dict(n_restarts=1, init="random")),
        ("new, tol 3e-3", dict(tol=3e-3)),
        ("new, tol 3e-4", dict(tol=3e-4)),
        ("new, tol 1e-4", dict(tol=1e-4)),
        ("new, max_iter 30", dict(max_iter=30)),
        ("new, 1 restart, tol 3e-3", dict(n_restarts=1, tol=3e-3)),
        ("old: scikit-learn, tol 1e-3", dict(solver="sklearn", tol=1e-3)),
        ("old: scikit-learn, 1 restart", dict(solver="sklearn", n_restarts=1)),
        ("old: scikit-learn, 1 restart (random)", dict(solver="sklearn", n_restarts=1, init="random")),
    ]:
        add(label, *fitted(lambda p=params: get_method("nmf", **p)))

    threshold = solver.DENSE_ABOVE
    solver.DENSE_ABOVE = 0.0
    try:
        add("new, dense float64 products forced", *fitted(lambda: get_method("nmf")))
        add("new, dense float64, 1 restart", *fitted(lambda: get_method("nmf", n_restarts=1)))
    finally:
        solver.DENSE_ABOVE = threshold

    runs = []
    for seed in range(seeds):
        start = time.process_time()
        with threadpool_limits(1):
            W, H, loss = _float32_dense(X, k, seed)
        runs.append((time.process_time() - start, loss, (W * H.sum(axis=1)).argmax(axis=1)))
    add("new, dense float32, 1 restart (nndsvda)", runs)

    # Warm start on bootstrap resamples of the groups: from the full-data factors restricted to
    # its rows, against a cold default fit of the same resample.
    full = get_method("nmf").fit(prepared, k=k, seed=0)
    results = {label: [] for label in ("cold4", "cold1", "warm", "warmH")}
    for seed in range(seeds):
        drawn = np.random.default_rng(100 + seed).choice(X.shape[0], X.shape[0])
        resample = bare_prepared(X[drawn])
        for label, make, fit in [
            ("cold4", lambda: get_method("nmf"), {}),
            ("cold1", lambda: get_method("nmf", n_restarts=1), {}),
            ("warm", lambda: get_method("nmf", n_restarts=1), dict(init_H=full.H_, init_W=full.W_[drawn])),
            ("warmH", lambda: get_method("nmf", n_restarts=1), dict(init_H=full.H_)),
        ]:
            seconds, method = _timed(make, resample, k, seed, 1, **fit)
            results[label].append((seconds, _loss(method), method.labels_, int(method.n_iter_)))
    cold_s = statistics.median(r[0] for r in results["cold4"])
    for label, name in [("cold4", "resample: cold, 4 restarts (reference)"),
                        ("cold1", "resample: cold, 1 restart"),
                        ("warm", "resample: warm start from full-data W and H"),
                        ("warmH", "resample: warm start from full-data H only")]:
        runs = results[label]
        seconds = statistics.median(r[0] for r in runs)
        rows.append(dict(
            k=k, option=name, seconds=seconds, speedup=cold_s / seconds,
            loss_ratio=float(np.mean([r[1] / c[1] for r, c in zip(runs, results["cold4"])])),
            ari_vs_old=float(np.mean([adjusted_rand_score(c[2], r[2]) for r, c in zip(runs, results["cold4"])])),
            note=f"against the cold 4-restart fit of the same resample; "
                 f"{statistics.median(r[3] for r in runs):.0f} iterations",
        ))
    return rows


def markdown(result: dict) -> str:
    lines = ["# NMF speed: one fit, our KL solver against scikit-learn's (the previous path)", "",
             f"{result['machine']}; one BLAS thread; each figure over seeds 0..{result['seeds'] - 1} "
             "(k >= 40: seed 0 only), old and new fitted with the same seed one after the other. Seconds: "
             "CPU seconds per fit (process time, one thread), median. Loss ratio: new KL divergence / old, "
             "mean (worst) over seeds; < 1 is better. "
             "ARI new-old: agreement of the two fits' hard labels, mean (lowest). ARI old seeds: the old "
             "solver against itself with the next seed (how reproducible the old answer was). ARI truth: "
             "against the planted behaviours.", "",
             "Assign: CPU seconds to assign() every training row after the fit (the stability analysis "
             "does this after each resample fit), and the most training rows (over seeds) whose assigned "
             "label differs from the fitted one.", "",
             "| data | k | old s | new s | speed-up | loss ratio | ARI new-old | ARI old seeds "
             "| iterations old / new (seed 0) | ARI truth old / new | assign s old / new | assign differs old / new |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["fits"]:
        truth = f"{r['ari_truth_old']:.3f} / {r['ari_truth_new']:.3f}" if "ari_truth_old" in r else ""
        lines.append(f"| {r['data']} | {r['k']} | {r['old_s']:.3f} | {r['new_s']:.3f} | {r['speedup']:.1f}x | "
                     f"{r['loss_ratio']:.4f} ({r['loss_ratio_max']:.4f}) | "
                     f"{r['ari_new_old']:.3f} ({r['ari_new_old_min']:.3f}) | {r['ari_old_seeds']:.3f} | "
                     f"{r['old_iter']} / {r['new_iter']} | {truth} | {r['assign_old_s']:.3f} / {r['assign_new_s']:.3f} | "
                     f"{r['assign_mismatch_old']} / {r['assign_mismatch_new']} |")
    lines += ["", "## Options one at a time (generated matrix)", "",
              "Against the old default fit with the same seed (resample rows: against a cold default fit of "
              "the same bootstrap resample). Seconds: CPU seconds per fit, median; loss ratio and ARI: "
              "means over seeds.", "",
              "| k | option | s per fit | speed-up | loss ratio | ARI vs baseline | note |", "|---|---|---|---|---|---|---|"]
    for r in result["options"]:
        lines.append(f"| {r['k']} | {r['option']} | {r['seconds']:.3f} | {r['speedup']:.1f}x | {r['loss_ratio']:.4f} | "
                     f"{r['ari_vs_old']:.3f} | {r['note']} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--ks", default="2,5,8,100")
    parser.add_argument("--option-ks", default="5,8")
    args = parser.parse_args()
    ks = [int(k) for k in args.ks.split(",")]

    planted = planted_apg(seed=0)
    generated = bare_prepared(planted.counts)
    null = bare_prepared(independence_apg(like=planted.counts, seed=0).counts)
    sample = prepare(load_dataset(SAMPLE_DIR / APG_SAMPLE), Preparation(interactions="counts"))
    get_method("nmf").fit(sample, k=2, seed=0)  # compile the solver's loops before timing

    fits = []
    for name, prepared, truth, k_values in [
        ("generated 168x1682", generated, planted.truth, ks),
        ("independence reference", null, None, [k for k in ks if k <= 8]),
        ("channel sample 112x200", sample, None, [2, 3, 5, 8]),
    ]:
        for k in k_values:
            row = compare(name, prepared, k, 1 if k >= 40 else args.seeds, truth)
            fits.append(row)
            print(f"{name:24s} k={k:3d}  old {row['old_s']:7.3f} s  new {row['new_s']:7.3f} s  "
                  f"{row['speedup']:5.1f}x  loss {row['loss_ratio']:.4f}  ARI new-old {row['ari_new_old']:.3f}  "
                  f"old seeds {row['ari_old_seeds']:.3f}", flush=True)
    option_rows = []
    for k in (int(k) for k in args.option_ks.split(",")):
        for row in options(generated, k, args.seeds):
            option_rows.append(row)
            print(f"k={k} {row['option']:58s} {row['seconds']:7.3f} s  {row['speedup']:5.1f}x  "
                  f"loss {row['loss_ratio']:.4f}  ARI {row['ari_vs_old']:.3f}", flush=True)

    result = dict(machine=f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
                  seeds=args.seeds, fits=fits, options=option_rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "nmf_speed.json").write_text(json.dumps(result, indent=1) + "\n")
    write_keeping_notes(RESULTS / "nmf_speed.md", markdown(result))
    print(f"wrote {RESULTS / 'nmf_speed.md'}")


if __name__ == "__main__":
    main()

"""Make the small deterministic inputs for the R reference fixtures.

Run with the project's interpreter (numpy only):

    .venv/bin/python scripts/r_reference/make_inputs.py

Writes CSV files into tests/fixtures/r_reference/inputs/. Values are rounded to 6 decimals
and written as plain decimals, so R and Python parse them to the same doubles.

Index conventions: every index column in these files is 0-based (Python style); the R
scripts add 1. Cluster labels are positive integers 1..k (R style); a Python test may use
them as they are, since every statistic here is invariant to relabelling.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "r_reference" / "inputs"
SEED = 20240611


def _write_csv(name: str, header: list[str], rows) -> None:
    path = OUT / name
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(",".join(header) + "\n")
        for row in rows:
            cells = []
            for v in row:
                if isinstance(v, str):
                    cells.append(v)
                elif isinstance(v, (int, np.integer)):
                    cells.append(str(int(v)))
                else:
                    cells.append(f"{float(v):.6f}")
            fh.write(",".join(cells) + "\n")


def blobs(rng: np.random.Generator, sd: float, centers: np.ndarray, per: int = 30):
    xs, ys = [], []
    for c, centre in enumerate(centers, start=1):
        xs.append(centre + rng.normal(0.0, sd, size=(per, 2)))
        ys.append(np.full(per, c))
    X = np.round(np.vstack(xs), 6)
    y = np.concatenate(ys)
    return X, y


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)

    # (a) well-separated blobs: 3 x 30 rows, centres 6 apart, sd 0.6
    centers_a = np.array([[0.0, 0.0], [6.0, 0.0], [3.0, 5.196152]])
    Xa, ya = blobs(rng, 0.6, centers_a)
    _write_csv("blobs_separated.csv", ["x1", "x2", "true_label"],
               [(*x, int(t)) for x, t in zip(Xa, ya)])

    # (b) overlapping blobs: same layout, centres 3 apart, sd 1.0
    Xb, yb = blobs(rng, 1.0, centers_a / 2.0)
    _write_csv("blobs_overlap.csv", ["x1", "x2", "true_label"],
               [(*x, int(t)) for x, t in zip(Xb, yb)])

    # (c) non-negative 40 x 25 matrix with 3 planted factors (block structure) + noise
    n_rows, n_cols, r = 40, 25, 3
    W = rng.uniform(0.0, 0.2, size=(n_rows, r))
    row_group = np.repeat(np.arange(r), [14, 13, 13])
    W[np.arange(n_rows), row_group] += rng.uniform(1.0, 2.0, size=n_rows)
    H = rng.uniform(0.0, 0.2, size=(r, n_cols))
    col_group = np.repeat(np.arange(r), [9, 8, 8])
    H[col_group, np.arange(n_cols)] += rng.uniform(1.0, 3.0, size=n_cols)
    V = W @ H + rng.uniform(0.0, 0.1, size=(n_rows, n_cols))
    V = np.round(V, 6)
    _write_csv("nmf_planted.csv", [f"c{j + 1}" for j in range(n_cols)], V.tolist())
    _write_csv("nmf_planted_groups.csv", ["kind", "index", "group"],
               [("row", i, int(g) + 1) for i, g in enumerate(row_group)]
               + [("col", j, int(g) + 1) for j, g in enumerate(col_group)])

    # (d) uniform, no structure: 90 x 2 on the unit square
    Xd = np.round(rng.uniform(0.0, 1.0, size=(90, 2)), 6)
    _write_csv("uniform.csv", ["x1", "x2"], Xd.tolist())

    # (e1) two partitions of 12 items for Jaccard between clusters
    a = np.array([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3])
    b = np.array([1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 4])
    _write_csv("jaccard_partitions.csv", ["item", "a", "b"],
               [(i, int(x), int(y)) for i, (x, y) in enumerate(zip(a, b))])

    # (e2) clusterboot-style: original partition of 20 items (3 clusters) and 6 fixed bootstrap
    # samples (n draws with replacement) with the clustering of each bootstrap data set.
    # Labels are given per draw (position); duplicated draws of one item carry the same label.
    orig = np.array([1] * 7 + [2] * 7 + [3] * 6)
    _write_csv("boot_original.csv", ["item", "label"],
               [(i, int(x)) for i, x in enumerate(orig)])
    n = orig.size
    boot_rows = []
    # how each bootstrap clustering is derived from the truth:
    # 1 exact copy with relabelling, 2 few flips, 3 merge clusters 2 and 3, 4 split cluster 1,
    # 5 many flips, 6 four clusters with noise
    for b_id in range(1, 7):
        idx = rng.integers(0, n, size=n)
        base = orig.copy()
        if b_id == 1:
            lab = np.array([0, 3, 1, 2])[base]  # relabel 1->3, 2->1, 3->2
        elif b_id == 2:
            lab = base.copy()
            flip = rng.choice(n, size=2, replace=False)
            lab[flip] = (lab[flip] % 3) + 1
        elif b_id == 3:
            lab = np.where(base == 3, 2, base)
        elif b_id == 4:
            lab = base.copy()
            lab[:4] = 4
        elif b_id == 5:
            lab = base.copy()
            flip = rng.choice(n, size=7, replace=False)
            lab[flip] = (lab[flip] % 3) + 1
        else:
            lab = base.copy()
            lab[[0, 1, 7, 8, 14]] = 4
            lab[[2, 9]] = 3
        # labels must be 1..k without gaps
        uniq = np.unique(lab[idx])
        remap = {int(u): k + 1 for k, u in enumerate(uniq)}
        for pos, item in enumerate(idx):
            boot_rows.append((b_id, pos, int(item), remap[int(lab[item])]))
    _write_csv("boot_samples.csv", ["boot", "position", "item", "label"], boot_rows)

    # (e3) consensus: 10 items, 12 subsamples of 8 items without replacement, each clustered
    n_c, H_c, m_c = 10, 12, 8
    truth_c = np.array([1, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    cons_rows = []
    together_sampled = np.zeros((n_c, n_c), dtype=int)
    for h in range(1, H_c + 1):
        idx = np.sort(rng.choice(n_c, size=m_c, replace=False))
        lab = truth_c[idx].copy()
        if h % 3 == 0:  # merge 2 and 3
            lab = np.where(lab == 3, 2, lab)
        if h % 4 == 1:  # one random item moved to another cluster
            p = rng.integers(0, m_c)
            lab[p] = (lab[p] % lab.max()) + 1
        uniq = np.unique(lab)
        remap = {int(u): k + 1 for k, u in enumerate(uniq)}
        for item, l in zip(idx, lab):
            cons_rows.append((h, int(item), remap[int(l)]))
        together_sampled[np.ix_(idx, idx)] += 1
    assert together_sampled.min() > 0, "every pair must be sampled together at least once"
    _write_csv("consensus_subsamples.csv", ["subsample", "item", "label"], cons_rows)

    # (e4) prediction strength: 24 points in 2-D, a fixed half split, fixed labels per half
    centers_p = np.array([[0.0, 0.0], [3.0, 0.0], [1.5, 2.6]])
    Xp, _ = blobs(rng, 0.9, centers_p, per=8)
    _write_csv("ps_data.csv", ["x1", "x2"], Xp.tolist())
    perm = rng.permutation(24)
    half1 = np.sort(perm[:12])  # fpc: first half has floor(n/2) points
    half2 = np.sort(perm[12:])
    # labels of each half as produced by "clustering that half": nearest planted centre,
    # with one deliberate disagreement per half so that prediction strength is below 1
    def nearest(points):
        d = ((points[:, None, :] - centers_p[None, :, :]) ** 2).sum(axis=2)
        return d.argmin(axis=1) + 1

    lab1 = nearest(Xp[half1])
    lab2 = nearest(Xp[half2])
    lab1[0] = (lab1[0] % 3) + 1
    lab2[-1] = (lab2[-1] % 3) + 1
    rows = [(1, int(i), int(l)) for i, l in zip(half1, lab1)]
    rows += [(2, int(i), int(l)) for i, l in zip(half2, lab2)]
    _write_csv("ps_split.csv", ["half", "item", "label"], rows)


if __name__ == "__main__":
    main()

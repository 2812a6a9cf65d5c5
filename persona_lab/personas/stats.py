"""The statistics behind traits and descriptor profiles: weighted means and shares with 95%
confidence intervals, segment-vs-rest tests, effect sizes and Benjamini-Hochberg.

Rows may carry survey weights. Intervals and tests then use Kish's effective sample size,
n_eff = (sum w)^2 / sum w^2, which equals the row count when every weight is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

Z95 = float(stats.norm.ppf(0.975))


@dataclass(frozen=True)
class Summary:
    """A weighted mean (or share) of some rows and what it rests on."""

    value: float
    sd: float  # weighted standard deviation (for a share: sqrt(p (1 - p)))
    n_eff: float  # Kish effective sample size
    rows: int  # rows behind it


def summarise(x: np.ndarray, w: np.ndarray) -> Summary | None:
    """Weighted mean and sd of ``x`` (NaNs and zero weights dropped); None without data."""
    ok = ~np.isnan(x) & (w > 0)
    if not ok.any():
        return None
    x, w = x[ok], w[ok]
    mean = float(np.average(x, weights=w))
    sd = float(np.sqrt(np.average((x - mean) ** 2, weights=w)))
    return Summary(mean, sd, float(w.sum() ** 2 / (w**2).sum()), int(ok.sum()))


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q) -> np.ndarray:
    """Quantiles ``q`` (in [0, 1]) of ``x`` under weights ``w``: the inverse of the weighted
    distribution function, averaging the two neighbours where it is flat at ``q`` (Hyndman and
    Fan's type 2, so that equal weights give the familiar median of an even count). NaNs and
    zero weights are dropped; all NaN without data.

    Interpolating between rows as ``np.percentile`` does would let light rows pull a quantile
    away from where the weight is: with 90% of the weight at 20, the median is 20."""
    x, w = np.asarray(x, dtype=float), np.asarray(w, dtype=float)
    q = np.atleast_1d(np.asarray(q, dtype=float))
    ok = ~np.isnan(x) & (w > 0)
    if not ok.any():
        return np.full(q.shape, np.nan)
    order = np.argsort(x[ok], kind="stable")
    x, w = x[ok][order], w[ok][order]
    share = np.cumsum(w) / w.sum()
    at = np.searchsorted(share, q - 1e-12).clip(max=x.size - 1)
    flat = np.isclose(share[at], q, rtol=0, atol=1e-12) & (at + 1 < x.size)
    after = np.minimum(at + 1, x.size - 1)
    return np.where(flat, (x[at] + x[after]) / 2, x[at])


def mean_ci(s: Summary) -> tuple[float | None, float | None]:
    """Normal-theory 95% interval of a weighted mean (t quantile for small samples)."""
    if s.n_eff < 2:
        return None, None
    half = float(stats.t.ppf(0.975, s.n_eff - 1)) * s.sd * np.sqrt(s.n_eff / (s.n_eff - 1)) / np.sqrt(s.n_eff)
    return float(s.value - half), float(s.value + half)


def share_ci(s: Summary) -> tuple[float | None, float | None]:
    """Wilson's 95% interval of a share: sensible near 0 and 1, where the normal one is not."""
    n, p = s.n_eff, s.value
    if n <= 0:
        return None, None
    denom = 1 + Z95**2 / n
    centre = (p + Z95**2 / (2 * n)) / denom
    half = Z95 * np.sqrt(p * (1 - p) / n + Z95**2 / (4 * n**2)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def welch_p(a: Summary, b: Summary) -> float | None:
    """Two-sided Welch t test of two weighted means (segment vs the rest)."""
    if a.n_eff < 2 or b.n_eff < 2:
        return None
    va = a.sd**2 * a.n_eff / (a.n_eff - 1) / a.n_eff
    vb = b.sd**2 * b.n_eff / (b.n_eff - 1) / b.n_eff
    if va + vb <= 0:
        return None if a.value == b.value else 0.0
    t = (a.value - b.value) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (a.n_eff - 1) + vb**2 / (b.n_eff - 1))
    return float(2 * stats.t.sf(abs(t), df))


def two_proportion_p(a: Summary, b: Summary) -> float | None:
    """Two-sided two-proportion z test with the pooled share (segment vs the rest)."""
    if a.n_eff <= 0 or b.n_eff <= 0:
        return None
    pooled = (a.value * a.n_eff + b.value * b.n_eff) / (a.n_eff + b.n_eff)
    se = np.sqrt(pooled * (1 - pooled) * (1 / a.n_eff + 1 / b.n_eff))
    if se <= 0:
        return None if a.value == b.value else 0.0
    return float(2 * stats.norm.sf(abs(a.value - b.value) / se))


def cohens_h(p: float, q: float) -> float:
    """Cohen's h between two shares: a difference of proportions on an arcsine scale."""
    return float(2 * np.arcsin(np.sqrt(p)) - 2 * np.arcsin(np.sqrt(q)))


def benjamini_hochberg(p_values: list[float | None]) -> list[float | None]:
    """Benjamini-Hochberg adjusted p-values (q-values) in the input's order; None stays None."""
    idx = [i for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    if not idx:
        return out
    p = np.array([p_values[i] for i in idx], dtype=float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    # Step-up: each q is the smallest adjusted value at its rank or above.
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1.0)
    for pos, i in enumerate(order):
        out[idx[i]] = float(q[pos])
    return out

"""Seeded APG matrices of realistic size and shape, with and without planted behaviours.

Two generators for benchmarks and calibration checks (issue 15), pure NumPy:

- :func:`planted_apg`: demographic groups x content items in the shape of MovieLens-100k as an
  APG matrix (2 genders x 7 age groups x 12 occupations = 168 groups, 1,682 items, about 50,000
  non-zero cells). Item popularity follows a Zipf-Mandelbrot law, group volumes are log-normal,
  and a few latent behaviours each favour their own "genre" of items. Every group is a mix
  dominated by one behaviour, which is the planted truth.
- :func:`independence_apg`: the independence model of a contingency table. Each group keeps its
  total and draws its items from one shared item mix, so there is no behaviour to find; this is
  what "no structure" means for an APG matrix.

The total number of interactions is solved for so that the *expected* number of non-zero cells
is the one asked for: density is what decides how hard an APG matrix is (most MovieLens cells
hold 1 or 2), so it is the knob, not the total.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .apg import GROUP_SEPARATOR
from .dataset import Dataset

GENDERS = ("F", "M")
AGES = ("18-24", "25-34", "35-44", "45-49", "50-55", "56+", "under 18")
OCCUPATIONS = (
    "academic", "artist", "clerical", "engineer", "executive", "healthcare", "homemaker",
    "lawyer", "retired", "sales", "student", "technician",
)
GROUP_COLUMNS = ["gender", "age", "occupation"]

#: Zipf-Mandelbrot popularity 1 / (rank + offset) ** exponent. The offset flattens the head:
#: MovieLens-100k's most-rated film has 0.58% of the ratings; offset 50 gives 0.56%, where a pure
#: Zipf law (offset 0) would give 12%.
ZIPF_EXPONENT = 1.0
ZIPF_OFFSET = 50.0


@dataclass
class SyntheticApg:
    """A generated APG matrix and what was planted in it.

    ``counts`` is groups x items in the order of ``groups`` and ``items``; ``groups`` is sorted
    the way :func:`persona_lab.data.interaction_matrix` sorts groups, so its rows line up with a
    loaded matrix's rows (items with no interaction at all are dropped on loading, groups never
    are: each group has at least one). ``truth`` is each group's dominant behaviour (all 0 for the
    independence model), ``mix`` the groups' behaviour shares and ``H`` the behaviours' item
    mixes (rows sum to 1), so that the expected counts are ``volume[:, None] * mix @ H``.
    """

    counts: np.ndarray
    groups: pd.DataFrame
    items: pd.Index
    truth: np.ndarray
    mix: np.ndarray
    H: np.ndarray
    volume: np.ndarray

    @property
    def group_labels(self) -> list[str]:
        return [GROUP_SEPARATOR.join(row) for row in self.groups[GROUP_COLUMNS].itertuples(index=False)]

    @property
    def truth_by_group(self) -> pd.Series:
        """The planted behaviour per group label, to align with a loaded matrix's groups."""
        return pd.Series(self.truth, index=self.group_labels, name="behaviour")

    def long(self) -> pd.DataFrame:
        """The non-zero cells as (demographics..., item, views) rows, item by item, so that a
        loaded matrix keeps the items in this order."""
        item_index, group_index = np.nonzero(self.counts.T)
        frame = self.groups[GROUP_COLUMNS].iloc[group_index].reset_index(drop=True)
        frame["item"] = self.items[item_index]
        frame["views"] = self.counts[group_index, item_index].astype(np.int64)
        return frame

    def dataset(self, name: str = "synthetic APG") -> Dataset:
        """The long form as an ``"interactions"`` dataset, ready for ``prepare``."""
        roles = {**{c: "demographic" for c in GROUP_COLUMNS}, "item": "item", "views": "value"}
        return Dataset(self.long(), roles, "interactions", name=name)


def planted_apg(
    n_groups: int = 168,
    n_items: int = 1682,
    n_behaviours: int = 5,
    nonzero: int = 50_000,
    seed: int = 0,
    *,
    purity: float = 0.75,
    genre_boost: float = 8.0,
    volume_sigma: float = 1.0,
) -> SyntheticApg:
    """Groups x items counts with ``n_behaviours`` planted behaviours.

    Each item belongs to one behaviour's genre; a behaviour's item mix is item popularity times
    ``genre_boost`` on its own genre (times log-normal taste noise), so popular items are watched
    by every behaviour, as in real data, and a behaviour differs in what it watches *more*. Each
    group gives ``purity`` of its activity (on average) to its dominant behaviour and the rest to
    the others at random.
    """
    _check(n_groups, n_items, nonzero)
    if n_behaviours < 1 or n_behaviours > n_groups:
        raise ValueError(f"n_behaviours must be between 1 and n_groups, got {n_behaviours}")
    if not 0.0 < purity <= 1.0:
        raise ValueError(f"purity must be in (0, 1], got {purity}")
    rng = np.random.default_rng(seed)
    groups = _groups(n_groups, rng)
    volume = _volumes(n_groups, volume_sigma, rng)
    popularity = _popularity(n_items, rng)

    genre = rng.integers(0, n_behaviours, n_items)
    taste = np.exp(rng.normal(0.0, 0.5, (n_behaviours, n_items)))
    H = popularity * taste * np.where(genre[None, :] == np.arange(n_behaviours)[:, None], genre_boost, 1.0)
    H /= H.sum(axis=1, keepdims=True)

    truth = _dominant(n_groups, n_behaviours, rng)
    # The dominant share varies around `purity`; the rest is spread over the other behaviours.
    dominant_share = rng.beta(20 * purity, 20 * (1 - purity), n_groups) if purity < 1 else np.ones(n_groups)
    rest = rng.dirichlet(np.ones(max(n_behaviours - 1, 1)), n_groups)
    mix = np.zeros((n_groups, n_behaviours))
    for g in range(n_groups):
        others = np.delete(np.arange(n_behaviours), truth[g])
        mix[g, others] = (1 - dominant_share[g]) * rest[g, : others.size]
        mix[g, truth[g]] = dominant_share[g]
    shape = volume[:, None] * (mix @ H)  # expected counts up to the total
    counts = _draw(shape, nonzero, rng)
    return SyntheticApg(counts, groups, _item_ids(n_items), truth, mix, H, volume)


def independence_apg(
    n_groups: int = 168,
    n_items: int = 1682,
    nonzero: int = 50_000,
    seed: int = 0,
    *,
    like: np.ndarray | None = None,
    volume_sigma: float = 1.0,
) -> SyntheticApg:
    """Counts from the independence model: group volume x one shared item mix, no behaviours.

    With ``like`` (a groups x items counts matrix) it is that matrix's independence reference:
    each group keeps its total exactly and draws it from the pooled item mix (multinomial), the
    null of a contingency table. Without it, log-normal volumes and a Zipf item mix are drawn
    and counts are Poisson with ``nonzero`` expected non-zero cells.
    """
    rng = np.random.default_rng(seed)
    if like is not None:
        V = np.asarray(like, dtype=float)
        if V.ndim != 2 or (V < 0).any() or not np.isfinite(V).all() or V.sum() <= 0:
            raise ValueError("like must be a non-negative, finite 2-d counts matrix with some counts")
        n_groups, n_items = V.shape
        groups = _groups(n_groups, rng)
        counts = independence_counts(V, rng)
        volume = V.sum(axis=1)
        item_mix = V.sum(axis=0) / V.sum()
    else:
        _check(n_groups, n_items, nonzero)
        groups = _groups(n_groups, rng)
        volume = _volumes(n_groups, volume_sigma, rng)
        item_mix = _popularity(n_items, rng)
        counts = _draw(volume[:, None] * item_mix[None, :], nonzero, rng)
    return SyntheticApg(
        counts, groups, _item_ids(n_items), np.zeros(n_groups, dtype=int),
        np.ones((n_groups, 1)), item_mix[None, :], volume,
    )


# -- parts ----------------------------------------------------------------------------------------


def independence_counts(V, rng: np.random.Generator) -> np.ndarray:
    """Counts from the independence model of the contingency table ``V``: each group keeps its
    total, its items drawn (multinomially) from the pooled item mix. Totals that are not whole
    numbers are drawn rounded (at least 1) and scaled back, so every group keeps its total."""
    V = np.asarray(V, float)
    totals = V.sum(axis=1)
    drawn = np.maximum(np.rint(totals), 1).astype(np.int64)
    Y = rng.multinomial(drawn, V.sum(axis=0) / V.sum()).astype(float)
    return Y * (totals / drawn)[:, None]


def _check(n_groups: int, n_items: int, nonzero: int) -> None:
    if n_groups < 2 or n_items < 2:
        raise ValueError(f"Need at least 2 groups and 2 items, got {n_groups} x {n_items}")
    if not 0 < nonzero < n_groups * n_items:
        raise ValueError(f"nonzero must be between 1 and {n_groups * n_items - 1}, got {nonzero}")


def _groups(n_groups: int, rng: np.random.Generator) -> pd.DataFrame:
    """Demographic tuples: gender x age x occupation, with numbered regions when more groups are
    asked for than the 168 combinations; a seeded choice of combinations when fewer."""
    levels = [GENDERS, AGES, OCCUPATIONS]
    combos = list(itertools.product(*levels))
    if n_groups > len(combos):
        regions = -(-n_groups // len(combos))
        combos = [(g, a, f"{o} (region {r + 1})") for r in range(regions) for g, a, o in combos]
    chosen = np.sort(rng.choice(len(combos), n_groups, replace=False))
    frame = pd.DataFrame([combos[i] for i in chosen], columns=GROUP_COLUMNS)
    # The order interaction_matrix gives groups (sorted demographic strings), so rows line up.
    return frame.sort_values(GROUP_COLUMNS, kind="stable").reset_index(drop=True)


def _volumes(n_groups: int, sigma: float, rng: np.random.Generator) -> np.ndarray:
    # Log-normal: a few large groups hold much of the audience, some are tiny.
    return np.exp(rng.normal(0.0, sigma, n_groups))


def _popularity(n_items: int, rng: np.random.Generator) -> np.ndarray:
    rank = rng.permutation(n_items) + 1  # item ids carry no popularity order
    weight = 1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT
    return weight / weight.sum()


def _dominant(n_groups: int, n_behaviours: int, rng: np.random.Generator) -> np.ndarray:
    """Each group's dominant behaviour; behaviours of unequal size, none with fewer than
    2 groups (a behaviour of one group is a single row, not a persona)."""
    shares = rng.dirichlet(np.full(n_behaviours, 4.0))
    truth = rng.choice(n_behaviours, n_groups, p=shares)
    minimum = min(2, n_groups // n_behaviours)
    for p in range(n_behaviours):
        short = minimum - int((truth == p).sum())
        if short > 0:
            counts = np.bincount(truth, minlength=n_behaviours)
            donors = np.flatnonzero(counts[truth] > minimum)
            truth[rng.choice(donors, short, replace=False)] = p
    return truth


def _draw(shape: np.ndarray, nonzero: int, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts with mean total * shape / shape.sum(), the total set so that the expected
    number of non-zero cells is ``nonzero``; every group and item kept non-empty where it can."""
    p = shape / shape.sum()
    total = _total_for(p, nonzero)
    counts = rng.poisson(total * p).astype(float)
    # An empty group would be dropped on loading and misalign the planted truth: give it one
    # interaction, at its likeliest item.
    empty = np.flatnonzero(counts.sum(axis=1) == 0)
    counts[empty, p[empty].argmax(axis=1)] = 1.0
    return counts


def _total_for(p: np.ndarray, nonzero: int) -> float:
    """The total T with sum(1 - exp(-T p)) = nonzero (monotone in T: bisection on log T)."""
    low, high = np.log(nonzero), np.log(nonzero) + 20.0
    for _ in range(60):
        mid = 0.5 * (low + high)
        expected = float(-np.expm1(-np.exp(mid) * p).sum())
        low, high = (mid, high) if expected < nonzero else (low, mid)
    return float(np.exp(0.5 * (low + high)))


def _item_ids(n_items: int) -> pd.Index:
    width = len(str(n_items))
    return pd.Index([f"item{j + 1:0{width}d}" for j in range(n_items)], name="item")

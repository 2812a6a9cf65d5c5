"""Column encoders: how one column of a table becomes one or more columns of the matrix.

Each encoder is fitted on the training column and then applied unchanged to new rows, so that
scoring new data repeats the preparation exactly. ``step`` says in words what was done.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Categories beyond this many levels are pooled into "other" so one column cannot dominate.
MAX_LEVELS = 30
MISSING = "(missing)"


def as_float(series: pd.Series) -> np.ndarray:
    """Numbers with NaN for anything missing, unparseable or infinite (a writable copy)."""
    values = pd.to_numeric(series, errors="coerce").astype(float).to_numpy(copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def as_category_text(series: pd.Series) -> np.ndarray:
    """Each value as a category's text, missing as MISSING; whole numbers without ".0", so that a
    column of codes read as 1.0 (a missing value made it float) and as 1 has the same levels."""
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return np.array([MISSING if np.isnan(v) else f"{v:.0f}" if v == round(v) else str(v)
                         for v in as_float(series)], dtype=object).astype(str)
    return series.astype("string").fillna(MISSING).astype(str).to_numpy()


def is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def is_category(series: pd.Series) -> bool:
    """Text (two-valued included) and yes/no columns: categories to every method that models
    categories; a yes/no column is also a 0/1 number to a method that needs numbers."""
    return pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series)


def _skew(values: np.ndarray) -> float:
    sd = values.std()
    return 0.0 if sd == 0 else float(np.mean(((values - values.mean()) / sd) ** 3))


@dataclass
class NumericEncoder:
    """Impute, optionally log1p a long right tail, then scale."""

    column: str
    fill: float = 0.0
    log: bool = False
    centre: float = 0.0
    spread: float = 1.0
    step: str = ""
    categorical: bool = field(default=False, init=False)

    @classmethod
    def fit(cls, series: pd.Series, scale: str, impute: str, log_counts: bool) -> "NumericEncoder | None":
        values = as_float(series)
        missing = np.isnan(values)
        observed = values[~missing]
        if observed.size == 0 or np.ptp(observed) == 0:
            return None
        fill = float(np.median(observed) if impute == "median" else observed.mean())
        done = []
        if missing.any():
            done.append(f"{missing.mean():.0%} missing imputed with the {impute} {fill:.3g}")
        # log1p tames long right tails (counts, money) that would otherwise dominate distances.
        # A 0/1 (two-valued) column is a flag, never a tail: it is never logged.
        log = bool(log_counts and observed.min() >= 0 and len(np.unique(observed)) > 2 and _skew(observed) > 1.0)
        if log:
            done.append("log1p")
        encoder = cls(str(series.name), fill, log)
        # Scale what the method will see: the imputed (and logged) column.
        encoder.centre, encoder.spread = _scale_parameters(encoder.transform(series)[:, 0], scale)
        if scale != "none":
            done.append(f"{scale} scaled")
        encoder.step = f"{series.name}: numeric" + (", " + ", ".join(done) if done else "")
        return encoder

    @property
    def names(self) -> list[str]:
        return [self.column]

    def transform(self, series: pd.Series) -> np.ndarray:
        values = as_float(series)
        values = np.where(np.isnan(values), self.fill, values)
        if self.log:
            values = np.log1p(np.clip(values, 0, None))
        return ((values - self.centre) / self.spread)[:, None]


def _scale_parameters(values: np.ndarray, scale: str) -> tuple[float, float]:
    if scale == "standard":
        centre, spread = values.mean(), values.std()
    elif scale == "robust":
        q1, centre, q3 = np.percentile(values, [25, 50, 75])
        spread = q3 - q1 or values.std()
    elif scale == "minmax":
        centre, spread = values.min(), np.ptp(values)
    else:
        centre, spread = 0.0, 1.0
    return float(centre), float(spread or 1.0)


@dataclass
class CategoryEncoder:
    """A category column: one 0/1 column per kept level plus "other" (pooled and unseen
    levels), or, with ``codes``, a single column of integer codes for methods that model
    categories directly (LCA, k-prototypes)."""

    column: str
    levels: list[str]
    codes: bool = False
    step: str = ""
    pooled: bool = False  # rare levels were pooled into "other", which unseen levels then join

    @classmethod
    def fit(cls, series: pd.Series, codes: bool = False) -> "CategoryEncoder":
        counts = pd.Series(as_category_text(series)).value_counts()
        levels = [str(v) for v in counts.index[:MAX_LEVELS]]
        how = "kept as categories" if codes else "one-hot"
        step = f"{series.name}: categorical, {len(levels)} levels {how}"
        if len(counts) > MAX_LEVELS:
            step += f" ({len(counts) - MAX_LEVELS} rare levels pooled as 'other')"
        return cls(str(series.name), levels, codes, step, pooled=len(counts) > MAX_LEVELS)

    @property
    def categorical(self) -> bool:
        return self.codes

    @property
    def names(self) -> list[str]:
        if self.codes:
            return [self.column]
        return [f"{self.column}={level}" for level in self.levels] + [f"{self.column}=other"]

    def transform(self, series: pd.Series) -> np.ndarray:
        codes = pd.Index(self.levels).get_indexer(as_category_text(series))
        codes[codes < 0] = len(self.levels)  # unseen or pooled levels go to "other"
        if self.codes:
            return codes.astype(float)[:, None]
        block = np.zeros((len(codes), len(self.levels) + 1))
        block[np.arange(len(codes)), codes] = 1.0
        return block


@dataclass
class BinEncoder:
    """A number cut into quantile bins, each bin a category; missing values a bin of their own."""

    column: str
    edges: list[float]
    step: str = ""
    categorical: bool = field(default=True, init=False)

    @classmethod
    def fit(cls, series: pd.Series, bins: int) -> "BinEncoder | None":
        values = as_float(series)
        observed = values[~np.isnan(values)]
        if observed.size == 0 or np.ptp(observed) == 0:
            return None
        # Inner quantile edges; ties (many zeros) merge bins rather than leave empty ones.
        edges = np.unique(np.quantile(observed, np.linspace(0, 1, bins + 1)[1:-1])).tolist()
        step = f"{series.name}: numeric, cut into {len(edges) + 1} quantile bins as categories"
        return cls(str(series.name), [float(e) for e in edges], step)

    @property
    def names(self) -> list[str]:
        return [self.column]

    def transform(self, series: pd.Series) -> np.ndarray:
        values = as_float(series)
        codes = np.searchsorted(self.edges, values, side="right").astype(float)
        codes[np.isnan(values)] = len(self.edges) + 1
        return codes[:, None]


# -- fitted encoders as JSON (the model file, persona_lab.model_file) ---------------------------

ENCODER_TYPES = {cls.__name__: cls for cls in (NumericEncoder, CategoryEncoder, BinEncoder)}


def encoder_to_dict(encoder) -> dict:
    """An encoder's fitted parameters as JSON-able values, with its ``type``."""
    data = {f: getattr(encoder, f) for f in encoder.__dataclass_fields__ if f != "categorical"}
    return {"type": type(encoder).__name__, **data}


def encoder_from_dict(data: dict):
    """The encoder :func:`encoder_to_dict` wrote; KeyError or TypeError for a damaged entry."""
    fields = dict(data)
    cls = ENCODER_TYPES[fields.pop("type")]
    return cls(**fields)

"""Feature preparation: from a :class:`Dataset` to the numeric matrix a method fits.

Every method declares a default :class:`Preparation`, so that any method runs on any reasonable
table without the user knowing its needs. The result, :class:`Prepared`, records every step in
words (shown in the app and written into the manifest) and keeps the fitted parameters so that
new rows can be transformed the same way (:meth:`Prepared.transform`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .data.apg import InteractionMatrix, interaction_matrix
from .data.dataset import Dataset
from .errors import PersonaLabError

SCALES = ("standard", "robust", "minmax", "none")
INTERACTION_WEIGHTINGS = ("counts", "row", "tfidf")
#: Categories beyond this many levels are pooled into "other" so one column cannot dominate.
MAX_LEVELS = 30


@dataclass(frozen=True)
class Preparation:
    """How features are made. Parameters only; :func:`prepare` does the work."""

    scale: str = "standard"
    log_counts: bool = True  # log1p for skewed non-negative columns (counts, money)
    impute: str = "median"  # numeric missing values; categories get their own "missing" level
    interactions: str = "row"  # APG matrices: raw "counts", "row" shares, or "tfidf"

    def __post_init__(self):
        if self.scale not in SCALES:
            raise PersonaLabError(f"Unknown scaling {self.scale!r}", fix=f"Use one of {', '.join(SCALES)}")
        if self.interactions not in INTERACTION_WEIGHTINGS:
            raise PersonaLabError(
                f"Unknown interaction weighting {self.interactions!r}",
                fix=f"Use one of {', '.join(INTERACTION_WEIGHTINGS)}",
            )
        if self.impute not in ("median", "mean"):
            raise PersonaLabError(f"Unknown imputation {self.impute!r}", fix="Use median or mean")


@dataclass
class _NumericColumn:
    name: str
    fill: float
    log: bool
    centre: float
    spread: float


@dataclass
class _CategoricalColumn:
    name: str
    levels: list[str]  # kept levels; anything else becomes "other"


@dataclass
class Prepared:
    """The matrix a method fits, and everything needed to explain and repeat it."""

    X: np.ndarray
    feature_names: list[str]
    row_labels: list[str]
    kind: str
    preparation: Preparation
    steps: list[str]
    #: Weights a method may use in fitting (survey weights; APG group volumes), or None.
    sample_weight: np.ndarray | None
    #: What a row counts towards a persona's size: its weight (1 without one) or, for the APG
    #: shape, its raw number of interactions.
    size_weight: np.ndarray
    matrix: InteractionMatrix | None = None
    numeric: list[_NumericColumn] = field(default_factory=list)
    categorical: list[_CategoricalColumn] = field(default_factory=list)
    #: Which of the built columns were kept (constant one-hot columns are dropped).
    feature_mask: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def nonnegative(self) -> bool:
        return bool(np.all(self.X >= 0))

    def describe(self) -> dict:
        """A JSON-ready summary for the manifest."""
        return {
            "kind": self.kind,
            "parameters": asdict(self.preparation),
            "steps": list(self.steps),
            "n_rows": int(self.X.shape[0]),
            "n_features": int(self.X.shape[1]),
        }

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Apply the fitted entity-table preparation to new rows."""
        if self.kind != "entities":
            raise PersonaLabError(
                "New rows can only be prepared for per-customer tables",
                fix="Score new interaction data by rebuilding the group x item matrix",
            )
        missing = [c.name for c in self.numeric + self.categorical if c.name not in frame.columns]
        if missing:
            raise PersonaLabError(
                f"The new data lacks column(s) used for segmenting: {', '.join(map(repr, missing))}",
                fix="Add these columns or use data with the same columns as the training data",
            )
        blocks = [_apply_numeric(frame[c.name], c) for c in self.numeric]
        blocks += [_apply_categorical(frame[c.name], c) for c in self.categorical]
        X = np.column_stack(blocks).astype(float)
        return X if self.feature_mask is None else X[:, self.feature_mask]


def prepare(dataset: Dataset, preparation: Preparation | None = None) -> Prepared:
    preparation = preparation or Preparation()
    if dataset.kind == "interactions":
        return _prepare_interactions(dataset, preparation)
    return _prepare_entities(dataset, preparation)


# -- APG interaction matrices -------------------------------------------------------------------


def _prepare_interactions(dataset: Dataset, prep: Preparation) -> Prepared:
    matrix = interaction_matrix(dataset)
    V = matrix.V
    totals = V.sum(axis=1)
    steps = [f"group x item matrix: {V.shape[0]} groups x {V.shape[1]} items, {V.sum():,.0f} interactions"]
    steps += list(matrix.warnings)
    if prep.interactions == "counts":
        X = V.copy()
        steps.append("raw counts (each group weighs by its volume)")
        sample_weight = None
    elif prep.interactions == "row":
        X = V / totals[:, None]
        steps.append("row shares: each group's interactions divided by its total (content mix)")
        sample_weight = totals
        steps.append("groups weighted by their number of interactions in fitting")
    else:
        X = _tfidf(V)
        steps.append("TF-IDF: row shares x log inverse item frequency, rows L2-normalised")
        sample_weight = totals
        steps.append("groups weighted by their number of interactions in fitting")
    return Prepared(
        X=X,
        feature_names=list(matrix.item_ids),
        row_labels=list(matrix.group_labels),
        kind="interactions",
        preparation=prep,
        steps=steps,
        sample_weight=sample_weight,
        size_weight=totals,
        matrix=matrix,
    )


def _tfidf(V: np.ndarray) -> np.ndarray:
    tf = V / V.sum(axis=1, keepdims=True)
    df = (V > 0).sum(axis=0)
    idf = np.log((1 + V.shape[0]) / (1 + df)) + 1.0
    X = tf * idf
    return X / np.linalg.norm(X, axis=1, keepdims=True)


# -- per-customer tables ------------------------------------------------------------------------


def _prepare_entities(dataset: Dataset, prep: Preparation) -> Prepared:
    frame = dataset.frame
    features = dataset.columns("feature")
    if not features:
        raise PersonaLabError(
            "No column is marked for segmenting",
            where=dataset.name,
            fix="Give at least one column the role 'feature' (Data page, or --roles on the command line)",
        )
    if len(frame) < 2:
        raise PersonaLabError("The table has fewer than two rows", where=dataset.name, fix="Load more data")
    steps: list[str] = []
    numeric_cols, categorical_cols = [], []
    blocks, names = [], []
    for col in features:
        series = frame[col]
        if _is_numeric(series):
            spec, step = _fit_numeric(series, prep)
            if spec is None:
                steps.append(step)
                continue
            numeric_cols.append(spec)
            blocks.append(_apply_numeric(series, spec))
            names.append(col)
            steps.append(step)
        else:
            spec, step = _fit_categorical(series)
            categorical_cols.append(spec)
            block = _apply_categorical(series, spec)
            blocks.append(block)
            names += [f"{col}={level}" for level in spec.levels] + [f"{col}=other"]
            steps.append(step)
    if not blocks:
        raise PersonaLabError(
            "None of the columns marked for segmenting holds usable values (all constant or empty)",
            where=dataset.name,
            fix="Mark other columns as 'feature'",
        )
    X = np.column_stack(blocks).astype(float)
    # One-hot blocks contain an all-zero "other" column when nothing was pooled: drop those.
    keep = X.std(axis=0) > 0
    if not keep.any():
        raise PersonaLabError(
            "Every prepared feature is constant, so there is nothing to segment on",
            where=dataset.name,
            fix="Mark columns that vary between rows as 'feature'",
        )
    if not keep.all():
        X = X[:, keep]
        names = [n for n, k in zip(names, keep) if k]
    weight, size_weight = _weights(dataset, steps)
    return Prepared(
        X=X,
        feature_names=names,
        row_labels=_row_labels(dataset),
        kind="entities",
        preparation=prep,
        steps=steps,
        sample_weight=weight,
        size_weight=size_weight,
        numeric=numeric_cols,
        categorical=categorical_cols,
        feature_mask=keep,
    )


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)


def _as_float(series: pd.Series) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce").astype(float).to_numpy(copy=True)
    values[~np.isfinite(values)] = np.nan
    return values


def _fit_numeric(series: pd.Series, prep: Preparation) -> tuple[_NumericColumn | None, str]:
    values = _as_float(series)
    missing = np.isnan(values)
    observed = values[~missing]
    if observed.size == 0 or np.ptp(observed) == 0:
        return None, f"{series.name}: dropped (empty or constant)"
    fill = float(np.median(observed) if prep.impute == "median" else observed.mean())
    done = []
    if missing.any():
        done.append(f"{missing.mean():.0%} missing imputed with the {prep.impute} {fill:.3g}")
    # log1p tames long right tails (counts, money) that would otherwise dominate distances.
    log = bool(prep.log_counts and observed.min() >= 0 and _skew(observed) > 1.0)
    if log:
        done.append("log1p")
    spec = _NumericColumn(str(series.name), fill, log, 0.0, 1.0)
    # Scale what the method will see: the imputed (and logged) column.
    spec.centre, spec.spread = _scale_parameters(_apply_numeric(series, spec), prep.scale)
    if prep.scale != "none":
        done.append(f"{prep.scale} scaled")
    return spec, f"{series.name}: numeric" + (", " + ", ".join(done) if done else "")


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


def _apply_numeric(series: pd.Series, spec: _NumericColumn) -> np.ndarray:
    values = _as_float(series)
    values = np.where(np.isnan(values), spec.fill, values)
    if spec.log:
        values = np.log1p(np.clip(values, 0, None))
    return (values - spec.centre) / spec.spread


def _skew(values: np.ndarray) -> float:
    sd = values.std()
    return 0.0 if sd == 0 else float(np.mean(((values - values.mean()) / sd) ** 3))


def _fit_categorical(series: pd.Series) -> tuple[_CategoricalColumn, str]:
    text = _as_category_text(series)
    counts = text.value_counts()
    levels = [str(v) for v in counts.index[:MAX_LEVELS]]
    step = f"{series.name}: categorical, one-hot over {len(levels)} levels"
    if len(counts) > MAX_LEVELS:
        step += f" ({len(counts) - MAX_LEVELS} rare levels pooled as 'other')"
    return _CategoricalColumn(str(series.name), levels), step


def _as_category_text(series: pd.Series) -> pd.Series:
    return series.astype("string").fillna("(missing)").astype(str)


def _apply_categorical(series: pd.Series, spec: _CategoricalColumn) -> np.ndarray:
    codes = pd.Index(spec.levels).get_indexer(_as_category_text(series))
    codes[codes < 0] = len(spec.levels)  # unseen or pooled levels go to "other"
    block = np.zeros((len(codes), len(spec.levels) + 1))
    block[np.arange(len(codes)), codes] = 1.0
    return block


def _weights(dataset: Dataset, steps: list[str]) -> tuple[np.ndarray | None, np.ndarray]:
    column = dataset.weight_column
    n = len(dataset.frame)
    if column is None:
        return None, np.ones(n)
    weight = _as_float(dataset.frame[column])
    bad = np.isnan(weight) | (weight < 0)
    if bad.all() or np.nansum(weight) <= 0:
        raise PersonaLabError(
            f"The weight column {column!r} holds no positive numbers",
            where=dataset.name,
            fix="Choose another weight column or set its role to 'ignore'",
        )
    if bad.any():
        steps.append(f"weight {column}: {bad.sum()} missing or negative weights set to 0")
        weight = np.where(bad, 0.0, weight)
    steps.append(f"rows weighted by {column!r} in fitting, sizes and shares")
    return weight, weight


def _row_labels(dataset: Dataset) -> list[str]:
    ids = dataset.columns("id")
    if ids:
        return dataset.frame[ids[0]].astype(str).tolist()
    return [str(i) for i in range(len(dataset.frame))]

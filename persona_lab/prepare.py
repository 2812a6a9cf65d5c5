"""Feature preparation: from a :class:`Dataset` to the numeric matrix a method fits.

Every method declares a default :class:`Preparation`, so that any method runs on any reasonable
table without the user knowing its needs. The result, :class:`Prepared`, records every step in
words (shown in the app and written into the manifest) and keeps the fitted parameters so that
new rows can be transformed the same way (:meth:`Prepared.transform`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from .data.apg import InteractionMatrix, interaction_matrix
from .data.dataset import Dataset
from .data.profile import is_id_name
from .errors import PersonaLabError
from .features import MAX_LEVELS, BinEncoder, CategoryEncoder, NumericEncoder, as_float, is_category, is_numeric

Encoder = NumericEncoder | CategoryEncoder | BinEncoder

SCALES = ("standard", "robust", "minmax", "none")
INTERACTION_WEIGHTINGS = ("counts", "row", "tfidf")
ENCODINGS = ("onehot", "codes")


@dataclass(frozen=True)
class Preparation:
    """How features are made. Parameters only; :func:`prepare` does the work."""

    scale: str = "standard"
    log_counts: bool = True  # log1p for skewed non-negative columns (counts, money)
    impute: str = "median"  # numeric missing values; categories get their own "missing" level
    interactions: str = "row"  # APG matrices: raw "counts", "row" shares, or "tfidf"
    encode: str = "onehot"  # categories as 0/1 columns, or as integer "codes" (LCA, k-prototypes)
    bins: int = 0  # > 0: numbers cut into this many quantile bins and treated as categories
    #: When no segmenting column is a category, the categorical demographics (Gender in the Mall
    #: Customers table) join them: for k-prototypes, which exists to mix categories with numbers.
    borrow_categories: bool = False

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
        if self.encode not in ENCODINGS:
            raise PersonaLabError(f"Unknown encoding {self.encode!r}", fix=f"Use one of {', '.join(ENCODINGS)}")
        if int(self.bins) < 0 or int(self.bins) == 1:
            raise PersonaLabError(f"bins must be 0 (no binning) or at least 2, got {self.bins}", fix="Use e.g. bins=4")


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
    #: The fitted column encoders of an entity table, in the order of X's column blocks.
    encoders: list[Encoder] = field(default_factory=list)
    #: Which of the built columns were kept (constant one-hot columns are dropped).
    feature_mask: np.ndarray | None = None
    #: APG with TF-IDF: the training items' inverse document frequencies, for new groups.
    item_weights: np.ndarray | None = None

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def nonnegative(self) -> bool:
        return bool(np.all(self.X >= 0))

    @property
    def categorical_index(self) -> list[int]:
        """Columns of X holding integer category codes (empty unless encode="codes" or bins)."""
        flags = [enc.categorical for enc in self.encoders for _ in enc.names]
        if self.feature_mask is not None:
            flags = [f for f, keep in zip(flags, self.feature_mask) if keep]
        return [i for i, flag in enumerate(flags) if flag]

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
        missing = [enc.column for enc in self.encoders if enc.column not in frame.columns]
        if missing:
            raise PersonaLabError(
                f"The new data lacks column(s) used for segmenting: {', '.join(map(repr, missing))}",
                fix="Add these columns or use data with the same columns as the training data",
            )
        X = np.column_stack([enc.transform(frame[enc.column]) for enc in self.encoders]).astype(float)
        return X if self.feature_mask is None else X[:, self.feature_mask]

    def transform_matrix(self, matrix: InteractionMatrix) -> np.ndarray:
        """Apply the fitted APG weighting to new groups' counts over the same items (extra items
        are left out; missing ones are refused, since their absence would shift every share)."""
        position = {item: j for j, item in enumerate(matrix.item_ids)}
        missing = [item for item in self.feature_names if item not in position]
        if missing:
            shown = ", ".join(map(repr, missing[:5])) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise PersonaLabError(
                f"The new interaction data lacks {len(missing)} item(s) the personas were fitted on: {shown}",
                fix="Score data with the same items (an item nobody used needs a 0 count)",
            )
        V = matrix.V[:, [position[item] for item in self.feature_names]]
        return _weighted(V, self.preparation.interactions, self.item_weights)


#: The space in which rows are compared whatever the method fitted: z-scored numbers, one-hot
#: categories, and for APG matrices each group's content mix (row shares), since raw counts
#: would place groups by their volume alone. Internal criteria, method comparisons and maps are
#: all computed here, so they are comparable across methods.
COMMON_SPACE = Preparation(scale="standard", interactions="row")


def criteria_space(preparation: Preparation | None = None) -> Preparation:
    """The common space, with the numeric transforms (scaling, logs, imputation) the researcher
    chose when they chose a preparation.

    A researcher who keeps columns in their own unit (``scale="none"``: coordinates, or
    answers on one rating scale) says that distances in that unit mean something; z-scoring them
    for the criteria would stretch the narrow columns and change the segments' shapes (two round
    clusters side by side become elongated ones that silhouette prefers to split).
    """
    if preparation is None:
        return COMMON_SPACE
    return replace(COMMON_SPACE, scale=preparation.scale, log_counts=preparation.log_counts, impute=preparation.impute)


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
    X, idf = weigh_counts(V, prep.interactions)
    if prep.interactions == "counts":
        steps.append("raw counts (each group weighs by its volume)")
        sample_weight = None
    elif prep.interactions == "row":
        steps.append("row shares: each group's interactions divided by its total (content mix)")
        sample_weight = totals
        steps.append("groups weighted by their number of interactions in fitting")
    else:
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
        item_weights=idf,
    )


def weigh_counts(V: np.ndarray, weighting: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Counts as a method fits them under ``weighting``, and the item weights (IDF) learnt from
    them: what preparing a group x item matrix does, for any counts (null reference sets too)."""
    idf = _idf(V) if weighting == "tfidf" else None
    return _weighted(V, weighting, idf), idf


def raw_counts(prepared: "Prepared") -> np.ndarray:
    """The group x item counts behind an APG preparation: its matrix where carried, else rebuilt
    from raw counts or row shares and the group totals (a TF-IDF row cannot be turned back)."""
    if prepared.matrix is not None:
        return prepared.matrix.V
    weighting = prepared.preparation.interactions
    if weighting == "counts":
        return np.asarray(prepared.X, float)
    if weighting == "row":
        return np.asarray(prepared.X, float) * np.asarray(prepared.size_weight, float)[:, None]
    raise PersonaLabError("The counts behind this TF-IDF matrix were not kept",
                          fix="Prepare the interaction data again (its matrix is carried with it)")


def _weighted(V: np.ndarray, weighting: str, idf: np.ndarray | None) -> np.ndarray:
    """Counts as the method sees them: raw, as row shares, or TF-IDF with ``idf``."""
    if weighting == "counts":
        return V.copy()
    shares = V / V.sum(axis=1, keepdims=True)
    if weighting == "row":
        return shares
    X = shares * idf
    return X / np.linalg.norm(X, axis=1, keepdims=True)


def _idf(V: np.ndarray) -> np.ndarray:
    df = (V > 0).sum(axis=0)
    return np.log((1 + V.shape[0]) / (1 + df)) + 1.0


# -- per-customer tables ------------------------------------------------------------------------


def _prepare_entities(dataset: Dataset, prep: Preparation) -> Prepared:
    frame = dataset.frame
    features = dataset.columns("feature")
    if not features:
        raise PersonaLabError(
            "No column is marked for segmenting",
            where=dataset.name,
            fix="Give at least one column the role 'feature' (Data page, or --role on the command line)",
        )
    if len(frame) < 2:
        raise PersonaLabError("The table has fewer than two rows", where=dataset.name, fix="Load more data")
    steps: list[str] = []
    if prep.borrow_categories:
        features = features + _borrowed_categories(dataset, features, steps)
    encoders: list[Encoder] = []
    for col in features:
        if dataset.declared_type(col) == "identifier":
            # A customer number orders rows, it describes nobody: segments on it would be noise.
            steps.append(f"{col}: an identifier (a distinct value per row), not segmented on")
            continue
        encoder = _fit_encoder(frame[col], prep, dataset.declared_type(col))
        if encoder is None:
            steps.append(f"{col}: dropped (empty or constant)")
            continue
        encoders.append(encoder)
        steps.append(encoder.step)
    if not encoders:
        raise PersonaLabError(
            "None of the columns marked for segmenting holds usable values (all constant or empty)",
            where=dataset.name,
            fix="Mark other columns as 'feature'",
        )
    X = np.column_stack([enc.transform(frame[enc.column]) for enc in encoders]).astype(float)
    names = [name for enc in encoders for name in enc.names]
    # A one-hot block has an all-zero "other" column when nothing was pooled: drop those.
    keep = X.std(axis=0) > 0
    if not keep.any():
        raise PersonaLabError(
            "Every prepared feature is constant, so there is nothing to segment on",
            where=dataset.name,
            fix="Mark columns that vary between rows as 'feature'",
        )
    weight, size_weight = _weights(dataset, steps)
    return Prepared(
        X=X[:, keep],
        feature_names=[n for n, k in zip(names, keep) if k],
        row_labels=_row_labels(dataset),
        kind="entities",
        preparation=prep,
        steps=steps,
        sample_weight=weight,
        size_weight=size_weight,
        encoders=encoders,
        feature_mask=keep,
    )


def _borrowed_categories(dataset: Dataset, features: list[str], steps: list[str]) -> list[str]:
    """Categorical demographics to segment on when no feature is a category (else none)."""
    frame = dataset.frame
    if any(is_category(frame[c]) for c in features):
        return []
    borrowed = [c for c in dataset.columns("demographic")
                if is_category(frame[c]) and 2 <= frame[c].nunique() <= MAX_LEVELS]
    steps += [f"{c}: demographic, segmented on as a category too (no feature column is one)" for c in borrowed]
    return borrowed


def _fit_encoder(series: pd.Series, prep: Preparation, declared: str | None = None) -> Encoder | None:
    """The column's encoder, following its declared type: numbers typed categorical (Kidhome's
    0, 1, 2) are categories, numbers typed boolean (0/1) are flags, as yes/no columns are."""
    numbers = is_numeric(series) and not pd.api.types.is_bool_dtype(series)
    if numbers and declared == "categorical":
        return CategoryEncoder.fit(series, codes=prep.encode == "codes" or bool(prep.bins))
    if numbers and declared == "boolean":
        if prep.encode == "onehot" and not prep.bins:
            return NumericEncoder.fit(series, prep.scale, prep.impute, False)
        return CategoryEncoder.fit(series, codes=True)
    if numbers:
        if prep.bins:
            return BinEncoder.fit(series, int(prep.bins))
        return NumericEncoder.fit(series, prep.scale, prep.impute, prep.log_counts)
    if pd.api.types.is_bool_dtype(series) and prep.encode == "onehot" and not prep.bins:
        return NumericEncoder.fit(series, prep.scale, prep.impute, False)
    return CategoryEncoder.fit(series, codes=prep.encode == "codes" or bool(prep.bins))


def _weights(dataset: Dataset, steps: list[str]) -> tuple[np.ndarray | None, np.ndarray]:
    column = dataset.weight_column
    n = len(dataset.frame)
    if column is None:
        return None, np.ones(n)
    weight = check_weight(dataset, column)
    bad = np.isnan(weight)
    if bad.any():
        steps.append(f"weight {column}: {bad.sum()} missing weights set to 0")
        weight = np.where(bad, 0.0, weight)
    steps.append(f"rows weighted by {column!r} in fitting, sizes and shares")
    return weight, weight


def check_weight(dataset: Dataset, column: str) -> np.ndarray:
    """The weights of ``column``, refused with a message when they cannot be survey weights: not
    numbers, none positive, any negative, an identifier (a customer number is no weight), or constant (the same
    weight for everybody weighs nothing)."""
    fix = "Choose another weight column, or set the role of this one to 'ignore'"
    series = dataset.frame[column]
    if not is_numeric(series) or pd.api.types.is_bool_dtype(series):
        raise PersonaLabError(f"The weight column {column!r} does not hold numbers", where=dataset.name, fix=fix)
    weight = as_float(series)
    if np.all(np.isnan(weight) | (weight <= 0)):
        raise PersonaLabError(f"The weight column {column!r} holds no positive numbers", where=dataset.name, fix=fix)
    if dataset.declared_type(column) == "identifier" or (is_id_name(column) and series.is_unique):
        raise PersonaLabError(
            f"The weight column {column!r} is an identifier (a distinct number per row), not a weight",
            where=dataset.name, fix=fix,
        )
    negative = int(np.sum(weight < 0))
    if negative:
        raise PersonaLabError(
            f"The weight column {column!r} holds {negative:,} negative weight{'s' if negative > 1 else ''}",
            where=dataset.name, fix="Survey weights are positive: fix the column, or choose another weight column",
        )
    observed = weight[~np.isnan(weight)]
    if np.ptp(observed) == 0:
        raise PersonaLabError(
            f"The weight column {column!r} holds the same weight ({observed[0]:g}) in every row, so it weighs nothing",
            where=dataset.name, fix="Set its role to 'ignore' (every row then counts once)",
        )
    return weight


def _row_labels(dataset: Dataset) -> list[str]:
    ids = dataset.columns("id")
    if ids:
        return dataset.frame[ids[0]].astype(str).tolist()
    return [str(i) for i in range(len(dataset.frame))]

"""What each column looks like (its type, missing share, examples) and what it is for (its role).

Parsing checks run on a fixed, evenly spaced sample of a column's values, so profiling stays
fast on 100k rows and gives the same answer every time.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from ..errors import PersonaLabError
from .dataset import KINDS

#: Inferred column types, from most to least specific.
TYPES = ("numeric", "categorical", "boolean", "datetime", "text", "identifier")

SAMPLE_SIZE = 2000
_BOOLEAN_PAIRS = [
    {"yes", "no"}, {"true", "false"}, {"0", "1"}, {"y", "n"}, {"t", "f"}, {"ja", "nein"},
]  # fmt: skip
#: Names of id columns: "ID", "customer_id", "user", "respondent", "RespondentID", "userId".
#: Case matters only for the camel-case ending, so that "paid" or "valid" are not ids.
_ID_NAME = re.compile(
    r"(?i:^(id|uuid|guid|key|index|row|record|user|respondent|participant|customer|member|client|subject|case)$"
    r"|[_\s.-](id|uuid|guid|key)$|uuid$|^(user|respondent|participant|customer|member|client|response)(id|no|nr)$)"
    r"|[a-z](Id|ID)$"
)
_DATE_LIKE = re.compile(
    r"\d{1,4}[-/.:]\d{1,2}|[A-Za-z]{3,}\.? \d{1,2}|\d{1,2} [A-Za-z]{3,}|\d{4}-?W\d"
)

DEMOGRAPHIC_NAMES = {
    "age", "age_group", "age_band", "age_bucket", "agegroup", "age_range", "gender", "sex",
    "country", "region", "state", "city", "location", "province", "continent", "market",
    "language", "income", "income_band", "income_group", "education", "occupation",
    "marital_status", "ethnicity", "generation", "device", "platform",
}  # fmt: skip
WEIGHT_NAMES = {"weight", "wt", "weights", "survey_weight", "pweight", "w", "sample_weight"}
DESCRIPTOR_NAMES = {
    "revenue", "churn", "churned", "ltv", "clv", "satisfaction", "nps", "spend_total",
    "outcome", "target", "label", "conversion", "converted", "csat", "profit",
    "lifetime_value", "retained",
}  # fmt: skip
ITEM_NAMES = {
    "item", "video", "content", "page", "product", "post", "article", "url", "sku", "track",
    "song", "asset", "channel", "show", "episode", "title_id", "topic_id", "category_id",
}  # fmt: skip
COUNT_NAMES = {
    "views", "view_count", "viewcount", "interactions", "count", "counts", "clicks", "value",
    "plays", "n", "impressions", "engagements", "engagement", "visits", "sessions", "likes",
    "reactions", "watch_time", "minutes", "frequency", "freq", "total", "hits", "listens",
    "downloads", "purchases", "reads", "shares",
}  # fmt: skip
GROUP_NAMES = {"group", "segment", "audience", "demographic", "cohort", "group_label"}


def _norm(name) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def _sample(values: pd.Series) -> pd.Series:
    """At most SAMPLE_SIZE evenly spaced values: deterministic and spread over the file."""
    if len(values) <= SAMPLE_SIZE:
        return values
    return values.iloc[np.linspace(0, len(values) - 1, SAMPLE_SIZE).astype(int)]


def _is_integer_valued(values: pd.Series) -> bool:
    if pd.api.types.is_integer_dtype(values):
        return True
    if not pd.api.types.is_float_dtype(values):
        return False
    array = values.to_numpy(dtype=float)
    return bool(np.all(np.isfinite(array)) and np.all(array == np.round(array)))


def _is_sequential(values: pd.Series) -> bool:
    """Distinct whole numbers that run in order (1, 2, 3...) or fill a range without gaps: row
    numbers. A measurement whose values happen to be all distinct (income) has gaps."""
    if not _is_integer_valued(values):
        return False
    if values.is_monotonic_increasing:
        return True
    array = values.to_numpy(dtype=float)
    return bool(array.max() - array.min() + 1 == len(array))


def is_id_name(column) -> bool:
    """Named like an identifier: ID, customer_id, user, respondent, RespondentID."""
    return bool(_ID_NAME.search(str(column).strip()))


def _looks_like_dates(values: pd.Series) -> bool:
    strings = _sample(values).astype(str).str.strip()
    if not strings.str.contains(_DATE_LIKE).mean() >= 0.9:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dateutil's "could not infer format" chatter
        parsed = pd.to_datetime(strings, errors="coerce", format="mixed")
    # Ranges like "1-5" parse as dates in year 1: a plausible year is part of looking like a date.
    return parsed.dt.year.between(1900, 2100).mean() >= 0.9


def infer_type(series: pd.Series) -> str:
    """One of TYPES for ``series``; its name counts (``*_id`` columns are identifiers)."""
    values = series.dropna()
    if values.empty:
        return "categorical"
    if pd.api.types.is_bool_dtype(values):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(values):
        return "datetime"
    distinct = values.nunique()
    if (
        distinct == 2
        and {str(v).strip().lower().removesuffix(".0") for v in values.unique()} in _BOOLEAN_PAIRS
    ):
        return "boolean"
    numeric = pd.api.types.is_numeric_dtype(values)
    unique = distinct == len(series)  # unique per row, no missing values
    if (
        unique
        and is_id_name(series.name)
        and (not numeric or _is_integer_valued(values))
    ):
        return "identifier"
    if numeric:
        if unique and len(values) >= 20 and _is_sequential(values):
            return "identifier"  # 1, 2, 3... row numbers, in any order

        if _is_integer_valued(values) and distinct <= 10 and distinct * 5 <= len(values):
            return "categorical"
        return "numeric"
    strings = _sample(values).astype(str)
    if not isinstance(values.dtype, pd.CategoricalDtype) and _looks_like_dates(values):
        return "datetime"
    ratio = distinct / len(values)
    mean_length = strings.str.len().mean()
    mean_words = strings.str.split().str.len().mean()
    # Long strings with many values are text; survey answers repeat ("Keep it up!"), so a
    # large number of distinct values is enough even when the distinct ratio is low.
    varied = distinct >= 50 or (ratio >= 0.5 and distinct >= 5)
    if varied and (mean_length > 30 or mean_words >= 5):
        return "text"
    if unique and len(values) >= 20:
        return "identifier"
    return "categorical"


def _examples(values: pd.Series, limit: int = 3) -> str:
    shown = []
    for value in pd.unique(values.dropna().iloc[:1000]):
        text = f"{value:.4g}" if isinstance(value, (float, np.floating)) else str(value)
        shown.append(text if len(text) <= 24 else text[:23] + "…")
        if len(shown) == limit:
            break
    return ", ".join(shown)


def profile_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per column: ``column, type, missing_share, distinct, examples``."""
    rows = []
    for position, column in enumerate(frame.columns):
        series = frame.iloc[:, position]
        rows.append({
            "column": column,
            "type": infer_type(series),
            "missing_share": float(series.isna().mean()) if len(series) else 0.0,
            "distinct": int(series.nunique()),
            "examples": _examples(series),
        })  # fmt: skip
    return pd.DataFrame(rows, columns=["column", "type", "missing_share", "distinct", "examples"])


# --- roles -----------------------------------------------------------------------------------


def _is_demographic(column) -> bool:
    name = _norm(column)
    return name in DEMOGRAPHIC_NAMES or bool(re.match(r"(age|gender|sex|country|region)_", name))


def _is_item(column) -> bool:
    name = _norm(column)
    return name in ITEM_NAMES or re.sub(r"_(id|name|key|url|slug)$", "", name) in ITEM_NAMES


def _is_count(series: pd.Series) -> bool:
    """Non-negative finite numbers (missing allowed), not all zero: views, clicks, plays."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return False
    values = series.dropna().to_numpy(dtype=float)
    return len(values) > 0 and bool(
        np.isfinite(values).all() and (values >= 0).all() and values.any()
    )


def _is_constant(series: pd.Series) -> bool:
    return series.nunique(dropna=True) <= 1


def _long_form_roles(frame: pd.DataFrame, types: dict[str, str]) -> dict[str, str] | None:
    """APG long form: demographic columns, one item column, one count column."""
    columns = list(frame.columns)
    counts = [c for c in columns if _is_count(frame[c]) and not _is_item(c)]
    named_counts = [c for c in counts if _norm(c) in COUNT_NAMES]
    counts = [c for c in counts if types[c] != "identifier" or c in named_counts]
    value = (named_counts or (counts if len(counts) == 1 else [None]))[0]
    if value is None:
        return None
    rest = [c for c in columns if c != value and not _is_constant(frame[c])]
    items = [c for c in rest if _is_item(c)]
    if not items:
        if not named_counts:
            return None  # neither an item nor a count column by name: too weak a signal
        items = [
            c
            for c in rest
            if types[c] in ("categorical", "text")
            and not _is_demographic(c)
            and not pd.api.types.is_numeric_dtype(frame[c])
        ]
        if not items:
            return None
        items = [max(items, key=lambda c: frame[c].nunique())]
    item = items[0]
    if frame[item].is_unique:
        return None  # every item once: nothing to pivot
    if any(types[c] == "identifier" for c in rest if c not in (item, value)):
        return None  # one row per entity, not per (group, item)
    roles = {c: "ignore" for c in columns}
    roles.update({item: "item", value: "value"})
    by_item = frame.groupby(item, dropna=False, sort=False)
    demographics = []
    for c in rest:
        if c == item:
            continue
        if not _is_demographic(c) and by_item[c].nunique(dropna=False).max() <= 1:
            roles[c] = "descriptor"  # a property of the item: its title, topic, length
        elif _is_demographic(c) or (
            types[c] in ("categorical", "boolean") and frame[c].nunique() <= 50
        ):
            roles[c] = "demographic"
            demographics.append(c)
    # Nearly unique: a few repeated (group, item) rows are summed by the pivot.
    if not demographics or frame.duplicated(demographics + [item]).sum() > max(2, 0.1 * len(frame)):
        return None
    return roles


def _wide_form_roles(frame: pd.DataFrame, types: dict[str, str]) -> dict[str, str] | None:
    """APG wide form: a few demographic columns unique per row and >= 5 count columns."""
    columns = list(frame.columns)
    features = [
        c
        for c in columns
        if _is_count(frame[c])
        and not _is_demographic(c)
        and _norm(c) not in WEIGHT_NAMES
        and types[c] != "identifier"
    ]
    if len(features) < 5:
        return None
    others = [c for c in columns if c not in features and not _is_constant(frame[c])]
    demographics = [
        c
        for c in others
        if _is_demographic(c) or _norm(c) in GROUP_NAMES or types[c] in ("categorical", "boolean")
    ]
    if not demographics or len(demographics) < len(others) or frame.duplicated(demographics).any():
        return None
    roles = {c: "ignore" for c in columns}
    roles.update({c: "demographic" for c in demographics})
    roles.update({c: "feature" for c in features})
    return roles


def _forced_interaction_roles(frame: pd.DataFrame, types: dict[str, str]) -> dict[str, str]:
    """When the user says it is an interaction matrix: wide, unless named item/count exist."""
    items = [c for c in frame.columns if _is_item(c)]
    counts = [c for c in frame.columns if _norm(c) in COUNT_NAMES and _is_count(frame[c])]
    if items and counts:
        roles = {c: "demographic" for c in frame.columns}
        roles.update({items[0]: "item", counts[0]: "value"})
        return roles
    return {
        c: "feature"
        if pd.api.types.is_numeric_dtype(frame[c]) and not _is_demographic(c)
        else "demographic"
        for c in frame.columns
    }


def _entity_role(series: pd.Series, column, kind: str) -> str:
    name = _norm(column)
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    if _is_constant(series):
        return "ignore"
    if kind == "identifier" or (
        is_id_name(column) and series.nunique() > 0.5 * len(series)
    ):
        return "id"
    if name in WEIGHT_NAMES and numeric and bool((series.dropna() > 0).all()):
        return "weight"
    if _is_demographic(column):
        return "demographic"
    if kind == "text":
        return "text"
    if kind == "datetime":
        return "date"
    if name in DESCRIPTOR_NAMES or any(name.startswith(f"{d}_") for d in DESCRIPTOR_NAMES):
        return "descriptor"  # outcomes (revenue_12m, churn_risk): profiled, not segmented on
    return "feature"


def infer_roles(
    frame: pd.DataFrame, profile: pd.DataFrame | None = None, *, kind: str | None = None
) -> tuple[str, dict[str, str]]:
    """``(kind, roles)``: which shape of input ``frame`` is, and a role for every column.

    ``kind`` forces the shape instead of detecting it.
    """
    if kind not in (None, *KINDS):
        raise PersonaLabError(
            f"Unknown kind of dataset {kind!r}", fix=f"Use one of {', '.join(KINDS)}"
        )
    if profile is None:
        profile = profile_columns(frame)
    types = dict(zip(profile["column"], profile["type"], strict=True))
    if kind in (None, "interactions"):
        roles = _long_form_roles(frame, types) or _wide_form_roles(frame, types)
        if roles is None and kind == "interactions":
            roles = _forced_interaction_roles(frame, types)
        if roles is not None:
            return "interactions", roles
    return "entities", {c: _entity_role(frame[c], c, types[c]) for c in frame.columns}

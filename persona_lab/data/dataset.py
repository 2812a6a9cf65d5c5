"""A loaded dataset: the raw table, what each column is for, and which shape of input it is."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field, replace

import pandas as pd

from ..errors import PersonaLabError
from .dictionary import DataDictionary

#: What a column is used for. Roles are inferred by :func:`persona_lab.data.profile.infer_roles`
#: and can be overridden by the user.
ROLES = (
    "id",  # identifies a row; never a feature
    "weight",  # survey / frequency weight of a row
    "demographic",  # who someone is (age, gender, country); the APG group columns
    "item",  # APG long form: the content item column
    "value",  # APG long form: the count (views, interactions) column
    "feature",  # used for segmenting (entity tables); wide APG item columns
    "descriptor",  # profiled per persona but not used for segmenting
    "text",  # free text: distinctive terms and quotes
    "date",  # date or period
    "ignore",
)

#: The two shapes of input (DESIGN.md, "Two kinds of input").
KINDS = ("interactions", "entities")


@dataclass(frozen=True)
class Dataset:
    """A table with roles for its columns.

    ``kind`` is ``"interactions"`` for the APG shape (demographic groups x content; long form has
    one ``item`` and one ``value`` column, wide form has the items as ``feature`` columns) and
    ``"entities"`` for one row per customer / respondent.
    """

    frame: pd.DataFrame
    roles: dict[str, str]
    kind: str
    name: str = "data"
    warnings: tuple[str, ...] = field(default=())
    #: Declared column types (profile's TYPES: numeric, categorical, boolean...), inferred and
    #: overridable: preparation follows them, so a 0/1/2 column typed categorical stays one.
    types: dict[str, str] = field(default_factory=dict)
    #: Labels, units and value labels of the columns (SPSS/Stata, a labels CSV, the Data page).
    dictionary: DataDictionary = field(default_factory=DataDictionary)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise PersonaLabError(
                f"Unknown kind of dataset {self.kind!r}",
                fix=f"Use one of {', '.join(KINDS)}",
            )
        unknown = {c: r for c, r in self.roles.items() if r not in ROLES}
        if unknown:
            col, role = next(iter(unknown.items()))
            raise PersonaLabError(
                f"Unknown role {role!r} for column {col!r}", fix=f"Use one of {', '.join(ROLES)}"
            )
        missing = [c for c in self.roles if c not in self.frame.columns]
        if missing:
            raise PersonaLabError(
                f"Role given for a column that is not in the data: {missing[0]!r}",
                where=self.name,
                fix="Check the spelling of the column name",
            )

    def columns(self, role: str) -> list[str]:
        """Columns with ``role``, in the table's order."""
        return [c for c in self.frame.columns if self.roles.get(c) == role]

    @property
    def weight_column(self) -> str | None:
        cols = self.columns("weight")
        return cols[0] if cols else None

    @functools.cached_property
    def n_units(self) -> int:
        """What segments are made of: demographic groups (the APG shape, one per distinct
        combination of the demographic columns) or rows. The most personas the data allows."""
        groups = self.columns("demographic")
        if self.kind == "interactions" and groups:
            return int(len(self.frame[groups].drop_duplicates()))
        return int(len(self.frame))

    def with_roles(self, overrides: dict[str, str]) -> "Dataset":
        roles = dict(self.roles)
        roles.update(overrides)
        return replace(self, roles=roles)

    def with_types(self, overrides: dict[str, str]) -> "Dataset":
        return replace(self, types={**self.types, **overrides})

    def with_dictionary(self, dictionary: DataDictionary) -> "Dataset":
        """The dataset labelled by ``dictionary`` on top of the labels it has (a file's own); its
        value labels replace codes, which makes those columns categories."""
        dictionary = dictionary.for_columns(self.frame.columns)
        labelled = {c: "categorical" for c, codes in dictionary.value_labels.items() if codes}
        return replace(self, frame=dictionary.apply(self.frame), dictionary=self.dictionary.merged(dictionary),
                       types={**self.types, **labelled})

    def declared_type(self, column) -> str | None:
        return self.types.get(str(column))

    def with_kind(self, kind: str) -> "Dataset":
        return replace(self, kind=kind)

    def fingerprint(self) -> str:
        """A content hash of the table (values and column names), for the manifest."""
        digest = hashlib.sha256()
        digest.update("\x1f".join(map(str, self.frame.columns)).encode("utf-8"))
        hashed = pd.util.hash_pandas_object(self.frame, index=False).to_numpy()
        digest.update(hashed.tobytes())
        return "sha256:" + digest.hexdigest()

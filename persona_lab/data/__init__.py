"""Loading data, profiling its columns, inferring their roles, building the APG matrix."""

from .apg import InteractionMatrix, interaction_matrix
from .dataset import KINDS, ROLES, Dataset
from .load import MISSING_VALUES, list_sheets, load_dataset, read_table
from .profile import infer_roles, infer_type, profile_columns

__all__ = [
    "KINDS",
    "MISSING_VALUES",
    "ROLES",
    "Dataset",
    "InteractionMatrix",
    "infer_roles",
    "infer_type",
    "interaction_matrix",
    "list_sheets",
    "load_dataset",
    "profile_columns",
    "read_table",
]

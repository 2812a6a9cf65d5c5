"""Which dataset the session works on: the chosen source (a sample, an upload or a path), its
sheet, kind and the user's role overrides, read through the cached readers of :mod:`ui.runs`.

The key of the :class:`Loaded` dataset identifies its content, kind and roles: it is the first
part of every later cache key.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from persona_lab.data.dataset import Dataset
from persona_lab.data.dictionary import DataDictionary
from persona_lab.data.sample_data import APG_SAMPLE, CUSTOMER_SAMPLE, SAMPLE_DIR
from persona_lab.errors import PersonaLabError
from ui import runs, workspace
from ui.views import show_error

SOURCES = {
    "sample_apg": "Sample: channel views (APG)",
    "sample_customers": "Sample: customers table",
    "upload": "Upload a file",
    "path": "Path on this machine",
}
SAMPLE_FILES = {"sample_apg": APG_SAMPLE, "sample_customers": CUSTOMER_SAMPLE}
UPLOAD_TYPES = ["csv", "tsv", "txt", "gz", "xlsx", "parquet", "json", "jsonl", "sav", "dta"]
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".dat")
KIND_LABELS = {
    "interactions": "Interaction matrix (groups x content, APG)",
    "entities": "One row per customer / respondent",
}
DATA_PAGE = "ui/pages/data.py"


@dataclass(frozen=True)
class Source:
    """Where the data comes from: a hashable ``key`` plus the raw material to read."""

    key: tuple
    name: str
    read: Any  # a path (str) or bytes
    is_excel: bool
    stored: bool = False  # an upload read back from the workspace: ``read`` is its Parquet file

    @property
    def readable_with_options(self) -> bool:
        """Whether a header row and rows to skip apply: text and Excel files, not yet stored."""
        suffix = Path(self.name.lower().removesuffix(".gz")).suffix
        return not self.stored and (self.is_excel or suffix in TEXT_SUFFIXES)

    @property
    def reader_name(self) -> str:
        """The name whose extension tells the reader the format."""
        return Path(self.read).name if self.stored else self.name


@dataclass(frozen=True)
class Loaded:
    """The current dataset (roles applied), or why there is none."""

    dataset: Dataset | None
    key: tuple | None  # identifies dataset content, kind and roles: the key of every later cache
    base_key: tuple | None  # the same before the user's role overrides
    inferred_kind: str | None
    source: Source | None
    error: str | None = None
    hint: str | None = None  # nothing chosen yet (no upload, empty path): not an error


def digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _file_source(path: Path) -> Source:
    try:
        stat = path.stat()
        key = ("file", str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = ("file", str(path), None, None)
    return Source(key, path.name or str(path), str(path), path.suffix.lower() in EXCEL_SUFFIXES)


def current_source() -> tuple[Source | None, str | None]:
    """The chosen source, or (None, a hint of what to do)."""
    choice = st.session_state["data_source"]
    if choice in SAMPLE_FILES:
        return _file_source(SAMPLE_DIR / SAMPLE_FILES[choice]), None
    if choice == "upload":
        upload = st.session_state["data_upload"]
        if not upload:
            return None, "Upload a file to start (CSV, TSV, Excel, Parquet, JSON, SPSS or Stata)."
        name, key = upload["name"], ("upload", upload["digest"], upload["name"])
        if "bytes" in upload:
            return Source(key, name, upload["bytes"], name.lower().endswith(EXCEL_SUFFIXES)), None
        options = (st.session_state["data_header_row"] or None, int(st.session_state["data_skip_rows"] or 0))
        kept = workspace.stored_upload(upload, stored_sheet(st.session_state["data_sheet"], options))
        if kept is None:
            return None, f"The uploaded file {name} is not in this workspace's data directory any more: upload it again."
        return Source(key, name, str(kept), False, stored=True), None
    path = str(st.session_state["data_path"] or "").strip()
    if not path:
        return None, "Type the path of a data file on this machine and press Enter."
    return _file_source(Path(path).expanduser()), None


def sheets(source: Source) -> tuple[list[str] | None, str | None]:
    return runs.sheets(source.key, source.name, source.read)


def current_sheet(source: Source) -> tuple[str | None, str | None]:
    """(sheet to read, error) for Excel sources; (None, None) otherwise."""
    if source.stored:
        return st.session_state["data_sheet"], None  # the sheet it was read from
    if not source.is_excel:
        return None, None
    names, error = sheets(source)
    if error:
        return None, error
    if st.session_state["data_sheet"] not in names:
        st.session_state["data_sheet"] = names[0]
    return st.session_state["data_sheet"], None


def current_dataset() -> Loaded:
    """The dataset every page works on: the chosen source, sheet, kind and roles."""
    source, hint = current_source()
    if source is None:
        return Loaded(None, None, None, None, None, hint=hint)
    sheet, error = current_sheet(source)
    if error:
        return Loaded(None, None, None, None, source, error=error)
    options = reading_options(source)
    # The reading options are part of what was read: the key of the table and of all after it.
    read_key = source.key if options == DEFAULT_OPTIONS else (*source.key, options)
    frame, error = runs.read(read_key, source.reader_name, None if source.stored else sheet, source.read,
                             DEFAULT_OPTIONS if source.stored else options)
    if error:
        return Loaded(None, None, None, None, source, error=error)
    if source.key[0] == "upload" and not source.stored:
        workspace.keep_upload(st.session_state["data_upload"], stored_sheet(sheet, options), frame)
    kind = st.session_state["data_kind"]
    base, detected, error = runs.base_dataset(read_key, source.name, sheet, kind, frame)
    if error:
        return Loaded(None, None, None, None, source, error=error)
    base_key = (read_key, sheet, base.kind)
    if st.session_state["data_roles_for"] != base_key:
        # Another dataset (or kind): the overrides made for the previous one do not apply.
        st.session_state["data_roles"] = {}
        st.session_state["data_types"] = {}
        st.session_state["data_roles_for"] = base_key
    if st.session_state["data_labels_for"] != [source.key[0], source.name, sheet]:
        # Labels belong to a file's columns; switching kind or reading options keeps them.
        st.session_state["data_labels"] = {}
        st.session_state["data_labels_for"] = [source.key[0], source.name, sheet]
    overrides = {c: r for c, r in st.session_state["data_roles"].items() if base.roles.get(c) != r}
    types = {c: t for c, t in st.session_state["data_types"].items() if base.types.get(c) != t}
    labels = DataDictionary.from_json(st.session_state["data_labels"])
    try:
        dataset = base.with_roles(overrides).with_types(types).with_dictionary(labels)
    except PersonaLabError as exc:
        return Loaded(None, None, base_key, detected, source, error=exc.one_line())
    key = (base_key, tuple(sorted(overrides.items())), tuple(sorted(types.items())),
           json.dumps(labels.to_json(), sort_keys=True))
    return Loaded(dataset, key, base_key, detected, source)


#: Reading options as they are by default: the header detected, no rows skipped.
DEFAULT_OPTIONS = (None, 0)


def reading_options(source: Source) -> tuple[int | None, int]:
    """(header row, rows to skip) for ``source``: the Data page's choice for text and Excel files."""
    if not source.readable_with_options:
        return DEFAULT_OPTIONS
    header = st.session_state["data_header_row"]
    return (int(header) if header else None, int(st.session_state["data_skip_rows"] or 0))


def stored_sheet(sheet: str | None, options: tuple) -> str | None:
    """The name an upload's table is kept under in the workspace: its sheet, and the reading
    options when they are not the defaults (another header row is another table)."""
    if options == DEFAULT_OPTIONS:
        return sheet
    return f"{sheet or ''}|header={options[0] or ''}|skip={options[1]}"


def profile(loaded: Loaded) -> pd.DataFrame:
    base_key = loaded.base_key
    return runs.profile(base_key[0], base_key[1], loaded.dataset.frame)


def require_dataset() -> Loaded:
    """For the analysis pages: the dataset, or an error / hint with a link to the Data page and
    ``st.stop()``."""
    loaded = current_dataset()
    if loaded.dataset is None:
        if loaded.error:
            show_error(loaded.error)
        else:
            st.info(loaded.hint or "Choose data on the Data page.")
        st.page_link(DATA_PAGE, label="Go to the Data page", icon=":material/table:")
        st.stop()
    return loaded

"""Data: choose a dataset, see it profiled, set what each column is for, see the prepared matrix."""

import hashlib

import pandas as pd
import streamlit as st

from persona_lab import charts
from persona_lab.data.dataset import ROLES
from persona_lab.data.dictionary import DataDictionary
from persona_lab.data.profile import TYPES
from persona_lab.errors import PersonaLabError
from ui import dataset, runs, state, views
from ui.dataset import KIND_LABELS
from ui.state import method_label
from ui.views import md, show_error

st.title("Data")


def _new_source() -> None:
    """Another file: detect its kind, sheet and header afresh."""
    st.session_state["data_kind"] = None
    st.session_state["data_sheet"] = None
    st.session_state["data_header_row"] = None
    st.session_state["data_skip_rows"] = 0


def _new_reading() -> None:
    """Another header row or rows to skip: other columns, so their kind is detected afresh."""
    st.session_state["data_kind"] = None


def _upload_cap_mb() -> int:
    """The upload limit of .streamlit/config.toml (server.maxUploadSize, in megabytes)."""
    return int(st.get_option("server.maxUploadSize"))


def _on_upload() -> None:
    uploaded = st.session_state.get("_w_data_upload_file")
    st.session_state["data_upload_refused"] = None
    if uploaded is None:  # the user removed the file
        st.session_state["data_upload"] = None
    elif uploaded.size > _upload_cap_mb() * 2**20:
        # The browser enforces the cap too; this holds for any client that does not.
        st.session_state["data_upload"] = None
        st.session_state["data_upload_refused"] = PersonaLabError(
            f"The file is {uploaded.size / 2**20:,.0f} MB, over the app's upload limit of {_upload_cap_mb()} MB",
            where=uploaded.name,
            fix="Choose 'Path on this machine' to read it from disk, or use the persona-lab command, which has no limit",
        ).one_line()
    else:
        raw = bytes(uploaded.getvalue())
        st.session_state["data_upload"] = {"name": uploaded.name, "bytes": raw, "digest": dataset.digest(raw)}
    _new_source()


# -- where the data comes from ------------------------------------------------------------------

st.radio(
    "Data source",
    list(dataset.SOURCES),
    format_func=dataset.SOURCES.get,
    horizontal=True,
    **state.bind("data_source", on_change=_new_source),
)
choice = st.session_state["data_source"]
if choice == "upload":
    st.file_uploader(
        "Data file",
        type=dataset.UPLOAD_TYPES,
        key="_w_data_upload_file",
        on_change=_on_upload,
        help=f"CSV/TSV/TXT (also gzipped), Excel, Parquet, JSON/JSON lines, SPSS (.sav), Stata (.dta), up to "
        f"{_upload_cap_mb()} MB. Larger files: choose 'Path on this machine'.",
    )
    if refused := st.session_state["data_upload_refused"]:
        show_error(refused)
        st.stop()
    upload = st.session_state["data_upload"]
    if upload and st.session_state.get("_w_data_upload_file") is None:
        st.caption(f"Using the uploaded file {md(upload['name'])}. Upload another one to replace it.")
elif choice == "path":
    st.text_input(
        "Path of a data file on this machine",
        placeholder="/home/me/data/survey.csv",
        **state.bind("data_path", on_change=_new_source),
    )

source, _ = dataset.current_source()
if source is not None and source.is_excel:
    names, error = dataset.sheets(source)
    if names:
        dataset.current_sheet(source)  # a valid default before the widget is drawn
        st.selectbox("Sheet", names, **state.bind("data_sheet"))

if source is not None and source.readable_with_options:
    with st.expander("Reading options: header row, rows to skip", expanded=bool(
            st.session_state["data_header_row"] or st.session_state["data_skip_rows"])):
        left, right = st.columns(2)
        left.number_input(
            "Header row", min_value=1, step=1, placeholder="detected",
            help="The row holding the column names, counted from 1 as in a spreadsheet. Empty: the first row, "
            "or the row under an obvious title.",
            **state.bind("data_header_row", on_change=_new_reading),
        )
        right.number_input(
            "Rows to skip under the header", min_value=0, step=1,
            help="Rows between the column names and the data: units, question texts.",
            **state.bind("data_skip_rows", on_change=_new_reading),
        )

loaded = dataset.current_dataset()
if loaded.dataset is None:
    if loaded.error:
        show_error(loaded.error)
    else:
        st.info(loaded.hint)
    st.stop()

data = loaded.dataset
frame = data.frame
st.subheader(md(data.name))
st.caption(f"{len(frame):,} rows x {frame.shape[1]} columns · {KIND_LABELS[data.kind]}")
for warning in data.warnings:
    st.warning(md(warning))

# -- preview ------------------------------------------------------------------------------------

st.dataframe(frame.head(200), height=280, width="stretch")
if len(frame) > 200:
    st.caption(f"The first 200 of {len(frame):,} rows.")

# -- columns: profile, roles, distributions -----------------------------------------------------

st.subheader("Columns")


def _on_kind() -> None:
    st.session_state["data_kind"] = st.session_state["_w_data_kind"]
    st.session_state["data_roles"] = {}


st.session_state["_w_data_kind"] = data.kind
st.radio(
    "Kind of data",
    list(KIND_LABELS),
    format_func=KIND_LABELS.get,
    horizontal=True,
    key="_w_data_kind",
    on_change=_on_kind,
    help=f"Detected: {KIND_LABELS[loaded.inferred_kind]}. Changing it infers the roles afresh.",
)

profile = dataset.profile(loaded)
editor_key = "_w_data_roles_" + hashlib.sha256(repr(loaded.base_key).encode()).hexdigest()[:12]
if editor_key not in st.session_state:
    # The editor's input must stay fixed while it holds edits: snapshot roles and types when it appears.
    st.session_state["data_roles_base"] = {"roles": dict(data.roles), "types": dict(data.types)}
base = st.session_state["data_roles_base"]
table = profile.assign(
    missing=100 * profile["missing_share"],
    role=[base["roles"].get(c, "ignore") for c in profile["column"]],
    type=[base["types"].get(str(c), t) for c, t in zip(profile["column"], profile["type"])],
)[["column", "role", "type", "missing", "distinct", "examples"]]


def _on_roles(editor_key: str, columns: list) -> None:
    edits = st.session_state[editor_key].get("edited_rows", {})
    roles = dict(st.session_state["data_roles_base"]["roles"])
    types = dict(st.session_state["data_roles_base"]["types"])
    for row, change in edits.items():
        if change.get("role") in ROLES:
            roles[columns[int(row)]] = change["role"]
        if change.get("type") in TYPES:
            types[str(columns[int(row)])] = change["type"]
    st.session_state["data_roles"] = roles
    st.session_state["data_types"] = types


left, right = st.columns([3, 2], gap="large")
with left:
    st.caption("What each column is for: change a **role**, or a **type** (a number typed categorical is "
               "prepared as categories; an identifier is never segmented on).")
    st.data_editor(
        table,
        height=views.table_height(len(table), limit=760),
        key=editor_key,
        on_change=_on_roles,
        args=(editor_key, list(table["column"])),
        hide_index=True,
        width="stretch",
        disabled=["column", "missing", "distinct", "examples"],
        column_config={
            "column": st.column_config.TextColumn("column"),
            "role": st.column_config.SelectboxColumn("role", options=list(ROLES), required=True),
            "type": st.column_config.SelectboxColumn("type", options=list(TYPES), required=True),
            "missing": st.column_config.NumberColumn("missing", format="%.1f%%"),
            "distinct": st.column_config.NumberColumn("distinct", format="%d"),
        },
    )
with right:
    columns = [str(c) for c in frame.columns]
    if st.session_state["data_profile_column"] not in columns:
        # Start on a column worth looking at: the first used for segmenting or describing.
        useful = data.columns("feature") + data.columns("demographic") + data.columns("value")
        st.session_state["data_profile_column"] = str(useful[0]) if useful else columns[0]
    column = st.selectbox("Distribution of", columns, **state.bind("data_profile_column"))
    kind = dict(zip(profile["column"].astype(str), profile["type"])).get(column, "categorical")
    position = columns.index(column)
    kind = data.types.get(column, kind)
    st.altair_chart(charts.column_distribution(frame.iloc[:, position], kind, title=data.dictionary.title(column)),
                    width="stretch")

# -- what is used for segmenting ----------------------------------------------------------------

st.subheader("Used for segmenting")
if data.kind == "interactions":
    parts = [
        ("Groups (rows) from", data.columns("demographic")),
        ("Content items (columns)", data.columns("item") or data.columns("feature")),
        ("Counts", data.columns("value")),
        ("Item descriptions", data.columns("descriptor")),
    ]
else:
    parts = [
        ("Segmenting on", data.columns("feature")),
        ("Demographics", data.columns("demographic")),
        ("Described per persona", data.columns("descriptor")),
        ("Row weight", data.columns("weight")),
        ("Row id", data.columns("id")),
        ("Free text (not segmented yet)", data.columns("text")),
        ("Dates", data.columns("date")),
    ]
lines = [f"**{label}:** {', '.join(md(c) for c in cols)}" for label, cols in parts if cols]
ignored = data.columns("ignore")
if ignored:
    lines.append(f"**Ignored:** {', '.join(md(c) for c in ignored)}")
st.markdown("  \n".join(lines) or "No column has a role yet.")

method = st.session_state["seg_method"]
prepared, error = runs.prepared_for(loaded, method)
if error:
    show_error(error)  # the labels below stay editable: a refused weight or role is fixed above
else:
    rows, features = prepared.X.shape
    st.markdown(
        f"**Prepared matrix for {method_label(method)}:** {rows:,} rows x {features:,} features "
        "(the method's default preparation)"
    )
    st.dataframe(
        pd.DataFrame({"step": prepared.steps}), hide_index=True, width="stretch",
        height=views.table_height(len(prepared.steps)),
    )

# -- labels and units ----------------------------------------------------------------------------

st.subheader("Labels and units")
st.caption("What each column means and what its numbers count, shown on the cards, in the typing tool's questions, "
           "in charts and in every export. SPSS and Stata files bring their own labels. A CSV with the columns "
           "column, label, unit, value_labels (\"1=yes; 2=no\") fills them for any file.")


def _on_labels_file() -> None:
    uploaded = st.session_state.get("_w_data_labels_file")
    if uploaded is None:
        return
    try:
        given = DataDictionary.from_csv(bytes(uploaded.getvalue()))
    except PersonaLabError as exc:
        st.session_state["data_labels_refused"] = exc.one_line()
        return
    st.session_state["data_labels_refused"] = None
    mine = DataDictionary.from_json(st.session_state["data_labels"])
    st.session_state["data_labels"] = mine.merged(given).to_json()


st.file_uploader("Labels file (CSV)", type=["csv"], key="_w_data_labels_file", on_change=_on_labels_file)
if refused := st.session_state["data_labels_refused"]:
    show_error(refused)
labels_key = "_w_data_labels_" + hashlib.sha256(
    repr((loaded.base_key, st.session_state["data_labels"])).encode()).hexdigest()[:12]
if labels_key not in st.session_state:
    st.session_state["data_labels_base"] = data.dictionary.to_json()
labels_base = DataDictionary.from_json(st.session_state["data_labels_base"])


def _on_label_edit(labels_key: str, columns: list) -> None:
    edits = st.session_state[labels_key].get("edited_rows", {})
    mine = DataDictionary.from_json(st.session_state["data_labels"])
    labels, units = dict(mine.labels), dict(mine.units)
    for row, change in edits.items():
        column = columns[int(row)]
        for field, target in (("label", labels), ("unit", units)):
            if field in change:
                target[column] = str(change[field] or "").strip()
    st.session_state["data_labels"] = DataDictionary(labels, units, dict(mine.value_labels)).to_json()


label_table = labels_base.to_frame(columns)
st.data_editor(
    label_table, key=labels_key, on_change=_on_label_edit, args=(labels_key, columns), hide_index=True,
    width="stretch", height=views.table_height(len(label_table), limit=420),
    disabled=["column", "value_labels"],
    column_config={
        "column": st.column_config.TextColumn("column"),
        "label": st.column_config.TextColumn("label", help="What the column means, e.g. Yearly household income"),
        "unit": st.column_config.TextColumn("unit", help="What its numbers count, e.g. USD, $, %, visits a month"),
        "value_labels": st.column_config.TextColumn("value labels", help="From the file or a labels CSV"),
    },
)


"""The saved persona model: score new rows long after the study, without the training data.

A model is two files (docs/model-file.md): ``model.json`` holds the preparation with its fitted
encoders, the method's name, parameters and JSON-able fitted state, the flagging rule, the
personas and the manifest; ``model.npz`` holds the method's fitted arrays (NumPy's format, read
with ``allow_pickle=False``). Nothing is pickled, so loading a model runs no code from the file.

Rows that fit no persona well are flagged: each method measures how badly a row fits its best
segment (its *misfit*: distance to the nearest centre or fitted row, k-prototypes cost, negative
log-likelihood, or reconstruction error), and a new row is flagged when its misfit exceeds the
99th percentile of the training rows' misfits.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._version import __version__
from .data.apg import interaction_matrix
from .data.dataset import Dataset
from .errors import PersonaLabError
from .export.atomic import atomic_write
from .export.tables import assignments_frame
from .features import CategoryEncoder, MISSING, as_category_text, as_float, encoder_from_dict, encoder_to_dict
from .methods import METHODS, UNASSIGNED, SegmentationMethod
from .personas.model import PersonaSet
from .prepare import Preparation, Prepared

#: Raised by one each time the file's layout changes; older files keep loading.
FORMAT_VERSION = 1
#: Training rows' misfit quantile above which a new row is flagged.
FLAG_QUANTILE = 0.99
JSON_NAME, ARRAYS_NAME = "model.json", "model.npz"
#: The roles of the columns APG data is read from (wide form: the items are "feature" columns).
APG_ROLES = ("demographic", "item", "value", "feature")


@dataclass
class Scored:
    """What scoring new rows gives."""

    labels: np.ndarray  # persona id per row, -1 when the row fits no persona well
    membership: np.ndarray  # membership of the nearest persona, in [0, 1] (1 for hard methods)
    flagged: np.ndarray  # bool: misfit beyond the threshold (or HDBSCAN noise)
    notes: list[str]  # unknown categories met, unreadable numbers, and how they were treated
    nearest: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))  # best persona, flagged or not
    misfit: np.ndarray = field(default_factory=lambda: np.empty(0))
    rows: list[str] = field(default_factory=list)  # each row's id (id column, or APG group label)


@dataclass
class PersonaModel:
    prepared: Prepared  # the fitted preparation (Prepared.transform(frame) prepares new rows)
    method: SegmentationMethod  # fitted; .assign(X) gives labels
    personas: PersonaSet
    #: Misfit above which a row fits no persona well (FLAG_QUANTILE of the training rows).
    threshold: float = float("inf")
    flag_quantile: float = FLAG_QUANTILE

    @classmethod
    def from_run(cls, run) -> "PersonaModel":
        """The model of a :class:`persona_lab.pipeline.PersonaRun`, with its flagging threshold."""
        misfit = run.method.training_misfit(run.prepared.X)
        finite = misfit[np.isfinite(misfit)]
        threshold = float(np.quantile(finite, FLAG_QUANTILE)) if finite.size else float("inf")
        return cls(run.prepared, run.method, run.personas, threshold)

    @property
    def roles(self) -> dict[str, str]:
        """The training table's column roles (from the manifest)."""
        return dict(self.personas.manifest.get("roles") or {})

    @property
    def columns(self) -> list[str]:
        """The raw columns the preparation reads (for APG data: the demographic, item and
        value columns, or the item columns of the wide form)."""
        if self.prepared.kind == "interactions":
            return [c for c, role in self.roles.items() if role in APG_ROLES]
        return [encoder.column for encoder in self.prepared.encoders]

    def score(self, frame: pd.DataFrame) -> Scored:
        """Persona, membership and flag for each row of ``frame``, a table shaped like the
        training one: one row per customer, or APG interactions (scored per demographic group)."""
        if self.prepared.kind == "interactions":
            X, rows, notes = self._groups(frame)
        else:
            if frame.empty:
                raise PersonaLabError("The new data has no rows", fix="Give a file with at least one row to score")
            X = self.prepared.transform(frame)  # refuses missing columns, naming them
            notes = _input_notes(self.prepared, frame)
            ids = [c for c, role in self.roles.items() if role == "id" and c in frame.columns]
            rows = frame[ids[0]].astype(str).tolist() if ids else [str(i) for i in range(len(frame))]
        nearest = np.asarray(self.method.assign(X), dtype=int)
        misfit = np.asarray(self.method.misfit(X), dtype=float)
        flagged = (misfit > self.threshold) | (nearest < 0)
        memberships = self.method.predict_memberships(X)
        if memberships is None:
            membership = (nearest >= 0).astype(float)
        else:
            membership = memberships[np.arange(nearest.size), np.clip(nearest, 0, None)]
        labels = np.where(flagged, UNASSIGNED, nearest)
        if flagged.any():
            notes.append(
                f"{int(flagged.sum())} of {flagged.size} rows fit no persona well "
                f"(misfit above the {self.flag_quantile:.0%} quantile of the training rows, {self.threshold:.4g})"
            )
        return Scored(labels, np.clip(membership, 0.0, 1.0), flagged, notes, nearest, misfit, rows)

    def _groups(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[str], list[str]]:
        """New APG data as the weighted group x item matrix over the training items."""
        missing = [c for c, role in self.roles.items() if role in APG_ROLES[:3] and c not in frame.columns]
        if missing:
            raise PersonaLabError(
                f"The new data lacks column(s) that form the groups and items: {', '.join(map(repr, missing))}",
                fix="Give interaction data with the same columns as the training data",
            )
        roles = {c: role for c, role in self.roles.items() if c in frame.columns}
        matrix = interaction_matrix(Dataset(frame, roles, "interactions", name="new data"))
        notes = list(matrix.warnings)
        extra = len(set(matrix.item_ids) - set(self.prepared.feature_names))
        if extra:
            notes.append(f"{extra} item(s) not in the training data were left out")
        return self.prepared.transform_matrix(matrix), matrix.group_labels, notes


def assignment_table(model: PersonaModel, scored: Scored) -> pd.DataFrame:
    """One line per scored row: its id (the training data's id column when the new data has
    it, the group for APG data), persona id and name, membership, the flag and the nearest
    persona (also for a flagged row)."""
    table = assignments_frame(scored.rows, scored.labels, None, model.personas)
    table["membership"] = np.round(scored.membership, 6)
    table["flagged"] = scored.flagged
    names = {p.id: p.name for p in model.personas.personas}
    table["nearest_persona"] = [names.get(int(i), "unassigned") for i in scored.nearest]
    return table


def _input_notes(prepared: Prepared, frame: pd.DataFrame) -> list[str]:
    """Sentences on values the preparation could not read as in training."""
    notes = []
    for encoder in prepared.encoders:
        column = frame[encoder.column]
        if isinstance(encoder, CategoryEncoder):
            text = pd.Series(as_category_text(column))
            unknown = text[~text.isin(encoder.levels) & (text != MISSING)]
            if not unknown.empty:
                shown = ", ".join(repr(v) for v in sorted(unknown.unique())[:5])
                if encoder.pooled:
                    what, treated = "outside the levels kept in training", "they join the rare levels pooled as 'other'"
                else:
                    what, treated = "not seen in training", "they count as no known category"
                notes.append(f"{encoder.column}: {unknown.size} row(s) hold categories {what} ({shown}); {treated}")
        else:
            unreadable = int((np.isnan(as_float(column)) & column.notna().to_numpy()).sum())
            if unreadable:
                notes.append(
                    f"{encoder.column}: {unreadable} value(s) are not numbers; they were treated as missing"
                )
    return notes


# -- writing and reading ------------------------------------------------------------------------


def model_files(model: PersonaModel) -> tuple[str, bytes]:
    """The text of ``model.json`` and the bytes of ``model.npz`` (for a download)."""
    values, arrays = model.method.get_state()
    buffer = io.BytesIO()
    prepared = model.prepared
    stored = {f"method.{name}": array for name, array in arrays.items()}
    if prepared.item_weights is not None:
        stored["preparation.item_weights"] = prepared.item_weights
    np.savez(buffer, **stored)
    payload = buffer.getvalue()
    document = {
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "kind": prepared.kind,
        "preparation": {
            "parameters": asdict(prepared.preparation),
            "feature_names": list(prepared.feature_names),
            "steps": list(prepared.steps),
            "encoders": [encoder_to_dict(e) for e in prepared.encoders],
            "feature_mask": None if prepared.feature_mask is None else [bool(x) for x in prepared.feature_mask],
        },
        "method": {"name": model.method.name, "parameters": model.method.get_params(), "state": values},
        "flagging": {"quantile": model.flag_quantile, "threshold": _number(model.threshold)},
        "arrays": {"file": ARRAYS_NAME, "sha256": hashlib.sha256(payload).hexdigest()},
        "manifest": model.personas.manifest,
        "personas": model.personas.to_dict(),
    }
    try:
        document["checksum"] = _checksum(document)
    except (TypeError, ValueError) as exc:
        raise PersonaLabError(f"The model cannot be written as JSON ({exc})", fix="Report this as a bug") from None
    return json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False) + "\n", payload


def _checksum(document: dict) -> str:
    """SHA-256 of the document's canonical JSON without its own checksum: an edited file
    (a threshold, an encoder's centre) would otherwise load and score silently differently."""
    body = {key: value for key, value in document.items() if key != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False, allow_nan=False).encode()).hexdigest()


def save_model(model: PersonaModel, directory: Path) -> tuple[Path, Path]:
    """Write ``model.json`` and ``model.npz`` into ``directory`` (each atomically; the arrays
    first, since the JSON holds their checksum)."""
    directory = Path(directory)
    text, payload = model_files(model)
    arrays_path = atomic_write(directory / ARRAYS_NAME, payload)
    return atomic_write(directory / JSON_NAME, text), arrays_path


def load_model(path: Path) -> PersonaModel:
    """The model saved by :func:`save_model`: ``path`` is its ``model.json`` or their folder."""
    path = Path(path)
    json_path = path / JSON_NAME if path.is_dir() else path
    document = _read_json(json_path)
    try:
        arrays = _read_arrays(json_path, document["arrays"])
        model = _build(document, arrays)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise _damaged(json_path, f"{type(exc).__name__}: {exc}") from None
    _check_usable(model, json_path)
    return model


def _read_json(json_path: Path) -> dict:
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaLabError(
            f"Cannot read the model file: {exc.strerror or exc}", where=str(json_path),
            fix="Give the model.json written by persona-lab personas --out DIR, or that folder",
        ) from None
    except ValueError as exc:
        raise _damaged(json_path, f"not valid JSON ({exc})") from None
    if not isinstance(document, dict) or "format_version" not in document:
        raise PersonaLabError(
            "This is not a Persona Lab model file", where=str(json_path),
            fix="Give the model.json written by persona-lab personas --out DIR",
        )
    version = document["format_version"]
    if not isinstance(version, int) or version < 1:
        raise _damaged(json_path, f"format_version {version!r}")
    if version > FORMAT_VERSION:
        raise PersonaLabError(
            f"The model file has format {version}, newer than this Persona Lab reads ({FORMAT_VERSION})",
            where=str(json_path), fix="Update Persona Lab to use this model",
        )
    try:
        intact = document.get("checksum") == _checksum(document)
    except (TypeError, ValueError):
        intact = False
    if not intact:
        raise _damaged(json_path, "its content does not match its checksum")
    return document


def _read_arrays(json_path: Path, entry: dict) -> dict[str, np.ndarray]:
    name = str(entry["file"])
    if Path(name).name != name or name in ("", ".", ".."):
        raise ValueError(f"array file name {name!r} is not a plain file name")
    arrays_path = json_path.with_name(name)
    try:
        payload = arrays_path.read_bytes()
    except OSError as exc:
        raise PersonaLabError(
            f"Cannot read the model's arrays: {exc.strerror or exc}", where=str(arrays_path),
            fix=f"Keep {name} beside {json_path.name}, as persona-lab wrote them",
        ) from None
    if hashlib.sha256(payload).hexdigest() != entry["sha256"]:
        raise ValueError(f"{name} does not match the checksum in {json_path.name} (changed or swapped)")
    with np.load(io.BytesIO(payload), allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def _build(document: dict, arrays: dict[str, np.ndarray]) -> PersonaModel:
    spec = document["preparation"]
    encoders = [encoder_from_dict(e) for e in spec["encoders"]]
    mask = None if spec["feature_mask"] is None else np.asarray(spec["feature_mask"], dtype=bool)
    names = [str(n) for n in spec["feature_names"]]
    prepared = Prepared(
        X=np.empty((0, len(names))), feature_names=names, row_labels=[], kind=str(document["kind"]),
        preparation=Preparation(**spec["parameters"]), steps=[str(s) for s in spec["steps"]],
        sample_weight=None, size_weight=np.empty(0), encoders=encoders, feature_mask=mask,
        item_weights=arrays.get("preparation.item_weights"),
    )
    entry = document["method"]
    if entry["name"] not in METHODS:
        raise ValueError(f"unknown method {entry['name']!r}")
    state = {key.removeprefix("method."): value for key, value in arrays.items() if key.startswith("method.")}
    method = METHODS[entry["name"]].from_state(entry["parameters"], entry["state"], state)
    personas = PersonaSet.from_dict(document["personas"])
    flagging = document["flagging"]
    threshold = float("inf") if flagging["threshold"] is None else float(flagging["threshold"])
    return PersonaModel(prepared, method, personas, threshold, float(flagging["quantile"]))


def _check_usable(model: PersonaModel, json_path: Path) -> None:
    """Score one made-up row, so that an inconsistent file fails here and not mid-scoring."""
    prepared = model.prepared
    width = len(prepared.feature_names)
    built = sum(len(e.names) for e in prepared.encoders)
    mask = prepared.feature_mask
    if prepared.kind == "entities" and (
        (mask is None and built != width) or (mask is not None and (mask.size != built or int(mask.sum()) != width))
    ):
        raise _damaged(json_path, "the encoders do not give the listed features")
    try:
        labels = model.method.assign(np.zeros((1, width)))
    except Exception as exc:  # any failure here means arrays that do not fit together
        raise _damaged(json_path, f"the method's state does not fit its features ({type(exc).__name__})") from None
    ids = {p.id for p in model.personas.personas}
    if int(labels[0]) >= 0 and int(labels[0]) not in ids and ids:
        raise _damaged(json_path, "the method's segments do not match the personas")


def _damaged(json_path: Path, why: str) -> PersonaLabError:
    return PersonaLabError(
        f"The model file is damaged or was edited: {why}", where=str(json_path),
        fix="Write the model again with persona-lab personas --out DIR",
    )


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None

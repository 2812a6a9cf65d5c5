"""Workspaces on disk: one SQLite file (standard library, no server) under a data directory, with
each uploaded table beside it as Parquet named by its content's SHA-256.

A workspace holds what a researcher would otherwise lose on a reload or a server restart: the app's
choices (data source, roles and reading options, the sidebar, every page's settings, persona
edits and loaded persona sets) as JSON text per key, the uploaded tables, and the analyses run
as jobs (:mod:`persona_lab.workspace.jobs`) with the settings that made them.

Every write is one transaction. Each stored choice carries a version and the session that wrote
it, so that two browser tabs on one workspace can tell when the other changed something: the last
write wins, and the tabs say so (the app's wiring, ``ui/workspace.py``, does).

When the data directory cannot be written (read-only, full, not there and not creatable) the
store still opens read-only when a database is there, and says why: :attr:`read_only`.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pandas as pd

from persona_lab.errors import PersonaLabError
from persona_lab.export.atomic import atomic_write

DATA_DIR_VARIABLE = "PERSONA_LAB_DATA_DIR"
DATABASE = "workspaces.sqlite3"
SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS state (
    workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, key TEXT NOT NULL,
    value TEXT NOT NULL, version INTEGER NOT NULL, writer TEXT NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (workspace, key));
CREATE TABLE IF NOT EXISTS tables (
    workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE, source TEXT NOT NULL,
    sheet TEXT NOT NULL, name TEXT NOT NULL, content TEXT NOT NULL, PRIMARY KEY (workspace, source, sheet));
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, workspace TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, key TEXT NOT NULL, settings TEXT NOT NULL, status TEXT NOT NULL,
    fraction REAL NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '', error TEXT,
    created REAL NOT NULL, updated REAL NOT NULL, finished REAL, pid INTEGER, pid_started REAL);
CREATE INDEX IF NOT EXISTS jobs_by_key ON jobs (workspace, kind, key);
"""


def default_data_dir() -> Path:
    """``$PERSONA_LAB_DATA_DIR``, else the user's data folder (``$XDG_DATA_HOME/persona_lab``)."""
    chosen = os.environ.get(DATA_DIR_VARIABLE, "").strip()
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "persona_lab"


@dataclass(frozen=True)
class Workspace:
    id: str
    name: str
    created: float
    updated: float


@dataclass(frozen=True)
class Stored:
    """One stored choice: its JSON text, its version and the session that wrote it."""

    value: str
    version: int
    writer: str


class ReadOnly(PersonaLabError):
    """A write the data directory refused (or a store opened read-only)."""


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def new_id() -> str:
    return uuid.uuid4().hex[:16]


class WorkspaceStore:
    """The workspaces under ``data_dir`` (created, with owner-only permissions, if missing)."""

    def __init__(self, data_dir: str | os.PathLike):
        self.data_dir = Path(data_dir).expanduser()
        self.path = self.data_dir / DATABASE
        self.read_only: str | None = None  # why nothing can be saved, or None
        # The sessions of one server share this store: they queue here, in turn, rather than in
        # SQLite's busy handler, whose growing sleeps let one writer wait seconds behind others.
        self._write_turn = threading.Lock()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            for folder in ("datasets", "jobs"):
                (self.data_dir / folder).mkdir(exist_ok=True, mode=0o700)
            with self._connect() as db:
                db.executescript(SCHEMA)
                db.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer
        except (OSError, sqlite3.Error) as exc:
            self.read_only = (f"The data directory {self.data_dir} cannot be written ({_reason(exc)}): nothing "
                              f"is saved. Free some space or set {DATA_DIR_VARIABLE} (or --data-dir) to a "
                              "writable folder, then restart")

    # -- connections -----------------------------------------------------------------------------

    def _connect(self, read_only: bool = False) -> sqlite3.Connection:
        uri = f"file:{self.path}{'?mode=ro' if read_only else ''}"
        db = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=30000")
        # With the WAL journal, NORMAL syncs at checkpoints rather than at every commit: the
        # database is never corrupted, a crash of the app loses nothing, and only a power cut can
        # lose the last moments' saves; a save then costs well under a millisecond, not a disk flush.
        db.execute("PRAGMA synchronous=NORMAL")
        return db

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        if self.read_only and not self.path.exists():
            raise ReadOnly(self.read_only)
        db = self._connect(read_only=bool(self.read_only))
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """One transaction, taken at once (BEGIN IMMEDIATE), so two writers queue rather than fail."""
        if self.read_only:
            raise ReadOnly(self.read_only)
        with self._write_turn:
            db = self._connect()
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException as exc:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                if isinstance(exc, (sqlite3.OperationalError, OSError)):
                    raise ReadOnly(f"The workspace could not be saved ({_reason(exc)})", where=str(self.data_dir),
                                   fix="Free some disk space or make the data directory writable") from exc
                raise
            finally:
                db.close()

    # -- workspaces ------------------------------------------------------------------------------

    def create(self, name: str = "Untitled workspace") -> str:
        workspace, now = new_id(), time.time()
        with self.writing() as db:
            db.execute("INSERT INTO workspaces VALUES (?, ?, ?, ?)", (workspace, _name(name), now, now))
        return workspace

    def workspaces(self) -> list[Workspace]:
        """The workspaces, the most recently changed first."""
        with self.reading() as db:
            rows = db.execute("SELECT id, name, created, updated FROM workspaces ORDER BY updated DESC").fetchall()
        return [Workspace(*row) for row in rows]

    def get(self, workspace: str) -> Workspace | None:
        with self.reading() as db:
            row = db.execute("SELECT id, name, created, updated FROM workspaces WHERE id = ?", (workspace,)).fetchone()
        return Workspace(*row) if row else None

    def rename(self, workspace: str, name: str) -> None:
        with self.writing() as db:
            db.execute("UPDATE workspaces SET name = ?, updated = ? WHERE id = ?", (_name(name), time.time(), workspace))

    def duplicate(self, workspace: str, name: str | None = None) -> str:
        """A copy with its choices, tables and finished analyses; returns the copy's id."""
        original = self.existing(workspace)
        copy, now = new_id(), time.time()
        with self.writing() as db:
            db.execute("INSERT INTO workspaces VALUES (?, ?, ?, ?)",
                       (copy, _name(name or f"{original.name} (copy)"), now, now))
            db.execute("INSERT INTO state SELECT ?, key, value, version, writer, updated FROM state WHERE workspace = ?",
                       (copy, workspace))
            db.execute("INSERT INTO tables SELECT ?, source, sheet, name, content FROM tables WHERE workspace = ?",
                       (copy, workspace))
            done = db.execute("SELECT id FROM jobs WHERE workspace = ? AND status = 'done'", (workspace,)).fetchall()
            for (job,) in done:
                twin = new_id()
                db.execute("INSERT INTO jobs SELECT ?, ?, kind, key, settings, status, fraction, message, error, created, "
                           "updated, finished, NULL, NULL FROM jobs WHERE id = ?", (twin, copy, job))
                shutil.copyfile(self.job_file(job, "out"), self.job_file(twin, "out"))
        return copy

    def delete(self, workspace: str) -> None:
        """The workspace, its choices, its analyses' files and every table no other workspace uses.
        (Stop its running jobs first: :meth:`persona_lab.workspace.jobs.JobRunner.stop_all`.)"""
        with self.writing() as db:
            jobs = [row[0] for row in db.execute("SELECT id FROM jobs WHERE workspace = ?", (workspace,))]
            contents = {row[0] for row in db.execute("SELECT content FROM tables WHERE workspace = ?", (workspace,))}
            db.execute("DELETE FROM workspaces WHERE id = ?", (workspace,))
            still_used = {row[0] for row in db.execute("SELECT DISTINCT content FROM tables")}
        for job in jobs:
            for part in ("in", "out", "log"):
                self.job_file(job, part).unlink(missing_ok=True)
        for content in contents - still_used:
            self.table_path(content).unlink(missing_ok=True)

    def existing(self, workspace: str) -> Workspace:
        found = self.get(workspace)
        if found is None:
            raise PersonaLabError(f"There is no workspace {workspace!r}", where=str(self.data_dir),
                                  fix="List the workspaces with 'persona-lab workspace list'")
        return found

    # -- the app's choices -----------------------------------------------------------------------

    def state(self, workspace: str) -> dict[str, Stored]:
        with self.reading() as db:
            rows = db.execute("SELECT key, value, version, writer FROM state WHERE workspace = ?", (workspace,))
            return {key: Stored(value, version, writer) for key, value, version, writer in rows}

    def versions(self, workspace: str) -> dict[str, tuple[int, str]]:
        """{key: (version, writer)}: what a tab compares with what it has seen, without the values."""
        with self.reading() as db:
            rows = db.execute("SELECT key, version, writer FROM state WHERE workspace = ?", (workspace,))
            return {key: (version, writer) for key, version, writer in rows}

    def write_state(self, workspace: str, changes: dict[str, str], writer: str) -> int:
        """Store ``changes`` ({key: JSON text}) in one transaction; returns their version."""
        now = time.time()
        with self.writing() as db:
            version = db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM state WHERE workspace = ?",
                                 (workspace,)).fetchone()[0]
            db.executemany(
                "INSERT INTO state VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (workspace, key) DO UPDATE SET "
                "value = excluded.value, version = excluded.version, writer = excluded.writer, updated = excluded.updated",
                [(workspace, key, value, version, writer, now) for key, value in changes.items()])
            db.execute("UPDATE workspaces SET updated = ? WHERE id = ?", (now, workspace))
        return version

    # -- uploaded tables -------------------------------------------------------------------------

    def table_path(self, content: str) -> Path:
        return self.data_dir / "datasets" / f"{content}.parquet"

    def keep_table(self, workspace: str, source: str, sheet: str | None, name: str, frame: pd.DataFrame) -> str:
        """Store ``frame`` (read from the upload ``source`` with ``sheet``) as Parquet by its
        content hash; returns the hash."""
        raw = _parquet_bytes(frame)
        content = content_hash(raw)
        path = self.table_path(content)
        if self.read_only:
            raise ReadOnly(self.read_only)
        if not path.exists():
            atomic_write(path, raw)
        self.register_table(workspace, source, sheet, name, content)
        return content

    def register_table(self, workspace: str, source: str, sheet: str | None, name: str, content: str) -> None:
        """Note that the upload ``source`` (with ``sheet``) is the stored table ``content``."""
        with self.writing() as db:
            db.execute("INSERT OR REPLACE INTO tables VALUES (?, ?, ?, ?, ?)", (workspace, source, sheet or "", name, content))

    def stored_table(self, workspace: str, source: str, sheet: str | None) -> Path | None:
        """The Parquet file of the upload ``source`` (and ``sheet``), if the workspace kept it."""
        with self.reading() as db:
            row = db.execute("SELECT content FROM tables WHERE workspace = ? AND source = ? AND sheet = ?",
                             (workspace, source, sheet or "")).fetchone()
        return self.table_path(row[0]) if row and self.table_path(row[0]).exists() else None

    def tables(self, workspace: str) -> list[tuple[str, str, str, str]]:
        """(source, sheet, name, content) of every table the workspace kept."""
        with self.reading() as db:
            return db.execute("SELECT source, sheet, name, content FROM tables WHERE workspace = ?", (workspace,)).fetchall()

    # -- job files -------------------------------------------------------------------------------

    def job_file(self, job: str, part: str) -> Path:
        """A job's input (``in``) or result (``out``) file."""
        return self.data_dir / "jobs" / f"{job}.{part}"


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    try:
        frame.to_parquet(buffer, index=False)
    except (ValueError, TypeError, ImportError) as first:
        # Columns of mixed Python objects (numbers and text) have no Parquet type: keep them as text.
        mixed = {c: "string" for c in frame.columns if frame[c].dtype == object}
        if not mixed:
            raise PersonaLabError(f"The table cannot be kept in the workspace ({first})") from first
        buffer = io.BytesIO()
        frame.astype(mixed).to_parquet(buffer, index=False)
    return buffer.getvalue()


def _name(name: str) -> str:
    name = " ".join(str(name).split())[:120]
    if not name:
        raise PersonaLabError("A workspace needs a name", fix="Type a name")
    return name


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__

"""A workspace as one file (a zip) and back: its choices, persona edits and uploaded tables.

Finished analyses are not in the file: their results are Python objects (pickles), and loading
one from a file someone sent would run whatever code it holds. They are recomputed on request.
Parquet tables are checked against the content hash that names them.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from persona_lab.errors import PersonaLabError
from persona_lab.export.atomic import atomic_write
from persona_lab.workspace.store import WorkspaceStore, content_hash

FORMAT = "persona-lab-workspace"
VERSION = 1


def export_workspace(store: WorkspaceStore, workspace: str, path: str | Path) -> Path:
    """Write ``workspace`` to ``path`` (a .zip); returns the path."""
    found = store.existing(workspace)
    tables = store.tables(workspace)
    manifest = {
        "format": FORMAT, "version": VERSION, "name": found.name,
        "state": {key: stored.value for key, stored in sorted(store.state(workspace).items())},
        "tables": [{"source": s, "sheet": sheet, "name": n, "content": c} for s, sheet, n, c in tables],
    }
    path = Path(path)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("workspace.json", json.dumps(manifest, indent=1, sort_keys=True))
        for content in sorted({c for *_, c in tables}):
            archive.write(store.table_path(content), f"datasets/{content}.parquet")
    return path


def import_workspace(store: WorkspaceStore, path: str | Path, name: str | None = None) -> str:
    """A new workspace from a file :func:`export_workspace` wrote; returns its id."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            manifest = json.loads(archive.read("workspace.json"))
            if manifest.get("format") != FORMAT or int(manifest.get("version", 0)) > VERSION:
                raise PersonaLabError("This is not a Persona Lab workspace file (or one from a newer version)",
                                      where=path.name, fix="Export it again with 'persona-lab workspace export'")
            tables = {}
            for entry in manifest["tables"]:
                content = str(entry["content"])
                raw = archive.read(f"datasets/{content}.parquet")
                if content_hash(raw) != content:
                    raise PersonaLabError("A table in the workspace file is damaged (its content does not match its "
                                          "hash)", where=path.name, fix="Export the workspace again")
                tables[content] = raw
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError, OSError) as exc:
        if isinstance(exc, PersonaLabError):
            raise
        raise PersonaLabError(f"The workspace file cannot be read ({exc})", where=path.name,
                              fix="Export the workspace again with 'persona-lab workspace export'") from exc
    for content, raw in tables.items():
        if not store.table_path(content).exists():
            atomic_write(store.table_path(content), raw)
    workspace = store.create(name or str(manifest.get("name") or path.stem))
    state = {str(k): str(v) for k, v in manifest["state"].items()}
    if state:
        store.write_state(workspace, state, writer="import")
    for entry in manifest["tables"]:
        store.register_table(workspace, str(entry["source"]), str(entry["sheet"]), str(entry["name"]),
                             str(entry["content"]))
    return workspace

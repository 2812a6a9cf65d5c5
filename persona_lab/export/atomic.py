"""Writing export files so that an interrupted export never leaves a half-written file.

The data goes to a temporary file in the target's own folder (``os.replace`` is atomic only
within one file system) and replaces the target in one step. Either the old file or the complete
new one is there, never a torn mix, and no temporary file is left behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from ..errors import PersonaLabError


def atomic_write(path: str | os.PathLike, data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8 encoded, newlines kept as given) to ``path`` atomically."""
    target = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise PersonaLabError(
            f"The folder {str(folder)!r} does not exist",
            where=str(target),
            fix="Create the folder first or choose another output path",
        )
    mode = _mode_for(target)
    try:
        fd, temp_name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise _write_error(target, exc) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, target)
    except BaseException as exc:
        # BaseException too: Ctrl-C or a Streamlit rerun must not leave the temporary file.
        _remove_quietly(temp_name)
        if isinstance(exc, OSError):
            raise _write_error(target, exc) from exc
        raise
    return target


def _mode_for(target: Path) -> int:
    # mkstemp creates files readable only by their owner; an export should get the usual
    # permissions (the existing file's, or those the umask allows).
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    # os.umask() can only be read by setting it, which races with other threads (Streamlit).
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    return 0o022


def _remove_quietly(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _write_error(target: Path, exc: OSError) -> PersonaLabError:
    return PersonaLabError(
        f"Could not write {target.name}: {exc.strerror or exc}",
        where=str(target),
        fix="Check that the folder is writable and the disk is not full",
    )

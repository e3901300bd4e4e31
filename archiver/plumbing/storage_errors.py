"""One clear line for a write the machine refused: a full disk, a read-only directory,
a database another program holds.

Both the blob store (``OSError``) and SQLite (``sqlite3.Error``) meet these; both turn
them into a ``StoreError`` subclass here, so every command says the same thing the same
way. SQLite errors that are not about the environment (a syntax error, a constraint)
are bugs and are left as they are.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from ..errors import DatabaseLocked, DiskFull, ReadOnlyStore, StoreError

BUSY_TIMEOUT = 30.0
"""Seconds a write waits for a database another program holds before giving up."""

_ENVIRONMENT = ("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN",
                "SQLITE_IOERR", "SQLITE_PERM", "SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_AUTH")


def is_environmental(e: sqlite3.Error) -> bool:
    """Whether SQLite failed because of the disk, the file or another program (not a bug)."""
    name = getattr(e, "sqlite_errorname", None) or ""
    if name:
        return name.startswith(_ENVIRONMENT)
    # Errors raised before a statement ran (opening the file) carry no code.
    return isinstance(e, sqlite3.OperationalError) and "unable to open database file" in str(e)


def _read_only(path: Path) -> str | None:
    """Why ``path`` (or the nearest directory above it that exists) cannot be written, if it cannot."""
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            return "its file system is mounted read-only"
    except OSError:
        return None
    if not os.access(probe, os.W_OK):
        return "no permission to write there"
    return None


def _no_space(path: Path) -> bool:
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        return os.statvfs(probe).f_bavail == 0
    except OSError:
        return False


def _code(e: OSError | sqlite3.Error) -> int | None:
    """An errno for the failure: SQLite's result codes mapped onto the ones that mean the same."""
    if isinstance(e, OSError):
        return e.errno
    name = getattr(e, "sqlite_errorname", None) or ""
    if name == "SQLITE_FULL":
        return errno.ENOSPC
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return errno.EBUSY
    if name.startswith("SQLITE_READONLY"):
        return errno.EROFS
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_PERM", "SQLITE_AUTH")) or not name:
        return errno.EACCES
    return None


def store_error(e: OSError | sqlite3.Error, path: Path | str) -> StoreError:
    """The ``StoreError`` that says, in one line, why writing ``path`` failed."""
    path = Path(path)
    code = _code(e)
    reason = (e.strerror if isinstance(e, OSError) else None) or str(e)
    if code == errno.EBUSY:
        return DatabaseLocked(f"database {path} is locked by another program: gave up after {BUSY_TIMEOUT:.0f} s")
    if code in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = _read_only(path)
        if why is not None or code == errno.EROFS:
            return ReadOnlyStore(f"read-only: cannot write {path} ({why or reason})")
    if code in (errno.ENOSPC, errno.EDQUOT) or _no_space(path):
        what = "disk quota exceeded" if code == errno.EDQUOT else "disk full"
        return DiskFull(f"{what}: cannot write {path}; free some space and run again (nothing half-written is kept)")
    return StoreError(f"cannot write {path}: {reason}")

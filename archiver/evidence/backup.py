"""`archiver backup DEST`: a consistent copy of a live archive, which `verify` accepts.

Runs and sweeps may go on writing meanwhile. The copy is made in this order:

1. The database, with SQLite's online backup API in one step: a snapshot of one
   moment (a read transaction; in WAL mode writers go on), written to a temporary
   name in DEST.
2. Every file the snapshot's ``blobs`` table lists, by its path and SHA-256: streamed,
   hashed, written to a temporary name and renamed into place. A file already in DEST
   with the recorded size (an earlier backup's: blobs never change) is not copied
   again. Files a run adds after the snapshot are not copied: no row of the copy
   names them. Every file the snapshot names is there, since a run links a file into
   place before it commits a row naming it, and files are never removed.
3. A filesystem sync, then the database is renamed into place: in DEST, as in the
   archive, no row ever names a file that is not there yet. A backup killed before
   this leaves the previous copy whole (with files the next backup will list).

DEST is then a data directory of its own: ``archiver --data DEST verify`` checks it.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

from ..config import Settings
from ..errors import ConfigError, StoreError
from ..plumbing.blobs import _SYNCFS, _sync_files
from ..plumbing.blobstores import BlobStorage, open_storage
from ..plumbing.db import connect

CHUNK = 1024 * 1024
DB_NAME = "archive.db"


@dataclass
class BackupReport:
    dest: str
    files: int = 0
    """Files the copy's database names, all present in DEST."""
    copied: int = 0
    """Files copied this time."""
    already: int = 0
    """Files an earlier backup into DEST had copied."""
    bytes_copied: int = 0
    database_bytes: int = 0
    log_head: dict[str, object] | None = None
    """The copy's last log entry ({"seq", "entry_sha256"}): the moment the copy holds."""
    problems: list[str] = field(default_factory=list)
    """Files of the archive that are missing or no longer match their SHA-256 (copied as they are)."""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    def line(self) -> str:
        head = f", log head #{self.log_head['seq']}" if self.log_head else ""
        return (
            f"backup {self.dest}: database {self.database_bytes / 1e6:.1f} MB{head}, {self.files} files "
            f"({self.copied} copied, {self.bytes_copied / 1e6:.1f} MB; {self.already} already there), "
            f"{len(self.problems)} problems, {self.seconds:.1f} s"
        )

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, **asdict(self)}


def backup(settings: Settings, dest: Path, *, workers: int = 4) -> BackupReport:
    """Copy the archive in ``settings.data_dir`` to ``dest`` (created if needed, or an
    earlier backup brought up to date), consistently, while runs may be writing.

    Raises StoreError when there is no archive or DEST cannot be written, ConfigError
    when DEST is the data directory or inside it. Files of the archive found missing or
    changed are reported in ``problems`` (the copy holds them as the archive does).
    """
    started = time.perf_counter()
    source_db = settings.db_path
    if not source_db.exists():
        raise StoreError(f"no archive at {source_db}")
    data_dir = settings.data_dir.resolve()
    dest = dest.resolve()
    if dest == data_dir or data_dir in dest.parents:
        raise ConfigError(f"backup destination {dest} is the data directory or inside it: choose another")
    report = BackupReport(dest=str(dest))
    try:
        (dest / "blobs" / "tmp").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise StoreError(f"cannot create {dest / 'blobs'}: {e}") from e

    partial = dest / f".{DB_NAME}.partial"
    storage = open_storage(settings)
    try:
        blobs = _snapshot(source_db, partial, report)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for outcome in pool.map(lambda row: _copy_blob(storage, dest, row), blobs):
                kind, size, problem = outcome
                if kind == "copied":
                    report.copied += 1
                    report.bytes_copied += size
                elif kind == "already":
                    report.already += 1
                if problem:
                    report.problems.append(problem)
        report.files = len(blobs)
        # Every file durable before the database that names them is in place.
        _sync_files(dest, [dest / "blobs", partial])
        for leftover in (f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            # An earlier copy's, if something opened it: it must not be applied to this one.
            (dest / leftover).unlink(missing_ok=True)
        os.replace(partial, dest / DB_NAME)
        _sync_files(dest, [dest])
    except OSError as e:
        raise StoreError(f"cannot write the backup in {dest}: {e}") from e
    finally:
        storage.close()
        partial.unlink(missing_ok=True)
    report.seconds = time.perf_counter() - started
    return report


def _snapshot(source_db: Path, partial: Path, report: BackupReport) -> list[sqlite3.Row]:
    """Copy the database as of one moment to ``partial``; the blob rows of that copy."""
    partial.unlink(missing_ok=True)
    source = connect(source_db, readonly=True)
    try:
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            source.backup(copy)  # all pages in one step: one read transaction, one moment
            # A file of its own, with no -wal beside it; archiver turns WAL on again when it opens it.
            copy.execute("PRAGMA journal_mode = DELETE")
            copy.row_factory = sqlite3.Row
            blobs = copy.execute("SELECT sha256, path, bytes FROM blobs ORDER BY path").fetchall()
            try:
                head = copy.execute("SELECT seq, entry_sha256 FROM log ORDER BY seq DESC LIMIT 1").fetchone()
            except sqlite3.OperationalError:
                head = None  # an archive from before the log: verify chains it when it opens the copy
            if head is not None:
                report.log_head = {"seq": head["seq"], "entry_sha256": head["entry_sha256"]}
        finally:
            copy.close()
    except sqlite3.Error as e:
        raise StoreError(f"cannot copy the database {source_db}: {e}") from e
    finally:
        source.close()
    report.database_bytes = partial.stat().st_size
    return blobs


def _copy_blob(storage: BlobStorage, dest: Path, row: sqlite3.Row) -> tuple[str, int, str | None]:
    """("copied" | "already" | "missing" | "refused", bytes copied, a problem or None)."""
    relative, sha256, size = str(row["path"]), str(row["sha256"]), int(row["bytes"])
    parts = PurePosixPath(relative).parts
    if not parts or parts[0] != "blobs" or ".." in parts or relative.startswith("/"):
        return "refused", 0, f"refused: {relative}: a blob row naming a file outside blobs/"
    target = dest / relative
    try:
        if target.stat().st_size == size:
            return "already", 0, None
    except FileNotFoundError:
        pass
    tmp = dest / "blobs" / "tmp" / f".tmp-{secrets.token_hex(8)}"
    digest = hashlib.sha256()
    copied = 0
    try:
        src = storage.open(relative)
        try:
            with open(tmp, "xb", buffering=0) as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                    copied += len(chunk)
            if _SYNCFS is None:
                    os.fsync(out.fileno())  # else one syncfs() makes every copied file durable at once
        finally:
            src.close()
    except FileNotFoundError:
        tmp.unlink(missing_ok=True)
        return "missing", 0, f"missing: {relative}: file of {sha256} is gone from the archive"
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    target.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, target)
    problem = None
    if digest.hexdigest() != sha256 or copied != size:
        problem = (
            f"changed: {relative}: SHA-256 in the archive is now {digest.hexdigest()} ({copied} bytes), "
            f"recorded {sha256} ({size} bytes); copied as it is"
        )
    return "copied", copied, problem

"""Content-addressed, immutable files, under ``<data>/blobs/`` or in a shared storage.

Where the files go is a ``BlobStorage`` (archiver.plumbing.blobstores): the data
directory's ``blobs/`` by default, a shared directory, or S3-compatible object storage.
What follows holds for each; "linked into place" means published there (an upload
checked by its size, for S3).

A file is written to a temporary name, fsynced, then linked into place under its
SHA-256, and its directory fsynced: only then may a database row point at it. An
existing blob is never opened for writing again, so a capture cannot be overwritten.

Many small files (a sweep's API answers) can instead be put *deferred*: written to a
temporary name now, and made durable and linked into place together by ``sync()``,
which ``Store.transaction()`` calls before it writes any row. One filesystem sync per
batch costs less than four fsyncs per file; the order file → place → row is the same.

A blob's identity is its hash alone: the first file stored for a hash names it (its
extension comes from the content type it first came with), and the same bytes under
any other type are found there (``stored()`` asks the database, through ``lookup``,
where a hash's file is). Two runs racing to store the same bytes under two types may
both place a file; the row keeps one, every row names that one, and the other is
removed when its run settles its files.

Placing a file comes before the transaction that records it, so a transaction that
fails (a full disk, a kill) would leave a file no row names. Each process therefore
notes every file in its *journal* (``journals/`` in the data directory, durable before
the link)
and holds the journal under ``flock`` while it lives. When its store closes, and in
any case when the next store opens and finds a journal nobody holds, each noted file
is settled (``Store``): recorded in ``blobs`` if no row names its hash, removed if a row
names another file of the same hash. ``verify`` counts a noted file as pending, not
as unreferenced.

A process with no database (a queue worker) keeps no local journal: its ``Notes`` put
each note in the blob storage itself (``journals/`` beside the files), where the one
catalogue writer finds and settles them (``archiver.distributed.journals``); ``verify``
counts the files they list as pending too.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import mimetypes
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .blobstores import BlobStorage, DirectoryStorage, Readable
from .storage_errors import store_error

EXTENSIONS = {
    "text/html": ".html",
    "text/plain": ".txt",
    "application/json": ".json",
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "video/mp4": ".mp4",
    "application/x-mpegurl": ".m3u8",
    "application/javascript": ".js",
    "text/javascript": ".js",
    "text/css": ".css",
}


def extension_for(mime: str | None) -> str:
    if not mime:
        return ".bin"
    mime = mime.split(";")[0].strip().lower()
    return EXTENSIONS.get(mime) or mimetypes.guess_extension(mime) or ".bin"


@dataclass(frozen=True)
class Blob:
    sha256: str
    path: str
    """Relative to the data directory, with '/' separators."""
    bytes: int
    mime: str | None


Lookup = Callable[[str], "str | None"]
"""The path the database records for a hash's file, if it records one."""

JOURNAL_PREFIX = "journal-"
_BLOB_PATH = re.compile(r"^blobs/[0-9a-f]{2}/(?:[0-9a-f]{2}/)?([0-9a-f]{64})(?:\.[A-Za-z0-9+_-]{1,16})?$")


def is_blob_path(path: str, sha256: str) -> bool:
    """Whether ``path`` is where BlobStore (either layout) would keep the file of ``sha256``."""
    match = _BLOB_PATH.match(path)
    return match is not None and match.group(1) == sha256


class Journal:
    """The files one process placed: a line each, written before the file's link.

    Made under a temporary name, locked, then renamed, so no other process ever sees it
    unlocked while its owner lives. The kernel drops the lock when the owner dies.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(exist_ok=True)
        token = f"{os.getpid()}-{secrets.token_hex(6)}"
        making = directory / f".making-{token}"
        self.path = directory / f"{JOURNAL_PREFIX}{token}"
        self.fd = os.open(making, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(making, self.path)
        except BaseException:
            os.close(self.fd)
            making.unlink(missing_ok=True)
            raise

    def add(self, blobs: list[Blob]) -> None:
        """Note ``blobs``, durably: a power cut after their links must not lose the note."""
        data = "".join(json.dumps([b.sha256, b.bytes, b.path, b.mime]) + "\n" for b in blobs).encode()
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]
        os.fdatasync(self.fd)

    def close(self, *, remove: bool) -> None:
        if remove:
            self.path.unlink(missing_ok=True)
        os.close(self.fd)


def read_journal(path: Path) -> list[Blob]:
    """The files a journal notes; a torn last line (its file was never linked) is skipped."""
    blobs = []
    for line in path.read_bytes().splitlines():
        try:
            sha256, size, relative, mime = json.loads(line)
        except ValueError:
            continue
        if isinstance(relative, str) and isinstance(sha256, str) and is_blob_path(relative, sha256):
            blobs.append(Blob(sha256=sha256, path=relative, bytes=int(size), mime=mime))
    return blobs


def read_note(data: bytes) -> list[Blob]:
    """The files a note in a blob store lists (``archiver.distributed.journals``); ValueError
    when it is not one."""
    body = json.loads(data)
    if not isinstance(body, dict) or not isinstance(body.get("blobs"), list):
        raise ValueError("not a note")
    blobs = []
    for item in body["blobs"]:
        sha256, relative, size, mime = item["sha256"], item["path"], item["bytes"], item.get("mime")
        if not (isinstance(sha256, str) and isinstance(relative, str) and is_blob_path(relative, sha256)):
            raise ValueError(f"not a blob: {item!r}")
        if not isinstance(size, int) or not (mime is None or isinstance(mime, str)):
            raise ValueError(f"not a blob: {item!r}")
        blobs.append(Blob(sha256=sha256, path=relative, bytes=size, mime=mime))
    return blobs


def noted_in_store(storage: BlobStorage) -> set[str]:
    """Every file a note in the blob store lists (placed by a queue worker, perhaps not yet
    recorded: ``verify`` counts these as pending)."""
    found: set[str] = set()
    for name, _ in storage.notes():
        try:
            found.update(b.path for b in read_note(storage.read_note(name)))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            continue
    return found


def journal_dir(data_dir: Path) -> Path:
    return data_dir / "journals"


def journaled_paths(data_dir: Path) -> set[str]:
    """Every file any journal notes, its owner alive or not (for ``verify``)."""
    found: set[str] = set()
    for journal in journal_dir(data_dir).glob(f"{JOURNAL_PREFIX}*"):
        try:
            found.update(b.path for b in read_journal(journal))
        except FileNotFoundError:
            continue  # settled and removed meanwhile
    return found


@dataclass
class Abandoned:
    """A journal whose owner ended without settling it, now locked by this process."""

    path: Path
    fd: int
    blobs: list[Blob]


class Notes(Protocol):
    """Where a store without a local journal notes the files it is about to place (a queue
    worker's: notes in the blob store itself, ``archiver.distributed.journals``)."""

    def add(self, blobs: list[Blob]) -> None:
        """Note ``blobs`` durably; return only once the note is stored."""
        ...


class BlobWriter:
    """Streams one file in; ``commit()`` makes it a blob, ``abort()`` discards it."""

    def __init__(self, store: BlobStore) -> None:
        self._store = store
        self._hash = hashlib.sha256()
        self._size = 0
        fd, self._tmp = store._new_tmp()
        self._file = os.fdopen(fd, "wb")

    def write(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        self._size += len(chunk)
        try:
            self._file.write(chunk)
        except OSError as e:
            raise store_error(e, self._store.root) from e

    @property
    def size(self) -> int:
        return self._size

    def commit(self, mime: str | None) -> Blob:
        try:
            self._file.flush()
            sha256 = self._hash.hexdigest()
            existing = self._store.stored(sha256, self._size, mime)
            if existing is not None:
                self._file.close()
                return existing
            if not self._store.storage.remote:
                os.fsync(self._file.fileno())
            self._file.close()
            return self._store._place(self._tmp, Blob(sha256, self._store.relative_path(sha256, mime), self._size, mime))
        except OSError as e:
            raise store_error(e, self._store.root) from e
        finally:
            self._close_quietly()
            self._tmp.unlink(missing_ok=True)

    def abort(self) -> None:
        self._close_quietly()
        self._tmp.unlink(missing_ok=True)

    def _close_quietly(self) -> None:
        # Closing flushes what is buffered: on a full disk that fails too, and the file is
        # discarded anyway.
        try:
            self._file.close()
        except OSError:
            pass


class BlobStore:
    def __init__(
        self, data_dir: Path, lookup: Lookup | None = None, *, storage: BlobStorage | None = None, journaled: bool = True,
        notes: Notes | None = None,
    ) -> None:
        """``lookup``: where the database records a hash's file (a ``Store`` gives one), so
        the same bytes under another content type are found under their first name.
        ``storage``: where the files go (default ``<data_dir>/blobs``). ``journaled``: note
        placed files for ``Store`` to settle (a process with no database does not).
        ``notes``: note them there instead of in a local journal (a queue worker)."""
        self.data_dir = data_dir
        self.storage: BlobStorage = storage if storage is not None else DirectoryStorage(data_dir / "blobs", shared=False)
        self.root = self.storage.staging.parent
        self.tmp_dir = self.storage.staging
        self._journaled = journaled
        self._notes = notes
        self.storage.prepare()
        self._lookup = lookup
        self._journal: Journal | None = None
        self._journal_lock = threading.Lock()
        self._unconfirmed: dict[str, Blob] = {}
        """Files this store placed that no committed row of its own names yet, by path."""
        self._unconfirmed_lock = threading.Lock()
        self._deferred: list[tuple[Path, Blob]] = []
        self._deferred_lock = threading.Lock()
        # Held for a whole sync: a sync returns only once every blob deferred before it
        # was called is in place, even those another thread's sync took first.
        self._sync_lock = threading.Lock()

    def relative_path(self, sha256: str, mime: str | None) -> str:
        """Where a new blob goes: 256 directories, by the first byte of its hash."""
        return f"blobs/{sha256[:2]}/{sha256}{extension_for(mime)}"

    @staticmethod
    def legacy_path(sha256: str, mime: str | None) -> str:
        """Where archiver up to 0.1 put a blob: 65,536 directories, by its first two bytes.

        Creating a directory cost about 0.2 ms of CPU, and with that many nearly every new
        blob of an archive under a few hundred thousand files made one. Blobs already there
        stay (every row names its file's path) and count as stored.
        """
        return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}{extension_for(mime)}"

    def stored(self, sha256: str, size: int, mime: str | None) -> Blob | None:
        """The blob, if these bytes are already stored: under this type's name in either
        layout, or wherever the database says this hash's file is (any type, any layout)."""
        candidates: tuple[str, ...] = (self.relative_path(sha256, mime),)
        if self.storage.legacy_layout:
            candidates += (self.legacy_path(sha256, mime),)
        for relative in candidates:
            if self._has(relative, size):
                return Blob(sha256=sha256, path=relative, bytes=size, mime=mime)
        if self._lookup is not None:
            recorded = self._lookup(sha256)
            if recorded is not None and recorded not in candidates and self._has(recorded, size):
                return Blob(sha256=sha256, path=recorded, bytes=size, mime=mime)
        return None

    def _has(self, relative: str, size: int) -> bool:
        try:
            return self.storage.size(relative) == size
        except OSError as e:
            raise store_error(e, self.root) from e

    # reading -----------------------------------------------------------------------------
    def open(self, path: str) -> Readable:
        """A stored file, for reading (``FileNotFoundError`` when it is not there)."""
        return self.storage.open(path)

    def local_path(self, path: str) -> Path:
        """A local file with a stored file's bytes (itself, for a directory storage; a copy
        kept until ``close()``, for S3): for tools that read files (ffprobe, Pillow, ffmpeg)."""
        return self.storage.local_path(path)

    def put_file(self, path: Path, mime: str | None) -> Blob:
        """Store the file at ``path`` (streamed, not read whole)."""
        writer = self.writer()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1024 * 1024):
                    writer.write(chunk)
        except BaseException:
            writer.abort()
            raise
        return writer.commit(mime)

    def put(self, data: bytes, mime: str | None, *, deferred: bool = False) -> Blob:
        """Store ``data``; with ``deferred`` its file is in place only after ``sync()``."""
        sha256 = hashlib.sha256(data).hexdigest()
        relative = self.relative_path(sha256, mime)
        # A remote storage is asked at sync() (no round trip here, on the event loop): its
        # conditional put finds a blob already there.
        existing = None if deferred and self.storage.remote else self.stored(sha256, len(data), mime)
        if existing is not None:
            # Already stored (a widget script, an avatar, a shared photo): nothing to write.
            return existing
        if deferred:
            # Written in one call, no hashing again: a sweep puts thousands of small answers.
            fd, tmp = self._new_tmp()
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            except BaseException as e:
                tmp.unlink(missing_ok=True)
                if isinstance(e, OSError):
                    raise store_error(e, self.root) from e
                raise
            blob = Blob(sha256=sha256, path=relative, bytes=len(data), mime=mime)
            self._add_deferred(tmp, blob)
            return blob
        writer = self.writer()
        try:
            writer.write(data)
        except BaseException:
            writer.abort()
            raise
        return writer.commit(mime)

    def sync(self) -> None:
        """Make every deferred blob durable and link it into place (thread-safe)."""
        with self._sync_lock:
            self._sync()

    def _sync(self) -> None:
        with self._deferred_lock:
            deferred, self._deferred = self._deferred, []
        if not deferred:
            return
        try:
            # Noted first (one sync for the batch's notes), then the files.
            self._note([blob for _, blob in deferred])
            self.storage.sync_staged([tmp for tmp, _ in deferred])
            changed: set[Path] = set()
            if self.storage.remote and len(deferred) > 1:
                # Uploads wait on the network: a few at once.
                with ThreadPoolExecutor(max_workers=8) as pool:
                    list(pool.map(lambda d: self._place(d[0], d[1], changed, noted=True, keep=False), deferred))
            else:
                for tmp, blob in deferred:
                    self._place(tmp, blob, changed, noted=True, keep=False)
            self.storage.sync_dirs(changed)
        except BaseException as e:
            with self._deferred_lock:
                self._deferred[:0] = deferred  # placing is idempotent: the next sync tries again
            if isinstance(e, OSError):
                raise store_error(e, self.root) from e
            raise
        for tmp, _ in deferred:
            tmp.unlink(missing_ok=True)

    def _new_tmp(self) -> tuple[int, Path]:
        """A new temporary file, open for writing (cheaper than tempfile.mkstemp)."""
        path = self.tmp_dir / f".tmp-{secrets.token_hex(8)}"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600), path
        except FileExistsError:
            return self._new_tmp()  # 64 random bits: practically never
        except OSError as e:
            raise store_error(e, self.root) from e

    def _add_deferred(self, tmp: Path, blob: Blob) -> None:
        with self._deferred_lock:
            self._deferred.append((tmp, blob))

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def _place(
        self, tmp: Path, blob: Blob, changed: set[Path] | None = None, *, noted: bool = False, keep: bool = True
    ) -> Blob:
        """Link ``tmp`` into place as ``blob``, noted in the journal first (unless ``noted``
        already); directories it changed are synced now, or added to ``changed``."""
        if not noted:
            self._note([blob])
        if self.storage.publish(tmp, blob, changed, keep=keep):
            with self._unconfirmed_lock:
                self._unconfirmed[blob.path] = blob
        return blob

    # settling -------------------------------------------------------------------------
    def _note(self, blobs: list[Blob]) -> None:
        """Note files about to be placed in this process's journal."""
        if self._notes is not None:
            self._notes.add(blobs)
            return
        if not self._journaled:
            return
        with self._journal_lock:
            if self._journal is None:
                self._journal = Journal(journal_dir(self.data_dir))
            self._journal.add(blobs)

    def confirm(self, paths: Iterable[str]) -> None:
        """These files are named by committed rows: nothing left to settle for them."""
        with self._unconfirmed_lock:
            for path in paths:
                self._unconfirmed.pop(path, None)

    def unconfirmed(self) -> list[Blob]:
        """Files this store placed that no committed row of its own names."""
        with self._unconfirmed_lock:
            return list(self._unconfirmed.values())

    def close(self, *, settled: bool) -> None:
        """Release the journal: removed when every file it notes is settled, else left for
        the next store to open."""
        with self._journal_lock:
            if self._journal is not None:
                self._journal.close(remove=settled)
                self._journal = None
        self.storage.close()

    def abandoned(self) -> list[Abandoned]:
        """Journals of processes that ended without settling them, each locked now by this one."""
        directory = journal_dir(self.data_dir)
        cutoff = time.time() - 3600
        for making in directory.glob(".making-*"):
            try:  # a process killed while making its journal: empty, its files never placed
                if making.stat().st_mtime < cutoff:
                    making.unlink()
            except OSError:
                pass
        found = []
        for path in sorted(directory.glob(f"{JOURNAL_PREFIX}*")):
            if self._journal is not None and path == self._journal.path:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if os.fstat(fd).st_nlink == 0:
                    raise BlockingIOError  # settled and removed by another process meanwhile
                found.append(Abandoned(path, fd, read_journal(path)))
            except BlockingIOError:
                os.close(fd)  # its owner lives (or another process is settling it)
        return found

    def release(self, journal: Abandoned, *, settled: bool) -> None:
        if settled:
            journal.path.unlink(missing_ok=True)
        os.close(journal.fd)

    def remove(self, blob: Blob) -> None:
        """Remove a second file of a hash whose recorded file is another (no row can name it)."""
        self.storage.remove(blob.path)
        with self._unconfirmed_lock:
            self._unconfirmed.pop(blob.path, None)

    def clean_tmp(self, older_than: float = 3600.0) -> None:
        """Remove temporary files a killed run left behind.

        Only old ones: another run may be writing the young ones right now.
        """
        cutoff = time.time() - older_than
        for leftover in self.tmp_dir.glob(".tmp-*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink(missing_ok=True)
            except OSError:
                pass  # gone already, or a read-only directory: tidying is no reason to fail
        for cache in self.tmp_dir.glob("cache-*"):
            # A remote storage's local copies, left by a process that died.
            try:
                if cache.stat().st_mtime < cutoff:
                    shutil.rmtree(cache, ignore_errors=True)
            except OSError:
                pass


def _syncfs() -> object | None:
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None  # not Linux: fsync file by file


_SYNCFS = _syncfs()


def _sync_files(root: Path, paths: Iterable[Path]) -> None:
    """Make ``paths`` (files or directories under ``root``) durable."""
    if _SYNCFS is not None:
        # syncfs() flushes the whole filesystem in one call, and since Linux 5.8
        # reports a failed writeback; one call instead of one fsync per file.
        fd = os.open(root, os.O_RDONLY)
        try:
            if _SYNCFS(fd) != 0:  # type: ignore[operator]
                errno = ctypes.get_errno()
                raise OSError(errno, os.strerror(errno))
        finally:
            os.close(fd)
        return
    for path in paths:
        _fsync_path(path)


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

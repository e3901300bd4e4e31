"""Content-addressed, immutable files under ``<data>/blobs/``.

A file is written to a temporary name, fsynced, then linked into place under its
SHA-256, and its directory fsynced: only then may a database row point at it. An
existing blob is never opened for writing again, so a capture cannot be overwritten.

Many small files (a sweep's API answers) can instead be put *deferred*: written to a
temporary name now, and made durable and linked into place together by ``sync()``,
which ``Store.transaction()`` calls before it writes any row. One filesystem sync per
batch costs less than four fsyncs per file; the order file → place → row is the same.
"""

from __future__ import annotations

import ctypes
import hashlib
import mimetypes
import os
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import StoreError

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
        self._file.write(chunk)

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
            os.fsync(self._file.fileno())
            self._file.close()
            return self._store._place(self._tmp, sha256, self._size, mime)
        finally:
            self._tmp.unlink(missing_ok=True)

    def abort(self) -> None:
        self._file.close()
        self._tmp.unlink(missing_ok=True)


class BlobStore:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.root = data_dir / "blobs"
        self.tmp_dir = self.root / "tmp"
        try:
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {self.tmp_dir}: {e}") from e
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
        """The blob, if these bytes are already stored (under either layout)."""
        for relative in (self.relative_path(sha256, mime), self.legacy_path(sha256, mime)):
            try:
                if os.stat(os.path.join(self.data_dir, relative)).st_size == size:
                    return Blob(sha256=sha256, path=relative, bytes=size, mime=mime)
            except FileNotFoundError:
                continue
        return None

    def put(self, data: bytes, mime: str | None, *, deferred: bool = False) -> Blob:
        """Store ``data``; with ``deferred`` its file is in place only after ``sync()``."""
        sha256 = hashlib.sha256(data).hexdigest()
        relative = self.relative_path(sha256, mime)
        existing = self.stored(sha256, len(data), mime)
        if existing is not None:
            # Already stored (a widget script, an avatar, a shared photo): nothing to write.
            return existing
        if deferred:
            # Written in one call, no hashing again: a sweep puts thousands of small answers.
            fd, tmp = self._new_tmp()
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            except BaseException:
                tmp.unlink(missing_ok=True)
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
            _sync_files(self.root, [tmp for tmp, _ in deferred])
            changed: set[Path] = set()
            for tmp, blob in deferred:
                self._place(tmp, blob.sha256, blob.bytes, blob.mime, changed)
            _sync_files(self.root, changed)
        except BaseException as e:
            with self._deferred_lock:
                self._deferred[:0] = deferred  # placing is idempotent: the next sync tries again
            if isinstance(e, OSError):
                raise StoreError(f"cannot store files in {self.root}: {e}") from e
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

    def _add_deferred(self, tmp: Path, blob: Blob) -> None:
        with self._deferred_lock:
            self._deferred.append((tmp, blob))

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def _place(
        self, tmp: Path, sha256: str, size: int, mime: str | None, changed: set[Path] | None = None
    ) -> Blob:
        """Link ``tmp`` into place; directories it changed are synced now, or added to ``changed``."""
        relative = self.relative_path(sha256, mime)
        final = self.data_dir / relative
        dirs: list[Path] = []
        if not final.parent.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            # A new directory entry is only durable once its parent is synced.
            dirs.append(final.parent.parent)
        try:
            # link() fails if the name exists, unlike rename(): a stored blob is
            # never replaced, even by the same bytes.
            os.link(tmp, final)
        except FileExistsError:
            if final.stat().st_size != size:
                raise StoreError(f"{relative} exists with another size: the store is damaged") from None
        else:
            dirs.append(final.parent)
        if changed is None:
            for d in dirs:
                _fsync_path(d)
        else:
            changed.update(dirs)
        return Blob(sha256=sha256, path=relative, bytes=size, mime=mime)

    def clean_tmp(self, older_than: float = 3600.0) -> None:
        """Remove temporary files a killed run left behind.

        Only old ones: another run may be writing the young ones right now.
        """
        cutoff = time.time() - older_than
        for leftover in self.tmp_dir.glob(".tmp-*"):
            try:
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink(missing_ok=True)
            except FileNotFoundError:
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

"""Content-addressed, immutable files under ``<data>/blobs/``.

A file is written to a temporary name, fsynced, then linked into place under its
SHA-256, and its directory fsynced: only then may a database row point at it. An
existing blob is never opened for writing again, so a capture cannot be overwritten.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import StoreError

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
        fd, name = tempfile.mkstemp(prefix=".tmp-", dir=store.tmp_dir)
        self._file = os.fdopen(fd, "wb")
        self._tmp = Path(name)

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
            os.fsync(self._file.fileno())
            self._file.close()
            return self._store._place(self._tmp, self._hash.hexdigest(), self._size, mime)
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

    def relative_path(self, sha256: str, mime: str | None) -> str:
        return f"blobs/{sha256[:2]}/{sha256[2:4]}/{sha256}{extension_for(mime)}"

    def put(self, data: bytes, mime: str | None) -> Blob:
        sha256 = hashlib.sha256(data).hexdigest()
        relative = self.relative_path(sha256, mime)
        existing = self.data_dir / relative
        if existing.exists() and existing.stat().st_size == len(data):
            # Already stored (a widget script, an avatar, a shared photo): nothing to write.
            return Blob(sha256=sha256, path=relative, bytes=len(data), mime=mime)
        writer = self.writer()
        try:
            writer.write(data)
        except BaseException:
            writer.abort()
            raise
        return writer.commit(mime)

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def _place(self, tmp: Path, sha256: str, size: int, mime: str | None) -> Blob:
        relative = self.relative_path(sha256, mime)
        final = self.data_dir / relative
        if not final.parent.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            # A new directory entry is only durable once its parent is synced.
            _fsync_dir(final.parent.parent)
            _fsync_dir(final.parent.parent.parent)
        try:
            # link() fails if the name exists, unlike rename(): a stored blob is
            # never replaced, even by the same bytes.
            os.link(tmp, final)
        except FileExistsError:
            if final.stat().st_size != size:
                raise StoreError(f"{relative} exists with another size: the store is damaged") from None
        else:
            _fsync_dir(final.parent)
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Where blobs live: the data directory (the default), a shared directory, or S3-compatible
object storage, behind one interface (``BlobStorage``), chosen by ``Settings.blob_store``.

A stored file is named by a *key*: the path its rows record, ``blobs/ab/<sha256>.<ext>``
(or ``blobs/ab/cd/…`` of archiver 0.1), the same whichever storage holds it, so rows,
the log and exports do not depend on where the bytes are. Each storage maps the part
after ``blobs/`` under its own root: a directory, or a bucket and prefix.

What every storage guarantees to ``BlobStore`` (archiver.plumbing.blobs), which writes
the file first and the row after:

- ``publish(tmp, blob)`` returns only once the blob is complete and readable under its
  final key, checked (the directory's link and size; the object's HEAD and size, the
  upload itself carrying its SHA-256 for the server to check). Nothing ever appears under
  a final key half-written: a directory links a finished, fsynced file; S3 makes an
  object visible only when its PUT (or multipart upload) completes.
- A key that exists is never replaced: ``link()`` fails on an existing name; a small
  object is put with ``If-None-Match: *``; a large one (multipart) only after a HEAD
  found nothing, and a racing upload of the same key can only carry the same bytes.
- Failing to reach the storage is a ``StoreError`` of one line naming the storage and
  the key (``BlobStoreUnreachable``), never a traceback.

The directory storage assumes a POSIX file system, local or NFS-style: ``link()`` and
``rename()`` atomic within it, ``fsync`` that reaches stable storage, close-to-open
consistency between machines. It takes no lock on it (``flock`` does not hold across NFS
clients): journals and locks stay in the local data directory of the process that writes.

``open_storage(settings)`` gives the storage for the reading side (verify, serve, export,
backup); ``worker_blobs(settings)`` a ``BlobStore`` for a process with no database, which
writes blobs and hands back their references (``Blob``: hash, key, size, type).
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlsplit

from ..errors import BlobStoreUnreachable, ConfigError, StoreError
from .storage_errors import store_error

if TYPE_CHECKING:
    from ..config import Settings
    from .blobs import Blob, BlobStore, Notes

STORE_ENV = "ARCHIVER_BLOB_STORE"
NOTES = "journals"
"""Where notes are, under a storage's root: not a blob directory (those are two hex digits)."""
_NOTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
CHUNK = 1024 * 1024
STALE_SECONDS = 3600.0
"""A temporary file or cache older than this was left by a process that died."""


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes | Any: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int


class BlobStorage(Protocol):
    """The operations archiver does on stored files; keys are the paths rows record."""

    url: str
    """Where the files are, for messages (``file:///srv/archive/blobs``, ``s3://bucket/prefix``)."""
    staging: Path
    """Local directory where files are written before they are published."""
    remote: bool
    """Whether reaching it costs a network round trip (no cheap checks on the event loop)."""
    legacy_layout: bool
    """Whether files of archiver 0.1's layout (``blobs/ab/cd/``) may be there."""

    def prepare(self) -> None:
        """Make the staging directory; a storage that is not there is a ``StoreError``."""
        ...

    def size(self, key: str) -> int | None:
        """The stored file's size, or None when there is none."""
        ...

    def sync_staged(self, paths: Iterable[Path]) -> None:
        """Make staged files durable (before their publication is noted and done)."""
        ...

    def publish(self, tmp: Path, blob: Blob, changed: set[Path] | None, *, keep: bool = True) -> bool:
        """Put the finished file ``tmp`` under ``blob.path``: True if placed now, False if
        there already. Directory entries to sync go to ``changed``, or are synced now.
        ``keep``: a remote storage keeps a local copy for ``local_path`` (not for the many
        small answers a sweep stores, which nothing reads back)."""
        ...

    def sync_dirs(self, dirs: Iterable[Path]) -> None: ...

    def remove(self, key: str) -> None: ...

    def open(self, key: str) -> Readable:
        """The stored file, for reading (``FileNotFoundError`` when there is none)."""
        ...

    def local_path(self, key: str) -> Path:
        """A local file with the stored bytes, valid until ``close()`` (for ffprobe, Pillow)."""
        ...

    def file_path(self, key: str) -> Path | None:
        """The file itself when the storage is a directory (served as it is), else None."""
        ...

    def walk(self) -> Iterator[StoredObject]:
        """Every stored file (not the temporary ones)."""
        ...

    def stale_temporaries(self) -> list[tuple[str, float]]:
        """Temporary files left in the storage itself (name, age in seconds)."""
        ...

    # Notes: small objects under ``journals/`` beside the files (not files: ``walk`` skips
    # them), where a process with no database notes what it is about to place.
    def put_note(self, name: str, data: bytes) -> None:
        """Store the note ``name``, whole and durable, before returning."""
        ...

    def notes(self) -> list[tuple[str, float]]:
        """Every note: its name and age in seconds."""
        ...

    def read_note(self, name: str) -> bytes:
        """A note's bytes (``FileNotFoundError`` when it is gone)."""
        ...

    def remove_notes(self, names: Iterable[str]) -> None: ...

    def close(self) -> None: ...


def rest_of(key: str) -> str:
    """The part of a key under the storage's root: ``blobs/ab/x.png`` → ``ab/x.png``."""
    if not key.startswith("blobs/") or ".." in key.split("/"):
        raise StoreError(f"not a blob key: {key}")
    return key[len("blobs/") :]


def check_note_name(name: str) -> str:
    if not _NOTE_NAME.match(name) or name.startswith("."):
        raise StoreError(f"not a note name: {name!r}")
    return name


def hash_stream(source: Readable) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


# ------------------------------------------------------------------------------ directory


class DirectoryStorage:
    """Files under a directory: the data directory's ``blobs/`` (the default) or a shared
    one every machine mounts."""

    remote = False

    def __init__(self, root: Path, *, shared: bool) -> None:
        self.root = root
        self.shared = shared
        self.url = root.absolute().as_uri() if shared else str(root)
        # Same file system as the files: a finished temporary file is linked into place.
        self.staging = root / "tmp"
        self.notes_dir = root / NOTES
        self.legacy_layout = True

    def file(self, key: str) -> Path:
        return self.root / rest_of(key)

    def prepare(self) -> None:
        if self.shared and not self.root.is_dir():
            # Never made here: an unmounted share would quietly fill the local disk instead.
            raise StoreError(f"blob store {self.url} is not there (not mounted?): make the directory, or mount it")
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise store_error(e, self.staging) from e

    def size(self, key: str) -> int | None:
        try:
            return os.stat(self.file(key)).st_size
        except FileNotFoundError:
            return None

    def sync_staged(self, paths: Iterable[Path]) -> None:
        from .blobs import _fsync_path, _sync_files

        if self.shared:
            # syncfs() on a network file system need not flush to the server, nor report
            # a failed write back: fsync each file, which NFS commits on the server.
            for path in paths:
                _fsync_path(path)
        else:
            _sync_files(self.root, paths)

    def publish(self, tmp: Path, blob: Blob, changed: set[Path] | None, *, keep: bool = True) -> bool:
        final = self.file(blob.path)
        dirs: list[Path] = []
        if not final.parent.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            # A new directory entry is only durable once its parent is synced.
            dirs.append(final.parent.parent)
        placed = True
        try:
            # link() fails if the name exists, unlike rename(): a stored blob is never
            # replaced, even by the same bytes. On NFS a retried LINK may answer EEXIST
            # for its own first try: the size check below accepts that.
            os.link(tmp, final)
        except FileExistsError:
            if final.stat().st_size != blob.bytes:
                raise StoreError(f"{blob.path} exists with another size: the store is damaged") from None
            placed = False
        else:
            dirs.append(final.parent)
        if changed is None:
            self.sync_dirs(dirs)
        else:
            changed.update(dirs)
        return placed

    def sync_dirs(self, dirs: Iterable[Path]) -> None:
        from .blobs import _fsync_path, _sync_files

        if self.shared:
            for d in dirs:
                _fsync_path(d)
        else:
            _sync_files(self.root, dirs)

    def remove(self, key: str) -> None:
        from .blobs import _fsync_path

        final = self.file(key)
        try:
            final.unlink()
        except FileNotFoundError:
            return
        _fsync_path(final.parent)

    def open(self, key: str) -> Readable:
        return open(self.file(key), "rb")

    def local_path(self, key: str) -> Path:
        return self.file(key)

    def file_path(self, key: str) -> Path | None:
        return self.file(key)

    def walk(self) -> Iterator[StoredObject]:
        for dirpath, dirnames, filenames in os.walk(self.root):
            here = Path(dirpath)
            if here in (self.staging, self.notes_dir):
                dirnames[:] = []
                continue
            rel = here.relative_to(self.root).as_posix()
            for name in filenames:
                try:
                    size = (here / name).stat().st_size
                except FileNotFoundError:
                    continue
                yield StoredObject(f"blobs/{name}" if rel == "." else f"blobs/{rel}/{name}", size)

    def stale_temporaries(self) -> list[tuple[str, float]]:
        found = []
        now = time.time()
        for leftover in sorted(self.staging.glob("*")) if self.staging.is_dir() else []:
            try:
                age = now - leftover.stat().st_mtime
            except FileNotFoundError:
                continue
            found.append((f"blobs/tmp/{leftover.name}", age))
        return found

    def put_note(self, name: str, data: bytes) -> None:
        from .blobs import _fsync_path

        final = self.notes_dir / check_note_name(name)
        tmp = self.notes_dir / f".tmp-{secrets.token_hex(8)}"
        try:
            if not self.notes_dir.is_dir():
                self.notes_dir.mkdir(exist_ok=True)
                _fsync_path(self.root)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fdatasync(fd)
            finally:
                os.close(fd)
            # Whole or not there: a reader never sees half a note.
            os.rename(tmp, final)
            _fsync_path(self.notes_dir)
        except OSError as e:
            tmp.unlink(missing_ok=True)
            raise store_error(e, final) from e

    def notes(self) -> list[tuple[str, float]]:
        found = []
        now = time.time()
        try:
            entries = list(os.scandir(self.notes_dir))
        except FileNotFoundError:
            return []
        for entry in entries:
            if entry.name.startswith("."):
                try:  # a note's temporary file, left by a process killed while writing it
                    if now - entry.stat().st_mtime > STALE_SECONDS:
                        os.unlink(entry.path)
                except OSError:
                    pass
                continue
            try:
                found.append((entry.name, now - entry.stat().st_mtime))
            except FileNotFoundError:
                continue
        return sorted(found)

    def read_note(self, name: str) -> bytes:
        return (self.notes_dir / check_note_name(name)).read_bytes()

    def remove_notes(self, names: Iterable[str]) -> None:
        from .blobs import _fsync_path

        removed = False
        for name in names:
            try:
                (self.notes_dir / check_note_name(name)).unlink()
                removed = True
            except FileNotFoundError:
                pass
        if removed:
            _fsync_path(self.notes_dir)

    def close(self) -> None:
        pass


# ------------------------------------------------------------------------------ S3


SMALL_PUT = 64 * 1024 * 1024
"""Objects up to this size go in one conditional PUT (``If-None-Match: *``), held in memory
by the client; larger ones in a multipart upload after a HEAD found no object."""


class S3Storage:
    """Objects in an S3-compatible bucket (AWS, MinIO, Ceph, Garage, R2…), through obstore.

    Endpoint, region and credentials come from the environment, as for any S3 client
    (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
    ``AWS_SESSION_TOKEN``, ``AWS_REGION``…); so does a proxy (``HTTPS_PROXY``, ``HTTP_PROXY``,
    ``NO_PROXY``). Files are staged locally under ``staging`` and uploaded whole; a file this
    process stored or read stays in a local cache until ``close()`` (ffprobe and Pillow read
    files, not streams).
    """

    remote = True
    legacy_layout = False

    def __init__(self, url: str, bucket: str, prefix: str, staging: Path, env: dict[str, str] | None = None) -> None:
        self.url = url
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.staging = staging
        self._env = dict(os.environ if env is None else env)
        self._store: Any = None
        self._lock = threading.Lock()
        self._cache = staging / f"cache-{os.getpid()}-{secrets.token_hex(4)}"

    # the client ------------------------------------------------------------------------
    def client(self) -> Any:
        with self._lock:
            if self._store is None:
                from obstore.store import S3Store

                endpoint = (
                    self._env.get("AWS_ENDPOINT_URL_S3") or self._env.get("AWS_ENDPOINT_URL") or self._env.get("AWS_ENDPOINT") or ""
                )
                config: dict[str, Any] = {"checksum_algorithm": "sha256"}
                if endpoint:
                    config["endpoint"] = endpoint
                self._store = S3Store(
                    self.bucket,
                    prefix=self.prefix or None,
                    config=config,  # type: ignore[arg-type]
                    client_options={
                        "allow_http": endpoint.startswith("http://"),
                        "connect_timeout": "5s",
                        "timeout": "300s",
                    },
                    retry_config={"max_retries": 3, "retry_timeout": _seconds(30)},
                )
            return self._store

    def _error(self, e: BaseException, key: str, doing: str) -> StoreError:
        return BlobStoreUnreachable(f"blob store {self.url}: cannot {doing} {key} ({_reason(e)})")

    def _call(self, doing: str, key: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from obstore.exceptions import BaseError

        try:
            return fn(self.client(), rest_of(key), *args, **kwargs)
        except FileNotFoundError:
            raise
        except (BaseError, OSError) as e:
            raise self._error(e, key, doing) from None

    # the interface ---------------------------------------------------------------------
    def prepare(self) -> None:
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise store_error(e, self.staging) from e

    def size(self, key: str) -> int | None:
        import obstore

        try:
            meta = self._call("look up", key, obstore.head)
        except FileNotFoundError:
            return None
        return int(meta["size"])

    def sync_staged(self, paths: Iterable[Path]) -> None:
        pass  # uploaded from the staged file; nothing local needs to survive a power cut

    def publish(self, tmp: Path, blob: Blob, changed: set[Path] | None, *, keep: bool = True) -> bool:
        import obstore
        from obstore.exceptions import AlreadyExistsError

        from obstore.exceptions import BaseError

        placed = True
        try:
            if blob.bytes <= SMALL_PUT:
                obstore.put(self.client(), rest_of(blob.path), tmp, mode="create")
            elif self.size(blob.path) is None:
                # Multipart: the object appears only when the upload completes; an upload cut
                # off leaves parts the bucket's lifecycle rule should abort (see README).
                obstore.put(self.client(), rest_of(blob.path), tmp, use_multipart=True)
            else:
                placed = False
        except AlreadyExistsError:
            placed = False
        except (BaseError, OSError) as e:
            raise self._error(e, blob.path, "upload") from None
        stored = self.size(blob.path)
        if stored != blob.bytes:
            raise StoreError(
                f"blob store {self.url}: {blob.path} is {stored} bytes there, not {blob.bytes}: the store is damaged"
            )
        if keep:
            self._keep(tmp, blob.path)
        return placed

    def sync_dirs(self, dirs: Iterable[Path]) -> None:
        pass

    def remove(self, key: str) -> None:
        import obstore

        try:
            self._call("remove", key, obstore.delete)
        except FileNotFoundError:
            pass
        self._cached(key).unlink(missing_ok=True)

    def open(self, key: str) -> Readable:
        import obstore

        cached = self._cached(key)
        if cached.is_file():
            return open(cached, "rb")
        return _Reader(self._call("read", key, obstore.open_reader, buffer_size=CHUNK))

    def local_path(self, key: str) -> Path:
        cached = self._cached(key)
        if cached.is_file():
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        part = cached.with_name(f".part-{secrets.token_hex(6)}")
        try:
            source = self.open(key)
            try:
                with open(part, "wb") as out:
                    while chunk := source.read(CHUNK):
                        out.write(chunk)
            finally:
                source.close()
            os.replace(part, cached)
        except OSError as e:
            part.unlink(missing_ok=True)
            if isinstance(e, FileNotFoundError):
                raise
            raise store_error(e, part) from e
        return cached

    def file_path(self, key: str) -> Path | None:
        return None

    def walk(self) -> Iterator[StoredObject]:
        import obstore
        from obstore.exceptions import BaseError

        try:
            for batch in obstore.list(self.client(), chunk_size=1000):
                for meta in batch:
                    if str(meta["path"]).startswith(NOTES + "/"):
                        continue  # notes, not files
                    yield StoredObject("blobs/" + str(meta["path"]), int(meta["size"]))
        except (BaseError, OSError) as e:
            raise self._error(e, "blobs/", "list") from None

    def stale_temporaries(self) -> list[tuple[str, float]]:
        return []  # nothing is staged in the bucket: an object is there whole or not at all

    def _notes_call(self, doing: str, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        from obstore.exceptions import BaseError

        try:
            return fn(self.client(), *args, **kwargs)
        except FileNotFoundError:
            raise
        except (BaseError, OSError) as e:
            raise BlobStoreUnreachable(f"blob store {self.url}: cannot {doing} {name} ({_reason(e)})") from None

    def put_note(self, name: str, data: bytes) -> None:
        import obstore

        key = f"{NOTES}/{check_note_name(name)}"
        self._notes_call("write", key, obstore.put, key, data)  # an object appears whole, or not at all

    def notes(self) -> list[tuple[str, float]]:
        import obstore

        from obstore.exceptions import BaseError

        found = []
        now = time.time()
        try:
            for batch in obstore.list(self.client(), prefix=NOTES, chunk_size=1000):
                for meta in batch:
                    name = str(meta["path"])[len(NOTES) + 1 :]
                    found.append((name, max(0.0, now - meta["last_modified"].timestamp())))
        except (BaseError, OSError) as e:
            raise BlobStoreUnreachable(f"blob store {self.url}: cannot list {NOTES}/ ({_reason(e)})") from None
        return sorted(found)

    def read_note(self, name: str) -> bytes:
        import obstore

        key = f"{NOTES}/{check_note_name(name)}"
        return bytes(self._notes_call("read", key, obstore.get, key).bytes())

    def remove_notes(self, names: Iterable[str]) -> None:
        import obstore

        keys = [f"{NOTES}/{check_note_name(n)}" for n in names]
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            if chunk:
                self._notes_call("remove", chunk[0], obstore.delete, chunk)

    def close(self) -> None:
        shutil.rmtree(self._cache, ignore_errors=True)

    # the local cache ------------------------------------------------------------------
    def _cached(self, key: str) -> Path:
        return self._cache / rest_of(key)

    def _keep(self, tmp: Path, key: str) -> None:
        """Keep the uploaded file for this process's own reads (media checks, thumbnails)."""
        cached = self._cached(key)
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            os.link(tmp, cached)
        except FileExistsError:
            pass
        except OSError:
            pass  # a cache is a convenience: reads download what is not in it


class _Reader:
    """obstore's reader as a file: ``read(n)`` gives bytes."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, size: int = -1, /) -> bytes:
        return bytes(self._inner.read(size) if size >= 0 else self._inner.read())

    def close(self) -> None:
        self._inner.close()


def _seconds(n: float) -> Any:
    from datetime import timedelta

    return timedelta(seconds=n)


def _reason(e: BaseException) -> str:
    """One line out of obstore's many: what went wrong, not the whole chain."""
    text = str(e)
    for needle, said in (
        ("Connection refused", "connection refused"),
        ("dns error", "host not found"),
        ("timed out", "timed out"),
        ("operation timed out", "timed out"),
        ("NoSuchBucket", "no such bucket"),
        ("AccessDenied", "access denied"),
        ("InvalidAccessKeyId", "unknown access key"),
        ("SignatureDoesNotMatch", "wrong secret key"),
        ("403 Forbidden", "access denied"),
        ("Connection reset", "connection reset"),
    ):
        if needle in text:
            return said
    first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
    return first[:200]


# ------------------------------------------------------------------------------ choosing


def storage_for(location: str | None, data_dir: Path, env: dict[str, str] | None = None) -> BlobStorage:
    """The storage a ``blob_store`` setting names; None or empty: ``<data_dir>/blobs``."""
    if not location:
        return DirectoryStorage(data_dir / "blobs", shared=False)
    parts = urlsplit(location)
    if parts.scheme == "file" or (not parts.scheme and location.startswith("/")):
        if parts.netloc not in ("", "localhost"):
            raise ConfigError(f"{STORE_ENV}: {location!r}: a file URL names a local path (file:///srv/blobs)")
        path = Path(unquote(parts.path) if parts.scheme else location)
        if not path.is_absolute():
            raise ConfigError(f"{STORE_ENV}: {location!r} is not an absolute path")
        if path.resolve() == (data_dir / "blobs").resolve():
            return DirectoryStorage(data_dir / "blobs", shared=False)
        return DirectoryStorage(path, shared=True)
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigError(f"{STORE_ENV}: {location!r} names no bucket (s3://bucket/prefix)")
        if parts.query or parts.fragment:
            raise ConfigError(f"{STORE_ENV}: {location!r}: endpoint and credentials come from AWS_* variables, not the URL")
        return S3Storage(location.rstrip("/"), parts.netloc, parts.path, data_dir / "staging", env)
    raise ConfigError(f"{STORE_ENV}: {location!r} is not file:///PATH or s3://BUCKET/PREFIX")


def open_storage(settings: Settings) -> BlobStorage:
    """The storage of this archive's files (for reading: verify, serve, export, backup);
    ``close()`` it when done (an S3 storage's local copies go then)."""
    return storage_for(settings.blob_store, settings.data_dir)


@contextmanager
def reading(settings: Settings) -> Iterator[BlobStorage]:
    """``open_storage``, closed at the end of the block."""
    storage = open_storage(settings)
    try:
        yield storage
    finally:
        storage.close()


def read_bytes(storage: BlobStorage, key: str) -> bytes:
    """A (small) stored file's bytes; ``FileNotFoundError`` when it is not there."""
    source = storage.open(key)
    try:
        data = source.read()
        return bytes(data)
    finally:
        source.close()


def worker_blobs(settings: Settings, notes: Notes | None = None) -> BlobStore:
    """A ``BlobStore`` for a process with no database (a capture worker): it writes blobs to
    the shared storage and hands their references (``Blob``: sha256, path, bytes, mime) to
    whoever records them. Each ``put`` or ``commit`` returns once its blob is complete in
    the storage (call ``sync()`` after deferred puts). A worker killed between its upload
    and the recording leaves a file no row names: a retry making the same bytes finds it
    there (not uploaded twice), and ``notes`` (a queue worker's:
    ``archiver.distributed.journals``) notes every file first, for the writer to settle
    whatever the retry makes; ``close()`` when done."""
    from .blobs import BlobStore

    return BlobStore(settings.data_dir, storage=open_storage(settings), journaled=False, notes=notes)


def blob_ref(blob: Blob) -> dict[str, object]:
    """A blob's reference as plain data (for a task's result)."""
    return {"sha256": blob.sha256, "path": blob.path, "bytes": blob.bytes, "mime": blob.mime}


def blob_from_ref(ref: dict[str, object]) -> Blob:
    """A reference from ``blob_ref`` back as a ``Blob``, checked: its key must be its hash's."""
    from .blobs import Blob, is_blob_path

    sha256, path, size, mime = ref.get("sha256"), ref.get("path"), ref.get("bytes"), ref.get("mime")
    if not (isinstance(sha256, str) and isinstance(path, str) and is_blob_path(path, sha256)):
        raise StoreError(f"not a blob reference: {ref!r}")
    if not isinstance(size, int) or size < 0 or not (mime is None or isinstance(mime, str)):
        raise StoreError(f"not a blob reference: {ref!r}")
    return Blob(sha256=sha256, path=path, bytes=size, mime=mime)

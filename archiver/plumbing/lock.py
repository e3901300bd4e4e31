"""Locks in the data directory: the sweep's, and a run's claim on a post it captures.

Both are advisory ``flock`` locks on files. The kernel drops them when their process
dies, even by kill -9, so a crashed run never leaves a stale lock behind, and nothing
has to decide whether a recorded holder is still alive. They work wherever the archive
itself does: SQLite's WAL needs every process on one host with a local filesystem
(its shared memory does not work over NFS), and ``flock`` is exact there.

- ``SweepLock``: ``<data>/sweep.lock``, one sweep at a time. Only sweeps take it.
- ``claim_post``: ``<data>/claims/<platform>/<native_id>.lock``, held by whoever is
  capturing that post (an ``archive`` run, a sweep or one of its workers) from before
  its first request until its rows are committed. Another capturer of the same post
  waits for the claim, then finds the post stored and reuses it: two runs never
  capture one post twice. A claim file exists only while it is held (its holder
  removes it), or briefly after a killed holder, until the next claimer takes it.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import os
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..errors import LockHeld
from .storage_errors import store_error

__all__ = ["Claim", "LockHeld", "SweepLock", "claim_path", "claim_post"]

CLAIM_POLL = 0.05
"""Seconds between a waiting claimer's attempts. A capture takes seconds; a claim's
release is noticed within this, and an attempt costs an open, a flock and a close."""
HOLDER_BYTES = 64
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,99}")


class SweepLock:
    def __init__(self, data_dir: Path, *, wait: bool = False) -> None:
        self.path = data_dir / "sweep.lock"
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> SweepLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise store_error(e, self.path) from e
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise LockHeld(f"another sweep holds {self.path}" + (f" (pid {holder})" if holder else "")) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass  # the holder's pid is a courtesy for the message above; the lock is what counts
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


# --------------------------------------------------------------------------- post claims


@dataclass
class Claim:
    """A held claim on one post."""

    path: Path
    waited: bool
    """Another capturer held the claim when this one asked: the post may be stored now."""


def claim_path(data_dir: Path, platform: str, native_id: str) -> Path:
    """The claim file of a post: readable names for ordinary ids, a hash for any other."""
    return data_dir / "claims" / _file_name(platform) / (_file_name(native_id) + ".lock")


def _file_name(text: str) -> str:
    if _SAFE_NAME.fullmatch(text):
        return text
    return "sha256-" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@asynccontextmanager
async def claim_post(
    data_dir: Path,
    platform: str,
    native_id: str,
    *,
    holder: str = "",
    on_wait: Callable[[str], None] | None = None,
) -> AsyncIterator[Claim]:
    """Hold the claim on post (``platform``, ``native_id``) for the block's length.

    Waits (without blocking the event loop) while another capturer holds it, calling
    ``on_wait(what the holder wrote)`` once. ``holder`` says who claims it ("run 12"),
    for those who wait. Claims are per open file: two in one process exclude each other too.
    """
    path = claim_path(data_dir, platform, native_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    waited = False
    while True:
        fd = _try_claim(path)
        if fd >= 0:
            break
        if not waited:
            waited = True
            if on_wait is not None:
                on_wait(_holder_of(path))
        await asyncio.sleep(CLAIM_POLL)
    try:
        # Padded over a killed holder's words rather than truncated: ext4 flushes a file
        # truncated to nothing when it is closed (auto_da_alloc), a few ms per claim.
        os.pwrite(fd, f"pid {os.getpid()} {holder}".strip().encode()[:HOLDER_BYTES].ljust(HOLDER_BYTES), 0)
        yield Claim(path, waited)
    finally:
        # Unlinked while still held: a waiter that opened this file before then finds,
        # once it has the lock, that the name is no longer its file, and tries again.
        try:
            os.unlink(path)
        finally:
            os.close(fd)


def _try_claim(path: Path) -> int:
    """An open descriptor holding the claim at ``path``, or -1 while another holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return -1
    except BaseException:
        os.close(fd)
        raise
    try:
        same = os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        same = False  # its holder removed it as we took it: a new file is the claim now
    if not same:
        os.close(fd)
        return _try_claim(path)
    return fd


def _holder_of(path: Path) -> str:
    try:
        return path.read_text("ascii", "replace").strip()
    except OSError:
        return ""

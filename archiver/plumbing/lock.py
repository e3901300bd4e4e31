"""The sweep's lock: one sweep at a time per data directory.

An advisory ``flock`` on ``<data>/sweep.lock``: the kernel drops it when the process
dies, even by kill -9, so a crashed sweep never leaves a stale lock behind. Only
sweeps take it; ``archive`` runs beside a sweep, relying on SQLite's WAL and busy timeout.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from ..errors import LockHeld

__all__ = ["LockHeld", "SweepLock"]


class SweepLock:
    def __init__(self, data_dir: Path, *, wait: bool = False) -> None:
        self.path = data_dir / "sweep.lock"
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> SweepLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
            os.close(fd)
            raise LockHeld(f"another sweep holds {self.path}" + (f" (pid {holder})" if holder else "")) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

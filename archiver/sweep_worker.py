"""A sweep's worker process: ``python -m archiver.sweep_worker PARENT_PID``.

Started by a sweep (``archiver.sweeper``), never by hand. Reads a pickled ``WorkerJob``
on stdin, checks its share of the posts within the parent's run, and writes JSON lines
on stdout: ``{"progress": [item, what]}`` as it goes, then ``{"summary": {...}}``.
It ends when its parent ends, however that happens, so a killed sweep leaves no
worker writing without the lock.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import os
import pickle
import signal
import sys
from dataclasses import asdict

PR_SET_PDEATHSIG = 1


def _end_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    # The parent may have died before the signal was armed.
    if os.getppid() != parent:
        os._exit(1)


def _emit(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    _end_with_parent(int(argv[0]))
    from .sweeper import WorkerJob, check_share

    from .errors import ArchiverError

    job = pickle.load(sys.stdin.buffer)
    if not isinstance(job, WorkerJob):
        raise TypeError(f"expected a WorkerJob, got {type(job).__name__}")
    try:
        report = asyncio.run(check_share(job, lambda item, what: _emit({"progress": [item, what]})))
    except ArchiverError as e:
        # One line, as the sweep itself would say it: the sweep repeats it in its errors.
        sys.stderr.write(f"{e}\n")
        return 1
    _emit({"summary": asdict(report)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The one catalogue writer: results from the queue into archive.db, acknowledged once written.

One process per archive holds the writer lock (``writer.lock`` in the data directory,
``flock``; the kernel drops it when the process dies). It consumes the results queue in
batches — up to ``BATCH`` results, or what came within ``BATCH_WAIT`` — writes a batch in
one transaction (``ingest.write_batch``), then acknowledges its messages. Killed at any
point, it leaves either the whole batch written (its messages come back after the
broker's visibility timeout and are skipped as written) or none of it (they come back
and are written). A result that cannot be written even alone (malformed, or a bug) is
moved to the ``archiver.results.failed`` queue and named in the report; an archive that
cannot be written (a full disk) ends the writer with that error, its batch unacknowledged.

Each attempt at a task notes its files in the blob store before placing them
(``journals``): the writer settles the notes of each result's attempt once the result is
written, and between batches those of attempts that died before sending one (a worker
killed mid-task), recording or removing every file they list, whatever the store. Only
the holder of ``writer.lock`` settles. Between batches it also ends the runs whose tasks
are all written.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ArchiverError, BrokerError, LockHeld, StoreError
from ..steps.store import Store
from . import engine
from .ingest import finish_runs, write_batch
from .journals import settle_left, settle_results
from .wire import Result

BATCH = 200
BATCH_WAIT = 0.2
"""Seconds to wait for more results before writing what came."""
SETTLE_EVERY = 10.0
"""Seconds between looks for files that dead tasks left."""
RECONNECT_WAIT = 2.0

Progress = Callable[[str, str], None]


@dataclass
class IngestReport:
    """What a writer did: results written, duplicates skipped, results it could not write."""

    written: int = 0
    skipped: int = 0
    rows: int = 0
    """Rows of the archive added (all tables), for the rate."""
    seconds: float = 0.0
    runs_finished: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        return (
            f"{self.written} results written, {self.skipped} already written, {self.rows} rows, "
            f"{len(self.runs_finished)} runs finished, {len(self.errors)} not writable"
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "written": self.written, "skipped": self.skipped, "rows": self.rows, "seconds": self.seconds,
            "runs_finished": self.runs_finished, "errors": self.errors,
        }


class WriterLock:
    """The archive's one catalogue writer: ``flock`` on ``writer.lock`` in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "writer.lock"
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
        self.fd = fd
        return True

    def holder(self) -> str:
        try:
            return self.path.read_text().strip() or "another process"
        except OSError:
            return "another process"

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _rows(store: Store) -> int:
    return int(store.conn.execute("SELECT coalesce(max(seq), 0) FROM log").fetchone()[0]) + int(
        store.conn.execute("SELECT count(*) FROM exchanges").fetchone()[0]
    )


class Writer:
    """Consume results into ``store`` until ``done()`` says so (checked between batches)."""

    def __init__(self, settings: Settings, broker: str, store: Store, progress: Progress) -> None:
        self.settings = settings
        self.broker = broker
        self.store = store
        self.progress = progress
        self.app = engine.make_app(broker, settings)
        self.report = IngestReport()
        self._last_settle = 0.0
        with self.app.connection_for_read() as conn:
            # What a broken connection raises (redis-py's errors, sockets'): caught, then reconnect.
            self._broken: tuple[type[BaseException], ...] = (
                OSError, *conn.connection_errors, *conn.channel_errors,
            )

    def run(self, done: Callable[[], bool], idle_exit: float | None = None) -> IngestReport:
        """Write results until ``done()``, or until none came for ``idle_exit`` seconds."""
        started = time.monotonic()
        rows_before = _rows(self.store)
        self._between_batches()
        last_result = time.monotonic()
        while not done():
            try:
                got = self._session(done, idle_exit, last_result)
            except self._broken as e:
                if isinstance(e, ArchiverError):
                    raise
                self.progress("", f"warning: the queue at {self.broker} is unreachable ({e}); trying again")
                time.sleep(RECONNECT_WAIT)
                continue
            if got is None:
                break  # idle long enough
            last_result = got
        # Before leaving: the notes of attempts whose task is now written (a dead worker's).
        self._settle(lambda: settle_left(self.store, engine.visibility_timeout(self.settings)))
        self.report.rows = _rows(self.store) - rows_before
        self.report.seconds = time.monotonic() - started
        return self.report

    def _session(self, done: Callable[[], bool], idle_exit: float | None, last_result: float) -> float | None:
        """One connection to the broker: batches until done, idle, or the connection breaks."""
        pending: list[Any] = []

        def on_message(body: Any, message: Any) -> None:
            pending.append((body, message))

        with self.app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=3)
            with conn.Consumer([engine.results_queue()], callbacks=[on_message], accept=["json"],
                               prefetch_count=BATCH):
                while not done():
                    deadline = time.monotonic() + BATCH_WAIT
                    while len(pending) < BATCH and (not pending or time.monotonic() < deadline):
                        try:
                            conn.drain_events(timeout=BATCH_WAIT)
                        except TimeoutError:
                            if not pending:
                                break
                    if pending:
                        batch, pending[:] = list(pending), []
                        self._write(conn, batch)
                        last_result = time.monotonic()
                    elif idle_exit is not None and time.monotonic() - last_result >= idle_exit:
                        return None
                    self._between_batches()
        return last_result

    def _write(self, conn: Any, batch: list[tuple[Any, Any]]) -> None:
        results: list[tuple[Result, Any]] = []
        for body, message in batch:
            try:
                results.append((Result.from_json(body if isinstance(body, dict) else json.loads(body)), message))
            except (ValueError, KeyError, TypeError) as e:
                self._reject(conn, body, message, f"a malformed result: {e}")
        try:
            written = write_batch(self.store, [r for r, _ in results])
        except StoreError:
            raise  # the archive cannot be written: end here, nothing acknowledged
        except Exception:  # noqa: BLE001 - find the result at fault, write the others
            written = []
            for result, message in results:
                try:
                    written += write_batch(self.store, [result])
                except StoreError:
                    raise
                except Exception as e:  # noqa: BLE001 - one result's fault, reported and set aside
                    self._reject(conn, result.as_json(), message, f"{type(e).__name__}: {e}")
                    results = [(r, m) for r, m in results if m is not message]
        # Each attempt's notes in the blob store: settled now that its result is written
        # (or found written before), then acknowledged.
        self._settle(lambda: settle_results(self.store, [r for r, _ in results]))
        for _, message in results:
            message.ack()
        self.report.written += len(written)
        self.report.skipped += len(results) - len(written)
        for result in written:
            for item, what in result.outcome.get("progress") or []:
                self.progress(str(item), str(what))

    def _reject(self, conn: Any, body: Any, message: Any, why: str) -> None:
        task = body.get("task") if isinstance(body, dict) else None
        self.report.errors.append(f"result of task {task or '?'} not written: {why}")
        self.progress(str(task or ""), f"error: result not written: {why}")
        engine.publish(self.app, engine.failed_results_queue(), {"why": why, "result": body})
        message.ack()

    def _between_batches(self) -> None:
        now = time.monotonic()
        if now - self._last_settle >= SETTLE_EVERY:
            self._last_settle = now
            self.store.settle_abandoned()
            over_after = engine.visibility_timeout(self.settings)
            self._settle(lambda: settle_left(self.store, over_after))
        self.report.runs_finished += finish_runs(self.store, self.progress)

    def _settle(self, work: Callable[[], object]) -> None:
        """Settling files can wait (their notes stay, settled at a later pass): a store that
        does not answer now is a warning, not the end of the writer."""
        try:
            work()
        except StoreError as e:
            self.progress("", f"warning: files of dead tasks not settled yet: {e}")


def ingest(
    settings: Settings,
    broker: str,
    *,
    idle_exit: float | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Be the archive's catalogue writer until stopped (or idle for ``idle_exit`` seconds)."""
    lock = WriterLock(settings.data_dir)
    if not lock.try_acquire():
        raise LockHeld(f"another catalogue writer is writing {settings.db_path} ({lock.holder()})")
    try:
        store = Store(settings)
        try:
            writer = Writer(settings, broker, store, progress or (lambda item, what: None))
            return writer.run(lambda: False, idle_exit)
        finally:
            store.close()
    except OSError as e:
        raise BrokerError(f"{broker}: {e}") from e
    finally:
        lock.release()

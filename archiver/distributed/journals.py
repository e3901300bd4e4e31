"""Journals in the blob store: what a worker's task is about to place, for the writer to settle.

A worker has no database, and need not share a directory with the writer (its files may
go to S3, its ``--data`` may be its own). So before placing files, a task's attempt notes
them in the blob store itself: a small object ``journals/<task>.<attempt>.<n>`` (the
task's id in URL-safe base64, a random id per attempt, a sequence number), written whole
and durable before the files' uploads begin (``TaskJournal``, the ``Notes`` of the
worker's ``BlobStore``). A killed attempt leaves its notes; a finished one sends their
names and the files they list with its result.

The one catalogue writer (under ``writer.lock``) settles them, as a local run settles its
journal: each noted file is recorded in ``blobs`` if no row names its hash, or removed if
a row names another file of the same bytes (``Store.settle``); then the notes go.

- With each result it writes (or skips as already written: a task run twice), at once,
  after the batch is committed and before its messages are acknowledged
  (``settle_results``): the attempt that sent it is over, every file it noted is placed.
- Between batches (``settle_left``), the notes nobody sent: attempts that died (a worker
  killed mid-task, a store that failed mid-upload, a result lost). An attempt's notes are
  looked at once its task's result is written, or once the attempt is certainly over
  (its first note older than the broker's visibility timeout, which is past the task's
  hard time limit). A note is removed once every file it lists is stored and recorded
  under that name, or once its attempt is certainly over: a file noted but absent may
  still be on its way from an attempt that lives, and must find its note there.

Everything here is idempotent: a writer killed at any point leaves notes that the next
pass settles again, finding their files recorded already.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..plumbing.blobs import Blob, read_note
from ..plumbing.blobstores import BlobStorage
from ..steps.store import Store
from .wire import Json, Result, blob_in, blob_out


def _task_part(task: str) -> str:
    return base64.urlsafe_b64encode(task.encode()).decode().rstrip("=")


def _task_of(part: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def note_name(task: str, attempt: str, seq: int) -> str:
    return f"{_task_part(task)}.{attempt}.{seq:06d}"


@dataclass(frozen=True)
class NoteRef:
    name: str
    task: str
    attempt: str
    age: float


def parse_name(name: str, age: float) -> NoteRef | None:
    parts = name.split(".")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    task = _task_of(parts[0])
    return NoteRef(name, task, parts[1], age) if task is not None else None


class TaskJournal:
    """One attempt of a task: each batch of files it is about to place, noted in the store first."""

    def __init__(self, storage: BlobStorage, task: str, worker: str) -> None:
        self.storage = storage
        self.task = task
        self.worker = worker
        self.attempt = secrets.token_hex(8)
        self.names: list[str] = []
        self.blobs: list[Blob] = []
        self._lock = threading.Lock()

    def add(self, blobs: list[Blob]) -> None:
        with self._lock:
            name = note_name(self.task, self.attempt, len(self.names))
            self.names.append(name)  # sent with the result even if the write below failed half-way
        body = json.dumps({"task": self.task, "worker": self.worker, "blobs": [blob_out(b) for b in blobs]})
        self.storage.put_note(name, body.encode())
        with self._lock:
            self.blobs.extend(blobs)

    def for_result(self) -> tuple[list[str], list[Json]]:
        """The notes' names and the files they list, for the result that ends the attempt."""
        with self._lock:
            seen: dict[str, Json] = {}
            for blob in self.blobs:
                seen.setdefault(blob.path, blob_out(blob))
            return list(self.names), list(seen.values())


# --------------------------------------------------------------------------- the writer's side


def _recorded(store: Store, blob: Blob) -> bool:
    row = store.conn.execute("SELECT path FROM blobs WHERE sha256 = ?", (blob.sha256,)).fetchone()
    return row is not None and str(row[0]) == blob.path


def _settle(store: Store, blobs: Iterable[Blob]) -> None:
    """``Store.settle`` for the files not already recorded under their names (most are: the
    results that name them were written), so the store is asked about few."""
    unique = {b.path: b for b in blobs}
    store.settle([b for b in unique.values() if not _recorded(store, b)])


def settle_results(store: Store, results: Iterable[Result]) -> None:
    """The files and notes of attempts that sent these results (written now, or before)."""
    results = list(results)
    _settle(store, (blob_in(x) for r in results for x in r.noted))
    names = [n for r in results for n in r.journal]
    if names:
        store.blobs.storage.remove_notes(names)


@dataclass
class LeftReport:
    settled: int = 0
    """Notes removed."""
    waiting: int = 0
    """Notes of attempts that may still live, or listing a file not stored yet."""
    unreadable: list[str] = field(default_factory=list)


def _written(store: Store, task: str) -> bool:
    return store.conn.execute("SELECT 1 FROM queue_results WHERE task = ?", (task,)).fetchone() is not None


def settle_left(store: Store, over_after: float) -> LeftReport:
    """Settle the notes no result brought: attempts whose task's result is written, or that
    began more than ``over_after`` seconds ago (the visibility timeout: certainly over)."""
    storage = store.blobs.storage
    report = LeftReport()
    attempts: dict[tuple[str, str], list[NoteRef]] = defaultdict(list)
    for name, age in storage.notes():
        ref = parse_name(name, age)
        if ref is None:
            if age > over_after:
                storage.remove_notes([name])  # not ours, or mangled: nothing can settle it
            else:
                report.waiting += 1
            continue
        attempts[(ref.task, ref.attempt)].append(ref)
    for (task, _), refs in sorted(attempts.items()):
        over = max(r.age for r in refs) > over_after
        if not (over or _written(store, task)):
            report.waiting += len(refs)
            continue
        listed: dict[str, list[Blob]] = {}
        for ref in refs:
            try:
                listed[ref.name] = read_note(storage.read_note(ref.name))
            except FileNotFoundError:
                continue  # removed meanwhile (its result came)
            except (ValueError, KeyError, TypeError):
                if over:
                    storage.remove_notes([ref.name])
                else:
                    report.unreadable.append(ref.name)
        _settle(store, (b for blobs in listed.values() for b in blobs))
        done = [
            name for name, blobs in listed.items()
            if over or all(_recorded(store, b) and storage.size(b.path) is not None for b in blobs)
        ]
        storage.remove_notes(done)
        report.settled += len(done)
        report.waiting += len(listed) - len(done)
    return report

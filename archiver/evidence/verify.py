"""`archiver verify`: re-hash every stored file and check the log, naming each problem.

Files are streamed and hashed in a thread pool (hashlib releases the GIL on large
updates, so threads hash on several cores at once). The log is checked entry by entry
(its own hash, its link to the entry before, its signature), then every row of every
logged table against its entries: as logged for rows written once, as last logged for
rows whose state changes.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Settings
from ..plumbing.blobs import journaled_paths, noted_in_store
from ..plumbing.blobstores import BlobStorage, hash_stream, reading
from ..plumbing.db import open_db
from ..errors import StoreError
from . import chain, keys, timestamps

TMP_GRACE = 3600.0
"""A temporary file younger than this may belong to a run writing right now."""
CHUNK = 1024 * 1024


@dataclass
class Problem:
    kind: str
    """missing, changed, unreferenced, unlisted, row_deleted, row_changed, row_unlogged,
    entry_changed, chain_broken, bad_signature, unknown_key; trusted time: bad_timestamp,
    stamp_head_gone, stamp_head_changed, pin_missing"""
    where: str
    detail: str

    def line(self) -> str:
        return f"{self.kind}: {self.where}: {self.detail}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "where": self.where, "detail": self.detail}


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    seconds: float = 0.0
    entries: int = 0
    late: int = 0
    signed: int = 0
    unsigned_since_key: int = 0
    first_broken: int | None = None
    """seq of the first log entry found broken (changed, unlinked, its row edited or gone)."""
    head: tuple[int, str] | None = None
    trusted: list[dict[str, object]] = field(default_factory=list)
    """Per valid RFC 3161 timestamp: the captures and status checks it is the earliest trusted time of."""
    not_yet_stamped: dict[str, object] | None = None
    """The captures and status checks logged after the last valid timestamp, when TSAs are in use."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def _broken(self, seq: int) -> None:
        if self.first_broken is None or seq < self.first_broken:
            self.first_broken = seq

    def line(self) -> str:
        rate = self.bytes / self.seconds / 1e6 if self.seconds else 0.0
        text = (
            f"{self.files} files ({self.bytes / 1e6:.1f} MB, {rate:.0f} MB/s) re-hashed, {self.entries} log entries "
            f"checked ({self.late} chained late, {self.signed} signed): "
        )
        if self.ok:
            return text + "all hold"
        text += f"{len(self.problems)} problems"
        if self.first_broken is not None:
            text += f"; first broken log entry: #{self.first_broken}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
            "files": self.files,
            "bytes": self.bytes,
            "seconds": round(self.seconds, 3),
            "entries": self.entries,
            "late": self.late,
            "signed": self.signed,
            "unsigned_since_key": self.unsigned_since_key,
            "first_broken": self.first_broken,
            "head": {"seq": self.head[0], "entry_sha256": self.head[1]} if self.head else None,
            "trusted": self.trusted,
            "not_yet_stamped": self.not_yet_stamped,
        }


def hash_file(path: Path) -> tuple[str, int] | None:
    """SHA-256 and size of a file, streamed; None when it cannot be read."""
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    try:
        with open(path, "rb", buffering=0) as f:
            while n := f.readinto(buffer):
                digest.update(view[:n])
                size += n
    except OSError:
        return None
    return digest.hexdigest(), size


def verify(
    settings: Settings,
    *,
    workers: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_advance: Callable[[int], None] | None = None,
    pins: Path | None = None,
) -> VerifyReport:
    """Check every file and every log entry, every RFC 3161 timestamp, and the pins in
    ``pins`` (a file of pinned heads). ``on_start(total_bytes)`` and ``on_advance(bytes)``
    drive a progress bar; both are called from this thread."""
    if not settings.db_path.exists():
        raise StoreError(f"no archive at {settings.db_path}")
    pinned = timestamps.read_pins(pins) if pins is not None else []
    conn = open_db(settings.db_path)
    try:
        report = VerifyReport()
        late = chain.chain_late_now(conn)
        if late:
            report.notes.append(f"{late} rows that predate the log were chained now (late)")
        with reading(settings) as storage:
            _check_files(conn, storage, settings.data_dir, report, workers, on_start, on_advance)
            _check_log(conn, report)
            _check_stamps(conn, settings, storage, report, pinned)
        return report
    finally:
        conn.close()


def _walk_blobs(storage: BlobStorage, report: VerifyReport) -> set[str]:
    found = {stored.key for stored in storage.walk()}
    for name, age in storage.stale_temporaries():
        # Young ones are being written; old ones a killed run left, which the next
        # archive or sweep removes. Neither is evidence, so not a problem.
        if age > TMP_GRACE:
            report.notes.append(f"stale temporary file {name} ({age / 3600:.1f} h old)")
    return found


def hash_stored(storage: BlobStorage, key: str) -> tuple[str, int] | None:
    """SHA-256 and size of a stored file; None when it is not there (a storage that cannot
    be reached is a ``StoreError``, not a missing file)."""
    path = storage.file_path(key)
    if path is not None:
        return hash_file(path)
    try:
        source = storage.open(key)
    except FileNotFoundError:
        return None
    try:
        return hash_stream(source)
    finally:
        source.close()


def _check_files(
    conn: sqlite3.Connection,
    storage: BlobStorage,
    data_dir: Path,
    report: VerifyReport,
    workers: int | None,
    on_start: Callable[[int], None] | None,
    on_advance: Callable[[int], None] | None,
) -> None:
    # Walk first, journals second (the local ones, and a queue worker's notes in the store),
    # the table third: a run notes a file in its journal,
    # places it, then writes its row (or settles it: records or removes it, then drops the
    # journal). A file the walk saw is in a journal read after, or its row (or its absence)
    # is visible after that; a file added after the walk is simply not seen.
    on_disk = _walk_blobs(storage, report)
    noted = journaled_paths(data_dir) | noted_in_store(storage)
    blobs = conn.execute("SELECT sha256, path, bytes FROM blobs ORDER BY path").fetchall()
    listed = {b["path"] for b in blobs}
    for c in conn.execute(
        """SELECT c.id, c.sha256, c.path FROM captures c LEFT JOIN blobs b ON b.sha256 = c.sha256
           WHERE b.sha256 IS NULL OR b.path != c.path"""
    ):
        report.problems.append(Problem("unlisted", f"capture {c['id']}", f"{c['path']} is not the stored file of {c['sha256']}"))
    pending = 0
    for path in sorted(on_disk - listed):
        if path in noted:
            pending += 1  # placed by a run that is recording it, or that ended before it could
            continue
        still = conn.execute("SELECT 1 FROM blobs WHERE path = ?", (path,)).fetchone()
        if not still and storage.size(path) is not None:
            report.problems.append(Problem("unreferenced", path, "file under blobs/ that the database does not list"))
    if pending:
        report.notes.append(
            f"{pending} files are not recorded yet: placed by a run still recording them, or by one that ended "
            "first, whose files the next archive or sweep records (or removes, if the same bytes are stored already)"
        )
    total = sum(int(b["bytes"]) for b in blobs)
    if on_start:
        on_start(total)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers or min(8, (os.cpu_count() or 2) + 1)) as pool:
        futures = {pool.submit(hash_stored, storage, b["path"]): b for b in blobs}
        for future in as_completed(futures):
            b = futures[future]
            result = future.result()
            if on_advance:
                on_advance(int(b["bytes"]))
            if result is None:
                report.problems.append(Problem("missing", b["path"], f"file of {b['sha256']} is gone"))
                continue
            digest, size = result
            report.files += 1
            report.bytes += size
            if digest != b["sha256"] or size != b["bytes"]:
                report.problems.append(
                    Problem("changed", b["path"], f"SHA-256 is now {digest} ({size} bytes), recorded {b['sha256']} ({b['bytes']} bytes)")
                )
    report.seconds = time.perf_counter() - started
    # Order of completion is the pool's; order of the report is the paths'.
    report.problems.sort(key=lambda p: (p.kind not in ("unlisted",), p.where))


def _check_log(conn: sqlite3.Connection, report: VerifyReport) -> None:
    logged = _check_entries(conn, report)
    _check_rows(conn, report, logged)
    if report.late:
        report.notes.append(
            f"{report.late} entries were chained late: their rows predate the log of their table (an archive "
            "upgraded from before schema version 4 or 5), so the log vouches for them only from when they were chained"
        )
    if report.unsigned_since_key:
        report.notes.append(
            f"{report.unsigned_since_key} entries after signing began are unsigned (written without the private key)"
        )
    public = [r["key_id"] for r in conn.execute("SELECT key_id FROM signing_keys ORDER BY key_id")]
    if public:
        report.notes.append("signing keys: " + ", ".join(public))
    if report.head:
        report.notes.append(f"log head: #{report.head[0]} {report.head[1]} (keep it elsewhere to pin the log)")


def _check_stamps(
    conn: sqlite3.Connection, settings: Settings, storage: BlobStorage, report: VerifyReport, pins: list[dict[str, object]]
) -> None:
    """Trusted time: every stored token, every pin (archiver.evidence.timestamps)."""
    found = timestamps.check(conn, storage, settings, pins)
    report.problems += [Problem(kind, where, detail) for kind, where, detail in found.problems]
    report.notes += found.notes
    report.trusted, report.not_yet_stamped = found.trusted, found.not_yet_stamped


_Logged = dict[tuple[str, chain.Ref], list[tuple[int, str, str]]]
"""Per logged row, its entries' (seq, kind, content_sha256): all of them for rows logged
once, the last for rows logged at every change."""


def _check_entries(conn: sqlite3.Connection, report: VerifyReport) -> _Logged:
    """The chain itself, entry by entry: its own hash, its link, its place, its signature."""
    public = {r["key_id"]: (r["public_key"], r["first_seq"]) for r in conn.execute("SELECT * FROM signing_keys")}
    signing_since = min((s for _, s in public.values() if s is not None), default=None)
    late_limit = {r["ref_table"]: int(r["up_to_id"]) for r in conn.execute("SELECT * FROM log_late")}
    logged: _Logged = {}
    prev = chain.GENESIS
    expected_seq = 1
    for r in conn.execute("SELECT * FROM log ORDER BY seq"):
        entry = chain.Entry.from_row(r)
        where = f"log entry #{entry.seq} ({chain.describe(entry.ref_table, entry.ref)})"
        report.entries += 1
        report.late += int(entry.late)
        if entry.seq != expected_seq:
            report.problems.append(Problem("chain_broken", where, f"expected entry #{expected_seq} here: entries are missing"))
            report._broken(entry.seq)
        if entry.prev_sha256 != prev:
            report.problems.append(
                Problem("chain_broken", where, "does not link to the entry before it (an entry was changed, deleted or moved)")
            )
            report._broken(entry.seq)
        digest = entry.digest()
        known = chain.TABLE_OF.get(entry.kind) == entry.ref_table
        if digest != r["entry_sha256"] or not known:
            report.problems.append(Problem("entry_changed", where, "the entry's own fields were changed after it was logged"))
            report._broken(entry.seq)
        if not known:
            pass  # nothing to compare its row with
        elif entry.kind in chain.ONCE:
            logged.setdefault((entry.ref_table, entry.ref), []).append((entry.seq, entry.kind, entry.content_sha256))
        else:
            logged[(entry.ref_table, entry.ref)] = [(entry.seq, entry.kind, entry.content_sha256)]
        if entry.late and entry.ref_id is not None and entry.ref_id > late_limit.get(entry.ref_table, 0):
            report.problems.append(Problem("entry_changed", where, "marked late but its row was added after the log began"))
            report._broken(entry.seq)
        if r["signature"]:
            key = public.get(r["key_id"])
            if key is None:
                report.problems.append(Problem("unknown_key", where, f"signed by key {r['key_id']}, not stored in the archive"))
                report._broken(entry.seq)
            elif not keys.check_signature(key[0], r["entry_sha256"].encode("ascii"), r["signature"]):
                report.problems.append(Problem("bad_signature", where, f"signature does not verify with key {r['key_id'][:16]}"))
                report._broken(entry.seq)
            else:
                report.signed += 1
        elif signing_since is not None and entry.seq >= signing_since:
            report.unsigned_since_key += 1
        prev = r["entry_sha256"]
        expected_seq = entry.seq + 1
        report.head = (entry.seq, r["entry_sha256"])
    return logged


def _check_rows(conn: sqlite3.Connection, report: VerifyReport, logged: _Logged) -> None:
    """Every row of every logged table against its entries: a row written once must be as
    logged; a row whose state changes must be as its last entry says. Compared as stored,
    field by field: nothing is parsed, so a later version cannot see a change where none was."""
    found: list[tuple[int, Problem]] = []
    unlogged: list[Problem] = []
    for table in dict.fromkeys(chain.TABLE_OF.values()):
        for row in conn.execute(f"SELECT * FROM {table}"):
            ref = chain.ref_of(table, row)
            entries = logged.pop((table, ref), None)
            if not entries:
                unlogged.append(
                    Problem("row_unlogged", chain.describe(table, ref), "has no log entry: it was added outside archiver")
                )
                continue
            for seq, kind, content in entries:
                if chain.content_sha256(kind, row) != content:
                    where = f"log entry #{seq} ({chain.describe(table, ref)})"
                    what = "as logged" if kind in chain.ONCE else "as last logged"
                    found.append((seq, Problem("row_changed", where, f"the {kind} row differs from what was logged ({what})")))
    for (table, ref), entries in logged.items():
        seq, kind, _ = entries[-1]
        found.append((seq, Problem("row_deleted", f"log entry #{seq} ({chain.describe(table, ref)})", f"the logged {kind} row is gone")))
    for seq, problem in sorted(found, key=lambda f: f[0]):
        report.problems.append(problem)
        report._broken(seq)
    report.problems.extend(unlogged)

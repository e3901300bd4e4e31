"""The tamper-evident log: every capture row and status check, hash-chained.

Each entry holds the SHA-256 of its row's canonical JSON (``content_sha256``) and the
SHA-256 of the entry before it (``prev_sha256``); its own ``entry_sha256`` covers both,
with its position and kind. An entry is appended inside the transaction that inserts
its row, after ``BEGIN IMMEDIATE`` took the write lock, so concurrent writers (an
archive beside a sweep) see each other's last entry and the chain stays linear.

Only a fixed list of fields is hashed, not ``SELECT *``: a column a later migration adds
must not change the hash of rows logged before it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ..plumbing.db import utcnow
from . import keys

GENESIS = "0" * 64

FIELDS: dict[str, tuple[str, ...]] = {
    "captures": (
        "id", "run_id", "post_id", "article_id", "kind", "captured_at", "sha256", "path", "mime", "bytes",
        "width", "height", "source_url", "source",
    ),
    "status_checks": ("id", "post_id", "run_id", "checked_at", "status", "signals"),
}
KINDS = {"captures": "capture", "status_checks": "status_check"}
_TIME_FIELD = {"captures": "captured_at", "status_checks": "checked_at"}


def canonical_json(value: object) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_sha256(table: str, row: sqlite3.Row | Mapping[str, object]) -> str:
    fields = {name: row[name] for name in FIELDS[table]}
    return hashlib.sha256(canonical_json({"table": table, "row": fields})).hexdigest()


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    ref_table: str
    ref_id: int
    logged_at: str
    late: bool
    content_sha256: str
    prev_sha256: str

    def digest(self) -> str:
        return hashlib.sha256(
            canonical_json(
                {
                    "seq": self.seq,
                    "kind": self.kind,
                    "ref_table": self.ref_table,
                    "ref_id": self.ref_id,
                    "logged_at": self.logged_at,
                    "late": int(self.late),
                    "content_sha256": self.content_sha256,
                    "prev_sha256": self.prev_sha256,
                }
            )
        ).hexdigest()

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(
            seq=int(row["seq"]),
            kind=row["kind"],
            ref_table=row["ref_table"],
            ref_id=int(row["ref_id"]),
            logged_at=row["logged_at"],
            late=bool(row["late"]),
            content_sha256=row["content_sha256"],
            prev_sha256=row["prev_sha256"],
        )


def read_row(c: sqlite3.Connection, table: str, ref_id: int) -> sqlite3.Row | None:
    row: sqlite3.Row | None = c.execute(
        f"SELECT {', '.join(FIELDS[table])} FROM {table} WHERE id = ?", (ref_id,)
    ).fetchone()
    return row


def append_entry(c: sqlite3.Connection, table: str, ref_id: int) -> int:
    """Log one row just inserted; call inside the transaction that inserted it."""
    row = read_row(c, table, ref_id)
    if row is None:
        raise ValueError(f"{table} row {ref_id} does not exist")
    return append_entries(c, table, [row])


def append_entries(c: sqlite3.Connection, table: str, rows: Sequence[sqlite3.Row | Mapping[str, object]]) -> int:
    """Log rows just inserted, in order; call inside the transaction that inserted them.

    Each row holds at least the fields of ``FIELDS[table]``, as stored. The chain's end is
    looked up once for the lot, so a batch of checks costs one query, not one per row.
    Returns the last entry's seq.
    """
    if c.execute("SELECT 1 FROM log_late WHERE chained_at IS NULL LIMIT 1").fetchone():
        chain_late(c, exclude={(table, _row_id(row)) for row in rows})
    return _write_entries(c, table, rows, late=False)


def _write_entries(c: sqlite3.Connection, table: str, rows: Sequence[sqlite3.Row | Mapping[str, object]], *, late: bool) -> int:
    last = c.execute("SELECT seq, entry_sha256 FROM log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(last["seq"]), str(last["entry_sha256"])) if last else (0, GENESIS)
    signer = keys.current_signer()
    if signer is not None and rows:
        keys.register(c, signer, first_seq=seq + 1)
    logged_at = utcnow()
    values = []
    for row in rows:
        seq += 1
        ref_id = _row_id(row)
        entry = Entry(seq, KINDS[table], table, ref_id, logged_at, late, content_sha256(table, row), prev)
        digest = entry.digest()
        signature = signer.sign(digest.encode("ascii")) if signer is not None else None
        values.append((seq, entry.kind, table, ref_id, logged_at, int(late), entry.content_sha256, prev, digest,
                       signer.key_id if signer is not None else None, signature))
        prev = digest
    c.executemany(
        """INSERT INTO log (seq, kind, ref_table, ref_id, logged_at, late, content_sha256, prev_sha256, entry_sha256,
                            key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        values,
    )
    return seq


def _row_id(row: sqlite3.Row | Mapping[str, object]) -> int:
    value = row["id"]
    if not isinstance(value, int):
        raise TypeError(f"row id {value!r} is not an integer")
    return value


def chain_late(c: sqlite3.Connection, exclude: Collection[tuple[str, int]] = ()) -> int:
    """Chain the rows an archive held before it had a log (schema version < 4), once.

    Only ids up to ``log_late.up_to_id`` qualify: a row without an entry above that was
    added behind archiver's back and stays unlogged, for ``verify`` to report. They are
    chained in the order they were captured, marked ``late``: the log vouches for them
    only from the moment they were chained.
    """
    pending = c.execute("SELECT ref_table, up_to_id FROM log_late WHERE chained_at IS NULL").fetchall()
    rows: list[tuple[str, str, int]] = []
    for item in pending:
        table = item["ref_table"]
        for r in c.execute(
            f"""SELECT t.id, t.{_TIME_FIELD[table]} AS at FROM {table} t
                WHERE t.id <= ? AND NOT EXISTS (SELECT 1 FROM log l WHERE l.ref_table = ? AND l.ref_id = t.id)""",
            (item["up_to_id"], table),
        ):
            if (table, int(r["id"])) not in exclude:
                rows.append((str(r["at"]), table, int(r["id"])))
    for _, table, ref_id in sorted(rows):
        row = read_row(c, table, ref_id)
        assert row is not None  # just selected, in this transaction
        _write_entries(c, table, [row], late=True)
    c.execute("UPDATE log_late SET chained_at = ? WHERE chained_at IS NULL", (utcnow(),))
    return len(rows)


def chain_late_now(conn: sqlite3.Connection) -> int:
    """chain_late in its own write transaction, if anything is pending."""
    if not conn.execute("SELECT 1 FROM log_late WHERE chained_at IS NULL LIMIT 1").fetchone():
        return 0
    conn.execute("BEGIN IMMEDIATE")
    try:
        n = chain_late(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return n

"""The tamper-evident log: every fact a reader is shown, hash-chained.

Each entry holds the SHA-256 of a row's canonical JSON (``content_sha256``) and the
SHA-256 of the entry before it (``prev_sha256``); its own ``entry_sha256`` covers both,
with its position and kind. An entry is appended inside the transaction that writes
its row, after ``BEGIN IMMEDIATE`` took the write lock, so concurrent writers (an
archive beside a sweep) see each other's last entry and the chain stays linear.

Rows written once (captures, status checks, events, blobs) get one entry. Rows whose
current state changes (a post's status and text, an article's title, a citation's
``removed_at``, an embed's ``last_seen_at``) get an entry when inserted and another, of the same kind, holding the
row as it then is, after every change: the row as it is now must match its last entry.

Only a fixed list of fields per kind is hashed, not ``SELECT *``: a column a later
migration adds must not change the hash of rows logged before it. A kind's fields
never change; a later version that must hash more adds a kind. Scheduling columns
(``next_check_at``, ``watched``) are the user's business, not evidence: not hashed.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..plumbing.db import utcnow
from . import keys

GENESIS = "0" * 64

Row = sqlite3.Row | Mapping[str, object]
Ref = int | str
"""A logged row's identity: its integer id, or for rows keyed otherwise its ``ref_key``."""

FIELDS: dict[str, tuple[str, ...]] = {
    "capture": (
        "id", "run_id", "post_id", "article_id", "kind", "captured_at", "sha256", "path", "mime", "bytes",
        "width", "height", "source_url", "source",
    ),
    # Version 6 records what checked a media file (ffprobe, Pillow) and a video's duration:
    # captures logged from then on hash those too.
    "capture_v2": (
        "id", "run_id", "post_id", "article_id", "kind", "captured_at", "sha256", "path", "mime", "bytes",
        "width", "height", "source_url", "source", "duration", "checked_as",
    ),
    # Version 16 records whether a capture was made with the user's own cookies (logged in).
    "capture_v3": (
        "id", "run_id", "post_id", "article_id", "kind", "captured_at", "sha256", "path", "mime", "bytes",
        "width", "height", "source_url", "source", "duration", "checked_as", "logged_in",
    ),
    "status_check": ("id", "post_id", "run_id", "checked_at", "status", "signals"),
    # Version 16: and whether a check was.
    "status_check_v2": ("id", "post_id", "run_id", "checked_at", "status", "signals", "logged_in"),
    "post": (
        "id", "platform", "native_id", "url", "author_handle", "author_name", "text", "lang", "created_at",
        "status", "quoted_post_id", "capture_complete", "first_archived_at", "last_checked_at",
        "content_fingerprint",
    ),
    # Version 14 records the post a post replies to: posts logged from then on hash it too.
    "post_v2": (
        "id", "platform", "native_id", "url", "author_handle", "author_name", "text", "lang", "created_at",
        "status", "quoted_post_id", "capture_complete", "first_archived_at", "last_checked_at",
        "content_fingerprint", "reply_to_post_id",
    ),
    "article": (
        "id", "url", "final_url", "title", "http_status", "content_type", "first_archived_at", "last_fetched_at",
    ),
    "citation": (
        "article_id", "post_id", "link", "form", "embed_text", "first_seen_at", "last_seen_at", "removed_at",
    ),
    "event": ("id", "run_id", "detected_at", "kind", "post_id", "article_id", "detail"),
    "blob": ("sha256", "path", "bytes", "mime", "created_at"),
    "timestamp": (
        "id", "tsa", "url", "head_seq", "head_sha256", "stated_at", "nonce", "requested_at", "response_sha256",
        "certs_sha256", "run_id",
    ),
    "wayback": ("id", "post_id", "run_id", "kind", "url", "snapshot_at", "recorded_at", "detail"),
    # Version 11: every embed seen in an article, with its placement (body or page).
    "seen_embed": (
        "id", "article_id", "link", "platform", "native_id", "form", "placement", "first_seen_at", "last_seen_at",
    ),
    # Version 13: where each citation sits in an article's page screenshot.
    "embed_region": (
        "id", "capture_id", "article_id", "post_id", "link", "x", "y", "width", "height", "element", "recorded_at",
    ),
}
"""The fields hashed, per kind of entry. Never change a kind's fields: add a kind."""

TABLE_OF = {
    "capture": "captures", "capture_v2": "captures", "capture_v3": "captures", "status_check": "status_checks",
    "status_check_v2": "status_checks", "post": "posts", "post_v2": "posts", "article": "articles",
    "citation": "article_posts", "event": "events", "blob": "blobs", "timestamp": "timestamps", "wayback": "wayback",
    "seen_embed": "seen_embeds", "embed_region": "embed_regions",
}
KINDS = {table: kind for kind, table in TABLE_OF.items()}
"""The kind new entries of each table are written as: the last kind listed for it."""
ONCE = frozenset({"capture", "capture_v2", "capture_v3", "status_check", "status_check_v2", "event", "blob", "timestamp",
                  "wayback", "embed_region"})
"""Kinds whose rows archiver never changes: exactly one entry each, checked as logged."""
KEYS: dict[str, tuple[str, ...]] = {"blobs": ("sha256",), "article_posts": ("article_id", "post_id", "link")}
"""Tables whose rows are not named by an integer ``id``: their entries name them by ``ref_key``."""
_TIME_FIELD = {
    "captures": "captured_at", "status_checks": "checked_at", "posts": "first_archived_at",
    "articles": "first_archived_at", "article_posts": "first_seen_at", "events": "detected_at", "blobs": "created_at",
    "seen_embeds": "first_seen_at", "embed_regions": "recorded_at",
}


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(value: object) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8 (``json.dumps`` with those options)."""
    return _ENCODER.encode(value).encode("utf-8")


def content_sha256(kind: str, row: Row) -> str:
    fields = {name: row[name] for name in FIELDS[kind]}
    return hashlib.sha256(canonical_json({"table": TABLE_OF[kind], "row": fields})).hexdigest()


def ref_of(table: str, row: Row) -> Ref:
    """How log entries name ``row``: its id, or its key as canonical JSON (a blob: its SHA-256)."""
    key = KEYS.get(table)
    if key is None:
        value = row["id"]
        if not isinstance(value, int):
            raise TypeError(f"{table} row id {value!r} is not an integer")
        return value
    if key == ("sha256",):
        return str(row["sha256"])
    return canonical_json([row[k] for k in key]).decode("utf-8")


def citation_ref(article_id: int, post_id: int, link: str) -> str:
    """How the log names a citation (an ``article_posts`` row)."""
    return canonical_json([article_id, post_id, link]).decode("utf-8")


def describe(table: str, ref: Ref) -> str:
    """``ref`` for a person: ``posts row 5``, ``article_posts row (article 1, post 3, <link>)``."""
    if table == "article_posts" and isinstance(ref, str):
        article_id, post_id, link = json.loads(ref)
        return f"{table} row (article {article_id}, post {post_id}, {link})"
    return f"{table} row {ref}"


@dataclass(frozen=True)
class Entry:
    seq: int
    kind: str
    ref_table: str
    ref_id: int | None
    logged_at: str
    late: bool
    content_sha256: str
    prev_sha256: str
    ref_key: str | None = None

    @property
    def ref(self) -> Ref:
        return self.ref_id if self.ref_id is not None else (self.ref_key or "")

    def digest(self) -> str:
        """This entry's ``entry_sha256``: the SHA-256 of ``canonical()``."""
        return hashlib.sha256(self.canonical()).hexdigest()

    def canonical(self) -> bytes:
        """The bytes ``digest()`` hashes: what an RFC 3161 request for this entry sends to be hashed."""
        fields: dict[str, object] = {
            "seq": self.seq,
            "kind": self.kind,
            "ref_table": self.ref_table,
            "ref_id": self.ref_id,
            "logged_at": self.logged_at,
            "late": int(self.late),
            "content_sha256": self.content_sha256,
            "prev_sha256": self.prev_sha256,
        }
        # Only where there is one: entries of rows named by id hash as they always did.
        if self.ref_key is not None:
            fields["ref_key"] = self.ref_key
        return canonical_json(fields)

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Entry:
        return cls(
            seq=int(row["seq"]),
            kind=row["kind"],
            ref_table=row["ref_table"],
            ref_id=None if row["ref_id"] is None else int(row["ref_id"]),
            logged_at=row["logged_at"],
            late=bool(row["late"]),
            content_sha256=row["content_sha256"],
            prev_sha256=row["prev_sha256"],
            ref_key=row["ref_key"],
        )


def _where(table: str) -> str:
    return " AND ".join(f"{k} = ?" for k in KEYS.get(table, ("id",)))


def _key_values(table: str, ref: Ref) -> tuple[object, ...]:
    if table not in KEYS or table == "blobs":
        return (ref,)
    assert isinstance(ref, str)
    return tuple(json.loads(ref))


def read_row(c: sqlite3.Connection, table: str, ref: Ref) -> sqlite3.Row | None:
    """The hashed fields of one row, as stored, named as its entries name it."""
    row: sqlite3.Row | None = c.execute(
        f"SELECT {', '.join(FIELDS[KINDS[table]])} FROM {table} WHERE {_where(table)}", _key_values(table, ref)
    ).fetchone()
    return row


def append_entry(c: sqlite3.Connection, table: str, ref: Ref) -> int:
    """Log one row just written; call inside the transaction that wrote it."""
    return log_rows(c, table, [ref])


def log_rows(c: sqlite3.Connection, table: str, refs: Iterable[Ref]) -> int:
    """Log rows just inserted or changed, as they now are; call inside the transaction."""
    rows = []
    for ref in refs:
        row = read_row(c, table, ref)
        if row is None:
            raise ValueError(f"{describe(table, ref)} does not exist")
        rows.append(row)
    return append_entries(c, table, rows)


def append_entries(c: sqlite3.Connection, table: str, rows: Sequence[Row]) -> int:
    """Log rows of ``table`` just inserted or changed, in order; call inside the transaction.

    Each row holds at least the fields of its kind, as stored. Returns the last entry's seq.
    """
    return append_mixed(c, [(table, row) for row in rows])


def append_mixed(c: sqlite3.Connection, items: Sequence[tuple[str, Row]]) -> int:
    """Log rows of several tables, in order: ``(table, row)``; call inside the transaction.

    The chain's end is looked up once for the lot, so a batch of checks costs one query,
    not one per row. Returns the last entry's seq.
    """
    if c.execute("SELECT 1 FROM log_late WHERE chained_at IS NULL LIMIT 1").fetchone():
        chain_late(c, exclude={(table, ref_of(table, row)) for table, row in items})
    return _write_entries(c, items, late=False)


def _write_entries(c: sqlite3.Connection, items: Sequence[tuple[str, Row]], *, late: bool) -> int:
    last = c.execute("SELECT seq, entry_sha256 FROM log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (int(last["seq"]), str(last["entry_sha256"])) if last else (0, GENESIS)
    if not items:
        return seq
    signer = keys.current_signer()
    if signer is not None:
        keys.register(c, signer, first_seq=seq + 1)
    logged_at = utcnow()
    values = []
    for table, row in items:
        seq += 1
        kind = KINDS[table]
        ref = ref_of(table, row)
        ref_id, ref_key = (ref, None) if isinstance(ref, int) else (None, ref)
        entry = Entry(seq, kind, table, ref_id, logged_at, late, content_sha256(kind, row), prev, ref_key)
        digest = entry.digest()
        signature = signer.sign(digest.encode("ascii")) if signer is not None else None
        values.append((seq, kind, table, ref_id, ref_key, logged_at, int(late), entry.content_sha256, prev, digest,
                       signer.key_id if signer is not None else None, signature))
        prev = digest
    c.executemany(
        """INSERT INTO log (seq, kind, ref_table, ref_id, ref_key, logged_at, late, content_sha256, prev_sha256,
                            entry_sha256, key_id, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        values,
    )
    return seq


def chain_late(c: sqlite3.Connection, exclude: Collection[tuple[str, Ref]] = ()) -> int:
    """Chain the rows an archive held before the log covered their table, once.

    ``log_late`` says, per table, up to which rowid rows predate the log (captures and
    status checks: schema version < 4; the other tables: < 5). A row without an entry
    above that was added behind archiver's back and stays unlogged, for ``verify`` to
    report. They are chained in the order they were written, marked ``late``: the log
    vouches for them only from the moment they were chained.
    """
    pending = c.execute("SELECT ref_table, up_to_id FROM log_late WHERE chained_at IS NULL").fetchall()
    found: list[tuple[str, str, int, sqlite3.Row]] = []
    for item in pending:
        table = item["ref_table"]
        logged = {
            r[0] for r in c.execute(
                f"SELECT {'ref_id' if table not in KEYS else 'ref_key'} FROM log WHERE ref_table = ?", (table,)
            )
        }
        for r in c.execute(
            f"SELECT rowid AS rowid_, {_TIME_FIELD[table]} AS at_, {', '.join(FIELDS[KINDS[table]])} FROM {table} "
            "WHERE rowid <= ?",
            (item["up_to_id"],),
        ):
            ref = ref_of(table, r)
            if ref not in logged and (table, ref) not in exclude:
                found.append((str(r["at_"]), table, int(r["rowid_"]), r))
    found.sort(key=lambda f: f[:3])
    _write_entries(c, [(table, row) for _, table, _, row in found], late=True)
    c.execute("UPDATE log_late SET chained_at = ? WHERE chained_at IS NULL", (utcnow(),))
    return len(found)


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

"""Reading the archive: what vanished lately, one post's timeline."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import NotInArchive
from .schedule import format_time, parse_duration


def deleted_since(conn: sqlite3.Connection, since: str) -> list[dict[str, object]]:
    """Posts found deleted or unavailable within ``since`` (``7d``, ``12h``), newest first.

    Both those that turned while watched (an event) and those already gone when first archived.
    """
    cutoff = format_time(datetime.now(timezone.utc) - parse_duration(since))
    rows = conn.execute(
        """WITH found AS (
               SELECT e.post_id, e.detected_at, e.kind FROM events e
               WHERE e.kind IN ('deleted', 'unavailable') AND e.detected_at >= :cutoff
               UNION ALL
               SELECT p.id, p.first_archived_at, p.status FROM posts p
               WHERE p.first_archived_at >= :cutoff AND p.status IN ('deleted', 'unavailable')
                 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.post_id = p.id AND e.kind = p.status)
           )
           SELECT f.detected_at, f.kind, p.url, p.platform, p.native_id, p.author_handle, p.status, p.text,
                  (SELECT group_concat(a.url, ' ') FROM article_posts ap JOIN articles a ON a.id = ap.article_id
                   WHERE ap.post_id = p.id) AS cited_by
           FROM found f JOIN posts p ON p.id = f.post_id
           ORDER BY f.detected_at DESC""",
        {"cutoff": cutoff},
    )
    return [dict(r) for r in rows]


@dataclass
class TimelineEntry:
    at: str
    what: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"at": self.at, "what": self.what, "detail": self.detail}


def find_post(conn: sqlite3.Connection, post: str) -> sqlite3.Row:
    """A post by its URL (its canonical URL, or any URL of it an installed platform
    recognises), by ``PLATFORM:ID``, or by its platform's id alone when only one
    platform has a post of that id."""
    from .platforms import post_ref

    text = post.strip()
    row: sqlite3.Row | None = conn.execute("SELECT * FROM posts WHERE url = ? LIMIT 1", (text,)).fetchone()
    ref = post_ref(text) if row is None else None
    if ref is not None:
        row = conn.execute(
            "SELECT * FROM posts WHERE platform = ? AND native_id = ?", (ref.platform, ref.native_id)
        ).fetchone()
    elif row is None:
        platform, sep, native_id = text.partition(":")
        if sep:
            row = conn.execute(
                "SELECT * FROM posts WHERE platform = ? AND native_id = ?", (platform, native_id)
            ).fetchone()
        if row is None and "://" not in text:
            rows = conn.execute("SELECT * FROM posts WHERE native_id = ? LIMIT 2", (text,)).fetchall()
            if len(rows) > 1:
                raise NotInArchive(f"{post}: posts of several platforms have this id: give its URL or PLATFORM:ID")
            row = rows[0] if rows else None
    if row is None:
        raise NotInArchive(f"{post}: not in the archive")
    return row


def history(conn: sqlite3.Connection, post: str) -> tuple[sqlite3.Row, list[TimelineEntry]]:
    """Every check, capture and change of one post, oldest first."""
    row = find_post(conn, post)
    entries: list[TimelineEntry] = []
    for check in conn.execute("SELECT * FROM status_checks WHERE post_id = ?", (row["id"],)):
        entries.append(
            TimelineEntry(check["checked_at"], f"check: {check['status']}{_pending(check['signals'])}",
                          _signals(check["signals"]) + _logged_in(check))
        )
    for capture in conn.execute("SELECT * FROM captures WHERE post_id = ?", (row["id"],)):
        size = f" {capture['width']}x{capture['height']}" if capture["width"] else ""
        entries.append(TimelineEntry(capture["captured_at"], f"capture: {capture['kind']}",
                                     f"{capture['path']}{size}{_logged_in(capture)}"))
    for event in conn.execute("SELECT * FROM events WHERE post_id = ?", (row["id"],)):
        entries.append(TimelineEntry(event["detected_at"], f"change: {event['kind']}", event["detail"] or ""))
    entries += outside_of_archive(conn, int(row["id"]))
    entries.sort(key=lambda e: e.at)
    return row, entries


def outside_of_archive(conn: sqlite3.Connection, post_id: int) -> list[TimelineEntry]:
    """Trusted time beside the archive's own: the earliest RFC 3161 timestamp covering the
    post's captures and checks (as stated; ``verify`` checks the tokens); Wayback copies."""
    from .evidence.timestamps import covered

    found: dict[int, tuple[str, str, int, list[str]]] = {}
    for table, noun in (("captures", "capture"), ("status_checks", "check")):
        ids = [int(r[0]) for r in conn.execute(f"SELECT id FROM {table} WHERE post_id = ?", (post_id,))]
        for ref, c in sorted(covered(conn, table, ids).items()):
            found.setdefault(c.timestamp_id, (c.no_later_than, c.tsa, c.head_seq, []))[3].append(f"{noun} {ref}")
    entries = [
        TimelineEntry(at, f"trusted time: {tsa}",
                      f"RFC 3161 timestamp {stamp_id} of log #{head_seq}: {', '.join(items)} existed by then")
        for stamp_id, (at, tsa, head_seq, items) in found.items()
    ]
    for w in conn.execute("SELECT * FROM wayback WHERE post_id = ?", (post_id,)):
        entries.append(TimelineEntry(w["snapshot_at"] or w["recorded_at"], f"wayback: {w['kind']}", w["url"]))
    return entries


def _logged_in(row: sqlite3.Row) -> str:
    """What a check or capture made with the user's own cookies says of it."""
    return f" (logged in: the user's {row['logged_in']} cookies)" if row["logged_in"] else ""


def _pending(raw: str) -> str:
    """How a check's loss stood: pending until a later check confirms it, or confirmed."""
    try:
        signals = json.loads(raw)
    except ValueError:
        return ""
    pending, confirmed = signals.get("pending"), signals.get("confirmed")
    if isinstance(pending, dict):
        return f" (change pending: {pending.get('status')} once a check at {pending.get('confirm_at')} or later confirms it)"
    if isinstance(confirmed, dict):
        return f" (confirmed: {confirmed.get('status')} since {confirmed.get('pending_since')})"
    return ""


def _signals(raw: str) -> str:
    try:
        signals = json.loads(raw)
    except ValueError:
        return raw
    return ", ".join(
        f"{source} {s.get('status') or s.get('error') or '-'} ({s.get('says')})"
        for source, s in signals.items()
        if isinstance(s, dict) and source not in ("pending", "confirmed")
    )

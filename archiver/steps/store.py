"""Writing what a run captured: runs, articles, posts, links, exchanges, captures.

Files are in the blob store before any row names them; a post's rows are written
in one transaction, so a run killed at any moment leaves either all or none. A file
whose transaction failed is settled (recorded or removed, ``settle``) when the store
closes, or by the next store to open if this process died first.
"""

from __future__ import annotations

import json
import platform as platform_module
import sqlite3
import sys
import threading
from collections.abc import Iterator
from typing import Any, Protocol
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from .. import __version__
from ..plumbing.blobs import Blob, BlobStore
from ..plumbing.blobstores import open_storage
from .changes import GONE, content_change, status_transition
from .regions import Region
from ..config import Settings
from ..plumbing.db import connect, open_db, utcnow
from ..evidence import phash
from ..evidence.chain import (
    FIELDS, KINDS, Row, append_entries, append_entry, append_mixed, citation_ref, log_rows,
)
from ..plumbing.net import Exchange
from ..plumbing.storage_errors import store_error
from ..schedule import Schedule, format_time, parse_time
from .thumbnails import Thumbnail, record_thumbnail


@dataclass
class Citation:
    post_id: int
    link: str
    form: str
    embed_text: str | None


@dataclass
class Seen:
    """An embed the finder saw in an article (a ``seen_embeds`` row): where it sits, and
    its post's id when known (from its link, or from following it)."""

    link: str
    platform: str
    native_id: str | None
    form: str
    placement: str


@dataclass
class Check:
    post_id: int
    status: str
    signals: dict[str, object]
    checked_at: str
    confirm_after: float = 0.0
    """Seconds a loss waits for its confirming check (the platform's; 0: none)."""
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, the check was made with (None: none)."""


@dataclass(frozen=True)
class Settled:
    """What a verdict does to a post once pending losses are taken into account."""

    status: str
    """The status the post keeps."""
    moved: str | None
    """The event it makes (deleted, unavailable, restored), if any."""
    signals: dict[str, object]
    """The check's signals, with the pending or confirmed loss noted."""
    due: str | None = None
    """When the confirming check is due, for a loss still pending."""


@dataclass
class Event:
    kind: str
    post_id: int | None
    article_id: int | None
    detail: dict[str, object]


@dataclass
class CaptureFile:
    kind: str
    blob: Blob
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    source_url: str | None = None
    source: str | None = None
    thumbnail: Thumbnail | None = None  # made before saving, so Pillow never holds the write lock
    dhash: str | None = None
    """The image's perceptual hash, when it was made with the thumbnail (else the run's end makes it)."""
    duration: float | None = None
    """Seconds, for a video or audio file (as ffprobe read it)."""
    checked_as: str | None = None
    """JSON: how a media file was checked and what it was found to be (archiver.steps.media)."""
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, went with the requests it came from
    (``archive --cookies``); None: made without them."""


POST_FIELDS = ", ".join(FIELDS[KINDS["posts"]])


class Store:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.schedule = Schedule.parse(settings.schedule)
        self.blobs = BlobStore(settings.data_dir, lookup=self._recorded_path, storage=open_storage(settings))
        self._lookup_conn: sqlite3.Connection | None = None
        self._lookup_lock = threading.Lock()
        self._pending_exchanges: list[tuple[int, str, Exchange]] = []
        self._registered: list[str] = []
        self._depth = 0
        """Transactions open, the outermost included (0: none)."""
        self.conn = open_db(settings.db_path)
        try:
            self.blobs.clean_tmp()
            self.settle_abandoned()
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        settled = False
        try:
            self.flush()
            self.settle(self.blobs.unconfirmed())
            settled = True
        finally:
            # Unsettled (a full disk, say): the journal stays for the next store to settle.
            self.blobs.close(settled=settled)
            if self._lookup_conn is not None:
                self._lookup_conn.close()
            self.conn.close()

    def _recorded_path(self, sha256: str) -> str | None:
        """Where the archive's file of ``sha256`` is, by its ``blobs`` row (from any thread)."""
        with self._lookup_lock:
            if self._lookup_conn is None:
                self._lookup_conn = connect(self.settings.db_path, readonly=True, any_thread=True)
            row = self._lookup_conn.execute("SELECT path FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
        return str(row[0]) if row else None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. Inside another, it is part of that one: the catalogue writer
        (archiver.distributed) writes everything a queued task brought back at once."""
        if self._depth:
            self._depth += 1
            try:
                yield self.conn
            finally:
                self._depth -= 1
            return
        # IMMEDIATE takes the write lock up front, so a concurrent writer waits on the
        # busy timeout instead of failing half-way with SQLITE_BUSY.
        pending, self._pending_exchanges = self._pending_exchanges, []
        # Deferred files first: every row about to be written may point at one of them.
        try:
            self.blobs.sync()
        except BaseException:
            self._pending_exchanges[:0] = pending
            raise
        self._registered = []
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            self._write_exchanges(self.conn, pending)
            self._depth = 1
            try:
                yield self.conn
            finally:
                self._depth = 0
            self.conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (a full disk) may have rolled back already.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            self._pending_exchanges[:0] = pending
            raise
        finally:
            registered, self._registered = self._registered, []
        self.blobs.confirm(registered)

    # settling files ---------------------------------------------------------------------
    def settle(self, files: list[Blob]) -> None:
        """Leave no file without its row: each of ``files`` (placed, perhaps by a process
        that died, before a transaction that may have failed) is recorded in ``blobs`` if
        no row names its hash, or removed if the row names another file of the same
        bytes (then no row can ever name this one). Either way ``verify`` finds it clean."""
        if not files:
            return
        duplicates: list[Blob] = []
        with self.transaction() as c:
            for blob in files:
                if self.blobs.storage.size(blob.path) is None:
                    continue  # never linked (the process died first), or removed already
                row = c.execute("SELECT path FROM blobs WHERE sha256 = ?", (blob.sha256,)).fetchone()
                if row is None:
                    self._register_blob(c, blob)
                elif (
                    row["path"] != blob.path
                    and self.blobs.storage.size(row["path"]) is not None
                    and not self._names_file(c, blob)
                ):
                    duplicates.append(blob)
        for blob in duplicates:
            try:
                self.blobs.remove(blob)
            except OSError as e:
                raise store_error(e, self.blobs.root / blob.path) from e

    @staticmethod
    def _names_file(c: sqlite3.Connection, blob: Blob) -> bool:
        """Whether a capture or thumbnail row names this very file (an archive from before
        one file per hash may have two files of a hash, each named by a capture)."""
        return any(
            c.execute(f"SELECT 1 FROM {table} WHERE sha256 = ? AND path = ? LIMIT 1", (blob.sha256, blob.path)).fetchone()
            for table in ("captures", "thumbnails")
        )

    def settle_abandoned(self) -> None:
        """Settle the files noted by runs that ended (crashed, killed) before settling them."""
        for journal in self.blobs.abandoned():
            settled = False
            try:
                self.settle(journal.blobs)
                settled = True
            finally:
                self.blobs.release(journal, settled=settled)

    # runs ---------------------------------------------------------------------------
    def start_run(self, command: str) -> int:
        proxy_host = urlsplit(self.settings.proxy).hostname if self.settings.proxy else None
        with self.transaction() as c:
            cursor = c.execute(
                """INSERT INTO runs (command, started_at, archiver_version, python_version, os, user_agent, proxy_host)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (
                    command,
                    utcnow(),
                    __version__,
                    sys.version.split()[0],
                    platform_module.platform(),
                    self.settings.user_agent,
                    proxy_host,
                ),
            )
            return int(cursor.lastrowid or 0)

    def set_browser(self, run_id: int, version: str | None, user_agent: str | None) -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE runs SET browser_version = ?, browser_user_agent = ? WHERE id = ?",
                (version, user_agent, run_id),
            )

    def add_run_tool(self, run_id: int, tool: str) -> None:
        """Note an outside tool the run used, with its version (``yt-dlp 2026.11.23``)."""
        name = tool.split(" ", 1)[0]
        with self.transaction() as c:
            row = c.execute("SELECT tools FROM runs WHERE id = ?", (run_id,)).fetchone()
            tools = json.loads(row[0]) if row and row[0] else {}
            if tools.get(name) == tool:
                return
            tools[name] = tool
            c.execute("UPDATE runs SET tools = ? WHERE id = ?", (json.dumps(tools, sort_keys=True), run_id))

    def finish_run(self, run_id: int) -> None:
        with self.transaction() as c:
            c.execute("UPDATE runs SET finished_at = ? WHERE id = ?", (utcnow(), run_id))

    # blobs and exchanges --------------------------------------------------------------
    def _register_blob(self, c: sqlite3.Connection, blob: Blob) -> Blob:
        """List a file, once, and log it when it is new; returns the blob as listed (see
        ``_insert_blob``)."""
        listed, row = self._insert_blob(c, blob)
        if row is not None:
            append_entries(c, "blobs", [row])
        return listed

    def _insert_blob(self, c: sqlite3.Connection, blob: Blob) -> tuple[Blob, dict[str, object] | None]:
        """List a file unless listed; the blob as listed, and the new row (for the caller to
        log) or None. A hash has one file, and a row that names a file names that one, even
        if these bytes were placed again under another name (another content type) by a
        run racing this one."""
        row: dict[str, object] = {
            "sha256": blob.sha256, "path": blob.path, "bytes": blob.bytes, "mime": blob.mime, "created_at": utcnow(),
        }
        cursor = c.execute(
            "INSERT OR IGNORE INTO blobs (sha256, path, bytes, mime, created_at) VALUES (?, ?, ?, ?, ?)",
            (row["sha256"], row["path"], row["bytes"], row["mime"], row["created_at"]),
        )
        if cursor.rowcount == 1:
            self._registered.append(blob.path)
            return blob, row
        listed = c.execute("SELECT path FROM blobs WHERE sha256 = ?", (blob.sha256,)).fetchone()
        if listed is not None and listed["path"] != blob.path:
            blob = replace(blob, path=str(listed["path"]))
        self._registered.append(blob.path)
        return blob, None

    def record_exchange(self, run_id: int, client: str, exchange: Exchange) -> None:
        """Queue an exchange row; queued rows ride along with the next transaction.

        One transaction (and fsync) per response would cap a sweep at a few hundred
        requests a second. A body's file is durable before the row is written (deferred
        files are synced first); a kill loses at most the queued rows, never a file or
        a row pointing at no file.
        """
        self._pending_exchanges.append((run_id, client, exchange))
        if len(self._pending_exchanges) >= 500:
            self.flush()

    def add_exchanges(self, c: sqlite3.Connection, run_id: int, exchanges: list[tuple[str, Exchange]]) -> None:
        """Write exchanges (client, exchange) now, in the caller's transaction ``c``."""
        self._write_exchanges(c, [(run_id, client, exchange) for client, exchange in exchanges])

    def flush(self) -> None:
        if self._pending_exchanges:
            with self.transaction():
                pass

    def _write_exchanges(self, c: sqlite3.Connection, pending: list[tuple[int, str, Exchange]]) -> None:
        new_blobs = [row for _, _, exchange in pending if exchange.blob is not None
                     if (row := self._insert_blob(c, exchange.blob)[1]) is not None]
        append_entries(c, "blobs", new_blobs)
        c.executemany(
            """INSERT INTO exchanges (run_id, client, url, method, status, headers, started_at, sha256, bytes,
                                      logged_in)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (
                    run_id,
                    client,
                    exchange.url,
                    exchange.method,
                    exchange.status,
                    json.dumps(exchange.headers),
                    exchange.started_at,
                    exchange.blob.sha256 if exchange.blob else None,
                    exchange.blob.bytes if exchange.blob else None,
                    exchange.logged_in,
                )
                for run_id, client, exchange in pending
            ],
        )

    def _add_capture(
        self,
        c: sqlite3.Connection,
        run_id: int,
        capture: CaptureFile,
        *,
        post_id: int | None = None,
        article_id: int | None = None,
    ) -> int:
        blob = self._register_blob(c, capture.blob)
        cursor = c.execute(
            """INSERT INTO captures (run_id, post_id, article_id, kind, captured_at, sha256, path, mime, bytes,
                                     width, height, source_url, source, duration, checked_as, logged_in)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (
                run_id,
                post_id,
                article_id,
                capture.kind,
                utcnow(),
                blob.sha256,
                blob.path,
                capture.mime or blob.mime,
                blob.bytes,
                capture.width,
                capture.height,
                capture.source_url,
                capture.source,
                capture.duration,
                capture.checked_as,
                capture.logged_in,
            ),
        )
        capture_id = int(cursor.lastrowid or 0)
        append_entry(c, "captures", capture_id)
        thumbnail = capture.thumbnail
        if thumbnail is not None:
            # Logged here; record_thumbnail finds it listed.
            thumbnail = replace(thumbnail, blob=self._register_blob(c, thumbnail.blob))
        record_thumbnail(c, capture_id, thumbnail)
        if capture.dhash is not None:
            phash.record(c, capture.blob.sha256, capture.dhash)
        return capture_id

    # articles -----------------------------------------------------------------------
    def save_article(
        self,
        run_id: int,
        url: str,
        *,
        final_url: str | None,
        title: str | None,
        http_status: int | None,
        content_type: str | None,
        captures: list[CaptureFile],
    ) -> tuple[int, bool]:
        """Record a fetch of an article; returns its id and whether it is new: no citations of
        it were ever recorded (a run that ended before recording them left it new)."""
        now = utcnow()
        with self.transaction() as c:
            row = c.execute(
                "SELECT id, first_archived_at, citations_at FROM articles WHERE url = ?", (url,)
            ).fetchone()
            if row:
                article_id = int(row["id"])
                c.execute(
                    """UPDATE articles SET final_url = ?, title = coalesce(?, title), http_status = ?,
                       content_type = ?, last_fetched_at = ?, next_check_at = ? WHERE id = ?""",
                    (final_url, title, http_status, content_type, now, self._next_check(row["first_archived_at"]),
                     article_id),
                )
            else:
                cursor = c.execute(
                    """INSERT INTO articles (url, final_url, title, http_status, content_type,
                                             first_archived_at, last_fetched_at, next_check_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    (url, final_url, title, http_status, content_type, now, now, self._next_check(now)),
                )
                article_id = int(cursor.lastrowid or 0)
            append_entry(c, "articles", article_id)
            for capture in captures:
                self._add_capture(c, run_id, capture, article_id=article_id)
        return article_id, row is None or row["citations_at"] is None

    def last_article_sha256(self, url: str) -> str | None:
        row = self.conn.execute(
            """SELECT c.sha256 FROM captures c JOIN articles a ON a.id = c.article_id
               WHERE a.url = ? AND c.kind = 'html' ORDER BY c.id DESC LIMIT 1""",
            (url,),
        ).fetchone()
        return row[0] if row else None

    def add_article_captures(self, run_id: int, article_id: int, captures: list[CaptureFile]) -> list[int]:
        """Store an article's captures; their ids, in order."""
        with self.transaction() as c:
            return [self._add_capture(c, run_id, capture, article_id=article_id) for capture in captures]

    def add_regions(self, capture_id: int, article_id: int, regions: list[Region]) -> None:
        """Record where each citation sits in the article's page screenshot ``capture_id``;
        each row logged once. A citation with no row (none yet, or a run that ended first)
        gets no region: the box is only ever recorded beside the citation it belongs to."""
        if not regions:
            return
        now = utcnow()
        with self.transaction() as c:
            written: list[int] = []
            for region in regions:
                if c.execute(
                    "SELECT 1 FROM article_posts WHERE article_id = ? AND post_id = ? AND link = ?",
                    (article_id, region.post_id, region.link),
                ).fetchone() is None:
                    continue
                box = region.box
                cursor = c.execute(
                    """INSERT OR IGNORE INTO embed_regions (capture_id, article_id, post_id, link, x, y, width, height,
                                                            element, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (capture_id, article_id, region.post_id, region.link, box.x, box.y, box.width, box.height,
                     region.element, now),
                )
                if cursor.rowcount:
                    written.append(int(cursor.lastrowid or 0))
            log_rows(c, "embed_regions", written)

    def update_citations(
        self,
        run_id: int,
        article_id: int,
        *,
        new_article: bool,
        found_links: set[str],
        cited: list[Citation],
        platforms: set[str] | None = None,
    ) -> list[Event]:
        """Bring an article's citations up to date with what its page shows now.

        A citation whose link is no longer on the page is marked removed, never deleted;
        one whose link is on the page but whose post could not be resolved this time
        stays as it was. ``platforms``: the platforms that looked (those installed); a
        citation of a post on another platform is left as it was, unseen, not removed.
        """
        now = utcnow()
        events: list[Event] = []
        written: list[str] = []
        with self.transaction() as c:
            known = {
                (r["post_id"], r["link"]): r
                for r in c.execute(
                    """SELECT ap.*, p.platform FROM article_posts ap JOIN posts p ON p.id = ap.post_id
                       WHERE ap.article_id = ?""",
                    (article_id,),
                )
            }
            for citation in cited:
                row = known.get((citation.post_id, citation.link))
                if row is None:
                    c.execute(
                        """INSERT INTO article_posts (article_id, post_id, link, form, embed_text, first_seen_at,
                                                      last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                        (article_id, citation.post_id, citation.link, citation.form, citation.embed_text, now, now),
                    )
                    written.append(citation_ref(article_id, citation.post_id, citation.link))
                    if not new_article and not any(pid == citation.post_id for pid, _ in known):
                        events.append(Event("embed_added", citation.post_id, article_id, {"link": citation.link}))
                    continue
                c.execute(
                    """UPDATE article_posts SET last_seen_at = ?, removed_at = NULL
                       WHERE article_id = ? AND post_id = ? AND link = ?""",
                    (now, article_id, citation.post_id, citation.link),
                )
                written.append(citation_ref(article_id, citation.post_id, citation.link))
                if row["removed_at"] is not None:
                    events.append(Event("embed_returned", citation.post_id, article_id, {"link": citation.link}))
            for (post_id, link), row in known.items():
                unseen = platforms is not None and row["platform"] not in platforms
                if row["removed_at"] is None and link not in found_links and not unseen:
                    c.execute(
                        "UPDATE article_posts SET removed_at = ? WHERE article_id = ? AND post_id = ? AND link = ?",
                        (now, article_id, post_id, link),
                    )
                    written.append(citation_ref(article_id, post_id, link))
                    events.append(Event("embed_removed", post_id, article_id, {"link": link}))
            log_rows(c, "article_posts", dict.fromkeys(written))
            c.execute("UPDATE articles SET citations_at = ? WHERE id = ?", (now, article_id))
            self._add_events(c, run_id, now, events)
        return events

    def record_seen(self, article_id: int, seen: list[Seen]) -> None:
        """Record what the article's page shows now: each embed, body or page, first seen
        or seen again (``last_seen_at``; a post id learnt since is kept). Logged like any row."""
        now = utcnow()
        with self.transaction() as c:
            written: list[int] = []
            for embed in {(s.link, s.form, s.placement): s for s in seen}.values():
                row = c.execute(
                    "SELECT id, native_id FROM seen_embeds WHERE article_id = ? AND link = ? AND form = ? AND placement = ?",
                    (article_id, embed.link, embed.form, embed.placement),
                ).fetchone()
                if row is None:
                    cursor = c.execute(
                        """INSERT INTO seen_embeds (article_id, link, platform, native_id, form, placement,
                                                    first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                        (article_id, embed.link, embed.platform, embed.native_id, embed.form, embed.placement, now, now),
                    )
                    written.append(int(cursor.lastrowid or 0))
                    continue
                c.execute(
                    "UPDATE seen_embeds SET last_seen_at = ?, native_id = coalesce(?, native_id) WHERE id = ?",
                    (now, embed.native_id, row["id"]),
                )
                written.append(int(row["id"]))
            log_rows(c, "seen_embeds", written)

    def unwatch(self, url: str) -> bool:
        with self.transaction() as c:
            cursor = c.execute("UPDATE articles SET watched = 0, next_check_at = NULL WHERE url = ?", (url,))
            return cursor.rowcount > 0

    def _add_status_check(
        self, c: sqlite3.Connection, post_id: int, run_id: int, checked_at: str, status: str, signals: dict[str, object],
        logged_in: str | None = None,
    ) -> int:
        check_id, row = self._insert_status_check(c, post_id, run_id, checked_at, status, signals, logged_in)
        append_entries(c, "status_checks", [row])
        return check_id

    def _insert_status_check(
        self, c: sqlite3.Connection, post_id: int, run_id: int, checked_at: str, status: str, signals: dict[str, object],
        logged_in: str | None = None,
    ) -> tuple[int, dict[str, object]]:
        """Insert a check without logging it; the caller logs the row in the same transaction."""
        row: dict[str, object] = {
            "post_id": post_id, "run_id": run_id, "checked_at": checked_at, "status": status,
            "signals": json.dumps(signals), "logged_in": logged_in,
        }
        cursor = c.execute(
            "INSERT INTO status_checks (post_id, run_id, checked_at, status, signals, logged_in) VALUES (?, ?, ?, ?, ?, ?)",
            (post_id, run_id, checked_at, status, row["signals"], logged_in),
        )
        check_id = int(cursor.lastrowid or 0)
        row["id"] = check_id
        return check_id, row

    def _add_events(self, c: sqlite3.Connection, run_id: int, now: str, events: list[Event]) -> None:
        append_entries(c, "events", [self._insert_event(c, run_id, now, e) for e in events])

    def _insert_event(self, c: sqlite3.Connection, run_id: int, now: str, e: Event) -> dict[str, object]:
        """Insert an event without logging it; the row, for the caller to log in the same transaction."""
        row: dict[str, object] = {
            "run_id": run_id, "detected_at": now, "kind": e.kind, "post_id": e.post_id, "article_id": e.article_id,
            "detail": json.dumps(e.detail),
        }
        cursor = c.execute(
            "INSERT INTO events (run_id, detected_at, kind, post_id, article_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, now, e.kind, e.post_id, e.article_id, row["detail"]),
        )
        row["id"] = int(cursor.lastrowid or 0)
        return row

    def _next_check(self, first_archived_at: str, due: str | None = None) -> str:
        scheduled = self.schedule.next_check(first_archived_at, datetime.now(timezone.utc))
        # A pending loss is checked again when it can be confirmed, if that comes sooner.
        return min(scheduled, due) if due is not None else scheduled

    def _settle(
        self, c: sqlite3.Connection, post_id: int, previous: str, new: str, signals: dict[str, object],
        confirm_after: float, now: str,
    ) -> Settled:
        """A verdict against the post's status: ``unknown`` overturns nothing; a loss
        (live to deleted or unavailable) on a platform whose answers lag waits for a
        second check ``confirm_after`` seconds after the first that saw it."""
        if new == "unknown":
            return Settled(previous, None, signals)
        moved = status_transition(previous, new)
        if confirm_after <= 0 or previous != "live" or new not in GONE:
            return Settled(new, moved, signals)
        since = now
        for row in c.execute(
            "SELECT status, checked_at FROM status_checks WHERE post_id = ? AND status != 'unknown' "
            "ORDER BY id DESC LIMIT 200",
            (post_id,),
        ):
            if row["status"] != new:
                break
            since = row["checked_at"]
        confirm_at = format_time(parse_time(since) + timedelta(seconds=confirm_after))
        if since != now and now >= confirm_at:
            return Settled(new, moved, {**signals, "confirmed": {"status": new, "pending_since": since}})
        pending = {"status": new, "since": since, "confirm_at": confirm_at}
        return Settled(previous, None, {**signals, "pending": pending}, confirm_at)

    # links ---------------------------------------------------------------------------
    def known_link(self, url: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM links WHERE url = ? AND final_url IS NOT NULL", (url,)
        ).fetchone()
        return row

    def save_link(self, url: str, final_url: str | None, hops: list[dict[str, object]], error: str | None) -> None:
        with self.transaction() as c:
            c.execute(
                """INSERT INTO links (url, final_url, hops, resolved_at, error) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (url) DO UPDATE SET final_url = excluded.final_url, hops = excluded.hops,
                   resolved_at = excluded.resolved_at, error = excluded.error""",
                (url, final_url, json.dumps(hops), utcnow(), error),
            )

    # posts ---------------------------------------------------------------------------
    def record_checks(self, run_id: int, checks: list[Check]) -> list[Event]:
        """Record many checks that captured nothing new, in one transaction.

        Each updates only current-state fields; a verdict that turned over makes an event.
        """
        now = utcnow()
        events: list[Event] = []
        with self.transaction() as c:
            # Each check, the post as it now is, each event: logged together, one lookup of the chain's end.
            logged: list[tuple[str, Row]] = []
            for check in checks:
                row = c.execute(
                    "SELECT status, first_archived_at FROM posts WHERE id = ?", (check.post_id,)
                ).fetchone()
                if row is None:
                    continue
                settled = self._settle(c, check.post_id, row["status"], check.status, check.signals,
                                       check.confirm_after, check.checked_at)
                post = c.execute(
                    f"""UPDATE posts SET status = ?, last_checked_at = ?, next_check_at = ? WHERE id = ?
                        RETURNING {POST_FIELDS}""",
                    (settled.status, check.checked_at, self._next_check(row["first_archived_at"], settled.due),
                     check.post_id),
                ).fetchall()[0]
                logged.append(
                    ("status_checks",
                     self._insert_status_check(c, check.post_id, run_id, check.checked_at, check.status,
                                               settled.signals, check.logged_in)[1])
                )
                logged.append(("posts", post))
                moved = settled.moved
                if moved:
                    event = Event(moved, check.post_id, None, {"from": row["status"], "to": check.status})
                    events.append(event)
                    logged.append(("events", self._insert_event(c, run_id, now, event)))
            append_mixed(c, logged)
        return events

    def due_posts(self, now: str | None, limit: int | None) -> list[sqlite3.Row]:
        """Posts to check, most overdue first; ``now`` None means every post."""
        return self._due("SELECT * FROM posts WHERE 1", now, limit)

    def due_articles(self, now: str | None, limit: int | None) -> list[sqlite3.Row]:
        """Watched articles to fetch again, most overdue first; ``now`` None means all of them."""
        return self._due("SELECT * FROM articles WHERE watched = 1", now, limit)

    def _due(self, select: str, now: str | None, limit: int | None) -> list[sqlite3.Row]:
        params: list[object] = []
        if now is not None:
            select += " AND (next_check_at IS NULL OR next_check_at <= ?)"
            params.append(now)
        select += " ORDER BY next_check_at IS NOT NULL, next_check_at, id"
        if limit is not None:
            select += " LIMIT ?"
            params.append(limit)
        return list(self.conn.execute(select, params))

    def posts_by_id(self, ids: list[int]) -> list[sqlite3.Row]:
        """The posts rows of ``ids``, in that order (ids without a row are skipped)."""
        found: dict[int, sqlite3.Row] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ", ".join("?" * len(chunk))
            for row in self.conn.execute(f"SELECT * FROM posts WHERE id IN ({marks})", chunk):
                found[int(row["id"])] = row
        return [found[i] for i in ids if i in found]

    def was_live(self, platform: str, native_id: str) -> bool:
        """Whether the post was ever checked live (a status check says so)."""
        row = self.conn.execute(
            """SELECT 1 FROM status_checks c JOIN posts p ON p.id = c.post_id
               WHERE p.platform = ? AND p.native_id = ? AND c.status = 'live' LIMIT 1""",
            (platform, native_id),
        ).fetchone()
        return row is not None

    def get_post(self, platform: str, native_id: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(
            "SELECT * FROM posts WHERE platform = ? AND native_id = ?", (platform, native_id)
        ).fetchone()
        return row

    def save_post(
        self,
        run_id: int,
        *,
        platform: str,
        native_id: str,
        url: str,
        status: str,
        signals: dict[str, object],
        complete: bool,
        fingerprint: str | None = None,
        author_handle: str | None = None,
        author_name: str | None = None,
        text: str | None = None,
        lang: str | None = None,
        created_at: str | None = None,
        quoted_post_id: int | None = None,
        reply_to_post_id: int | None = None,
        captures: list[CaptureFile],
        confirm_after: float = 0.0,
        logged_in: str | None = None,
    ) -> int:
        """Insert or update a post's current state, record the check, add its captures: atomically.

        What a post once showed is never blanked: a post that is gone keeps the author
        and text of its live copy, and an ``unknown`` check never overturns an earlier
        verdict — it is recorded in ``status_checks`` only.
        """
        now = utcnow()
        with self.transaction() as c:
            row = c.execute(
                """SELECT id, status, first_archived_at, content_fingerprint, text FROM posts
                   WHERE platform = ? AND native_id = ?""",
                (platform, native_id),
            ).fetchone()
            next_check_at = self._next_check(row["first_archived_at"] if row else now)
            events: list[Event] = []
            if row:
                post_id = int(row["id"])
                settled = self._settle(c, post_id, row["status"], status, signals, confirm_after, now)
                signals = settled.signals
                next_check_at = self._next_check(row["first_archived_at"], settled.due)
                moved = settled.moved
                if moved:
                    events.append(Event(moved, post_id, None, {"from": row["status"], "to": status}))
                changed = content_change(row["content_fingerprint"], row["text"], fingerprint, text)
                if changed:
                    events.append(Event(changed, post_id, None, {"before": row["text"], "after": text}))
                current = settled.status
                c.execute(
                    """UPDATE posts SET url = ?, status = ?, capture_complete = ?, last_checked_at = ?,
                       next_check_at = ?, content_fingerprint = coalesce(?, content_fingerprint),
                       author_handle = coalesce(?, author_handle), author_name = coalesce(?, author_name),
                       text = coalesce(?, text), lang = coalesce(?, lang), created_at = coalesce(?, created_at),
                       quoted_post_id = coalesce(?, quoted_post_id), reply_to_post_id = coalesce(?, reply_to_post_id)
                       WHERE id = ?""",
                    (url, current, int(complete), now, next_check_at, fingerprint, author_handle, author_name,
                     text, lang, created_at, quoted_post_id, reply_to_post_id, post_id),
                )
            else:
                cursor = c.execute(
                    """INSERT INTO posts (platform, native_id, url, author_handle, author_name, text, lang,
                                          created_at, status, quoted_post_id, capture_complete,
                                          first_archived_at, last_checked_at, next_check_at, content_fingerprint,
                                          reply_to_post_id)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (platform, native_id, url, author_handle, author_name, text, lang, created_at, status,
                     quoted_post_id, int(complete), now, now, next_check_at, fingerprint, reply_to_post_id),
                )
                post_id = int(cursor.lastrowid or 0)
            append_entry(c, "posts", post_id)
            self._add_status_check(c, post_id, run_id, now, status, signals, logged_in)
            for capture in captures:
                self._add_capture(c, run_id, capture, post_id=post_id)
            self._add_events(c, run_id, now, events)
        return post_id


class RowLike(Protocol):
    """A row as a capture reads it: a ``sqlite3.Row``, or the dict a queued task was handed."""

    def __getitem__(self, key: str, /) -> Any: ...


class Catalogue(Protocol):
    """What capturing asks of the archive and tells it: the seam between a capture and archive.db.

    ``Store`` answers from the database and writes there. A queue worker has no database:
    its ``archiver.distributed.recorder.Recorder`` answers from what its task was handed
    and records what it is told, as a result the one catalogue writer replays into a
    ``Store``. Ids a recorder hands out for new rows are negative, local to the task.
    """

    blobs: BlobStore

    def flush(self) -> None: ...
    def set_browser(self, run_id: int, version: str | None, user_agent: str | None) -> None: ...
    def add_run_tool(self, run_id: int, tool: str) -> None: ...
    def record_exchange(self, run_id: int, client: str, exchange: Exchange) -> None: ...
    def last_article_sha256(self, url: str) -> str | None: ...
    def save_article(
        self, run_id: int, url: str, *, final_url: str | None, title: str | None, http_status: int | None,
        content_type: str | None, captures: list[CaptureFile],
    ) -> tuple[int, bool]: ...
    def add_article_captures(self, run_id: int, article_id: int, captures: list[CaptureFile]) -> list[int]: ...
    def add_regions(self, capture_id: int, article_id: int, regions: list[Region]) -> None: ...
    def update_citations(
        self, run_id: int, article_id: int, *, new_article: bool, found_links: set[str], cited: list[Citation],
        platforms: set[str] | None = None,
    ) -> list[Event]: ...
    def record_seen(self, article_id: int, seen: list[Seen]) -> None: ...
    def known_link(self, url: str) -> RowLike | None: ...
    def save_link(self, url: str, final_url: str | None, hops: list[dict[str, object]], error: str | None) -> None: ...
    def get_post(self, platform: str, native_id: str) -> RowLike | None: ...
    def was_live(self, platform: str, native_id: str) -> bool: ...
    def save_post(
        self, run_id: int, *, platform: str, native_id: str, url: str, status: str, signals: dict[str, object],
        complete: bool, fingerprint: str | None = None, author_handle: str | None = None,
        author_name: str | None = None, text: str | None = None, lang: str | None = None,
        created_at: str | None = None, quoted_post_id: int | None = None, reply_to_post_id: int | None = None,
        captures: list[CaptureFile], confirm_after: float = 0.0, logged_in: str | None = None,
    ) -> int: ...
    def record_checks(self, run_id: int, checks: list[Check]) -> list[Event]: ...

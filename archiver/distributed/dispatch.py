"""Handing work out: ``archive --queue`` and ``sweep --queue``.

The dispatcher reads the catalogue (read-only, or as the writer), cuts the work into the
pipeline's units — an article or a post per task; a sweep's due posts in batches — with
the answers each needs, gives the run a key, and puts the tasks on the queue. Then it
waits for the run to be written: as the catalogue writer itself when no other writer
holds the archive (it writes whatever results come, not only its own), else watching
archive.db while the writer does, ready to take over if that writer dies. It prints
each task's progress lines as they are written and returns the same report a local run
returns.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..config import Settings
from ..pipeline import Progress, Summary
from ..plumbing.db import connect, utcnow
from ..steps.store import Store
from ..sweeper import SweepSummary
from . import engine
from .wire import Answers, Job, RunInfo
from .writer import Writer, WriterLock

CHECK_BATCH = 250
"""Posts per sweep task: a second or two of checking, so a lost worker costs little."""
POLL = 0.5


# --------------------------------------------------------------------------- the catalogue's answers


def answers_for_target(conn: sqlite3.Connection | None, target: str) -> Answers:
    """What a task archiving ``target`` needs to know: the posts it will likely meet (the
    post itself, or those the article cited or showed last time) and the article's last bytes."""
    from ..platforms import post_ref

    if conn is None:
        return Answers()
    ref = post_ref(target.strip())
    sha256: dict[str, str] = {}
    if ref is not None:
        rows = conn.execute("SELECT * FROM posts WHERE platform = ? AND native_id = ?",
                            (ref.platform, ref.native_id)).fetchall()
    else:
        rows = conn.execute(
            """SELECT p.* FROM posts p JOIN article_posts ap ON ap.post_id = p.id
                 JOIN articles a ON a.id = ap.article_id WHERE a.url = ?
               UNION
               SELECT p.* FROM posts p JOIN seen_embeds s ON s.platform = p.platform AND s.native_id = p.native_id
                 JOIN articles a ON a.id = s.article_id WHERE a.url = ?""",
            (target, target),
        ).fetchall()
        last = conn.execute(
            """SELECT c.sha256 FROM captures c JOIN articles a ON a.id = c.article_id
               WHERE a.url = ? AND c.kind = 'html' ORDER BY c.id DESC LIMIT 1""",
            (target,),
        ).fetchone()
        if last is not None:
            sha256[target] = str(last[0])
    return _answers(conn, rows, sha256)


def _answers(conn: sqlite3.Connection, rows: list[sqlite3.Row], sha256: dict[str, str]) -> Answers:
    posts = {int(r["id"]): dict(r) for r in rows}
    # The posts they quote or reply to, which a capture looks up too.
    quoted = [int(r[key]) for r in rows for key in ("quoted_post_id", "reply_to_post_id")
              if r[key] and r[key] not in posts]
    for start in range(0, len(quoted), 500):
        chunk = quoted[start : start + 500]
        for r in conn.execute(f"SELECT * FROM posts WHERE id IN ({', '.join('?' * len(chunk))})", chunk):
            posts[int(r["id"])] = dict(r)
    live: list[list[str]] = []
    ids = list(posts)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for r in conn.execute(
            f"""SELECT DISTINCT p.platform, p.native_id FROM status_checks c JOIN posts p ON p.id = c.post_id
                WHERE c.status = 'live' AND c.post_id IN ({', '.join('?' * len(chunk))})""",
            chunk,
        ):
            live.append([str(r[0]), str(r[1])])
    return Answers(list(posts.values()), live, sha256)


# --------------------------------------------------------------------------- handing out, waiting


@contextmanager
def _catalogue(settings: Settings, lock: WriterLock) -> Iterator[tuple[Store | None, sqlite3.Connection | None]]:
    """The archive as this dispatcher may use it: as the writer (a ``Store``) when it holds
    the writer lock, else read-only (None before any archive exists)."""
    if lock.try_acquire():
        try:
            store = Store(settings)
            try:
                yield store, store.conn
            finally:
                store.close()
        finally:
            lock.release()
        return
    conn = _read_only(settings)
    try:
        yield None, conn
    finally:
        if conn is not None:
            conn.close()


SCHEMA_WAIT = 60.0
"""Seconds to wait for the writer to bring a new or older archive to this archiver's schema."""


def _read_only(settings: Settings) -> sqlite3.Connection | None:
    """The archive, read-only, once the writer has it at the current schema (None: no archive yet)."""
    from ..errors import StoreError
    from ..plumbing.db import current_version, schema_version

    give_up = time.monotonic() + SCHEMA_WAIT
    while settings.db_path.exists():
        conn = connect(settings.db_path, readonly=True)
        if schema_version(conn) == current_version():
            return conn
        conn.close()
        if time.monotonic() > give_up:
            raise StoreError(f"{settings.db_path} is not at this archiver's schema: is its writer (archiver ingest) this version?")
        time.sleep(POLL)
    return None


def _send(settings: Settings, broker: str, jobs: list[Job]) -> None:
    app = engine.make_app(broker, settings)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=3)
            with app.producer_or_acquire() as producer:
                for job in jobs:
                    app.send_task(engine.TASK_NAME, kwargs={"job": job.as_json()}, task_id=job.task,
                                  queue=engine.CAPTURE_QUEUE, producer=producer)
    except OSError as e:
        from ..errors import BrokerError

        raise BrokerError(f"{broker}: cannot hand the work out: {e}") from e


class _Watch:
    """Follows one run in archive.db: its new results' progress lines, whether it ended."""

    def __init__(self, key: str, progress: Progress) -> None:
        self.key = key
        self.progress = progress
        self.shown: set[str] = set()
        self.run_id: int | None = None

    def poll(self, conn: sqlite3.Connection) -> bool:
        for task, outcome in conn.execute(
            "SELECT task, outcome FROM queue_results WHERE run_key = ? ORDER BY ingested_at", (self.key,)
        ):
            if task in self.shown:
                continue
            self.shown.add(task)
            data = json.loads(outcome)
            for item, what in data.get("progress") or []:
                self.progress(str(item), str(what))
            if data.get("failed"):
                for error in data.get("errors") or []:
                    self.progress("", f"error: {error}")
        row = conn.execute(
            "SELECT r.id, r.finished_at FROM queue_runs q JOIN runs r ON r.id = q.run_id WHERE q.key = ?", (self.key,)
        ).fetchone()
        if row is None:
            return False
        self.run_id = int(row[0])
        return row[1] is not None


def _wait(settings: Settings, broker: str, key: str, progress: Progress) -> tuple[int, list[dict[str, Any]]]:
    """Until the run ``key`` is written and finished: as its writer if nobody else is."""
    watch = _Watch(key, progress)
    lock = WriterLock(settings.data_dir)
    while True:
        if lock.try_acquire():
            try:
                return _write_until(settings, broker, watch, progress)
            finally:
                lock.release()
        conn = _read_only(settings)
        if conn is not None:
            try:
                if watch.poll(conn):
                    return _outcomes(conn, watch)
            finally:
                conn.close()
        time.sleep(POLL)


def _write_until(settings: Settings, broker: str, watch: _Watch, progress: Progress) -> tuple[int, list[dict[str, Any]]]:
    """Be the writer until the watched run has ended."""
    store = Store(settings)
    try:
        Writer(settings, broker, store, _warnings_only(progress)).run(lambda: watch.poll(store.conn))
        return _outcomes(store.conn, watch)
    finally:
        store.close()


def _warnings_only(progress: Progress) -> Progress:
    def show(item: str, what: str) -> None:
        if what.startswith(("error: ", "warning: ")):
            progress(item, what)

    return show


def _outcomes(conn: sqlite3.Connection, watch: _Watch) -> tuple[int, list[dict[str, Any]]]:
    watch.poll(conn)
    assert watch.run_id is not None
    rows = conn.execute("SELECT outcome, worker FROM queue_results WHERE run_key = ? ORDER BY ingested_at", (watch.key,))
    return watch.run_id, [{**json.loads(r[0]), "worker": r[1]} for r in rows]


def _new_key() -> str:
    return f"{utcnow()[:19]}-{uuid.uuid4().hex[:12]}"


# --------------------------------------------------------------------------- archive


def archive_queued(
    targets: list[str],
    settings: Settings,
    broker: str,
    *,
    recapture: bool = False,
    progress: Progress | None = None,
    page_embeds: bool = False,
    command: str = "archive",
) -> Summary:
    """``archive`` done by the queue's workers: one task per target; returns the run's summary."""
    progress = progress or (lambda item, what: None)
    engine.check_url(broker)
    targets = list(dict.fromkeys(t.strip() for t in targets if t.strip()))
    key = _new_key()
    with _catalogue(settings, WriterLock(settings.data_dir)) as (_, conn):
        run = RunInfo(key, command, len(targets))
        jobs = [
            Job(task=f"{key}-{i}", run=run, kind="target", answers=answers_for_target(conn, target), target=target,
                recapture=recapture, page_embeds=page_embeds)
            for i, target in enumerate(targets)
        ]
    if not jobs:
        return Summary()
    _send(settings, broker, jobs)
    run_id, outcomes = _wait(settings, broker, key, progress)
    return _archive_summary(run_id, outcomes)


def _archive_summary(run_id: int, outcomes: list[dict[str, Any]]) -> Summary:
    summary = Summary(run_id=run_id)
    found: set[tuple[str, str]] = set()
    for o in outcomes:
        summary.articles += int(o.get("articles") or 0)
        summary.posts_captured += int(o.get("posts_captured") or 0)
        summary.posts_reused += int(o.get("posts_reused") or 0)
        summary.media_copied += int(o.get("media_copied") or 0)
        summary.statuses.update(o.get("statuses") or {})
        summary.errors.extend(o.get("errors") or [])
        found.update((str(p), str(n)) for p, n in o.get("found") or [])
    summary.posts_found = len(found)
    return summary


# --------------------------------------------------------------------------- sweep


def _due(conn: sqlite3.Connection, select: str, now: str | None, limit: int | None) -> list[sqlite3.Row]:
    params: list[object] = []
    if now is not None:
        select += " AND (next_check_at IS NULL OR next_check_at <= ?)"
        params.append(now)
    select += " ORDER BY next_check_at IS NOT NULL, next_check_at, id"
    if limit is not None:
        select += " LIMIT ?"
        params.append(limit)
    return list(conn.execute(select, params))


def sweep_queued(
    settings: Settings,
    broker: str,
    *,
    everything: bool = False,
    limit: int | None = None,
    max_time: float | None = None,
    concurrency: int | None = None,
    wait: bool = False,
    notify_url: str | None = None,
    progress: Progress | None = None,
) -> SweepSummary:
    """``sweep`` done by the queue's workers: a task per due article, a task per batch of
    due posts; the sweep lock is held here meanwhile. Returns the run's summary."""
    import asyncio

    from ..plumbing.lock import SweepLock
    from ..schedule import Schedule
    from ..sweeper import notify_changes, run_events

    progress = progress or (lambda item, what: None)
    engine.check_url(broker)
    Schedule.parse(settings.schedule)  # a bad schedule is a ConfigError before anything is handed out
    concurrency = concurrency or settings.sweep_concurrency
    with SweepLock(settings.data_dir, wait=wait):
        key = _new_key()
        with _catalogue(settings, WriterLock(settings.data_dir)) as (_, conn):
            if conn is None:
                return SweepSummary()
            now = None if everything else utcnow()
            articles = _due(conn, "SELECT * FROM articles WHERE watched = 1", now, limit)
            posts = _due(conn, "SELECT * FROM posts WHERE 1", now, None if limit is None else max(0, limit - len(articles)))
            batches = [posts[i : i + CHECK_BATCH] for i in range(0, len(posts), CHECK_BATCH)]
            run = RunInfo(key, "sweep", len(articles) + len(batches))
            jobs = [
                Job(task=f"{key}-a{i}", run=run, kind="target", answers=answers_for_target(conn, str(a["url"])),
                    target=str(a["url"]), page_policy="if_changed")
                for i, a in enumerate(articles)
            ]
            jobs += [
                Job(task=f"{key}-p{i}", run=run, kind="checks", answers=_answers(conn, batch, {}),
                    posts=[dict(r) for r in batch], concurrency=concurrency, max_time=max_time)
                for i, batch in enumerate(batches)
            ]
        if not jobs:
            return SweepSummary()
        _send(settings, broker, jobs)
        run_id, outcomes = _wait(settings, broker, key, progress)
        summary = _sweep_summary(run_id, outcomes)
        conn = connect(settings.db_path, readonly=True)
        try:
            summary.events = run_events(conn, run_id)
        finally:
            conn.close()
        for event in summary.events:
            progress(str(event.get("post_url") or event.get("article_url") or ""), f"change: {event['kind']}")
        if notify_url and summary.events:
            asyncio.run(notify_changes(settings, notify_url, summary))
        return summary


def _sweep_summary(run_id: int, outcomes: list[dict[str, Any]]) -> SweepSummary:
    summary = SweepSummary(run_id=run_id)
    for o in outcomes:
        if "articles" in o and not o.get("failed"):
            summary.articles_checked += 1
        if "posts_checked" in o:  # a batch of posts (an article's own posts are not "checked")
            summary.posts_checked += int(o["posts_checked"] or 0)
            summary.recaptured += int(o.get("recaptured") or 0)
            summary.left_due += int(o.get("left_due") or 0)
            summary.statuses.update(o.get("statuses") or {})
        summary.errors.extend(o.get("errors") or [])
    summary.processes = len({o.get("worker") for o in outcomes}) or 1  # the workers that did its tasks
    return summary


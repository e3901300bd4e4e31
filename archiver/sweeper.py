"""Sweeps: re-check what is due, record every verdict and change, lose nothing.

A sweep takes the sweep lock, re-fetches due articles (new embeds are archived, gone
ones marked removed), then checks due posts over HTTP with the two signals of the
field guide. A post whose text or media changed is captured again as new rows; an
unchanged one only gets a check row. Checks are written in batches.

Checking is CPU-bound in one process (TLS, HTTP parsing, JSON, hashing: a few ms a
check, under one GIL), so on Linux the posts are shared among ``workers`` processes:
this one and children (``archiver.sweep_worker``) that join its run, write their own
batches (the database serialises writers; the hash chain stays linear) and die with
it. The sweep lock stays with this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from .config import Settings
from .plumbing.db import utcnow
from .errors import ArchiverError, ConfigError, ItemError
from .plumbing.lock import SweepLock
from .plumbing.net import Fetcher
from .evidence.timestamps import Stamp
from .pipeline import Kept, Progress, Report, Session, content_fingerprint
from .platforms import confirm_loss_after, platform_named
from .platforms.base import PostFetch, PostRef
from .steps.store import Catalogue, Check, RowLike, Store

BATCH_SIZE = 200
BATCH_SECONDS = 1.0
MIN_SHARE = 200
"""Fewer posts than this per process are not worth starting a worker for."""


def default_workers() -> int:
    """Processes to share post checks among: the usable CPUs, at most two, on Linux.

    Two: a sweep at the default concurrency waits on the network as much as on a
    second core beyond that, and each worker adds about 60 MB. Elsewhere 1: workers
    rely on Linux's parent-death signal to end with the sweep.
    """
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(2, len(os.sched_getaffinity(0))))


@dataclass(frozen=True)
class WorkerJob:
    """What a worker process checks: sent pickled on its stdin."""

    settings: Settings
    run_id: int
    post_ids: list[int]
    concurrency: int
    max_time: float | None


@dataclass(frozen=True)
class WorkerReport:
    """What a worker process checked: its last line on stdout, as JSON."""

    posts_checked: int
    recaptured: int
    left_due: int
    statuses: dict[str, int]
    errors: list[str]


@dataclass
class SweepSummary(Report):
    run_id: int | None = None
    articles_checked: int = 0
    posts_checked: int = 0
    recaptured: int = 0
    left_due: int = 0
    processes: int = 1
    """Processes that checked posts and reported: this one and its workers."""
    statuses: Counter[str] = field(default_factory=Counter)
    events: list[dict[str, object]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notified: bool | None = None
    stamps: list[Stamp] = field(default_factory=list)
    """RFC 3161 timestamps of the log this sweep stored (pins; see archiver.evidence.timestamps)."""
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.articles_checked} articles and {self.posts_checked} posts checked ({statuses or 'none'}), "
            f"{self.recaptured} captured again, {len(self.events)} changes, {self.left_due} left due, "
            f"{len(self.errors)} errors"
        )


def sweep(
    settings: Settings,
    *,
    everything: bool = False,
    limit: int | None = None,
    max_time: float | None = None,
    concurrency: int | None = None,
    workers: int | None = None,
    wait: bool = False,
    notify_url: str | None = None,
    progress: Progress | None = None,
) -> SweepSummary:
    """Check what is due (``everything``: all). Raises LockHeld if another sweep runs.

    ``concurrency``: checks in flight at once (default: ``settings.sweep_concurrency``);
    ``workers``: processes to share post checks among (default: ``default_workers()``).
    """
    with SweepLock(settings.data_dir, wait=wait):
        return asyncio.run(
            sweep_async(
                settings,
                everything=everything,
                limit=limit,
                max_time=max_time,
                concurrency=concurrency,
                workers=workers,
                notify_url=notify_url,
                progress=progress,
            )
        )


async def sweep_async(
    settings: Settings,
    *,
    everything: bool = False,
    limit: int | None = None,
    max_time: float | None = None,
    concurrency: int | None = None,
    workers: int | None = None,
    notify_url: str | None = None,
    progress: Progress | None = None,
) -> SweepSummary:
    if concurrency is None:
        concurrency = settings.sweep_concurrency
    if workers is None:
        workers = default_workers()
    elif workers > 1 and not sys.platform.startswith("linux"):
        raise ConfigError("more than one sweep worker needs Linux (workers end with the sweep by a Linux signal)")
    # A sweep talks to one API host at a time: its concurrency is requests in flight there.
    settings = replace(settings, per_host=max(settings.per_host, concurrency))
    store = Store(settings)
    try:
        sweeper = _Sweep(settings, store, concurrency, max_time, progress, workers)
        return await sweeper.run(everything, limit, notify_url)
    finally:
        store.close()


class _Sweep:
    def __init__(
        self,
        settings: Settings,
        store: Catalogue,
        concurrency: int,
        max_time: float | None,
        progress: Progress | None,
        workers: int = 1,
    ) -> None:
        self.settings = settings
        self.store = store
        self.concurrency = concurrency
        self.workers = workers
        self.deadline = time.monotonic() + max_time if max_time is not None else None
        self.progress: Progress = progress or (lambda item, what: None)
        self.summary = SweepSummary()
        self._batch: list[Check] = []
        self._last_flush = time.monotonic()

    def _out_of_time(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline

    def _archive(self) -> Store:
        """The archive itself: what is due, and the run's events, are read from the database."""
        if not isinstance(self.store, Store):
            raise TypeError("checking a queued batch reads no database")
        return self.store

    async def run(self, everything: bool, limit: int | None, notify_url: str | None) -> SweepSummary:
        now = None if everything else utcnow()
        articles = self._archive().due_articles(now, limit)
        posts: list[RowLike] = list(
            self._archive().due_posts(now, None if limit is None else max(0, limit - len(articles)))
        )
        session = Session(self.settings, self.store, "sweep", progress=self.progress, page_policy="if_changed")
        async with session:
            self.summary.run_id = session.run_id
            await self._articles(session, [str(a["url"]) for a in articles])
            # Posts an article's check archived a moment ago are not checked again.
            posts = [p for p in posts if PostRef(p["platform"], str(p["native_id"])) not in session.posts_seen]
            await self._shared_posts(session, posts)
            await self._flush()
        self.summary.errors = session.summary.errors + self.summary.errors
        self.summary.stamps, self.summary.warnings = session.summary.stamps, session.summary.warnings
        self.summary.events = self._events(session.run_id)
        for event in self.summary.events:
            self.progress(str(event.get("post_url") or event.get("article_url") or ""), f"change: {event['kind']}")
        if notify_url and (self.summary.events or self.summary.stamps):
            await self._notify(notify_url)
        return self.summary

    async def _articles(self, session: Session, urls: list[str]) -> None:
        async def one(url: str) -> None:
            if self._out_of_time():
                self.summary.left_due += 1
                return
            await session.target(url)
            self.summary.articles_checked += 1

        await asyncio.gather(*(one(url) for url in urls))

    async def _shared_posts(self, session: Session, posts: Sequence[RowLike]) -> None:
        """Check ``posts`` here and in worker processes, a share each."""
        n = max(1, min(self.workers, self.concurrency, len(posts) // MIN_SHARE))
        if n == 1:
            await self._posts(session, posts)
            return
        # Interleaved shares: each process works from the most overdue down.
        shares = [posts[i::n] for i in range(n)]
        each = max(1, self.concurrency // n)
        max_time = None if self.deadline is None else max(0.0, self.deadline - time.monotonic())
        jobs = [WorkerJob(self.settings, session.run_id, [int(r["id"]) for r in share], each, max_time) for share in shares[1:]]
        await asyncio.gather(self._posts(session, shares[0], each), *(self._in_worker(job) for job in jobs))

    async def _in_worker(self, job: WorkerJob) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "archiver.sweep_worker", str(os.getpid()),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        assert process.stdin is not None and process.stdout is not None and process.stderr is not None
        reported = False
        try:
            process.stdin.write(pickle.dumps(job))
            await process.stdin.drain()
            process.stdin.close()

            async def read_reports() -> None:
                nonlocal reported
                assert process.stdout is not None
                async for line in process.stdout:
                    try:
                        message = json.loads(line)
                    except ValueError:
                        continue  # not ours: something in the worker printed to stdout
                    if not isinstance(message, dict):
                        continue
                    if "progress" in message:
                        self.progress(*message["progress"])
                    elif "summary" in message:
                        self._merge(WorkerReport(**message["summary"]))
                        reported = True

            _, stderr = await asyncio.gather(read_reports(), process.stderr.read())
            code = await process.wait()
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        if not reported:
            last = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            self.summary.errors.append(
                f"sweep worker (pid {process.pid}) ended with exit {code} before reporting; "
                f"those of its {len(job.post_ids)} posts whose checks it had not written stay due: {last[0]}"
            )

    def _merge(self, report: WorkerReport) -> None:
        s = self.summary
        s.posts_checked += report.posts_checked
        s.recaptured += report.recaptured
        s.left_due += report.left_due
        s.statuses.update(report.statuses)
        s.errors.extend(report.errors)
        s.processes += 1

    async def _posts(self, session: Session, posts: Sequence[RowLike], concurrency: int | None = None) -> None:
        queue: asyncio.Queue[RowLike] = asyncio.Queue()
        for post in posts:
            queue.put_nowait(post)

        host_limits: dict[str, asyncio.Semaphore] = {}

        async def worker() -> None:
            # A client per worker: httpcore scans its whole pool on every request, so one
            # shared pool of 32+ connections costs more CPU per request than 32 small ones.
            # Answers are small and many: their files are synced once per batch of checks.
            async with Fetcher(
                self.settings,
                self.store.blobs,
                session.record_http,
                host_limits=host_limits,
                connections=2,
                defer_blob_sync=True,
                budgets=session.budgets,
            ) as fetcher:
                await drain(fetcher)

        async def drain(fetcher: Fetcher) -> None:
            while not queue.empty():
                row = queue.get_nowait()
                if self._out_of_time():
                    self.summary.left_due += 1
                    continue
                try:
                    await self._check(session, fetcher, row)
                except ItemError as e:
                    self.summary.errors.append(str(e))
                except ArchiverError:
                    raise
                except Exception as e:  # noqa: BLE001 - one broken post must not end the sweep
                    self.summary.errors.append(f"{row['url']}: unexpected {type(e).__name__}: {e}")
                if len(self._batch) >= BATCH_SIZE or time.monotonic() - self._last_flush >= BATCH_SECONDS:
                    await self._flush()

        await asyncio.gather(*(worker() for _ in range(max(1, concurrency or self.concurrency))))

    async def _check(self, session: Session, fetcher: Fetcher, row: RowLike) -> None:
        ref = PostRef(str(row["platform"]), str(row["native_id"]))
        if ref in session.posts_seen:
            return  # archived a moment ago by an article's check
        platform = platform_named(ref.platform)
        if platform is None:
            # Left due: it is checked once its platform is installed again.
            raise ItemError(f"platform {ref.platform!r} is not installed", str(row["url"]))
        fetched = await platform.fetch_post(fetcher, ref.native_id, session.endpoints(platform))
        if fetched.deleted_if_seen_live:
            fetched = fetched.as_seen(self.store.was_live(ref.platform, ref.native_id))
        self.summary.posts_checked += 1
        self.summary.statuses[fetched.status] += 1
        if _changed(row, fetched):
            async with session.claim(ref.platform, ref.native_id):
                # Another run may have captured it since this sweep read its row, or while
                # this sweep waited for that run's claim: compare with what is stored now.
                current = self.store.get_post(ref.platform, ref.native_id) or row
                if _changed(current, fetched):
                    # Capture again as new rows: the earlier copy stays what it was.
                    await session.capture(fetched, current)
                    self.summary.recaptured += 1
                    return
        self._batch.append(
            Check(int(row["id"]), fetched.status, fetched.signals, utcnow(), confirm_loss_after(platform, self.settings),
                  fetched.logged_in)
        )
        if fetched.status == "unknown":
            self.summary.errors.append(f"post {row['url']}: status unknown after retries")

    async def _flush(self) -> None:
        batch, self._batch = self._batch, []
        self._last_flush = time.monotonic()
        if batch:
            # The answers' files first, off the event loop: a directory and a link per
            # file, then a filesystem sync, would stall every request in flight.
            await asyncio.to_thread(self.store.blobs.sync)
            self.store.record_checks(self.summary.run_id or 0, batch)

    def _events(self, run_id: int) -> list[dict[str, object]]:
        return run_events(self._archive().conn, run_id)

    async def _notify(self, url: str) -> None:
        await notify_changes(self.settings, url, self.summary)


def run_events(conn: sqlite3.Connection, run_id: int) -> list[dict[str, object]]:
    """The changes a run found, oldest first, as a sweep reports them."""
    rows = conn.execute(
        """SELECT e.kind, e.detected_at, e.detail, p.url AS post_url, p.platform, p.native_id,
                  a.url AS article_url
           FROM events e LEFT JOIN posts p ON p.id = e.post_id LEFT JOIN articles a ON a.id = e.article_id
           WHERE e.run_id = ? ORDER BY e.id""",
        (run_id,),
    )
    return [
        {
            "kind": r["kind"],
            "detected_at": r["detected_at"],
            "post_url": r["post_url"],
            "platform": r["platform"],
            "post_id": r["native_id"],
            "article_url": r["article_url"],
            "detail": json.loads(r["detail"]) if r["detail"] else None,
        }
        for r in rows
    ]


async def notify_changes(settings: Settings, url: str, summary: SweepSummary) -> None:
    """POST a sweep's changes (and stamps) to ``url``; a failed delivery is one of its errors."""
    from .errors import NotifyError
    from .notify import post_json

    payload: dict[str, object] = {"run_id": summary.run_id, "at": utcnow(), "events": summary.events,
                                  "stamps": [s.pin() for s in summary.stamps]}
    try:
        await post_json(settings, url, payload)
    except NotifyError as e:
        summary.notified = False
        summary.errors.append(str(e))
    else:
        summary.notified = True


def _changed(row: RowLike, fetched: PostFetch) -> bool:
    """Whether a live post differs from its stored capture (or has none complete).

    Only the platform's full record tells an edit (its own rule: Twitter's oEmbed fallback
    gives a sketch that would always look edited)."""
    return (
        fetched.status == "live"
        and fetched.complete
        and fetched.data is not None
        and (not row["capture_complete"] or row["content_fingerprint"] != content_fingerprint(fetched.data))
    )


async def check_share(job: WorkerJob, progress: Progress) -> WorkerReport:
    """A worker process's part of a sweep: check ``job.post_ids`` within the job's run."""
    store = Store(job.settings)
    try:
        posts = store.posts_by_id(job.post_ids)
        sweeper = _Sweep(job.settings, store, job.concurrency, job.max_time, progress)
        session = Session(job.settings, store, "sweep", progress=progress, page_policy="if_changed", run_id=job.run_id)
        async with session:
            sweeper.summary.run_id = job.run_id
            await sweeper._posts(session, posts)
            await sweeper._flush()
        s = sweeper.summary
        return WorkerReport(s.posts_checked, s.recaptured, s.left_due, dict(s.statuses), session.summary.errors + s.errors)
    finally:
        store.close()


async def check_posts(
    settings: Settings,
    catalogue: Catalogue,
    posts: Sequence[RowLike],
    *,
    concurrency: int,
    max_time: float | None,
    progress: Progress,
    kept: Kept | None = None,
) -> WorkerReport:
    """Check ``posts`` (their rows, as handed out) within a run another process owns, against
    ``catalogue``: a queued batch of a sweep (``archiver.distributed``), recorded, not written.
    ``kept``: the worker's browser and readers, kept across its tasks."""
    settings = replace(settings, per_host=max(settings.per_host, concurrency))
    sweeper = _Sweep(settings, catalogue, concurrency, max_time, progress)
    session = Session(settings, catalogue, "sweep", progress=progress, page_policy="if_changed", run_id=0, kept=kept)
    async with session:
        await sweeper._posts(session, posts)
        await sweeper._flush()
    s = sweeper.summary
    return WorkerReport(s.posts_checked, s.recaptured, s.left_due, dict(s.statuses), session.summary.errors + s.errors)


__all__ = ["SweepSummary", "WorkerJob", "WorkerReport", "check_posts", "check_share", "default_workers", "sweep", "sweep_async"]

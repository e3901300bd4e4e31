"""A capture worker: takes tasks from the queue, captures, sends each result back.

``archiver worker`` runs a Celery worker (prefork: ``processes`` pool processes) with the
same settings a local run has — proxy, CA bundle, browser, guard, caps, endpoints — from
its own command line and environment. A task is captured exactly as a local run captures
it (``pipeline.Session``, a sweep's ``_Sweep`` for post checks), against a ``Recorder``
instead of the database: a worker never opens archive.db. Its files go to the blob store
(``worker_blobs``), each noted there first (``journals``), complete and durable before
the result that names them is sent (``seal_blobs``); the result goes to the results queue, and only then is the task
acknowledged.

Each pool process keeps, for its life, what a local run shares among all its articles
(``WorkerProcess``): an event loop, the browser (launched at its first task, launched again
if it dies and after ``BROWSER_TASKS`` tasks, closed when the process ends) and the article
readers. Each task still renders in a browser context of its own, and has its own HTTP
client, blob store and recorder.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from dataclasses import replace
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, TypeVar

from ..config import Settings
from ..errors import ArchiverError, StoreError
from ..plumbing.blobs import BlobStore
from . import engine
from .journals import TaskJournal
from .recorder import KEEP_COMPLETE, KEEP_RUN, KEEP_SAME, Recorder
from .wire import Job, Result

if TYPE_CHECKING:
    from celery import Celery

    from ..pipeline import Kept

T = TypeVar("T")

MAX_RETRIES = 5
"""Retries of a task whose files could not be stored (the shared store away), with backoff."""


# --------------------------------------------------------------------------- the blob store


def worker_blobs(settings: Settings, task: str, worker: str) -> tuple[BlobStore, TaskJournal]:
    """The blob store one attempt at a task writes: every blob it makes goes through this
    one object, to the storage ``settings.blob_store`` names (``archiver.plumbing.blobstores``:
    a shared directory or S3-compatible storage), else to the data directory, which must
    then be shared with the writer. Each file is noted first in the storage itself
    (``journals``): the writer settles the files of an attempt that died before sending its
    result. A worker reads no database: a file is found by its key alone."""
    from ..plumbing.blobstores import open_storage

    storage = open_storage(settings)
    journal = TaskJournal(storage, task, worker)
    return BlobStore(settings.data_dir, storage=storage, journaled=False, notes=journal), journal


def seal_blobs(blobs: BlobStore) -> None:
    """Make every file the task stored complete and durable, before any result names it."""
    try:
        blobs.sync()
    finally:
        blobs.close(settled=True)


# --------------------------------------------------------------------------- one task


def worker_settings(settings: Settings) -> Settings:
    """A worker's settings: the run's, with yt-dlp's deadline inside the task's time limit."""
    return replace(settings, extract_deadline=min(settings.extract_deadline, settings.queue_time_limit / 2))


BROWSER_TASKS = 100
"""Tasks a pool process's browser serves before it is launched again: Chromium's memory
grows with what it rendered (caches, renderer processes), and a fresh one bounds it."""


class WorkerProcess:
    """What a worker's pool process keeps across its tasks: an event loop, and on it the
    browser and the article readers (``pipeline.Kept``). ``close()`` when the process ends."""

    def __init__(self, settings: Settings) -> None:
        from ..pipeline import Kept
        from ..steps.reader import reader_pool
        from ..steps.render import BrowserHost

        self.loop = asyncio.new_event_loop()
        self.kept = Kept(BrowserHost(settings, max_uses=BROWSER_TASKS), reader_pool(settings))

    def run(self, job: Awaitable[T]) -> T:
        asyncio.set_event_loop(self.loop)
        return self.loop.run_until_complete(job)

    def close(self) -> None:
        try:
            self.run(self._close())
        finally:
            try:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                self.loop.close()

    async def _close(self) -> None:
        try:
            await self.kept.readers.close()
        finally:
            await self.kept.browser.close()


_process: WorkerProcess | None = None
"""This pool process's, made at its first task (after the fork: a loop and a browser are not
to be shared with the parent)."""


def this_process(settings: Settings) -> WorkerProcess:
    global _process
    if _process is None:
        _process = WorkerProcess(settings)
    return _process


def end_process() -> None:
    """Close this process's browser and readers (the pool process is ending)."""
    global _process
    process, _process = _process, None
    if process is not None:
        process.close()


def run_job(settings: Settings, job: Job, worker: str, process: WorkerProcess | None = None) -> Result:
    """Do one task; returns its result (files already complete in the blob store).
    ``process``: the browser and readers to use (a worker's), else the task starts its own."""
    blobs, journal = worker_blobs(settings, job.task, worker)
    kept = process.kept if process is not None else None
    try:
        try:
            job_done = _run(settings, blobs, job, kept)
            recorder, summary = process.run(job_done) if process is not None else asyncio.run(job_done)
        finally:
            seal_blobs(blobs)
    except StoreError:
        raise  # retried: this attempt's notes stay for the writer
    except ArchiverError as e:
        result = failed_result(job, worker, str(e))
    else:
        result = Result(job.task, job.run, worker, recorder.ops, recorder.exchanges, summary)
    result.journal, result.noted = journal.for_result()
    return result


async def _run(settings: Settings, blobs: BlobStore, job: Job, kept: Kept | None) -> tuple[Recorder, dict[str, Any]]:
    progress: list[list[str]] = []

    def note(item: str, what: str) -> None:
        progress.append([item, what])

    if job.kind == "target":
        return await _target(settings, blobs, job, note, progress, kept)
    if job.kind == "checks":
        return await _checks(settings, blobs, job, note, progress, kept)
    raise ValueError(f"unknown task kind {job.kind!r}")


async def _target(
    settings: Settings, blobs: BlobStore, job: Job, note: Any, progress: list[list[str]], kept: Kept | None
) -> tuple[Recorder, dict[str, Any]]:
    from ..pipeline import Session
    from ..platforms import post_ref

    assert job.target is not None
    recorder = Recorder(blobs, job.answers, KEEP_RUN if job.recapture else KEEP_COMPLETE)
    session = Session(
        settings, recorder, job.run.command, recapture=job.recapture, progress=note,
        page_policy=job.page_policy, page_embeds=job.page_embeds, run_id=0, kept=kept,
    )
    timed_out = False
    async with session:
        if post_ref(job.target) is None:
            session.warm_up()
        try:
            await asyncio.wait_for(session.target(job.target), settings.queue_time_limit)
        except TimeoutError:
            timed_out = True
    s = session.summary
    errors = list(s.errors)
    if timed_out:
        errors.append(f"{job.target}: stopped at the task's time limit ({settings.queue_time_limit:g} s); "
                      "what it finished is kept")
    outcome: dict[str, Any] = {
        "articles": s.articles, "posts_captured": s.posts_captured, "posts_reused": s.posts_reused,
        "media_copied": s.media_copied, "statuses": dict(s.statuses), "errors": errors,
        "found": sorted([r.platform, r.native_id] for r in session.posts_cited), "progress": progress,
    }
    return recorder, outcome


async def _checks(
    settings: Settings, blobs: BlobStore, job: Job, note: Any, progress: list[list[str]], kept: Kept | None
) -> tuple[Recorder, dict[str, Any]]:
    from ..sweeper import check_posts

    recorder = Recorder(blobs, job.answers, KEEP_SAME)
    max_time = min(job.max_time, settings.queue_time_limit) if job.max_time is not None else settings.queue_time_limit
    report = await check_posts(settings, recorder, job.posts, concurrency=job.concurrency, max_time=max_time,
                               progress=note, kept=kept)
    outcome: dict[str, Any] = {
        "posts_checked": report.posts_checked, "recaptured": report.recaptured, "left_due": report.left_due,
        "statuses": report.statuses, "errors": report.errors, "progress": progress,
    }
    return recorder, outcome


def failed_result(job: Job, worker: str, error: str) -> Result:
    item = job.target or f"{len(job.posts)} posts to check"
    return Result(job.task, job.run, worker, failed=error, outcome={"errors": [f"{item}: task failed: {error}"]})


# --------------------------------------------------------------------------- the Celery side


def register(app: Celery, settings: Settings) -> None:
    """Register the capture task on ``app``, doing its work with ``settings``."""
    from celery import Task
    from celery.signals import worker_process_shutdown

    settings = worker_settings(settings)
    # The pool process's browser is closed as it ends (a SIGTERM'd worker's children, a
    # recycled child); a process killed outright takes its driver and browser with it.
    worker_process_shutdown.connect(lambda **_: end_process(), weak=False)
    broker = str(app.conf.broker_url)

    def count(worker: str, field: str, error: str | None = None) -> None:
        try:
            client = engine.redis_client(broker)
            client.hincrby(engine.WORKER_STATS_KEY + worker, field, 1)
            if error is not None:
                client.hset(engine.WORKER_STATS_KEY + worker, "last_error", error)
        except Exception:  # noqa: BLE001 - a counter is not worth failing a task for
            pass

    class CaptureTask(Task):  # type: ignore[misc]
        def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
            # Retries spent, the hard time limit, a bug: the run still hears of the task.
            job = Job.from_json(kwargs["job"])
            worker = str(self.request.hostname or _hostname())
            failed = failed_result(job, worker, f"{type(exc).__name__}: {exc}")
            engine.publish(app, engine.results_queue(), failed.as_json())
            count(worker, "failed", failed.outcome["errors"][0])

    @app.task(bind=True, base=CaptureTask, name=engine.TASK_NAME, acks_late=True, reject_on_worker_lost=True,
              max_retries=MAX_RETRIES)
    def capture(self: Any, job: dict[str, Any]) -> None:
        parsed = Job.from_json(job)
        worker = str(self.request.hostname or _hostname())
        try:
            result = run_job(settings, parsed, worker, this_process(settings))
        except StoreError as e:
            # The blob store failing (unreachable, a shared mount gone): try again later,
            # elsewhere perhaps. What this attempt placed is in its notes, for the writer.
            delay = min(300.0, 5.0 * 2 ** self.request.retries) * random.uniform(0.5, 1.0)
            count(worker, "retried", f"{parsed.target or 'posts to check'}: {e} (retried in {delay:.0f} s)")
            raise self.retry(exc=e, countdown=delay) from e
        except ArchiverError as e:
            result = failed_result(parsed, worker, str(e))
        engine.publish(app, engine.results_queue(), result.as_json())
        count(worker, "failed" if result.failed else "done", result.outcome["errors"][0] if result.failed else None)


def _hostname() -> str:
    return f"archiver.{os.getpid()}@{socket.gethostname()}"


def run_worker(settings: Settings, broker: str, *, processes: int = 1, name: str | None = None) -> int:
    """Run a worker until it is stopped (SIGTERM: finish the tasks running, then exit)."""
    app = engine.make_app(broker, settings)
    register(app, settings)
    worker = app.Worker(
        hostname=name or _hostname(),
        concurrency=processes,
        pool="prefork",
        queues=[engine.CAPTURE_QUEUE],
        loglevel="INFO",
        without_mingle=True,
        without_gossip=True,
        optimization="fair",
    )
    worker.start()
    return int(worker.exitcode or 0)

"""A capture worker: takes tasks from the queue, captures, sends each result back.

``archiver worker`` runs a Celery worker (prefork: ``processes`` pool processes) with the
same settings a local run has — proxy, CA bundle, browser, guard, caps, endpoints — from
its own command line and environment. A task is captured exactly as a local run captures
it (``pipeline.Session``, a sweep's ``_Sweep`` for post checks), against a ``Recorder``
instead of the database: a worker never opens archive.db. Its files go to the blob store
(``worker_blobs``), complete and durable before the result that names them is sent
(``seal_blobs``); the result goes to the results queue, and only then is the task
acknowledged.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import ArchiverError, StoreError
from ..plumbing.blobs import BlobStore
from . import engine
from .recorder import KEEP_COMPLETE, KEEP_RUN, KEEP_SAME, Recorder
from .wire import Job, Result

if TYPE_CHECKING:
    from celery import Celery

MAX_RETRIES = 5
"""Retries of a task whose files could not be stored (the shared store away), with backoff."""


# --------------------------------------------------------------------------- the blob store


def worker_blobs(settings: Settings) -> BlobStore:
    """The blob store a worker writes: every blob a task makes goes through this one object.

    Files go to the storage ``settings.blob_store`` names (``archiver.plumbing.blobstores``:
    a shared directory or S3-compatible storage), else to the data directory, which must then
    be shared with the writer. Each file placed is noted in a journal under the worker's data
    directory: when that is the writer's (shared), the writer records the files of a task
    that died before sending its result. A worker reads no database: a file is found by its
    key alone."""
    from ..plumbing.blobstores import open_storage

    return BlobStore(settings.data_dir, storage=open_storage(settings))


def seal_blobs(blobs: BlobStore) -> None:
    """Make every file the task stored complete and durable, before any result names it.

    The journal of the files it placed is left for the writer: a file no written result
    ends up naming (the task died before sending it) is recorded or removed there."""
    try:
        blobs.sync()
    finally:
        blobs.close(settled=False)


# --------------------------------------------------------------------------- one task


def worker_settings(settings: Settings) -> Settings:
    """A worker's settings: the run's, with yt-dlp's deadline inside the task's time limit."""
    return replace(settings, extract_deadline=min(settings.extract_deadline, settings.queue_time_limit / 2))


def run_job(settings: Settings, job: Job, worker: str) -> Result:
    """Do one task; returns its result (files already complete in the blob store)."""
    blobs = worker_blobs(settings)
    try:
        outcome = asyncio.run(_run(settings, blobs, job))
    finally:
        seal_blobs(blobs)
    recorder, summary = outcome
    return Result(job.task, job.run, worker, recorder.ops, recorder.exchanges, summary)


async def _run(settings: Settings, blobs: BlobStore, job: Job) -> tuple[Recorder, dict[str, Any]]:
    progress: list[list[str]] = []

    def note(item: str, what: str) -> None:
        progress.append([item, what])

    if job.kind == "target":
        return await _target(settings, blobs, job, note, progress)
    if job.kind == "checks":
        return await _checks(settings, blobs, job, note, progress)
    raise ValueError(f"unknown task kind {job.kind!r}")


async def _target(
    settings: Settings, blobs: BlobStore, job: Job, note: Any, progress: list[list[str]]
) -> tuple[Recorder, dict[str, Any]]:
    from ..pipeline import Session
    from ..platforms import post_ref

    assert job.target is not None
    recorder = Recorder(blobs, job.answers, KEEP_RUN if job.recapture else KEEP_COMPLETE)
    session = Session(
        settings, recorder, job.run.command, recapture=job.recapture, progress=note,
        page_policy=job.page_policy, page_embeds=job.page_embeds, run_id=0,
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
    settings: Settings, blobs: BlobStore, job: Job, note: Any, progress: list[list[str]]
) -> tuple[Recorder, dict[str, Any]]:
    from ..sweeper import check_posts

    recorder = Recorder(blobs, job.answers, KEEP_SAME)
    max_time = min(job.max_time, settings.queue_time_limit) if job.max_time is not None else settings.queue_time_limit
    report = await check_posts(settings, recorder, job.posts, concurrency=job.concurrency, max_time=max_time,
                               progress=note)
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

    settings = worker_settings(settings)
    broker = str(app.conf.broker_url)

    def count(worker: str, field: str) -> None:
        try:
            client = engine.redis_client(broker)
            client.hincrby(engine.WORKER_STATS_KEY + worker, field, 1)
        except Exception:  # noqa: BLE001 - a counter is not worth failing a task for
            pass

    class CaptureTask(Task):  # type: ignore[misc]
        def on_failure(self, exc: BaseException, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
            # Retries spent, the hard time limit, a bug: the run still hears of the task.
            job = Job.from_json(kwargs["job"])
            worker = str(self.request.hostname or _hostname())
            engine.publish(app, engine.results_queue(), failed_result(job, worker, f"{type(exc).__name__}: {exc}").as_json())
            count(worker, "failed")

    @app.task(bind=True, base=CaptureTask, name=engine.TASK_NAME, acks_late=True, reject_on_worker_lost=True,
              max_retries=MAX_RETRIES)
    def capture(self: Any, job: dict[str, Any]) -> None:
        parsed = Job.from_json(job)
        worker = str(self.request.hostname or _hostname())
        try:
            result = run_job(settings, parsed, worker)
        except StoreError as e:
            # The blob store (a shared mount) failing: try again later, elsewhere perhaps.
            count(worker, "retried")
            delay = min(300.0, 5.0 * 2 ** self.request.retries) * random.uniform(0.5, 1.0)
            raise self.retry(exc=e, countdown=delay) from e
        except ArchiverError as e:
            result = failed_result(parsed, worker, str(e))
        engine.publish(app, engine.results_queue(), result.as_json())
        count(worker, "failed" if result.failed else "done")


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

"""The engine: a Celery app on a Redis broker, its queues, and how long things may take.

Two queues on the broker:

- ``archiver.capture``: the tasks (``wire.Job``), taken by ``archiver worker`` processes.
  Acknowledged late (only once the task's result is on the results queue), rejected back
  onto the queue when the worker process running it dies (``reject_on_worker_lost``),
  retried with backoff when the blob store cannot be written.
- ``archiver.results``: the results (``wire.Result``), taken by the one catalogue writer
  (``archiver.distributed.writer``), acknowledged only once written into archive.db.

The numbers (``Settings.queue_time_limit``, ``queue_visibility_timeout``), with the
default time limit T = 600 s:

- A task stops itself at T (its own deadline: what it finished by then is sent as its
  result, the rest named as errors). A render is bounded by 3 x ``render_timeout`` + 10 s (100 s), a request by
  ``request_deadline`` (120 s) with its retries; a worker clamps yt-dlp's deadline to
  half of T. An article with its posts fits in T with room.
- Its process is killed at T + 60 s (the hard limit), if stopping itself hung.
- The broker hands an unacknowledged message to another consumer after the visibility
  timeout V = T + 120 s (default 720 s): only after the hard limit has certainly ended
  the first run, so a slow task is never run twice at once. Kombu checks for such
  messages every V / 10 seconds at most (``unacked_restore_interval``).
- A worker process that dies (killed, out of memory) while its worker lives: its task is
  rejected back onto the queue at once, and another process takes it. A whole worker (or
  its machine) that dies: its task comes back after V. A result is written once either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import BrokerError

if TYPE_CHECKING:
    from celery import Celery
    from kombu import Queue

CAPTURE_QUEUE = "archiver.capture"
RESULTS_QUEUE = "archiver.results"
FAILED_RESULTS_QUEUE = "archiver.results.failed"
"""Results the writer could not write (malformed, or a bug): kept for a person to look at."""
TASK_NAME = "archiver.capture"
HARD_LIMIT_MARGIN = 60.0
VISIBILITY_MARGIN = 60.0
WORKER_STATS_KEY = "archiver:worker:"
"""A Redis hash per worker: tasks done, failed, retried (for ``archiver queue status``)."""


def hard_limit(settings: Settings) -> float:
    return settings.queue_time_limit + HARD_LIMIT_MARGIN


def visibility_timeout(settings: Settings) -> float:
    if settings.queue_visibility_timeout is not None:
        return settings.queue_visibility_timeout
    return hard_limit(settings) + VISIBILITY_MARGIN


def transport_options(settings: Settings) -> dict[str, Any]:
    visibility = visibility_timeout(settings)
    return {
        "visibility_timeout": visibility,
        # How often a consumer looks for messages past their visibility timeout.
        "unacked_restore_interval": max(1, min(60, int(visibility / 10))),
        "unacked_restore_throttle": 1,
        # A broker that vanishes without closing the connection must not hang a publish.
        "socket_timeout": 30,
        "socket_connect_timeout": 10,
        "socket_keepalive": True,
        "health_check_interval": 10,
    }


def check_url(broker: str) -> str:
    if not broker.startswith(("redis://", "rediss://", "unix://")):
        raise BrokerError(f"{broker}: the queue must be a Redis URL (redis://HOST:PORT/DB)")
    return broker


def make_app(broker: str, settings: Settings) -> Celery:
    """A Celery app for the queue at ``broker``: the dispatcher's, a worker's, the writer's."""
    from celery import Celery

    app = Celery("archiver", broker=check_url(broker), set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        task_ignore_result=True,
        task_store_errors_even_if_ignored=False,
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=CAPTURE_QUEUE,
        task_create_missing_queues=True,
        task_time_limit=hard_limit(settings),
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_redirect_stdouts=False,
        broker_transport_options=transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_publish_retry=True,
        task_publish_retry_policy={"max_retries": 30, "interval_start": 0.5, "interval_step": 1, "interval_max": 10},
    )
    return app


def results_queue() -> Queue:
    from kombu import Queue

    return Queue(RESULTS_QUEUE, durable=True)


def failed_results_queue() -> Queue:
    from kombu import Queue

    return Queue(FAILED_RESULTS_QUEUE, durable=True)


PUBLISH_RETRY = {"max_retries": None, "interval_start": 0.5, "interval_step": 1.0, "interval_max": 10.0}
"""Publishing a result waits out a broker restart: the task stays unacknowledged meanwhile."""


def publish(app: Celery, queue: Queue, body: dict[str, Any]) -> None:
    """Put ``body`` (JSON) on ``queue``, durably, retrying while the broker is away.

    kombu's pooled producers can outlive their connection: after a broker restart a pooled
    Redis channel may be left with no connection and fail with an ``AttributeError`` of its
    own (celery/kombu#83, #659) instead of reconnecting. Such a publish is not given up: the
    message is sent again on a fresh connection of its own (not from the pool), with the same
    retries.
    """
    try:
        with app.producer_or_acquire() as producer:
            _publish(producer, queue, body)
    except Exception:  # noqa: BLE001 - any failure of a pooled producer: try a fresh connection
        with app.connection_for_write() as connection:
            _publish(connection.Producer(), queue, body)


def _publish(producer: Any, queue: Queue, body: dict[str, Any]) -> None:
    producer.publish(
        body,
        exchange="",
        routing_key=queue.name,
        declare=[queue],
        serializer="json",
        delivery_mode=2,
        retry=True,
        retry_policy=PUBLISH_RETRY,
    )


def redis_client(broker: str) -> Any:
    """A plain Redis client on the broker, for counters and queue lengths (``queue status``)."""
    import redis

    return redis.Redis.from_url(check_url(broker), socket_timeout=10, socket_connect_timeout=10)

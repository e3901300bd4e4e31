"""``archiver queue status``: what waits, what runs, what failed, per worker.

Read from the broker alone (no archive.db): the queues' lengths, the tasks each live worker
is running (Celery's remote inspection, which live workers answer within a second), and
the counters each worker keeps on the broker (tasks done, failed, retried).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from ..config import Settings
from ..errors import BrokerError
from . import engine


@dataclass
class WorkerStatus:
    name: str
    running: list[str] = field(default_factory=list)
    """What it is doing: each task's target (or batch), with how long it has run."""
    done: int = 0
    failed: int = 0
    retried: int = 0
    last_error: str | None = None
    """The last task it failed or put back for a retry, with why, in one line."""
    online: bool = False
    """Whether it answered just now."""


@dataclass
class QueueStatus:
    """The queue at ``broker``: tasks waiting, results waiting for the writer, failures, workers."""

    broker: str
    waiting: int = 0
    """Tasks on the queue, not yet taken by a worker."""
    in_flight: int = 0
    """Messages taken and not yet acknowledged (tasks running, results being written)."""
    results_waiting: int = 0
    """Results the catalogue writer has not taken yet."""
    results_failed: int = 0
    """Results the writer could not write, kept on ``archiver.results.failed``."""
    workers: list[WorkerStatus] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.results_failed == 0

    @property
    def running(self) -> int:
        return sum(len(w.running) for w in self.workers)

    @property
    def failed(self) -> int:
        return sum(w.failed for w in self.workers)

    def lines(self) -> list[str]:
        out = [
            f"{self.waiting} waiting, {self.running} running, {self.failed} failed; "
            f"{self.results_waiting} results waiting for the writer, {self.results_failed} not writable"
        ]
        for w in self.workers:
            state = "online" if w.online else "not answering"
            out.append(f"{w.name} ({state}): {len(w.running)} running, {w.done} done, {w.failed} failed, "
                       f"{w.retried} retried")
            out += [f"  {task}" for task in w.running]
            if w.last_error:
                out.append(f"  last error: {w.last_error}")
        return out

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.update(running=self.running, failed=self.failed)
        return data


def _length(client: Any, queue: str) -> int:
    # Kombu's Redis transport keeps a queue as a list, with one more per priority step.
    names = [queue] + [f"{queue}\x06\x16{p}" for p in range(1, 10)]
    return sum(int(client.llen(name)) for name in names)


def queue_status(settings: Settings, broker: str) -> QueueStatus:
    import redis

    client = engine.redis_client(broker)
    status = QueueStatus(broker=broker)
    try:
        status.waiting = _length(client, engine.CAPTURE_QUEUE)
        status.results_waiting = _length(client, engine.RESULTS_QUEUE)
        status.results_failed = _length(client, engine.FAILED_RESULTS_QUEUE)
        status.in_flight = int(client.hlen("unacked"))
        counters = {
            key.decode()[len(engine.WORKER_STATS_KEY):]: client.hgetall(key)
            for key in client.scan_iter(match=engine.WORKER_STATS_KEY + "*")
        }
    except redis.RedisError as e:
        raise BrokerError(f"{broker}: {e}") from e
    workers: dict[str, WorkerStatus] = {}
    for name, values in counters.items():
        w = workers.setdefault(name, WorkerStatus(name))
        w.done, w.failed, w.retried = (int(values.get(k.encode(), 0)) for k in ("done", "failed", "retried"))
        last = values.get(b"last_error")
        w.last_error = last.decode(errors="replace") if last else None
    app = engine.make_app(broker, settings)
    active = app.control.inspect(timeout=1.0).active() or {}
    now = time.time()
    for name, tasks in active.items():
        w = workers.setdefault(name, WorkerStatus(name))
        w.online = True
        for task in tasks:
            job = (task.get("kwargs") or {}).get("job") or {}
            what = job.get("target") or f"{len(job.get('posts') or [])} posts to check"
            started = task.get("time_start")
            since = f" for {now - float(started):.0f} s" if started else ""
            w.running.append(f"{what}{since}")
    for name in list(workers):
        if name not in active:
            workers[name].online = False
    status.workers = sorted(workers.values(), key=lambda w: w.name)
    return status

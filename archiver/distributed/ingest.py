"""The catalogue writer's work: results replayed into archive.db, in order, once each.

A batch of results is written in one transaction. Each result's operations are replayed
through the same ``Store`` methods a local run calls, so rows, events, citations and the
hash-chained log (``evidence/chain.py``) come out as a local run writes them; negative
ids (rows the worker created) are mapped to the rows written. The result's task id goes
into ``queue_results`` in the same transaction: a result delivered again (the writer was
killed after writing it, before acknowledging it) is found there and skipped, and a
batch killed half-way leaves nothing, to be written whole when it is delivered again.

A post a worker captured because it could not know the archive had it (see
``recorder``) is kept out by the operation's ``keep`` rule, checked against the archive
as it is when the result is written: the post's stored capture stays, and its id serves
the citations. When every task of a run is written the run is sealed (provenance) and
finished, as a local run ends.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from ..plumbing.db import utcnow
from ..steps.regions import Box, Region
from ..steps.store import Check, Citation, Store
from .recorder import KEEP_COMPLETE, KEEP_SAME
from .wire import Json, Result, RunInfo, capture_in, check_in, exchange_in, seen_in

MEDIA_KINDS_NOT = ("data", "screenshot")
"""Capture kinds that are not copied media (for the counts of a capture kept out)."""


def already_written(store: Store, task: str) -> bool:
    return store.conn.execute("SELECT 1 FROM queue_results WHERE task = ?", (task,)).fetchone() is not None


def write_batch(store: Store, results: list[Result]) -> list[Result]:
    """Write ``results`` in one transaction; returns those written (the others were already)."""
    written: list[Result] = []
    with store.transaction() as c:
        done: set[str] = set()
        for result in results:
            if result.task in done or already_written(store, result.task):
                continue
            run_id = _run_for(store, result.run)
            outcome = {"failed": result.failed, **result.outcome} if result.failed else _replay(store, result, run_id)
            c.execute(
                "INSERT INTO queue_results (task, run_key, worker, ingested_at, outcome) VALUES (?, ?, ?, ?, ?)",
                (result.task, result.run.key, result.worker, utcnow(), json.dumps(outcome)),
            )
            done.add(result.task)
            written.append(result)
    return written


def _run_for(store: Store, info: RunInfo) -> int:
    row = store.conn.execute("SELECT run_id FROM queue_runs WHERE key = ?", (info.key,)).fetchone()
    if row is not None:
        return int(row[0])
    run_id = store.start_run(info.command)
    store.conn.execute(
        "INSERT INTO queue_runs (key, run_id, tasks, created_at) VALUES (?, ?, ?, ?)",
        (info.key, run_id, info.tasks, utcnow()),
    )
    return run_id


def _replay(store: Store, result: Result, run_id: int) -> Json:
    """Replay one result's operations inside the caller's transaction; returns its outcome."""
    c = store.conn
    store.add_exchanges(c, run_id, [exchange_in(e) for e in result.exchanges])
    outcome: dict[str, Any] = json.loads(json.dumps(result.outcome))  # a copy to adjust
    ids: dict[int, int] = {}
    new_articles: dict[int, bool] = {}

    def real(local: int | None) -> int | None:
        if local is None or local >= 0:
            return local
        return ids[local]

    def real_id(local: int) -> int:
        found = real(local)
        assert found is not None
        return found

    for name, op in result.ops:
        if name == "exchange":
            continue
        if name == "browser":
            store.set_browser(run_id, op["version"], op["user_agent"])
        elif name == "tool":
            store.add_run_tool(run_id, op["tool"])
        elif name == "link":
            store.save_link(op["url"], op["final_url"], op["hops"], op["error"])
        elif name == "article":
            article_id, new = store.save_article(
                run_id, op["url"], final_url=op["final_url"], title=op["title"], http_status=op["http_status"],
                content_type=op["content_type"], captures=[capture_in(x) for x in op["captures"]],
            )
            ids[int(op["id"])] = article_id
            new_articles[article_id] = new
        elif name == "article_captures":
            written = store.add_article_captures(run_id, real_id(op["article_id"]), [capture_in(x) for x in op["captures"]])
            ids.update(zip((int(i) for i in op.get("ids") or []), written, strict=False))
        elif name == "regions":
            store.add_regions(real_id(op["capture_id"]), real_id(op["article_id"]), [
                Region(real_id(x["post_id"]), x["link"], Box(**x["box"]), x["element"]) for x in op["regions"]
            ])
        elif name == "citations":
            article_id = real_id(op["article_id"])
            store.update_citations(
                run_id,
                article_id,
                new_article=new_articles.get(article_id, False),
                found_links=set(op["found_links"]),
                cited=[Citation(real_id(x["post_id"]), x["link"], x["form"], x["embed_text"]) for x in op["cited"]],
                platforms=set(op["platforms"]) if op["platforms"] is not None else None,
            )
        elif name == "seen":
            store.record_seen(real_id(op["article_id"]), [seen_in(x) for x in op["seen"]])
        elif name == "post":
            ids[int(op["id"])] = _post(store, run_id, op, real, outcome)
        elif name == "checks":
            checks = [check_in(x) for x in op["checks"]]
            for check in checks:
                check.post_id = real_id(check.post_id)
            store.record_checks(run_id, checks)
        else:
            raise ValueError(f"unknown operation {name!r}")
    return outcome


def _post(store: Store, run_id: int, op: Json, real: Callable[[int | None], int | None], outcome: dict[str, Any]) -> int:
    existing = store.get_post(op["platform"], op["native_id"])
    if existing is not None and existing["capture_complete"]:
        keep = op["keep"]
        this_run = store.conn.execute(
            "SELECT 1 FROM status_checks WHERE post_id = ? AND run_id = ? LIMIT 1", (existing["id"], run_id)
        ).fetchone()
        same = existing["content_fingerprint"] == op["fingerprint"]
        if keep == KEEP_COMPLETE or (keep == KEEP_SAME and same) or this_run:
            _kept_out(store, run_id, op, existing, outcome)
            return int(existing["id"])
    return store.save_post(
        run_id,
        platform=op["platform"], native_id=op["native_id"], url=op["url"], status=op["status"],
        signals=op["signals"], complete=op["complete"], fingerprint=op["fingerprint"],
        author_handle=op["author_handle"], author_name=op["author_name"], text=op["text"], lang=op["lang"],
        created_at=op["created_at"], quoted_post_id=real(op["quoted_post_id"]),
        reply_to_post_id=real(op.get("reply_to_post_id")),
        captures=[capture_in(x) for x in op["captures"]], confirm_after=op["confirm_after"],
        logged_in=op.get("logged_in"),
    )


def _kept_out(store: Store, run_id: int, op: Json, existing: Any, outcome: dict[str, Any]) -> None:
    """The archive's capture stays; count it as reused, as a local run would have."""
    if op["keep"] == KEEP_SAME:
        # A sweep found it changed against what it was handed; the archive already holds
        # this content: the check is recorded, as for an unchanged post.
        store.record_checks(run_id, [Check(int(existing["id"]), op["status"], op["signals"], utcnow(),
                                            float(op["confirm_after"] or 0.0))])
        outcome["recaptured"] = int(outcome.get("recaptured", 0)) - 1
        return
    if op["complete"]:
        outcome["posts_captured"] = int(outcome.get("posts_captured", 0)) - 1
        outcome["media_copied"] = int(outcome.get("media_copied", 0)) - sum(
            1 for x in op["captures"] if x["kind"] not in MEDIA_KINDS_NOT
        )
    outcome["posts_reused"] = int(outcome.get("posts_reused", 0)) + 1


# --------------------------------------------------------------------------- ending runs


def runs_ready(store: Store) -> list[int]:
    """Runs handed out through the queue whose every task is written, not yet finished."""
    rows = store.conn.execute(
        """SELECT q.run_id FROM queue_runs q JOIN runs r ON r.id = q.run_id
           WHERE r.finished_at IS NULL
             AND (SELECT count(*) FROM queue_results x WHERE x.run_key = q.key) >= q.tasks
           ORDER BY q.run_id"""
    ).fetchall()
    return [int(r[0]) for r in rows]


def finish_runs(store: Store, progress: Callable[[str, str], None]) -> list[int]:
    """Seal and finish every run whose tasks are all written, as a local run ends:
    provenance, then (if configured) Wayback copies and trusted time. Returns their ids."""
    finished = runs_ready(store)
    for run_id in finished:
        asyncio.run(_close(store, run_id, progress))
    return finished


async def _close(store: Store, run_id: int, progress: Callable[[str, str], None]) -> None:
    from ..evidence import timestamps, wayback
    from ..evidence.provenance import seal_run

    try:
        await seal_run(store, run_id)
        warnings = await wayback.save_run(store, run_id)
        stamping = await timestamps.stamp(store, run_id)
        for warning in warnings + stamping.warnings:
            progress(f"run {run_id}", "warning: " + warning)
    finally:
        store.finish_run(run_id)

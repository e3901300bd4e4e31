"""Independent copies (opt-in): the Wayback Machine.

At the end of a run, for each post the run archived for the first time: a live post's
URL is sent to Save Page Now and the snapshot it made is recorded (``saved``); for a post
already gone, the availability API is asked for the copy nearest the post's time, recorded
as a pointer (``nearest``). Both go through archiver's HTTP client (safety rules, proxy,
exchanges recorded); each record is a ``wayback`` row chained in the log. Any failure is
a warning: the Wayback Machine is a second witness, not part of the archive run.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from ..errors import FetchError
from ..plumbing.db import utcnow
from . import chain

if TYPE_CHECKING:
    from ..plumbing.net import Fetcher
    from ..steps.store import Store

POLL_SECONDS = 2.0


def _posts_first_archived(conn: sqlite3.Connection, run_id: int) -> list[sqlite3.Row]:
    """Posts whose first status check is this run's and that have no Wayback record yet."""
    return conn.execute(
        """SELECT p.* FROM posts p
           WHERE (SELECT min(run_id) FROM status_checks s WHERE s.post_id = p.id) = ?
             AND NOT EXISTS (SELECT 1 FROM wayback w WHERE w.post_id = p.id)
           ORDER BY p.id""",
        (run_id,),
    ).fetchall()


def _when(timestamp: str) -> str | None:
    """A Wayback timestamp (YYYYMMDDhhmmss) as ISO 8601 UTC."""
    try:
        return datetime.strptime(timestamp[:14], "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None


async def save_run(store: Store, run_id: int) -> list[str]:
    """Ask the Wayback Machine about each post this run archived first; record what it made.
    Returns the warnings (one line each, naming the post)."""
    from ..plumbing.net import Fetcher

    settings = store.settings
    if not settings.wayback:
        return []
    posts = _posts_first_archived(store.conn, run_id)
    if not posts:
        return []

    def record(exchange: Any) -> None:
        store.record_exchange(run_id, "http", exchange)

    async with Fetcher(settings, store.blobs, record) as fetcher:
        outcomes = await asyncio.gather(*(_one(fetcher, store, p) for p in posts))
    warnings = [o for o in outcomes if isinstance(o, str)]
    rows = [o for o in outcomes if isinstance(o, dict)]
    with store.transaction() as c:
        for row in rows:
            cursor = c.execute(
                "INSERT INTO wayback (post_id, run_id, kind, url, snapshot_at, recorded_at, detail) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (row["post_id"], run_id, row["kind"], row["url"], row["snapshot_at"], utcnow(),
                 json.dumps(row["detail"], sort_keys=True)),
            )
            chain.append_entry(c, "wayback", int(cursor.lastrowid or 0))
    return warnings


async def _one(fetcher: Fetcher, store: Store, post: sqlite3.Row) -> dict[str, Any] | str:
    url = str(post["url"])
    try:
        if post["status"] == "live":
            return await _save(fetcher, store, post)
        if post["status"] in ("deleted", "unavailable"):
            return await _nearest(fetcher, store, post)
        return f"Wayback Machine: {url}: not asked (status {post['status']})"
    except FetchError as e:
        return f"Wayback Machine: {url}: {e.args[0] if e.args else e}"


async def _save(fetcher: Fetcher, store: Store, post: sqlite3.Row) -> dict[str, Any] | str:
    settings = store.settings
    url = str(post["url"])
    headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    if settings.wayback_keys:
        headers["Authorization"] = f"LOW {settings.wayback_keys}"
    endpoint = settings.wayback_save.rstrip("/")
    answer = await fetcher.post(endpoint, "json", urlencode({"url": url}).encode("ascii"), headers=headers)
    job = _json(answer.body)
    job_id = job.get("job_id")
    if answer.status != 200 or not isinstance(job_id, str) or not job_id.replace("-", "").isalnum():
        said = job.get("message") or job.get("status_ext") or f"HTTP {answer.status}"
        return f"Wayback Machine: {url}: Save Page Now refused: {said}"
    deadline = time.monotonic() + settings.wayback_wait
    while True:
        status = await fetcher.get(f"{endpoint}/status/{job_id}", "json", headers={"Accept": "application/json"})
        state = _json(status.body)
        if state.get("status") == "success" and isinstance(state.get("timestamp"), str):
            original = str(state.get("original_url") or url)
            return {"post_id": post["id"], "kind": "saved", "url": f"https://web.archive.org/web/{state['timestamp']}/{original}",
                    "snapshot_at": _when(str(state["timestamp"])), "detail": {"job_id": job_id}}
        if state.get("status") not in ("pending", None) or status.status >= 400:
            said = state.get("message") or state.get("status_ext") or f"HTTP {status.status}"
            return f"Wayback Machine: {url}: Save Page Now failed: {said}"
        if time.monotonic() >= deadline:
            return f"Wayback Machine: {url}: still saving after {settings.wayback_wait:.0f} s (job {job_id}); not recorded"
        await asyncio.sleep(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))


async def _nearest(fetcher: Fetcher, store: Store, post: sqlite3.Row) -> dict[str, Any] | str:
    url = str(post["url"])
    query: dict[str, str] = {"url": url}
    created = str(post["created_at"] or "")
    if len(created) >= 19:
        query["timestamp"] = created[:19].replace("-", "").replace(":", "").replace("T", "")
    answer = await fetcher.get(f"{store.settings.wayback_available}?{urlencode(query)}", "json")
    closest = _json(answer.body).get("archived_snapshots")
    closest = closest.get("closest") if isinstance(closest, dict) else None
    if answer.status != 200 or not isinstance(closest, dict) or not closest.get("available") or not closest.get("url"):
        return f"Wayback Machine: {url}: gone when first archived, and no Wayback copy of it was found"
    return {"post_id": post["id"], "kind": "nearest", "url": str(closest["url"]),
            "snapshot_at": _when(str(closest.get("timestamp") or "")), "detail": {"status": closest.get("status")}}


def _json(body: bytes | None) -> dict[str, Any]:
    try:
        value = json.loads(body or b"")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

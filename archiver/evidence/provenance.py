"""Provenance: what a run did, as one JSON document stored as a capture.

At the end of every run that captured anything, ``seal_run`` writes a document with
the tools (archiver, Python, OS, browser and user agents, proxy host), the run's start
and end, every HTTP exchange it recorded (URL, method, status, headers, time, SHA-256
and size of the body), every link resolution it used, and the SHA-256 of every file it
captured. A run that used the user's own cookies (``archive --cookies``) says so: the
run's ``logged_in`` platforms, and ``logged_in`` on each exchange and file made with them
(their values are never recorded). It is stored as a blob and a ``captures`` row of kind ``provenance`` with the
run's ``run_id`` and no post or article: it is linked to what it covers by ``run_id``
(every capture of the run shares it). Being a capture, it is in the log too.

``post_provenance`` answers "how was this post captured?" for `archiver provenance`.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from typing import TYPE_CHECKING

from ..errors import StoreError
from ..plumbing.blobstores import BlobStorage, read_bytes
from ..plumbing.cookies import merge_labels
from ..plumbing.db import utcnow
from . import phash

if TYPE_CHECKING:
    from ..steps.store import Store

FORMAT = "archiver-provenance/1"


async def seal_run(store: Store, run_id: int) -> int | None:
    """Hash the run's images and store its provenance; returns the capture id, if any."""
    from ..steps.store import CaptureFile

    # Exchanges are queued and ride with the next transaction: write them before reading.
    store.flush()
    captured = store.conn.execute(
        "SELECT count(*) FROM captures WHERE run_id = ? AND kind != 'provenance'", (run_id,)
    ).fetchone()[0]
    if not captured:
        return None
    todo = phash.missing(store.conn, run_id)
    # Pillow off the event loop and outside any write transaction.
    phash.store(store.conn, await asyncio.to_thread(phash.compute, store.blobs.storage, todo))
    document = build(store.conn, run_id, ended_at=utcnow())
    data = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode("utf-8") + b"\n"
    blob = await asyncio.to_thread(store.blobs.put, data, "application/json")
    with store.transaction() as c:
        return store._add_capture(c, run_id, CaptureFile("provenance", blob, "application/json"))


def _links_of_run(conn: sqlite3.Connection, run: sqlite3.Row, ended_at: str) -> list[dict[str, object]]:
    # `links` has no run_id (one row per link, updated): a link belongs to a run when the
    # run resolved it (resolved_at within the run) or an article the run fetched cites it.
    rows = conn.execute(
        """SELECT * FROM links WHERE resolved_at BETWEEN ? AND ?
           OR url IN (SELECT ap.link FROM article_posts ap
                      JOIN captures c ON c.article_id = ap.article_id WHERE c.run_id = ?)
           ORDER BY resolved_at, url""",
        (run["started_at"], ended_at, run["id"]),
    )
    return [
        {"url": r["url"], "final_url": r["final_url"], "hops": json.loads(r["hops"]), "resolved_at": r["resolved_at"],
         "error": r["error"]}
        for r in rows
    ]


def build(conn: sqlite3.Connection, run_id: int, ended_at: str) -> dict[str, object]:
    run = conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
    exchanges = [
        {
            "id": r["id"],
            "client": r["client"],
            "url": r["url"],
            "method": r["method"],
            "status": r["status"],
            "headers": json.loads(r["headers"]) if r["headers"] else [],
            "started_at": r["started_at"],
            "body_sha256": r["sha256"],
            "body_bytes": r["bytes"],
            **({"logged_in": r["logged_in"]} if r["logged_in"] else {}),
        }
        for r in conn.execute("SELECT * FROM exchanges WHERE run_id = ? ORDER BY id", (run_id,))
    ]
    hashes = {
        r["sha256"]: r["hash"]
        for r in conn.execute(
            """SELECT h.sha256, h.hash FROM image_hashes h JOIN captures c ON c.sha256 = h.sha256
               WHERE c.run_id = ? AND h.algorithm = ?""",
            (run_id, phash.ALGORITHM),
        )
    }
    files = [
        {
            "capture_id": r["id"],
            "kind": r["kind"],
            "post_url": r["post_url"],
            "article_url": r["article_url"],
            "captured_at": r["captured_at"],
            "sha256": r["sha256"],
            "bytes": r["bytes"],
            "path": r["path"],
            "mime": r["mime"],
            "source_url": r["source_url"],
            "dhash64": hashes.get(r["sha256"]),
            **({"logged_in": r["logged_in"]} if r["logged_in"] else {}),
        }
        for r in conn.execute(
            """SELECT c.*, p.url AS post_url, a.url AS article_url FROM captures c
               LEFT JOIN posts p ON p.id = c.post_id LEFT JOIN articles a ON a.id = c.article_id
               WHERE c.run_id = ? AND c.kind != 'provenance' ORDER BY c.id""",
            (run_id,),
        )
    ]
    logged_in = merge_labels([e.get("logged_in") for e in exchanges] + [f.get("logged_in") for f in files])
    return {
        "format": FORMAT,
        "run": {
            "id": run["id"],
            "command": run["command"],
            "started_at": run["started_at"],
            "ended_at": ended_at,
            # Only for a run made with the user's own cookies: what it captured, that account saw.
            **({"logged_in": logged_in.split(",")} if logged_in else {}),
        },
        "tools": {
            "archiver": run["archiver_version"],
            "python": run["python_version"],
            "os": run["os"],
            "user_agent": run["user_agent"],
            "browser": run["browser_version"],
            "browser_user_agent": run["browser_user_agent"],
            "proxy_host": run["proxy_host"],
        },
        "exchanges": exchanges,
        "links": _links_of_run(conn, run, ended_at),
        "files": files,
    }


def load(storage: BlobStorage, conn: sqlite3.Connection, run_id: int) -> tuple[sqlite3.Row | None, dict[str, object] | None]:
    row = conn.execute(
        "SELECT * FROM captures WHERE run_id = ? AND kind = 'provenance' ORDER BY id DESC LIMIT 1", (run_id,)
    ).fetchone()
    if row is None:
        return None, None
    try:
        return row, json.loads(read_bytes(storage, row["path"]).decode("utf-8"))
    except (OSError, ValueError, StoreError):
        return row, None


def post_provenance(conn: sqlite3.Connection, storage: BlobStorage, post: str) -> dict[str, object]:
    """Each capture of a post: its run, the tools, and the requests that led to it."""
    from ..queries import find_post

    from ..platforms import platform_named, url_marker

    p = find_post(conn, post)
    native_id = p["native_id"]
    platform = platform_named(p["platform"])
    # The post's own files' sources (its API answers, its card page, its media), and the
    # requests its platform says asked about it: never a URL that merely contains its id.
    sources = {
        r[0] for r in conn.execute("SELECT DISTINCT source_url FROM captures WHERE post_id = ?", (p["id"],)) if r[0]
    }
    cited = [r[0] for r in conn.execute("SELECT DISTINCT link FROM article_posts WHERE post_id = ?", (p["id"],))]
    links = [
        {"url": r["url"], "final_url": r["final_url"], "hops": json.loads(r["hops"]), "resolved_at": r["resolved_at"]}
        for r in conn.execute(
            f"SELECT * FROM links WHERE url IN ({', '.join('?' * len(cited))})", cited
        )
    ] if cited else []
    from .timestamps import covered

    trusted = covered(conn, "captures", [int(r[0]) for r in conn.execute("SELECT id FROM captures WHERE post_id = ?",
                                                                          (p["id"],))])
    captures = []
    for c in conn.execute("SELECT * FROM captures WHERE post_id = ? ORDER BY id", (p["id"],)):
        run = conn.execute("SELECT * FROM runs WHERE id = ?", (c["run_id"],)).fetchone()
        # The requests that led to this file: the one whose body it is, and those of the
        # run that name the post (its API answers, its embed page). Others of the run
        # (shared scripts, fonts) are in the run's provenance document.
        requests = [
            {"id": e["id"], "client": e["client"], "method": e["method"], "url": e["url"], "status": e["status"],
             "started_at": e["started_at"], "body_sha256": e["sha256"], "body_bytes": e["bytes"],
             "gave_this_file": e["sha256"] == c["sha256"], "logged_in": e["logged_in"]}
            for e in conn.execute(
                # instr() only narrows the rows read; which of them name the post, the platform says.
                "SELECT * FROM exchanges WHERE run_id = ? AND (sha256 = ? OR instr(url, ?) > 0) ORDER BY id",
                (c["run_id"], c["sha256"], url_marker(platform, native_id) if platform is not None else native_id),
            )
            if e["sha256"] == c["sha256"] or e["url"] in sources
            or (platform is not None and platform.names_post(e["url"], native_id))
        ]
        prov_row, _ = load(storage, conn, int(c["run_id"]))
        captures.append(
            {
                "capture_id": c["id"],
                "kind": c["kind"],
                "captured_at": c["captured_at"],
                "sha256": c["sha256"],
                "bytes": c["bytes"],
                "path": c["path"],
                "source_url": c["source_url"],
                "logged_in": c["logged_in"],
                "run": {k: run[k] for k in run.keys()},  # noqa: SIM118 - iterating a Row gives values
                "provenance": {"capture_id": prov_row["id"], "path": prov_row["path"], "sha256": prov_row["sha256"]}
                if prov_row else None,
                "requests": requests,
                "trusted_time": trusted[c["id"]].as_dict() if c["id"] in trusted else None,
            }
        )
    return {"post": {"id": p["id"], "url": p["url"], "platform": p["platform"], "native_id": native_id,
                     "status": p["status"]},
            "links": links, "captures": captures}

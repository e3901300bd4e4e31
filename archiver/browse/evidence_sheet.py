"""The evidence sheet of a post or an article: every file with its SHA-256, when and by
which run and tools it was captured, its entry in the tamper-evident log, and whether
the row still matches that entry.

Cheap enough for every page view: one query per table, no file read. The row-against-log
check is the one ``archiver verify`` makes for the row; hashing the files themselves and
walking the whole chain is left to ``archiver verify``, and the sheet says so.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from archiver.errors import StoreError
from archiver.plumbing.blobstores import BlobStorage

from archiver.browse import words
from archiver.browse.links import Links
from archiver.evidence.chain import FIELDS, KINDS, content_sha256

KIND_WORDS = {
    "screenshot": "card screenshot",
    "page_screenshot": "page screenshot",
    "html": "page HTML as fetched",
    "data": "raw answer from the platform",
    "photo": "photo",
    "video": "video",
    "poster": "video poster",
    "provenance": "run provenance",
    "audio": "audio",
    "captions": "captions",
    "stream": "part of a streamed video (HLS playlist or segment, as served)",
}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "video/mp4": "mp4", "application/json": "json",
              "text/html": "html", "text/plain": "txt", "image/webp": "webp", "image/gif": "gif",
              "video/webm": "webm", "audio/mpeg": "mp3", "audio/mp4": "m4a", "text/vtt": "vtt",
              "application/vnd.apple.mpegurl": "m3u8", "application/x-mpegurl": "m3u8", "video/mp2t": "ts"}


def extension(mime: str | None, path: str) -> str:
    base = (mime or "").split(";")[0].strip().lower()
    return EXTENSIONS.get(base) or Path(path).suffix.lstrip(".") or "bin"


def _marks(n: int) -> str:
    return ", ".join("?" * n)


def sheet(
    conn: sqlite3.Connection, links: Links, storage: BlobStorage, *, post_id: int | None = None, article_id: int | None = None,
    name_stem: str,
) -> dict[str, Any]:
    """The sheet for one post (its captures and checks) or one article (its own captures)."""
    column, owner = ("post_id", post_id) if post_id is not None else ("article_id", article_id)
    captures = conn.execute(
        f"""SELECT c.*, l.kind AS logged_kind, l.seq, l.content_sha256 AS logged_sha256, l.entry_sha256, l.key_id, l.late
            FROM captures c LEFT JOIN log l ON l.ref_table = 'captures' AND l.ref_id = c.id
            WHERE c.{column} = ? ORDER BY c.id""",
        (owner,),
    ).fetchall()
    files = []
    for c in captures:
        ext = extension(c["mime"], c["path"])
        kind = c["kind"]
        if kind == "data" and c["source"]:
            label = f"raw answer from {words.source_word(c['source'])}"
        else:
            label = KIND_WORDS.get(kind, kind.replace("_", " "))
        try:
            size_ok = storage.size(c["path"]) == c["bytes"]
        except (OSError, StoreError):
            size_ok = False
        download_name = words.file_name(name_stem, kind, c["captured_at"], ext)
        files.append(
            {
                "url": links.file(c["path"], download_name),
                "id": c["id"],
                "kind": kind,
                "label": label,
                "path": c["path"],
                "download_name": download_name,
                "captured_at": c["captured_at"],
                "when": words.when(c["captured_at"], seconds=True),
                "sha256": c["sha256"],
                "bytes": c["bytes"],
                "mime": c["mime"],
                "source_url": c["source_url"],
                "run_id": c["run_id"],
                "log_seq": c["seq"],
                "entry_sha256": c["entry_sha256"],
                "signed": c["key_id"] is not None,
                "late": bool(c["late"]),
                # The row as it is now against the hash the log took when it was written.
                "row_matches_log": c["seq"] is not None and c["logged_kind"] in FIELDS
                and content_sha256(c["logged_kind"], c) == c["logged_sha256"],
                "file_present": size_ok,
            }
        )
    run_ids = sorted({f["run_id"] for f in files})
    checks: list[sqlite3.Row] = []
    if post_id is not None:
        checks = conn.execute(
            """SELECT s.id, s.run_id, s.checked_at, s.status, l.seq, l.entry_sha256
               FROM status_checks s LEFT JOIN log l ON l.ref_table = 'status_checks' AND l.ref_id = s.id
               WHERE s.post_id = ? ORDER BY s.id""",
            (post_id,),
        ).fetchall()
        run_ids = sorted(set(run_ids) | {int(s["run_id"]) for s in checks if s["run_id"] is not None})
    runs = [dict(r) for r in conn.execute(f"SELECT * FROM runs WHERE id IN ({_marks(len(run_ids))}) ORDER BY id", run_ids)]
    provenance = {
        int(r["run_id"]): {"path": r["path"], "sha256": r["sha256"], "mime": r["mime"]}
        for r in conn.execute(
            f"SELECT run_id, path, sha256, mime FROM captures WHERE kind = 'provenance' AND run_id IN ({_marks(len(run_ids))})",
            run_ids,
        )
    }
    for run in runs:
        run["started"] = words.when(run["started_at"], seconds=True)
        run["provenance"] = provenance.get(int(run["id"]))
        if run["provenance"]:
            run["provenance"]["url"] = links.file(run["provenance"]["path"], f"run-{run['id']}-provenance.json")
    # The facts the page shows about the post or article itself (text, status, title):
    # the row as it is now against its newest log entry.
    table = "posts" if post_id is not None else "articles"
    entry = conn.execute(
        "SELECT seq, kind, content_sha256 FROM log WHERE ref_table = ? AND ref_id = ? ORDER BY seq DESC LIMIT 1",
        (table, owner),
    ).fetchone()
    # Hashed as its entry's kind was (a post logged before version 14 as 'post', later as 'post_v2').
    kind = entry["kind"] if entry and entry["kind"] in FIELDS else KINDS[table]
    own = conn.execute(f"SELECT {', '.join(FIELDS[kind])} FROM {table} WHERE id = ?", (owner,)).fetchone()
    facts = {
        "log_seq": entry["seq"] if entry else None,
        "matches": bool(entry and own and content_sha256(kind, own) == entry["content_sha256"]),
    }
    return {
        "facts": facts,
        "files": files,
        "runs": runs,
        "checks": [
            {"id": s["id"], "when": words.when(s["checked_at"], seconds=True), "status": s["status"],
             "run_id": s["run_id"], "log_seq": s["seq"], "entry_sha256": s["entry_sha256"]}
            for s in checks
        ],
        "all_logged": all(f["log_seq"] is not None for f in files) and all(s["seq"] is not None for s in checks),
        "all_match": all(f["row_matches_log"] and f["file_present"] for f in files) and facts["matches"],
    }

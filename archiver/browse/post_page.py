"""What a post's page shows besides its columns: its screenshot, status timeline, media,
and the articles that cite it with their embed text."""

from __future__ import annotations

import sqlite3
from typing import Any

from archiver.browse.cells import file_url
from archiver.queries import history

MEDIA_KINDS = ("photo", "video", "poster")


def post_context(conn: sqlite3.Connection, post_id: int) -> dict[str, Any] | None:
    """Everything the post page template needs, read in one go on Datasette's read connection."""
    conn.row_factory = sqlite3.Row
    post = conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
    if post is None:
        return None
    _, entries = history(conn, post["native_id"])
    # A capture's own line is in the media and screenshot sections; the timeline is
    # what happened to the post: checks and changes.
    timeline = [e.as_dict() for e in entries if not e.what.startswith("capture: ")]
    captures = conn.execute(
        """SELECT c.id, c.kind, c.path, c.mime, c.width, c.height, c.captured_at, c.run_id, c.source_url,
                  t.path AS t_path, t.width AS t_width, t.height AS t_height
           FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
           WHERE c.post_id = ? AND c.kind IN ('screenshot', 'photo', 'video', 'poster')
           ORDER BY c.id""",
        (post_id,),
    ).fetchall()
    screenshots = [dict(c) for c in captures if c["kind"] == "screenshot"]
    media = [dict(c) for c in captures if c["kind"] in MEDIA_KINDS]
    citations = conn.execute(
        """SELECT a.id AS article_id, a.title, a.url, ap.link, ap.form, ap.embed_text, ap.first_seen_at, ap.removed_at
           FROM article_posts ap JOIN articles a ON a.id = ap.article_id
           WHERE ap.post_id = ? ORDER BY ap.first_seen_at""",
        (post_id,),
    ).fetchall()
    return {
        "post": dict(post),
        "screenshot": screenshots[-1] if screenshots else None,
        "earlier_screenshots": screenshots[:-1],
        "timeline": timeline,
        "media": media,
        "citations": [dict(c) for c in citations],
    }


def with_urls(datasette: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Give each file in the context its URL on this Datasette."""
    files = [context["screenshot"], *context["earlier_screenshots"], *context["media"]]
    for item in files:
        if item is None:
            continue
        item["url"] = file_url(datasette, item["path"])
        item["thumb_url"] = file_url(datasette, item["t_path"]) if item["t_path"] else None
    return context

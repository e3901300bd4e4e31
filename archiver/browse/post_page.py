"""What a post's page shows: its fate at a glance, its card and text (or, for a post
deleted before capture, the newsroom's copy first), what happened to it in words,
media, the articles that cite it, and its evidence sheet."""

from __future__ import annotations

import sqlite3
from typing import Any

from archiver.plumbing.blobstores import BlobStorage

from archiver.browse import words
from archiver.browse.article_page import article_stem, form_words
from archiver.browse.evidence_sheet import extension, sheet
from archiver.browse.links import Links
from archiver.browse.regions import for_post, region_view
from archiver.queries import outside_of_archive

MEDIA_KINDS = ("photo", "video", "poster", "audio", "captions")


def _file(links: Links, row: sqlite3.Row | dict[str, Any], name: str | None = None) -> dict[str, Any]:
    item = dict(row)
    item["url"] = links.file(item["path"], name)
    item["thumb_url"] = links.file(item["t_path"]) if item.get("t_path") else None
    item["when"] = words.when(item.get("captured_at"))
    return item


def noticed_at(conn: sqlite3.Connection, post_id: int, status: str) -> str | None:
    """When a sweep noticed the post turn to its current status; None if it was so from the start."""
    row = conn.execute(
        "SELECT max(detected_at) FROM events WHERE post_id = ? AND kind = ?", (post_id, status)
    ).fetchone()
    return str(row[0]) if row and row[0] else None


def post_badge(conn: sqlite3.Connection, post: sqlite3.Row | dict[str, Any]) -> words.Badge:
    status = str(post["status"])
    noticed = noticed_at(conn, int(post["id"]), status) if status in ("deleted", "unavailable") else None
    return words.badge(status, noticed_at=noticed, first_archived_at=post["first_archived_at"],
                       last_checked_at=post["last_checked_at"])


def _timeline(
    conn: sqlite3.Connection, links: Links, post: sqlite3.Row, screenshots: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    platform = str(post["platform"])
    entries: list[tuple[str, int, dict[str, Any]]] = []
    checks = conn.execute(
        "SELECT checked_at, status, signals, logged_in FROM status_checks WHERE post_id = ? ORDER BY checked_at, id",
        (post["id"],),
    ).fetchall()
    # A run of identical checks is one line: a post checked daily for a year is not 365 lines.
    groups: list[list[sqlite3.Row]] = []
    for check in checks:
        key = (check["status"], check["logged_in"],
               sorted((s, v.get("status"), v.get("says")) for s, v in words.signals_of(check["signals"]).items()))
        if groups:
            last = groups[-1][-1]
            last_key = (last["status"], last["logged_in"],
                        sorted((s, v.get("status"), v.get("says")) for s, v in words.signals_of(last["signals"]).items()))
            if key == last_key:
                groups[-1].append(check)
                continue
        groups.append([check])
    for n, group in enumerate(groups):
        first = group[0]
        sentence = words.check_sentence(platform, first["status"], first["signals"], first=n == 0)
        if first["logged_in"]:
            sentence += f" Checked logged in, with the user's own {first['logged_in']} cookies."
        if len(group) > 1:
            sentence += f" The same at {len(group) - 1} later check{'s' if len(group) > 2 else ''}, the last {words.when(group[-1]['checked_at'])}."
        entries.append((first["checked_at"], 1, {"when": words.when(first["checked_at"]), "kind": "check",
                                                  "status": first["status"], "sentence": sentence}))
    for event in conn.execute(
        "SELECT id, run_id, detected_at, kind, article_id, detail FROM events WHERE post_id = ? ORDER BY id", (post["id"],)
    ):
        entry: dict[str, Any] = {"when": words.when(event["detected_at"]), "kind": event["kind"],
                                 "status": event["kind"], "sentence": words.event_sentence(event["kind"], event["detail"])}
        detail = words.detail_of(event["detail"])
        if event["kind"] in ("edited", "media_changed"):
            after = next((s for s in screenshots if s["run_id"] == event["run_id"]), None)
            earlier = [s for s in screenshots if after is None or s["id"] < after["id"]]
            entry["before_text"] = detail.get("before")
            entry["after_text"] = detail.get("after")
            entry["before_capture"] = earlier[-1] if earlier else None
            entry["after_capture"] = after
        if event["article_id"] is not None:
            entry["article_url"] = links.article(event["article_id"])
        entries.append((event["detected_at"], 0, entry))
    entries.sort(key=lambda e: (e[0], e[1]))
    return [e for _, _, e in entries]


def _linked_post(conn: sqlite3.Connection, links: Links, post_id: object) -> dict[str, Any] | None:
    """A post another points at (one it quotes, one it replies to): its page and label."""
    if post_id is None:
        return None
    row = conn.execute("SELECT id, label FROM posts WHERE id = ?", (post_id,)).fetchone()
    return {"url": links.post(row["id"]), "label": row["label"]} if row else None


def post_context(conn: sqlite3.Connection, links: Links, storage: BlobStorage, post_id: int) -> dict[str, Any] | None:
    """Everything the post page template needs, read in one go on Datasette's read connection."""
    post = conn.execute("SELECT * FROM posts WHERE id = ?", (post_id,)).fetchone()
    if post is None:
        return None
    platform, native_id = str(post["platform"]), str(post["native_id"])
    stem = f"{platform}-{native_id}"
    captures = conn.execute(
        """SELECT c.id, c.kind, c.path, c.mime, c.width, c.height, c.captured_at, c.run_id, c.source_url, c.sha256,
                  c.logged_in, t.path AS t_path, t.width AS t_width, t.height AS t_height
           FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
           WHERE c.post_id = ? AND c.kind IN ('screenshot', 'photo', 'video', 'poster', 'audio', 'captions')
           ORDER BY c.id""",
        (post_id,),
    ).fetchall()
    def named(c: sqlite3.Row) -> dict[str, Any]:
        return _file(links, c, words.file_name(stem, c["kind"], c["captured_at"], extension(c["mime"], c["path"])))

    screenshots = [named(c) for c in captures if c["kind"] == "screenshot"]
    # A re-capture stores rows again, not files: show each file once.
    media: list[dict[str, Any]] = []
    for c in captures:
        if c["kind"] in MEDIA_KINDS and all(m["sha256"] != c["sha256"] for m in media):
            media.append(named(c))
    citations: dict[int, dict[str, Any]] = {}
    for c in conn.execute(
        """SELECT a.id AS article_id, a.title, a.url, ap.link, ap.form, ap.embed_text, ap.first_seen_at, ap.removed_at
           FROM article_posts ap JOIN articles a ON a.id = ap.article_id
           WHERE ap.post_id = ? ORDER BY ap.first_seen_at, ap.rowid""",
        (post_id,),
    ):
        # One entry per article, however many links to the post it holds.
        cited = citations.setdefault(
            c["article_id"],
            {"article_id": c["article_id"], "title": c["title"] or c["url"], "url": links.article(c["article_id"]),
             "forms": [], "embed_text": None, "first_seen": words.when(c["first_seen_at"]), "removed": None},
        )
        if form_words(c["form"]) not in cited["forms"]:
            cited["forms"].append(form_words(c["form"]))
        cited["embed_text"] = cited["embed_text"] or c["embed_text"]
        if c["removed_at"]:
            cited["removed"] = words.when(c["removed_at"])
    regions = for_post(conn, post_id)
    for cited in citations.values():
        region = regions.get(cited["article_id"])
        cited["region"] = region_view(links, region, article_stem(conn, cited["article_id"])) if region else None
        shot = conn.execute(
            """SELECT c.id, c.path, c.captured_at, t.path AS t_path, t.width AS t_width, t.height AS t_height
               FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
               WHERE c.article_id = ? AND c.kind = 'page_screenshot' ORDER BY c.id DESC LIMIT 1""",
            (cited["article_id"],),
        ).fetchone()
        cited["page_screenshot"] = _file(links, shot) if shot else None
    handle = post["author_handle"] or words.handle_from_url(platform, str(post["url"]))
    badge = post_badge(conn, post)
    quoted = _linked_post(conn, links, post["quoted_post_id"])
    replied_to = _linked_post(conn, links, post["reply_to_post_id"])
    surviving = not screenshots and not post["text"] and any(c["embed_text"] for c in citations.values())
    logged = conn.execute(
        """SELECT (SELECT count(*) FROM captures WHERE post_id = :id AND logged_in IS NOT NULL) AS captures,
                  (SELECT count(*) FROM status_checks WHERE post_id = :id AND logged_in IS NOT NULL) AS checks,
                  (SELECT group_concat(logged_in, ',') FROM (
                      SELECT logged_in FROM captures WHERE post_id = :id AND logged_in IS NOT NULL
                      UNION SELECT logged_in FROM status_checks WHERE post_id = :id AND logged_in IS NOT NULL))
                  AS platforms""",
        {"id": post_id},
    ).fetchone()
    return {
        "post": dict(post),
        "platform": platform,
        "handle": handle,
        "handle_from_url": post["author_handle"] is None and handle is not None,
        "badge": badge,
        "posted": words.when(post["created_at"]),
        "first_archived": words.when(post["first_archived_at"]),
        "screenshot": screenshots[-1] if screenshots else None,
        # No card of its own (gone before capture, or its card failed): where the articles'
        # screenshots show it, one region per citing article.
        "regions": [] if screenshots else [c["region"] for c in citations.values() if c["region"]],
        "earlier_screenshots": screenshots[:-1],
        "timeline": _timeline(conn, links, post, screenshots),
        "media": media,
        "citations": list(citations.values()),
        "surviving_copy": surviving,
        "quoted": quoted,
        "replied_to": replied_to,
        # Captures and checks made with the user's own cookies (archive --cookies): said on the page.
        "logged_in": {
            "captures": logged["captures"], "checks": logged["checks"],
            "platforms": ", ".join(sorted(set(str(logged["platforms"]).split(",")))),
        } if logged["captures"] or logged["checks"] else None,
        "evidence": sheet(conn, links, storage, post_id=post_id, name_stem=stem),
        # Trusted time (RFC 3161 stamps of the log) and Wayback copies beside the archive's own (issue 16).
        "outside": [{**e.as_dict(), "when": words.when(e.at)} for e in outside_of_archive(conn, post_id)],
        "evidence_url": links.evidence("post", post_id),
        "stem": stem,
    }


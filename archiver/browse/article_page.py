"""What an article's page shows: its page screenshot beside every post it cites (card,
status badge, how it was embedded, the newsroom's text), the article's own history in
words (fetched, changed, gone) and its evidence sheet."""

from __future__ import annotations

import sqlite3
from typing import Any
from urllib.parse import urlsplit

from archiver.plumbing.blobstores import BlobStorage

from archiver.browse import words
from archiver.browse.evidence_sheet import sheet
from archiver.browse.links import Links
from archiver.browse.regions import for_article, region_view

FORM_WORDS = {
    "blockquote": "embedded post (blockquote)",
    "iframe": "embedded post (iframe)",
    "amp": "embedded post (AMP)",
    "status_link": "link to the post",
    "pic_link": "link to the post's media",
    "short_link": "short link to the post",
    "script_widget": "embedded post (script widget)",
    "cms_wrapper": "embedded post (through the site's embed tool)",
}
"""How a post was cited; an unknown form (the vocabulary is open) shows as stored."""


def form_words(form: str) -> str:
    return FORM_WORDS.get(form, form.replace("_", " "))


PLACEMENT_WORDS = {"body": "article's own text", "page": "page around the article"}
"""Where on its page an embed sat (``seen_embeds.placement``), in words."""
PLACEMENT_SQL = """(SELECT group_concat(DISTINCT s.placement) FROM seen_embeds s
                    WHERE s.article_id = ap.article_id AND s.link = ap.link AND s.form = ap.form)"""


def has_table(conn: sqlite3.Connection, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone() is not None


def fetches(conn: sqlite3.Connection, article: sqlite3.Row | dict[str, Any]) -> list[sqlite3.Row]:
    """archiver's own fetches of the article's address, oldest first (the browser's are not
    the article's fate: it renders what archiver fetched)."""
    urls = [u for u in {article["url"], article["final_url"]} if u]
    return conn.execute(
        f"""SELECT id, run_id, url, status, started_at FROM exchanges
            WHERE url IN ({', '.join('?' * len(urls))}) AND client = 'http' ORDER BY id""",
        urls,
    ).fetchall()


def fate(conn: sqlite3.Connection, article: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    """Whether the article is still there, by archiver's last fetch of it."""
    urls = [u for u in {article["url"], article["final_url"]} if u]
    last = conn.execute(
        f"""SELECT status, started_at FROM exchanges WHERE url IN ({', '.join('?' * len(urls))}) AND client = 'http'
            ORDER BY id DESC LIMIT 1""",
        urls,
    ).fetchone()
    status = last["status"] if last else article["http_status"]
    at = last["started_at"] if last else article["last_fetched_at"]
    if status in (404, 410):
        return {"status": "gone", "word": "Gone", "mark": "✕", "text": f"Gone — answered HTTP {status} {words.when(at)}"}
    if status == 200:
        return {"status": "live", "word": "Online", "mark": "●", "text": f"Online — last fetched {words.when(at)}"}
    return {"status": "unknown", "word": "Unreachable", "mark": "?",
            "text": f"Not reached at the last fetch {words.when(at)} ({words.http_sentence(status)})"}


def counts(conn: sqlite3.Connection, article_id: int) -> dict[str, int]:
    row = conn.execute(
        """SELECT count(DISTINCT p.id) AS cited,
                  count(DISTINCT CASE WHEN p.status = 'deleted' THEN p.id END) AS deleted,
                  count(DISTINCT CASE WHEN p.status = 'unavailable' THEN p.id END) AS unavailable,
                  count(DISTINCT CASE WHEN ap.removed_at IS NOT NULL THEN p.id END) AS removed
           FROM article_posts ap JOIN posts p ON p.id = ap.post_id WHERE ap.article_id = ?""",
        (article_id,),
    ).fetchone()
    return {k: int(row[k] or 0) for k in ("cited", "deleted", "unavailable", "removed")}


def counts_text(c: dict[str, int]) -> str:
    parts = [f"{c['cited']} cited"]
    for key in ("deleted", "unavailable"):
        if c[key]:
            parts.append(f"{c[key]} {key}")
    if c["removed"]:
        parts.append(f"{c['removed']} no longer in the article")
    return " · ".join(parts)


def _stem(article_id: int, url: str) -> str:
    return f"article-{article_id}-{urlsplit(url).hostname or 'article'}"


def article_stem(conn: sqlite3.Connection, article_id: int) -> str:
    """How an article's files are named when saved: ``article-<id>-<host>``."""
    row = conn.execute("SELECT url FROM articles WHERE id = ?", (article_id,)).fetchone()
    return _stem(article_id, str(row["url"]) if row else "")


def article_context(conn: sqlite3.Connection, links: Links, storage: BlobStorage, article_id: int) -> dict[str, Any] | None:
    article = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
    if article is None:
        return None
    own = conn.execute(
        """SELECT c.id, c.kind, c.path, c.mime, c.captured_at, c.run_id, c.width, c.height,
                  t.path AS t_path, t.width AS t_width, t.height AS t_height
           FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
           WHERE c.article_id = ? AND c.kind IN ('page_screenshot', 'html') ORDER BY c.id""",
        (article_id,),
    ).fetchall()
    stem = _stem(article_id, str(article["url"]))
    shots = [dict(c) for c in own if c["kind"] == "page_screenshot"]
    for s in shots:
        s["url"] = links.file(s["path"], words.file_name(stem, "page", s["captured_at"], "png"))
        s["thumb_url"] = links.file(s["t_path"]) if s["t_path"] else None
        s["when"] = words.when(s["captured_at"])
    # Where on the page each citation sat, as the finder placed it (seen_embeds, from schema
    # version 11; a citation from before has none to show).
    placement = PLACEMENT_SQL if has_table(conn, "seen_embeds") else "NULL"
    cited = conn.execute(
        f"""SELECT ap.post_id, ap.link, ap.form, ap.embed_text, ap.first_seen_at, ap.removed_at,
                   {placement} AS placement,
                   p.platform, p.native_id, p.url AS post_url, p.author_handle, p.author_name, p.text, p.status,
                   p.first_archived_at, p.last_checked_at, p.created_at,
                   (SELECT max(e.detected_at) FROM events e WHERE e.post_id = p.id AND e.kind = p.status) AS noticed_at,
                   (SELECT count(*) FROM events e WHERE e.post_id = p.id AND e.kind = 'edited') AS edits,
                   (SELECT max(c.id) FROM captures c WHERE c.post_id = p.id AND c.kind = 'screenshot') AS shot_id
            FROM article_posts ap JOIN posts p ON p.id = ap.post_id
            WHERE ap.article_id = ? ORDER BY ap.rowid""",
        (article_id,),
    ).fetchall()
    shot_ids = [r["shot_id"] for r in cited if r["shot_id"] is not None]
    thumbs = {
        r["id"]: r
        for r in conn.execute(
            f"""SELECT c.id, c.path, t.path AS t_path, t.width AS t_width, t.height AS t_height
                FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id WHERE c.id IN ({', '.join('?' * len(shot_ids))})""",
            shot_ids,
        )
    }
    regions = for_article(conn, article_id)
    posts: dict[int, dict[str, Any]] = {}
    for r in cited:
        entry = posts.get(r["post_id"])
        if entry is None:
            status = str(r["status"])
            shot = thumbs.get(r["shot_id"])
            handle = r["author_handle"] or words.handle_from_url(str(r["platform"]), str(r["post_url"]))
            entry = posts[r["post_id"]] = {
                "url": links.post(r["post_id"]),
                "status": status,
                "badge": words.badge(status, noticed_at=r["noticed_at"] if status in ("deleted", "unavailable") else None,
                                     first_archived_at=r["first_archived_at"], last_checked_at=r["last_checked_at"]),
                "handle": handle,
                "author_name": r["author_name"],
                "text": r["text"],
                "embed_text": r["embed_text"],
                "forms": [],
                "placements": [],
                "edited": int(r["edits"]) > 0,
                "removed": words.when(r["removed_at"]) if r["removed_at"] else None,
                "posted": words.when(r["created_at"]),
                "thumb": {"src": links.file(shot["t_path"]), "width": shot["t_width"], "height": shot["t_height"]}
                if shot is not None and shot["t_path"] else None,
                # A post with no card of its own is shown by where the article's screenshot shows it.
                "region": region_view(links, regions[r["post_id"]], stem)
                if shot is None and r["post_id"] in regions else None,
            }
        if form_words(r["form"]) not in entry["forms"]:
            entry["forms"].append(form_words(r["form"]))
        for where in str(r["placement"] or "").split(","):
            said = PLACEMENT_WORDS.get(where)
            if said and said not in entry["placements"]:
                entry["placements"].append(said)
        entry["embed_text"] = entry["embed_text"] or r["embed_text"]
        if r["removed_at"] is None:
            entry["removed"] = None
    history = _history(conn, links, article, own)
    return {
        "article": dict(article),
        "title": article["title"] or article["url"],
        "fate": fate(conn, article),
        "counts": counts_text(counts(conn, article_id)),
        "page_screenshot": shots[-1] if shots else None,
        "earlier_page_screenshots": shots[:-1],
        "html": next((links.file(c["path"], words.file_name(stem, "html", c["captured_at"], "txt"))
                      for c in reversed(own) if c["kind"] == "html"), None),
        "posts": list(posts.values()),
        "history": history,
        "evidence": sheet(conn, links, storage, article_id=article_id, name_stem=stem),
        "evidence_url": links.evidence("article", article_id),
        "captures_query": links.query("article_captures", article=article_id),
        "first_archived": words.when(article["first_archived_at"]),
    }


def _history(
    conn: sqlite3.Connection, links: Links, article: sqlite3.Row, own: list[sqlite3.Row]
) -> list[dict[str, Any]]:
    entries: list[tuple[str, int, dict[str, Any]]] = []
    captured_runs = {c["run_id"] for c in own}
    for n, f in enumerate(fetches(conn, article)):
        if f["status"] == 200:
            if n == 0:
                sentence = "First fetched (HTTP 200) and captured: HTML and screenshot."
            elif f["run_id"] in captured_runs:
                sentence = "Fetched again (HTTP 200): the page had changed and was captured again."
            else:
                sentence = "Fetched again (HTTP 200): unchanged."
            status = "live"
        else:
            sentence = f"Fetched: {words.http_sentence(f['status'])}. The captures made before are kept."
            status = "gone" if f["status"] in (404, 410) else "unknown"
        entries.append((f["started_at"], 0, {"when": words.when(f["started_at"]), "status": status, "sentence": sentence}))
    for e in conn.execute(
        """SELECT e.detected_at, e.kind, e.post_id, p.label FROM events e LEFT JOIN posts p ON p.id = e.post_id
           WHERE e.article_id = ? ORDER BY e.id""",
        (article["id"],),
    ):
        sentence = {
            "embed_added": "Started citing a post",
            "embed_removed": "Stopped citing a post (its link is no longer on the page)",
            "embed_returned": "Cites a post again",
        }.get(e["kind"], e["kind"].replace("_", " ").capitalize())
        entries.append((e["detected_at"], 1, {"when": words.when(e["detected_at"]), "status": e["kind"],
                                              "sentence": sentence + ":", "post_label": e["label"],
                                              "post_url": links.post(e["post_id"]) if e["post_id"] else None}))
    if not entries:
        entries.append((article["first_archived_at"], 0, {"when": words.when(article["first_archived_at"]),
                                                         "status": "live", "sentence": "First archived."}))
    entries.sort(key=lambda e: (e[0], e[1]))
    return [e for _, _, e in entries]

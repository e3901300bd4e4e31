"""Cells for people: pictures instead of paths, badges instead of status codes, times in
UTC, links to the archived post or article instead of ids.

Every value put into markup goes through markupsafe (``Markup.format`` escapes its
arguments), so a post's text or a hostile URL cannot inject anything.
"""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from archiver.browse import words
from archiver.browse.article_page import counts, counts_text, fate
from archiver.browse.links import ROUTE, Links
from archiver.browse.files import is_blob_path
from archiver.browse.metadata import DATABASE

THUMB = Markup(
    '<a href="{href}" class="archiver-thumb" title="{title}"><img src="{src}" width="{w}" height="{h}"'
    ' alt="{alt}" loading="lazy"></a>'
)
TIME_COLUMNS_SUFFIX = "_at"
STATUS_COLUMNS = {"status", "status_now"}
LIST_TEXT = 280
"""Characters of a post's text shown in a list; the post's page has all of it."""


def file_url(datasette: Any, path: str) -> str:
    url: str = datasette.urls.path(ROUTE + path)
    return url


def plain(value: Any) -> Any:
    """A cell's value; Datasette hands expanded foreign keys over as {"value", "label"}."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def field(row: Any, key: str) -> Any:
    try:
        return plain(row[key])
    except (IndexError, KeyError):
        return None


def thumbnail(href: str, src: str, width: Any, height: Any, alt: str, title: str) -> Markup:
    return THUMB.format(href=href, src=src, w=width, h=height, alt=alt, title=title)


def link(href: str, text: str, cls: str = "") -> Markup:
    if cls:
        return Markup('<a href="{}" class="{}">{}</a>').format(href, cls, text)
    return Markup('<a href="{}">{}</a>').format(href, text)


def external(url: str) -> Markup:
    # Only web links become links: a javascript: URL in the archive stays text.
    if url.startswith(("https://", "http://")):
        return Markup('<a href="{}" class="archiver-external" rel="noopener noreferrer nofollow">{}</a>').format(url, url)
    return Markup("{}").format(url)


def badge_markup(status: str, word: str, mark: str, detail: str = "") -> Markup:
    """A status badge: a mark and a word (never colour alone), then since when."""
    out = Markup('<span class="archiver-badge archiver-badge-{}"><span aria-hidden="true">{}</span> {}</span>').format(
        status, mark, word
    )
    if detail:
        out += Markup(' <span class="archiver-badge-detail">{}</span>').format(detail)
    return out


def time_markup(value: str) -> Markup:
    return Markup('<time datetime="{}">{}</time>').format(value, words.when(value, seconds=True))


def media_format(row: Any) -> str:
    """A short name for a media file's type: mp4, webm, HLS playlist…"""
    mime = str(field(row, "mime") or "")
    if "mpegurl" in mime:
        return "HLS playlist"
    return {"video/mp2t": "MPEG-TS", "audio/mpeg": "mp3", "audio/mp4": "m4a"}.get(mime, mime.split("/")[-1] or "file")


async def latest_capture(db: Any, owner: str, owner_id: Any, kind: str) -> Any:
    """The newest capture of one kind of a post or article, with its thumbnail's columns."""
    column = "post_id" if owner == "post" else "article_id"
    results = await db.execute(
        f"""SELECT c.id, c.path, c.kind, t.path AS t_path, t.width AS t_width, t.height AS t_height
            FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
            WHERE c.{column} = ? AND c.kind = ? ORDER BY c.id DESC LIMIT 1""",
        [plain(owner_id), kind],
    )
    return results.first()


def render(datasette: Any, row: Any, value: Any, column: str, table: str | None) -> Any:
    """render_cell for the archive: an awaitable giving Markup, or None for Datasette's own."""
    links = Links(datasette)
    value = plain(value)

    async def inner() -> Any:
        db = datasette.get_database(DATABASE)
        if table == "posts":
            return await post_cell(links, db, row, value, column)
        if table == "articles":
            return await article_cell(links, db, row, value, column)
        if table == "captures" and column == "path" and isinstance(value, str):
            return await capture_cell(links, db, row, value)
        if table == "thumbnails" and column == "path" and isinstance(value, str) and is_blob_path(value):
            return thumbnail(links.file(value), links.file(value), field(row, "width"), field(row, "height"),
                             "thumbnail", "thumbnail")
        if table is None:
            found = await query_cell(links, db, row, value, column)
            if found is not None:
                return found
        if column == "path" and isinstance(value, str) and is_blob_path(value):
            return link(links.file(value), value)
        if column.endswith(TIME_COLUMNS_SUFFIX) and isinstance(value, str) and words.parse_time(value):
            return time_markup(value)
        return None

    return inner


async def post_cell(links: Links, db: Any, row: Any, value: Any, column: str) -> Markup | None:
    post_id = field(row, "id")
    if column == "url" and isinstance(value, str) and post_id is not None:
        # The thumbnail opens the archived post, not the raw PNG.
        shot = await latest_capture(db, "post", post_id, "screenshot")
        if shot is None or shot["t_path"] is None:
            return Markup('<a href="{}" class="archiver-nothumb">no card</a>{}').format(links.post(post_id), external(value))
        thumb = thumbnail(links.post(post_id), links.file(shot["t_path"]), shot["t_width"], shot["t_height"],
                          "the post's card as captured", "open the archived post")
        return Markup("{}{}").format(thumb, external(value))
    if column == "status" and isinstance(value, str) and post_id is not None:
        noticed = None
        if value in ("deleted", "unavailable"):
            found = (await db.execute(
                "SELECT max(detected_at) AS at FROM events WHERE post_id = ? AND kind = ?", [post_id, value]
            )).first()
            noticed = found["at"] if found else None
        b = words.badge(value, noticed_at=noticed, first_archived_at=field(row, "first_archived_at"),
                        last_checked_at=field(row, "last_checked_at"))
        return badge_markup(b.status, b.word, b.mark, b.detail)
    if column == "text" and post_id is not None:
        if isinstance(value, str) and value:
            shown = value if len(value) <= LIST_TEXT else value[:LIST_TEXT].rstrip() + "…"
            return Markup('<span class="archiver-text">{}</span>').format(shown)
        copy = (await db.execute(
            "SELECT embed_text FROM article_posts WHERE post_id = ? AND embed_text IS NOT NULL LIMIT 1", [post_id]
        )).first()
        if copy is not None:
            gone = field(row, "status") in ("deleted", "unavailable")
            lead = "Only copy, from the newsroom's embed:" if gone else "From the newsroom's embed (the platform gave no text):"
            return Markup('<span class="archiver-only-copy"><strong>{}</strong> {}</span>').format(
                lead, copy["embed_text"][:LIST_TEXT]
            )
        return Markup('<em class="archiver-none">no text archived</em>')
    if column == "author_handle":
        handle = value if isinstance(value, str) and value else words.handle_from_url(
            str(field(row, "platform") or ""), str(field(row, "url") or ""))
        if handle:
            return Markup("@{}").format(handle)
        return None
    if column.endswith(TIME_COLUMNS_SUFFIX) and isinstance(value, str) and words.parse_time(value):
        return time_markup(value)
    return None


async def article_cell(links: Links, db: Any, row: Any, value: Any, column: str) -> Markup | None:
    article_id = field(row, "id")
    if column == "url" and isinstance(value, str) and article_id is not None:
        shot = await latest_capture(db, "article", article_id, "page_screenshot")
        if shot is None or shot["t_path"] is None:
            return external(value)
        thumb = thumbnail(links.article(article_id), links.file(shot["t_path"]), shot["t_width"], shot["t_height"],
                          "the article's page as captured", "open the archived article")
        return Markup("{}{}").format(thumb, external(value))
    if column == "title" and article_id is not None:
        title = value if isinstance(value, str) and value else str(field(row, "url") or article_id)
        article = {"url": field(row, "url"), "final_url": field(row, "final_url"),
                   "http_status": field(row, "http_status"), "last_fetched_at": field(row, "last_fetched_at")}
        if article["url"] is None:
            return None
        found = await db.execute_fn(lambda conn: (fate(conn, article), counts_text(counts(conn, int(article_id)))))
        f, summary = found
        return Markup('{} <span class="archiver-counts">{}</span> {}').format(
            link(links.article(article_id), title, "archiver-title"), summary,
            badge_markup(f["status"], f["word"], f["mark"], ""),
        )
    if column.endswith(TIME_COLUMNS_SUFFIX) and isinstance(value, str) and words.parse_time(value):
        return time_markup(value)
    return None


async def capture_cell(links: Links, db: Any, row: Any, value: str) -> Markup | None:
    """A captures row's file: a thumbnail, a video with its poster, or a link."""
    kind, capture_id, post_id, run_id = field(row, "kind"), field(row, "id"), field(row, "post_id"), field(row, "run_id")
    if kind is None or capture_id is None:
        return link(links.file(value), value)
    if kind == "video":
        poster = (
            await db.execute(
                """SELECT c.path, t.path AS t_path, t.width AS t_width, t.height AS t_height
                   FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
                   WHERE c.post_id = ? AND c.kind = 'poster' AND c.run_id = ? ORDER BY c.id DESC LIMIT 1""",
                [post_id, run_id],
            )
        ).first()
        video = link(links.file(value), f"▶ video ({media_format(row)})")
        if poster is None or poster["t_path"] is None:
            return video
        return Markup("{}{}").format(
            thumbnail(links.file(value), links.file(poster["t_path"]), poster["t_width"], poster["t_height"],
                      "video poster", "video poster: open the video"), video)
    if kind in ("photo", "poster", "screenshot", "page_screenshot"):
        found = (await db.execute("SELECT path, width, height FROM thumbnails WHERE capture_id = ?", [capture_id])).first()
        label = kind.replace("_", " ")
        if found is None:
            return link(links.file(value), f"{label} (full file)")
        return thumbnail(links.file(value), links.file(found["path"]), found["width"], found["height"], label,
                         f"{label}: open the full file")
    if kind == "html":
        return link(links.file(value), "captured HTML (as plain text)")
    if kind == "audio":
        return link(links.file(value), f"♪ audio ({media_format(row)})")
    if kind == "captions":
        return link(links.file(value), "captions")
    if kind == "stream":
        return link(links.file(value), f"part of a streamed video ({media_format(row)})")
    return link(links.file(value), value)


async def query_cell(links: Links, db: Any, row: Any, value: Any, column: str) -> Markup | None:
    """Cells of canned queries: ids lead to the archived pages, statuses are badges."""
    if column == "post_id" and value is not None:
        return link(links.post(value), f"Open post {value}", "archiver-open")
    if column == "article_id" and value is not None:
        return link(links.article(value), f"Open article {value}", "archiver-open")
    if column == "cited_by" and isinstance(value, str):
        try:
            cited = json.loads(value)
        except ValueError:
            return None
        items = [link(links.article(c["id"]), str(c.get("title") or c["id"])) for c in cited if isinstance(c, dict) and "id" in c]
        return Markup('<ul class="archiver-cited">{}</ul>').format(Markup("").join(Markup("<li>{}</li>").format(i) for i in items))
    if column in STATUS_COLUMNS | {"kind"} and isinstance(value, str) and value in words.STATUS_WORDS:
        return badge_markup(value, words.status_word(value), words.status_mark(value))
    if column == "path" and isinstance(value, str) and is_blob_path(value):
        kind = field(row, "kind")
        label = f"{str(kind).replace('_', ' ')} file" if kind else "file"
        return link(links.file(value), label)
    if column in ("before", "after") and isinstance(value, str):
        return Markup('<span class="archiver-text">{}</span>').format(value)
    return None


async def lead(db: Any, links: Links) -> dict[str, Any]:
    """Where a person starts: articles, posts, recently deleted, with their counts."""
    found = (await db.execute(
        """SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM posts) AS posts,
                  (SELECT count(*) FROM posts WHERE status = 'deleted') AS deleted,
                  (SELECT count(*) FROM posts WHERE status = 'unavailable') AS unavailable"""
    )).first()
    return {
        "articles": {"url": links.table("articles"), "count": found["articles"]},
        "posts": {"url": links.table("posts"), "count": found["posts"]},
        "deleted": {"url": links.query("recently_deleted"), "count": found["deleted"] + found["unavailable"]},
        "search": links.table("posts"),
    }

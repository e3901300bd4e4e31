"""Pictures, not paths: the markup for cells that name stored files.

Every value put into markup goes through markupsafe (``Markup.format`` escapes its
arguments), so a post's text or a hostile URL cannot inject anything.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

ROUTE = "/-/archiver/"
"""Files are served under /-/archiver/blobs/…: the blob path after this prefix."""

THUMB = Markup(
    '<a href="{full}" class="archiver-thumb" title="{title}"><img src="{src}" width="{w}" height="{h}"'
    ' alt="{alt}" loading="lazy" style="max-width:160px;height:auto;display:block"></a>'
)


def raw(row: Any, column: str) -> Any:
    """A column's stored value. On table pages Datasette expands a foreign key into
    ``{"value": 3, "label": "…"}`` before handing the row to plugins: the value is inside."""
    value = row[column]
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def file_url(datasette: Any, path: str) -> str:
    url: str = datasette.urls.path(ROUTE + path)
    return url


def thumbnail(datasette: Any, full: str, thumb: Any, alt: str) -> Markup:
    """A thumbnail linking to the full file; without one (an older archive), a link only."""
    if thumb is None:
        return Markup('<a href="{}">{} (full file)</a>').format(file_url(datasette, full), alt)
    return THUMB.format(
        full=file_url(datasette, full),
        src=file_url(datasette, thumb["path"]),
        w=thumb["width"],
        h=thumb["height"],
        alt=alt,
        title=f"{alt}: open the full file",
    )


def link(datasette: Any, path: str, text: str) -> Markup:
    return Markup('<a href="{}">{}</a>').format(file_url(datasette, path), text)


def external(url: str) -> Markup:
    # Only web links become links: a javascript: URL in the archive stays text.
    if url.startswith(("https://", "http://")):
        return Markup('<a href="{}" rel="noopener noreferrer nofollow">{}</a>').format(url, url)
    return Markup("{}").format(url)


async def latest_capture(db: Any, owner: str, owner_id: int, kind: str) -> Any:
    """The newest capture of one kind of a post or article, with its thumbnail's columns."""
    column = "post_id" if owner == "post" else "article_id"
    results = await db.execute(
        f"""SELECT c.id, c.path, c.kind, t.path AS t_path, t.width AS t_width, t.height AS t_height
            FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
            WHERE c.{column} = ? AND c.kind = ? ORDER BY c.id DESC LIMIT 1""",
        [owner_id, kind],
    )
    return results.first()


def thumb_of(row: Any) -> dict[str, Any] | None:
    if row is None or row["t_path"] is None:
        return None
    return {"path": row["t_path"], "width": row["t_width"], "height": row["t_height"]}


def media_format(row: Any) -> str:
    """A short name for a media file's type: mp4, webm, HLS playlist…"""
    try:
        mime = str(raw(row, "mime") or "")
    except (IndexError, KeyError):
        return "file"
    if "mpegurl" in mime:
        return "HLS playlist"
    return {"video/mp2t": "MPEG-TS", "audio/mpeg": "mp3", "audio/mp4": "m4a"}.get(mime, mime.split("/")[-1] or "file")


async def capture_cell(datasette: Any, db: Any, row: Any, value: str) -> Markup | None:
    """A captures row's file: a thumbnail, a video with its poster, or a link."""
    try:
        kind, capture_id = raw(row, "kind"), raw(row, "id")
        post_id, run_id = raw(row, "post_id"), raw(row, "run_id")
    except (IndexError, KeyError):
        return link(datasette, value, value)
    if kind == "video":
        poster = (
            await db.execute(
                """SELECT c.path, t.path AS t_path, t.width AS t_width, t.height AS t_height
                   FROM captures c LEFT JOIN thumbnails t ON t.capture_id = c.id
                   WHERE c.post_id = ? AND c.kind = 'poster' AND c.run_id = ? ORDER BY c.id DESC LIMIT 1""",
                [post_id, run_id],
            )
        ).first()
        video = link(datasette, value, f"▶ video ({media_format(row)})")
        if poster is None:
            return video
        return Markup("{}{}").format(thumbnail(datasette, value, thumb_of(poster), "video poster"), video)
    if kind in ("photo", "poster", "screenshot", "page_screenshot"):
        found = (
            await db.execute("SELECT path, width, height FROM thumbnails WHERE capture_id = ?", [capture_id])
        ).first()
        return thumbnail(datasette, value, found, kind.replace("_", " "))
    if kind == "html":
        return link(datasette, value, "captured HTML (as plain text)")
    if kind == "audio":
        return link(datasette, value, f"♪ audio ({media_format(row)})")
    if kind == "captions":
        return link(datasette, value, "captions")
    return link(datasette, value, value)


async def post_url_cell(datasette: Any, db: Any, row: Any, value: str) -> Markup | None:
    """A post's URL, under a thumbnail of its latest card screenshot."""
    try:
        post_id = raw(row, "id")
    except (IndexError, KeyError):
        return None
    shot = await latest_capture(db, "post", post_id, "screenshot")
    if shot is None:
        return None
    return Markup("{}{}").format(thumbnail(datasette, shot["path"], thumb_of(shot), "screenshot"), external(value))


async def article_url_cell(datasette: Any, db: Any, row: Any, value: str) -> Markup | None:
    """An article's URL, under a thumbnail of the top of its latest page screenshot."""
    try:
        article_id = raw(row, "id")
    except (IndexError, KeyError):
        return None
    shot = await latest_capture(db, "article", article_id, "page_screenshot")
    if shot is None:
        return None
    return Markup("{}{}").format(thumbnail(datasette, shot["path"], thumb_of(shot), "page screenshot"), external(value))

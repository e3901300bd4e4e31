"""The region of an article's page screenshot where a post was embedded (``embed_regions``):
what a post with no card of its own is shown by, labelled as what it is.

The crop is made on the fly from the stored screenshot (the file is never changed and no
derived file is stored): Pillow, in a thread, at most ``CROPPING`` at once, refused for
an image larger than ``MAX_PIXELS``, and kept in a small cache. It holds the screenshot's
own pixels, with ``MARGIN`` pixels of the page around the box for context.
"""

from __future__ import annotations

import asyncio
import functools
import io
import sqlite3
from pathlib import Path
from typing import Any

from archiver.browse import words
from archiver.browse.links import Links
from archiver.evidence.chain import FIELDS, content_sha256

MARGIN = 16
"""Pixels of the page shown around the box."""
MAX_HEIGHT = 2400
"""Pixels of a region shown, at most, from its top (a very tall embed is cut, and says so)."""
MAX_PIXELS = 60_000_000
"""Screenshots larger than this are not decoded here (as for thumbnails)."""
CROPPING = 2
"""Crops made at once: each decodes the screenshot down to the region's bottom edge."""

_REGION_COLUMNS = """r.id, r.capture_id, r.article_id, r.post_id, r.link, r.x, r.y, r.width, r.height, r.element,
                     r.recorded_at, c.path, c.sha256, c.captured_at, c.width AS shot_width, c.height AS shot_height,
                     l.seq AS log_seq, l.content_sha256 AS logged_sha256"""
_FROM = """FROM embed_regions r JOIN captures c ON c.id = r.capture_id AND c.kind = 'page_screenshot'
           LEFT JOIN log l ON l.ref_table = 'embed_regions' AND l.ref_id = r.id"""


def has_regions(conn: sqlite3.Connection) -> bool:
    """Whether the archive records regions (an archive not yet upgraded does not)."""
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'embed_regions'").fetchone() is not None


def region_view(links: Links, row: sqlite3.Row, stem: str) -> dict[str, Any]:
    """What a page shows of one region: the crop, the screenshot it is from, and its log entry."""
    region = {name: row[name] for name in FIELDS["embed_region"]}
    return {
        "id": row["id"],
        "src": links.region(row["id"]),
        # The crop's size: the box, its margin, cut to the screenshot and to MAX_HEIGHT.
        **dict(zip(("width", "height"), crop_size(row), strict=True)),
        "box": f"{row['width']}×{row['height']} px at ({row['x']}, {row['y']})",
        "cut": row["height"] > MAX_HEIGHT,
        "element": row["element"],
        "when": words.when(row["captured_at"]),
        "screenshot_url": links.file(row["path"], words.file_name(stem, "page", row["captured_at"], "png")),
        "sha256": row["sha256"],
        "article_url": links.article(row["article_id"]),
        "log_seq": row["log_seq"],
        "matches_log": row["log_seq"] is not None and content_sha256("embed_region", region) == row["logged_sha256"],
    }


def for_post(conn: sqlite3.Connection, post_id: int) -> dict[int, sqlite3.Row]:
    """Per citing article, the post's region in that article's newest screenshot that has one."""
    if not has_regions(conn):
        return {}
    newest: dict[int, sqlite3.Row] = {}
    for row in conn.execute(f"SELECT {_REGION_COLUMNS} {_FROM} WHERE r.post_id = ? ORDER BY r.capture_id DESC, r.id",
                            (post_id,)):
        newest.setdefault(int(row["article_id"]), row)
    return newest


def for_article(conn: sqlite3.Connection, article_id: int) -> dict[int, sqlite3.Row]:
    """Per post the article cites, its region in the article's newest screenshot that has one."""
    if not has_regions(conn):
        return {}
    newest: dict[int, sqlite3.Row] = {}
    for row in conn.execute(
        f"SELECT {_REGION_COLUMNS} {_FROM} WHERE r.article_id = ? ORDER BY r.capture_id DESC, r.id", (article_id,)
    ):
        newest.setdefault(int(row["post_id"]), row)
    return newest


def crop_box(row: sqlite3.Row | dict[str, Any]) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the crop: the box and its margin, within the screenshot
    as recorded, at most MAX_HEIGHT of the box from its top."""
    shot_width = int(row["shot_width"] or 0) or 1 << 30
    shot_height = int(row["shot_height"] or 0) or 1 << 30
    left = max(0, int(row["x"]) - MARGIN)
    top = max(0, int(row["y"]) - MARGIN)
    right = min(shot_width, int(row["x"]) + int(row["width"]) + MARGIN)
    bottom = min(shot_height, int(row["y"]) + min(int(row["height"]), MAX_HEIGHT) + MARGIN)
    return left, top, max(right, left + 1), max(bottom, top + 1)


def crop_size(row: sqlite3.Row | dict[str, Any]) -> tuple[int, int]:
    left, top, right, bottom = crop_box(row)
    return right - left, bottom - top


_cropping: dict[int, asyncio.Semaphore] = {}


async def crop(file: Path, box: tuple[int, int, int, int]) -> bytes | None:
    """The crop as a PNG, made off the event loop, at most CROPPING at once; None when the
    file is not an image Pillow reads or is too large to decode here."""
    loop = id(asyncio.get_running_loop())
    gate = _cropping.setdefault(loop, asyncio.Semaphore(CROPPING))
    async with gate:
        return await asyncio.to_thread(_crop, str(file), box)


@functools.lru_cache(maxsize=32)
def _crop(file: str, box: tuple[int, int, int, int]) -> bytes | None:
    from PIL import Image

    try:
        with Image.open(file) as image:
            if image.format != "PNG" or image.width * image.height > MAX_PIXELS:
                return None
            left, top, right, bottom = box
            if right > image.width or bottom > image.height:
                right, bottom = min(right, image.width), min(bottom, image.height)
                if right <= left or bottom <= top:
                    return None
            part = image.crop((left, top, right, bottom))
            out = io.BytesIO()
            part.save(out, format="PNG", compress_level=1)
            return out.getvalue()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None

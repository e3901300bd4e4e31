"""Thumbnails: a small JPEG of each image capture, made when it is captured.

Browsing an archive shows dozens of captures a page; full-size PNG screenshots and
photos scaled by the browser would move megabytes for every page. A thumbnail is a blob
like any other (content-addressed, immutable) recorded in ``thumbnails``, never by
changing the capture's row.

Pillow's work happens before a capture is saved (``with_thumbnails``, in a thread), so it
never holds the database's write lock; ``record_thumbnail`` only inserts two rows.
"""

from __future__ import annotations

import asyncio
import io
import sqlite3
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .blobs import Blob, BlobStore
from .db import utcnow

if TYPE_CHECKING:
    from .store import CaptureFile

THUMBNAIL_KINDS = ("photo", "poster", "screenshot", "page_screenshot")
MAX_WIDTH = 320
MAX_HEIGHT = 320
"""Photos and posters fit in 320x320; screenshots are 320 wide and cut to their top 400 px."""
SCREENSHOT_MAX_HEIGHT = 400
MAX_PIXELS = 60_000_000
"""A source larger than this is not decoded (a full-page screenshot of a very long page)."""
QUALITY = 80


@dataclass(frozen=True)
class Thumbnail:
    blob: Blob
    width: int
    height: int


def make_thumbnail(data: bytes, kind: str) -> tuple[bytes, int, int]:
    """JPEG bytes, width and height of the thumbnail of an image capture of this kind."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        image: Image.Image = opened
        width, height = image.size
        if width * height > MAX_PIXELS or width <= 0 or height <= 0:
            raise ValueError(f"image of {width}x{height} is too large to thumbnail")
        if kind in ("screenshot", "page_screenshot"):
            # The top of a page or card is what identifies it: keep that, at a readable size.
            scale = min(1.0, MAX_WIDTH / width)
            keep = min(height, int(SCREENSHOT_MAX_HEIGHT / scale))
            image = image.crop((0, 0, width, keep))
            size = (max(1, round(width * scale)), max(1, round(keep * scale)))
        else:
            if opened.format == "GIF":
                opened.seek(0)
            scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
            size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.convert("RGBA") if image.mode in ("P", "LA", "RGBA") else image.convert("RGB")
        if image.mode == "RGBA":
            # JPEG has no alpha: flatten onto white, as the card or page showed it.
            flat = Image.new("RGB", image.size, "white")
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        out = io.BytesIO()
        small.save(out, "JPEG", quality=QUALITY, optimize=True, progressive=True)
        return out.getvalue(), small.width, small.height


def thumbnail_for(blobs: BlobStore, kind: str, blob: Blob) -> Thumbnail | None:
    """Make and store the thumbnail of one stored image; None when it cannot be made.

    A capture is evidence; its thumbnail is a convenience. A file Pillow cannot shrink
    is still archived, and the browser links to the full file instead.
    """
    if kind not in THUMBNAIL_KINDS:
        return None
    try:
        data = (blobs.data_dir / blob.path).read_bytes()
        jpeg, width, height = make_thumbnail(data, kind)
    except (OSError, ValueError, SyntaxError):
        return None
    return Thumbnail(blobs.put(jpeg, "image/jpeg"), width, height)


async def with_thumbnails(blobs: BlobStore, captures: list[CaptureFile]) -> list[CaptureFile]:
    """The same captures, each image one carrying its thumbnail (made in threads)."""

    async def one(capture: CaptureFile) -> CaptureFile:
        if capture.kind not in THUMBNAIL_KINDS or capture.thumbnail is not None:
            return capture
        thumbnail = await asyncio.to_thread(thumbnail_for, blobs, capture.kind, capture.blob)
        return replace(capture, thumbnail=thumbnail)

    return list(await asyncio.gather(*(one(c) for c in captures)))


def record_thumbnail(c: sqlite3.Connection, capture_id: int, thumbnail: Thumbnail | None) -> None:
    """Record a capture's thumbnail, inside the transaction that records the capture."""
    if thumbnail is None:
        return
    blob = thumbnail.blob
    c.execute(
        "INSERT OR IGNORE INTO blobs (sha256, path, bytes, mime, created_at) VALUES (?, ?, ?, ?, ?)",
        (blob.sha256, blob.path, blob.bytes, blob.mime, utcnow()),
    )
    c.execute(
        """INSERT OR IGNORE INTO thumbnails (capture_id, sha256, path, width, height, mime, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (capture_id, blob.sha256, blob.path, thumbnail.width, thumbnail.height, blob.mime or "image/jpeg", utcnow()),
    )


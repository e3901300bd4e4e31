"""Thumbnails: a small JPEG of each image capture, made when it is captured.

Browsing an archive shows dozens of captures a page; full-size PNG screenshots and
photos scaled by the browser would move megabytes for every page. A thumbnail is a blob
like any other (content-addressed, immutable) recorded in ``thumbnails``, never by
changing the capture's row.

The capture's perceptual hash (``evidence.phash``) is made from the same decoded pixels
(``derive``): decoding is most of the cost of either. Pillow's work happens before a
capture is saved (``with_thumbnails``, in a thread), so it never holds the database's
write lock; ``record_thumbnail`` only inserts rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import functools
import io
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from ..plumbing.blobs import Blob, BlobStore
from ..plumbing.db import utcnow

if TYPE_CHECKING:
    from PIL import Image

    from .store import CaptureFile

THUMBNAIL_KINDS = ("photo", "poster", "screenshot", "page_screenshot")
MAX_WIDTH = 320
MAX_HEIGHT = 320
"""Photos and posters fit in 320x320; screenshots are 320 wide and cut to their top 400 px."""
SCREENSHOT_MAX_HEIGHT = 400
MAX_PIXELS = 60_000_000
"""A source larger than this is not decoded (a full-page screenshot of a very long page)."""
QUALITY = 80
LARGE_PIXELS = 16_000_000
"""Images larger than this are decoded one at a time (``derive_file``)."""
_large_decode = threading.Lock()
"""A decoded image takes 4 bytes a pixel: 220 MB at 7000x8000. Decoded in parallel on the
thread pool, a post of four such photos, or a few posts, took the process past 2.6 GB."""


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None  # not glibc: nothing to trim
    return trim


def _release_freed_memory() -> None:
    """Give freed heap pages back to the system.

    glibc keeps what a thread freed in that thread's arena, and after the first large block
    is freed it serves later ones from the arenas too (its mmap threshold rises): after
    eight 56-megapixel photos, decoded one at a time on the pool's threads, the process
    held 2.4 GB it no longer used. ``malloc_trim`` returns it (0.8 GB at the peak).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@dataclass(frozen=True)
class Thumbnail:
    blob: Blob
    width: int
    height: int


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS or width <= 0 or height <= 0:
        raise ValueError(f"image of {width}x{height} is too large to thumbnail")


def thumbnail_of(image: Image.Image, kind: str) -> tuple[bytes, int, int]:
    """JPEG bytes, width and height of the thumbnail of an image capture of this kind."""
    from PIL import Image

    width, height = image.size
    if kind in ("screenshot", "page_screenshot"):
        # The top of a page or card is what identifies it: keep that, at a readable size.
        scale = min(1.0, MAX_WIDTH / width)
        keep = min(height, int(SCREENSHOT_MAX_HEIGHT / scale))
        image = image.crop((0, 0, width, keep))
        size = (max(1, round(width * scale)), max(1, round(keep * scale)))
    else:
        scale = min(1.0, MAX_WIDTH / width, MAX_HEIGHT / height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
    if image.mode in ("P", "LA", "RGBA"):
        image = image.convert("RGBA")
    elif image.mode != "RGB":  # convert() would copy an RGB image whole, for nothing
        image = image.convert("RGB")
    if image.mode == "RGBA":
        # JPEG has no alpha: flatten onto white, as the card or page showed it.
        flat = Image.new("RGB", image.size, "white")
        flat.paste(image, mask=image.getchannel("A"))
        image = flat
    # A box reduction by a whole factor first, then Lanczos over the last factor of 1.5 to
    # 3: at 320 px the difference from Lanczos all the way does not show. A 1200x800 photo:
    # 6.8 ms, against 16 ms with a gap of 2.0, which leaves its factor of 3.75 to Lanczos.
    small = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=1.5)
    out = io.BytesIO()
    # Baseline, not optimised or progressive: those passes cost four times the encoding,
    # which holds the GIL, for about 12% less on a thumbnail of 10-16 KB.
    small.save(out, "JPEG", quality=QUALITY)
    return out.getvalue(), small.width, small.height


@dataclass(frozen=True)
class Derived:
    """What is derived from an image capture's pixels: its thumbnail and perceptual hash."""

    thumbnail: tuple[bytes, int, int] | None
    dhash: str | None


def derive(image: Image.Image, kind: str) -> Derived:
    """Thumbnail and dHash of a decoded image, each None where it cannot be made."""
    from ..evidence.phash import IMAGE_KINDS as HASH_KINDS
    from ..evidence.phash import MAX_PIXELS as HASH_MAX_PIXELS
    from ..evidence.phash import dhash_of

    thumbnail = None
    if kind in THUMBNAIL_KINDS:
        try:
            _check_size(image)
            thumbnail = thumbnail_of(image, kind)
        except (OSError, ValueError):
            thumbnail = None
    digest = None
    if kind in HASH_KINDS and image.width * image.height <= HASH_MAX_PIXELS:
        try:
            digest = dhash_of(image)
        except (OSError, ValueError):
            digest = None
    return Derived(thumbnail, digest)


def derive_file(blobs: BlobStore, kind: str, blob: Blob) -> Derived:
    """``derive`` for a stored image, decoded once; a file Pillow cannot read derives nothing.

    A capture is evidence; its thumbnail and hash are conveniences. A file Pillow cannot
    shrink is still archived, and the browser links to the full file instead.
    """
    from PIL import Image

    try:
        with Image.open(blobs.local_path(blob.path)) as image:
            _check_size(image)
            large = image.width * image.height > LARGE_PIXELS
            with _large_decode if large else contextlib.nullcontext():
                try:
                    if image.format == "GIF":
                        image.seek(0)
                    image.load()
                    return derive(image, kind)
                finally:
                    if large:
                        image.close()
                        _release_freed_memory()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return Derived(None, None)


def store_derived(blobs: BlobStore, capture: CaptureFile, derived: Derived) -> CaptureFile:
    """The capture carrying its derived thumbnail (stored as a blob) and hash."""
    thumbnail = None
    if derived.thumbnail is not None:
        jpeg, width, height = derived.thumbnail
        thumbnail = Thumbnail(blobs.put(jpeg, "image/jpeg"), width, height)
    return replace(capture, thumbnail=thumbnail, dhash=derived.dhash)


async def with_thumbnails(blobs: BlobStore, captures: list[CaptureFile]) -> list[CaptureFile]:
    """The same captures, each image one carrying its thumbnail and perceptual hash (made
    in threads). A capture that already carries them is left as it is."""

    def one(capture: CaptureFile) -> CaptureFile:
        return store_derived(blobs, capture, derive_file(blobs, capture.kind, capture.blob))

    async def each(capture: CaptureFile) -> CaptureFile:
        if capture.kind not in THUMBNAIL_KINDS or capture.thumbnail is not None or capture.dhash is not None:
            return capture
        return await asyncio.to_thread(one, capture)

    return list(await asyncio.gather(*(each(c) for c in captures)))


def record_thumbnail(c: sqlite3.Connection, capture_id: int, thumbnail: Thumbnail | None) -> None:
    """Record a capture's thumbnail, inside the transaction that records the capture.

    Its blob is already recorded (``Store._register_blob``), and ``thumbnail.blob.path``
    is the file that row names."""
    if thumbnail is None:
        return
    blob = thumbnail.blob
    c.execute(
        """INSERT OR IGNORE INTO thumbnails (capture_id, sha256, path, width, height, mime, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (capture_id, blob.sha256, blob.path, thumbnail.width, thumbnail.height, blob.mime or "image/jpeg", utcnow()),
    )


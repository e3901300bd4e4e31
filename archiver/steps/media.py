"""Copying a post's photos, videos and posters, and checking images with Pillow."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from ..plumbing.blobs import Blob
from ..config import Settings
from ..errors import ContentError, BadStatus
from ..plumbing.net import Fetcher, Kind
from ..platforms.base import MediaItem

IMAGE_MIMES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}


@dataclass
class MediaCopy:
    item: MediaItem
    blob: Blob
    mime: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class ImageInfo:
    width: int
    height: int
    mime: str


def inspect_image(data: bytes, max_pixels: int, item: str | None = None) -> ImageInfo:
    """Width, height and type of an image, refusing broken files and decompression bombs."""
    from PIL import Image, UnidentifiedImageError

    try:
        # open() reads only the header; the size is checked before any pixel is decoded.
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ContentError(f"image of {width}x{height} pixels exceeds the limit of {max_pixels}", item)
            image_format = image.format or ""
            image.verify()
    except ContentError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError) as e:
        # Pillow's messages name the in-memory file object (an address): keep only the kind.
        reason = "unrecognised format" if isinstance(e, UnidentifiedImageError) else f"{type(e).__name__}: {e}"
        raise ContentError(f"not a valid image ({reason})", item) from None
    return ImageInfo(width, height, IMAGE_MIMES.get(image_format, f"image/{image_format.lower() or 'unknown'}"))


async def copy_media(fetcher: Fetcher, settings: Settings, item: MediaItem) -> MediaCopy:
    kind: Kind = "video" if item.kind == "video" else "image"
    response = await fetcher.get(item.url, kind)
    if response.status != 200:
        raise BadStatus(f"{item.kind} answered HTTP {response.status}", item.url, response.status)
    if response.blob is None:
        raise ContentError(f"{item.kind} is empty", item.url)
    if kind == "image":
        assert response.body is not None
        info = await asyncio.to_thread(inspect_image, response.body, settings.limits.image_pixels, item.url)
        return MediaCopy(item, response.blob, info.mime, info.width, info.height)
    mime = response.content_type or item.content_type or "video/mp4"
    if not mime.startswith("video/"):
        raise ContentError(f"expected a video, got {mime}", item.url)
    return MediaCopy(item, response.blob, mime, item.width, item.height)

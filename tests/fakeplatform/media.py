"""Deterministic media bytes: JPEGs with visible content, fake mp4s, a PNG bomb.

Everything is a pure function of its arguments and memoised, so every World (and every
test) sees byte-identical files and each file is generated once per process.
"""

from __future__ import annotations

import hashlib
import io
import random
import struct
import threading
import zlib
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

# Longest side for pbs.twimg.com ``name=`` variants. "orig" is the declared original size.
# Every named size is smaller than the sample originals, so which one a client fetched
# is visible in the bytes. Without ``name=`` pbs serves "medium".
NAME_LIMITS: dict[str, int | None] = {
    "orig": None,
    "4096x4096": None,
    "large": 1024,
    "900x900": 900,
    "medium": 800,
    "small": 680,
    "360x360": 360,
    "240x240": 240,
    "thumb": 150,
}
DEFAULT_NAME = "medium"

# Drawing and encoding share cached Image objects; one at a time keeps Pillow safe.
_pillow_lock = threading.Lock()


def _palette(label: str, seed: int) -> list[tuple[int, int, int]]:
    digest = hashlib.sha256(f"{label}/{seed}".encode()).digest()
    return [tuple(digest[i : i + 3]) for i in range(0, 30, 3)]  # type: ignore[misc]


@lru_cache(maxsize=256)
def _draw(label: str, width: int, height: int, seed: int, avatar: bool) -> Image.Image:
    """Shapes, colours and the label in large type: distinct per media, never blank."""
    colors = _palette(label, seed)
    img = Image.new("RGB", (width, height), colors[0])
    draw = ImageDraw.Draw(img)
    rnd = random.Random(f"{label}/{seed}")
    if avatar:
        draw.ellipse((width * 0.1, height * 0.1, width * 0.9, height * 0.9), fill=colors[1])
        initials = "".join(w[0] for w in label.split()[:2]).upper() or "?"
        font = ImageFont.load_default(size=max(10, width // 3))
        draw.text((width / 2, height / 2), initials, fill=colors[2], font=font, anchor="mm")
        return img
    # Horizontal bands give large-scale structure; random shapes give detail.
    bands = 6
    for i in range(bands):
        draw.rectangle((0, i * height // bands, width, (i + 1) * height // bands), fill=colors[i % 10])
    for _ in range(14):
        x0, y0 = rnd.randrange(width), rnd.randrange(height)
        x1, y1 = x0 + rnd.randrange(width // 8, width // 2), y0 + rnd.randrange(height // 8, height // 2)
        fill = colors[rnd.randrange(10)]
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)((x0, y0, x1, y1), fill=fill, outline=(0, 0, 0))
    font = ImageFont.load_default(size=max(12, width // 14))
    box = (width * 0.05, height * 0.38, width * 0.95, height * 0.62)
    draw.rectangle(box, fill=(255, 255, 255), outline=(0, 0, 0), width=max(1, width // 300))
    draw.text((width / 2, height / 2), label[:28], fill=(10, 10, 10), font=font, anchor="mm")
    small = ImageFont.load_default(size=max(10, width // 40))
    draw.text((width * 0.06, height * 0.9), f"{width}x{height} seed {seed}", fill=(0, 0, 0), font=small)
    return img


@lru_cache(maxsize=512)
def jpeg(label: str, width: int, height: int, seed: int, avatar: bool, variant: str | None) -> bytes:
    """The photo for a ``name=`` variant (unknown names get the default, as on pbs)."""
    limit = NAME_LIMITS.get(variant or DEFAULT_NAME, NAME_LIMITS[DEFAULT_NAME])
    with _pillow_lock:
        img = _draw(label, width, height, seed, avatar)
        if limit is not None and max(img.size) > limit:
            img = img.copy()
            img.thumbnail((limit, limit), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        img.save(out, "JPEG", quality=85)
    return out.getvalue()


@lru_cache(maxsize=8)
def png(label: str, width: int, height: int) -> bytes:
    with _pillow_lock:
        out = io.BytesIO()
        _draw(label, width, height, 0, False).save(out, "PNG")
    return out.getvalue()


def jpeg_size(variant: str | None, width: int, height: int) -> tuple[int, int]:
    """The pixel size :func:`jpeg` produces for a variant (for assertions)."""
    limit = NAME_LIMITS.get(variant or DEFAULT_NAME, NAME_LIMITS[DEFAULT_NAME])
    if limit is None or max(width, height) <= limit:
        return width, height
    img = Image.new("1", (width, height))
    img.thumbnail((limit, limit))
    return img.size


_FTYP = struct.pack(">I4s4sI16s", 32, b"ftyp", b"isom", 0x200, b"isomiso2avc1mp41")


@lru_cache(maxsize=128)
def fake_mp4(seed: str, size: int) -> bytes:
    """An ``ftyp`` box then one ``mdat`` box of seeded noise: sniffs as mp4, exact size."""
    payload = size - len(_FTYP) - 8
    body = random.Random(seed).randbytes(payload)
    return _FTYP + struct.pack(">I4s", payload + 8, b"mdat") + body


def hls_playlist(variants: list[dict[str, object]]) -> bytes:
    lines = ["#EXTM3U", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for v in variants:
        if v.get("content_type") == "video/mp4" and v.get("bitrate"):
            url = str(v["url"])
            res = url.split("/vid/", 1)[1].split("/")[-2] if "/vid/" in url else "0x0"
            lines.append(f"#EXT-X-STREAM-INF:BANDWIDTH={v['bitrate']},RESOLUTION={res}")
            lines.append(url.replace(".mp4", ".m3u8"))
    return ("\n".join(lines) + "\n").encode()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=4)
def png_bomb(width: int, height: int) -> bytes:
    """A genuine 1-bit all-black PNG of ``width`` x ``height``: ~100 KB on the wire,
    ``width*height`` pixels (900 M for 30000²) once decoded."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    block_rows = 1000
    parts = []
    block = row * block_rows
    full, rest = divmod(height, block_rows)
    for _ in range(full):
        parts.append(comp.compress(block))
    parts.append(comp.compress(row * rest))
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", b"".join(parts))
        + _png_chunk(b"IEND", b"")
    )


def invalid_jpeg() -> bytes:
    """Starts like a JPEG (so sniffers say image/jpeg) but cannot be decoded."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + random.Random("invalid").randbytes(4000)

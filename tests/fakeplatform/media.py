"""Deterministic media bytes: JPEGs with visible content, real MP4s, a PNG bomb, and
hostile files that claim to be what they are not.

Everything is a pure function of its arguments and memoised, so every World (and every
test) sees byte-identical files and each file is generated once per process. Videos and
audio are encoded by ffmpeg (``setup.sh`` installs it) in bit-exact mode: Pillow cannot
write an MP4, and a hand-made one would prove nothing about a real container.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import shutil
import struct
import subprocess
import tempfile
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


def _ffmpeg(args: list[str], suffix: str, stdin: bytes | None = None) -> bytes:
    """What ffmpeg writes for ``args`` (inputs and options), as bytes; ``stdin`` feeds ``pipe:0``."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("the fake platform encodes its videos with ffmpeg: run setup.sh (apt-get install ffmpeg)")
    with tempfile.TemporaryDirectory(prefix="fake-media-") as tmp:
        out = f"{tmp}/out{suffix}"
        subprocess.run(
            [exe, "-v", "error", *([] if stdin else ["-nostdin"]), "-y", *args, "-threads", "1",
             "-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact", out],
            check=True, timeout=120, input=stdin, stdin=None if stdin else subprocess.DEVNULL, capture_output=True,
        )
        with open(out, "rb") as f:
            return f.read()


def _seeded(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big")


@lru_cache(maxsize=128)
def mp4(seed: str, width: int, height: int, seconds: float = 1.0, audio: bool = True) -> bytes:
    """A real, playable H.264 (+ AAC) MP4: moving test pattern tinted by ``seed`` and a
    tone whose pitch comes from it, so different seeds give different files. Sizes are
    rounded down to even numbers (4:2:0 video needs them); ``mp4_size`` says which."""
    width, height = mp4_size(width, height)
    n = _seeded(seed)
    video = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=10:duration={seconds},hue=h={n % 360}"]
    sound = ["-f", "lavfi", "-i", f"sine=frequency={200 + n % 800}:duration={seconds}"] if audio else []
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    codecs += ["-c:a", "aac", "-b:a", "64k"] if audio else []
    return _ffmpeg([*video, *sound, *codecs, "-metadata", f"comment={seed}", "-movflags", "+faststart"], ".mp4")


def mp4_size(width: int, height: int) -> tuple[int, int]:
    """The pixel size :func:`mp4` encodes for a requested size."""
    return max(2, width - width % 2), max(2, height - height % 2)


@lru_cache(maxsize=8)
def webm(seed: str, width: int, height: int) -> bytes:
    """A real VP8 WebM of one second, no sound."""
    width, height = mp4_size(width, height)
    n = _seeded(seed)
    return _ffmpeg(
        ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=10:duration=1,hue=h={n % 360}",
         "-c:v", "libvpx", "-deadline", "realtime", "-b:v", "200k"],
        ".webm",
    )


@lru_cache(maxsize=8)
def mpegts(seed: str, width: int, height: int) -> bytes:
    """One HLS-style MPEG-TS segment: the same picture and tone as :func:`mp4`, remuxed."""
    return _ffmpeg(["-f", "mp4", "-i", "pipe:0", "-c", "copy", "-f", "mpegts"], ".ts", stdin=mp4(seed, width, height))


@lru_cache(maxsize=8)
def hls_rendition(seed: str, width: int, height: int, seconds: int = 3) -> dict[str, bytes]:
    """A real HLS media playlist and its MPEG-TS segments, cut by ffmpeg's own HLS muxer
    (a keyframe a second, so one segment a second): ``{"video.m3u8": …, "seg0.ts": …}``.
    The same picture and tone as :func:`mp4`, encoded again, as a CDN's transcode is."""
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("the fake platform encodes its videos with ffmpeg: run setup.sh (apt-get install ffmpeg)")
    width, height = mp4_size(width, height)
    n = _seeded(seed)
    with tempfile.TemporaryDirectory(prefix="fake-hls-") as tmp:
        subprocess.run(
            [exe, "-v", "error", "-nostdin", "-y",
             "-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=10:duration={seconds},hue=h={n % 360}",
             "-f", "lavfi", "-i", f"sine=frequency={200 + n % 800}:duration={seconds}",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "10", "-keyint_min", "10",
             "-sc_threshold", "0", "-c:a", "aac", "-b:a", "64k", "-threads", "1", "-map_metadata", "-1",
             "-fflags", "+bitexact", "-flags", "+bitexact",
             "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", "-hls_segment_filename", f"{tmp}/seg%d.ts",
             f"{tmp}/video.m3u8"],
            check=True, timeout=120, stdin=subprocess.DEVNULL, capture_output=True,
        )
        out = {}
        for name in sorted(os.listdir(tmp)):
            with open(os.path.join(tmp, name), "rb") as f:
                out[name] = f.read()
    return out


@lru_cache(maxsize=8)
def m4a(seed: str, seconds: float = 1.0) -> bytes:
    """A real AAC audio file in an MP4 (.m4a) container."""
    n = _seeded(seed)
    return _ffmpeg(
        ["-f", "lavfi", "-i", f"sine=frequency={200 + n % 800}:duration={seconds}", "-c:a", "aac", "-b:a", "64k"],
        ".m4a",
    )


def truncated(data: bytes, fraction: float = 0.6) -> bytes:
    """The first part of a file, as a dropped connection or a full disk leaves it."""
    return data[: int(len(data) * fraction)]


def html_page(title: str = "Log in") -> bytes:
    """What a CDN or a login wall sends instead of the file asked for."""
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>Please log in to continue.</p></body></html>\n"
    ).encode()


def webvtt(lines: list[str]) -> bytes:
    """Captions: one cue per line, a second each."""
    cues = [f"00:00:{i:02d}.000 --> 00:00:{i + 1:02d}.000\n{text}\n" for i, text in enumerate(lines)]
    return ("WEBVTT\n\n" + "\n".join(cues)).encode()


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

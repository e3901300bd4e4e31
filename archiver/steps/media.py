"""Copying a post's media, and keeping each file only if it is what it claims to be.

- Images (photos, posters) are decoded by Pillow, header first, so a bomb is refused
  before any pixel is decoded.
- Videos and audio are read by ffprobe from the stored file (``archiver.plumbing.ffprobe``):
  the container must be the one the Content-Type names (MP4, WebM, MPEG-TS segments;
  MP4/M4A, MP3, AAC, Ogg, WAV, FLAC for audio), hold a stream of the right kind, and
  be whole. Duration, size and codecs are recorded.
- HLS playlists are parsed (``archiver.plumbing.m3u8``) and a video served only as HLS
  is copied whole, its segments as served and an MP4 remuxed from them
  (:mod:`archiver.steps.hls`); caption files (WebVTT, SubRip) are text, parsed here.

A file that is not what it claims is refused with a ContentError: the post gets a
per-post error and is not marked complete, and the bytes stay only as the exchange that
brought them. Without ffprobe a video cannot be checked, so it is refused too: accepting
it unchecked is how an HTML page came to be archived as a post's video.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..config import Settings
from ..errors import BadStatus, ContentError, ItemError
from ..platforms.base import MediaItem
from ..plumbing import ffprobe, m3u8
from ..plumbing.blobs import Blob
from ..plumbing.net import Fetcher, Kind, Response
from .store import CaptureFile

IMAGE_MIMES = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}

# A claimed type, and the ffprobe demuxer that must be able to read the file.
VIDEO_TYPES = {
    "video/mp4": "mov", "video/quicktime": "mov", "video/x-m4v": "mov",
    "video/webm": "matroska", "video/x-matroska": "matroska",
    "video/mp2t": "mpegts",  # HLS segments
}
AUDIO_TYPES = {
    "audio/mp4": "mov", "audio/x-m4a": "mov", "audio/m4a": "mov",
    "audio/mpeg": "mp3", "audio/mp3": "mp3",
    "audio/aac": "aac", "audio/x-aac": "aac",
    "audio/ogg": "ogg", "audio/opus": "ogg",
    "audio/webm": "matroska",
    "audio/wav": "wav", "audio/x-wav": "wav", "audio/wave": "wav",
    "audio/flac": "flac", "audio/x-flac": "flac",
}
PLAYLIST_TYPES = {"application/x-mpegurl", "application/vnd.apple.mpegurl", "audio/mpegurl", "audio/x-mpegurl"}
CAPTION_TYPES = {"text/vtt": "webvtt", "application/x-subrip": "subrip", "text/srt": "subrip", "application/srt": "subrip"}
TEXT_CAP = 5 * 1024 * 1024
"""Largest playlist or caption file read: both are small text files."""
PLAYLIST_ONLY = "its HLS stream was not copied whole"
HASH_MISMATCH = "its bytes are not the ones the platform names (SHA-256 differs)"


@dataclass
class MediaCopy:
    item: MediaItem
    blob: Blob
    mime: str
    width: int | None
    height: int | None
    duration: float | None = None
    checked_as: dict[str, object] = field(default_factory=dict)
    """How the file was checked and what it was found to be: tool, format, codecs…"""
    shortfall: str | None = None
    """Kept, yet not the whole of what the post shows (a playlist without its segments)."""
    kind: str | None = None
    """The capture's kind, when not the item's (``stream``: a part of an HLS video)."""
    source: str | None = None
    """``captures.source``: ``hls`` for a stream's parts, ``remux`` for the MP4 made of them."""
    parts: list[MediaCopy] = field(default_factory=list)
    """Files kept with this one: an HLS playlist's variant playlists, segments and remuxed MP4."""
    tools: list[str] = field(default_factory=list)
    """Outside tools that made a part (``ffmpeg 5.1.9``), for the run's record."""
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, went with the request for it."""

    def capture(self) -> CaptureFile:
        return CaptureFile(
            self.kind or self.item.kind, self.blob, self.mime, self.width, self.height, self.item.url,
            source=self.source,
            duration=self.duration, checked_as=json.dumps(self.checked_as, sort_keys=True) if self.checked_as else None,
            logged_in=self.logged_in,
        )

    def captures(self) -> list[CaptureFile]:
        """This file's capture, then its parts'."""
        return [self.capture(), *(c for part in self.parts for c in part.captures())]


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


def _fetch_kind(item: MediaItem) -> Kind:
    if item.kind in ("photo", "poster"):
        return "image"
    if item.kind == "captions" or (item.content_type or "").lower() in PLAYLIST_TYPES:
        return "other"  # small text, held in memory
    return "video"  # videos and audio go straight to disk


async def copy_media(fetcher: Fetcher, settings: Settings, item: MediaItem) -> MediaCopy:
    """Fetch one media item and check it is what it claims; raises ItemError if not.

    When the original cannot be had and the platform names a lesser copy
    (``item.fallback_url``: a CDN's re-encoding), that copy is kept instead, and its
    capture says so (``checked_as["substitute"]``: what it stands for, and why).

    When the platform names the file's SHA-256 (``item.sha256``), other bytes are refused
    as the original; a substitute kept in their place is then reported (``shortfall``).
    """
    try:
        copy = await _copy(fetcher, settings, item)
    except ItemError as e:
        if not item.fallback_url:
            raise
        why = str(e)
    else:
        if item.sha256 is not None:
            copy.checked_as["sha256_as_named"] = True  # the platform's own hash of the file matched
        return copy
    lesser = replace(item, url=item.fallback_url, content_type=item.fallback_content_type or item.content_type,
                     fallback_url=None, sha256=None)
    copy = await _copy(fetcher, settings, lesser)
    copy.checked_as["substitute"] = {"for": item.url, "because": why}
    if HASH_MISMATCH in why:
        # Not an original that could not be had: one that came back other than named.
        copy.shortfall = why if copy.shortfall is None else f"{why}; {copy.shortfall}"
    return copy


async def _copy(fetcher: Fetcher, settings: Settings, item: MediaItem) -> MediaCopy:
    kind = _fetch_kind(item)
    response = await fetcher.get(item.url, kind)
    copy = await _checked(fetcher, response, kind, settings, item)
    copy.logged_in = response.logged_in
    return copy


async def _checked(fetcher: Fetcher, response: Response, kind: Kind, settings: Settings, item: MediaItem) -> MediaCopy:
    if response.status != 200:
        raise BadStatus(f"{item.kind} answered HTTP {response.status}", item.url, response.status)
    if response.blob is None:
        raise ContentError(f"{item.kind} is empty", item.url)
    blob = response.blob
    if item.sha256 is not None and blob.sha256 != item.sha256.lower():
        raise ContentError(f"{HASH_MISMATCH}: got {blob.sha256[:16]}…, named {item.sha256[:16]}…", item.url)
    if kind == "image":
        assert response.body is not None
        from PIL import __version__ as pillow

        info = await asyncio.to_thread(inspect_image, response.body, settings.limits.image_pixels, item.url)
        verdict: dict[str, object] = {"tool": f"Pillow {pillow}", "format": info.mime}
        return MediaCopy(item, blob, info.mime, info.width, info.height, checked_as=verdict)
    claimed = response.content_type or (item.content_type or "").lower() or ("video/mp4" if item.kind == "video" else "")
    path = await asyncio.to_thread(fetcher.blobs.local_path, blob.path)
    if item.kind == "video" and claimed in PLAYLIST_TYPES:
        from .hls import copy_stream

        data = response.body if response.body is not None else await asyncio.to_thread(_read_text_file, path, item.url)
        playlist = check_playlist(data, item.url)
        top = MediaCopy(item, blob, claimed, item.width, item.height, playlist.duration, playlist.verdict(),
                        logged_in=response.logged_in)
        return await copy_stream(fetcher, settings, top, playlist, response.url)
    if item.kind == "video":
        return await check_video(item, blob, path, claimed)
    if item.kind == "audio":
        return await check_audio(item, blob, path, claimed)
    if item.kind == "captions":
        data = response.body if response.body is not None else await asyncio.to_thread(_read_text_file, path, item.url)
        return MediaCopy(item, blob, claimed, None, None, checked_as=check_captions(data, claimed, item.url))
    raise ContentError(f"no check for media of kind {item.kind}", item.url)


# ---------------------------------------------------------------------- video and audio


async def check_video(item: MediaItem, blob: Blob, path: Path, claimed: str) -> MediaCopy:
    """A video the container of ``claimed`` holds, whole, with a picture of some size."""
    demuxer = VIDEO_TYPES.get(claimed)
    if demuxer is None:
        raise ContentError(f"expected a video, got {claimed or 'no content type'}", item.url)
    probe = await ffprobe.probe(path, sorted(set(VIDEO_TYPES.values())), "video", item.url)
    _check_whole(probe, claimed, demuxer, "video", item.url)
    pictures = probe.of_kind("video")
    if not pictures:
        raise ContentError(f"{claimed} file holds no video stream", item.url)
    width, height = pictures[0].width, pictures[0].height
    if not width or not height:
        raise ContentError("video stream without a picture size", item.url)
    return MediaCopy(item, blob, claimed, width, height, probe.duration, _verdict(probe, width, height))


async def check_audio(item: MediaItem, blob: Blob, path: Path, claimed: str) -> MediaCopy:
    """Sound in the container ``claimed`` names, whole; cover art allowed, a video not."""
    demuxer = AUDIO_TYPES.get(claimed)
    if demuxer is None:
        raise ContentError(f"expected audio, got {claimed or 'no content type'}", item.url)
    probe = await ffprobe.probe(path, sorted(set(AUDIO_TYPES.values())), "audio", item.url)
    _check_whole(probe, claimed, demuxer, "audio", item.url)
    if not probe.of_kind("audio"):
        raise ContentError(f"{claimed} file holds no audio stream", item.url)
    if probe.of_kind("video"):
        raise ContentError(f"{claimed} file holds a video stream: not audio alone", item.url)
    return MediaCopy(item, blob, claimed, None, None, probe.duration, _verdict(probe, None, None))


def _check_whole(probe: ffprobe.Probe, claimed: str, demuxer: str, what: str, item: str) -> None:
    if demuxer not in probe.formats:
        raise ContentError(f"claims to be {claimed} but is {probe.format_name}", item)
    damage = probe.container_complaints
    if damage:
        raise ContentError(f"damaged or cut-short {what} ({damage[0]})", item)
    for stream in probe.streams:
        declared, read = stream.declared_packets, stream.read_packets
        if declared is not None and read is not None and read < declared:
            raise ContentError(f"cut-short {what}: {read} of {declared} {stream.kind} packets in the file", item)


def _verdict(probe: ffprobe.Probe, width: int | None, height: int | None) -> dict[str, object]:
    verdict: dict[str, object] = {
        "tool": probe.tool,
        "format": probe.format_name,
        "codecs": [f"{s.kind}:{s.codec}" for s in probe.streams],
        "duration": probe.duration,
    }
    if width and height:
        verdict.update(width=width, height=height)
    if probe.other_complaints:
        verdict["notes"] = probe.other_complaints[:5]
    return verdict


# ---------------------------------------------------------------------- text: playlists and captions


def _read_text_file(path: Path, item: str) -> bytes:
    with path.open("rb") as f:
        data = f.read(TEXT_CAP + 1)
    if len(data) > TEXT_CAP:
        raise ContentError(f"larger than the {TEXT_CAP} bytes a playlist or caption file may have", item)
    return data


def _text(data: bytes, what: str, item: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError(f"not {what} (not UTF-8 text)", item) from None
    if "\x00" in text:
        raise ContentError(f"not {what} (binary data)", item)
    return text


def check_playlist(data: bytes, item: str) -> m3u8.Playlist:
    """An M3U (HLS) playlist: the header, then every URI announced by the tag before it."""
    return m3u8.parse(data, item)


_VTT_HEADER = re.compile(r"^WEBVTT(?:[ \t].*)?$")
_VTT_CUE = re.compile(r"^(?:\d+:)?\d{2}:\d{2}\.\d{3}\s+-->\s+(?:\d+:)?\d{2}:\d{2}\.\d{3}")
_SRT_CUE = re.compile(r"^\d+:\d{2}:\d{2},\d{3}\s+-->\s+\d+:\d{2}:\d{2},\d{3}")


def check_captions(data: bytes, claimed: str, item: str) -> dict[str, object]:
    """A WebVTT or SubRip file, as its type says: header and cue timings."""
    form = CAPTION_TYPES.get(claimed)
    if form is None:
        raise ContentError(f"expected captions (WebVTT or SubRip), got {claimed or 'no content type'}", item)
    lines = [line.strip() for line in _text(data, "a caption file", item).splitlines()]
    if form == "webvtt":
        if not lines or not _VTT_HEADER.match(lines[0]):
            raise ContentError("not a WebVTT file (no WEBVTT header)", item)
        cues = sum(1 for line in lines if _VTT_CUE.match(line))
    else:
        cues = sum(1 for line in lines if _SRT_CUE.match(line))
        if not cues:
            raise ContentError("not a SubRip file (no cue timings)", item)
    return {"tool": "archiver", "format": form, "cues": cues}

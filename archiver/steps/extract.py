"""Copying a post's media with yt-dlp, the extractor archivists trust for video sites.

A platform whose media are not plain files names the page they play on
(``PostData.media_page``); this step hands that page to yt-dlp and keeps:

- yt-dlp's info JSON, as a ``data`` capture (source ``yt-dlp``), without any cookies;
- every file it downloaded, as served (a video-only and an audio-only stream stay two
  files), each checked by ffprobe like any other video (:mod:`archiver.steps.media`);
- when the best quality came as separate streams, one MP4 merged from them without
  re-encoding (``ffmpeg -c copy``, :mod:`archiver.plumbing.ffmpeg`), checked again, as a
  derived capture (source ``merged``), ffmpeg's version recorded for the run;
- the poster yt-dlp names, copied by archiver's own client (a ``poster`` capture);
- yt-dlp's version, for the run (``runs.tools``).

When the user gave cookies for the platform whose host the page is on (``Settings.cookies``),
they go to yt-dlp's cookie jar through the pipe (never a file or a command line), so its
extractor knows it is logged in; the parent's client checks again that none of them goes
to another host. What an extraction made with them keeps says so (``logged_in``).

yt-dlp runs in a process of its own (:mod:`archiver.plumbing.ytdlp_child`) with no
network of its own: each request it makes comes up a pipe and is made here by a Fetcher,
so the URL checks (every redirect hop too), size caps, timeouts and retries apply and every
exchange is recorded in ``exchanges`` like any other. The process is killed when the
extraction outlives its deadline, or when the run is cancelled.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ContentError, ExtractError, FetchError, ItemError
from ..platforms.base import MediaItem
from ..plumbing.blobs import BlobStore
from ..plumbing.cookies import load as load_cookies, merge_labels
from ..plumbing.net import Fetcher, Kind, OnExchange
from ..plumbing import ffmpeg
from .media import AUDIO_TYPES, VIDEO_TYPES, MediaCopy, check_audio, check_video
from .store import CaptureFile

SOURCE = "yt-dlp"
MERGED = "merged"
FORMAT = (
    "bv*[protocol~='{p}']+ba[protocol~='{p}']/b[protocol~='{p}']"
)
"""The best video with the best audio, or the best single file, among formats whose
protocol the native downloaders speak (yt-dlp's own default, restricted)."""
MAX_ENTRIES = 10
"""Videos kept from one post that holds several (a carousel, a playlist)."""
MERGE_TIMEOUT = 300.0
_STDERR_KEPT = 8192
_EXT_TYPES = {
    "mp4": "video/mp4", "m4v": "video/mp4", "mov": "video/quicktime", "webm": "video/webm",
    "mkv": "video/x-matroska", "ts": "video/mp2t",
}
_AUDIO_EXT_TYPES = {
    "m4a": "audio/mp4", "mp4": "audio/mp4", "mp3": "audio/mpeg", "aac": "audio/aac", "ogg": "audio/ogg",
    "opus": "audio/ogg", "webm": "audio/webm", "wav": "audio/wav", "flac": "audio/flac",
}


@dataclass
class Extraction:
    """What yt-dlp copied for one post."""

    tool: str
    """``yt-dlp <version>``."""
    captures: list[CaptureFile] = field(default_factory=list)
    """The info JSON, the files as served, the merged MP4."""
    posters: list[MediaItem] = field(default_factory=list)
    """Posters yt-dlp named, for archiver's own client to copy."""
    problems: list[str] = field(default_factory=list)
    """What could not be kept: the post is archived, and not complete."""
    more_tools: list[str] = field(default_factory=list)
    """Other outside tools used: ``ffmpeg <version>`` when it merged streams."""
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, went with any of its requests."""


def available() -> bool:
    """Whether yt-dlp is installed (looked up without importing it)."""
    import importlib.util

    return importlib.util.find_spec("yt_dlp") is not None


async def extract_media(
    settings: Settings,
    blobs: BlobStore,
    on_exchange: OnExchange | None,
    page_url: str,
    *,
    deadline: float | None = None,
) -> Extraction:
    """Copy the media of the post at ``page_url`` with yt-dlp; see the module docstring.

    Raises ExtractError when yt-dlp is missing, fails before anything is kept, or runs
    past ``deadline`` seconds (default ``settings.extract_deadline``); failures of a
    part (one stream, the merge) are ``Extraction.problems``.
    """
    if not available():
        raise ExtractError("media not copied: yt-dlp is not installed (pip install yt-dlp)", page_url)
    deadline = settings.extract_deadline if deadline is None else deadline
    workdir = Path(tempfile.mkdtemp(prefix="archiver-extract-"))
    labels: list[str | None] = []
    try:
        async with Fetcher(settings, blobs, on_exchange) as fetcher:
            try:
                async with asyncio.timeout(deadline):
                    done = await _converse(fetcher, settings, page_url, workdir, labels)
            except TimeoutError:
                raise ExtractError(f"media extraction stopped after {deadline:g} s", page_url) from None
        extraction = await _keep(done, settings, blobs, page_url, workdir)
        extraction.logged_in = merge_labels(labels)
        return extraction
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)


# ---------------------------------------------------------------------------- the conversation


def _cookies_for(settings: Settings, page_url: str) -> list[dict[str, object]]:
    """The user's cookies of the platforms whose host the page is on, as yt-dlp's jar takes them."""
    user = load_cookies(settings.cookies)
    if user is None:
        return []
    return [
        {"domain": c.domain, "host_only": c.host_only, "path": c.path, "secure": c.secure, "expires": c.expires,
         "name": c.name, "value": c.value, "http_only": c.http_only}
        for c in user.of(user.platforms_for(page_url))
    ]


async def _converse(
    fetcher: Fetcher, settings: Settings, page_url: str, workdir: Path, labels: list[str | None]
) -> dict[str, Any]:
    from ..plumbing.ytdlp_child import FRAME, MAX_FRAME, PROTOCOLS

    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "archiver.plumbing.ytdlp_child",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stderr = bytearray()
    drain = asyncio.create_task(_drain(proc.stderr, stderr))

    async def send(message: Mapping[str, Any]) -> None:
        assert proc.stdin is not None
        data = json.dumps(message).encode()
        proc.stdin.write(FRAME.pack(len(data)) + data)
        await proc.stdin.drain()

    async def receive() -> dict[str, Any]:
        assert proc.stdout is not None
        try:
            (size,) = FRAME.unpack(await proc.stdout.readexactly(FRAME.size))
            if size > MAX_FRAME:
                raise ExtractError(f"yt-dlp sent a message of {size} bytes", page_url)
            message = json.loads(await proc.stdout.readexactly(size))
        except (asyncio.IncompleteReadError, ValueError):
            await proc.wait()
            await drain
            last = bytes(stderr).decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise ExtractError(f"yt-dlp stopped (exit status {proc.returncode}): {last[0][:300]}", page_url) from None
        if not isinstance(message, dict):
            raise ExtractError("yt-dlp sent a message that is not an object", page_url)
        return message

    try:
        await send({
            "url": page_url, "workdir": str(workdir), "format": FORMAT.format(p=PROTOCOLS),
            "timeout": settings.timeout, "max_entries": MAX_ENTRIES, "cookies": _cookies_for(settings, page_url),
        })
        while True:
            message = await receive()
            if message.get("op") == "done":
                return message
            if message.get("op") != "http":
                raise ExtractError(f"yt-dlp sent an unknown message {message.get('op')!r}", page_url)
            await send(await _http(fetcher, settings, message, labels))
    except (BrokenPipeError, ConnectionResetError):
        raise ExtractError("yt-dlp stopped before it finished", page_url) from None
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        drain.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await drain


async def _drain(stream: asyncio.StreamReader, kept: bytearray) -> None:
    while chunk := await stream.read(65536):
        kept += chunk
        del kept[:-_STDERR_KEPT]


async def _http(
    fetcher: Fetcher, settings: Settings, message: dict[str, Any], labels: list[str | None]
) -> dict[str, Any]:
    """One request of yt-dlp's, made by archiver's Fetcher (one hop: yt-dlp follows redirects)."""
    url = str(message.get("url") or "")
    method = str(message.get("method") or "GET").upper()
    headers = {str(k): str(v) for k, v in (message.get("headers") or {}).items()}
    data = base64.b64decode(message["data"]) if message.get("data") is not None else None
    kind: Kind = "video" if message.get("phase") == "download" else "html"
    try:
        response = await fetcher.request(method, url, kind, data=data, follow=False, headers=headers)
    except FetchError as e:
        return {"error": str(e)}
    labels.append(response.logged_in)
    reply: dict[str, Any] = {
        "status": response.status, "url": response.url, "headers": list(response.headers.multi_items()),
    }
    if response.blob is not None:
        reply["path"] = str(await asyncio.to_thread(fetcher.blobs.local_path, response.blob.path))
        reply["size"] = response.blob.bytes
    else:
        body = response.body or b""
        reply["body"] = base64.b64encode(body).decode()
        reply["size"] = len(body)
    return reply


# ---------------------------------------------------------------------------- what is kept


async def _keep(done: dict[str, Any], settings: Settings, blobs: BlobStore, page_url: str, workdir: Path) -> Extraction:
    extraction = Extraction(f"yt-dlp {done.get('version') or 'unknown'}")
    info = done.get("info")
    if isinstance(info, dict):
        data = json.dumps(info, ensure_ascii=False, sort_keys=True, indent=1).encode()
        blob = await asyncio.to_thread(blobs.put, data, "application/json")
        extraction.captures.append(CaptureFile("data", blob, "application/json", source_url=page_url, source=SOURCE))
    files = [f for f in done.get("files") or [] if isinstance(f, dict)]
    if not files:
        raise ExtractError(f"media not copied: yt-dlp: {done.get('error') or 'no file downloaded'}", page_url)
    if done.get("error"):
        extraction.problems.append(f"media incomplete: yt-dlp: {done['error']}")
    thumbnail = done.get("thumbnail")
    if isinstance(thumbnail, str) and thumbnail.startswith(("https://", "http://")):
        extraction.posters.append(MediaItem("poster", thumbnail))
    copies: dict[str, list[MediaCopy]] = {}
    for entry in files:
        try:
            copy = await _keep_file(entry, settings, blobs, workdir)
        except ItemError as e:
            extraction.problems.append(f"{entry.get('format_id')} not kept: {e}")
            continue
        copies.setdefault(str(entry.get("video_id")), []).append(copy)
        extraction.captures.append(replace(copy.capture(), source=SOURCE))
    for parts in copies.values():
        if _needs_merge(parts):
            try:
                merged = await _merge(parts, settings, blobs, workdir)
            except ItemError as e:
                extraction.problems.append(f"merged MP4 not made: {e}")
            else:
                extraction.captures.append(replace(merged.capture(), source=MERGED))
                if str(merged.checked_as.get("made_with")) not in extraction.more_tools:
                    extraction.more_tools.append(str(merged.checked_as["made_with"]))
    return extraction


async def _keep_file(entry: dict[str, Any], settings: Settings, blobs: BlobStore, workdir: Path) -> MediaCopy:
    path = Path(str(entry.get("path") or ""))
    url = str(entry.get("url") or "")
    if not path.is_file() or workdir not in path.resolve().parents:
        raise ContentError("yt-dlp named no file it downloaded", url)
    ext = str(entry.get("ext") or path.suffix.lstrip(".")).lower()
    vcodec = entry.get("vcodec")
    audio_only = vcodec == "none" or (vcodec is None and ext not in _EXT_TYPES)
    if not audio_only:
        mime = _EXT_TYPES.get(ext, f"video/{ext}")
        kind = "video"
    else:
        mime = _AUDIO_EXT_TYPES.get(ext, f"audio/{ext}")
        kind = "audio"
    blob = await asyncio.to_thread(blobs.put_file, path, mime)
    item = MediaItem(kind, url, content_type=mime)  # type: ignore[arg-type]
    stored = await asyncio.to_thread(blobs.local_path, blob.path)
    if kind == "video":
        return await check_video(item, blob, stored, mime)
    return await check_audio(item, blob, stored, mime)


def _needs_merge(parts: list[MediaCopy]) -> bool:
    """Separate streams: a video without sound and a sound track."""
    pictures = [p for p in parts if p.item.kind == "video"]
    sounds = [p for p in parts if p.item.kind == "audio"]
    return bool(pictures and sounds)


async def _merge(parts: list[MediaCopy], settings: Settings, blobs: BlobStore, workdir: Path) -> MediaCopy:
    """One MP4 of the best video and audio streams, copied (``-c copy``), never re-encoded."""
    video = next(p for p in parts if p.item.kind == "video")
    audio = next(p for p in parts if p.item.kind == "audio")
    out = workdir / "merged.mp4"
    video_file = await asyncio.to_thread(blobs.local_path, video.blob.path)
    audio_file = await asyncio.to_thread(blobs.local_path, audio.blob.path)
    tool = await ffmpeg.remux(
        # Each read by the demuxer its check found it to be (archiver.steps.media).
        [(VIDEO_TYPES[video.mime], video_file), (AUDIO_TYPES[audio.mime], audio_file)],
        ["0:v:0", "1:a:0"], out, video.item.url, timeout=MERGE_TIMEOUT,
    )
    blob = await asyncio.to_thread(blobs.put_file, out, "video/mp4")
    item = MediaItem("video", video.item.url, content_type="video/mp4")
    merged = await check_video(item, blob, await asyncio.to_thread(blobs.local_path, blob.path), "video/mp4")
    merged.checked_as["derived_from"] = [video.blob.sha256, audio.blob.sha256]
    merged.checked_as["made_by"] = "ffmpeg -c copy"
    merged.checked_as["made_with"] = tool
    return merged


__all__ = ["MERGED", "SOURCE", "Extraction", "available", "extract_media"]


"""Copying a video served only as HLS: every file as served, and an MP4 to watch.

When a post's video can be had only as an HLS stream (Bluesky's when its original blob
cannot be fetched; any platform that names only a playlist), archiver keeps:

- the playlist the platform named, as served (the post's ``video`` capture: a master
  playlist, or a media playlist);
- for a master playlist, the media playlist of its best variant (most pixels, then most
  bits per second), and of its separate sound track when it has one;
- every segment those list, and the initialisation section of fragmented-MP4 segments,
  each as served (captures of kind ``stream``, source ``hls``);
- one MP4 remuxed from them without re-encoding (``ffmpeg -c copy``, from the stored
  files only: :mod:`archiver.plumbing.ffmpeg`), checked by ffprobe like any video, kept
  as a ``video`` capture of its own (source ``remux``) whose ``checked_as.derived_from``
  lists the SHA-256 of every playlist and segment it was made from, in order.

Every request goes through archiver's Fetcher (URL checks on every hop, size caps,
timeouts, exchanges recorded). Playlists are parsed bounded (:mod:`archiver.plumbing.m3u8`)
and every URI they name is checked before the first segment is asked for, so a hostile
playlist (a million segments, an address on a private network) is refused whole. The
segments together may not exceed the video cap (``Limits.video``).

A playlist that is not one is an error, as before. A failure past it (a variant, a
segment, the remux) keeps the playlists copied, and the segments too when only the
remux failed, and reports the rest as the video's ``shortfall``: the post is archived,
and not complete. Whatever was fetched stays as its exchange in any case.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urljoin

from ..config import Settings
from ..errors import BadStatus, ContentError, ItemError, TooLarge
from ..platforms.base import MediaItem
from ..plumbing import ffmpeg, ffprobe, m3u8
from ..plumbing.cookies import merge_labels
from ..plumbing.net import Fetcher
from ..plumbing.safety import check_url
from .media import PLAYLIST_ONLY, MediaCopy, _check_whole, _read_text_file, check_video

STREAM = "stream"
"""The capture kind of an HLS video's parts: its variant playlists and segments."""
SOURCE = "hls"
REMUX = "remux"
MAX_SEGMENTS = 2000
"""Segments copied from one media playlist: a Bluesky video (three minutes at most) has
a few dozen; a list of more is refused before any is fetched."""
PARALLEL = 4
"""Segments fetched at once (the Fetcher's per-host limit still applies)."""

# What each kind of segment starts with, and the ffmpeg demuxer that reads it.
DEMUXERS = {"mpegts": "mpegts", "fmp4": "mov", "aac": "aac", "mp3": "mp3"}
_MP4_BOXES = (b"ftyp", b"styp", b"moof", b"sidx", b"moov", b"emsg", b"prft", b"free")
_MIMES = {"mpegts": "video/mp2t", "fmp4": "video/mp4", "aac": "audio/aac", "mp3": "audio/mpeg"}


async def copy_stream(fetcher: Fetcher, settings: Settings, top: MediaCopy, playlist: m3u8.Playlist,
                      url: str) -> MediaCopy:
    """Copy the stream whose playlist ``top`` holds (fetched from ``url``, parsed as
    ``playlist``); returns ``top`` with the rest as its ``parts``. See the module docstring."""
    parts: list[MediaCopy] = []
    try:
        await _copy_parts(fetcher, settings, top, playlist, url, parts)
    except ItemError as e:
        top.shortfall = f"{PLAYLIST_ONLY}: {e}"
    top.parts = parts
    return top


async def _copy_parts(fetcher: Fetcher, settings: Settings, top: MediaCopy, playlist: m3u8.Playlist, url: str,
                      parts: list[MediaCopy]) -> None:
    item = top.item
    tracks: list[tuple[str, MediaCopy, m3u8.Playlist, str]] = []  # (what, playlist copy, parsed, its URL)
    if playlist.master:
        best = playlist.best_variant()
        video_url = urljoin(url, best.uri)
        video, video_list = await _media_playlist(fetcher, settings, item, video_url, top)
        parts.append(video)
        tracks.append(("video", video, video_list, video.item.url))
        top.checked_as["variant"] = {
            "url": video_url, "bandwidth": best.bandwidth, "width": best.width, "height": best.height,
            "of": len(playlist.variants),
        }
        sound = playlist.audio_for(best)
        if sound is not None and sound.uri is not None:
            audio, audio_list = await _media_playlist(fetcher, settings, item, urljoin(url, sound.uri), top)
            parts.append(audio)
            tracks.append(("audio", audio, audio_list, audio.item.url))
    else:
        tracks.append(("video", top, playlist, url))
    for _, _, parsed, base in tracks:
        _refuse_what_cannot_be_copied(parsed, base)
    # Every URI checked before the first segment is asked for: a hostile list is refused whole.
    wanted = [(what, copy, _segment_urls(base, parsed), parsed.init is not None) for what, copy, parsed, base in tracks]
    for _, _, urls, _ in wanted:
        for segment_url in urls:
            check_url(segment_url, allow_private=settings.allow_private)
    budget = _Budget(settings.limits.video)
    workdir = Path(tempfile.mkdtemp(prefix="archiver-hls-"))
    try:
        inputs: list[tuple[str, Path]] = []
        for what, copy, urls, has_init in wanted:
            segments = await _segments(fetcher, settings, copy, urls, budget, has_init)
            parts.extend(segments)
            form = segments[-1].checked_as["container"]
            joined = workdir / f"{what}.{form}"
            await asyncio.to_thread(_join, [fetcher.blobs.local_path(s.blob.path) for s in segments], joined)
            await _check_joined(joined, str(form), what, copy.item.url)
            inputs.append((DEMUXERS[str(form)], joined))
        maps = ["0:v:0", "0:a?"] if len(inputs) == 1 else ["0:v:0", "1:a:0"]
        mp4 = await _remux(settings, fetcher, item, inputs, maps, workdir / "remuxed.mp4")
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)
    tool = str(mp4.checked_as.get("made_with"))
    mp4.checked_as["derived_from"] = [top.blob.sha256, *(p.blob.sha256 for p in parts)]
    # Made of files fetched with the user's cookies, if any was: it says so as they do.
    mp4.logged_in = merge_labels([top.logged_in, *(p.logged_in for p in parts)])
    parts.append(mp4)
    top.tools.append(tool)


async def _media_playlist(fetcher: Fetcher, settings: Settings, item: MediaItem, url: str,
                          master: MediaCopy) -> tuple[MediaCopy, m3u8.Playlist]:
    response = await fetcher.get(url, "other")
    if response.status != 200:
        raise BadStatus(f"variant playlist answered HTTP {response.status}", url, response.status)
    if response.blob is None:
        raise ContentError("variant playlist is empty", url)
    path = response.blob.path
    data = response.body if response.body is not None else await asyncio.to_thread(
        lambda: _read_text_file(fetcher.blobs.local_path(path), url)
    )
    parsed = m3u8.parse(data, url)
    if parsed.master:
        raise ContentError("a variant that is itself a list of variants: not copied", url)
    if len(parsed.segments) > MAX_SEGMENTS:
        raise ContentError(f"variant playlist lists {len(parsed.segments)} segments, more than {MAX_SEGMENTS}: refused", url)
    verdict = {**parsed.verdict(), "of": master.blob.sha256}
    copy = MediaCopy(MediaItem(item.kind, response.url), response.blob, response.content_type or "application/x-mpegurl",
                     None, None, parsed.duration, verdict, kind=STREAM, source=SOURCE, logged_in=response.logged_in)
    return copy, parsed


def _refuse_what_cannot_be_copied(parsed: m3u8.Playlist, url: str) -> None:
    if len(parsed.segments) > MAX_SEGMENTS:
        raise ContentError(f"HLS playlist lists {len(parsed.segments)} segments, more than {MAX_SEGMENTS}: refused", url)
    if parsed.encryption:
        raise ContentError(f"HLS segments are encrypted ({parsed.encryption}): not copied", url)
    if parsed.byte_ranges:
        raise ContentError("HLS segments given as byte ranges: not copied", url)


def _segment_urls(playlist_url: str, parsed: m3u8.Playlist) -> list[str]:
    """The initialisation section (if any), then every segment, as absolute URLs."""
    uris = ([parsed.init] if parsed.init else []) + [s.uri for s in parsed.segments]
    return [urljoin(playlist_url, uri) for uri in uris]


class _Budget:
    """The bytes the segments of one video may take together."""

    def __init__(self, cap: int) -> None:
        self.cap, self.used = cap, 0

    def spend(self, size: int, url: str) -> None:
        self.used += size
        if self.used > self.cap:
            raise TooLarge(f"HLS segments exceed the video cap of {self.cap} bytes together", url)


async def _segments(fetcher: Fetcher, settings: Settings, playlist: MediaCopy, urls: list[str],
                    budget: _Budget, has_init: bool) -> list[MediaCopy]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(index: int, url: str) -> MediaCopy:
        async with gate:
            response = await fetcher.get(url, "video")
        if response.status != 200:
            raise BadStatus(f"HLS segment {index} answered HTTP {response.status}", url, response.status)
        if response.blob is None:
            raise ContentError(f"HLS segment {index} is empty", url)
        budget.spend(response.blob.bytes, url)
        stored = response.blob.path
        head = await asyncio.to_thread(lambda: _head(fetcher.blobs.local_path(stored)))
        form = _container(head)
        if form is None:
            raise ContentError(f"HLS segment {index} is no media segment (it starts {head[:8]!r})", url)
        verdict = {"tool": "archiver", "format": "HLS segment", "container": form, "playlist": playlist.blob.sha256,
                   "index": index}
        mime = response.content_type or _MIMES[form]
        return MediaCopy(MediaItem(playlist.item.kind, response.url), response.blob, mime, None, None,
                         checked_as=verdict, kind=STREAM, source=SOURCE, logged_in=response.logged_in)

    tasks = [asyncio.ensure_future(one(i, u)) for i, u in enumerate(urls)]
    try:
        copies = list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    forms = sorted({str(c.checked_as["container"]) for c in copies})
    if len(forms) != 1:
        raise ContentError(f"HLS segments of several kinds in one playlist ({', '.join(forms)})", playlist.item.url)
    if has_init:
        copies[0].checked_as["format"] = "HLS initialisation section"
    return copies


def _head(path: Path) -> bytes:
    with path.open("rb") as f:
        return f.read(200)


def _container(head: bytes) -> str | None:
    """What a segment's first bytes say it is: MPEG-TS, fragmented MP4, ADTS AAC, MP3."""
    if head[:1] == b"\x47" and (len(head) < 189 or head[188:189] == b"\x47"):
        return "mpegts"
    if head[4:8] in _MP4_BOXES:
        return "fmp4"
    if head[:3] == b"ID3" and len(head) >= 10:
        return "aac"  # packed audio carries an ID3 timestamp first (RFC 8216 §3.4)
    if head[:1] == b"\xff" and len(head) > 1 and head[1] & 0xF6 == 0xF0:
        return "aac"
    if head[:1] == b"\xff" and len(head) > 1 and head[1] & 0xE0 == 0xE0:
        return "mp3"
    return None


def _join(paths: list[Path], out: Path) -> None:
    """The segments one after another, as a player reads them: one stream."""
    with out.open("wb") as joined:
        for path in paths:
            with path.open("rb") as f:
                shutil.copyfileobj(f, joined, 1024 * 1024)


async def _check_joined(path: Path, form: str, what: str, item: str) -> None:
    """The segments, read together by ffprobe as their container: whole, with a picture
    (or sound, for a separate sound track)."""
    probe = await ffprobe.probe(path, [DEMUXERS[form]], what, item)
    _check_whole(probe, f"HLS {form} segments", DEMUXERS[form], what, item)
    if not probe.of_kind(what):
        raise ContentError(f"HLS segments hold no {what} stream", item)


async def _remux(settings: Settings, fetcher: Fetcher, item: MediaItem, inputs: list[tuple[str, Path]],
                 maps: list[str], out: Path) -> MediaCopy:
    tool = await ffmpeg.remux(inputs, maps, out, item.url)
    blob = await asyncio.to_thread(fetcher.blobs.put_file, out, "video/mp4")
    mp4 = MediaItem("video", item.url, content_type="video/mp4")
    copy = await check_video(mp4, blob, await asyncio.to_thread(fetcher.blobs.local_path, blob.path), "video/mp4")
    copy.checked_as.update(made_by="ffmpeg -c copy", made_with=tool)
    copy.source = REMUX
    return copy


__all__ = ["MAX_SEGMENTS", "REMUX", "SOURCE", "STREAM", "copy_stream"]

"""HLS playlists (RFC 8216) read safely: UTF-8 text, a bounded number of entries, every
URI a web address (or relative to the playlist), nothing fetched here.

A *master* playlist lists variants (``#EXT-X-STREAM-INF`` + URI) and renditions
(``#EXT-X-MEDIA``, e.g. a separate sound track); a *media* playlist lists segments
(``#EXTINF`` + URI), with an optional initialisation section (``#EXT-X-MAP``) for
fragmented-MP4 segments. What the copier cannot take whole is read and said, not
guessed at: encryption (``#EXT-X-KEY``) and byte ranges (``#EXT-X-BYTERANGE``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import ContentError

MAX_ENTRIES = 5000
"""Variants, renditions and segments one playlist may list. A 300 MB video cut in
two-second segments has a few hundred; a playlist naming a million is refused."""

_EXTINF = re.compile(r"^#EXTINF:\s*([0-9]+(?:\.[0-9]*)?)\s*(?:,.*)?$")
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"\r\n]*"|[^",\s]*)')
_RESOLUTION = re.compile(r"^([0-9]{1,5})x([0-9]{1,5})$")


@dataclass(frozen=True)
class Variant:
    uri: str
    bandwidth: int | None
    width: int | None
    height: int | None
    audio: str | None
    """The GROUP-ID of the renditions its sound comes from (None: the sound is in its segments)."""


@dataclass(frozen=True)
class Rendition:
    type: str
    """AUDIO, VIDEO, SUBTITLES or CLOSED-CAPTIONS."""
    group: str
    uri: str | None
    default: bool


@dataclass(frozen=True)
class Segment:
    uri: str
    duration: float


@dataclass(frozen=True)
class Playlist:
    variants: tuple[Variant, ...] = ()
    renditions: tuple[Rendition, ...] = ()
    segments: tuple[Segment, ...] = ()
    init: str | None = None
    """The URI of the initialisation section (``#EXT-X-MAP``) of fragmented-MP4 segments."""
    encryption: str | None = None
    """The ``#EXT-X-KEY`` method when the segments are encrypted (AES-128, SAMPLE-AES…)."""
    byte_ranges: bool = False
    ended: bool = False
    """``#EXT-X-ENDLIST``: the list is whole (a video on demand, not a live window)."""

    @property
    def master(self) -> bool:
        """True for a list of variants (each a playlist), False for a list of segments."""
        return bool(self.variants)

    @property
    def entries(self) -> int:
        return len(self.variants) if self.master else len(self.segments)

    @property
    def duration(self) -> float | None:
        """The sum of the segments' durations, for a media playlist."""
        return None if self.master else sum(s.duration for s in self.segments)

    def verdict(self) -> dict[str, object]:
        kind = "master" if self.master else "media"
        return {"tool": "archiver", "format": f"HLS {kind} playlist", "entries": self.entries, "duration": self.duration}

    def best_variant(self) -> Variant:
        """The variant of most pixels, then of most bits per second."""
        return max(self.variants, key=lambda v: ((v.width or 0) * (v.height or 0), v.bandwidth or 0))

    def audio_for(self, variant: Variant) -> Rendition | None:
        """The sound track a variant plays from a rendition of its own, if it names one with a URI."""
        group = [r for r in self.renditions if r.type == "AUDIO" and r.group == variant.audio and r.uri]
        return next((r for r in group if r.default), group[0] if group else None)


def _text(data: bytes, item: str | None) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError("not an HLS playlist (not UTF-8 text)", item) from None
    if "\x00" in text:
        raise ContentError("not an HLS playlist (binary data)", item)
    return text


def attributes(line: str) -> dict[str, str]:
    """A tag's attribute list (``BANDWIDTH=…,RESOLUTION=…,URI="…"``), quotes removed."""
    values = line.split(":", 1)[1] if ":" in line else ""
    return {name: value.strip('"') for name, value in _ATTRIBUTE.findall(values)}


def _uri(value: str, number: int, item: str | None) -> str:
    if urlsplit(value).scheme.lower() not in ("", "http", "https"):
        raise ContentError(f"not a valid HLS playlist (line {number}: a URI that is not a web address)", item)
    return value


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() and len(value) < 19 else None


def parse(data: bytes, item: str | None = None, max_entries: int = MAX_ENTRIES) -> Playlist:
    """The playlist ``data`` holds; ContentError when it is not one, or lists more than
    ``max_entries`` things. ``item`` names it in errors."""
    lines = [line.strip() for line in _text(data, item).splitlines()]
    if not lines or lines[0] != "#EXTM3U":
        raise ContentError("not an HLS playlist (no #EXTM3U header)", item)
    variants: list[Variant] = []
    renditions: list[Rendition] = []
    segments: list[Segment] = []
    init: str | None = None
    encryption: str | None = None
    byte_ranges = ended = False
    pending: Variant | float | None = None
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        if len(variants) + len(renditions) + len(segments) > max_entries:
            raise ContentError(f"HLS playlist lists more than {max_entries} entries: refused", item)
        if line.startswith(("#EXT-X-STREAM-INF:", "#EXTINF")):
            if pending is not None:
                raise ContentError(f"not a valid HLS playlist (line {number}: a tag where a URI belongs)", item)
            if line.startswith("#EXTINF"):
                length = _EXTINF.match(line)
                if length is None:
                    raise ContentError(f"not a valid HLS playlist (line {number}: a malformed #EXTINF)", item)
                pending = float(length.group(1))
            else:
                found = attributes(line)
                size = _RESOLUTION.match(found.get("RESOLUTION", ""))
                pending = Variant(
                    "", _int(found.get("BANDWIDTH")), int(size.group(1)) if size else None,
                    int(size.group(2)) if size else None, found.get("AUDIO"),
                )
        elif line.startswith("#EXT-X-MEDIA:"):
            found = attributes(line)
            uri = _uri(found["URI"], number, item) if found.get("URI") else None
            renditions.append(Rendition(found.get("TYPE", ""), found.get("GROUP-ID", ""), uri, found.get("DEFAULT") == "YES"))
        elif line.startswith("#EXT-X-MAP:"):
            uri = attributes(line).get("URI")
            if not uri:
                raise ContentError(f"not a valid HLS playlist (line {number}: #EXT-X-MAP without a URI)", item)
            if "BYTERANGE" in attributes(line):
                byte_ranges = True
            if init is not None and uri != init:
                raise ContentError("HLS playlist changes its initialisation section midway: not copied", item)
            init = _uri(uri, number, item)
        elif line.startswith("#EXT-X-KEY:"):
            method = attributes(line).get("METHOD", "")
            if method and method != "NONE":
                encryption = method
        elif line.startswith("#EXT-X-BYTERANGE"):
            byte_ranges = True
        elif line == "#EXT-X-ENDLIST":
            ended = True
        elif line.startswith("#"):
            continue  # other tags and comments
        else:
            if pending is None:
                raise ContentError(f"not a valid HLS playlist (line {number}: a URI no tag announces)", item)
            uri = _uri(line, number, item)
            if isinstance(pending, Variant):
                variants.append(Variant(uri, pending.bandwidth, pending.width, pending.height, pending.audio))
            else:
                segments.append(Segment(uri, pending))
            pending = None
    if len(variants) + len(renditions) + len(segments) > max_entries:
        raise ContentError(f"HLS playlist lists more than {max_entries} entries: refused", item)
    if pending is not None:
        raise ContentError("not a valid HLS playlist (it ends before its last URI)", item)
    if variants and segments:
        raise ContentError("not a valid HLS playlist (it mixes variants and segments)", item)
    if not (variants or segments):
        raise ContentError("not a valid HLS playlist (it lists nothing)", item)
    return Playlist(tuple(variants), tuple(renditions), tuple(segments), init, encryption, byte_ranges, ended)


__all__ = ["MAX_ENTRIES", "Playlist", "Rendition", "Segment", "Variant", "attributes", "parse"]

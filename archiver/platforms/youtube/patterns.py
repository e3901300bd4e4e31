"""YouTube's URLs and embeds (field guide PLATFORMS_OTHER.md §3.1, §3.2).

A video id is 11 characters of ``[0-9A-Za-z_-]``. It is named by watch pages
(``/watch?v=``, ``/watch/?…&v=``, ``#!v=``), ``/embed/``, ``/v/``, ``/e/``, ``/shorts/``,
``/live/``, on ``(www.|m.|music.)youtube.com``, ``youtube-nocookie.com``,
``youtubekids.com``, ``youtube.googleapis.com`` and ``youtu.be/<id>``. Playlists
(``/embed/videoseries?list=``) name no single video.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from ..base import AMP, IFRAME, POST_LINK, FoundEmbed

NAME = "youtube"
VIDEO_ID = re.compile(r"^[0-9A-Za-z_-]{11}$")
_HOSTS = re.compile(
    r"^(?:(?:www|m|music|gaming)\.)?(?:youtube\.com|youtube-nocookie\.com|youtubekids\.com)$|^youtube\.googleapis\.com$"
)
_PATH_ID = re.compile(r"^/(?:embed|v|e|shorts|live)/([0-9A-Za-z_-]{11})(?:[/?#&]|$)")
_HANDLE = re.compile(r"^/@([\w.-]{1,100})")
# A URL of one of YouTube's hosts, written anywhere (text, attributes, scripts)
URL_IN_TEXT = re.compile(
    r"(?:https?:)?//(?:(?:www|m|music)\.)?(?:youtube(?:-nocookie)?\.com|youtu\.be)/[^\s\"'<>\\)\]]+",
    re.IGNORECASE,
)
_IFRAME = re.compile(r"<iframe\b[^>]*?\s(?:data-)?(?:lazy-)?src\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)
_AMP = re.compile(r"<amp-youtube\b[^>]*?\s(?:data-videoid|video-id)\s*=\s*[\"']?([0-9A-Za-z_-]{11})", re.IGNORECASE)
_FLASH = re.compile(r"<(?:embed|object|param)\b[^>]*?\s(?:src|data|value)\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)


def video_id(url: str) -> str | None:
    """The video a URL names, or None (playlists, channels, other sites)."""
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if host in ("youtu.be", "www.youtu.be"):
        candidate = parts.path.strip("/").split("/", 1)[0]
        return candidate if VIDEO_ID.match(candidate) else None
    if not _HOSTS.match(host):
        return None
    m = _PATH_ID.match(parts.path)
    if m:
        return m.group(1) if m.group(1) != "videoseries" else None
    if parts.path.rstrip("/") in ("/watch", "/watch_popup"):
        for value in parse_qs(parts.query).get("v", []):
            if VIDEO_ID.match(value):
                return value
    fragment = parts.fragment
    if fragment.startswith("!v=") and VIDEO_ID.match(fragment[3:14]):
        return fragment[3:14]
    return None


def handle_from_url(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not _HOSTS.match((parts.hostname or "").lower()):
        return None
    m = _HANDLE.match(parts.path)
    return m.group(1) if m else None


def canonical_url(native_id: str) -> str:
    return f"https://www.youtube.com/watch?v={native_id}"


_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def without_scripts(html: str) -> str:
    """The page without its scripts and styles: URLs a script builds are not citations."""
    return _SCRIPT.sub(" ", html) if "<script" in html.lower() or "<style" in html.lower() else html


def _clean(url: str) -> str:
    return url.replace("&amp;", "&").replace("&#038;", "&").strip()


def find_in_html(html: str, base_url: str) -> list[FoundEmbed]:
    """Every YouTube video an HTML page cites: iframes (youtube.com and -nocookie, lazy
    ``data-src`` too), ``amp-youtube``, Flash embeds, and links or bare URLs."""
    if "youtu" not in html.lower():
        return []
    html = without_scripts(html)
    found: list[FoundEmbed] = []
    framed: set[str] = set()
    for m in _IFRAME.finditer(html):
        link = _clean(m.group(1))
        native_id = video_id(link)
        if native_id:
            framed.add(native_id)
            found.append(FoundEmbed(NAME, _absolute(link), IFRAME, native_id))
    for m in _AMP.finditer(html):
        framed.add(m.group(1))
        found.append(FoundEmbed(NAME, canonical_url(m.group(1)), AMP, m.group(1)))
    for m in _FLASH.finditer(html):
        link = _clean(m.group(1))
        native_id = video_id(link)
        if native_id and native_id not in framed:
            framed.add(native_id)
            found.append(FoundEmbed(NAME, _absolute(link), "flash", native_id))
    seen: set[str] = set()
    for m in URL_IN_TEXT.finditer(html):
        link = _absolute(_clean(m.group(0)))
        native_id = video_id(link)
        if native_id is None or native_id in framed or native_id in seen:
            continue
        seen.add(native_id)
        found.append(FoundEmbed(NAME, link, POST_LINK, native_id))
    return found


def find_in_text(text: str) -> list[FoundEmbed]:
    found: list[FoundEmbed] = []
    seen: set[str] = set()
    for m in URL_IN_TEXT.finditer(text):
        link = _absolute(m.group(0))
        native_id = video_id(link)
        if native_id and native_id not in seen:
            seen.add(native_id)
            found.append(FoundEmbed(NAME, link, POST_LINK, native_id))
    return found


def _absolute(url: str) -> str:
    return "https:" + url if url.startswith("//") else url


def embed_id(url: str) -> str | None:
    """The video an embed page (``/embed/<id>``, either host) shows."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not _HOSTS.match((parts.hostname or "").lower()) or not parts.path.startswith("/embed/"):
        return None
    m = _PATH_ID.match(parts.path)
    return m.group(1) if m else None

"""TikTok's URLs and embeds (field guide PLATFORMS_OTHER.md §5.1, §5.2).

A video id is a number of 15 to 20 digits, named by ``/@<user>/video/<id>`` (and
``/photo/<id>``), ``/embed/v2/<id>``, ``/embed/<id>``, ``/player/v1/<id>`` and
``/share/video/<id>`` on ``www.tiktok.com`` (also ``m.``, ``tiktokv.com``). Short links
(``vm.tiktok.com/<code>``, ``vt.tiktok.com/<code>``, ``www.tiktok.com/t/<code>``) lead
to a video only once followed, hop by hop.
"""

from __future__ import annotations

import html as html_module
import re
from urllib.parse import urlsplit

from ..base import AMP, BLOCKQUOTE, IFRAME, POST_LINK, SHORT_LINK, FoundEmbed

NAME = "tiktok"
_HOSTS = ("tiktok.com", "www.tiktok.com", "m.tiktok.com", "www.tiktokv.com", "tiktokv.com")
_SHORT_HOSTS = ("vm.tiktok.com", "vt.tiktok.com")
_VIDEO_PATH = re.compile(
    r"^/(?:@([\w.-]{0,40})/(?:video|photo)|embed/v2|embed|player/v1|share/video)/(\d{15,20})(?:[/?#]|$)"
)
_SHORT_PATH = re.compile(r"^/(?:t/)?([A-Za-z0-9]{5,16})/?$")
URL_IN_TEXT = re.compile(r"(?:https?:)?//(?:(?:www|m|vm|vt)\.)?tiktok(?:v)?\.com/[^\s\"'<>\\)\]]+", re.IGNORECASE)
_BLOCKQUOTE = re.compile(r"<blockquote\b[^>]*\bclass\s*=\s*[\"'][^\"']*\btiktok-embed\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"\b(cite|data-video-id)\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_AMP = re.compile(r"<amp-tiktok\b[^>]*?\sdata-src\s*=\s*[\"']([^\"']+)[\"']", re.IGNORECASE)
_IFRAME = re.compile(r"<iframe\b[^>]*?\s(?:data-)?src\s*=\s*[\"']?([^\"'\s>]+)", re.IGNORECASE)


_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def without_scripts(html: str) -> str:
    """The page without its scripts and styles: URLs a script builds are not citations."""
    return _SCRIPT.sub(" ", html) if "<script" in html.lower() or "<style" in html.lower() else html


def _parts(url: str) -> tuple[str, str] | None:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and url.lower().startswith(("vm.tiktok.com/", "vt.tiktok.com/", "www.tiktok.com/")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower(), parts.path


def video_id(url: str) -> str | None:
    parts = _parts(url)
    if parts is None or parts[0] not in _HOSTS:
        return None
    m = _VIDEO_PATH.match(parts[1])
    return m.group(2) if m else None


def handle_from_url(url: str) -> str | None:
    parts = _parts(url)
    if parts is None or parts[0] not in _HOSTS:
        return None
    m = _VIDEO_PATH.match(parts[1])
    return (m.group(1) or None) if m and m.group(1) not in (None, "", "_") else None


def short_link(url: str) -> str | None:
    """``url`` as an absolute URL when it is a TikTok short link."""
    parts = _parts(url)
    if parts is None:
        return None
    host, path = parts
    if host in _SHORT_HOSTS and _SHORT_PATH.match(path):
        pass
    elif host in ("www.tiktok.com", "tiktok.com") and path.startswith("/t/") and _SHORT_PATH.match(path):
        pass
    else:
        return None
    url = url.strip()
    return "https:" + url if url.startswith("//") else (url if "://" in url else "https://" + url)


def canonical_url(native_id: str, handle: str | None) -> str:
    return f"https://www.tiktok.com/@{handle or '_'}/video/{native_id}"


def embed_id(url: str) -> str | None:
    parts = _parts(url)
    if parts is None or parts[0] not in _HOSTS or not parts[1].startswith(("/embed/", "/player/v1/")):
        return None
    return video_id(url)


def _absolute(url: str) -> str:
    return "https:" + url if url.startswith("//") else url


def find_in_html(page: str, base_url: str) -> list[FoundEmbed]:
    """Blockquotes (``blockquote.tiktok-embed``), ``amp-tiktok``, embed and player iframes,
    links and bare URLs (short links too, resolved later)."""
    if "tiktok" not in page.lower():
        return []
    page = without_scripts(page)
    found: list[FoundEmbed] = []
    shown: set[str] = set()
    for m in _BLOCKQUOTE.finditer(page):
        attributes = {k.lower(): html_module.unescape(v) for k, v in _ATTRIBUTE.findall(m.group(0))}
        cite = attributes.get("cite", "")
        native_id = video_id(cite) or (attributes.get("data-video-id") or "").strip() or None
        if native_id and native_id.isdigit():
            shown.add(native_id)
            found.append(FoundEmbed(NAME, cite or canonical_url(native_id, None), BLOCKQUOTE, native_id))
    for m in _AMP.finditer(page):
        value = html_module.unescape(m.group(1)).strip()
        native_id = value if value.isdigit() else video_id(value)
        if native_id:
            shown.add(native_id)
            found.append(FoundEmbed(NAME, value if not value.isdigit() else canonical_url(value, None), AMP, native_id))
    for m in _IFRAME.finditer(page):
        link = _absolute(html_module.unescape(m.group(1)))
        native_id = embed_id(link)
        if native_id and native_id not in shown:
            shown.add(native_id)
            found.append(FoundEmbed(NAME, link, IFRAME, native_id))
    found.extend(e for e in find_in_text(page) if e.native_id is None or e.native_id not in shown)
    return found


def find_in_text(text: str) -> list[FoundEmbed]:
    found: list[FoundEmbed] = []
    seen: set[str] = set()
    for m in URL_IN_TEXT.finditer(text):
        link = _absolute(html_module.unescape(m.group(0)))
        native_id = video_id(link)
        if native_id and embed_id(link) is None and native_id not in seen:
            seen.add(native_id)
            found.append(FoundEmbed(NAME, link, POST_LINK, native_id))
        elif native_id is None and short_link(link) and link not in seen:
            seen.add(link)
            found.append(FoundEmbed(NAME, link, SHORT_LINK))
    return found

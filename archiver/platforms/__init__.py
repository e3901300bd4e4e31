"""The platforms the archiver knows, and one entry point to find their embeds."""

from __future__ import annotations

from .base import FoundEmbed, MediaItem, Platform, PostData, Status
from .twitter import PLATFORM as TWITTER

PLATFORMS: list[Platform] = [TWITTER]

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_TEXT_TYPES = ("text/plain", "text/markdown", "text", "plain")


def _is_html(content: str, content_type: str | None) -> bool:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _HTML_TYPES or media_type.endswith(("+xml", "/xml")):
        # Feeds and XHTML: a markup parser still reads their text and links.
        return True
    if media_type in _TEXT_TYPES:
        return False
    # Unknown or missing type: look at the start of the content.
    head = content[:2048].lstrip().lower()
    return head.startswith("<") or "<html" in head or "<body" in head or "<p" in head


def find_embeds(content: str, content_type: str | None, base_url: str | None) -> list[FoundEmbed]:
    """Every platform's embeds in ``content``; each platform's are in document order."""
    html = _is_html(content, content_type)
    found: list[FoundEmbed] = []
    for platform in PLATFORMS:
        if html:
            found.extend(platform.find_in_html(content, base_url or ""))
        else:
            found.extend(platform.find_in_text(content))
    return found


def platform_named(name: str) -> Platform | None:
    return next((p for p in PLATFORMS if p.name == name), None)


__all__ = [
    "PLATFORMS",
    "FoundEmbed",
    "MediaItem",
    "Platform",
    "PostData",
    "Status",
    "find_embeds",
    "platform_named",
]

"""Threads' post URLs and ids (field guide PLATFORMS_OTHER.md §7.2).

A post is ``https://www.threads.com/@<user>/post/<code>`` or ``…/t/<code>`` (the older
host ``threads.net`` alike); its embed page is the permalink with ``/embed`` after it.
Its id here is the code alone (case kept: codes are case-sensitive), the same whichever
host, user or form names it. ``xmt``, ``slof`` and ``igsh`` query parameters are dropped.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

NAME = "threads"
HOSTS: tuple[str, ...] = ("threads.com", "threads.net")
"""Domain suffixes of Threads' own hosts (for cookies a user gives: never sent elsewhere)."""
_WEB_HOSTS = frozenset({"threads.com", "www.threads.com", "threads.net", "www.threads.net"})
_POST_PATH = re.compile(r"^/(?:@([\w.]{1,40})/post|t)/([A-Za-z0-9_-]{5,64})(/embed)?/?$")
URL_IN_TEXT = re.compile(
    r"(?:https?://)?(?:www\.)?threads\.(?:net|com)/(?:@[\w.]{1,40}/post|t)/[A-Za-z0-9_-]{5,64}(?:/embed)?/?"
    r"(?![A-Za-z0-9_-])(?:\?[^\s\"'<>\\)\]]*)?",
    re.IGNORECASE,
)


def _match(url: str) -> re.Match[str] | None:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and url.lower().startswith(("threads.net/", "threads.com/", "www.threads.net/", "www.threads.com/")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or (parts.hostname or "").lower() not in _WEB_HOSTS:
        return None
    return _POST_PATH.match(parts.path)


def post_id(url: str) -> str | None:
    """The post a URL names (its code), or None."""
    m = _match(url)
    return m.group(2) if m else None


def user_of(url: str) -> str | None:
    m = _match(url)
    return m.group(1) if m and m.group(1) else None


def is_embed_page(url: str) -> bool:
    m = _match(url)
    return bool(m and m.group(3))


def canonical_url(native_id: str, handle: str | None) -> str:
    return f"https://www.threads.com/@{handle}/post/{native_id}" if handle else f"https://www.threads.com/t/{native_id}"


__all__ = ["HOSTS", "NAME", "URL_IN_TEXT", "canonical_url", "is_embed_page", "post_id", "user_of"]

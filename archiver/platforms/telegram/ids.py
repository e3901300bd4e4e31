"""Telegram's post URLs and ids (field guide PLATFORMS_OTHER.md §8.2).

A public channel's post is ``https://t.me/<channel>/<id>``; the same post is named by
``t.me/s/<channel>/<id>`` (the web preview), ``telegram.me/…`` (the old host, which
redirects to t.me), ``telesco.pe/<channel>/<id>`` (video messages) and the embed page
``t.me/<channel>/<id>?embed=1``. Its id here is ``"<channel>/<id>"`` with the channel
lower-cased (usernames are case-insensitive) and the message id without leading zeros.

Not posts: a channel alone (``t.me/<channel>``), invitations (``t.me/+…``,
``t.me/joinchat/…``), Telegram's own pages (``t.me/addstickers/…``, ``t.me/share/…``…)
and links into private chats (``t.me/c/<internal id>/<id>``), which only members can read.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

NAME = "telegram"
HOSTS: tuple[str, ...] = ("t.me", "telegram.me", "telesco.pe", "telegram.org")
"""Domain suffixes of Telegram's own hosts (for cookies a user gives: never sent elsewhere)."""
_POST_HOSTS = frozenset({"t.me", "www.t.me", "telegram.me", "www.telegram.me", "telesco.pe"})
_CHANNEL = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
_MESSAGE = re.compile(r"^[0-9]{1,12}$")
_RESERVED = frozenset({
    "joinchat", "addstickers", "addemoji", "addtheme", "addlist", "share", "proxy", "socks", "login", "confirmphone",
    "setlanguage", "boost", "invoice", "contact", "apps", "giftcode", "iv",
})
NATIVE_ID = re.compile(r"^([a-z][a-z0-9_]{3,31})/([1-9][0-9]{0,11})$")
URL_IN_TEXT = re.compile(
    r"(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telesco\.pe)/(?:s/)?[A-Za-z][A-Za-z0-9_]{3,31}/[0-9]{1,12}"
    r"(?![0-9A-Za-z_]|/[0-9])(?:\?[^\s\"'<>\\)\]]*)?",
    re.IGNORECASE,
)


def _parts(url: str) -> tuple[str, list[str], str] | None:
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    elif "://" not in url and url.lower().startswith(("t.me/", "telegram.me/", "www.t.me/", "www.telegram.me/", "telesco.pe/")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https"):
        return None
    return (parts.hostname or "").lower(), [p for p in parts.path.split("/") if p], parts.query


def post_id(url: str) -> str | None:
    """The post a URL names (``"channel/130"``), or None."""
    parts = _parts(url)
    if parts is None or parts[0] not in _POST_HOSTS:
        return None
    _, path, _ = parts
    if len(path) == 3 and path[0] == "s":
        path = path[1:]
    if len(path) != 2:
        return None
    channel, message = path
    if not _CHANNEL.match(channel) or channel.lower() in _RESERVED or not _MESSAGE.match(message) or int(message) == 0:
        return None
    return f"{channel.lower()}/{int(message)}"


def split(native_id: str) -> tuple[str, str]:
    channel, _, message = native_id.partition("/")
    return channel, message


def channel_of(url: str) -> str | None:
    """The channel a post URL names, as written (its case kept), for the canonical URL."""
    parts = _parts(url)
    if parts is None or post_id(url) is None:
        return None
    path = parts[1]
    return path[1] if path[0] == "s" else path[0]


def is_embed_page(url: str) -> bool:
    parts = _parts(url)
    return parts is not None and parts[0] in ("t.me", "telegram.me") and "embed" in parse_qs(parts[2], keep_blank_values=True)


def canonical_url(native_id: str) -> str:
    channel, message = split(native_id)
    return f"https://t.me/{channel}/{message}"


def preview_url(web: str, native_id: str) -> str:
    """The channel's web preview (``/s/<channel>``): it answers whether the channel exists."""
    return f"{web}/s/{split(native_id)[0]}"


def embed_url(web: str, native_id: str) -> str:
    return f"{web}/{native_id}?embed=1"


def normalise(native_id: str) -> str | None:
    """``native_id`` if it is a Telegram id (``channel/130``), else None."""
    return native_id if NATIVE_ID.match(native_id) else None


__all__ = [
    "HOSTS", "NAME", "URL_IN_TEXT", "canonical_url", "channel_of", "embed_url", "is_embed_page", "normalise",
    "post_id", "preview_url", "split",
]

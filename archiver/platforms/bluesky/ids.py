"""Bluesky's post identity: a DID and a record key, whatever form cited the post.

A post is ``at://<DID>/app.bsky.feed.post/<rkey>``; archiver's id for it is
``<DID>/<rkey>`` (``did:plc:…/3l…``). Handles change, so a link that names the author
by handle (``bsky.app/profile/<handle>/post/<rkey>``, ``at://<handle>/…``) is resolved
to the DID before it is called a post (``api.identify``); the handle is recorded as it was.

Forms recognised (field guide §1.1–1.2): ``https://bsky.app/profile/<actor>/post/<rkey>``
(also ``main.bsky.dev``, ``staging.bsky.app``), ``at://<actor>/app.bsky.feed.post/<rkey>``
and the embed page ``https://embed.bsky.app/embed/<DID>/app.bsky.feed.post/<rkey>``.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

COLLECTION = "app.bsky.feed.post"
WEB_HOSTS = ("bsky.app", "www.bsky.app", "main.bsky.dev", "staging.bsky.app")
EMBED_HOST = "embed.bsky.app"

RKEY = r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}"
"""A post's record key is a TID: 13 characters of base32-sortable (field guide §1.2)."""
DID = r"did:(?:plc:[a-z2-7]{24}|web:[a-zA-Z0-9.-]+(?:%3[aA]\d{1,5})?)"
HANDLE = r"(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
ACTOR = rf"(?:{DID}|{HANDLE})"

_RKEY = re.compile(rf"^{RKEY}$")
_DID = re.compile(rf"^{DID}$")
_HANDLE = re.compile(rf"^{HANDLE}$")
_WEB_PATH = re.compile(rf"^/profile/({ACTOR})/post/({RKEY})/?$")
_EMBED_PATH = re.compile(rf"^/embed/({DID})/{re.escape(COLLECTION)}/({RKEY})/?$")
_AT_URI = re.compile(rf"^at://({ACTOR})/{re.escape(COLLECTION)}/({RKEY})$")

# Written in text: the URL or AT-URI ends at what cannot be part of it.
WEB_URL_IN_TEXT = re.compile(
    rf"(?:https?://)?(?:www\.|main\.|staging\.)?bsky\.(?:app|dev)/profile/{ACTOR}/post/{RKEY}(?![a-z0-9])",
    re.IGNORECASE,
)
AT_URI_IN_TEXT = re.compile(rf"at://{ACTOR}/{re.escape(COLLECTION)}/{RKEY}(?![a-z0-9])")
EMBED_URL_IN_TEXT = re.compile(
    rf"https?://embed\.bsky\.app/embed/{DID}/{re.escape(COLLECTION)}/{RKEY}(?![a-z0-9])"
)


class PostName(NamedTuple):
    """A post as a link names it: the actor (a DID or a handle) and the record key."""

    actor: str
    rkey: str

    @property
    def is_did(self) -> bool:
        return self.actor.startswith("did:")

    @property
    def native_id(self) -> str | None:
        return f"{self.actor}/{self.rkey}" if self.is_did else None


def is_did(value: str) -> bool:
    return bool(_DID.match(value))


def is_handle(value: str) -> bool:
    return bool(_HANDLE.match(value)) and not value.startswith("did:")


def _actor(value: str) -> str:
    value = unquote(value)
    # Handles are case-insensitive (normalised to lower case); DIDs are not.
    return value if value.startswith("did:") else value.lower()


def parse(url: str) -> PostName | None:
    """The post a bsky.app URL, an AT-URI or an embed-page URL names, if any."""
    url = url.strip()
    if url.startswith("at://"):
        m = _AT_URI.match(unquote(url.split("?", 1)[0].split("#", 1)[0]))
        return PostName(_actor(m.group(1)), m.group(2)) if m else None
    if "://" not in url and url.lower().startswith(("bsky.app/", "www.bsky.app/")):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    if host in WEB_HOSTS:
        m = _WEB_PATH.match(unquote(parts.path))
        return PostName(_actor(m.group(1)), m.group(2)) if m else None
    if host == EMBED_HOST:
        m = _EMBED_PATH.match(unquote(parts.path))
        return PostName(m.group(1), m.group(2)) if m else None
    return None


def split(native_id: str) -> tuple[str, str]:
    """(DID, rkey) of an id ``<DID>/<rkey>``; ValueError for anything else."""
    did, sep, rkey = native_id.rpartition("/")
    if not (sep and _DID.match(did) and _RKEY.match(rkey)):
        raise ValueError(f"not a Bluesky post id: {native_id!r}")
    return did, rkey


def at_uri(native_id: str) -> str:
    did, rkey = split(native_id)
    return f"at://{did}/{COLLECTION}/{rkey}"


def native_id_of_uri(uri: str) -> str | None:
    """``<DID>/<rkey>`` of a post's AT-URI (a DID-based one); None for other records."""
    m = _AT_URI.match(uri or "")
    if not m or not m.group(1).startswith("did:"):
        return None
    return f"{m.group(1)}/{m.group(2)}"


def web_url(native_id: str) -> str:
    did, rkey = split(native_id)
    return f"https://bsky.app/profile/{did}/post/{rkey}"

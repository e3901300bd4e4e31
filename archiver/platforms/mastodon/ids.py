"""Mastodon's post identity: the origin instance, the author's username and the post's id there.

A post lives on one instance, its origin; other instances show copies under ids of their
own (``https://<viewer>/@user@origin/<local id>``), so archiver names a post by its
origin: ``<host>/@<user>/<id>`` (``mastodon.social/@gargron/100254678717223630``). The
username is part of it because the embed page and the account page need it (Mastodon
usernames never change and are matched without regard to case, so it is kept in lower
case). Links only look like posts — any host may serve ``/@user/123`` — so a bare link
is confirmed through its host's API (``api.identify``) before it is called a post.

Shapes read (field guide §2.1–2.2): ``/@user/<id>``, ``/@user@domain/<id>`` (a copy on
a viewing instance), ``/users/<user>/statuses/<id>`` (the ActivityPub id), each with an
optional ``/embed``; ``/web/@user/<id>``, ``/deck/@user/<id>``, ``/web/statuses/<id>``.

Other ActivityPub servers (field guide §2.2):

- Pleroma and Akkoma: ``/notice/<id>`` (a flake id in base62) and ``/objects/<uuid>``
  (the ActivityPub id, which redirects to the notice). They answer the Mastodon API, so a
  post of theirs is named like a Mastodon one, ``host/@user/<id>``; an id that is not all
  digits is theirs (Mastodon's are), and its page is ``/notice/<id>``.
- Misskey (and its forks): ``/notes/<id>``, asked of ``POST /api/notes/show``; named
  ``host/notes/<id>`` (:func:`note_id`).
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import urlsplit

USER = r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,62}[A-Za-z0-9_])?"
DOMAIN = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
ID = r"[0-9]{1,20}"

FLAKE = r"(?:[0-9]{1,20}|[0-9A-Za-z]{18,22})"
"""A Pleroma/Akkoma status id: a flake id in base62 (18 characters; older Pleroma used
digits). A word such as ``/notice/privacy`` is not one."""
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
NOTE = r"(?:[0-9a-z]{10}|[0-9a-z]{16}|[0-9a-f]{24}|[0-9A-Z]{26})"
"""A Misskey note id, in one of its id schemes: aid (10), aidx (16), meid or objectid (24
hex), ulid (26): a bare ``/notes/<anything>`` is not taken for one."""

_PATHS = (
    re.compile(rf"^/(?:web/|deck/)?@(?P<user>{USER})(?:@(?P<domain>{DOMAIN}))?/(?P<id>{ID})(?P<embed>/embed)?/?$"),
    re.compile(rf"^/users/(?P<user>{USER})/statuses/(?P<id>{ID})(?P<embed>/embed)?/?$"),
    re.compile(rf"^/web/statuses/(?P<id>{ID})/?$"),
)
_OTHER_PATHS = (
    ("pleroma", re.compile(rf"^/notice/(?P<id>{FLAKE})/?$")),
    ("object", re.compile(rf"^/objects/(?P<id>{UUID})/?$")),
    ("misskey", re.compile(rf"^/notes/(?P<id>{NOTE})/?$")),
)
URL_IN_TEXT = re.compile(
    rf"https?://{DOMAIN}(?::[0-9]{{1,5}})?"
    rf"(?:/(?:web/|deck/)?@{USER}(?:@{DOMAIN})?/{ID}|/users/{USER}/statuses/{ID}|/web/statuses/{ID}"
    rf"|/notice/{FLAKE}|/objects/{UUID}|/notes/{NOTE})(?:/embed)?"
    r"(?![A-Za-z0-9_/-])"
)
MAY_CITE = re.compile(
    rf"mastodon|/@{USER}(?:@{DOMAIN})?/{ID}|/users/{USER}/statuses/{ID}|/web/statuses/{ID}"
    rf"|/notice/{FLAKE}|/objects/{UUID}|/notes/{NOTE}", re.IGNORECASE
)
"""A page none of this occurs in cites no Mastodon post: it is not parsed for them."""


class StatusLink(NamedTuple):
    """What a link says of a post: the host it is on, and the user and id it names there."""

    host: str
    user: str | None
    domain: str | None
    """The author's instance, when the link shows a copy (``@user@domain``) of a remote post."""
    id: str
    embed: bool
    server: str = "mastodon"
    """The shape's server: ``mastodon``; ``pleroma`` (``/notice/<id>``); ``object`` (a
    Pleroma ``/objects/<uuid>``, which leads to the notice); ``misskey`` (``/notes/<id>``)."""

    @property
    def is_copy(self) -> bool:
        return self.domain is not None and self.domain != self.host

    @property
    def native_id(self) -> str | None:
        """``host/@user/id`` when the link itself is on the post's origin and names its author."""
        if self.server == "misskey":
            return note_id(self.host, self.id)
        if self.user is None or self.is_copy:
            return None
        return make_id(self.host, self.user, self.id)


def make_id(host: str, user: str, status_id: str) -> str:
    return f"{host.lower()}/@{user.lower()}/{status_id}"


def parse(url: str) -> StatusLink | None:
    """The post a URL's shape names, on whatever host; None for other URLs."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower() + (f":{port}" if port else "")
    for pattern in _PATHS:
        m = pattern.match(parts.path)
        if m:
            found = m.groupdict()
            domain = found.get("domain")
            return StatusLink(
                host, found.get("user"), domain.lower() if domain else None, found["id"], bool(found.get("embed"))
            )
    for server, pattern in _OTHER_PATHS:
        m = pattern.match(parts.path)
        if m:
            return StatusLink(host, None, None, m.group("id"), False, server)
    return None


def note_id(host: str, note: str) -> str:
    """A Misskey note's native id: ``host/notes/<id>``."""
    return f"{host.lower()}/notes/{note}"


def split_note(native_id: str) -> tuple[str, str] | None:
    """(host, note id) of ``host/notes/<id>``; None for a Mastodon-API post's id."""
    host, kind, note = [*native_id.split("/"), "", "", ""][:3]
    if kind != "notes" or native_id.count("/") != 2 or not re.fullmatch(NOTE, note) or not host:
        return None
    return host, note


def is_pleroma(status_id: str) -> bool:
    """Whether a Mastodon-API status id is Pleroma's or Akkoma's (Mastodon's are all digits)."""
    return not status_id.isdigit()


def split(native_id: str) -> tuple[str, str, str]:
    """(host, user, id) of ``host/@user/id``; ValueError for anything else."""
    host, user, status_id = [*native_id.split("/"), "", "", ""][:3]
    if not (host and user.startswith("@") and len(user) > 1 and re.fullmatch(FLAKE, status_id)
            and native_id.count("/") == 2):
        raise ValueError(f"not a Mastodon post id: {native_id!r}")
    return host, user[1:], status_id


def origin_of(uri: str | None, url: str | None, username: str | None = None) -> str | None:
    """The origin's native id from a status's ActivityPub ``uri`` or its ``url``: a
    Mastodon-shaped one, a Misskey note, or a Pleroma notice (whose URL does not name its
    author: ``username``, the account's, does)."""
    for candidate in (uri, url):
        link = parse(candidate or "")
        if link is not None and link.native_id is not None and not link.embed:
            return link.native_id
    for candidate in (url, uri):
        link = parse(candidate or "")
        if link is not None and link.server == "pleroma" and username:
            return make_id(link.host, username, link.id)
    return None


def status_url(native_id: str, handle: str | None = None) -> str:
    note = split_note(native_id)
    if note is not None:
        return f"https://{note[0]}/notes/{note[1]}"
    host, user, status_id = split(native_id)
    if is_pleroma(status_id):
        return f"https://{host}/notice/{status_id}"
    if handle:
        # The author's own spelling of the username, when the record gave it.
        local = handle.lstrip("@").split("@", 1)[0]
        if local.lower() == user:
            user = local
    return f"https://{host}/@{user}/{status_id}"

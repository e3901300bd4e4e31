"""Recognising Twitter/X links: status URLs, t.co short links, pic links.

Hosts are matched case-insensitively; paths are matched as Twitter serves
them. Anything that is not a post (profiles, hashtags, searches, ``/i/...``
pages other than ``/i/status`` and ``/i/web/status``) yields no id.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from urllib.parse import parse_qs, unquote, urlsplit

TWITTER_EPOCH_MS = 1288834974657
"""Snowflake ids count milliseconds from this instant (2010-11-04T01:42:54.657Z)."""

SNOWFLAKE_MIN_ID = 300000000000000
"""Ids below this predate snowflakes (late 2010) and carry no time."""

# Mirrors and fix-up services that serve the same /<handle>/status/<id> paths.
# nitter has many instances: nitter.<tld>, nitter.<name>.<tld>, etc.
# Language hosts (de.twitter.com, pt-br.twitter.com) served posts until 2013 or so.
_HOST = (
    r"(?:(?:www|mobile|m|[a-z]{2}(?:-[a-z]{2,4})?)\.)?"
    r"(?:twitter\.com|x\.com|fxtwitter\.com|vxtwitter\.com|fixupx\.com|fixvx\.com|xcancel\.com)"
    r"|nitter(?:\.[a-z0-9-]+){1,3}"
)
# Handles are [A-Za-z0-9_]{1,15} today; some legacy accounts are longer, so
# allow a little more rather than miss them.
_HANDLE = r"[A-Za-z0-9_]{1,20}"
_ID = r"[0-9]{1,20}"
# Old links use the #! fragment form: twitter.com/#!/jack/status/20.
_PATH = (
    r"/(?:#!/)?"
    r"(?:"
    r"(?:i/web|i)/status/(?P<id_i>" + _ID + r")"
    r"|statuses/(?P<id_s>" + _ID + r")"
    r"|(?P<handle>" + _HANDLE + r")/status(?:es)?/(?P<id_h>" + _ID + r")"
    r")"
)

_STATUS_URL = re.compile(
    r"^(?:(?:https?:)?//)?(?P<host>" + _HOST + r")(?::[0-9]+)?" + _PATH + r"(?P<rest>[/?#].*)?$",
    re.IGNORECASE | re.DOTALL,
)

# Path segments that are Twitter routes, never a handle.
_RESERVED = frozenset(
    {
        "i",
        "home",
        "search",
        "hashtag",
        "explore",
        "intent",
        "share",
        "settings",
        "messages",
        "notifications",
        "login",
        "logout",
        "signup",
        "safety",
        "tos",
        "privacy",
        "about",
    }
)

_SHORT_URL = re.compile(r"^(?:https?:)?(?://)?t\.co/(?P<code>[A-Za-z0-9]+)/?(?:[?#].*)?$", re.I)
_PIC_URL = re.compile(
    r"^(?:https?:)?(?://)?(?P<host>pic\.(?:twitter|x)\.com)/(?P<code>[A-Za-z0-9]+)/?(?:[?#].*)?$",
    re.I,
)

# ---- finding links in running text -------------------------------------------------
# Lookbehinds keep "notx.com" or "somet.co" from matching; the id must not be
# followed by more digits or by an ellipsis (a display URL cut short, whose id
# would be wrong).
_BOUNDARY = r"(?<![A-Za-z0-9_.@/-])"
_URL_TAIL = r"(?:[/?#][^\s<>\"'`\u2026]*)?"

STATUS_URL_IN_TEXT = re.compile(
    _BOUNDARY
    + r"(?P<url>(?:https?://)?(?:"
    + _HOST
    + r")"
    + _PATH.replace("(?P<", "(?P<t")
    + r"(?![0-9]|\u2026|\.\.\.)"
    + _URL_TAIL
    + r")",
    re.IGNORECASE,
)
"""A status URL in plain text, with or without scheme (group ``url``)."""

PIC_LINK_IN_TEXT = re.compile(
    _BOUNDARY + r"(?P<url>(?:https?://)?(?P<host>pic\.(?:twitter|x)\.com)/(?P<code>[A-Za-z0-9]+))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
"""``pic.twitter.com/CODE`` or ``pic.x.com/CODE`` in text, usually without scheme."""

SHORT_LINK_IN_TEXT = re.compile(
    _BOUNDARY + r"(?P<url>(?:https?://)?t\.co/(?P<code>[A-Za-z0-9]+))(?![A-Za-z0-9])",
    re.IGNORECASE,
)
"""A ``t.co/CODE`` link in text."""

_TRAILING_PUNCT = ".,;:!?)]}'\"»›"


def _match_status(url: str) -> re.Match[str] | None:
    m = _STATUS_URL.match(url.strip())
    if m is None:
        return None
    handle = m.group("handle")
    if handle is not None and handle.lower() in _RESERVED:
        return None
    return m


def _id_of(m: re.Match[str], prefix: str = "") -> str:
    for name in ("id_i", "id_s", "id_h"):
        value = m.group(prefix + name)
        if value is not None:
            # Leading zeros would make two spellings of one post.
            return value.lstrip("0") or "0"
    raise AssertionError("status pattern matched without an id")


def is_status_url(url: str) -> bool:
    return _match_status(url) is not None


def post_id_from_url(url: str) -> str | None:
    """The post id of a status URL, or None when ``url`` is not a post."""
    m = _match_status(url)
    return None if m is None else _id_of(m)


def handle_from_url(url: str) -> str | None:
    """The author's handle in a status URL; None for ``/i/...`` and non-posts.

    Profile URLs give None too: only a status URL says whose post it is.
    """
    m = _match_status(url)
    if m is None:
        return None
    return m.group("handle")


def canonical_url(native_id: str, handle: str | None) -> str:
    """``https://x.com/<handle>/status/<id>``; ``i`` stands for an unknown handle."""
    return f"https://x.com/{handle or 'i'}/status/{native_id}"


def is_short_link(url: str) -> bool:
    """A ``t.co`` short link (scheme optional)."""
    return _SHORT_URL.match(url.strip()) is not None


def short_link_code(url: str) -> str | None:
    m = _SHORT_URL.match(url.strip())
    return None if m is None else m.group("code")


def is_pic_link(url: str) -> bool:
    """``pic.twitter.com/CODE`` or ``pic.x.com/CODE``, with or without scheme."""
    return _PIC_URL.match(url.strip()) is not None


def pic_link_code(url: str) -> str | None:
    m = _PIC_URL.match(url.strip())
    return None if m is None else m.group("code")


def normalise_pic_link(url: str) -> str | None:
    """``https://pic.twitter.com/CODE`` (or pic.x.com) for any spelling of a pic link."""
    m = _PIC_URL.match(url.strip())
    if m is None:
        return None
    return f"https://{m.group('host').lower()}/{m.group('code')}"


def strip_trailing_punctuation(url: str) -> str:
    """Drop sentence punctuation glued to a URL found in text, keeping balanced parentheses."""
    while url and url[-1] in _TRAILING_PUNCT:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def unwrap_unsafe_link(url: str) -> str | None:
    """The target of ``https://twitter.com/safety/unsafe_link_warning?unsafe_link=…``.

    None when ``url`` is not such a wrapper (or carries no target).
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host.startswith(("www.", "mobile.")):
        host = host.split(".", 1)[1]
    elif host.startswith("m."):
        host = host[2:]
    if host not in ("twitter.com", "x.com"):
        return None
    if parts.path.rstrip("/").lower() != "/safety/unsafe_link_warning":
        return None
    values = parse_qs(parts.query).get("unsafe_link")
    if not values or not values[0]:
        return None
    target = values[0]
    # Some wrappers arrive encoded twice; a target is a URL, so decode until it looks like one.
    if "://" not in target and "%3a" in target.lower():
        target = unquote(target)
    return target


def snowflake_ms(native_id: str | int) -> int | None:
    """Milliseconds since the Unix epoch encoded in a snowflake id, or None for older ids."""
    try:
        value = int(native_id)
    except (TypeError, ValueError):
        return None
    if value < SNOWFLAKE_MIN_ID:
        return None
    return (value >> 22) + TWITTER_EPOCH_MS


def snowflake_time(native_id: str | int) -> str | None:
    """Creation time of a post from its id, ISO 8601 UTC (``2023-01-09T21:14:07Z``).

    Truncated to the second, the precision of ``created_at``, so both sources
    give the same string for the same post.
    """
    ms = snowflake_ms(native_id)
    if ms is None:
        return None
    try:
        moment = datetime.fromtimestamp(ms // 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

"""Reading post data from the syndication API and oEmbed, and judging a post's status.

The shapes are those of ``cdn.syndication.twimg.com/tweet-result`` and
``publish.twitter.com/oembed`` (field guide §3). Parsers raise ``ValueError``
on an answer that is not a live post, so a wrong guess about a shape fails
loudly instead of archiving an empty post.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..base import MediaItem, PostData, Status
from .patterns import handle_from_url, post_id_from_url, snowflake_time

JsonDict = Mapping[str, Any]
Answer = tuple[int | None, Any]
"""(HTTP status or None when no answer came, decoded JSON body or None)."""

_PBS_MEDIA = re.compile(
    r"^https?://pbs\.twimg\.com/media/(?P<id>[A-Za-z0-9_-]+)"
    r"(?:\.(?P<ext>[A-Za-z0-9]+)(?::[a-z0-9]+)?|\?(?P<query>[^#]*))$"
)
_SIZE_IN_URL = re.compile(r"/(?P<w>[0-9]{1,5})x(?P<h>[0-9]{1,5})/")
_TWITTER_DATE = "%a %b %d %H:%M:%S %z %Y"
_OEMBED_DATE_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y")
_ISO_FRACTION = re.compile(r"(\.[0-9]+)")
_SPACE = re.compile(r"[ \t\r\n\f\u00a0]+")
_LINE_SPACE = re.compile(r"[ \t\f\v\u00a0]+")


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _dict(value: Any) -> JsonDict:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def normalise_time(value: Any) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` (UTC) from an ISO 8601 or a legacy Twitter date."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    moment: datetime | None = None
    try:
        # fromisoformat in 3.11 takes "Z" and fractions of any length.
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(_ISO_FRACTION.sub("", text).replace("Z", "+00:00"))
        except ValueError:
            try:
                moment = datetime.strptime(text, _TWITTER_DATE)
            except ValueError:
                return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------
# Media
# ---------------------------------------------------------------------------


def photo_original_url(url: str) -> str:
    """The full-size URL of a ``pbs.twimg.com/media`` photo; other URLs unchanged."""
    m = _PBS_MEDIA.match(url)
    if m is None:
        return url
    ext = m.group("ext")
    if ext is None:
        query = dict(
            part.split("=", 1) for part in (m.group("query") or "").split("&") if "=" in part
        )
        ext = query.get("format")
        if not ext:
            return url
    return f"https://pbs.twimg.com/media/{m.group('id')}?format={ext.lower()}&name=orig"


def _size_from_url(url: str) -> tuple[int, int] | None:
    m = _SIZE_IN_URL.search(url)
    if m is None:
        return None
    return int(m.group("w")), int(m.group("h"))


def _original_size(media: JsonDict) -> tuple[int | None, int | None]:
    info = _dict(media.get("original_info"))
    return _int(info.get("width")), _int(info.get("height"))


def best_video_variant(variants: Any) -> JsonDict | None:
    """The mp4 with the highest bitrate; the larger ``/WxH/`` breaks ties.

    GIFs come as a single mp4 of bitrate 0. A variant without a bitrate ranks
    below every one that has one.
    """
    best: JsonDict | None = None
    best_key: tuple[int, int] = (-2, -1)
    for variant in _list(variants):
        variant = _dict(variant)
        url = _str(variant.get("url"))
        content_type = (_str(variant.get("content_type")) or "").lower()
        if not url or content_type != "video/mp4":
            continue
        bitrate = _int(variant.get("bitrate"))
        size = _size_from_url(url)
        key = (bitrate if bitrate is not None else -1, size[0] * size[1] if size else -1)
        if key > best_key:
            best, best_key = variant, key
    return best


def _hls_variant(variants: Any) -> JsonDict | None:
    for variant in _list(variants):
        variant = _dict(variant)
        if _str(variant.get("url")) and "mpegurl" in (_str(variant.get("content_type")) or "").lower():
            return variant
    return None


def _media_from_details(details: Any) -> list[MediaItem]:
    items: list[MediaItem] = []
    for media in _list(details):
        media = _dict(media)
        kind = media.get("type")
        source = _str(media.get("media_url_https")) or _str(media.get("media_url"))
        width, height = _original_size(media)
        alt = _str(media.get("ext_alt_text"))
        if kind == "photo":
            if source:
                items.append(
                    MediaItem(kind="photo", url=photo_original_url(source), width=width, height=height, alt_text=alt)
                )
        elif kind in ("video", "animated_gif"):
            variants = _dict(media.get("video_info")).get("variants")
            chosen = best_video_variant(variants)
            if chosen is None:
                # No mp4 at all: the HLS playlist is still a copy of the video.
                chosen = _hls_variant(variants)
            if chosen is not None:
                url = str(chosen["url"])
                size = _size_from_url(url)
                items.append(
                    MediaItem(
                        kind="video",
                        url=url,
                        width=size[0] if size else width,
                        height=size[1] if size else height,
                        content_type=_str(chosen.get("content_type")),
                        bitrate=_int(chosen.get("bitrate")),
                        alt_text=alt,
                    )
                )
            if source:
                items.append(MediaItem(kind="poster", url=source, width=width, height=height))
    return items


def _media_from_fallbacks(data: JsonDict) -> list[MediaItem]:
    """Media from the ``photos``/``video`` summaries, for answers without ``mediaDetails``."""
    items: list[MediaItem] = []
    for photo in _list(data.get("photos")):
        photo = _dict(photo)
        url = _str(photo.get("url"))
        if url:
            items.append(
                MediaItem(kind="photo", url=photo_original_url(url), width=_int(photo.get("width")), height=_int(photo.get("height")))
            )
    video = _dict(data.get("video"))
    if video:
        # This summary names its fields differently: {type, src} per variant.
        variants = [
            {"url": v.get("src"), "content_type": v.get("type"), "bitrate": v.get("bitrate")}
            for v in _list(video.get("variants"))
            if isinstance(v, Mapping)
        ]
        chosen = best_video_variant(variants) or _hls_variant(variants)
        if chosen is not None:
            url = str(chosen["url"])
            size = _size_from_url(url)
            items.append(
                MediaItem(
                    kind="video",
                    url=url,
                    width=size[0] if size else None,
                    height=size[1] if size else None,
                    content_type=_str(chosen.get("content_type")),
                    bitrate=_int(chosen.get("bitrate")),
                )
            )
        poster = _str(video.get("poster"))
        if poster:
            items.append(MediaItem(kind="poster", url=poster))
    return items


# ---------------------------------------------------------------------------
# Syndication
# ---------------------------------------------------------------------------


def _long_text(data: JsonDict) -> str | None:
    """Full text of a long post. Shapes seen: GraphQL's nested one, and a flat ``text``.

    *Unverified* for the syndication API, which may only carry ``note_tweet.id``;
    then the (possibly truncated) ``text`` is all there is.
    """
    note = _dict(data.get("note_tweet"))
    nested = _dict(_dict(_dict(note.get("note_tweet_results")).get("result")))
    return _str(nested.get("text")) or _str(note.get("text"))


def is_live_syndication(data: Any) -> bool:
    if not isinstance(data, Mapping):
        return False
    typename = data.get("__typename")
    if typename == "Tweet":
        return True
    return typename is None and _str(data.get("id_str")) is not None


_MAX_QUOTE_DEPTH = 3


def parse_syndication(data: JsonDict, requested_id: str) -> PostData:
    """A live post from a syndication ``tweet-result`` answer.

    Raises ValueError for anything else (tombstone, ``{}``, not a dict).
    """
    return _parse_syndication(data, requested_id, 0)


def _parse_syndication(data: JsonDict, requested_id: str, depth: int) -> PostData:
    if not is_live_syndication(data):
        kind = data.get("__typename") if isinstance(data, Mapping) else type(data).__name__
        raise ValueError(f"syndication answer for {requested_id} is not a live post ({kind!r})")
    native_id = _str(data.get("id_str")) or requested_id
    user = _dict(data.get("user"))
    media = _media_from_details(data.get("mediaDetails"))
    if not media and not data.get("mediaDetails"):
        media = _media_from_fallbacks(data)

    quoted: PostData | None = None
    quoted_id: str | None = None
    quoted_data = data.get("quoted_tweet")
    if isinstance(quoted_data, Mapping):
        quoted_id = _str(quoted_data.get("id_str"))
        # The API nests one level; the bound only guards against a malicious body.
        if is_live_syndication(quoted_data) and quoted_id and depth < _MAX_QUOTE_DEPTH:
            quoted = _parse_syndication(quoted_data, quoted_id, depth + 1)
    if quoted_id is None:
        quoted_id = _str(data.get("quoted_status_id_str"))

    return PostData(
        native_id=native_id,
        author_handle=_str(user.get("screen_name")),
        author_name=_str(user.get("name")),
        text=_long_text(data) or _str(data.get("text")),
        created_at=normalise_time(data.get("created_at")) or snowflake_time(native_id),
        lang=_str(data.get("lang")),
        media=media,
        quoted_id=quoted_id,
        quoted=quoted,
        requested_id=requested_id if requested_id and requested_id != native_id else None,
    )


# ---------------------------------------------------------------------------
# oEmbed
# ---------------------------------------------------------------------------


def _plain_text(node: LexborNode) -> str:
    """Text of an element with ``<br>`` kept as line breaks."""
    pieces: list[str] = []
    stack: list[LexborNode] = list(reversed(list(node.iter(include_text=True))))
    while stack:
        current = stack.pop()
        if current.tag == "-text":
            pieces.append(_SPACE.sub(" ", current.text_content or ""))
        elif current.tag == "br":
            pieces.append("\n")
        elif current.is_element_node and current.tag not in ("script", "style"):
            stack.extend(reversed(list(current.iter(include_text=True))))
    lines = [_LINE_SPACE.sub(" ", line).strip() for line in "".join(pieces).split("\n")]
    return "\n".join(lines).strip()


def _oembed_date(text: str) -> str | None:
    text = _SPACE.sub(" ", text).strip()
    for fmt in _OEMBED_DATE_FORMATS:
        try:
            day = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return day.replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _handle_from_profile(url: str | None) -> str | None:
    if not url:
        return None
    try:
        path = urlsplit(url).path.strip("/")
    except ValueError:
        return None
    return path if path and "/" not in path else None


def parse_oembed(data: JsonDict, requested_id: str) -> PostData:
    """A post from a ``publish.twitter.com/oembed`` answer.

    ``created_at`` is the snowflake time when the id has one (the date link
    only gives the day); for older ids it is the date link's day at 00:00Z.
    Raises ValueError when the answer holds no post.
    """
    if not isinstance(data, Mapping) or not (data.get("html") or data.get("url")):
        raise ValueError(f"oEmbed answer for {requested_id} holds no post")
    html = _str(data.get("html")) or ""
    url = _str(data.get("url"))

    text: str | None = None
    lang: str | None = None
    date_text: str | None = None
    last_status: str | None = None
    if html:
        tree = LexborHTMLParser(html)
        blockquote = tree.css_first("blockquote")
        scope = blockquote if blockquote is not None else tree.body
        if scope is not None:
            paragraph = scope.css_first("p")
            if paragraph is not None:
                text = _plain_text(paragraph) or None
                lang = _str(paragraph.attributes.get("lang"))
            for anchor in scope.css("a[href]"):
                href = anchor.attributes.get("href") or ""
                if post_id_from_url(href) is not None:
                    last_status = href
                    date_text = anchor.text(deep=True)

    native_id = (
        (post_id_from_url(url) if url else None)
        or (post_id_from_url(last_status) if last_status else None)
        or requested_id
    )
    handle = _handle_from_profile(_str(data.get("author_url")))
    if handle is None:
        handle = (handle_from_url(url) if url else None) or (handle_from_url(last_status) if last_status else None)

    created_at = snowflake_time(native_id) or (_oembed_date(date_text) if date_text else None)
    return PostData(
        native_id=native_id,
        author_handle=handle,
        author_name=_str(data.get("author_name")),
        text=text,
        created_at=created_at,
        lang=lang,
        requested_id=requested_id if requested_id and requested_id != native_id else None,
    )


# ---------------------------------------------------------------------------
# Status
# ---------------------------------------------------------------------------


def _syndication_live(answer: Answer) -> bool:
    status, body = answer
    return status == 200 and is_live_syndication(body)


def _syndication_gone(answer: Answer, token_sent: bool) -> bool:
    status, body = answer
    if status == 404:
        return True
    # Without a token the API answers {} for live posts too: not a verdict.
    return status == 200 and token_sent and isinstance(body, Mapping) and len(body) == 0


def _syndication_tombstone(answer: Answer) -> bool:
    status, body = answer
    return status == 200 and isinstance(body, Mapping) and body.get("__typename") == "TweetTombstone"


def needs_oembed(syndication: Answer) -> bool:
    """Whether to ask oEmbed too: a live post or a tombstone settles a post alone."""
    return not (_syndication_live(syndication) or _syndication_tombstone(syndication))


def classify(
    syndication: Answer,
    oembed: Answer | None,
    *,
    token_sent: bool = True,
) -> Status:
    """The status of a post from its syndication answer and, when asked, its oEmbed answer.

    - ``live``: syndication 200 with a post (``__typename`` "Tweet", or an ``id_str``);
    - ``unavailable``: a syndication tombstone, or oEmbed 403;
    - ``deleted``: syndication says gone (404, or ``{}`` to a request with a
      token) *and* oEmbed says 404 — two sources agreeing;
    - ``live`` also when syndication gave no answer (429, 5xx, none) and oEmbed
      returns the post: oEmbed is the fallback source, and it found the post;
    - ``unknown``: everything else — 429, 5xx, no answer, bodies of the wrong
      shape, a disagreement, or oEmbed not asked.
    """
    if _syndication_live(syndication):
        return "live"
    if _syndication_tombstone(syndication):
        return "unavailable"
    oembed_status = oembed[0] if oembed is not None else None
    if oembed_status == 403:
        return "unavailable"
    if _syndication_gone(syndication, token_sent) and oembed_status == 404:
        return "deleted"
    if oembed_status == 200 and _syndication_silent(syndication):
        return "live"
    return "unknown"


def _syndication_silent(answer: Answer) -> bool:
    """No verdict at all: no answer, rate limited, or a server error."""
    status = answer[0]
    return status is None or status == 429 or status >= 500

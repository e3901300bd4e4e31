"""Twitter/X: finding embedded posts, recognising their links, reading their data, its card.

Registered as the entry point ``twitter`` of ``archiver.platforms`` (pyproject.toml).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit

from ..base import CardSpec, FoundEmbed, Platform, PostFetch
from .api import ENDPOINTS
from .find import find_in_html, find_in_text
from .parse import (
    best_video_variant,
    classify,
    is_live_syndication,
    needs_oembed,
    normalise_time,
    parse_oembed,
    parse_syndication,
    photo_original_url,
)
from .patterns import (
    PIC_LINK_IN_TEXT,
    SHORT_LINK_IN_TEXT,
    STATUS_URL_IN_TEXT,
    canonical_url,
    handle_from_url,
    is_pic_link,
    is_short_link,
    is_status_url,
    normalise_pic_link,
    pic_link_code,
    post_id_from_url,
    short_link_code,
    snowflake_ms,
    snowflake_time,
    unwrap_unsafe_link,
)
from .token import double_to_radix_string, syndication_token

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response


class TwitterPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Twitter/X."""

    name: str = "twitter"
    hosts: tuple[str, ...] = ("x.com", "twitter.com", "twimg.com", "t.co")
    """Its own hosts: a user's cookies for Twitter go to these only (``archive --cookies``)."""
    endpoints: Mapping[str, str] = ENDPOINTS
    card: CardSpec = CardSpec(
        selector="article",
        pending=(
            "blockquote.twitter-tweet:not(.twitter-tweet-error), "
            "blockquote.twitter-video:not(.twitter-tweet-error)"
        ),
    )

    # recognising its URLs
    def post_id_from_url(self, url: str) -> str | None:
        return post_id_from_url(url)

    def handle_from_url(self, url: str) -> str | None:
        handle = handle_from_url(url)
        return handle if handle != "i" else None  # "i": canonical_url's placeholder for no handle

    def resolvable_link(self, url: str) -> str | None:
        url = url.strip()
        if not (is_short_link(url) or is_pic_link(url)):
            return None
        # Posts print these links without a scheme: pic.twitter.com/CODE.
        return url if "://" in url else "https://" + url.lstrip("/")

    def next_hop(self, response: Response) -> str | None:
        # t.co answers browsers with a 200 page that redirects by markup, and wraps some
        # targets in an unsafe-link warning page: both lead on.
        target = unwrap_unsafe_link(response.url)
        if target is None and is_short_link(response.url) and response.body and "html" in response.content_type:
            from ...plumbing.net import html_redirect_target

            target = html_redirect_target(response.body)
        return target

    # finding its embeds
    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]:
        return find_in_html(html, base_url)

    def find_in_text(self, text: str) -> list[FoundEmbed]:
        return find_in_text(text)

    # fetching a post
    async def fetch_post(self, fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
        from .api import fetch_post

        return await fetch_post(fetcher, native_id, endpoints)

    def canonical_url(self, native_id: str, handle: str | None) -> str:
        return canonical_url(native_id, handle)

    def created_at_from_id(self, native_id: str) -> str | None:
        return snowflake_time(native_id)

    # its card
    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        query = urlencode({"id": native_id, "dnt": "true", "lang": "en", "theme": "light"})
        return f"{endpoints['embed']}?{query}"

    def card_in_frame(self, url: str) -> str | None:
        if "/embed/Tweet.html" not in url:
            return None
        native_id = parse_qs(urlsplit(url).query).get("id", [""])[0]
        return native_id if native_id.isdigit() else None

    # in words
    sources: Mapping[str, str] = {
        "syndication": "the platform's data service",
        "oembed": "the platform's embed service",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        unavailable = [s for s in signals.values() if s.get("says") == "unavailable"]
        # Field guide §3: a TweetTombstone (syndication 200) stands for a protected account,
        # an age restriction or a withheld post; suspended accounts look like protected ones.
        if any(s.get("status") == 200 for s in unavailable):
            return "protected, suspended, age-restricted or withheld — the platform does not say which"
        if any(s.get("status") == 403 for s in unavailable):
            return "the account is protected or suspended — the platform does not say which"
        return None

    # evidence
    def names_post(self, url: str, native_id: str) -> bool:
        if post_id_from_url(url) == native_id:
            return True
        try:
            query = parse_qs(urlsplit(url).query)
        except ValueError:
            return False
        # syndication and the embed page ask by ?id=, oEmbed by ?url=<status URL>
        return native_id in query.get("id", []) or any(post_id_from_url(u) == native_id for u in query.get("url", []))

    def __repr__(self) -> str:
        return "TwitterPlatform()"


PLATFORM: Platform = TwitterPlatform()

__all__ = [
    "PIC_LINK_IN_TEXT",
    "PLATFORM",
    "SHORT_LINK_IN_TEXT",
    "STATUS_URL_IN_TEXT",
    "TwitterPlatform",
    "best_video_variant",
    "canonical_url",
    "classify",
    "double_to_radix_string",
    "find_in_html",
    "find_in_text",
    "handle_from_url",
    "is_live_syndication",
    "is_pic_link",
    "is_short_link",
    "is_status_url",
    "needs_oembed",
    "normalise_pic_link",
    "normalise_time",
    "parse_oembed",
    "parse_syndication",
    "photo_original_url",
    "pic_link_code",
    "post_id_from_url",
    "short_link_code",
    "snowflake_ms",
    "snowflake_time",
    "syndication_token",
    "unwrap_unsafe_link",
]

"""Twitter/X: finding embedded posts, recognising their links, reading their data."""

from __future__ import annotations

from ..base import FoundEmbed
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


class TwitterPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Twitter/X."""

    name: str = "twitter"

    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]:
        return find_in_html(html, base_url)

    def find_in_text(self, text: str) -> list[FoundEmbed]:
        return find_in_text(text)

    def post_id_from_url(self, url: str) -> str | None:
        return post_id_from_url(url)

    def canonical_url(self, native_id: str, handle: str | None) -> str:
        return canonical_url(native_id, handle)

    def __repr__(self) -> str:
        return "TwitterPlatform()"


PLATFORM = TwitterPlatform()

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

"""TikTok: finding embedded videos, their verdict from the video page's JSON and oEmbed,
their card (the embed page), their media (yt-dlp, through archiver's client).

Registered as the entry point ``tiktok`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §5.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..base import CardSpec, FoundEmbed, Platform, PostFetch, names_post_by, reason_for
from .api import ENDPOINTS, page_says, parse_item, video_detail
from .patterns import NAME, canonical_url, embed_id, find_in_html, find_in_text, handle_from_url, short_link, video_id

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  if (location.pathname.startsWith('/login')) return 'a login page';
  if (document.querySelector('#captcha_container, .captcha_verify_container, #tiktok-verify-ele')) return 'a captcha';
  return '';
}"""


_UNAVAILABLE = {
    "private-post": "the video is private",
    "private-account": "the account is private",
    "audience-gated": "the video is shown only to a restricted audience",
    "not-served": "TikTok serves it to no one: removal and hiding look the same",
}


class TikTokPlatform:
    """The :class:`~archiver.platforms.base.Platform` for TikTok."""

    name: str = NAME
    hosts: tuple[str, ...] = ("tiktok.com", "tiktokv.com", "tiktokcdn.com", "tiktokcdn-us.com")
    """Its own hosts: a user's cookies for TikTok go to these only."""
    endpoints: Mapping[str, str] = ENDPOINTS
    card: CardSpec = CardSpec(selector="body", wall=WALL, pending="blockquote.tiktok-embed")
    sources: Mapping[str, str] = {
        "page": "the video's page",
        "oembed": "TikTok's embed service",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a video is unavailable, as far as TikTok's answers tell (field guide §5.3)."""
        return reason_for(signals, _UNAVAILABLE)

    def post_id_from_url(self, url: str) -> str | None:
        return video_id(url)

    def handle_from_url(self, url: str) -> str | None:
        return handle_from_url(url)

    def resolvable_link(self, url: str) -> str | None:
        return short_link(url)

    def next_hop(self, response: Response) -> str | None:
        return None

    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]:
        return find_in_html(html, base_url)

    def find_in_text(self, text: str) -> list[FoundEmbed]:
        return find_in_text(text)

    async def fetch_post(self, fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
        from .api import fetch_post

        return await fetch_post(fetcher, native_id, endpoints)

    def canonical_url(self, native_id: str, handle: str | None) -> str:
        return canonical_url(native_id, handle)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None

    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return f"{endpoints['embed']}/{native_id}"

    def card_in_frame(self, url: str) -> str | None:
        return embed_id(url)

    def names_post(self, url: str, native_id: str) -> bool:
        return names_post_by(url, native_id, video_id)

    def __repr__(self) -> str:
        return "TikTokPlatform()"


PLATFORM: Platform = TikTokPlatform()

__all__ = ["PLATFORM", "TikTokPlatform", "canonical_url", "page_says", "parse_item", "short_link", "video_detail", "video_id"]

"""YouTube: finding embedded videos, their verdict from the watch page and oEmbed, their
card (the embed page), their media (yt-dlp, through archiver's client).

Registered as the entry point ``youtube`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §3.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from ..base import CardSpec, FoundEmbed, Platform, PostFetch, reason_for
from .api import ENDPOINTS, oembed_says, parse_player, playability_says, player_response
from .patterns import NAME, canonical_url, embed_id, find_in_html, find_in_text, handle_from_url, video_id

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  const host = location.hostname;
  if (host.startsWith('consent.') || document.querySelector('form[action*="consent."]')) return 'a cookie consent page';
  if (host.startsWith('accounts.') || /ServiceLogin|signin/i.test(location.pathname)) return 'a login page';
  if (/\\/sorry\\//.test(location.pathname) || document.querySelector('#captcha-form')) return 'a bot check';
  return '';
}"""


_UNAVAILABLE = {
    "account-terminated": "the channel's account was terminated",
    "private": "the video is private",
    "age-restricted": "the video is age-restricted: it is shown only to signed-in adults",
    "region-blocked": "the video is blocked in the region it was asked from",
    "unavailable": "the platform says only that the video is unavailable",
}


class YouTubePlatform:
    """The :class:`~archiver.platforms.base.Platform` for YouTube."""

    name: str = NAME
    hosts: tuple[str, ...] = (
        "youtube.com", "youtu.be", "youtube-nocookie.com", "youtubekids.com", "googlevideo.com", "ytimg.com", "ggpht.com",
    )
    """Its own hosts: a user's cookies for YouTube go to these only (not google.com)."""
    endpoints: Mapping[str, str] = ENDPOINTS
    card: CardSpec = CardSpec(selector="#player", wall=WALL)
    sources: Mapping[str, str] = {
        "watch_page": "the video's watch page",
        "oembed": "YouTube's embed service",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a video is unavailable, in the words its watch page used (field guide §3.3)."""
        return reason_for(signals, _UNAVAILABLE)

    def post_id_from_url(self, url: str) -> str | None:
        return video_id(url)

    def handle_from_url(self, url: str) -> str | None:
        return handle_from_url(url)

    def resolvable_link(self, url: str) -> str | None:
        return None  # every YouTube link names its video (youtu.be/<id> too)

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
        return canonical_url(native_id)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None

    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return f"{endpoints['embed']}/{native_id}"

    def card_in_frame(self, url: str) -> str | None:
        return embed_id(url)

    def names_post(self, url: str, native_id: str) -> bool:
        if video_id(url) == native_id or f"/vi/{native_id}/" in url:
            return True
        try:
            query = parse_qs(urlsplit(url).query)
        except ValueError:
            return False
        return native_id in query.get("v", []) + query.get("id", []) or any(
            video_id(u) == native_id for u in query.get("url", [])
        )

    def __repr__(self) -> str:
        return "YouTubePlatform()"


PLATFORM: Platform = YouTubePlatform()

__all__ = [
    "PLATFORM",
    "YouTubePlatform",
    "canonical_url",
    "embed_id",
    "find_in_html",
    "find_in_text",
    "oembed_says",
    "parse_player",
    "playability_says",
    "player_response",
    "video_id",
]

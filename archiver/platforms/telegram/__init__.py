"""Telegram: finding embedded channel posts, their verdict from the embed page (and the
channel's web preview when the page says "Post not found"), their card (the embed page),
their media (photos from the embed page, videos through yt-dlp's Telegram extractor).

Registered as the entry point ``telegram`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §8. A post's id is ``"<channel>/<id>"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..base import CardSpec, FoundEmbed, Platform, PostFetch, reason_for
from . import ids
from .api import ENDPOINTS
from .find import find_in_html, find_in_text

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  const error = document.querySelector('.tgme_widget_message_error');
  if (error) return 'an error message ("' + error.textContent.trim().slice(0, 80) + '")';
  if (/^\\/(login|auth)/.test(location.pathname)) return 'a login page';
  return '';
}"""

_UNAVAILABLE = {
    "channel-private": "the channel is private",
    "no-channel": "the channel no longer exists under this name (deleted, renamed or made private): Telegram does not say which",
}


class TelegramPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Telegram."""

    name: str = ids.NAME
    endpoints: Mapping[str, str] = ENDPOINTS
    hosts: tuple[str, ...] = ids.HOSTS
    # The widget puts its iframe right before its script, which stays: a script with no
    # iframe before it is an embed still waiting for its card.
    card: CardSpec = CardSpec(
        selector=".tgme_widget_message",
        wall=WALL,
        pending="script[data-telegram-post]:not(iframe + script)",
    )
    sources: Mapping[str, str] = {
        "embed_page": "the post's Telegram embed page",
        "channel": "the channel's public web preview",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a post is unavailable, as far as Telegram's pages tell (field guide §8.3)."""
        return reason_for(signals, _UNAVAILABLE)

    # recognising its URLs
    def post_id_from_url(self, url: str) -> str | None:
        return ids.post_id(url)

    def handle_from_url(self, url: str) -> str | None:
        channel = ids.channel_of(url)
        return channel.lower() if channel else None

    def resolvable_link(self, url: str) -> str | None:
        return None  # every Telegram link names its post

    def next_hop(self, response: Response) -> str | None:
        return None

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
        return ids.canonical_url(native_id)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None  # message ids count up within a channel: they tell no time

    # its card
    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return ids.embed_url(endpoints["web"], native_id)

    def card_in_frame(self, url: str) -> str | None:
        return ids.post_id(url) if ids.is_embed_page(url) else None

    # evidence
    def names_post(self, url: str, native_id: str) -> bool:
        if ids.post_id(url) == native_id:
            return True
        channel = ids.split(native_id)[0]
        return url.split("?", 1)[0].rstrip("/").lower().endswith(f"/s/{channel}")

    def __repr__(self) -> str:
        return "TelegramPlatform()"


PLATFORM: Platform = TelegramPlatform()

__all__ = ["PLATFORM", "TelegramPlatform", "find_in_html", "find_in_text", "ids"]

"""Instagram: finding embedded posts, their verdict from Meta's oEmbed and the embed page,
their card (the embed page), their media (photos directly, videos through yt-dlp).

Registered as the entry point ``instagram`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §4. A post's native id is its shortcode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...plumbing.hostlimits import Budget
from ..base import CardSpec, FoundEmbed, Platform, PostFetch, names_post_by, reason_for
from .api import BUDGETS, ENDPOINTS, embed_says, embed_url, from_markup, from_media, shortcode_media
from .patterns import HOSTS, NAME, canonical_url, embed_code, find_in_html, find_in_text, handle_from_url, share_link, shortcode

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  const path = location.pathname;
  if (path.startsWith('/accounts/login') || document.querySelector('#loginForm, form[action*="/accounts/login"]')) return 'a login page';
  if (path.startsWith('/challenge')) return 'a bot check';
  if (path.startsWith('/consent') || /Allow (all )?(the use of )?cookies/i.test(document.body ? document.body.innerText.slice(0, 2000) : '')) return 'a cookie consent page';
  return '';
}"""

_UNAVAILABLE = {
    "empty": "Instagram serves it to no one anonymously: a private, deleted or not embeddable post look the same",
}


class InstagramPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Instagram."""

    name: str = NAME
    endpoints: Mapping[str, str] = ENDPOINTS
    budgets: Mapping[str, Budget] = BUDGETS
    hosts: tuple[str, ...] = HOSTS
    """Domain suffixes of Instagram's own hosts."""
    card: CardSpec = CardSpec(selector="body", wall=WALL, pending="blockquote.instagram-media")
    sources: Mapping[str, str] = {
        "oembed": "Meta's embed service (oEmbed)",
        "embed_page": "the post's embed page",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a post is unavailable, as far as Instagram's answers tell (field guide §4.4)."""
        return reason_for(signals, _UNAVAILABLE)

    def post_id_from_url(self, url: str) -> str | None:
        return shortcode(url)

    def handle_from_url(self, url: str) -> str | None:
        return handle_from_url(url)

    def resolvable_link(self, url: str) -> str | None:
        return share_link(url)

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
        return embed_url(native_id, endpoints)

    def card_in_frame(self, url: str) -> str | None:
        return embed_code(url)

    def names_post(self, url: str, native_id: str) -> bool:
        return names_post_by(url, native_id, shortcode)

    def __repr__(self) -> str:
        return "InstagramPlatform()"


PLATFORM: Platform = InstagramPlatform()

__all__ = [
    "HOSTS", "PLATFORM", "InstagramPlatform", "canonical_url", "embed_says", "from_markup", "from_media",
    "shortcode", "shortcode_media",
]

"""Threads: finding embedded posts, their verdict from the embed page and Meta's oEmbed,
their card (the embed page), their media (the photos and videos the embed page shows,
copied by archiver's own client: yt-dlp has no Threads extractor).

Registered as the entry point ``threads`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §7. A post's id is its code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...plumbing.hostlimits import Budget
from ..base import CardSpec, FoundEmbed, Platform, PostFetch, names_post_by, reason_for
from . import ids
from .api import ENDPOINTS, embed_url
from .find import find_in_html, find_in_text

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  if (/^\\/(login|accounts\\/login)/.test(location.pathname)) return 'a login page';
  if (document.querySelector('input[type=password]')) return 'a login form';
  const dialog = document.querySelector('[role=dialog]');
  if (dialog && /cookie/i.test(dialog.textContent || '')) return 'a cookie consent dialog';
  return '';
}"""

_UNAVAILABLE = {
    "not-available": "Threads says the post is not available",
    "not-served": "Threads' embed service does not serve it: deleted, private, inactive, age-restricted or "
    "geo-gated, which it does not tell apart",
}


class ThreadsPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Threads."""

    name: str = ids.NAME
    endpoints: Mapping[str, str] = ENDPOINTS
    hosts: tuple[str, ...] = ids.HOSTS
    card: CardSpec = CardSpec(selector="body", wall=WALL, pending="blockquote.text-post-media")
    sources: Mapping[str, str] = {
        "embed_page": "the post's Threads embed page",
        "oembed": "Meta's Threads embed service (oEmbed)",
    }
    budgets: Mapping[str, Budget] = {"oembed": Budget(1000, 3600.0)}
    """Meta's tokenless oEmbed allows 1,000 requests an hour per endpoint (field guide §0.3,
    §7.3): counted across runs, as for Instagram's and Facebook's."""

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a post is unavailable, as far as Threads' answers tell (field guide §7.3)."""
        return reason_for(signals, _UNAVAILABLE)

    # recognising its URLs
    def post_id_from_url(self, url: str) -> str | None:
        return ids.post_id(url)

    def handle_from_url(self, url: str) -> str | None:
        return ids.user_of(url)

    def resolvable_link(self, url: str) -> str | None:
        return None  # every Threads link names its post

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
        return ids.canonical_url(native_id, handle)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None

    # its card
    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return embed_url(endpoints, native_id)

    def card_in_frame(self, url: str) -> str | None:
        return ids.post_id(url) if ids.is_embed_page(url) else None

    # evidence
    def names_post(self, url: str, native_id: str) -> bool:
        return names_post_by(url, native_id, ids.post_id)

    def __repr__(self) -> str:
        return "ThreadsPlatform()"


PLATFORM: Platform = ThreadsPlatform()

__all__ = ["PLATFORM", "ThreadsPlatform", "find_in_html", "find_in_text", "ids"]

"""Facebook: finding embedded posts and videos, their verdict from Meta's oEmbed and the
plugin page, their card (the plugin page), their media (photos directly, videos through yt-dlp).

Registered as the entry point ``facebook`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §6. Native ids: see :mod:`.patterns`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ...plumbing.hostlimits import Budget
from ..base import CardSpec, FoundEmbed, Platform, PostFetch, names_post_by, reason_for
from .api import BUDGETS, ENDPOINTS, from_plugin, plugin_says, plugin_url
from .patterns import (
    HOSTS, NAME, canonical_url, find_in_html, find_in_text, handle_from_url, kind, number, plugin_id, post_id, short_link,
)

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  const path = location.pathname;
  if (path.startsWith('/login') || document.querySelector('#login_form, #loginbutton, form[action*="/login"]')) return 'a login page';
  if (path.startsWith('/checkpoint')) return 'a bot check';
  const text = document.body ? document.body.innerText.slice(0, 3000) : '';
  if (document.querySelector('[data-cookiebanner]') || /Allow (all )?(the use of )?cookies/i.test(text)) return 'a cookie consent page';
  if (/This Facebook post is no longer available|content isn.t available/i.test(text)) return 'a "no longer available" notice (Facebook shows it to logged-out readers)';
  return '';
}"""

_UNAVAILABLE = {
    "no-longer-available": "Facebook serves it to no one anonymously: a deleted post and one whose audience was narrowed look the same",
}


class FacebookPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Facebook."""

    name: str = NAME
    endpoints: Mapping[str, str] = ENDPOINTS
    budgets: Mapping[str, Budget] = BUDGETS
    hosts: tuple[str, ...] = HOSTS
    """Domain suffixes of Facebook's own hosts."""
    card: CardSpec = CardSpec(
        selector="body", wall=WALL, pending=".fb-post:not(.fb_iframe_widget), .fb-video:not(.fb_iframe_widget)"
    )
    sources: Mapping[str, str] = {
        "oembed": "Meta's embed service (oEmbed)",
        "plugin_page": "the post's embed (plugin) page",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a post is unavailable, as far as Facebook's answers tell (field guide §6.3)."""
        return reason_for(signals, _UNAVAILABLE)

    def post_id_from_url(self, url: str) -> str | None:
        return post_id(url)

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
        return canonical_url(native_id)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None

    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return plugin_url(native_id, endpoints)

    def card_in_frame(self, url: str) -> str | None:
        return plugin_id(url)

    def url_marker(self, native_id: str) -> str:
        return number(native_id)

    def names_post(self, url: str, native_id: str) -> bool:
        return names_post_by(url, native_id, post_id, ("url", "href"))

    def __repr__(self) -> str:
        return "FacebookPlatform()"


PLATFORM: Platform = FacebookPlatform()

__all__ = [
    "HOSTS", "PLATFORM", "FacebookPlatform", "canonical_url", "from_plugin", "kind", "plugin_says", "post_id",
]

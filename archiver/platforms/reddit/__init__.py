"""Reddit: finding embedded posts and comments, their verdict from Reddit's JSON, their card
(the embed page on ``embed.reddit.com``), their media (images as served from i.redd.it,
galleries, and Reddit-hosted video through yt-dlp, whose own Reddit extractor runs).

A comment is a post of its own, named ``<post id>/<comment id>`` (see :mod:`.patterns`).

Registered as the entry point ``reddit`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §9.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..base import CardSpec, FoundEmbed, Platform, PostFetch, reason_for
from .api import ENDPOINTS, embed_path, json_says, original_image, parse_thing, post_media, thing_says
from .patterns import (
    HOSTS,
    NAME,
    canonical_url,
    embed_id,
    find_in_html,
    find_in_text,
    handle_from_url,
    names_post,
    post_id,
    share_link,
    split_id,
)

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response

WALL = """() => {
  if (location.pathname.startsWith('/login') || location.pathname.startsWith('/account/login')) return 'a login page';
  const text = (document.body ? document.body.innerText : '').slice(0, 3000).toLowerCase();
  const short = text.length < 3000;
  if (short && text.includes('blocked by network security')) return "Reddit's network-security block page";
  if (short && /\\b(log in|sign up) to (continue|view)/.test(text)) return 'a login page';
  if (short && document.querySelector('h1') && /page not found/i.test(document.querySelector('h1').innerText))
    return 'a "Page not found" page';
  return '';
}"""
"""Interstitials the embed page may show instead of the post (short pages only: a post's
own text may quote these words)."""

_UNAVAILABLE = {
    "subreddit-private": "the subreddit is private",
    "subreddit-quarantined": "the subreddit is quarantined: only accounts that opted in see it",
    "subreddit-gated": "the subreddit is gated: only accounts that opted in see it",
    "subreddit-banned": "the subreddit is banned",
    "not-found": "Reddit answers 404: a banned subreddit, or a post removed without trace",
    "held-for-review": "the post is held for the moderators' review (filtered by AutoModerator)",
    "removed-other": "Reddit marks it removed, in a category archiver does not know",
    "comment-not-listed": "Reddit lists no such comment under the post",
}


class RedditPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Reddit."""

    name: str = NAME
    endpoints: Mapping[str, str] = ENDPOINTS
    hosts: tuple[str, ...] = HOSTS
    """Domain suffixes of Reddit's own hosts."""
    card: CardSpec = CardSpec(
        selector="body", wall=WALL, pending="blockquote.reddit-embed-bq, blockquote.reddit-card, div.reddit-embed"
    )
    sources: Mapping[str, str] = {"json": "the post's JSON on reddit.com"}
    confirm_loss_after: float = 3600.0
    """Reddit's answers are cached, and moderators may reinstate what they removed."""

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        """Why a post is unavailable, as far as Reddit's JSON tells (field guide §9.3)."""
        return reason_for(signals, _UNAVAILABLE)

    def post_id_from_url(self, url: str) -> str | None:
        return post_id(url)

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
        """The embed page, at the permalink Reddit gave when the post was fetched: the embed
        host needs the subreddit in the path. None before any fetch in this process."""
        path = embed_path(native_id)
        return f"{endpoints['embed']}{path}?embed=true" if path else None

    def card_in_frame(self, url: str) -> str | None:
        return embed_id(url)

    def names_post(self, url: str, native_id: str) -> bool:
        return names_post(url, native_id)

    def url_marker(self, native_id: str) -> str:
        """A comment's URLs hold its own id, with the post's slug between the two ids."""
        post, comment = split_id(native_id)
        return comment or post

    def __repr__(self) -> str:
        return "RedditPlatform()"


PLATFORM: Platform = RedditPlatform()

__all__ = [
    "PLATFORM",
    "RedditPlatform",
    "canonical_url",
    "embed_id",
    "json_says",
    "original_image",
    "parse_thing",
    "post_id",
    "post_media",
    "share_link",
    "thing_says",
]

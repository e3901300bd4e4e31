"""Mastodon: finding embedded posts on any instance, naming them by their origin, reading
their status from the origin's public API, their card from its embed page. Posts of
other ActivityPub servers are read the same way where they speak Mastodon's API (Pleroma,
Akkoma), and through their own where not (Misskey: :mod:`.misskey`).

Registered as the entry point ``mastodon`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..base import ANY_HOST, CardSpec, FoundEmbed, Platform, PostFetch
from . import ids
from .api import ENDPOINTS, card_url, names_post
from .find import find_in_html, find_in_text

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response


class MastodonPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Mastodon."""

    name: str = "mastodon"
    hosts: tuple[str, ...] = (ANY_HOST,)
    """Posts live on any host: a user's cookies for Mastodon are for one instance, the host
    their file names, and go to that host only (``archiver.plumbing.cookies``)."""
    endpoints: Mapping[str, str] = ENDPOINTS
    card: CardSpec = CardSpec(
        # 4.3+: React renders the status into #mastodon-status; older: .activity-stream.
        selector="#mastodon-status .detailed-status, .activity-stream .entry, #mastodon-status",
        ready="() => !!document.querySelector('.detailed-status, .activity-stream .entry')",
        pending="blockquote.mastodon-embed:not(:has(iframe))",
    )
    confirm_loss_after: float = 3600.0
    """Embed pages are cached (field guide §0.1): a loss is confirmed an hour later."""

    # recognising its URLs
    def post_id_from_url(self, url: str) -> str | None:
        return None  # any host may serve /@user/123: a link is a post once its host confirms it

    def handle_from_url(self, url: str) -> str | None:
        link = ids.parse(url)
        if link is None or link.user is None:
            return None
        return f"{link.user}@{link.domain or link.host}"

    def resolvable_link(self, url: str) -> str | None:
        url = url.strip()
        return url if ids.parse(url) is not None else None

    def next_hop(self, response: Response) -> str | None:
        return None

    # finding its embeds
    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]:
        return find_in_html(html, base_url)

    def find_in_text(self, text: str) -> list[FoundEmbed]:
        return find_in_text(text)

    async def identify(self, fetcher: Fetcher, url: str, endpoints: Mapping[str, str]) -> str | None:
        from .api import identify

        return await identify(fetcher, url, endpoints)

    # fetching a post
    async def fetch_post(self, fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
        from .api import fetch_post

        return await fetch_post(fetcher, native_id, endpoints)

    def canonical_url(self, native_id: str, handle: str | None) -> str:
        return ids.status_url(native_id, handle)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None

    # its card
    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return card_url(native_id)

    def card_in_frame(self, url: str) -> str | None:
        link = ids.parse(url)
        return link.native_id if link is not None and link.embed else None

    # in words
    sources: Mapping[str, str] = {
        "status": "the instance's post service",
        "account": "the instance's account service",
        "profile": "the author's profile page",
        "parent": "the instance's copy of the post it replies to",
        "note": "the Misskey instance's note service",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        account, profile = (signals.get(s, {}).get("says") for s in ("account", "profile"))
        if "suspended" in (account, profile):
            return "the account is suspended"
        if account == "gone" and profile == "gone":
            return "the account no longer exists"
        if account == "live" and profile == "live":
            return "removed, or never public — the instance answers both alike for a post never seen public"
        return None

    # evidence
    def names_post(self, url: str, native_id: str) -> bool:
        return names_post(url, native_id)

    def url_marker(self, native_id: str) -> str:
        return native_id.rpartition("/")[2]

    def __repr__(self) -> str:
        return "MastodonPlatform()"


PLATFORM: Platform = MastodonPlatform()

__all__ = ["PLATFORM", "MastodonPlatform", "find_in_html", "find_in_text", "ids"]

"""Bluesky: finding embedded posts, naming them by DID and record key, reading their
record from the public AppView, their card from embed.bsky.app, their media from the PDS.

Registered as the entry point ``bluesky`` of ``archiver.platforms`` (pyproject.toml).
Field guide: PLATFORMS_OTHER.md §1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..base import CardSpec, FoundEmbed, Platform, PostFetch
from . import ids
from .api import ENDPOINTS, card_url, names_post
from .find import find_in_html, find_in_text

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher, Response


class BlueskyPlatform:
    """The :class:`~archiver.platforms.base.Platform` for Bluesky."""

    name: str = "bluesky"
    hosts: tuple[str, ...] = ("bsky.app", "bsky.social", "bsky.network")
    """Its own hosts (the app, Bluesky's PDSes): a user's cookies for Bluesky go to these only."""
    endpoints: Mapping[str, str] = ENDPOINTS
    card: CardSpec = CardSpec(
        # embed.bsky.app renders the post into #app; its link to the post comes with the card.
        selector="#app > *",
        ready="() => !!document.querySelector('#app a[href*=\"/post/\"], #app [data-state]')",
        pending="[data-bluesky-uri]",
    )
    confirm_loss_after: float = 3600.0
    """public.api.bsky.app is cached (field guide §0.1): a loss is confirmed an hour later."""

    # recognising its URLs
    def post_id_from_url(self, url: str) -> str | None:
        name = ids.parse(url)
        return name.native_id if name is not None else None

    def handle_from_url(self, url: str) -> str | None:
        name = ids.parse(url)
        return name.actor if name is not None and not name.is_did else None

    def resolvable_link(self, url: str) -> str | None:
        # A post link that names its author by handle: its id needs the handle resolved.
        name = ids.parse(url)
        if name is None or name.is_did:
            return None
        url = url.strip()
        return url if "://" in url else "https://" + url

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
        # By DID, not handle: handles change, and a stale handle's URL leads nowhere.
        return ids.web_url(native_id)

    def created_at_from_id(self, native_id: str) -> str | None:
        return None  # a TID tells when the record key was minted, not when the post was made

    # its card
    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return card_url(endpoints, native_id)

    def card_in_frame(self, url: str) -> str | None:
        name = ids.parse(url)
        if name is None or not url.split("?", 1)[0].rstrip("/").lower().startswith("https://embed.bsky.app/embed/"):
            return None
        return name.native_id

    # in words
    sources: Mapping[str, str] = {
        "thread": "Bluesky's public post service",
        "profile": "the author's Bluesky profile",
        "did": "the author's identity record (where their files are kept)",
    }

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        said = signals.get("profile", {}).get("says")
        return {
            "taken-down": "the account was taken down by Bluesky's moderators",
            "deactivated": "the account is deactivated",
            "gone": "the account no longer exists",
        }.get(str(said))

    # evidence
    def names_post(self, url: str, native_id: str) -> bool:
        return names_post(url, native_id)

    def url_marker(self, native_id: str) -> str:
        return native_id.rpartition("/")[2]

    def __repr__(self) -> str:
        return "BlueskyPlatform()"


PLATFORM: Platform = BlueskyPlatform()

__all__ = ["PLATFORM", "BlueskyPlatform", "find_in_html", "find_in_text", "ids"]

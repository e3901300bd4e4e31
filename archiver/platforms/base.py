"""What every platform module provides: finders, URL recognition and post parsing.

A platform is a module under ``archiver.platforms`` exposing a ``PLATFORM``
object that satisfies :class:`Platform`. The pipeline only talks to this
interface, so adding Instagram or Bluesky is one new module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

Form = Literal["blockquote", "iframe", "amp", "status_link", "pic_link", "short_link"]
Status = Literal["live", "deleted", "unavailable", "unknown"]


@dataclass
class FoundEmbed:
    """One place in an article that cites a post."""

    platform: str
    link: str
    """The URL as it appears in the article (absolute)."""
    form: Form
    native_id: str | None = None
    """The platform's own post id when the link names it; None until resolved."""
    embed_text: str | None = None
    """For a blockquote: the newsroom's copy of the post, as plain text."""
    inner_links: list[str] = field(default_factory=list)
    """Short links inside a blockquote: evidence of the embed, not embeds themselves."""


@dataclass
class MediaItem:
    kind: Literal["photo", "video", "poster", "audio", "captions"]
    url: str
    """The URL to copy: a photo at full size, the best video variant, an audio or caption file."""
    width: int | None = None
    height: int | None = None
    content_type: str | None = None
    bitrate: int | None = None
    alt_text: str | None = None


@dataclass
class PostData:
    native_id: str
    author_handle: str | None
    author_name: str | None
    text: str | None
    created_at: str | None
    """ISO 8601 UTC, e.g. 2023-01-09T21:14:07Z."""
    lang: str | None = None
    media: list[MediaItem] = field(default_factory=list)
    quoted_id: str | None = None
    quoted: PostData | None = None
    """The quoted post's data when the response embeds it."""
    requested_id: str | None = None
    """The id asked for, when the platform answered with another (a repost)."""


class Platform(Protocol):
    name: str

    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]: ...

    def find_in_text(self, text: str) -> list[FoundEmbed]: ...

    def post_id_from_url(self, url: str) -> str | None: ...

    def canonical_url(self, native_id: str, handle: str | None) -> str: ...

"""The platforms archiver knows: found through the entry-point group ``archiver.platforms``.

Every platform, the built-in Twitter/X included, is registered as an entry point, as
Datasette and pytest find their plugins, so a newsroom can install a platform as a
package of its own (see :mod:`archiver.platforms.base` for how to write one). Platforms
are loaded on first use, never at import: ``archiver --help`` loads none.

A post is a :class:`PostRef` ``(platform, native_id)``; :func:`post_ref` recognises one
in a URL of any installed platform.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import ConfigError
from .base import (
    FORMS,
    CardSpec,
    FoundEmbed,
    MediaItem,
    Placement,
    Platform,
    PostData,
    PostFetch,
    PostRef,
    SourceAnswer,
    Status,
)

if TYPE_CHECKING:
    from ..config import Settings

GROUP = "archiver.platforms"

BUILT_IN = {
    "twitter": "archiver.platforms.twitter:PLATFORM",
    "youtube": "archiver.platforms.youtube:PLATFORM",
    "tiktok": "archiver.platforms.tiktok:PLATFORM",
}
"""The built-in platforms' entry points, as pyproject.toml registers them: used as well
when archiver runs from a source tree that was never installed (no metadata to read)."""


@functools.cache
def platforms() -> tuple[Platform, ...]:
    """Every installed platform, by name. Raises ConfigError for one that cannot load."""
    from importlib.metadata import EntryPoint, entry_points

    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        other = found.get(ep.name)
        if other is not None and other.value != ep.value:
            raise ConfigError(f"two platforms are named {ep.name!r}: {other.value} and {ep.value}")
        found[ep.name] = ep
    for name, value in BUILT_IN.items():
        found.setdefault(name, EntryPoint(name, value, GROUP))
    loaded: list[Platform] = []
    for name, ep in sorted(found.items()):
        try:
            platform = ep.load()
        except Exception as e:  # noqa: BLE001 - a broken plugin is a one-line configuration error
            raise ConfigError(f"platform {name!r} ({ep.value}) could not be loaded: {type(e).__name__}: {e}") from None
        if getattr(platform, "name", None) != name:
            raise ConfigError(f"platform {name!r} ({ep.value}) calls itself {getattr(platform, 'name', None)!r}")
        loaded.append(platform)
    return tuple(loaded)


def platform_named(name: str) -> Platform | None:
    return next((p for p in platforms() if p.name == name), None)


def post_ref(url: str) -> PostRef | None:
    """The post a URL names, on whichever installed platform recognises it."""
    for platform in platforms():
        native_id = platform.post_id_from_url(url)
        if native_id is not None:
            return PostRef(platform.name, native_id)
    return None


def resolvable_link(url: str) -> str | None:
    """``url`` made absolute when some platform says it leads to a post once followed."""
    for platform in platforms():
        link = platform.resolvable_link(url)
        if link is not None:
            return link
    return None


def card_in_frame(url: str) -> tuple[Platform, PostRef] | None:
    """The platform and post whose card a frame at ``url`` shows, if any."""
    for platform in platforms():
        native_id = platform.card_in_frame(url)
        if native_id is not None:
            return platform, PostRef(platform.name, native_id)
    return None


def find_embeds(content: str, content_type: str | None, base_url: str | None) -> list[FoundEmbed]:
    """Every installed platform's embeds in a page, each placed ``body`` or ``page``:
    :func:`archiver.steps.find.find_embeds`, here for callers that know platforms only."""
    from ..steps.find import find_embeds as find

    return find(content, content_type, base_url)


def endpoints_for(platform: Platform, settings: Settings) -> Mapping[str, str]:
    """The platform's endpoints with the user's overrides (Settings.endpoints) applied."""
    overrides = settings.endpoints.get(platform.name, {})
    unknown = sorted(set(overrides) - set(platform.endpoints))
    if unknown:
        known = ", ".join(sorted(platform.endpoints)) or "none"
        raise ConfigError(f"unknown {platform.name} endpoint {unknown[0]!r} in settings (known: {known})")
    return {**platform.endpoints, **overrides}


__all__ = [
    "BUILT_IN",
    "FORMS",
    "GROUP",
    "CardSpec",
    "FoundEmbed",
    "MediaItem",
    "Placement",
    "Platform",
    "PostData",
    "PostFetch",
    "PostRef",
    "SourceAnswer",
    "Status",
    "card_in_frame",
    "endpoints_for",
    "find_embeds",
    "platform_named",
    "platforms",
    "post_ref",
    "resolvable_link",
]

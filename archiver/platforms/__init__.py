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
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

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
    from ..plumbing.hostlimits import Budget
    from ..plumbing.net import Fetcher

Identify = Callable[["Fetcher", str, Mapping[str, str]], Awaitable[str | None]]

GROUP = "archiver.platforms"

BUILT_IN = {
    "bluesky": "archiver.platforms.bluesky:PLATFORM",
    "mastodon": "archiver.platforms.mastodon:PLATFORM",
    "twitter": "archiver.platforms.twitter:PLATFORM",
    "youtube": "archiver.platforms.youtube:PLATFORM",
    "tiktok": "archiver.platforms.tiktok:PLATFORM",
    "reddit": "archiver.platforms.reddit:PLATFORM",
    "threads": "archiver.platforms.threads:PLATFORM",
    "telegram": "archiver.platforms.telegram:PLATFORM",
    "instagram": "archiver.platforms.instagram:PLATFORM",
    "facebook": "archiver.platforms.facebook:PLATFORM",
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


def identifier(url: str) -> tuple[Platform, Identify] | None:
    """The platform that claims ``url`` as a link it identifies by a lookup, and how."""
    for platform in platforms():
        identify = getattr(platform, "identify", None)
        if identify is not None and platform.resolvable_link(url) is not None:
            return platform, cast("Identify", identify)
    return None


def url_marker(platform: Platform, native_id: str) -> str:
    """A string every URL naming the post contains (the native id unless the platform says)."""
    marker = getattr(platform, "url_marker", None)
    return str(marker(native_id)) if marker is not None else native_id


def confirm_loss_after(platform: Platform, settings: Settings) -> float:
    """Seconds a loss (live to deleted or unavailable) waits for its confirming check; 0: none."""
    if settings.confirm_loss is not None:
        from ..schedule import parse_duration

        return parse_duration(settings.confirm_loss).total_seconds()
    return float(getattr(platform, "confirm_loss_after", 0) or 0)


def budgets_for(platform: Platform, settings: Settings) -> dict[str, Budget]:
    """The request budgets of the platform's endpoints (``Platform.budgets``, optional),
    with the user's (``Settings.budgets``), by endpoint URL. Raises ConfigError."""
    from ..plumbing.hostlimits import Budget

    declared: Mapping[str, Budget] = getattr(platform, "budgets", None) or {}
    overrides = settings.budgets.get(platform.name, {})
    endpoints = endpoints_for(platform, settings)
    unknown = sorted(set(overrides) - set(endpoints))
    if unknown:
        raise ConfigError(f"budget for unknown {platform.name} endpoint {unknown[0]!r} in settings")
    budgets: dict[str, Budget] = {}
    for name in sorted(set(declared) | set(overrides)):
        if name in overrides:
            try:
                budgets[endpoints[name]] = Budget.parse(overrides[name])
            except ValueError as e:
                raise ConfigError(f"budget of {platform.name}.{name}: {e}") from None
        elif name in endpoints:
            budgets[endpoints[name]] = declared[name]
    return budgets


def request_budgets(settings: Settings) -> dict[str, Budget]:
    """Every installed platform's request budgets, by endpoint URL, for a Fetcher."""
    budgets: dict[str, Budget] = {}
    for platform in platforms():
        budgets.update(budgets_for(platform, settings))
    return budgets


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
    "budgets_for",
    "card_in_frame",
    "confirm_loss_after",
    "endpoints_for",
    "find_embeds",
    "identifier",
    "platform_named",
    "platforms",
    "post_ref",
    "request_budgets",
    "resolvable_link",
    "url_marker",
]

"""Resolving short and media links hop by hop, keeping every hop as evidence."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TooManyHops
from ..plumbing.net import Fetcher, html_redirect_target
from ..platforms.twitter.patterns import is_short_link, unwrap_unsafe_link


@dataclass
class Resolution:
    url: str
    final_url: str
    hops: list[dict[str, object]]
    """Each hop: {"url": ..., "status": ...}, the last one being the final URL."""


async def resolve(fetcher: Fetcher, url: str, *, browser_ua: bool = False) -> Resolution:
    """Follow ``url`` to where it finally points.

    Besides HTTP redirects, t.co answers browsers with a 200 page that redirects by
    markup, and wraps some targets in an unsafe-link warning page: both are followed.
    """
    hops: list[dict[str, object]] = []
    seen: set[str] = set()
    current = url
    max_hops = fetcher.settings.max_hops
    while True:
        response = await fetcher.get(current, "other", browser_ua=browser_ua)
        for hop in response.hops:
            if hop["url"] in seen:
                raise TooManyHops(f"redirect loop back to {hop['url']}", url)
            seen.add(str(hop["url"]))
        hops.extend(response.hops)
        if len(hops) > max_hops + 1:
            raise TooManyHops(f"more than {max_hops} hops", url)
        target: str | None = None
        if response.status == 200:
            target = unwrap_unsafe_link(response.url)
            if target is None and is_short_link(response.url) and response.body and "html" in response.content_type:
                target = html_redirect_target(response.body)
        if not target:
            return Resolution(url=url, final_url=response.url, hops=hops)
        current = target

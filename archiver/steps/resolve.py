"""Resolving short and media links hop by hop, keeping every hop as evidence."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import TooManyHops
from ..plumbing.net import Fetcher, Response
from ..platforms import platforms


@dataclass
class Resolution:
    url: str
    final_url: str
    hops: list[dict[str, object]]
    """Each hop: {"url": ..., "status": ...}, the last one being the final URL."""


async def resolve(fetcher: Fetcher, url: str, *, browser_ua: bool = False) -> Resolution:
    """Follow ``url`` to where it finally points.

    Besides HTTP redirects, a platform's own interstitial pages are followed: the
    platform that knows one says where it leads (``Platform.next_hop``), as t.co's page
    that redirects browsers by markup and its unsafe-link warning page.
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
        target = _next_hop(response) if response.status == 200 else None
        if not target:
            return Resolution(url=url, final_url=response.url, hops=hops)
        current = target


def _next_hop(response: Response) -> str | None:
    for platform in platforms():
        target = platform.next_hop(response)
        if target:
            return target
    return None

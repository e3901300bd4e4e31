"""Telling someone what a sweep noticed: a JSON POST to a URL the user gave."""

from __future__ import annotations

import httpx

from .config import Settings
from .errors import NotifyError
from .plumbing.net import route_transport, ssl_verify


async def post_json(settings: Settings, url: str, payload: dict[str, object]) -> None:
    """POST ``payload``; any failure is a NotifyError with one line saying why.

    The URL is the user's own choice (often a local service), so the refusal policy for
    article content does not apply; proxy, CA bundle and timeouts do.
    """
    verify = ssl_verify(settings)
    try:
        async with httpx.AsyncClient(
            transport=route_transport(settings, httpx.AsyncHTTPTransport(verify=verify), verify),
            verify=verify,
            timeout=settings.timeout,
            trust_env=False,
            headers={"User-Agent": settings.user_agent},
        ) as client:
            response = await client.post(url, json=payload)
    except httpx.HTTPError as e:
        raise NotifyError(f"notification to {url} failed: {type(e).__name__}: {e or 'no answer'}") from None
    if response.status_code >= 300:
        raise NotifyError(f"notification to {url} failed: HTTP {response.status_code}")

"""Telling someone what a sweep noticed, or the timestamps a run stored: a JSON POST to a URL the user gave."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import httpx

from .config import Settings
from .errors import NotifyError
from .plumbing.net import route_transport, ssl_verify

if TYPE_CHECKING:
    from .evidence.timestamps import Stamp


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


def post_stamps(settings: Settings, url: str, run_id: int | None, stamps: Sequence[Stamp]) -> str | None:
    """POST a run's timestamps as pins (``{"run_id", "at", "stamps": [...]}``); a line saying
    why it failed, or None."""
    import asyncio

    from .plumbing.db import utcnow

    payload: dict[str, object] = {"run_id": run_id, "at": utcnow(), "stamps": [s.pin() for s in stamps]}
    try:
        asyncio.run(post_json(settings, url, payload))
    except NotifyError as e:
        return str(e)
    return None

"""Meta's oEmbed answers (Graph API ``oembed_post``, ``oembed_video``, ``instagram_oembed``),
read the same way for Facebook and Instagram (field guide §0.3, §4.3 A, §6.3).

Tokenless since 2026-06-15, 1,000 requests an hour per endpoint (kept as a request budget,
``Platform.budgets``). A success is a JSON object with ``html``. Errors come in the Graph
envelope ``{"error": {"message", "type", "code", "error_subcode", "is_transient"}}``; the
guide marks their bodies for these endpoints UNCONFIRMED, so the reading is cautious:

- throttling (HTTP 429, Graph codes 4, 17, 32, 613 and 80001–80014) and anything
  ``is_transient``: ``rate-limited``, decides nothing;
- a token or permission refusal (codes 10, 102, 104, 190, 200–299): ``refused``, decides
  nothing (the tokenless access does not reach this endpoint);
- an invalid parameter (code 100, the answer users report for private and deleted posts
  alike): ``not-served``, which the platform reads with its embed page to say
  ``unavailable``, never ``deleted``;
- anything else (5xx, HTML, an empty body, another post's HTML): decides nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from ...errors import FetchError
from ..base import SourceAnswer

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

_THROTTLED = frozenset({4, 17, 32, 613, *range(80001, 80015)})
_REFUSED = frozenset({10, 102, 104, 190, *range(200, 300)})


async def ask(fetcher: Fetcher, source: str, endpoint: str, url: str) -> SourceAnswer:
    """Ask the oEmbed ``endpoint`` about the post at ``url`` (the answer, or why there is none)."""
    query = urlencode({"url": url, "omitscript": "true"})
    address = f"{endpoint}?{query}"
    try:
        return SourceAnswer(source, address, await fetcher.get(address, "json"))
    except FetchError as e:
        return SourceAnswer(source, address, None, str(e))


def says(answer: SourceAnswer, marker: str) -> str:
    """What an oEmbed answer says about the post whose URL contains ``marker``."""
    if answer.response is None:
        return "no-answer"
    body = answer.json()
    if answer.status == 200 and body is not None and isinstance(body.get("html"), str):
        return "live" if marker in str(body["html"]) else "another-post"
    if answer.status == 429:
        return "rate-limited"
    error = body.get("error") if body is not None else None
    if isinstance(error, dict):
        code = error.get("code")
        if error.get("is_transient") is True or code in _THROTTLED:
            return "rate-limited"
        if code in _REFUSED:
            return "refused"
        if code == 100 and answer.status is not None and 400 <= answer.status < 500:
            return "not-served"
        return f"error-{code}"
    return f"http-{answer.status}"


def html_of(answer: SourceAnswer) -> str:
    body = answer.json() or {}
    html = body.get("html")
    return html if isinstance(html, str) else ""


__all__ = ["ask", "html_of", "says"]

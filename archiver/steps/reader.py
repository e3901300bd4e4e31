"""Reading articles in worker processes: ``python -m archiver.steps.reader MEMORY`` is one.

:func:`read_bounded` hands an article's bytes to the session's pool and returns its title
and embeds; a page over the limits (``Settings.limits``: depth, parse_seconds,
parse_memory) is a ContentError naming the article, and the run goes on.
:func:`find_in_fragments` reads pieces of a rendered page the same way.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from ..config import Limits, Settings
from ..errors import ContentError
from ..plumbing.net import Response
from ..plumbing.workers import WorkerPool
from ..platforms.base import FoundEmbed
from .article import ArticleText, read_article


def reader_pool(settings: Settings) -> WorkerPool:
    """A session's readers: ``Settings.parse_workers`` processes, each within ``Limits.parse_memory``."""
    return WorkerPool(__name__, size=settings.parse_workers, memory=settings.limits.parse_memory)


async def read_bounded(pool: WorkerPool, response: Response, limits: Limits, item: str) -> ArticleText:
    """Title and embeds of a fetched article, read in a worker within ``limits``."""
    request = {"content_type": response.headers.get("content-type", ""), "url": response.url, "depth": limits.depth}
    reply = await pool.run(request, response.body or b"", timeout=limits.parse_seconds, item=item)
    try:
        if not isinstance(reply, dict):
            raise ValueError(reply)
        return ArticleText.from_json(reply)
    except (ValueError, TypeError):
        raise ContentError("its reader sent a malformed answer", item) from None


async def find_in_fragments(
    pool: WorkerPool, fragments: list[str], base_url: str, limits: Limits, item: str
) -> list[list[FoundEmbed]]:
    """The embeds the finder finds in each piece of markup (elements of a rendered page,
    :mod:`archiver.steps.regions`), read in a worker within ``limits``."""
    from .regions import found_from

    if not fragments:
        return []
    body = json.dumps(fragments).encode("utf-8")
    reply = await pool.run({"fragments": True, "url": base_url}, body, timeout=limits.parse_seconds, item=item)
    try:
        if not isinstance(reply, dict):
            raise ValueError(reply)
        return found_from(reply, len(fragments))
    except (ValueError, TypeError):
        raise ContentError("its reader sent a malformed answer", item) from None


def _handle(request: dict[str, object], body: bytes) -> dict[str, object]:
    if request.get("fragments"):
        return _handle_fragments(request, body)
    content_type, url, depth = request["content_type"], request["url"], request["depth"]
    assert isinstance(content_type, str) and isinstance(url, str) and isinstance(depth, int)
    return read_article(body, content_type, url, depth).as_json()


def _handle_fragments(request: dict[str, object], body: bytes) -> dict[str, object]:
    from .find import find_in_fragment
    from .regions import fragments_of

    url = request["url"]
    assert isinstance(url, str)
    return {"found": [[asdict(e) for e in find_in_fragment(f, url)] for f in fragments_of(body)]}


if __name__ == "__main__":
    from selectolax.lexbor import SelectolaxError

    from ..plumbing.workers import serve

    # lexbor reports a failed allocation as "Can't parse HTML".
    serve(_handle, memory_errors=(SelectolaxError,))

"""What ``archive`` would take from a page, without capturing anything (``archiver find``).

The page is fetched (a URL) or read (a saved file), then read in a reader process
within ``Settings.limits``, exactly as ``archive`` reads it: the same embeds, the same
placement. Nothing is written to the archive. Offline unless asked to resolve: then each
link that names no post by itself (t.co, pic.twitter.com, a click tracker) is followed
hop by hop, with the same safety rules as ``archive``, to name the post it leads to.
"""

from __future__ import annotations

import mimetypes
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from ..config import Settings
from ..errors import BadStatus, ContentError, ItemError
from ..platforms import post_ref
from ..platforms.base import FoundEmbed
from ..plumbing.blobs import BlobStore
from ..plumbing.net import Fetcher, Response
from .reader import read_bounded, reader_pool
from .resolve import resolve

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_TEXT_TYPES = ("text/plain", "text/markdown")


@dataclass
class Found:
    """What ``archive`` would take from one page: its embeds, each placed, none captured."""

    source: str
    """The URL or file asked for."""
    url: str | None
    """The page's address: where a URL led, or the ``base_url`` given for a file."""
    title: str | None
    embeds: list[FoundEmbed] = field(default_factory=list)
    resolved: dict[str, str | None] = field(default_factory=dict)
    """With ``resolve``: each link followed → the post it leads to (``platform:id``), or None."""
    errors: list[str] = field(default_factory=list)
    """Links that could not be followed, one line each."""

    @property
    def ok(self) -> bool:
        return not self.errors

    def post_of(self, embed: FoundEmbed) -> str | None:
        """``platform:id`` of the post an embed cites, when its link or resolving tells."""
        if embed.native_id:
            return f"{embed.platform}:{embed.native_id}"
        return self.resolved.get(embed.link)

    def lines(self) -> list[str]:
        body = sum(e.placement == "body" for e in self.embeds)
        head = f"{self.url or self.source}: {body} in the article, {len(self.embeds) - body} around it"
        lines = [head + (f"  ({self.title})" if self.title else "")]
        for e in self.embeds:
            post = self.post_of(e) or (f"{e.platform}:?" if e.link not in self.resolved else "no post")
            lines.append(f"{e.placement:<4}  {post:<32}  {e.form:<13}  {e.link}")
            if e.embed_text:
                text = " ".join(e.embed_text.split())
                lines.append(f"{'':6}{text[:150]}{'…' if len(text) > 150 else ''}")
        lines += [f"error: {error}" for error in self.errors]
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "embeds": [{**asdict(e), "post": self.post_of(e)} for e in self.embeds],
            "resolved": self.resolved,
            "errors": self.errors,
        }


def _is_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in ("http", "https")


def _file_response(source: str, base_url: str | None) -> Response:
    path = Path(source)
    try:
        body = path.read_bytes()
    except OSError as e:
        raise ContentError(f"cannot read the file: {e.strerror or e}", source) from None
    guessed, _ = mimetypes.guess_type(path.name)
    content_type = guessed if guessed in _HTML_TYPES + _TEXT_TYPES else ""
    if not content_type:
        head = body[:2048].lstrip().lower()
        content_type = "text/html" if head.startswith(b"<") or b"<html" in head else "text/plain"
    headers = httpx.Headers({"content-type": content_type})
    return Response(url=base_url or path.resolve().as_uri(), status=200, headers=headers, body=body, blob=None)


async def _fetch(fetcher: Fetcher, url: str) -> Response:
    response = await fetcher.get(url, "html")
    if response.status != 200:
        raise BadStatus(f"page answered HTTP {response.status}", url, response.status)
    if response.content_type not in _HTML_TYPES + _TEXT_TYPES:
        raise ContentError(f"not an article: content type {response.content_type or 'missing'}", url)
    if response.body is None:
        raise ContentError("page is empty", url)
    return response


async def preview(settings: Settings, source: str, *, base_url: str | None = None, follow: bool = False) -> Found:
    """What ``archive`` would take from ``source`` (a URL or a saved page); see the module docstring."""
    with tempfile.TemporaryDirectory(prefix="archiver-find-") as scratch:
        # The fetcher keeps bodies as blobs: here in a scratch store, gone afterwards.
        async with Fetcher(settings, BlobStore(Path(scratch))) as fetcher:
            response = await _fetch(fetcher, source) if _is_url(source) else _file_response(source, base_url)
            if base_url and _is_url(source):
                response.url = base_url
            pool = reader_pool(settings)
            try:
                page = await read_bounded(pool, response, settings.limits, source)
            finally:
                await pool.close()
            found = Found(source, response.url if _is_url(source) or base_url else None, page.title, page.embeds)
            if follow:
                for link in dict.fromkeys(e.link for e in found.embeds if not e.native_id):
                    try:
                        resolution = await resolve(fetcher, link)
                    except ItemError as e:
                        found.errors.append(str(e))
                        continue
                    urls = [str(hop["url"]) for hop in resolution.hops] + [resolution.final_url]
                    ref = next((r for r in map(post_ref, urls) if r is not None), None)
                    found.resolved[link] = str(ref) if ref is not None else None
    return found


__all__ = ["Found", "preview"]

"""What Threads says about a post, without a login (field guide §7.3), and the verdict.

Two sources, each kept as a ``data`` capture when asked:

- the post's **embed page** (``/t/<code>/embed``; the permalink with ``/embed`` is what
  ``embed.js`` frames), asked first. The post as it shows it (author, text, time, its
  photos and videos: the ``<img>`` and ``<video>`` of its media containers) is its data,
  and those media are what archiver copies (yt-dlp has no Threads extractor). A page
  saying the post is not available is ``unavailable``; a login page or a page without the
  post is no answer.
- Meta's **oEmbed** (``graph.threads.net/v1.0/oembed``, tokenless, 1,000 requests an hour),
  asked only when the embed page did not show the post: the hourly budget is small, and
  Meta's terms allow its metadata only for showing the post (see README, "What is kept").
  Its 200 for this post says ``live`` (a sketch: text and author only); a 4xx error about
  the post says it is not served: deleted, private, inactive, age-restricted or geo-gated,
  which it does not tell apart: ``unavailable``. A rate limit, a transient or server
  error, or an error about the token is no answer.

Threads gives no positive sign of a deletion: no Threads post is ever called ``deleted``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from ...errors import FetchError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from . import ids

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {
    "web": "https://www.threads.com",
    "oembed": "https://graph.threads.net/v1.0/oembed",
}
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_MEDIA = "[class*='MediaContainer'], [class*='MediaScrollImageContainer']"
_NOT_AVAILABLE = re.compile(r"(?:post|thread|content)\s+(?:is\s+)?(?:not|no longer|un)\s*available|post unavailable", re.I)
_RATE_CODES = frozenset({4, 17, 32, 613})
_AUTH_CODES = frozenset({10, 102, 190, 200})


def _text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(_BR.sub("\n", node.html or "")).body
    text = (body.text(deep=True) if body is not None else "") or ""
    return "\n".join(" ".join(line.split()) for line in text.strip().splitlines()).strip() or None


def _created_at(value: str | None) -> str | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if when.tzinfo else None


def _https(url: str | None) -> str | None:
    url = (url or "").strip()
    if url.startswith("//"):
        url = "https:" + url
    return url if url.startswith(("https://", "http://")) else None


def embed_says(body: bytes, final_url: str, native_id: str) -> tuple[str, PostData | None]:
    """What the embed page says about the post, and its data when it shows it."""
    from selectolax.lexbor import LexborHTMLParser

    if urlsplit(final_url).path.startswith(("/login", "/accounts/login")):
        return "login-wall", None
    tree = LexborHTMLParser(body.decode("utf-8", "replace"))
    if tree.body is None:
        return "no-post", None
    if tree.css_first("input[type=password]") is not None:
        return "login-wall", None
    codes = {ids.post_id(a.attributes.get("href") or "") for a in tree.css("a[href]")} - {None}
    text_node = tree.css_first(".BodyTextContainer")
    shown = text_node is not None or tree.css_first(_MEDIA) is not None
    if shown and native_id in codes:
        return "live", _data(tree.body, native_id)
    if shown and codes:
        return "another-post", None
    if _NOT_AVAILABLE.search(" ".join((tree.body.text(deep=True) or "").split())):
        return "not-available", None
    return "no-post", None


def _data(page: LexborNode, native_id: str) -> PostData:
    permalink = next(
        (a.attributes.get("href") or "" for a in page.css("a[href]") if ids.post_id(a.attributes.get("href") or "") == native_id),
        "",
    )
    handle = ids.user_of(permalink)
    name = page.css_first(".NameContainer")
    time = page.css_first("time[datetime]")
    media: list[MediaItem] = []
    seen: set[str] = set()
    for container in page.css(_MEDIA):
        for node in container.css("img[src], video"):
            if node.tag == "img":
                url, kind = _https(node.attributes.get("src")), "photo"
            else:
                source = node.css_first("source[src]")
                url = _https(node.attributes.get("src") or (source.attributes.get("src") if source is not None else None))
                kind = "video"
                poster = _https(node.attributes.get("poster"))
                if poster and poster not in seen:
                    seen.add(poster)
                    media.append(MediaItem("poster", poster))
            if url and url not in seen:
                seen.add(url)
                alt = node.attributes.get("alt") if kind == "photo" else None
                media.append(MediaItem(kind, url, alt_text=alt or None))  # type: ignore[arg-type]
    return PostData(
        native_id=native_id,
        author_handle=handle,
        author_name=(" ".join((name.text(deep=True) or "").split()) or None) if name is not None else None,
        text=_text(page.css_first(".BodyTextContainer")),
        created_at=_created_at(time.attributes.get("datetime") if time is not None else None),
        media=media,
    )


def oembed_says(answer: SourceAnswer, native_id: str) -> tuple[str, Status]:
    """What Meta's oEmbed says, and the verdict it gives (error bodies: Graph API errors)."""
    body = answer.json()
    if answer.status == 200 and body is not None:
        return ("live", "live") if native_id in str(body.get("html") or "") else ("another-post", "unknown")
    if answer.status is None:
        return "no-answer", "unknown"
    error = body.get("error") if body is not None else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    message = str(error.get("message") or "").lower()
    if answer.status == 429 or code in _RATE_CODES or "limit" in message:
        return "rate-limited", "unknown"
    if answer.status >= 500 or error.get("is_transient") or code in (1, 2):
        return f"http-{answer.status}", "unknown"
    if code in _AUTH_CODES or "token" in message or "app id" in message:
        return "token-required", "unknown"
    if answer.status in (400, 404) and error:
        return "not-served", "unavailable"
    return f"http-{answer.status}", "unknown"


def _sketch(answer: SourceAnswer, native_id: str) -> PostData:
    from selectolax.lexbor import LexborHTMLParser

    body = answer.json() or {}
    tree = LexborHTMLParser(str(body.get("html") or ""))
    quote = tree.css_first("[data-text-post-permalink]")
    permalink = quote.attributes.get("data-text-post-permalink") if quote is not None else None
    paragraphs = [_text(p) for p in tree.css("blockquote p")]
    return PostData(
        native_id=native_id,
        author_handle=ids.user_of(permalink or ""),
        author_name=None,
        text="\n\n".join(p for p in paragraphs if p) or None,
        created_at=None,
    )


async def _ask(fetcher: Fetcher, source: str, url: str, kind: str) -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, kind, browser_ua=True))  # type: ignore[arg-type]
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    embed = await _ask(fetcher, "embed_page", embed_url(endpoints, native_id), "html")
    data: PostData | None = None
    if embed.response is not None and embed.status == 200:
        embed.says, data = embed_says(embed.response.body or b"", embed.response.url, native_id)
    elif embed.response is not None:
        path = urlsplit(embed.response.url).path
        embed.says = "login-wall" if path.startswith(("/login", "/accounts/login")) else f"http-{embed.status}"
    if embed.says == "live":
        return PostFetch(ids.NAME, native_id, "live", data, [embed], complete=True)
    query = urlencode({"url": ids.canonical_url(native_id, None)})
    oembed = await _ask(fetcher, "oembed", f"{endpoints['oembed']}?{query}", "json")
    oembed.says, verdict = oembed_says(oembed, native_id)
    if verdict == "live":
        return PostFetch(ids.NAME, native_id, "live", _sketch(oembed, native_id), [embed, oembed])
    if verdict == "unknown" and embed.says == "not-available" and oembed.says != "another-post":
        verdict = "unavailable"
    return PostFetch(ids.NAME, native_id, verdict, None, [embed, oembed])


def embed_url(endpoints: Mapping[str, str], native_id: str) -> str:
    return f"{endpoints['web']}/t/{native_id}/embed"


__all__ = ["ENDPOINTS", "embed_says", "embed_url", "fetch_post", "oembed_says"]

"""What Instagram says about a post without a login (field guide §4.3, §4.4), and the verdict.

Two sources, both kept as ``data`` captures, asked in turn:

- **Meta's oEmbed** (``instagram_oembed``, tokenless, 1,000 requests an hour, a request
  budget kept across runs): it decides. Its success is ``live``; its "invalid parameter"
  error (``not-served``), which it gives private and deleted posts alike, is
  ``unavailable`` once the embed page agrees (shows no post); throttling, a refused
  token, a 5xx, no answer, or a request not sent for the budget is ``unknown`` — and then
  the embed page is not asked either.
- the **embed page** (``/p/<code>/embed/captioned/``): the post's data (author, caption,
  photos, whether it is a video) from its ``shortcode_media`` JSON or, failing that, its
  markup (``.UsernameText``, ``.Caption``, ``.EmbeddedMediaImage``). An embed page
  without media (private, deleted and embedding disabled look the same) says
  ``empty``; a redirect to ``/accounts/login`` or ``/`` is a login wall (Instagram's
  anonymous rate limit): ``unknown``.

Instagram gives no anonymous sign that tells a deleted post from a hidden one: no
Instagram post is ever called ``deleted``. A video's media are copied by yt-dlp from the
post's page (``PostData.media_page``); photos by archiver's own client. The data is a
sketch (``PostFetch.complete`` is false): its CDN URLs are signed afresh on every answer,
so comparing them would call every check an edit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ...errors import FetchError
from ...plumbing.hostlimits import Budget
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from ..facebook import graph
from .patterns import NAME, canonical_url

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {
    "oembed": "https://graph.facebook.com/v24.0/instagram_oembed",
    "web": "https://www.instagram.com",
}
BUDGETS: Mapping[str, Budget] = {"oembed": Budget(1000, 3600.0)}
"""Meta's tokenless oEmbed limit (field guide §0.3): 1,000 requests an hour per endpoint."""
_SHORTCODE_MEDIA = re.compile(r'"(?:xdt_)?shortcode_media"\s*:\s*\{')
_CONTEXT_JSON = re.compile(r'"contextJSON"\s*:\s*"')


def embed_url(code: str, endpoints: Mapping[str, str]) -> str:
    return f"{endpoints['web']}/p/{code}/embed/captioned/"


def shortcode_media(html: str) -> dict[str, Any] | None:
    """The ``shortcode_media`` object of an embed page: written out, or inside the
    ``contextJSON`` string (``gql_data.shortcode_media``)."""
    decoder = json.JSONDecoder()
    m = _SHORTCODE_MEDIA.search(html)
    if m is not None:
        try:
            value, _ = decoder.raw_decode(html, m.end() - 1)
        except ValueError:
            value = None
        if isinstance(value, dict):
            return value
    m = _CONTEXT_JSON.search(html)
    if m is not None:
        try:
            text, _ = decoder.raw_decode(html, m.end() - 1)
            context = json.loads(text) if isinstance(text, str) else None
        except ValueError:
            return None
        gql = context.get("gql_data") if isinstance(context, dict) else None
        media = (gql.get("shortcode_media") or gql.get("xdt_shortcode_media")) if isinstance(gql, dict) else None
        return media if isinstance(media, dict) else None
    return None


def _when(value: object) -> str | None:
    if isinstance(value, (int, float)) and value > 0:
        return datetime.fromtimestamp(float(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return None


def _photo(node: Mapping[str, Any], kind: str = "photo") -> MediaItem | None:
    url = node.get("display_url") or node.get("display_src")
    if not isinstance(url, str) or not url.startswith("https://"):
        return None
    size: Mapping[str, Any] = node["dimensions"] if isinstance(node.get("dimensions"), dict) else {}
    width, height = size.get("width"), size.get("height")
    alt = node.get("accessibility_caption")
    return MediaItem(
        "poster" if kind == "poster" else "photo", url, width if isinstance(width, int) else None,
        height if isinstance(height, int) else None, "image/jpeg", alt_text=alt if isinstance(alt, str) else None,
    )


def _nodes(media: Mapping[str, Any], edge: str) -> list[Mapping[str, Any]]:
    """The nodes of a GraphQL connection (``{"edges": [{"node": …}]}``)."""
    connection = media.get(edge)
    edges = connection.get("edges") if isinstance(connection, dict) else None
    return [e["node"] for e in edges or [] if isinstance(e, dict) and isinstance(e.get("node"), dict)]


def from_media(media: Mapping[str, Any], code: str) -> PostData:
    """The post's data from the embed page's ``shortcode_media``."""
    owner: Mapping[str, Any] = media["owner"] if isinstance(media.get("owner"), dict) else {}
    caption = next((str(node.get("text") or "") for node in _nodes(media, "edge_media_to_caption")), None)
    children = _nodes(media, "edge_sidecar_to_children")
    items: list[MediaItem] = []
    video = False
    for node in children or [media]:
        is_video = bool(node.get("is_video")) or node.get("__typename") in ("GraphVideo", "XDTGraphVideo")
        video = video or is_video
        item = _photo(node, "poster" if is_video else "photo")
        if item is not None and not (is_video and any(i.kind == "poster" for i in items)):
            items.append(item)
    return PostData(
        native_id=code,
        author_handle=str(owner.get("username") or "") or None,
        author_name=str(owner.get("full_name") or "") or None,
        text=caption,
        created_at=_when(media.get("taken_at_timestamp")),
        media=items,
        media_page=canonical_url(code) if video else None,
    )


def from_markup(html: str, code: str) -> PostData | None:
    """The post's data from the embed page's markup, when it shows the post; else None."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    image = tree.css_first("img.EmbeddedMediaImage")
    video = tree.css_first("video.EmbeddedMediaVideo") is not None or "WatchOnInstagram" in html
    if image is None and not video:
        return None
    user = tree.css_first(".UsernameText")
    caption_node = tree.css_first(".Caption")
    caption = None
    if caption_node is not None:
        for part in caption_node.css(".CaptionUsername, .CaptionComments"):
            part.decompose()
        caption = " ".join((caption_node.text(deep=True, separator=" ") or "").split()) or None
    items = []
    src = (image.attributes.get("src") or "") if image is not None else ""
    if src.startswith("https://"):
        items.append(MediaItem("poster" if video else "photo", src, content_type="image/jpeg",
                               alt_text=image.attributes.get("alt") if image is not None else None))
    return PostData(
        native_id=code,
        author_handle=(user.text(deep=True) or "").strip() or None if user is not None else None,
        author_name=None,
        text=caption,
        created_at=None,
        media=items,
        media_page=canonical_url(code) if video else None,
    )


def embed_says(answer: SourceAnswer, code: str) -> tuple[str, PostData | None]:
    """What the embed page says (``shows-post``, ``empty``, ``login-wall``, ``no-answer``) and its data."""
    response = answer.response
    if response is None:
        return "no-answer", None
    path = urlsplit(response.url).path
    if path.startswith(("/accounts/login", "/challenge")) or path in ("", "/"):
        return "login-wall", None
    if response.status == 404:
        return "empty", None
    if response.status != 200:
        return f"http-{response.status}", None
    html = (response.body or b"").decode("utf-8", "replace")
    media = shortcode_media(html)
    if media is not None and str(media.get("shortcode") or code) == code:
        return "shows-post", from_media(media, code)
    if media is not None:
        return "another-post", None
    data = from_markup(html, code)
    return ("shows-post", data) if data is not None else ("empty", None)


def sketch(oembed: SourceAnswer, code: str) -> PostData:
    """The little oEmbed's HTML tells (its caption paragraph), when the embed page did not."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(graph.html_of(oembed) or "<p></p>")
    paragraph = tree.css_first("blockquote p")
    text = " ".join((paragraph.text(deep=True, separator=" ") or "").split()) if paragraph is not None else ""
    return PostData(native_id=code, author_handle=None, author_name=None, text=text or None, created_at=None)


async def fetch_post(fetcher: Fetcher, code: str, endpoints: Mapping[str, str]) -> PostFetch:
    oembed = await graph.ask(fetcher, "oembed", endpoints["oembed"], canonical_url(code))
    oembed.says = graph.says(oembed, code)
    answers = [oembed]
    if oembed.says not in ("live", "not-served"):
        return PostFetch(NAME, code, "unknown", None, answers)
    url = embed_url(code, endpoints)
    try:
        embed = SourceAnswer("embed_page", url, await fetcher.get(url, "html", browser_ua=True))
    except FetchError as e:
        embed = SourceAnswer("embed_page", url, None, str(e))
    answers.append(embed)
    embed.says, data = embed_says(embed, code)
    verdict: Status = "unknown"
    if oembed.says == "live" or embed.says == "shows-post":
        verdict = "live"
        data = data or sketch(oembed, code)
    elif embed.says == "empty":
        verdict = "unavailable"  # private, deleted or not embeddable: Instagram does not say which
    return PostFetch(NAME, code, verdict, data if verdict == "live" else None, answers)

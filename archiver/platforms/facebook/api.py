"""What Facebook says about a post without a login (field guide §6.3), and the verdict.

Two sources, both kept as ``data`` captures, asked in turn:

- **Meta's oEmbed** (``oembed_video`` for videos and reels, ``oembed_post`` for the rest;
  tokenless, 1,000 requests an hour each, request budgets kept across runs): it decides.
  Its success is ``live``; its "invalid parameter" error (``not-served``) is
  ``unavailable`` once the plugin page agrees; throttling, a refused token, a 5xx, no
  answer or a request not sent for its budget is ``unknown`` (the plugin page is then not
  asked).
- the **plugin page** (``plugins/post.php?href=…`` or ``plugins/video.php?href=…``): the
  post's data (author, text, time, photos, whether it holds a video). Its "This Facebook
  post is no longer available" is shown to logged-out readers even for public posts
  (field guide §6.3), so it decides nothing alone; a login page or form is a wall.

Anonymous Facebook answers cannot tell a deleted post from a restricted one: no Facebook
post is ever called ``deleted``. Videos are copied by yt-dlp from the post's page. The data
is a sketch (``PostFetch.complete`` is false): Facebook's CDN URLs are signed afresh.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from ...errors import FetchError
from ...plumbing.hostlimits import Budget
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from . import graph
from .patterns import NAME, canonical_url, kind, number, owner_from_url

if TYPE_CHECKING:
    from selectolax.lexbor import LexborHTMLParser

    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {
    "oembed_post": "https://graph.facebook.com/v24.0/oembed_post",
    "oembed_video": "https://graph.facebook.com/v24.0/oembed_video",
    "plugins": "https://www.facebook.com/plugins",
}
BUDGETS: Mapping[str, Budget] = {"oembed_post": Budget(1000, 3600.0), "oembed_video": Budget(1000, 3600.0)}
"""Meta's tokenless oEmbed limit (field guide §0.3): 1,000 requests an hour per endpoint."""
GONE_TEXTS = (
    "this facebook post is no longer available",
    "this content isn't available",
    "this content isn\u2019t available",
    "content not found",
    "can no longer be embedded",
    "this video is no longer available",
)
LOGIN_MARKS = ('id="login_form"', 'id="loginbutton"', ">you must log in to continue", 'action="/login/')


def plugin_url(native_id: str, endpoints: Mapping[str, str]) -> str:
    page = "video.php" if kind(native_id) == "video" else "post.php"
    return f"{endpoints['plugins']}/{page}?href={quote(canonical_url(native_id), safe='')}&show_text=true&width=500"


def _created_at(tree: LexborHTMLParser) -> str | None:
    node = tree.css_first("abbr[data-utime]")
    value = (node.attributes.get("data-utime") or "") if node is not None else ""
    if not value.isdigit():
        return None
    return datetime.fromtimestamp(int(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_plugin(html: str, native_id: str) -> PostData | None:
    """The post's data from its plugin page, when the page shows it; else None."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    message = tree.css_first('[data-testid="post_message"], .userContent')
    video = tree.css_first("video") is not None
    if message is None and not video:
        return None
    author = tree.css_first(".fwb a, .profileLink")
    photos: list[MediaItem] = []
    for img in tree.css("img.scaledImageFitWidth, img.scaledImageFitHeight, ._46-i img"):
        src = img.attributes.get("src") or ""
        if src.startswith("https://") and all(p.url != src for p in photos):
            width, height = img.attributes.get("width") or "", img.attributes.get("height") or ""
            photos.append(MediaItem(
                "poster" if video else "photo", src, int(width) if width.isdigit() else None,
                int(height) if height.isdigit() else None, "image/jpeg", alt_text=img.attributes.get("alt") or None,
            ))
    text = " ".join((message.text(deep=True, separator=" ") or "").split()) if message is not None else ""
    return PostData(
        native_id=native_id,
        author_handle=owner_from_url(author.attributes.get("href") or "") if author is not None else None,
        author_name=(author.text(deep=True) or "").strip() or None if author is not None else None,
        text=text or None,
        created_at=_created_at(tree),
        media=photos[:1] if video else photos,
        media_page=canonical_url(native_id) if video or kind(native_id) == "video" else None,
    )


def plugin_says(answer: SourceAnswer, native_id: str) -> tuple[str, PostData | None]:
    """What the plugin page says (``shows-post``, ``no-longer-available``, ``login-wall``…) and its data."""
    response = answer.response
    if response is None:
        return "no-answer", None
    path = urlsplit(response.url).path
    html = (response.body or b"").decode("utf-8", "replace")
    low = html.lower()
    if path.startswith(("/login", "/checkpoint")) or any(mark in low for mark in LOGIN_MARKS):
        return "login-wall", None
    if response.status != 200:
        return f"http-{response.status}", None
    if any(text in low for text in GONE_TEXTS):
        return "no-longer-available", None
    data = from_plugin(html, native_id)
    return ("shows-post", data) if data is not None else ("unrecognised", None)


def sketch(oembed: SourceAnswer, native_id: str) -> PostData:
    """What oEmbed's HTML tells (the XFBML snippet's copy of the text, its author), when
    the plugin page did not."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(graph.html_of(oembed) or "<p></p>")
    quote_node = tree.css_first("blockquote")
    paragraph = quote_node.css_first("p") if quote_node is not None else None
    links = quote_node.css("a[href]") if quote_node is not None else []
    author = links[-2] if len(links) >= 2 else None
    text = " ".join((paragraph.text(deep=True, separator=" ") or "").split()) if paragraph is not None else ""
    return PostData(
        native_id=native_id,
        author_handle=owner_from_url(author.attributes.get("href") or "") if author is not None else None,
        author_name=(author.text(deep=True) or "").strip() or None if author is not None else None,
        text=text or None,
        created_at=None,
        media_page=canonical_url(native_id) if kind(native_id) == "video" else None,
    )


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    endpoint = endpoints["oembed_video" if kind(native_id) == "video" else "oembed_post"]
    oembed = await graph.ask(fetcher, "oembed", endpoint, canonical_url(native_id))
    oembed.says = graph.says(oembed, number(native_id))
    answers = [oembed]
    if oembed.says not in ("live", "not-served"):
        return PostFetch(NAME, native_id, "unknown", None, answers)
    url = plugin_url(native_id, endpoints)
    try:
        plugin = SourceAnswer("plugin_page", url, await fetcher.get(url, "html", browser_ua=True))
    except FetchError as e:
        plugin = SourceAnswer("plugin_page", url, None, str(e))
    answers.append(plugin)
    plugin.says, data = plugin_says(plugin, native_id)
    verdict: Status = "unknown"
    if oembed.says == "live" or plugin.says == "shows-post":
        verdict = "live"
        data = data or sketch(oembed, native_id)
    elif plugin.says == "no-longer-available":
        verdict = "unavailable"  # deleted, or its audience narrowed: Facebook does not say which
    return PostFetch(NAME, native_id, verdict, data if verdict == "live" else None, answers)

"""What Telegram says about a post, without a login (field guide §8.3), and the verdict.

Telegram has no API for anonymous readers and no oEmbed: its **embed page**
(``t.me/<channel>/<id>?embed=1``, the page the widget frames) is the source, kept as a
``data`` capture. It answers 200 whatever the post's state:

- ``.tgme_widget_message[data-post="<channel>/<id>"]`` with the message: ``live``; its
  text, channel title, time, photos (``background-image`` of
  ``.tgme_widget_message_photo_wrap``) and videos (``<video src>``) are read from it;
- ``.tgme_widget_message_error`` "Post not found": the message is gone, **or** the whole
  channel is (deleted, renamed, made private): the page alone cannot tell. The channel's
  **web preview** (``t.me/s/<channel>``) is then asked: a channel it shows (its
  ``.tgme_channel_info``, or a page title for a channel without a preview) still exists,
  so the post itself was removed: ``deleted``; a page with no channel in it (Telegram's
  "contact @name" page) means the channel is gone: ``unavailable``;
- an error saying the channel is private: ``unavailable``;
- any other error text, a page with neither a message nor an error, another post's
  message, a 429, a 5xx or no answer: ``unknown``.

The markers of the channel preview are the field guide's UNCONFIRMED ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ...errors import FetchError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from . import ids

if TYPE_CHECKING:
    from selectolax.lexbor import LexborNode

    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {"web": "https://t.me"}
_BACKGROUND = re.compile(r"background-image\s*:\s*url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", re.IGNORECASE)
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _background(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    m = _BACKGROUND.search(node.attributes.get("style") or "")
    url = m.group(1).strip() if m else ""
    if url.startswith("//"):
        url = "https:" + url
    return url if url.startswith(("https://", "http://")) else None


def _text(node: LexborNode | None) -> str | None:
    if node is None:
        return None
    from selectolax.lexbor import LexborHTMLParser

    body = LexborHTMLParser(_BR.sub("\n", node.html or "")).body
    text = (body.text(deep=True) if body is not None else "") or ""
    return text.strip() or None


def _created_at(value: str | None) -> str | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def embed_says(body: bytes, native_id: str) -> tuple[str, PostData | None]:
    """What the embed page says about the post, in Telegram's words, and its data when live."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(body.decode("utf-8", "replace"))
    error = tree.css_first(".tgme_widget_message_error")
    if error is not None:
        words = " ".join((error.text(deep=True) or "").split()).lower()
        if "post not found" in words:
            return "post-not-found", None
        if "private" in words:
            return "channel-private", None
        return "error-page", None
    message = tree.css_first(".tgme_widget_message[data-post]")
    if message is None:
        return "no-message", None
    shown = ids.post_id("https://t.me/" + (message.attributes.get("data-post") or "").strip())
    if shown != native_id:
        return "another-post", None
    return ("live-media-not-on-web" if message.css_first(".message_media_not_supported") else "live"), _data(message, native_id)


def _data(message: LexborNode, native_id: str) -> PostData:
    channel = ids.split(native_id)[0]
    author = message.css_first(".tgme_widget_message_owner_name, .tgme_widget_message_author")
    time = message.css_first(".tgme_widget_message_date time[datetime], time[datetime]")
    media: list[MediaItem] = []
    for wrap in message.css(".tgme_widget_message_photo_wrap"):
        url = _background(wrap)
        if url:
            media.append(MediaItem("photo", url))
    videos = 0
    for player in message.css(".tgme_widget_message_video_player"):
        video = player.css_first("video[src]")
        if video is not None:
            videos += 1
        poster = _background(player.css_first(".tgme_widget_message_video_thumb"))
        if poster:
            media.append(MediaItem("poster", poster))
    return PostData(
        native_id=native_id,
        author_handle=channel,
        author_name=" ".join((author.text(deep=True) or "").split()) or None if author is not None else None,
        text=_text(message.css_first(".tgme_widget_message_text")),
        created_at=_created_at(time.attributes.get("datetime") if time is not None else None),
        media=media,
        # Videos through yt-dlp's Telegram extractor (the page's <video src> as served).
        media_page=ids.canonical_url(native_id) if videos else None,
    )


def preview_says(answer: SourceAnswer) -> str:
    """Whether the channel's web preview shows the channel (UNCONFIRMED markers, §8.3)."""
    if answer.response is None:
        return "no-answer"
    if answer.status != 200:
        return f"http-{answer.status}"
    page = (answer.response.body or b"").decode("utf-8", "replace")
    if "tgme_channel_info" in page or "tgme_page_title" in page:
        return "channel-exists"
    if "tgme_page" in page:
        return "no-channel"
    return "no-answer"


async def _ask(fetcher: Fetcher, source: str, url: str) -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, "html", browser_ua=True))
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    embed = await _ask(fetcher, "embed_page", ids.embed_url(endpoints["web"], native_id))
    answers = [embed]
    data: PostData | None = None
    verdict: Status = "unknown"
    if embed.response is not None and embed.status == 200:
        embed.says, data = embed_says(embed.response.body or b"", native_id)
    elif embed.response is not None:
        embed.says = f"http-{embed.status}"
    if embed.says.startswith("live"):
        verdict = "live"
    elif embed.says == "channel-private":
        verdict = "unavailable"
    elif embed.says == "post-not-found":
        preview = await _ask(fetcher, "channel", ids.preview_url(endpoints["web"], native_id))
        preview.says = preview_says(preview)
        answers.append(preview)
        if preview.says == "channel-exists":
            verdict = "deleted"  # the channel is there and its post is not: removed
        elif preview.says == "no-channel":
            verdict = "unavailable"  # the channel is gone (deleted, renamed or private): not the post's own removal
    return PostFetch(ids.NAME, native_id, verdict, data, answers, complete=data is not None)


__all__ = ["ENDPOINTS", "embed_says", "fetch_post", "preview_says"]

"""What Reddit says about a post or comment, without a login (field guide §9.3), and the verdict.

One source, kept as a ``data`` capture: the **JSON** of the post's page
(``/comments/<id>/.json``; a comment's: ``/comments/<id>/_/<comment id>/.json``), a
two-listing array whose first listing holds the post and whose second the comments.

- 200 with the post (and the comment asked for), its content intact: ``live``. An author
  shown as ``[deleted]`` over intact content is an account deleted since: the post stands.
- ``removed_by_category`` ``deleted`` or ``author``, or a ``[deleted]`` body under a
  ``[deleted]`` author: **deleted by its author** (``deleted``).
- ``removed_by_category`` ``moderator``, or a ``[removed]`` body without a category:
  **removed by the subreddit's moderators** (``deleted``: the post itself was removed, a
  positive sign; its words say by whom, as they are not the author's doing).
- ``reddit``, ``anti_evil_ops``, ``community_ops``, ``content_takedown``,
  ``copyright_takedown``, ``legal_operations``: **removed by Reddit** (``deleted``).
- ``automod_filtered``: held for the moderators' review, not removed (``unavailable``);
  so is a category archiver does not know, and a comment the post's listing does not hold.
- 403 ``{"reason": "private" | "quarantined" | "gated"}`` and 404 ``{"reason": "banned"}``:
  the subreddit is closed to anonymous readers (``unavailable``); any other JSON 404 is
  ``unavailable`` too (banned subreddits and purged posts look alike).
- 429, 5xx, timeouts, HTML where JSON belongs (Reddit's "blocked by network security" page,
  a login page), an answer about another post: ``unknown``.

Reddit's answers are cached for a while (guide §0.1, "cached for 30 seconds") and a
removal may be reverted by the moderators, so a loss waits for a confirming check
(``confirm_loss_after`` on the platform).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from ...errors import FetchError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from .patterns import NAME, canonical_url, split_id

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {
    "web": "https://www.reddit.com",
    "embed": "https://embed.reddit.com",
}
SOURCE = "json"
BY_AUTHOR = frozenset({"deleted", "author"})
BY_MODERATORS = frozenset({"moderator"})
BY_REDDIT = frozenset(
    {"reddit", "anti_evil_ops", "community_ops", "content_takedown", "copyright_takedown", "legal_operations"}
)
HELD = frozenset({"automod_filtered"})
CLOSED = frozenset({"private", "quarantined", "gated", "banned"})
_MAX_PERMALINKS = 10_000
_permalinks: dict[str, str] = {}
"""The permalink Reddit last gave for a post or comment (``/r/<sub>/comments/<id>/<slug>/``),
by native id: the embed page needs the subreddit, which no id holds (see ``embed_path``)."""


def embed_path(native_id: str) -> str | None:
    """The post's permalink as Reddit last gave it in this process, for its embed page.

    ``embed.reddit.com/comments/<id>/`` answers 200 with a "Page not found" shell: the
    subreddit must be in the path, and a post's id does not say it. The pipeline fetches
    a post before rendering its card, so its permalink is known by then."""
    return _permalinks.get(native_id)


def _remember(native_id: str, permalink: object) -> None:
    if isinstance(permalink, str) and permalink.startswith("/") and "/comments/" in permalink:
        if len(_permalinks) >= _MAX_PERMALINKS:
            _permalinks.pop(next(iter(_permalinks)))
        _permalinks[native_id] = permalink


def json_url(native_id: str, endpoints: Mapping[str, str]) -> str:
    post, comment = split_id(native_id)
    if comment:
        return f"{endpoints['web']}/comments/{post}/_/{comment}/.json?raw_json=1"
    return f"{endpoints['web']}/comments/{post}/.json?raw_json=1&limit=1"


def _listing(value: object) -> list[dict[str, Any]]:
    """The ``data`` of each child of a Listing."""
    data = value.get("data") if isinstance(value, dict) else None
    children = data.get("children") if isinstance(data, dict) else None
    if not isinstance(children, list):
        return []
    return [c["data"] for c in children if isinstance(c, dict) and isinstance(c.get("data"), dict)]


def _find_comment(comments: list[dict[str, Any]], comment_id: str) -> dict[str, Any] | None:
    stack = list(comments)
    while stack:
        comment = stack.pop(0)
        if comment.get("id") == comment_id:
            return comment
        stack.extend(_listing(comment.get("replies")))
    return None


def thing_says(thing: dict[str, Any], body_key: str) -> tuple[str, Status]:
    """What a post (``selftext``) or comment (``body``) says of itself, and the verdict."""
    category = thing.get("removed_by_category")
    body = thing.get(body_key)
    author = thing.get("author")
    if category in BY_AUTHOR:
        return "deleted-by-author", "deleted"
    if category in BY_MODERATORS:
        return "removed-by-moderators", "deleted"
    if category in BY_REDDIT:
        return "removed-by-reddit", "deleted"
    if category in HELD:
        return "held-for-review", "unavailable"
    if category:
        return "removed-other", "unavailable"
    if body == "[deleted]" and author == "[deleted]":
        return "deleted-by-author", "deleted"
    if body == "[removed]":
        return "removed-by-moderators", "deleted"
    return "live", "live"


def json_says(answer: SourceAnswer, native_id: str) -> tuple[str, Status, dict[str, Any] | None]:
    """What the JSON answer says, the verdict, and the post or comment when live."""
    response = answer.response
    if response is None:
        return "no-answer", "unknown", None
    if "/login" in urlsplit(response.url).path:
        return "login-wall", "unknown", None
    try:
        body: object = json.loads(response.body or b"")
    except ValueError:
        body = None
    if body is None:
        text = (response.body or b"")[:20000].decode("utf-8", "replace").lower()
        if "blocked by network security" in text:
            return "blocked", "unknown", None
        return ("rate-limited" if response.status == 429 else f"http-{response.status}-not-json"), "unknown", None
    if isinstance(body, dict):
        reason = str(body.get("reason") or "")
        if response.status in (403, 404) and reason in CLOSED:
            return f"subreddit-{reason}", "unavailable", None
        if response.status == 404:
            return "not-found", "unavailable", None
        return ("rate-limited" if response.status == 429 else f"http-{response.status}"), "unknown", None
    if response.status != 200 or not isinstance(body, list) or not body:
        return f"http-{response.status}", "unknown", None
    post_id, comment_id = split_id(native_id)
    posts = _listing(body[0])
    post = posts[0] if posts else None
    if post is None or str(post.get("id") or "") != post_id:
        return "another-post", "unknown", None
    _remember(post_id, post.get("permalink"))
    if comment_id is None:
        says, status = thing_says(post, "selftext")
        return says, status, post if status == "live" else None
    comment = _find_comment(_listing(body[1]) if len(body) > 1 else [], comment_id)
    if comment is None:
        return "comment-not-listed", "unavailable", None
    _remember(native_id, comment.get("permalink"))
    says, status = thing_says(comment, "body")
    return says, status, comment if status == "live" else None


def _created_at(value: object) -> str | None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    return datetime.fromtimestamp(float(value), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def original_image(url: str) -> str:
    """An image's original on ``i.redd.it``: a preview's query (size, format, signature)
    dropped and its host rewritten (field guide §9.4)."""
    parts = urlsplit(url)
    host = "i.redd.it" if parts.hostname in ("preview.redd.it", "i.redd.it") else parts.netloc
    return urlunsplit(("https", host, parts.path, "", ""))


def _image(meta: dict[str, Any]) -> MediaItem | None:
    """A ``media_metadata`` image at its original, the preview CDN's copy as a fallback."""
    if meta.get("status") != "valid" or meta.get("e") not in ("Image", "AnimatedImage"):
        return None
    source = meta.get("s") if isinstance(meta.get("s"), dict) else {}
    assert isinstance(source, dict)
    served = source.get("u") or source.get("gif")
    if not isinstance(served, str):
        return None
    width, height = source.get("x"), source.get("y")
    return MediaItem(
        "photo", original_image(served), width if isinstance(width, int) else None,
        height if isinstance(height, int) else None, fallback_url=served,
    )


def _reddit_video(post: dict[str, Any]) -> dict[str, Any] | None:
    for holder in [post, *(post.get("crosspost_parent_list") or [])]:
        if not isinstance(holder, dict):
            continue
        for key in ("secure_media", "media"):
            media = holder.get(key)
            if isinstance(media, dict) and isinstance(media.get("reddit_video"), dict):
                return media["reddit_video"]  # type: ignore[no-any-return]
    return None


def post_media(post: dict[str, Any], native_id: str) -> tuple[list[MediaItem], str | None]:
    """What to copy of a post: its images (galleries and inline images at their originals on
    i.redd.it), a poster; and the page whose video yt-dlp copies (Reddit-hosted video)."""
    source = post
    parents = post.get("crosspost_parent_list")
    if isinstance(parents, list) and parents and isinstance(parents[0], dict):
        source = parents[0]  # a crosspost shows its original's media
    items: list[MediaItem] = []
    metadata = source.get("media_metadata") if isinstance(source.get("media_metadata"), dict) else {}
    assert isinstance(metadata, dict)
    gallery = source.get("gallery_data")
    if isinstance(gallery, dict):
        for entry in gallery.get("items") or []:
            meta = metadata.get(entry.get("media_id")) if isinstance(entry, dict) else None
            item = _image(meta) if isinstance(meta, dict) else None
            if item is not None:
                items.append(item)
    elif not source.get("is_gallery"):  # a gallery whose gallery_data is null was deleted
        url = str(source.get("url_overridden_by_dest") or source.get("url") or "")
        preview = _preview(source)
        if (urlsplit(url).hostname or "") == "i.redd.it":
            width, height = (preview.width, preview.height) if preview else (None, None)
            items.append(MediaItem("photo", url, width, height, fallback_url=preview.url if preview else None))
        for meta in metadata.values():
            item = _image(meta) if isinstance(meta, dict) else None
            if item is not None:
                items.append(item)
    video = _reddit_video(post)
    inline_video = any(isinstance(m, dict) and m.get("e") == "RedditVideo" for m in metadata.values())
    media_page = canonical_url(native_id) if video is not None or inline_video else None
    if media_page is not None:
        preview = _preview(source)
        if preview is not None:
            items.append(preview)
    return items, media_page


def _preview(post: dict[str, Any]) -> MediaItem | None:
    preview = post.get("preview") if isinstance(post.get("preview"), dict) else None
    images = preview.get("images") if preview else None
    first = images[0] if isinstance(images, list) and images and isinstance(images[0], dict) else None
    source = first.get("source") if first else None
    if not isinstance(source, dict) or not isinstance(source.get("url"), str):
        return None
    width, height = source.get("width"), source.get("height")
    return MediaItem(
        "poster", source["url"], width if isinstance(width, int) else None, height if isinstance(height, int) else None
    )


def parse_thing(thing: dict[str, Any], native_id: str) -> PostData:
    """A live post's or comment's data."""
    author = str(thing.get("author") or "")
    handle = author if author and author != "[deleted]" else None
    if split_id(native_id)[1] is not None:
        text = str(thing.get("body") or "")
        media: list[MediaItem] = []
        media_page = None
    else:
        title, selftext = str(thing.get("title") or ""), str(thing.get("selftext") or "")
        text = "\n\n".join(part for part in (title, selftext) if part)
        media, media_page = post_media(thing, native_id)
    return PostData(
        native_id=native_id,
        author_handle=handle,
        author_name=handle,
        text=text,
        created_at=_created_at(thing.get("created_utc")),
        media=media,
        media_page=media_page,
    )


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    url = json_url(native_id, endpoints)
    try:
        answer = SourceAnswer(SOURCE, url, await fetcher.get(url, "json", headers={"Accept": "application/json"}))
    except FetchError as e:
        answer = SourceAnswer(SOURCE, url, None, str(e))
    answer.says, verdict, thing = json_says(answer, native_id)
    data = parse_thing(thing, native_id) if thing is not None else None
    return PostFetch(NAME, native_id, verdict, data, [answer], complete=data is not None)

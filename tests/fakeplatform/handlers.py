"""Request → response for every host of the world. Pure: no sockets, no sleeping.

Faults and latency are applied by the server around :func:`respond`; here lives only
what the platform itself answers (field guide §2–§5).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import bluesky, example_social, facebook, instagram, mastodon, pages, reddit, syndication, telegram, threads, tiktok, youtube
from .tokens import token_for
from .world import Page, World

TWITTER_HOSTS = {"twitter.com", "www.twitter.com", "mobile.twitter.com", "m.twitter.com"}
X_ALIASES = {"www.x.com", "mobile.x.com"}
JSON_TYPE = "application/json;charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

_STATUS_URL = re.compile(
    r"^https?://(?:www\.|mobile\.|m\.)?(?:twitter|x)\.com/(?:[^/]+/status(?:es)?|i/web/status|i/status|statuses)/(\d+)",
    re.IGNORECASE,
)
_PBS_MEDIA = re.compile(r"^/media/([\w-]+)(?:\.(?:jpe?g|png|webp))?(?::(\w+))?$")


@dataclass
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream_size: int = 0
    """When > 0, stream this many bytes of filler HTML instead of ``body``."""
    hang: bool = False


def _json(status: int, data: Any, **headers: str) -> Response:
    return Response(status, {"Content-Type": JSON_TYPE, **headers}, json.dumps(data, ensure_ascii=False).encode())


def _html(status: int, text: str, **headers: str) -> Response:
    return Response(status, {"Content-Type": HTML_TYPE, **headers}, text.encode())


def _not_found(what: str = "Not Found") -> Response:
    return Response(404, {"Content-Type": "text/plain; charset=utf-8"}, f"{what}\n".encode())


def _redirect(location: str, status: int = 301) -> Response:
    return Response(status, {"Location": location})


def is_browser(user_agent: str) -> bool:
    return "Mozilla" in user_agent


def respond(world: World, host: str, path_qs: str, user_agent: str, cookie: str = "") -> Response:
    """The platform's answer for ``GET https://<host><path_qs>`` (HEAD uses the same);
    ``cookie``: the request's Cookie header (only TikTok's logged-in users look at it)."""
    host = host.lower()
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    if host == "t.co":
        return _tco(world, path, user_agent)
    if host in ("pic.twitter.com", "pic.x.com"):
        target = world.short_links.get(path.strip("/"))
        return _redirect(target) if target else _not_found()
    if host in TWITTER_HOSTS:
        if path.startswith("/safety/unsafe_link_warning") and host in ("twitter.com", "www.twitter.com"):
            target = query.get("unsafe_link", [""])[0]
            return _html(200, pages.unsafe_link_warning(target)) if target else _not_found()
        return _redirect("https://x.com" + path_qs)
    if host in X_ALIASES:
        return _redirect("https://x.com" + path_qs)
    if host == "x.com":
        # Logged-out clients never get the post itself (field guide §4).
        return _html(200, pages.LOGIN_WALL)
    if host == "cdn.syndication.twimg.com":
        return _syndication(world, query) if path == "/tweet-result" else _not_found()
    if host in ("publish.twitter.com", "publish.x.com"):
        return _oembed(world, query) if path in ("/oembed", "/oembed.json") else _not_found()
    if host == "platform.twitter.com":
        if path == "/embed/Tweet.html":
            return _html(200, pages.EMBED_PAGE)
        if path == "/widgets.js":
            return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, pages.WIDGETS_JS.encode())
        return _not_found()
    if host in ("pbs.twimg.com", "video.twimg.com"):
        return _media(world, host, path, query)
    if host in example_social.HOSTS:
        return example_social.respond(world, host, path)
    if host in youtube.HOSTS:
        return youtube.respond(world, host, path_qs)
    if host in tiktok.HOSTS:
        return tiktok.respond(world, host, path_qs, cookie)
    if host in reddit.HOSTS:
        return reddit.respond(world, host, path_qs)
    if host in threads.HOSTS:
        return threads.respond(world, host, path_qs)
    if host in telegram.HOSTS:
        return telegram.respond(world, host, path_qs)
    for other in (bluesky, mastodon, instagram, facebook):
        answer = other.respond(world, host, path_qs)
        if answer is not None:
            return answer
    page = world.find_page(host, path_qs)
    return _page(page) if page is not None else _not_found()


def _tco(world: World, path: str, user_agent: str) -> Response:
    target = world.short_links.get(path.strip("/"))
    if target is None:
        return _html(404, "<html><head><title>t.co / Twitter</title></head><body>Sorry, that page doesn’t exist!</body></html>")
    if is_browser(user_agent):
        return _html(200, pages.tco_interstitial(target), **{"Cache-Control": "private,max-age=300"})
    return _redirect(target)


def _syndication(world: World, query: dict[str, list[str]]) -> Response:
    cors = {"Access-Control-Allow-Origin": "*"}
    post_id = query.get("id", [""])[0]
    token = query.get("token", [""])[0]
    # Without the right token the API "soon answers {}" (field guide §3).
    if not post_id.isdigit() or len(post_id) > 40 or token != token_for(post_id):
        return _json(200, {}, **cors)
    post = world.posts.get(int(post_id))
    if post is None or post.status == "deleted":
        return Response(404, {"Content-Type": "text/plain; charset=utf-8", **cors}, b"")
    if post.status != "live":
        return _json(200, syndication.tombstone(post.status), **cors)
    shown = world.resolve_post(post.id)
    if shown is None or shown.status == "deleted":
        return Response(404, {"Content-Type": "text/plain; charset=utf-8", **cors}, b"")
    if shown.status != "live":
        return _json(200, syndication.tombstone(shown.status), **cors)
    return _json(200, syndication.tweet_result(world, shown), **cors)


def _oembed(world: World, query: dict[str, list[str]]) -> Response:
    url = query.get("url", [""])[0]
    m = _STATUS_URL.match(unquote(url))
    post = world.posts.get(int(m.group(1))) if m else None
    if post is not None and post.status == "live":
        post = world.resolve_post(post.id)
    if post is None or post.status in ("deleted", "unavailable"):
        return _not_found()
    if post.status in ("protected", "suspended"):
        return _json(403, {"error": syndication.OEMBED_403, "request": "/oembed?url=" + url})
    omit = query.get("omit_script", ["false"])[0].lower() in ("1", "true", "t")
    return _json(200, syndication.oembed(world, post, omit))


def _media(world: World, host: str, path: str, query: dict[str, list[str]]) -> Response:
    name = query.get("name", [None])[0]
    key = f"https://{host}{path}"
    m = _PBS_MEDIA.match(path) if host == "pbs.twimg.com" else None
    if m:
        # /media/ID?format=jpg&name=N, /media/ID.jpg?name=N and legacy /media/ID.jpg:N
        key = f"https://pbs.twimg.com/media/{m.group(1)}"
        name = m.group(2) or name
    asset = world.media.get(key)
    if asset is None:
        return _not_found()
    body = asset.render(name)
    return Response(200, {"Content-Type": asset.content_type, "Cache-Control": "max-age=604800"}, body)


def _page(page: Page) -> Response:
    headers = {"Content-Type": page.content_type, **page.headers}
    if page.location:
        headers["Location"] = page.location
    return Response(page.status, headers, page.body, stream_size=page.stream_size, hang=page.hang)


def filler(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """``size`` bytes of valid-looking HTML, produced lazily for huge bodies."""
    head = b"<!DOCTYPE html><html><head><title>Huge</title></head><body>\n"
    line = b"<p>Filler paragraph of a page that never ends, to test size limits.</p>\n"
    block = (line * (chunk // len(line) + 1))[:chunk]
    sent = 0
    first = head[:size]
    yield first
    sent += len(first)
    while sent < size:
        part = block[: size - sent]
        yield part
        sent += len(part)

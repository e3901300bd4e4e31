"""Example Social: a small made-up platform, for the example platform package of
tests/example_platform (a plugin archiver knows nothing of until it is installed).

Hosts: ``example-social.net`` (post pages, the embed card ``/embed/<id>``, its
``widget.js``), ``api.example-social.net`` (``/v1/posts/<id>`` JSON: 200, 404 when the
post is deleted, 403 when its account is private) and ``media.example-social.net``
(photos). Post ids are short numbers ("130"), as Telegram's are.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

SITE = "example-social.net"
API = "api.example-social.net"
MEDIA = "media.example-social.net"
HOSTS = frozenset({SITE, API, MEDIA})

_POST_PATH = re.compile(r"^/@(\w+)/(\d+)$")
_EMBED_PATH = re.compile(r"^/embed/(\d+)$")
_API_PATH = re.compile(r"^/v1/posts/(\d+)$")
_PHOTO_PATH = re.compile(r"^/photos/(\d+)\.jpg$")


@dataclass
class ExamplePost:
    id: str
    handle: str
    name: str
    text: str
    created_at: str
    status: Literal["live", "deleted", "private"] = "live"
    photo: bool = True

    @property
    def url(self) -> str:
        return f"https://{SITE}/@{self.handle}/{self.id}"

    @property
    def photo_url(self) -> str:
        return f"https://{MEDIA}/photos/{self.id}.jpg"


def embed_markup(post: ExamplePost) -> str:
    """What the platform's embed tool gives a newsroom: a div its widget.js turns into a card."""
    return (
        f'<div class="exs-post" data-exs-post="{html.escape(post.url)}">'
        f'<p>{html.escape(post.text)}</p>&mdash; {html.escape(post.name)} '
        f'<a href="{html.escape(post.url)}">on Example Social</a></div>\n'
        f'<script async src="https://{SITE}/widget.js"></script>'
    )


WIDGET_JS = """
document.querySelectorAll('div.exs-post').forEach(function (div) {
  var m = /\\/(\\d+)$/.exec(div.getAttribute('data-exs-post') || '');
  if (!m) return;
  var frame = document.createElement('iframe');
  frame.src = 'https://example-social.net/embed/' + m[1];
  frame.className = 'exs-frame';
  frame.style.cssText = 'width:500px;height:320px;border:0;display:block';
  div.parentNode.replaceChild(frame, div);
});
"""


def _card(post: ExamplePost) -> str:
    photo = f'<img src="{post.photo_url}" width="160" height="120" alt="">' if post.photo else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
        "body{margin:0;font-family:sans-serif}.exs-card{width:460px;margin:8px;padding:12px;"
        "border:2px solid #4a6;border-radius:10px;background:#f4fff6}</style></head><body>"
        f'<div class="exs-card"><b>{html.escape(post.name)}</b> @{html.escape(post.handle)}'
        f"<p>{html.escape(post.text)}</p>{photo}</div>"
        "<script>window.addEventListener('load', function () {"
        "document.querySelector('.exs-card').setAttribute('data-ready', '1');});</script>"
        "</body></html>"
    )


def respond(world: World, host: str, path: str) -> Response:
    from .handlers import Response, _html, _json, _not_found

    posts = world.example_posts
    if host == API:
        m = _API_PATH.match(path)
        post = posts.get(m.group(1)) if m else None
        if post is None or post.status == "deleted":
            return _json(404, {"error": "not found"})
        if post.status == "private":
            return _json(403, {"error": "private"})
        body: dict[str, object] = {
            "id": post.id, "author": {"handle": post.handle, "name": post.name}, "text": post.text,
            "created_at": post.created_at, "photos": [post.photo_url] if post.photo else [],
        }
        return _json(200, body)
    if host == MEDIA:
        m = _PHOTO_PATH.match(path)
        post = posts.get(m.group(1)) if m else None
        if post is None or not post.photo:
            return _not_found()
        data = media_gen.jpeg(post.name, 640, 480, int(post.id), False, None)
        return Response(200, {"Content-Type": "image/jpeg"}, data)
    if path == "/widget.js":
        return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, WIDGET_JS.encode())
    m = _EMBED_PATH.match(path)
    if m:
        post = posts.get(m.group(1))
        if post is None or post.status != "live":
            return _html(404, "<p>This post is not available.</p>")
        return _html(200, _card(post))
    m = _POST_PATH.match(path)
    if m and m.group(2) in posts:
        post = posts[m.group(2)]
        return _html(200, f"<title>{html.escape(post.name)}</title><p>{html.escape(post.text)}</p>")
    return _not_found()


__all__ = ["HOSTS", "ExamplePost", "embed_markup", "respond"]

"""A fake Threads (field guide PLATFORMS_OTHER.md §7, §11): embed pages, ``embed.js``,
Meta's tokenless oEmbed with its hourly limit, and real media files.

Hosts: ``www.threads.com`` (``/@<user>/post/<code>/embed`` and ``/t/<code>/embed`` the
embed page, ``/t/<code>`` 301 to the permalink, ``/embed.js``, ``/accounts/login/``),
``threads.com`` and ``www.threads.net``/``threads.net`` (301 to the same path on
www.threads.com), ``graph.threads.net`` (``/v1.0/oembed?url=``) and
``scontent.cdninstagram.com`` (``/v/t51/<key>.jpg`` photos and posters, ``.mp4`` real MP4s).

The embed page is served rendered (the post's author, text, time and media in its HTML):
the guide says only that Threads renders client-side; this shape (``.BodyTextContainer``,
``[class*=MediaContainer]``) is the fake's choice. Post states: ``live``; ``deleted`` and
``private`` (the embed page says "This post is unavailable."; oEmbed answers
:data:`OEMBED_ERROR`: Meta's error bodies are UNCONFIRMED, so it is ``ThreadsState.oembed_error``);
``login`` (the embed page redirects to the login page); ``consent`` (the post under a
cookie dialog). ``ThreadsState.oembed_limit`` requests an hour are answered, then
:data:`OEMBED_LIMITED` (Graph API code 4) until the fake's hour turns (never, in a test);
``rate_limited = True`` answers it at once.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WEB = "www.threads.com"
ALIASES = frozenset({"threads.com", "www.threads.net", "threads.net"})
GRAPH = "graph.threads.net"
CDN = "scontent.cdninstagram.com"
HOSTS = frozenset({WEB, GRAPH, CDN}) | ALIASES

OEMBED_ERROR: dict[str, object] = {
    "error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100, "error_subcode": 2207067,
              "fbtrace_id": "AbCdEfGhIjK"}
}
OEMBED_LIMITED: dict[str, object] = {
    "error": {"message": "(#4) Application request limit reached", "type": "OAuthException", "is_transient": True,
              "code": 4, "fbtrace_id": "AbCdEfGhIjL"}
}


@dataclass
class ThreadsMedia:
    kind: Literal["photo", "video"]
    key: str
    label: str
    width: int = 720
    height: int = 900
    alt: str = ""

    @property
    def url(self) -> str:
        query = "?_nc_ht=scontent.cdninstagram.com&_nc_cat=1" if self.kind == "video" else "?stp=dst-jpg_e35&_nc_ht=scontent.cdninstagram.com"
        return f"https://{CDN}/v/t51/{self.key}.{'mp4' if self.kind == 'video' else 'jpg'}{query}"

    @property
    def poster(self) -> str:
        return f"https://{CDN}/v/t51/{self.key}-poster.jpg"


@dataclass
class ThreadsPost:
    code: str
    user: str
    text: str
    created_at: str = "2026-03-01T11:00:00+00:00"
    media: list[ThreadsMedia] = field(default_factory=list)
    state: Literal["live", "deleted", "private", "login", "consent"] = "live"

    @property
    def url(self) -> str:
        return f"https://www.threads.com/@{self.user}/post/{self.code}"


@dataclass
class ThreadsState:
    posts: dict[str, ThreadsPost] = field(default_factory=dict)
    oembed_error: dict[str, object] = field(default_factory=lambda: json.loads(json.dumps(OEMBED_ERROR)))
    """The body of oEmbed's 400 for a post it does not serve (UNCONFIRMED in the guide)."""
    oembed_limit: int = 1000
    oembed_asked: int = 0
    rate_limited: bool = False

    def add_post(self, post: ThreadsPost) -> ThreadsPost:
        self.posts[post.code] = post
        return post

    def media(self, key: str) -> ThreadsMedia | None:
        return next((m for p in self.posts.values() for m in p.media if m.key == key), None)


EMBED_JS = r"""
(function () {
  document.querySelectorAll('blockquote.text-post-media[data-text-post-permalink]').forEach(function (quote) {
    var frame = document.createElement('iframe');
    frame.src = quote.getAttribute('data-text-post-permalink').replace(/\/$/, '') + '/embed';
    frame.className = 'text-post-media-rendered';
    frame.width = '100%'; frame.frameBorder = '0'; frame.scrolling = 'no';
    frame.style.cssText = 'border:none;max-width:650px;min-width:270px;height:0';
    quote.replaceWith(frame);
  });
  window.addEventListener('message', function (e) {
    if (!e.data || e.data.type !== 'MEASURE') return;
    document.querySelectorAll('iframe.text-post-media-rendered').forEach(function (frame) {
      if (frame.contentWindow === e.source) frame.style.height = e.data.height + 'px';
    });
  });
})();
"""

_STYLE = """<style>body{margin:0;font:15px sans-serif;background:#fff}
.Post{max-width:560px;border:1px solid #00000026;border-radius:16px;padding:14px 16px;background:#fff}
.NameContainer{font-weight:bold}.Timestamp{color:#999;margin-left:8px;font-size:13px}
.BodyTextContainer{margin:8px 0}.SingleInnerMediaContainer img,.SingleInnerMediaContainer video{max-width:100%;height:auto;display:block;border-radius:8px;margin-top:6px}
.Footer{color:#999;font-size:13px}[role=dialog]{position:fixed;inset:0;background:#fff;padding:40px}</style>"""
_MEASURE = ("<script>window.addEventListener('load',function(){parent.postMessage({type:'MEASURE',"
            "height:document.body.scrollHeight},'*');});</script>")


def _media_html(post: ThreadsPost) -> str:
    items = []
    for m in post.media:
        if m.kind == "photo":
            items.append(f'<div class="SingleInnerMediaContainer"><img class="img" src="{html.escape(m.url)}" '
                         f'alt="{html.escape(m.alt)}" width="{m.width}" height="{m.height}"></div>')
        else:
            items.append(f'<div class="SingleInnerMediaContainer"><video src="{html.escape(m.url)}" poster="{m.poster}" '
                         'playsinline muted preload="none"></video></div>')
    return f'<div class="MediaContainer">{"".join(items)}</div>' if items else ""


def embed_page(post: ThreadsPost | None) -> str:
    if post is None or post.state in ("deleted", "private"):
        inner = '<div class="Post"><p class="Unavailable">This post is unavailable.</p></div>'
    else:
        text = html.escape(post.text).replace("\n", "<br>")
        inner = (
            f'<div class="Post"><div class="Header"><a class="HeaderContainer" href="https://www.threads.com/@{post.user}">'
            f'<span class="NameContainer">{html.escape(post.user)}</span></a>'
            f'<a class="Timestamp" href="{post.url}"><time datetime="{post.created_at}">{post.created_at[:10]}</time></a></div>'
            f'<div class="BodyTextContainer"><span>{text}</span></div>{_media_html(post)}'
            f'<a class="Footer" href="{post.url}">View on Threads</a></div>'
        )
        if post.state == "consent":
            inner += ('<div role="dialog"><h2>Allow the use of cookies from Threads by Instagram on this browser?</h2>'
                      '<button>Allow all cookies</button><button>Decline optional cookies</button></div>')
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Threads</title>{_STYLE}</head>'
            f"<body>{inner}{_MEASURE}</body></html>")


def _oembed(state: ThreadsState, query: dict[str, list[str]]) -> Response:
    from .handlers import _json

    if state.rate_limited or state.oembed_asked >= state.oembed_limit:
        return _json(400, OEMBED_LIMITED)
    state.oembed_asked += 1
    url = query.get("url", [""])[0]
    parts = [p for p in urlsplit(url).path.split("/") if p]
    code = parts[-1] if parts else ""
    post = state.posts.get(code)
    if post is None or post.state in ("deleted", "private"):
        return _json(400, state.oembed_error)
    snippet = (
        f'<blockquote class="text-post-media" data-text-post-permalink="{post.url}" data-text-post-version="0" '
        f'id="ig-tp-{post.code}" style="background:#FFF; border-width:1px; border-style:solid; border-color:#00000026; '
        f'border-radius:16px; max-width:650px; margin:1px; min-width:270px; padding:0; width:99.375%;">'
        f'<a href="{post.url}" style="background:#FFFFFF; line-height:0; padding:0 0; text-align:center; '
        f'text-decoration:none; width:100%; font-family:sans-serif;" target="_blank">View on Threads</a></blockquote>'
        '<script async src="https://www.threads.com/embed.js"></script>'
    )
    return _json(200, {"type": "rich", "version": "1.0", "html": snippet, "provider_name": "Threads",
                       "provider_url": "https://www.threads.com/", "width": 658})


def respond(world: World, host: str, path_qs: str) -> Response:
    from .handlers import Response, _html, _not_found, _redirect

    state = world.threads
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    if host in ALIASES:
        return _redirect(f"https://{WEB}{path_qs}")
    if host == GRAPH:
        return _oembed(state, query) if path == "/v1.0/oembed" else _not_found()
    if host == CDN:
        name = path.rsplit("/", 1)[-1]
        key, _, ext = name.rpartition(".")
        poster = key.endswith("-poster")
        item = state.media(key.removesuffix("-poster"))
        if item is None:
            return _not_found()
        if ext == "mp4" and item.kind == "video" and not poster:
            body = media_gen.mp4(f"th-{item.key}", item.width, item.height, audio=True)
            return Response(200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, body)
        if ext == "jpg" and (item.kind == "photo" or poster):
            return Response(200, {"Content-Type": "image/jpeg"}, media_gen.jpeg(item.label, item.width, item.height, 7, False, None))
        return _not_found()
    if path == "/embed.js":
        return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, EMBED_JS.encode())
    if path.startswith("/accounts/login"):
        return _html(200, '<!DOCTYPE html><html><body><form><input name="username"><input type="password" name="password">'
                          "<button>Log in</button></form></body></html>")
    parts = [p for p in path.split("/") if p]
    embed = parts[-1:] == ["embed"]
    if embed:
        parts = parts[:-1]
    code = parts[-1] if parts else ""
    post = state.posts.get(code)
    named = (len(parts) == 2 and parts[0] == "t") or (len(parts) == 3 and parts[0].startswith("@") and parts[1] == "post")
    if not named:
        return _not_found()
    if post is not None and post.state == "login":
        return _redirect(f"https://{WEB}/accounts/login/?next={path}", 302)
    if parts[0] == "t" and post is not None:
        return _redirect(post.url + ("/embed" if embed else ""))
    if embed:
        return _html(200, embed_page(post))
    return _html(200, '<!DOCTYPE html><html><head><title>Threads</title></head><body><div id="root"></div></body></html>')


def blockquote(post: ThreadsPost, host: str = "www.threads.com") -> str:
    """The official snippet a newsroom pastes (field guide §7.1)."""
    permalink = post.url.replace("www.threads.com", host)
    return (
        f'<blockquote class="text-post-media" data-text-post-permalink="{permalink}" data-text-post-version="0" '
        f'id="ig-tp-{post.code}" style="background:#FFF; border-width:1px; border-style:solid; border-color:#00000026; '
        f'border-radius:16px; max-width:650px; margin:1px; min-width:270px; padding:0; width:99.375%;">'
        f'<a href="{permalink}" target="_blank">View on Threads</a></blockquote>'
        f'<script async src="https://{host}/embed.js"></script>'
    )


__all__ = ["HOSTS", "OEMBED_ERROR", "OEMBED_LIMITED", "ThreadsMedia", "ThreadsPost", "ThreadsState", "blockquote", "embed_page",
           "respond"]

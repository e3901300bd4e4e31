"""A fake Instagram (field guide PLATFORMS_OTHER.md §4, §11): the embed page, embed.js, the
post page yt-dlp reads, the logged-out ruling API, share links and a signed-URL CDN.
Meta's oEmbed for Instagram lives on ``graph.facebook.com``, served by ``facebook.py``
(one Graph host, one hourly limit per endpoint).

Hosts: ``www.instagram.com`` (``instagram.com``, ``m.instagram.com``, ``instagr.am``: 301
there) and ``scontent-lhr8-1.cdninstagram.com``.

- ``/``: the home page with the LSD token (``<script id="__eqmc">{"l": …}``) and a
  ``csrftoken`` cookie, as yt-dlp reads them;
- ``/embed.js``: turns each ``blockquote.instagram-media`` into
  ``iframe.instagram-media.instagram-media-rendered#instagram-embed-N`` of
  ``/p/<code>/embed/captioned/?cr=1&v=14…``;
- ``/p/<code>/embed/`` and ``/embed/captioned/``: a live post's card (``.Embed``,
  ``.UsernameText``, ``img.EmbeddedMediaImage``, ``.Caption``) with its
  ``shortcode_media`` in a ``contextJSON`` string; ``WatchOnInstagram`` for a video. A
  private, deleted, embedding-disabled or restricted post: an embed without media
  (``EmbedIsBroken``), the same for all four, as the guide says;
- ``/p/<code>`` (``/p/<code>/``, ``/reel/<code>/``, ``/tv/<code>/``): the post page, its
  ``xig_polaris_media`` in a ``data-sjs`` ``RelayPrefetchedStreamCache`` blob;
- ``/api/v1/web/get_ruling_for_content/``: ``{"status": "ok"}``, with "Restricted Video"
  for a restricted post;
- ``/share/<code>/``, ``/share/p/<code>/``, ``/share/reel/<code>/``: 302 to the post;
- ``/accounts/login/``: the login page. A post in state ``login`` sends every anonymous
  page of it there (the anonymous rate limit), while its oEmbed answers.

CDN URLs carry ``oe`` (expiry, hex epoch) and ``oh`` (a signature); after
``InstagramState.url_lifetime`` seconds, or tampered with, they answer 403.
"""

from __future__ import annotations

import hashlib
import html
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WEB = "www.instagram.com"
ALIASES = frozenset({"instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am"})
CDN = "scontent-lhr8-1.cdninstagram.com"
HOSTS = frozenset({WEB, CDN}) | ALIASES
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
LSD = "AVqbxe3J_YA"

PostState = Literal["live", "private", "deleted", "embed_disabled", "restricted", "login"]
Kind = Literal["photo", "video", "carousel"]


def pk_of(code: str) -> int:
    """The numeric media id a shortcode encodes (base 64), as yt-dlp computes it."""
    n = 0
    for c in code[:-28] if len(code) > 28 else code:
        n = n * 64 + ALPHABET.index(c)
    return n


@dataclass
class IgPost:
    code: str
    user: str
    full_name: str
    caption: str
    taken_at: int = 1714550400
    state: PostState = "live"
    kind: Kind = "photo"
    share_code: str | None = None
    width: int = 640
    height: int = 640

    @property
    def url(self) -> str:
        return f"https://www.instagram.com/p/{self.code}/"


@dataclass
class InstagramState:
    posts: dict[str, IgPost] = field(default_factory=dict)
    url_lifetime: float = 3600.0
    """Seconds a signed CDN URL works."""

    def add(self, post: IgPost) -> IgPost:
        self.posts[post.code] = post
        return post


def _sign(path: str, expiry: int) -> str:
    return hashlib.sha256(f"{path}|{expiry}".encode()).hexdigest()[:20]


def signed(state: InstagramState, path: str) -> str:
    expiry = int(time.time() + state.url_lifetime)
    return f"https://{CDN}{path}?oe={expiry:08X}&oh={_sign(path, expiry)}&_nc_ht={CDN}"


def _photo_path(post: IgPost, index: int) -> str:
    return f"/v/t51.2885-15/{post.code}_{index}_n.jpg"


def _video_path(post: IgPost, index: int) -> str:
    return f"/o1/v/t16/f2/m86/{post.code}_{index}.mp4"


def _items(post: IgPost) -> list[tuple[bool, int]]:
    """(is_video, index) of each of the post's media."""
    if post.kind == "carousel":
        return [(False, 1), (True, 2), (False, 3)]
    return [(post.kind == "video", 1)]


def shortcode_media(state: InstagramState, post: IgPost) -> dict[str, object]:
    """The embed page's ``shortcode_media`` (older GraphQL shape, field guide §4.3 B)."""

    def node(is_video: bool, index: int) -> dict[str, object]:
        out: dict[str, object] = {
            "__typename": "GraphVideo" if is_video else "GraphImage", "id": str(pk_of(post.code) + index),
            "is_video": is_video, "display_url": signed(state, _photo_path(post, index)),
            "dimensions": {"width": post.width, "height": post.height},
            "accessibility_caption": f"Photo {index} by {post.full_name}",
        }
        if is_video:
            out["video_url"] = signed(state, _video_path(post, index))
        return out

    items = _items(post)
    media: dict[str, object] = {
        **node(*items[0]), "shortcode": post.code, "taken_at_timestamp": post.taken_at,
        "owner": {"id": "42" + str(len(post.user)), "username": post.user, "full_name": post.full_name},
        "edge_media_to_caption": {"edges": [{"node": {"text": post.caption}}]},
    }
    if post.kind == "carousel":
        media["__typename"] = "GraphSidecar"
        media["edge_sidecar_to_children"] = {"edges": [{"node": node(v, i)} for v, i in items]}
    return media


def embed_page(state: InstagramState, post: IgPost | None) -> str:
    if post is None or post.state not in ("live", "login"):
        body = ('<div class="Embed EmbedIsBroken"><div class="EmbedBrokenMedia">'
                '<p>This post may have been removed or is unavailable.</p></div></div>')
        return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>{body}</body></html>"
    media = shortcode_media(state, post)
    context = json.dumps({"context": {"type": "Captioned"}, "gql_data": {"shortcode_media": media}})
    first = media.get("display_url")
    video = post.kind == "video"
    watch = '<a class="WatchOnInstagram" href="%s">Watch on Instagram</a>' % html.escape(post.url) if video else ""
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Instagram</title></head>"
        "<body style='margin:0;font:14px sans-serif'>"
        f"<div class='Embed Captioned' style='width:540px;border:1px solid #dbdbdb;border-radius:3px'>"
        f"<div class='Header' style='padding:12px'><a class='UsernameText' href='https://www.instagram.com/{post.user}/'>"
        f"{html.escape(post.user)}</a></div>"
        f"<div class='EmbeddedMedia'><img class='EmbeddedMediaImage' alt='{html.escape(post.caption)}' "
        f"src='{html.escape(str(first))}' width='540' height='{540 * post.height // post.width}'>{watch}</div>"
        f"<div class='Caption' style='padding:12px'><a class='CaptionUsername' href='https://www.instagram.com/{post.user}/'>"
        f"{html.escape(post.user)}</a> {html.escape(post.caption)}<div class='CaptionComments'>View all 3 comments</div></div>"
        "</div>"
        f"<script>window.__instagramEmbed = {{\"contextJSON\":{json.dumps(context)}}};</script>"
        "</body></html>"
    )


def _product(state: InstagramState, post: IgPost) -> dict[str, object]:
    """``xig_polaris_media.if_not_gated_logged_out``: the API v1 shape yt-dlp reads (§4.5)."""

    def media(is_video: bool, index: int) -> dict[str, object]:
        out: dict[str, object] = {
            "pk": str(pk_of(post.code)) if index == 1 else str(pk_of(post.code) * 10 + index),
            "media_type": 2 if is_video else 1,
            "image_versions2": {"candidates": [
                {"url": signed(state, _photo_path(post, index)), "width": post.width, "height": post.height},
            ]},
        }
        if is_video:
            out["video_versions"] = [{"type": 101, "id": f"{index}01", "width": post.width, "height": post.height,
                                      "url": signed(state, _video_path(post, index))}]
            out["video_duration"] = 1.0
            out["has_audio"] = True
        return out

    items = _items(post)
    product: dict[str, object] = {
        **media(*items[0]), "code": post.code, "taken_at": post.taken_at,
        "user": {"pk": "42" + str(len(post.user)), "username": post.user, "full_name": post.full_name},
        "caption": {"text": post.caption}, "like_count": 7, "comment_count": 3,
    }
    if post.kind == "carousel":
        product["carousel_media"] = [media(v, i) for v, i in items]
    return product


def post_page(state: InstagramState, post: IgPost | None) -> str:
    data: dict[str, object] = {"xig_polaris_media": None}
    if post is not None and post.state == "live":
        data = {"xig_polaris_media": {"if_not_gated_logged_out": _product(state, post)}}
    blob = {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"require": [
        ["RelayPrefetchedStreamCache", "next", [], [
            "adp_PolarisPostRootQueryRelayPreloader_1", {"__bbox": {"complete": True, "result": {"data": data}}},
        ]],
    ]}}]]]}
    title = html.escape(f"{post.full_name} on Instagram: {post.caption}") if post else "Instagram"
    payload = json.dumps(blob).replace("</", "<\\/")
    return (f"<!DOCTYPE html><html><head><title>{title}</title></head><body>"
            f'<script type="application/json" data-content-len="{len(payload)}" data-sjs>{payload}</script>'
            "</body></html>")


EMBED_JS = r"""
(function () {
  var n = 0;
  function process() {
    var quotes = document.querySelectorAll('blockquote.instagram-media');
    for (var i = 0; i < quotes.length; i++) {
      var q = quotes[i];
      var link = q.getAttribute('data-instgrm-permalink') || ((q.querySelector('a[href]') || {}).href || '');
      var m = /instagram\.com\/(?:[\w.]+\/)?(?:p|tv|reels?)\/([\w-]+)/.exec(link);
      if (!m) continue;
      var frame = document.createElement('iframe');
      frame.className = 'instagram-media instagram-media-rendered';
      frame.id = 'instagram-embed-' + (n++);
      frame.src = 'https://www.instagram.com/p/' + m[1] + '/embed/' +
        (q.hasAttribute('data-instgrm-captioned') ? 'captioned/' : '') + '?cr=1&v=14&wp=540&rd=' +
        encodeURIComponent(location.origin) + '&rp=' + encodeURIComponent(location.pathname);
      frame.setAttribute('data-instgrm-payload-id', 'instagram-media-payload-' + (n - 1));
      frame.style.cssText = 'background:white;max-width:540px;width:540px;height:760px;border:0;display:block';
      q.parentNode.replaceChild(frame, q);
    }
  }
  window.instgrm = {Embeds: {process: process}};
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', process); else process();
})();
"""

LOGIN_PAGE = ("<!DOCTYPE html><html><head><title>Login • Instagram</title></head><body>"
              "<form id='loginForm' action='/accounts/login/ajax/' method='post'><input name='username' type='text'>"
              "<input name='password' type='password'><button>Log in</button></form></body></html>")


def _cdn(state: InstagramState, path: str, query: dict[str, list[str]]) -> Response:
    from .handlers import Response, _not_found

    code = path.rsplit("/", 1)[-1].split("_", 1)[0].split(".", 1)[0]
    post = state.posts.get(code)
    expiry_hex, signature = query.get("oe", [""])[0], query.get("oh", [""])[0]
    try:
        expiry = int(expiry_hex, 16)
    except ValueError:
        return Response(403, {"Content-Type": "text/plain"}, b"Bad URL hash\n")
    if signature != _sign(path, expiry):
        return Response(403, {"Content-Type": "text/plain"}, b"Bad URL hash\n")
    if expiry < time.time():
        return Response(403, {"Content-Type": "text/plain"}, b"URL signature expired\n")
    if post is None or post.state not in ("live", "login"):
        return _not_found()
    if path.endswith(".mp4"):
        body = media_gen.mp4(f"ig-{path}", post.width // 2, post.height // 2, audio=True)
        return Response(200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, body)
    return Response(200, {"Content-Type": "image/jpeg"}, media_gen.jpeg(f"{post.user} {path[-12:]}", post.width, post.height, 5, False, None))


def oembed(world: World, url: str) -> tuple[int, dict[str, object]]:
    """``instagram_oembed``'s answer for a post URL (asked through graph.facebook.com)."""
    from urllib.parse import urlsplit as split

    parts = split(unquote(url))
    segments = [s for s in parts.path.split("/") if s]
    code = next((segments[i + 1] for i, s in enumerate(segments[:-1]) if s in ("p", "reel", "reels", "tv")), "")
    post = world.instagram.posts.get(code)
    if post is None or post.state not in ("live", "login"):
        return 400, {"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
                               "error_subcode": 2207046, "is_transient": False,
                               "error_user_title": "Media not found or unavailable", "fbtrace_id": "AfakeTrace01"}}
    permalink = f"https://www.instagram.com/p/{post.code}/?utm_source=ig_embed&amp;utm_campaign=loading"
    markup = (
        f'<blockquote class="instagram-media" data-instgrm-captioned data-instgrm-permalink="{permalink}" '
        'data-instgrm-version="14" style="background:#FFF; border:0; max-width:540px; min-width:326px;">'
        f'<div style="padding:16px;"><a href="{permalink}" target="_blank">View this post on Instagram</a>'
        f"<p>{html.escape(post.caption)}</p></div></blockquote>"
    )
    return 200, {"version": "1.0", "provider_name": "Instagram", "provider_url": "https://www.instagram.com/",
                 "type": "rich", "width": 658, "html": markup}


def respond(world: World, host: str, path_qs: str) -> Response | None:
    """Instagram's answer, or None when ``host`` is none of Instagram's."""
    from .handlers import Response, _html, _json, _not_found, _redirect

    if host not in HOSTS:
        return None
    state = world.instagram
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    if host in ALIASES:
        return _redirect(f"https://{WEB}{path_qs}")
    if host == CDN:
        return _cdn(state, path, query)
    if path == "/":
        return _html(200, "<!DOCTYPE html><html><head><title>Instagram</title></head><body>"
                          f'<script type="application/json" id="__eqmc">{{"l":"{LSD}","u":"/"}}</script></body></html>',
                     **{"Set-Cookie": "csrftoken=fakeCsrf0123456789; Path=/; Domain=.instagram.com; Secure"})
    if path == "/embed.js":
        return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, EMBED_JS.encode())
    if path.startswith("/accounts/login"):
        return _html(200, LOGIN_PAGE)
    if path == "/api/v1/web/get_ruling_for_content/":
        target = query.get("target_id", [""])[0]
        post = next((p for p in state.posts.values() if str(pk_of(p.code)) == target), None)
        if post is not None and post.state == "restricted":
            return _json(200, {"status": "ok", "title": "Restricted Video",
                               "description": "You must be 18 years old or over to see this video."})
        return _json(200, {"status": "ok"})
    segments = [s for s in path.split("/") if s]
    if segments[:1] == ["share"] and segments:
        code = segments[-1]
        post = next((p for p in state.posts.values() if p.share_code == code), None)
        return _redirect(post.url, 302) if post else _redirect("https://www.instagram.com/", 302)
    if len(segments) >= 2 and segments[0] in ("p", "reel", "reels", "tv"):
        post = state.posts.get(segments[1])
        if post is not None and post.state == "login":
            return _redirect("https://www.instagram.com/accounts/login/?next=" + quote(path), 302)
        if len(segments) >= 3 and segments[2] == "embed":
            return _html(200, embed_page(state, post))
        return _html(200, post_page(state, post))
    return _not_found()


__all__ = ["HOSTS", "IgPost", "InstagramState", "embed_page", "oembed", "pk_of", "respond", "signed"]

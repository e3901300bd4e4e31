"""A fake Facebook and Meta's Graph oEmbed (field guide PLATFORMS_OTHER.md §0.3, §6, §11).

Hosts:

- ``graph.facebook.com``: ``/v<N>/oembed_post``, ``/v<N>/oembed_video`` and (for
  Instagram, ``instagram.py``) ``/v<N>/instagram_oembed``, tokenless. 200 with the reduced
  fields (no author, no thumbnail); a post not served: 400 Graph error code 100 "Invalid
  parameter" (the guide marks the body UNCONFIRMED); ``GraphState.hourly_limit``: past
  that many calls to one endpoint in an hour, 400 code 4 "Application request limit
  reached" (``is_transient``); ``GraphState.limit_status`` makes that answer a 429.
- ``www.facebook.com`` (``facebook.com``, ``m.facebook.com``, ``web.facebook.com``: 301
  there): ``/plugins/post.php?href=`` and ``/plugins/video.php?href=`` (the card: author,
  ``abbr[data-utime]``, ``[data-testid=post_message]``, photos, a ``video``; or "This
  Facebook post is no longer available…"); post pages (``/<owner>/posts/<id>``,
  ``permalink.php``, ``video.php?v=``, ``watch/?v=``, ``photo.php?fbid=``, ``/reel/<id>``)
  with og tags and, for videos, a ``data-sjs`` ``RelayPrefetchedStreamCache`` blob naming
  the MP4s as yt-dlp reads them; "Sorry, this content isn't available right now" for a
  post gone or hidden; ``/login/`` (``#login_form``); ``/share/{p,v,r}/<code>/``: 302 to
  the post.
- ``fb.watch/<code>/``: 302 to the video.
- ``connect.facebook.net/<locale>/sdk.js``: XFBML, each ``div.fb-post`` / ``div.fb-video``
  given an iframe of its plugin page, the class ``fb_iframe_widget`` and
  ``fb-xfbml-state="rendered"``.
- ``scontent.xx.fbcdn.net`` (photos) and ``video.xx.fbcdn.net`` (real MP4s).

Post states: ``live``; ``deleted`` and ``private`` (oEmbed 400; the plugin page's "no
longer available"; the post page's "isn't available"); ``logged_out`` (a public post whose
plugin page still shows logged-out readers "no longer available", field guide §6.3: oEmbed
200); ``login`` (every anonymous page of it redirects to ``/login/``; oEmbed 200).
"""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WEB = "www.facebook.com"
ALIASES = frozenset({"facebook.com", "m.facebook.com", "web.facebook.com", "de-de.facebook.com"})
GRAPH = "graph.facebook.com"
SDK = "connect.facebook.net"
SHORT = "fb.watch"
PHOTOS = "scontent.xx.fbcdn.net"
VIDEOS = "video.xx.fbcdn.net"
HOSTS = frozenset({WEB, GRAPH, SDK, SHORT, PHOTOS, VIDEOS}) | ALIASES

PostState = Literal["live", "deleted", "private", "logged_out", "login"]
Kind = Literal["post", "video", "photo"]
NO_LONGER = ("This Facebook post is no longer available. It may have been deleted or its privacy settings "
             "have been changed.")
NOT_AVAILABLE = ("Sorry, this content isn't available right now. The link you followed may have expired, or the "
                 "page may only be visible to an audience you're not in.")


@dataclass
class FbPost:
    id: str
    owner: str
    page_name: str
    text: str
    created: int = 1714550400
    kind: Kind = "post"
    photos: int = 0
    video: bool = False
    """A post holding a video (a ``video`` post always does)."""
    state: PostState = "live"
    short_code: str | None = None
    """``fb.watch/<code>`` leads here."""
    share_code: str | None = None
    """``/share/p/<code>/`` (``/share/v/`` for a video) leads here."""

    @property
    def native_id(self) -> str:
        if self.kind == "video":
            return f"videos/{self.id}"
        if self.kind == "photo":
            return f"photos/{self.id}"
        return f"{self.owner.lower()}/posts/{self.id}"

    @property
    def url(self) -> str:
        if self.kind == "video":
            return f"https://www.facebook.com/{self.owner}/videos/{self.id}/"
        if self.kind == "photo":
            return f"https://www.facebook.com/photo.php?fbid={self.id}"
        return f"https://www.facebook.com/{self.owner}/posts/{self.id}"

    @property
    def has_video(self) -> bool:
        return self.kind == "video" or self.video

    def photo_urls(self) -> list[str]:
        count = self.photos if self.kind != "photo" else max(1, self.photos)
        return [f"https://{PHOTOS}/v/t39.30808-6/{self.id}_{i}_n.jpg?_nc_cat=1&oh=00_fake" for i in range(1, count + 1)]

    def video_urls(self) -> tuple[str, str]:
        return (f"https://{VIDEOS}/o1/v/t2/f2/m69/{self.id}_sd.mp4?efg=fake&oh=00_sd",
                f"https://{VIDEOS}/o1/v/t2/f2/m69/{self.id}_hd.mp4?efg=fake&oh=00_hd")


@dataclass
class GraphState:
    hourly_limit: int | None = None
    """Calls one oEmbed endpoint answers in an hour before refusing (Meta's: 1,000)."""
    limit_status: int = 400
    """The HTTP status of the refusal (its body is the Graph error code 4)."""
    calls: dict[str, list[float]] = field(default_factory=dict)


@dataclass
class FacebookState:
    posts: dict[str, FbPost] = field(default_factory=dict)
    """By the post's own id (number)."""
    graph: GraphState = field(default_factory=GraphState)

    def add(self, post: FbPost) -> FbPost:
        self.posts[post.id] = post
        return post

    def find(self, url: str) -> FbPost | None:
        """The post a Facebook URL names (by the last id it holds)."""
        numbers = re.findall(r"(?:pfbid[A-Za-z0-9]+|\d{5,})", unquote(url))
        for number in reversed(numbers):
            if number in self.posts:
                return self.posts[number]
        return None


def _error(status: int, code: int, message: str, transient: bool = False) -> tuple[int, dict[str, object]]:
    return status, {"error": {"message": message, "type": "OAuthException", "code": code,
                              "is_transient": transient, "fbtrace_id": "AfakeTrace02"}}


def _facebook_oembed(state: FacebookState, endpoint: str, url: str) -> tuple[int, dict[str, object]]:
    post = state.find(url)
    wanted_video = endpoint == "oembed_video"
    if post is None or post.state in ("deleted", "private") or (post.kind == "video") != wanted_video:
        return _error(400, 100, "Invalid parameter")
    date = time.strftime("%A, %B %-d, %Y", time.gmtime(post.created))
    cls = "fb-video" if wanted_video else "fb-post"
    markup = (
        '<div id="fb-root"></div><script async="1" defer="1" crossorigin="anonymous" '
        'src="https://connect.facebook.net/en_US/sdk.js#xfbml=1&amp;version=v24.0"></script>'
        f'<div class="{cls}" data-href="{html.escape(post.url)}" data-width="500">'
        f'<blockquote cite="{html.escape(post.url)}" class="fb-xfbml-parse-ignore"><p>{html.escape(post.text)}</p>'
        f'Posted by <a href="https://www.facebook.com/{post.owner}">{html.escape(post.page_name)}</a> on '
        f'<a href="{html.escape(post.url)}">{date}</a></blockquote></div>'
    )
    return 200, {"type": "video" if wanted_video else "rich", "version": "1.0", "provider_name": "Facebook",
                 "provider_url": "https://www.facebook.com", "width": 500, "height": None, "html": markup}


def _graph(world: World, path: str, query: dict[str, list[str]]) -> Response:
    from .handlers import _json, _not_found
    from .instagram import oembed as instagram_oembed

    m = re.match(r"^/v\d+\.\d+/(oembed_post|oembed_video|instagram_oembed)/?$", path)
    if m is None:
        return _not_found()
    endpoint = m.group(1)
    graph = world.facebook.graph
    now = time.time()
    recent = [t for t in graph.calls.get(endpoint, []) if now - t < 3600]
    recent.append(now)
    graph.calls[endpoint] = recent
    if graph.hourly_limit is not None and len(recent) > graph.hourly_limit:
        status, body = _error(graph.limit_status, 4, "(#4) Application request limit reached", transient=True)
        return _json(status, body)
    url = query.get("url", [""])[0]
    if not url:
        return _json(*_error(400, 100, "The parameter url is required"))
    if endpoint == "instagram_oembed":
        return _json(*instagram_oembed(world, url))
    return _json(*_facebook_oembed(world.facebook, endpoint, url))


def plugin_page(post: FbPost | None) -> str:
    head = "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Facebook</title></head>"
    if post is None or post.state != "live":
        return (f"{head}<body style='margin:0;font:14px Helvetica,Arial,sans-serif'><div class='_4-u2' "
                f"style='width:500px;padding:12px;border:1px solid #dddfe2'>{NO_LONGER}</div></body></html>")
    when = time.strftime("%B %-d, %Y", time.gmtime(post.created))
    photos = "".join(
        f"<div class='_46-i'><img class='scaledImageFitWidth img' src='{html.escape(url)}' width='476' height='357' "
        f"alt='Photo by {html.escape(post.page_name)}'></div>" for url in post.photo_urls()
    )
    video = ""
    if post.has_video:
        sd, _ = post.video_urls()
        video = f"<video src='{html.escape(sd)}' width='476' height='268' controls preload='none'></video>"
    return (
        f"{head}<body style='margin:0;font:14px Helvetica,Arial,sans-serif'>"
        "<div class='_li' style='width:500px;border:1px solid #dddfe2;border-radius:3px;padding:12px;box-sizing:border-box'>"
        f"<div class='_5x46'><span class='fwb fcg'><a href='https://www.facebook.com/{post.owner}/'>"
        f"{html.escape(post.page_name)}</a></span> · <abbr data-utime='{post.created}'>{when}</abbr></div>"
        f"<div data-testid='post_message' class='_5pbx userContent'><p>{html.escape(post.text)}</p></div>"
        f"{photos}{video}</div></body></html>"
    )


def post_page(post: FbPost) -> str:
    """A post or video page, as a logged-out reader gets it: og tags, and for a video the
    relay data yt-dlp's Facebook extractor reads (field guide §6.4)."""
    image = post.photo_urls()[0] if post.photo_urls() else f"https://{PHOTOS}/v/t15.5256-10/{post.id}_thumb_n.jpg"
    blobs = ""
    if post.has_video:
        sd, hd = post.video_urls()
        video = {
            "__typename": "Video", "id": post.id, "videoId": post.id, "playable_url": sd,
            "playable_url_quality_hd": hd, "publish_time": post.created, "playable_duration_in_ms": 1000,
            "owner": {"__typename": "Page", "id": "1000" + post.id[:6], "name": post.page_name},
            "thumbnailImage": {"uri": image}, "name": post.text[:60], "savable_description": {"text": post.text},
        }
        blob = {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"require": [
            ["RelayPrefetchedStreamCache", "next", [], [
                "adp_CometVideoRootQueryRelayPreloader_1",
                {"__bbox": {"complete": True, "result": {"data": {"video": video}}}},
            ]],
        ]}}]]]}
        payload = json.dumps(blob).replace("</", "<\\/")
        blobs = f'<script type="application/json" data-content-len="{len(payload)}" data-sjs>{payload}</script>'
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(post.page_name)} - {html.escape(post.text[:40])} | Facebook</title>"
        f"<meta property='og:title' content='{html.escape(post.page_name)}'>"
        f"<meta property='og:description' content='{html.escape(post.text)}'>"
        f"<meta property='og:image' content='{html.escape(image)}'>"
        f"<meta property='og:url' content='{html.escape(post.url)}'>"
        f"</head><body><div role='main'>{html.escape(post.text)}</div>{blobs}</body></html>"
    )


SDK_JS = r"""
(function () {
  function parse() {
    var nodes = document.querySelectorAll('.fb-post[data-href], .fb-video[data-href]');
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (node.classList.contains('fb_iframe_widget')) continue;
      var video = node.classList.contains('fb-video');
      var frame = document.createElement('iframe');
      frame.src = 'https://www.facebook.com/plugins/' + (video ? 'video' : 'post') + '.php?href=' +
        encodeURIComponent(node.getAttribute('data-href')) + '&show_text=true&width=500';
      frame.width = '500'; frame.height = '520';
      frame.style.cssText = 'border:none;overflow:hidden;display:block';
      frame.setAttribute('scrolling', 'no');
      var quote = node.querySelector('blockquote');
      if (quote) quote.style.display = 'none';
      node.appendChild(frame);
      node.classList.add('fb_iframe_widget');
      node.setAttribute('fb-xfbml-state', 'rendered');
    }
  }
  window.FB = {XFBML: {parse: parse}};
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', parse); else parse();
})();
"""

LOGIN_PAGE = ("<!DOCTYPE html><html><head><title>Log in to Facebook</title></head><body>"
              "<form id='login_form' action='/login/device-based/regular/login/' method='post'>"
              "<input name='email'><input name='pass' type='password'><button id='loginbutton'>Log in</button></form>"
              "</body></html>")


def _post_by_path(state: FacebookState, path: str, query: dict[str, list[str]]) -> FbPost | None:
    for name in ("story_fbid", "v", "fbid", "video_id"):
        for value in query.get(name, []):
            if value in state.posts:
                return state.posts[value]
    m = re.match(r"^/(?:[\w.\-]+/(?:posts|videos|photos)/(?:[^/]+/)?|reel/)(pfbid[A-Za-z0-9]+|\d+)/?$", path)
    return state.posts.get(m.group(1)) if m else None


def respond(world: World, host: str, path_qs: str) -> Response | None:
    """Facebook's (or the Graph API's) answer, or None when ``host`` is none of theirs."""
    from .handlers import Response, _html, _not_found, _redirect

    if host not in HOSTS:
        return None
    state = world.facebook
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    if host == GRAPH:
        return _graph(world, path, query)
    if host in ALIASES:
        return _redirect(f"https://{WEB}{path_qs}")
    if host == SDK:
        if path.endswith(("/sdk.js", "/all.js")):
            return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, SDK_JS.encode())
        return _not_found()
    if host == SHORT:
        code = path.strip("/")
        post = next((p for p in state.posts.values() if p.short_code == code), None)
        return _redirect(f"https://www.facebook.com/watch/?v={post.id}", 302) if post else _redirect(
            "https://www.facebook.com/", 302)
    if host in (PHOTOS, VIDEOS):
        m = re.search(r"/(\d+|pfbid[A-Za-z0-9]+)_", path)
        post = state.posts.get(m.group(1)) if m else None
        if post is None or post.state in ("deleted", "private"):
            return _not_found()
        if host == VIDEOS:
            hd = path.endswith("_hd.mp4")
            body = media_gen.mp4(f"fb-{post.id}-{hd}", 640 if hd else 320, 360 if hd else 180, audio=True)
            return Response(200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, body)
        return Response(200, {"Content-Type": "image/jpeg"}, media_gen.jpeg(f"{post.page_name} {path[-10:]}", 960, 720, 9, False, None))
    if path.startswith("/login"):
        return _html(200, LOGIN_PAGE)
    if path.startswith("/share/"):
        code = path.strip("/").rsplit("/", 1)[-1]
        post = next((p for p in state.posts.values() if p.share_code == code), None)
        return _redirect(post.url, 302) if post else _redirect("https://www.facebook.com/login/", 302)
    if path in ("/plugins/post.php", "/plugins/video.php"):
        href = query.get("href", [""])[0]
        post = state.find(href) if href else None
        if post is not None and post.state == "login":
            return _redirect("https://www.facebook.com/login/?next=" + quote(path_qs, safe=""), 302)
        return _html(200, plugin_page(post))
    post = _post_by_path(state, path.rstrip("/") if path != "/" else path, query) or _post_by_path(state, path, query)
    if post is None:
        return _not_found()
    if post.state == "login":
        return _redirect("https://www.facebook.com/login/?next=" + quote(path_qs, safe=""), 302)
    if post.state in ("deleted", "private"):
        return _html(200, f"<!DOCTYPE html><html><head><title>Facebook</title></head><body>{NOT_AVAILABLE}</body></html>")
    return _html(200, post_page(post))


__all__ = ["HOSTS", "FacebookState", "FbPost", "GraphState", "plugin_page", "respond"]

"""A fake Reddit (field guide PLATFORMS_OTHER.md §9, §11): the posts' JSON with its status
signals and rate-limit headers, the embed page and ``widgets.js``, share and short links,
images on i.redd.it and preview.redd.it, and Reddit-hosted video on v.redd.it as real DASH
streams (a video-only MP4 and an audio-only one), for yt-dlp's own Reddit extractor.

Hosts: ``www.reddit.com`` (``/comments/<id>/.json``, ``/r/<sub>/comments/<id>/<slug>/.json``,
a comment's ``/comments/<id>/_/<cid>/.json``; ``/r/<sub>/s/<code>``: 301 to the permalink;
``/login``), ``reddit.com`` (301 to www), ``old.reddit.com`` (``/``: sets ``loid``, as yt-dlp
expects), ``embed.reddit.com`` (``/widgets.js``, ``/r/…?embed=true``; ``/comments/<id>/``
without the subreddit: a "Page not found" shell, as third-party code reports),
``www.redditmedia.com`` (older iframes, the same page), ``embed.redditmedia.com`` and
``www.redditstatic.com`` (the legacy scripts, no-ops that leave the fallback visible),
``redd.it`` (``/<id>``: 301 to the post), ``i.redd.it`` (originals), ``preview.redd.it``
(smaller copies) and ``v.redd.it`` (``/<vid>/DASHPlaylist.mpd``, ``DASH_<h>.mp4``,
``DASH_AUDIO_128.mp4``; ``HLSPlaylist.m3u8`` answers 404: yt-dlp then keeps to DASH).

Post states: ``live``; ``deleted`` (by its author: ``[deleted]`` author and body,
``removed_by_category: "deleted"``); ``removed`` (by moderators: ``[removed]`` body,
category ``moderator``); ``reddit_removed`` (``anti_evil_ops``); ``filtered``
(``automod_filtered``); ``account_deleted`` (author ``[deleted]``, content intact). Comment
states: ``live``, ``deleted``, ``removed``. Subreddit states: ``public``, ``private`` and
``quarantined`` (403 ``{"reason": …}``), ``banned`` (404 ``{"reason": "banned"}``).
``blocked``: every JSON answer is the "blocked by network security" page (403 HTML);
``login_wall``: every JSON answer a redirect to ``/login/``;
``rate_limited``: 429 with ``X-Ratelimit-Remaining: 0.0``; ``remaining``: the counter sent on
every JSON answer. A post's ``embed_blocked`` makes its embed page the block page.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WEB = "www.reddit.com"
EMBED = "embed.reddit.com"
OLD = "old.reddit.com"
IMAGES = "i.redd.it"
PREVIEWS = "preview.redd.it"
VIDEOS = "v.redd.it"
HOSTS = frozenset({
    WEB, "reddit.com", OLD, EMBED, "www.redditmedia.com", "embed.redditmedia.com", "www.redditstatic.com",
    "redd.it", IMAGES, PREVIEWS, VIDEOS,
})

PostState = Literal["live", "deleted", "removed", "reddit_removed", "filtered", "account_deleted"]
CommentState = Literal["live", "deleted", "removed"]
SubState = Literal["public", "private", "quarantined", "banned"]
BLOCK_PAGE = (
    "<!DOCTYPE html><html><head><title>Blocked</title></head><body><h1>whoa there, pardner!</h1>"
    "<p>You've been blocked by network security.</p><p>To continue, log in to your Reddit account or use your "
    "developer token</p><p>If you think you've been blocked by mistake, file a ticket below and we'll look into it.</p>"
    "</body></html>"
)


@dataclass
class RedditPost:
    id: str
    subreddit: str
    author: str
    title: str
    selftext: str = ""
    created_utc: int = 1714550400
    state: PostState = "live"
    kind: Literal["text", "image", "gallery", "video"] = "text"
    images: int = 1
    """Images of a gallery."""
    share_code: str | None = None
    embed_blocked: bool = False
    width: int = 320
    height: int = 240

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "_", self.title.lower()).strip("_")[:50] or "_"

    @property
    def permalink(self) -> str:
        return f"/r/{self.subreddit}/comments/{self.id}/{self.slug}/"

    @property
    def url(self) -> str:
        return f"https://www.reddit.com{self.permalink}"

    @property
    def video_id(self) -> str:
        return f"vid{self.id}"

    def image_keys(self) -> list[str]:
        if self.kind == "image":
            return [f"img{self.id}"]
        if self.kind == "gallery":
            return [f"gal{self.id}n{i}" for i in range(self.images)]
        return []


@dataclass
class RedditComment:
    id: str
    post_id: str
    author: str
    body: str
    created_utc: int = 1714554000
    state: CommentState = "live"
    share_code: str | None = None


@dataclass
class RedditState:
    posts: dict[str, RedditPost] = field(default_factory=dict)
    comments: dict[str, RedditComment] = field(default_factory=dict)
    subreddits: dict[str, SubState] = field(default_factory=dict)
    blocked: bool = False
    login_wall: bool = False
    rate_limited: bool = False
    remaining: float = 99.0
    reset: int = 300

    def add(self, *things: RedditPost | RedditComment) -> None:
        for thing in things:
            if isinstance(thing, RedditPost):
                self.posts[thing.id] = thing
            else:
                self.comments[thing.id] = thing

    def comment_permalink(self, comment: RedditComment) -> str:
        post = self.posts[comment.post_id]
        return f"{post.permalink}{comment.id}/"


def _preview_url(key: str) -> str:
    return f"https://{PREVIEWS}/{key}.jpg?width=640&format=pjpg&auto=webp&s=0f{key}"


def post_data(post: RedditPost) -> dict[str, object]:
    """A post as ``[0].data.children[0].data`` of its JSON (the guide's fields)."""
    data: dict[str, object] = {
        "id": post.id, "name": f"t3_{post.id}", "title": post.title, "selftext": post.selftext,
        "author": post.author, "subreddit": post.subreddit, "subreddit_name_prefixed": f"r/{post.subreddit}",
        "created_utc": float(post.created_utc), "permalink": post.permalink, "url": post.url, "domain": f"self.{post.subreddit}",
        "is_video": post.kind == "video", "over_18": False, "removed_by_category": None, "is_crosspostable": True,
        "num_comments": 1, "score": 42, "ups": 42, "edited": False, "locked": False, "archived": False,
        "secure_media": None, "media": None, "is_gallery": post.kind == "gallery" or None,
    }
    keys = post.image_keys()
    if post.kind == "image":
        data.update(url=f"https://{IMAGES}/{keys[0]}.jpg", domain="i.redd.it", post_hint="image")
    if post.kind in ("image", "video"):
        key = keys[0] if keys else f"poster{post.id}"
        data["preview"] = {"images": [{"source": {"url": _preview_url(key), "width": 640, "height": 480},
                                       "resolutions": [], "id": key}], "enabled": True}
    if post.kind == "gallery":
        data["url"] = f"https://www.reddit.com/gallery/{post.id}"
        data["gallery_data"] = {"items": [{"media_id": k, "id": i} for i, k in enumerate(keys)]}
        data["media_metadata"] = {
            k: {"status": "valid", "e": "Image", "m": "image/jpg", "id": k,
                "s": {"u": _preview_url(k), "x": 800, "y": 600}, "p": []}
            for k in keys
        }
    if post.kind == "video":
        vid = post.video_id
        video = {
            "bitrate_kbps": 300, "fallback_url": f"https://{VIDEOS}/{vid}/DASH_{post.height}.mp4?source=fallback",
            "height": post.height, "width": post.width, "duration": 1, "is_gif": False,
            "dash_url": f"https://{VIDEOS}/{vid}/DASHPlaylist.mpd?a=1&v=1&f=sd",
            "hls_url": f"https://{VIDEOS}/{vid}/HLSPlaylist.m3u8?a=1&v=1&f=sd", "transcoding_status": "completed",
        }
        data.update(url=f"https://{VIDEOS}/{vid}", domain="v.redd.it", post_hint="hosted:video",
                    secure_media={"reddit_video": video}, media={"reddit_video": video})
    if post.state == "deleted":
        data.update(author="[deleted]", selftext="[deleted]", removed_by_category="deleted")
    elif post.state in ("removed", "reddit_removed", "filtered"):
        category = {"removed": "moderator", "reddit_removed": "anti_evil_ops", "filtered": "automod_filtered"}[post.state]
        data.update(selftext="[removed]", removed_by_category=category)
    elif post.state == "account_deleted":
        data["author"] = "[deleted]"
    if post.state in ("deleted", "removed", "reddit_removed") and post.kind == "gallery":
        data.update(gallery_data=None, media_metadata=None)
    return data


def comment_data(state: RedditState, comment: RedditComment) -> dict[str, object]:
    author, body = comment.author, comment.body
    if comment.state == "deleted":
        author, body = "[deleted]", "[deleted]"
    elif comment.state == "removed":
        author, body = "[deleted]", "[removed]"
    return {
        "id": comment.id, "name": f"t1_{comment.id}", "link_id": f"t3_{comment.post_id}", "parent_id": f"t3_{comment.post_id}",
        "author": author, "body": body, "created_utc": float(comment.created_utc),
        "permalink": state.comment_permalink(comment), "subreddit": state.posts[comment.post_id].subreddit,
        "score": 7, "replies": "", "edited": False,
    }


def _listing(children: list[tuple[str, dict[str, object]]]) -> dict[str, object]:
    return {"kind": "Listing", "data": {"after": None, "before": None, "dist": len(children),
                                        "children": [{"kind": k, "data": d} for k, d in children]}}


def _limits(state: RedditState) -> dict[str, str]:
    used = max(0, 100 - int(state.remaining))
    return {"x-ratelimit-used": str(used), "x-ratelimit-remaining": f"{state.remaining:.1f}", "x-ratelimit-reset": str(state.reset)}


def _json_answer(world: World, segments: list[str]) -> Response:
    from .handlers import Response, _json

    state = world.reddit
    if state.blocked:
        return Response(403, {"Content-Type": "text/html; charset=utf-8"}, BLOCK_PAGE.encode())
    if state.login_wall:
        return Response(302, {"Location": "https://www.reddit.com/login/?dest=https%3A%2F%2Fwww.reddit.com%2F"})
    if state.rate_limited:
        headers = {"Content-Type": "text/html; charset=utf-8", **_limits(state), "x-ratelimit-remaining": "0.0"}
        return Response(429, headers, b"<html><head><title>Too Many Requests</title></head><body>Too Many Requests</body></html>")
    limits = _limits(state)
    if segments[:1] in (["r"], ["u"], ["user"]):
        segments = segments[2:]
    post = state.posts.get(segments[1]) if len(segments) >= 2 else None
    if post is None:
        return _json(404, {"message": "Not Found", "error": 404}, **limits)
    sub = state.subreddits.get(post.subreddit, "public")
    if sub in ("private", "quarantined"):
        return _json(403, {"reason": sub, "message": "Forbidden", "error": 403}, **limits)
    if sub == "banned":
        return _json(404, {"reason": "banned", "message": "Not Found", "error": 404}, **limits)
    rest = [s for s in segments[2:] if s != ".json"]
    comments: list[tuple[str, dict[str, object]]] = []
    if len(rest) >= 2:
        comment = state.comments.get(rest[1])
        if comment is not None and comment.post_id == post.id:
            comments.append(("t1", comment_data(state, comment)))
    else:
        comments = [("t1", comment_data(state, c)) for c in state.comments.values() if c.post_id == post.id][:1]
    return _json(200, [_listing([("t3", post_data(post))]), _listing(comments)], **limits)


def _embed_page(state: RedditState, post: RedditPost | None, comment: RedditComment | None) -> str:
    if post is None:
        return "<!DOCTYPE html><html><head><title>Reddit</title></head><body><h1>Page not found</h1></body></html>"
    if post.embed_blocked:
        return BLOCK_PAGE
    if comment is not None:
        inner = (
            f"<p class='meta'>u/{html.escape(comment.author)} · commented in r/{html.escape(post.subreddit)}</p>"
            f"<p class='body'>{html.escape(comment.body)}</p><p class='from'>on “{html.escape(post.title)}”</p>"
        )
    else:
        media = ""
        keys = post.image_keys()
        if keys:
            media = f"<img src='{_preview_url(keys[0])}' width='300' height='225' alt=''>"
        elif post.kind == "video":
            media = f"<img src='{_preview_url('poster' + post.id)}' width='300' height='225' alt='video'>"
        inner = (
            f"<p class='meta'>r/{html.escape(post.subreddit)} · u/{html.escape(post.author)}</p>"
            f"<h1>{html.escape(post.title)}</h1><p>{html.escape(post.selftext)}</p>{media}"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Reddit embed</title></head>"
        "<body style='margin:0;font:14px sans-serif;background:#fff'>"
        f"<div class='embed-card' style='width:320px;padding:10px;border:1px solid #ccc;border-radius:8px'>{inner}</div>"
        "</body></html>"
    )


WIDGETS_JS = """
(function () {
  function render() {
    document.querySelectorAll('blockquote.reddit-embed-bq').forEach(function (bq) {
      var link = bq.querySelector('a[href]');
      if (!link) return;
      var path = new URL(link.href).pathname;
      var frame = document.createElement('iframe');
      frame.src = 'https://embed.reddit.com' + path + '?embed=true&ref_source=embed&ref=share&utm_medium=widgets'
        + '&utm_source=embedv2&utm_term=23&utm_name=post_embed&embed_host_url=' + encodeURIComponent(location.href);
      frame.width = '360';
      frame.height = String(parseInt(bq.getAttribute('data-embed-height') || '420', 10));
      frame.style.border = 'none';
      frame.setAttribute('scrolling', 'no');
      bq.parentNode.replaceChild(frame, bq);
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render); else render();
})();
"""


def _mpd(post: RedditPost) -> bytes:
    w, h = media_gen.mp4_size(post.width, post.height)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" minBufferTime="PT1.500S" type="static" mediaPresentationDuration="PT1.0S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011">
 <Period duration="PT1.0S">
  <AdaptationSet segmentAlignment="true" subsegmentAlignment="true" subsegmentStartsWithSAP="1" maxWidth="{w}" maxHeight="{h}">
   <Representation id="VIDEO-1" mimeType="video/mp4" codecs="avc1.4d401e" width="{w}" height="{h}" frameRate="10" startWithSAP="1" bandwidth="300000">
    <BaseURL>DASH_{post.height}.mp4</BaseURL>
   </Representation>
  </AdaptationSet>
  <AdaptationSet segmentAlignment="true" subsegmentAlignment="true" subsegmentStartsWithSAP="1">
   <Representation id="AUDIO-1" mimeType="audio/mp4" codecs="mp4a.40.2" bandwidth="64000" audioSamplingRate="44100" startWithSAP="1">
    <BaseURL>DASH_AUDIO_128.mp4</BaseURL>
   </Representation>
  </AdaptationSet>
 </Period>
</MPD>
""".encode()


def _media(state: RedditState, host: str, path: str) -> Response:
    from .handlers import Response, _not_found

    name = path.strip("/")
    if host in (IMAGES, PREVIEWS):
        key = name.removesuffix(".jpg")
        post = next((p for p in state.posts.values() if key in p.image_keys() or key == f"poster{p.id}"), None)
        if post is None:
            return _not_found()
        size = (800, 600) if host == IMAGES and post.kind == "gallery" else (640, 480) if host == IMAGES else (320, 240)
        body = media_gen.jpeg(key, size[0], size[1], 7, False, None)
        return Response(200, {"Content-Type": "image/jpeg", "Cache-Control": "max-age=604800"}, body)
    vid, _, file = name.partition("/")
    post = next((p for p in state.posts.values() if p.kind == "video" and p.video_id == vid), None)
    if post is None or post.state != "live":
        return Response(403, {"Content-Type": "text/plain"}, b"Forbidden")
    if file == "DASHPlaylist.mpd":
        return Response(200, {"Content-Type": "application/dash+xml"}, _mpd(post))
    if file == f"DASH_{post.height}.mp4":
        body = media_gen.mp4(f"reddit-{vid}", post.width, post.height, audio=False)
        return Response(200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, body)
    if file == "DASH_AUDIO_128.mp4":
        return Response(200, {"Content-Type": "audio/mp4", "Accept-Ranges": "bytes"}, media_gen.m4a(f"reddit-{vid}"))
    return _not_found()


def respond(world: World, host: str, path_qs: str) -> Response:
    from .handlers import Response, _html, _not_found, _redirect

    state = world.reddit
    split = urlsplit(path_qs)
    path = split.path or "/"
    segments = [s for s in path.split("/") if s]
    if host in (IMAGES, PREVIEWS, VIDEOS):
        return _media(state, host, path)
    if host == "redd.it":
        return _redirect(f"https://www.reddit.com/comments/{segments[0]}/") if len(segments) == 1 else _not_found()
    if host == "reddit.com":
        return _redirect("https://www.reddit.com" + path_qs)
    if host == "embed.redditmedia.com" or host == "www.redditstatic.com":
        return Response(200, {"Content-Type": "application/javascript"}, b"/* legacy embed script */\n")
    if host == OLD and path == "/":
        headers = {"Set-Cookie": "loid=000000000fake.2.1714550400000.Z0FBQUFBQm; Domain=reddit.com; Path=/; Secure"}
        return _html(200, "<html><head><title>reddit: the front page of the internet</title></head><body></body></html>", **headers)
    if host in (EMBED, "www.redditmedia.com"):
        if path == "/widgets.js":
            return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, WIDGETS_JS.encode())
        if segments[:1] in (["r"], ["u"], ["user"]) and len(segments) >= 4 and segments[2] == "comments":
            post = state.posts.get(segments[3])
            rest = segments[4:]
            cid = rest[1] if len(rest) >= 2 else None  # <slug>/<cid> or comment/<cid>
            comment = state.comments.get(cid) if cid else None
            return _html(200, _embed_page(state, post, comment))
        return _html(200, _embed_page(state, None, None))
    if host != WEB:
        return _not_found()
    if path.startswith("/login"):
        return _html(200, "<html><body><h1>Log in to Reddit</h1></body></html>")
    if len(segments) == 4 and segments[2] == "s":
        code = segments[3]
        post = next((p for p in state.posts.values() if p.share_code == code), None)
        if post is not None:
            return _redirect(f"{post.url}?share_id=fakeShare{code}&utm_content=1&utm_medium=ios_app")
        comment = next((c for c in state.comments.values() if c.share_code == code), None)
        if comment is not None:
            return _redirect(f"https://www.reddit.com{state.comment_permalink(comment)}?share_id=fakeShare{code}")
        return _redirect("https://www.reddit.com/", 302)
    if path.endswith(".json") or parse_qs(split.query).get("raw_json"):
        core = segments[2:] if segments[:1] in (["r"], ["u"], ["user"]) else segments
        if core[:1] == ["comments"]:
            return _json_answer(world, segments)
    if "comments" in segments:
        return _html(200, "<html><head><title>Reddit - Dive into anything</title></head><body><shreddit-app></shreddit-app></body></html>")
    return _not_found()


def sample_state() -> RedditState:
    """The sample world's Reddit: a live post with an image, a video post, a gallery, a live
    comment, posts deleted by their author and removed by moderators, a private subreddit."""
    state = RedditState(subreddits={"secretclub": "private"})
    state.add(
        RedditPost("1fv4r6", "flooding", "riverwatch", "The river at the old mill, this morning", kind="image",
                   share_code="AbCdEf1234"),
        RedditPost("1vid00", "flooding", "bridgecam", "Bridge closing, filmed from the bank", kind="video"),
        RedditPost("1gal00", "flooding", "riverwatch", "Four photos of the flood", kind="gallery", images=3),
        RedditPost("1del00", "flooding", "someone", "A post its author deleted", "It was here.", state="deleted"),
        RedditPost("1rem00", "flooding", "spammer", "A post the moderators removed", "Buy now.", state="removed"),
        RedditPost("1prv00", "secretclub", "insider", "Members only", "Hidden."),
        RedditComment("caeb3pl", "1fv4r6", "neighbour", "I live two streets away: the water is knee-deep.",
                      share_code="CoMmEnT123"),
    )
    return state


__all__ = ["BLOCK_PAGE", "HOSTS", "RedditComment", "RedditPost", "RedditState", "post_data", "respond", "sample_state"]

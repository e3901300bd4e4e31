"""A fake TikTok (field guide PLATFORMS_OTHER.md §5, §11): video pages with their
rehydration JSON, oEmbed, embed pages, short links, covers and real MP4 files.

Hosts: ``www.tiktok.com`` (``/@<user>/video/<id>``, ``/oembed?url=``, ``/embed/v2/<id>``,
``/player/v1/<id>``, ``/login``, ``/t/<code>``), ``vm.tiktok.com`` and ``vt.tiktok.com``
(``/<code>/``: 301 to the video), ``v16-webapp-prime.tiktok.com`` (``/video/<id>.mp4``, a
real MP4 made by ffmpeg) and ``p16-sign.tiktokcdn-us.com`` (``/cover/<id>.jpeg``).

Video states: ``live``; ``private_post`` (statusCode 10216); ``private_account`` (10222);
``removed`` (10204, and oEmbed 400); ``blocked`` (10204 for this address, oEmbed 200);
``gated`` (``isContentClassified`` without the video); ``login`` (302 to ``/login``);
``challenge`` (a page without the rehydration JSON).

Logged in: a request whose ``sessionid`` cookie is one of ``world.tiktok_sessions`` sees a
``login`` video as live (its page, embed page and MP4), and every www.tiktok.com answer to
it refreshes the session (``Set-Cookie: sessionid_ss=<the session>``, as TikTok's do).
``/link/v2?target=URL`` is TikTok's outbound-link redirector (302 to ``URL``).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WEB = "www.tiktok.com"
SHORT = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
CDN = "v16-webapp-prime.tiktok.com"
COVERS = "p16-sign.tiktokcdn-us.com"
HOSTS = frozenset({WEB, CDN, COVERS}) | SHORT

State = Literal["live", "private_post", "private_account", "removed", "blocked", "gated", "login", "challenge"]
_CODES = {"private_post": 10216, "private_account": 10222, "removed": 10204, "blocked": 10204}


@dataclass
class TikTokVideo:
    id: str
    user: str
    nickname: str
    desc: str
    create_time: int = 1714550400
    state: State = "live"
    short_code: str | None = None
    width: int = 240
    height: int = 426

    @property
    def url(self) -> str:
        return f"https://www.tiktok.com/@{self.user}/video/{self.id}"

    @property
    def cover(self) -> str:
        return f"https://{COVERS}/cover/{self.id}.jpeg"

    @property
    def play(self) -> str:
        return f"https://{CDN}/video/{self.id}.mp4"


def item_struct(video: TikTokVideo) -> dict[str, object]:
    return {
        "id": video.id, "desc": video.desc, "createTime": str(video.create_time),
        "author": {"id": "6" + video.id[:10], "uniqueId": video.user, "nickname": video.nickname, "secUid": "MS4w" + video.user},
        "video": {
            "id": video.id, "width": video.width, "height": video.height, "duration": 1, "ratio": "540p",
            "cover": video.cover, "originCover": video.cover, "playAddr": video.play, "format": "mp4",
        },
        "stats": {"playCount": 12, "diggCount": 3, "shareCount": 0, "commentCount": 1, "collectCount": 0},
        "music": {"title": "original sound", "authorName": video.nickname},
    }


def _page(video: TikTokVideo | None, video_id: str) -> str:
    if video is not None and video.state == "challenge":
        return "<!DOCTYPE html><html><head><title>TikTok</title></head><body><script>/* challenge */</script></body></html>"
    if video is None:
        detail: dict[str, object] = {"statusCode": 10204, "statusMsg": "item doesn't exist"}
    elif video.state == "live":
        detail = {"statusCode": 0, "statusMsg": "", "itemInfo": {"itemStruct": item_struct(video)}}
    elif video.state == "gated":
        struct = item_struct(video)
        del struct["video"]
        struct["isContentClassified"] = True
        detail = {"statusCode": 0, "itemInfo": {"itemStruct": struct}}
    else:
        detail = {"statusCode": _CODES[video.state], "statusMsg": ""}
    data = {"__DEFAULT_SCOPE__": {"webapp.app-context": {"language": "en"}, "webapp.video-detail": detail}}
    payload = json.dumps(data).replace("</", "<\\/")
    return (
        "<!DOCTYPE html><html><head><title>TikTok - Make Your Day</title></head><body>"
        f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{payload}</script>'
        "</body></html>"
    )


def _embed(video: TikTokVideo | None) -> str:
    if video is None or video.state != "live":
        inner = "<div class='error' style='padding:40px;font:16px sans-serif'>Video currently unavailable</div>"
    else:
        inner = (
            f"<div class='tiktok-card' style='width:325px;padding:8px;font:14px sans-serif;border:1px solid #ddd'>"
            f"<img src='{video.cover}' width='309' height='549' alt=''>"
            f"<p><b>@{html.escape(video.user)}</b> {html.escape(video.desc)}</p></div>"
        )
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body style='margin:0'>{inner}</body></html>"


def session_of(world: World, cookie: str) -> str | None:
    """The logged-in user's session named by a Cookie header, if it is one of the world's."""
    for part in cookie.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "sessionid" and value in world.tiktok_sessions:
            return value
    return None


def respond(world: World, host: str, path_qs: str, cookie: str = "") -> Response:
    session = session_of(world, cookie)
    answer = _respond(world, host, path_qs, session)
    if session is not None and host == WEB:
        answer.headers["Set-Cookie"] = f"sessionid_ss={session}; Domain=.tiktok.com; Path=/; Secure; HttpOnly"
    return answer


def _respond(world: World, host: str, path_qs: str, session: str | None) -> Response:
    from .handlers import Response, _html, _json, _not_found, _redirect

    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    videos = world.tiktok_videos

    def shown(video: TikTokVideo | None) -> TikTokVideo | None:
        # A logged-in user sees what the login wall hides from others.
        if video is not None and video.state == "login" and session is not None:
            return TikTokVideo(**{**vars(video), "state": "live"})
        return video

    if host in SHORT or (host == WEB and path.startswith("/t/")):
        code = path.strip("/").split("/")[-1]
        video = next((v for v in videos.values() if v.short_code == code), None)
        return _redirect(video.url) if video else _redirect("https://www.tiktok.com/", 302)
    if host == COVERS:
        video = videos.get(path.rsplit("/", 1)[-1].split(".", 1)[0])
        if video is None or not path.startswith("/cover/"):
            return _not_found()
        return Response(200, {"Content-Type": "image/jpeg"}, media_gen.jpeg(video.desc, 540, 960, 3, False, None))
    if host == CDN:
        video = shown(videos.get(path.rsplit("/", 1)[-1].split(".", 1)[0]))
        if video is None or video.state != "live":
            return _not_found()
        body = media_gen.mp4(f"tt-{video.id}", video.width, video.height, audio=True)
        return Response(200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, body)
    if path == "/link/v2":
        return _redirect(unquote(query.get("target", ["https://www.tiktok.com/"])[0]), 302)
    if path == "/login":
        return _html(200, "<html><body><h1>Log in to TikTok</h1></body></html>")
    if path == "/oembed":
        url = unquote(query.get("url", [""])[0])
        video_id = url.rstrip("/").rsplit("/", 1)[-1]
        video = videos.get(video_id)
        if video is None or video.state in ("removed", "private_post", "private_account", "gated"):
            return _json(400, {"code": 400, "message": "Something went wrong", "data": {}})
        return _json(200, {
            "version": "1.0", "type": "video", "title": video.desc, "author_url": f"https://www.tiktok.com/@{video.user}",
            "author_name": video.nickname, "width": "100%", "height": "100%", "provider_name": "TikTok",
            "provider_url": "https://www.tiktok.com", "thumbnail_url": video.cover, "thumbnail_width": 540,
            "thumbnail_height": 960,
            "html": f'<blockquote class="tiktok-embed" cite="{video.url}" data-video-id="{video.id}"></blockquote>',
        })
    parts = path.strip("/").split("/")
    if len(parts) == 3 and parts[0] in ("embed", "player") and parts[1] in ("v2", "v1"):
        return _html(200, _embed(shown(videos.get(parts[2]))))
    if len(parts) == 3 and parts[0].startswith("@") and parts[1] in ("video", "photo"):
        video = shown(videos.get(parts[2]))
        if video is not None and video.state == "login":
            return _redirect("https://www.tiktok.com/login?redirect_url=" + path, 302)
        return _html(200, _page(video, parts[2]))
    return _not_found()


__all__ = ["HOSTS", "TikTokVideo", "item_struct", "respond", "session_of"]

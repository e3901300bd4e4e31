"""A fake YouTube (field guide PLATFORMS_OTHER.md §3, §11): oEmbed, watch pages with a
player response, embed pages, thumbnails, and plain stream files.

Hosts: ``www.youtube.com`` (and ``youtube.com``, ``m.youtube.com``: ``/watch?v=``,
``/oembed``, ``/embed/<id>``), ``www.youtube-nocookie.com`` (``/embed/<id>``), ``youtu.be``
(301 to the watch page), ``i.ytimg.com`` (``/vi/<id>/hqdefault.jpg`` always,
``maxresdefault.jpg`` a 404 with a 120×90 JPEG) and ``rr1---sn-fake.googlevideo.com``
(``/videoplayback?id=<id>&itag=<n>``: a real video-only MP4, itag 137, and a real AAC
track, itag 140).

The watch page's ``ytInitialPlayerResponse`` has the shape the guide quotes. Its stream
URLs are plain (no signature to decipher), so yt-dlp's own YouTube extractor cannot run
against it; the tests' yt-dlp plugin (tests/ytdlp_plugins) reads it instead.

Video states: ``live``, ``deleted`` (ERROR, "This video has been removed by the uploader"),
``gone`` (ERROR "Video unavailable", no reason why), ``private`` (LOGIN_REQUIRED "This
video is private"), ``age`` (LOGIN_REQUIRED "Sign in to confirm your age"), ``region``
(UNPLAYABLE, not available in your country), ``bot`` (LOGIN_REQUIRED "Sign in to confirm
you're not a bot"), ``later`` (ERROR "This content isn't available, try again later"),
``mismatch`` (the player response of another video), ``consent`` (every page a redirect
to consent.youtube.com for its embed page, as for a visitor who has not consented; its
watch page and oEmbed answer as for a live video).
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, quote, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WATCH_HOSTS = frozenset({"www.youtube.com", "youtube.com", "m.youtube.com"})
NOCOOKIE = "www.youtube-nocookie.com"
SHORT = "youtu.be"
THUMBS = "i.ytimg.com"
STREAMS = "rr1---sn-fake.googlevideo.com"
CONSENT = "consent.youtube.com"
HOSTS = WATCH_HOSTS | {NOCOOKIE, SHORT, THUMBS, STREAMS, CONSENT}

VideoState = Literal["live", "deleted", "gone", "private", "age", "region", "bot", "later", "mismatch", "consent"]


@dataclass
class Video:
    id: str
    title: str
    channel: str
    channel_id: str
    handle: str
    description: str = ""
    published: str = "2024-05-01"
    state: VideoState = "live"
    width: int = 320
    height: int = 180

    @property
    def url(self) -> str:
        return f"https://www.youtube.com/watch?v={self.id}"


def _thumbnail(video_id: str, name: str) -> str:
    return f"https://{THUMBS}/vi/{video_id}/{name}.jpg"


def _stream(video_id: str, itag: int) -> str:
    return f"https://{STREAMS}/videoplayback?id={video_id}&itag={itag}"


_STATES: dict[str, tuple[str, str, str | None]] = {
    # state: (status, reason, subreason)
    "deleted": ("ERROR", "Video unavailable", "This video has been removed by the uploader"),
    "gone": ("ERROR", "Video unavailable", None),
    "private": ("LOGIN_REQUIRED", "This video is private", None),
    "age": ("LOGIN_REQUIRED", "Sign in to confirm your age", "This video may be inappropriate for some users."),
    "region": ("UNPLAYABLE", "Video unavailable", "The uploader has not made this video available in your country"),
    "bot": ("LOGIN_REQUIRED", "Sign in to confirm you\u2019re not a bot", None),
    "later": ("ERROR", "This content isn\u2019t available, try again later.", None),
}


def player_response(video: Video, other: Video | None = None) -> dict[str, object]:
    """``ytInitialPlayerResponse`` for ``video`` (the guide's fields, plain stream URLs)."""
    if video.state in _STATES:  # "consent" plays as live: only its embed page is walled
        status, reason, subreason = _STATES[video.state]
        playability: dict[str, object] = {"status": status, "reason": reason}
        renderer: dict[str, object] = {"reason": {"simpleText": reason}}
        if subreason:
            renderer["subreason"] = {"simpleText": subreason}
        playability["errorScreen"] = {"playerErrorMessageRenderer": renderer}
        return {"playabilityStatus": playability, "responseContext": {}}
    shown = other if video.state == "mismatch" and other is not None else video
    return {
        "playabilityStatus": {"status": "OK", "playableInEmbed": True},
        "videoDetails": {
            "videoId": shown.id, "title": shown.title, "author": shown.channel, "channelId": shown.channel_id,
            "lengthSeconds": "1", "shortDescription": shown.description, "isPrivate": False,
            "thumbnail": {"thumbnails": [
                {"url": _thumbnail(shown.id, "hqdefault"), "width": 480, "height": 360},
            ]},
        },
        "microformat": {"playerMicroformatRenderer": {
            "title": {"simpleText": shown.title}, "uploadDate": shown.published, "publishDate": shown.published,
            "isUnlisted": False, "ownerProfileUrl": f"http://www.youtube.com/@{shown.handle}",
        }},
        "streamingData": {"adaptiveFormats": [
            {"itag": 137, "url": _stream(shown.id, 137), "mimeType": 'video/mp4; codecs="avc1.4d401f"',
             "width": shown.width, "height": shown.height, "bitrate": 400000},
            {"itag": 140, "url": _stream(shown.id, 140), "mimeType": 'audio/mp4; codecs="mp4a.40.2"',
             "bitrate": 64000, "audioQuality": "AUDIO_QUALITY_MEDIUM"},
        ]},
    }


def _watch_page(video: Video, world: World) -> str:
    other = next((v for v in world.youtube_videos.values() if v.id != video.id and v.state == "live"), None)
    data = json.dumps(player_response(video, other)).replace("</", "<\\/")
    title = html.escape(video.title if video.state == "live" else "YouTube")
    return (
        f"<!DOCTYPE html><html><head><title>{title} - YouTube</title></head><body>"
        f"<script>var ytInitialPlayerResponse = {data};var meta = document.createElement('meta');</script>"
        "<div id='player'></div></body></html>"
    )


def _embed_page(video: Video | None) -> str:
    if video is None or video.state not in ("live", "age", "region", "consent"):
        body = (
            "<div class='ytp-error' role='alert'><div class='ytp-error-content-wrap-reason'>"
            "<span>Video unavailable</span></div></div>"
        )
    else:
        thumb = _thumbnail(video.id, "hqdefault")
        body = (
            "<div id='player' class='html5-video-player' style='width:480px;height:270px;position:relative;"
            f"background:#000 url({thumb}) center/cover no-repeat'>"
            f"<div class='ytp-title' style='color:#fff;font:16px sans-serif;padding:8px'>{html.escape(video.title)}</div>"
            "<button class='ytp-large-play-button' style='position:absolute;left:200px;top:110px;width:68px;"
            "height:48px;background:#f00;border:0;border-radius:12px'></button></div>"
        )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>body{margin:0;background:#000}</style></head>"
        f"<body>{body}</body></html>"
    )


def respond(world: World, host: str, path_qs: str) -> Response:
    from .handlers import Response, _html, _not_found, _redirect

    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query)
    videos = world.youtube_videos
    if host == CONSENT:
        return _html(200, "<html><body><form action='https://consent.youtube.com/save'>"
                          "<h1>Before you continue to YouTube</h1><button>Accept all</button></form></body></html>")
    if host == SHORT:
        return _redirect(f"https://www.youtube.com/watch?v={path.strip('/')}")
    if host == THUMBS:
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "vi" and parts[1] in videos:
            if parts[2] == "maxresdefault.jpg":
                placeholder = media_gen.jpeg("no thumbnail", 120, 90, 1, False, None)
                return Response(404, {"Content-Type": "image/jpeg"}, placeholder)
            video = videos[parts[1]]
            return Response(200, {"Content-Type": "image/jpeg"}, media_gen.jpeg(video.title, 480, 360, 7, False, None))
        return _not_found()
    if host == STREAMS:
        video = videos.get(query.get("id", [""])[0])
        itag = query.get("itag", [""])[0]
        if path != "/videoplayback" or video is None or video.state != "live":
            return Response(403, {"Content-Type": "text/plain"}, b"")
        if itag == "137":
            body = media_gen.mp4(f"yt-{video.id}", video.width, video.height, audio=False)
            return Response(200, {"Content-Type": "video/mp4"}, body)
        if itag == "140":
            return Response(200, {"Content-Type": "audio/mp4"}, media_gen.m4a(f"yt-{video.id}"))
        return _not_found()
    if path.startswith("/embed/") and getattr(videos.get(path[len("/embed/"):]), "state", None) == "consent":
        return _redirect(f"https://{CONSENT}/m?continue={quote('https://' + host + path_qs, safe='')}", 302)
    if path == "/oembed":
        return _oembed(world, query.get("url", [""])[0])
    if path.startswith("/embed/"):
        return _html(200, _embed_page(videos.get(path[len("/embed/"):])))
    if host == NOCOOKIE:
        return _not_found()
    if path == "/watch":
        video = videos.get(query.get("v", [""])[0])
        if video is None:
            video = Video(query.get("v", ["x"])[0], "", "", "", "", state="gone")
        return _html(200, _watch_page(video, world))
    return _not_found()


def _oembed(world: World, url: str) -> Response:
    from .handlers import Response, _json

    video_id = parse_qs(urlsplit(url).query).get("v", [""])[0] or urlsplit(url).path.rsplit("/", 1)[-1]
    video = world.youtube_videos.get(video_id)

    def text(status: int, body: str) -> Response:
        return Response(status, {"Content-Type": "text/html; charset=utf-8"}, body.encode())

    if not video_id:
        return text(400, "Bad Request")
    if video is None or video.state in ("deleted", "gone"):
        return text(404, "Not Found")
    if video.state == "private":
        return text(403, "Forbidden")
    return _json(200, {
        "title": video.title, "author_name": video.channel, "author_url": f"https://www.youtube.com/@{video.handle}",
        "type": "video", "height": 113, "width": 200, "version": "1.0", "provider_name": "YouTube",
        "provider_url": "https://www.youtube.com/", "thumbnail_height": 360, "thumbnail_width": 480,
        "thumbnail_url": _thumbnail(video.id, "hqdefault"),
        "html": f'<iframe width="200" height="113" src="https://www.youtube.com/embed/{video.id}?feature=oembed" '
                'frameborder="0" allowfullscreen></iframe>',
    })


__all__ = ["HOSTS", "Video", "player_response", "respond"]

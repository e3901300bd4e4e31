"""The fake platform's state: plain, mutable, deep-copyable dataclasses.

A :class:`World` says what exists (users, posts, short links, article pages, media files)
and which faults to inject. The server reads it on every request, so a test can change
it between (or during) runs; nothing here does I/O or holds locks, so ``copy.deepcopy``
and ``World.sample()`` always give an independent world.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from . import example_social, facebook, instagram, reddit, telegram, threads, tiktok, youtube
from . import media as media_gen
from .bluesky import BlueskyState
from .example_social import ExamplePost
from .facebook import FacebookState
from .instagram import InstagramState
from .reddit import RedditState
from .telegram import TelegramState
from .threads import ThreadsState
from .tiktok import TikTokVideo
from .youtube import Video as YouTubeVideo
from .mastodon import MastodonState
from .misskey import MisskeyState

TWITTER_EPOCH_MS = 1288834974657

PostStatus = Literal["live", "deleted", "unavailable", "protected", "suspended"]
MediaKind = Literal["photo", "video", "animated_gif"]

PLATFORM_HOSTS: frozenset[str] = frozenset(
    {
        "t.co",
        "twitter.com",
        "www.twitter.com",
        "mobile.twitter.com",
        "m.twitter.com",
        "x.com",
        "www.x.com",
        "mobile.x.com",
        "pic.twitter.com",
        "pic.x.com",
        "cdn.syndication.twimg.com",
        "publish.twitter.com",
        "publish.x.com",
        "platform.twitter.com",
        "pbs.twimg.com",
        "video.twimg.com",
    }
)


def snowflake(when: dt.datetime, low_bits: int = 0) -> int:
    """A post id minted at ``when`` (the inverse of the field guide's §6 formula)."""
    ms = int(when.timestamp() * 1000)
    return ((ms - TWITTER_EPOCH_MS) << 22) | (low_bits & ((1 << 22) - 1))


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, s, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- assets


@dataclass
class ImageAsset:
    """A deterministic JPEG drawn on demand; ``name=`` variants are smaller copies."""

    label: str
    width: int
    height: int
    seed: int = 0
    avatar: bool = False

    content_type = "image/jpeg"

    def render(self, variant: str | None) -> bytes:
        return media_gen.jpeg(self.label, self.width, self.height, self.seed, self.avatar, variant)


@dataclass
class VideoAsset:
    """A real one-second MP4 of this size, encoded by ffmpeg on first request."""

    seed: str
    width: int
    height: int
    audio: bool = True

    content_type = "video/mp4"

    def render(self, variant: str | None) -> bytes:
        return media_gen.mp4(self.seed, self.width, self.height, audio=self.audio)


@dataclass
class BytesAsset:
    """Fixed bytes: playlists, broken images, anything a test wants to plant."""

    content_type: str
    data: bytes

    def render(self, variant: str | None) -> bytes:
        return self.data


@dataclass
class BombAsset:
    """A small PNG whose header declares a huge image (built lazily, then cached)."""

    width: int = 30000
    height: int = 30000

    content_type = "image/png"

    def render(self, variant: str | None) -> bytes:
        return media_gen.png_bomb(self.width, self.height)


Asset = ImageAsset | VideoAsset | BytesAsset | BombAsset


# --------------------------------------------------------------------------- posts


@dataclass
class User:
    id_str: str
    name: str
    screen_name: str
    avatar_key: str
    """File name part of the avatar URL under pbs.twimg.com/profile_images/<id_str>/."""
    verified: bool = False
    is_blue_verified: bool = False

    @property
    def profile_image_url_https(self) -> str:
        return f"https://pbs.twimg.com/profile_images/{self.id_str}/{self.avatar_key}_normal.jpg"

    def avatar_urls(self) -> list[str]:
        base = f"https://pbs.twimg.com/profile_images/{self.id_str}/{self.avatar_key}"
        return [f"{base}_normal.jpg", f"{base}_bigger.jpg", f"{base}_400x400.jpg", f"{base}.jpg"]


@dataclass
class Media:
    """One attachment. Its URLs follow the patterns of field guide §5."""

    kind: MediaKind
    media_id: int
    key: str
    """The file-name part of the pbs/video URLs, e.g. ``FmBq3xWWYAE9m_w``."""
    width: int = 1200
    height: int = 800
    label: str = ""
    """Drawn on the image, so a screenshot shows which media it is."""
    alt_text: str | None = None
    flavor: Literal["ext_tw_video", "amplify_video"] = "ext_tw_video"
    duration_ms: int = 12000

    @property
    def media_url_https(self) -> str:
        if self.kind == "photo":
            return f"https://pbs.twimg.com/media/{self.key}.jpg"
        if self.kind == "animated_gif":
            return f"https://pbs.twimg.com/tweet_video_thumb/{self.key}.jpg"
        if self.flavor == "amplify_video":
            return f"https://pbs.twimg.com/amplify_video_thumb/{self.media_id}/img/{self.key}.jpg"
        return f"https://pbs.twimg.com/ext_tw_video_thumb/{self.media_id}/pu/img/{self.key}.jpg"

    @property
    def photo_base_url(self) -> str:
        """Where ``?format=jpg&name=…`` and ``.jpg:orig`` variants of a photo live."""
        return f"https://pbs.twimg.com/media/{self.key}"

    def _streams(self) -> list[tuple[str, str, int | None]]:
        """(url, content_type, bitrate) of the video files: HLS first (no bitrate), then
        mp4s deliberately unsorted, as the API lists them."""
        if self.kind == "photo":
            return []
        if self.kind == "animated_gif":
            return [(f"https://video.twimg.com/tweet_video/{self.key}.mp4", "video/mp4", 0)]
        w, h = self.width, self.height
        sizes = [(w // 2, h // 2, 832000), (w * 3 // 8, h * 3 // 8, 256000), (w, h, 2176000)]
        if self.flavor == "amplify_video":
            # Two variants at the same bitrate: /WxH/ in the URL must break the tie.
            sizes.append((w * 3 // 2, h * 3 // 2, 2176000))
            vid = f"https://video.twimg.com/amplify_video/{self.media_id}/vid/avc1"
            hls = f"https://video.twimg.com/amplify_video/{self.media_id}/pl/{self.key}.m3u8?tag=14"
            tag = "14"
        else:
            vid = f"https://video.twimg.com/ext_tw_video/{self.media_id}/pu/vid"
            hls = f"https://video.twimg.com/ext_tw_video/{self.media_id}/pu/pl/{self.key}.m3u8?tag=12"
            tag = "12"
        out: list[tuple[str, str, int | None]] = [(hls, "application/x-mpegURL", None)]
        out += [(f"{vid}/{vw}x{vh}/{self.key}.mp4?tag={tag}", "video/mp4", rate) for vw, vh, rate in sizes]
        return out

    def variants(self) -> list[dict[str, object]]:
        """``video_info.variants`` as the syndication API writes them."""
        out: list[dict[str, object]] = []
        for url, ctype, rate in self._streams():
            out.append({"content_type": ctype, "url": url} if rate is None else {"bitrate": rate, "content_type": ctype, "url": url})
        return out

    def assets(self) -> dict[str, Asset]:
        """Every URL (without query) this attachment can be fetched at."""
        seed = self.media_id % 100000
        thumb = ImageAsset(self.label or self.key, self.width, self.height, seed)
        if self.kind == "photo":
            return {self.photo_base_url: thumb}
        out: dict[str, Asset] = {self.media_url_https: thumb}
        for url, ctype, rate in self._streams():
            path = url.split("?", 1)[0]
            if ctype == "video/mp4":
                # One second of video at the size its URL names (a GIF's: the media's own).
                size = re.search(r"/(\d+)x(\d+)/", path)
                w, h = (int(size.group(1)), int(size.group(2))) if size else (self.width, self.height)
                out[path] = VideoAsset(path, w, h, audio=self.kind != "animated_gif")
            else:
                out[path] = BytesAsset(ctype, media_gen.hls_playlist(self.variants()))
        return out


@dataclass
class Post:
    id: int
    user: User
    text: str
    """The post's own words, without the trailing media link (which is added)."""
    created_at: dt.datetime
    lang: str = "en"
    status: PostStatus = "live"
    media: list[Media] = field(default_factory=list)
    media_code: str | None = None
    """t.co code of the media link (same as pic.twitter.com/CODE)."""
    urls: list[tuple[str, str]] = field(default_factory=list)
    """(t.co code, expanded URL) for links written in ``text`` as https://t.co/CODE."""
    quoted_id: int | None = None
    parent_id: int | None = None
    repost_of: int | None = None
    """Syndication (and oEmbed) answer for this id with the original post."""
    favorite_count: int = 0
    conversation_count: int = 0
    possibly_sensitive: bool = False
    is_edited: bool = False

    @property
    def status_url(self) -> str:
        return f"https://twitter.com/{self.user.screen_name}/status/{self.id}"

    @property
    def media_target(self) -> str | None:
        """Where t.co/<media_code> and pic.twitter.com/<media_code> lead."""
        if not self.media:
            return None
        kind = "photo" if self.media[0].kind == "photo" else "video"
        return f"{self.status_url}/{kind}/1"


# --------------------------------------------------------------------------- pages


@dataclass
class Page:
    """An article (or any other page) on a non-platform host.

    ``stream_size`` > 0 streams that many bytes of filler HTML instead of ``body``;
    ``hang`` never answers (until the server stops).
    """

    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False
    stream_size: int = 0

    @classmethod
    def html(cls, text: str, charset: str = "utf-8", content_type: str | None = None) -> Page:
        ctype = content_type if content_type is not None else f"text/html; charset={charset}"
        return cls(body=text.encode(charset), content_type=ctype)

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Page:
        return cls(status=status, location=location, content_type="text/html; charset=utf-8")


# --------------------------------------------------------------------------- faults

FaultAction = str
"""``"429"`` (with Retry-After: 1) or any other status code as a string; ``"hang"``;
``"reset"``; ``"delay:SECONDS"`` (then answer normally); ``"gate:NAME"`` (answer normally
once the test calls ``FakePlatform.open_gate(NAME)``)."""


@dataclass
class World:
    """Everything the fake platform knows.

    - ``posts``: by id. ``status`` decides syndication/oEmbed answers (see handlers).
    - ``short_links``: t.co code → target URL (media codes also serve pic.twitter.com).
    - ``pages``: absolute URL (scheme ignored, query optional) → :class:`Page`.
    - ``media``: absolute URL without query → asset; ``add_post`` registers a post's.
    - ``faults``: ``(host, substring)`` → list of actions consumed one per matching
      request, or a single action string applied to every matching request. The
      substring is matched against path+query; host ``"*"`` matches every host.
      The first key (in insertion order) with an action available wins.
    """

    posts: dict[int, Post] = field(default_factory=dict)
    short_links: dict[str, str] = field(default_factory=dict)
    pages: dict[str, Page] = field(default_factory=dict)
    media: dict[str, Asset] = field(default_factory=dict)
    faults: dict[tuple[str, str], list[FaultAction] | FaultAction] = field(default_factory=dict)
    extra_hosts: set[str] = field(default_factory=set)
    """Hosts that accept CONNECT although no page lives there (answer 404)."""
    example_posts: dict[str, ExamplePost] = field(default_factory=dict)
    """Posts of Example Social (example_social.py), a platform only a plugin knows."""
    youtube_videos: dict[str, YouTubeVideo] = field(default_factory=dict)
    """YouTube's videos by id (youtube.py)."""
    tiktok_videos: dict[str, TikTokVideo] = field(default_factory=dict)
    """TikTok's videos by id (tiktok.py)."""
    reddit: RedditState = field(default_factory=RedditState)
    """Reddit's posts, comments and subreddits (reddit.py); the sample world's: ``reddit.sample_state()``."""
    threads: ThreadsState = field(default_factory=ThreadsState)
    """Threads' posts and its oEmbed's hourly budget (threads.py)."""
    telegram: TelegramState = field(default_factory=TelegramState)
    """Telegram's channels and posts (telegram.py)."""
    tiktok_sessions: set[str] = field(default_factory=set)
    """TikTok ``sessionid`` cookie values of logged-in users: with one, a ``login`` video shows (tiktok.py)."""
    juliaca_ids: list[int] = field(default_factory=list)
    """Filled by :meth:`sample`; see ``sample.py`` for every other named id."""
    bluesky: BlueskyState = field(default_factory=BlueskyState)
    """Bluesky's accounts and posts (bluesky.py)."""
    mastodon: MastodonState = field(default_factory=MastodonState)
    """Mastodon's instances, accounts and statuses (mastodon.py)."""
    misskey: MisskeyState = field(default_factory=MisskeyState)
    """Misskey instances' notes (misskey.py)."""
    instagram: InstagramState = field(default_factory=InstagramState)
    """Instagram's posts (instagram.py)."""
    facebook: FacebookState = field(default_factory=FacebookState)
    """Facebook's posts and Meta's Graph oEmbed limits (facebook.py)."""

    @classmethod
    def sample(cls) -> World:
        from .sample import build_sample_world

        return build_sample_world()

    def copy(self) -> World:
        return copy.deepcopy(self)

    # -- building

    def add_user_assets(self, user: User) -> None:
        # Profile images come in fixed sizes chosen by the file-name suffix.
        for url, side in zip(user.avatar_urls(), (48, 73, 400, 400)):
            self.media.setdefault(url, ImageAsset(user.name, side, side, int(user.id_str) % 1000, avatar=True))

    def add_post(self, post: Post) -> Post:
        self.posts[post.id] = post
        self.add_user_assets(post.user)
        for m in post.media:
            for url, asset in m.assets().items():
                self.media.setdefault(url, asset)
        if post.media_code and post.media_target:
            self.short_links[post.media_code] = post.media_target
        for code, target in post.urls:
            self.short_links[code] = target
        return post

    def add_page(self, url: str, page: Page) -> Page:
        self.pages[url] = page
        return page

    # -- queries

    def hosts(self) -> set[str]:
        page_hosts = {(urlsplit(u).hostname or "").lower() for u in self.pages}
        return (
            set(PLATFORM_HOSTS) | set(example_social.HOSTS) | youtube.HOSTS | tiktok.HOSTS | reddit.HOSTS
            | threads.HOSTS | telegram.HOSTS | page_hosts
            | {h.lower() for h in self.extra_hosts} | self.bluesky.hosts() | self.mastodon.hosts()
            | self.misskey.hosts()
            | instagram.HOSTS | facebook.HOSTS
        )

    def user_by_handle(self, screen_name: str) -> User | None:
        # A scan, not an index: tests edit posts in place, and an index would go stale.
        wanted = screen_name.lower()
        return next((p.user for p in self.posts.values() if p.user.screen_name.lower() == wanted), None)

    def resolve_post(self, post_id: int) -> Post | None:
        """The post syndication answers with: a repost yields its original."""
        post = self.posts.get(post_id)
        seen: set[int] = set()
        while post is not None and post.repost_of is not None and post.id not in seen:
            seen.add(post.id)
            post = self.posts.get(post.repost_of)
        return post

    def take_fault(self, host: str, path_qs: str) -> FaultAction | None:
        """The fault for this request, consuming it from a list. Callers serialise."""
        host = host.lower()
        for (fhost, needle), actions in self.faults.items():
            if fhost not in ("*", host) or needle not in path_qs:
                continue
            if isinstance(actions, str):
                return actions
            if actions:
                return actions.pop(0)
        return None

    def find_page(self, host: str, path_qs: str) -> Page | None:
        for scheme in ("https", "http"):
            page = self.pages.get(f"{scheme}://{host}{path_qs}")
            if page is None and "?" in path_qs:
                page = self.pages.get(f"{scheme}://{host}{path_qs.split('?', 1)[0]}")
            if page is not None:
                return page
        return None

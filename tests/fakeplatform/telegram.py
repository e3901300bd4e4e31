"""A fake Telegram (field guide PLATFORMS_OTHER.md §8, §11): embed pages, channel previews,
the widget script and real media files.

Hosts: ``t.me`` (``/<channel>/<id>?embed=1`` the embed page, ``/<channel>/<id>`` the
post's page, ``/s/<channel>`` the channel's web preview, ``/<channel>`` its page),
``telegram.me`` (301 to the same path on t.me), ``telegram.org``
(``/js/telegram-widget.js``: each ``script[data-telegram-post]`` gets an iframe of the
embed page put right before it, the script staying where it was; the frame's height comes
from a ``resize`` message) and ``cdn4.telesco.pe`` (``/file/<key>.jpg`` photos and video
thumbnails, ``/file/<key>.mp4`` real MP4 videos made by ffmpeg).

Channel states: ``public`` (preview shows it), ``private`` (the embed page says "Channel is
private"; UNCONFIRMED wording). A channel not in the world is gone: its embed pages say
"Post not found" (as for a deleted post: the page alone cannot tell), ``/s/<channel>``
redirects to ``/<channel>``, which is Telegram's "contact @name" page without a title.
Post states: ``live``, ``deleted`` ("Post not found" in a channel that still exists),
``not_on_web`` (live, its media "Please open Telegram to view this post"). Rate limits and
failures: ``world.faults`` on ``t.me``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs, urlsplit

from . import media as media_gen

if TYPE_CHECKING:
    from .handlers import Response
    from .world import World

WEB = "t.me"
OLD = "telegram.me"
WIDGET = "telegram.org"
CDN = "cdn4.telesco.pe"
HOSTS = frozenset({WEB, OLD, WIDGET, CDN})


@dataclass
class TgChannel:
    username: str
    title: str
    state: Literal["public", "private"] = "public"


@dataclass
class TgMedia:
    kind: Literal["photo", "video"]
    key: str
    label: str
    width: int = 800
    height: int = 600

    @property
    def url(self) -> str:
        return f"https://{CDN}/file/{self.key}.{'mp4' if self.kind == 'video' else 'jpg'}"

    @property
    def thumb(self) -> str:
        return f"https://{CDN}/file/{self.key}-thumb.jpg"


@dataclass
class TgPost:
    channel: str
    id: int
    text: str
    date: str = "2026-03-01T10:00:00+00:00"
    media: list[TgMedia] = field(default_factory=list)
    state: Literal["live", "deleted", "not_on_web"] = "live"

    @property
    def native_id(self) -> str:
        return f"{self.channel.lower()}/{self.id}"

    @property
    def url(self) -> str:
        return f"https://t.me/{self.channel}/{self.id}"


@dataclass
class TelegramState:
    channels: dict[str, TgChannel] = field(default_factory=dict)
    """By username, lower-cased."""
    posts: dict[tuple[str, int], TgPost] = field(default_factory=dict)
    """By (channel lower-cased, message id)."""

    def add_channel(self, channel: TgChannel) -> TgChannel:
        self.channels[channel.username.lower()] = channel
        return channel

    def add_post(self, post: TgPost) -> TgPost:
        self.posts[(post.channel.lower(), post.id)] = post
        return post

    def media(self, key: str) -> TgMedia | None:
        return next((m for p in self.posts.values() for m in p.media if m.key == key), None)


WIDGET_JS = r"""
(function () {
  function frames() {
    document.querySelectorAll('script[data-telegram-post]').forEach(function (script) {
      var before = script.previousElementSibling;
      if (before && before.tagName === 'IFRAME' && before.getAttribute('data-telegram-post') === script.getAttribute('data-telegram-post')) return;
      var post = script.getAttribute('data-telegram-post');
      var frame = document.createElement('iframe');
      frame.id = 'telegram-post-' + post.replace(/[^a-z0-9_]/ig, '-');
      frame.setAttribute('data-telegram-post', post);
      frame.src = 'https://t.me/' + post + '?embed=1';
      frame.width = '100%'; frame.frameBorder = '0'; frame.scrolling = 'no';
      frame.style.cssText = 'overflow:hidden;border:none;min-width:320px;height:0';
      script.parentNode.insertBefore(frame, script);
    });
  }
  window.addEventListener('message', function (e) {
    var data; try { data = JSON.parse(e.data); } catch (x) { return; }
    if (!data || data.event !== 'resize') return;
    document.querySelectorAll('iframe[data-telegram-post]').forEach(function (frame) {
      if (frame.contentWindow === e.source) frame.style.height = data.height + 'px';
    });
  });
  frames();
})();
"""

_STYLE = """<style>body{margin:0;font:14px sans-serif;background:#fff}
.tgme_widget_message{max-width:480px;border:1px solid #ddd;border-radius:10px;padding:10px 12px;background:#fff}
.tgme_widget_message_owner_name{font-weight:bold;color:#2481cc;text-decoration:none}
.tgme_widget_message_photo_wrap{display:block;background-size:cover;background-position:center;margin:6px 0}
.tgme_widget_message_video_thumb{display:block;width:100%;height:200px;background-size:cover}
.tgme_widget_message_video_wrap video{width:100%}
.tgme_widget_message_text{margin:8px 0;white-space:normal}.tgme_widget_message_date{color:#888;font-size:12px}
.tgme_widget_message_error{padding:20px;color:#999}</style>"""
_RESIZE = ("<script>window.addEventListener('load',function(){parent.postMessage(JSON.stringify("
           "{event:'resize',height:document.body.scrollHeight}),'*');});</script>")


def _media_html(post: TgPost) -> str:
    out = []
    for m in post.media:
        if m.kind == "photo":
            out.append(
                f'<a class="tgme_widget_message_photo_wrap {post.id}" href="https://t.me/{post.channel}/{post.id}?single" '
                f"style=\"width:{min(m.width, 456)}px;background-image:url('{m.url}')\">"
                f'<div class="tgme_widget_message_photo" style="padding-top:{round(100 * m.height / m.width, 2)}%"></div></a>'
            )
        else:
            out.append(
                f'<a class="tgme_widget_message_video_player js-message_video_player" href="https://t.me/{post.channel}/{post.id}">'
                f"<i class=\"tgme_widget_message_video_thumb\" style=\"background-image:url('{m.thumb}')\"></i>"
                f'<div class="tgme_widget_message_video_wrap"><video src="{m.url}" class="tgme_widget_message_video js-message_video" '
                'width="100%" height="100%"></video></div>'
                '<time class="message_video_duration js-message_video_duration" duration="1">0:01</time></a>'
            )
    return "".join(out)


def embed_page(state: TelegramState, channel: str, message: int) -> str:
    known = state.channels.get(channel.lower())
    post = state.posts.get((channel.lower(), message))
    data_post = f"{channel}/{message}"
    if known is not None and known.state == "private":
        inner = '<div class="tgme_widget_message_error">Channel is private</div>'
    elif known is None or post is None or post.state == "deleted":
        inner = '<div class="tgme_widget_message_error">Post not found</div>'
    else:
        text = html.escape(post.text).replace("\n", "<br/>")
        body = _media_html(post) if post.state == "live" else (
            '<div class="message_media_not_supported_wrap"><div class="message_media_not_supported">'
            '<div class="message_media_not_supported_label">Please open Telegram to view this post</div>'
            f'<a href="https://t.me/{post.channel}/{post.id}" class="message_media_view_in_telegram">VIEW IN TELEGRAM</a></div></div>'
        )
        inner = (
            '<div class="tgme_widget_message_author accent_color"><a class="tgme_widget_message_owner_name" '
            f'href="https://t.me/{known.username}"><span dir="auto">{html.escape(known.title)}</span></a></div>'
            f"{body}"
            f'<div class="tgme_widget_message_text js-message_text" dir="auto">{text}</div>'
            '<div class="tgme_widget_message_footer compact js-message_footer"><div class="tgme_widget_message_info short js-message_info">'
            '<span class="tgme_widget_message_views">1.2K</span><span class="tgme_widget_message_meta">'
            f'<a class="tgme_widget_message_date" href="https://t.me/{post.channel}/{post.id}">'
            f'<time datetime="{post.date}" class="time">{post.date[11:16]}</time></a></span></div></div>'
        )
        data_post = f"{post.channel}/{post.id}"
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>Telegram Widget</title>{_STYLE}</head>'
        '<body class="body_widget_post emoji_image"><div class="tgme_widget_message_wrap js-widget_message_wrap">'
        f'<div class="tgme_widget_message text_not_supported_wrap js-widget_message" data-post="{data_post}">'
        f'<div class="tgme_widget_message_bubble">{inner}</div></div></div>{_RESIZE}</body></html>'
    )


def _channel_page(channel: TgChannel | None, username: str) -> str:
    if channel is None:
        return (
            '<!DOCTYPE html><html><head><title>Telegram: Contact @' + html.escape(username) + '</title></head><body>'
            '<div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_description">If you have '
            '<strong>Telegram</strong>, you can contact <a class="tgme_username_link" href="tg://resolve?domain='
            f'{html.escape(username)}">@{html.escape(username)}</a> right away.</div></div></div></body></html>'
        )
    return (
        f'<!DOCTYPE html><html><head><title>Telegram: Contact @{channel.username}</title></head><body>'
        f'<div class="tgme_page_wrap"><div class="tgme_page"><div class="tgme_page_title"><span dir="auto">{html.escape(channel.title)}'
        '</span></div><div class="tgme_page_extra">1 234 subscribers</div></div></div></body></html>'
    )


def _preview(state: TelegramState, channel: TgChannel) -> str:
    posts = sorted((p for p in state.posts.values() if p.channel.lower() == channel.username.lower() and p.state != "deleted"),
                   key=lambda p: p.id)
    messages = "".join(
        f'<div class="tgme_widget_message" data-post="{p.channel}/{p.id}"><div class="tgme_widget_message_text">'
        f"{html.escape(p.text)}</div></div>" for p in posts
    )
    return (
        f'<!DOCTYPE html><html><head><title>{html.escape(channel.title)} – Telegram</title></head><body>'
        f'<div class="tgme_channel_info"><div class="tgme_channel_info_header_title"><span dir="auto">{html.escape(channel.title)}'
        f'</span></div><div class="tgme_channel_info_header_username"><a href="https://t.me/{channel.username}">@{channel.username}'
        f'</a></div></div><section class="tgme_channel_history">{messages}</section></body></html>'
    )


def respond(world: World, host: str, path_qs: str) -> Response:
    from .handlers import Response, _html, _not_found, _redirect

    state = world.telegram
    split = urlsplit(path_qs)
    path, query = split.path or "/", parse_qs(split.query, keep_blank_values=True)
    if host == OLD:
        return _redirect(f"https://t.me{path_qs}")
    if host == WIDGET:
        if path == "/js/telegram-widget.js":
            return Response(200, {"Content-Type": "application/javascript; charset=utf-8"}, WIDGET_JS.encode())
        return _not_found()
    if host == CDN:
        name = path.rsplit("/", 1)[-1]
        key, _, ext = name.rpartition(".")
        thumb = key.endswith("-thumb")
        item = state.media(key.removesuffix("-thumb"))
        if item is None or not path.startswith("/file/"):
            return _not_found()
        if ext == "mp4" and item.kind == "video" and not thumb:
            body = media_gen.mp4(f"tg-{item.key}", item.width, item.height, audio=True)
            return Response(200, {"Content-Type": "video/mp4", "Accept-Ranges": "bytes"}, body)
        if ext == "jpg" and (item.kind == "photo" or thumb):
            return Response(200, {"Content-Type": "image/jpeg"}, media_gen.jpeg(item.label, item.width, item.height, 5, False, None))
        return _not_found()
    parts = [p for p in path.split("/") if p]
    if len(parts) == 2 and parts[0] == "s":
        channel = state.channels.get(parts[1].lower())
        if channel is None or channel.state != "public":
            return _redirect(f"https://t.me/{parts[1]}", 302)
        return _html(200, _preview(state, channel))
    if len(parts) == 1:
        return _html(200, _channel_page(state.channels.get(parts[0].lower()), parts[0]))
    if len(parts) == 2 and parts[1].isdigit():
        if "embed" in query:
            return _html(200, embed_page(state, parts[0], int(parts[1])))
        return _html(200, f"<!DOCTYPE html><html><head><title>Telegram</title></head><body>"
                          f'<a href="https://t.me/s/{parts[0]}/{parts[1]}">Preview channel</a></body></html>')
    return _not_found()


def widget_snippet(post: TgPost) -> str:
    """The widget snippet a newsroom pastes (field guide §8.1)."""
    return (f'<script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-post="{post.channel}/{post.id}" '
            'data-width="100%"></script>')


__all__ = ["HOSTS", "TelegramState", "TgChannel", "TgMedia", "TgPost", "embed_page", "respond", "widget_snippet"]

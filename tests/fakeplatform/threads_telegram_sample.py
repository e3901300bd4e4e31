"""Threads and Telegram in the sample world: posts in every state and articles citing them.

``add_to(world)`` puts them in (``World.sample()`` calls it); the constants name what tests
assert about. All accounts and channels are fictional.
"""

from __future__ import annotations

from .pages import article_page, para
from .telegram import TgChannel, TgMedia, TgPost, widget_snippet
from .threads import ThreadsMedia, ThreadsPost, blockquote
from .world import Page, World

NEWS = "https://www.example-news.com"

# --------------------------------------------------------------------------- Threads

TH_PHOTO = ThreadsPost("DHfl00dPh0t", "riverwatch", "The levee held overnight.\nPhotos from the north bank.",
                       "2026-03-01T11:00:00+00:00",
                       media=[ThreadsMedia("photo", "th-levee-1", "Levee north bank", 1080, 1350, "Sandbags on the levee"),
                              ThreadsMedia("photo", "th-levee-2", "Levee pumps", 1080, 810)])
TH_VIDEO = ThreadsPost("DHfl00dV1de", "riverwatch", "Pumps running at the station", "2026-03-01T11:30:00+00:00",
                       media=[ThreadsMedia("video", "th-pumps", "Pump station", 640, 360)])
TH_TEXT = ThreadsPost("DHfl00dTxt0", "millerdesk", "Schools closed tomorrow.", "2026-03-01T12:00:00+00:00")
TH_DELETED = ThreadsPost("DHfl00dDel0", "millerdesk", "Removed later", state="deleted")
TH_PRIVATE = ThreadsPost("DHfl00dPrv0", "quietone", "Private account", state="private")
TH_LOGIN = ThreadsPost("DHfl00dLog0", "millerdesk", "Behind a login wall", state="login")
TH_CONSENT = ThreadsPost("DHfl00dCns0", "millerdesk", "Under a cookie dialog", state="consent")
THREADS_POSTS = (TH_PHOTO, TH_VIDEO, TH_TEXT, TH_DELETED, TH_PRIVATE, TH_LOGIN, TH_CONSENT)

# --------------------------------------------------------------------------- Telegram

RIVER = TgChannel("RiverWatchNews", "River Watch News")
LOCKED = TgChannel("lockedroom", "Locked Room", state="private")
MISSING_CHANNEL = "vanished_channel"
"""A channel that is not (any more) in the world: deleted, renamed or made private."""

TG_PHOTO = TgPost("RiverWatchNews", 130, "Water level at the bridge: 4.2 m.\nStay away from the banks.",
                  "2026-03-01T10:00:00+00:00",
                  media=[TgMedia("photo", "tg-bridge-1", "Bridge gauge", 1280, 960),
                         TgMedia("photo", "tg-bridge-2", "Bridge crowd", 960, 1280)])
TG_VIDEO = TgPost("RiverWatchNews", 131, "The ferry crossing, this morning", "2026-03-01T10:20:00+00:00",
                  media=[TgMedia("video", "tg-ferry", "Ferry", 640, 360)])
TG_TEXT = TgPost("RiverWatchNews", 132, "Road 7 is open again.", "2026-03-01T13:00:00+00:00")
TG_DELETED = TgPost("RiverWatchNews", 129, "Wrong figures, deleted", "2026-03-01T09:00:00+00:00", state="deleted")
TG_NOT_ON_WEB = TgPost("RiverWatchNews", 133, "A large file", "2026-03-01T14:00:00+00:00",
                       media=[TgMedia("video", "tg-large", "Large", 640, 360)], state="not_on_web")
TG_PRIVATE = TgPost("lockedroom", 5, "Members only", "2026-03-01T08:00:00+00:00")
TG_MISSING = TgPost(MISSING_CHANNEL, 77, "From a channel that is gone")
"""Not in the world: its channel is gone."""
TELEGRAM_POSTS = (TG_PHOTO, TG_VIDEO, TG_TEXT, TG_DELETED, TG_NOT_ON_WEB, TG_PRIVATE)

# --------------------------------------------------------------------------- articles

ARTICLE = f"{NEWS}/2026/03/levee-threads-telegram"
"""A Threads photo post (snippet), a Telegram photo post (widget), a Threads video (link),
a Telegram video (iframe) and a deleted Telegram post (link)."""
FORMS_ARTICLE = f"{NEWS}/2026/03/threads-telegram-forms"
STATES_ARTICLE = f"{NEWS}/2026/03/threads-telegram-states"


def add_to(world: World) -> World:
    """Add the posts, channels and articles above to ``world``."""
    for post in THREADS_POSTS:
        world.threads.add_post(ThreadsPost(**{**vars(post), "media": list(post.media)}))
    for channel in (RIVER, LOCKED):
        world.telegram.add_channel(TgChannel(**vars(channel)))
    for tg in TELEGRAM_POSTS:
        world.telegram.add_post(TgPost(**{**vars(tg), "media": list(tg.media)}))

    world.add_page(ARTICLE, Page.html(article_page("The levee held: what people posted", [
        para("The river crested at dawn."),
        blockquote(TH_PHOTO),
        para("The city's channel posted the gauge:"),
        widget_snippet(TG_PHOTO),
        para("Video from the pump station ") + f'<a href="{TH_VIDEO.url}">on Threads</a>.',
        f'<iframe id="telegram-post-RiverWatchNews-131" src="https://t.me/{TG_VIDEO.channel}/{TG_VIDEO.id}?embed=1" '
        'width="100%" height="420" frameborder="0" scrolling="no"></iframe>',
        para("An earlier post, since withdrawn: ") + f'<a href="{TG_DELETED.url}">t.me/{TG_DELETED.channel}/{TG_DELETED.id}</a>',
    ])))

    forms = [
        para("Every form a newsroom uses."),
        blockquote(TH_TEXT, host="www.threads.net"),
        f'<iframe src="{TH_PHOTO.url}/embed" width="100%" height="600"></iframe>',
        f'<div><div><a href="https://www.threads.net/@{TH_VIDEO.user}/post/{TH_VIDEO.code}" '
        f'data-iframely-url="https://cdn.iframe.ly/api/iframe?url=https%3A%2F%2Fwww.threads.net%2F%40{TH_VIDEO.user}'
        f'%2Fpost%2F{TH_VIDEO.code}&amp;key=abc"></a></div></div>',
        f"<p>Pasted: https://www.threads.com/t/{TH_DELETED.code}?xmt=AQGz and a profile https://www.threads.com/@riverwatch</p>",
        widget_snippet(TG_TEXT),
        f'<p><a href="https://t.me/s/{TG_PHOTO.channel}/{TG_PHOTO.id}">preview</a>, '
        f'<a href="https://telegram.me/{TG_VIDEO.channel}/{TG_VIDEO.id}">old host</a>, '
        f'and the channel <a href="https://t.me/{RIVER.username}">itself</a>.</p>',
        '<figure class="wp-block-embed is-type-rich wp-block-embed-telegram"><div class="wp-block-embed__wrapper">\n'
        f"https://t.me/{TG_DELETED.channel}/{TG_DELETED.id}\n</div></figure>",
    ]
    world.add_page(FORMS_ARTICLE, Page.html(article_page("Threads and Telegram forms", forms)))

    states = [para("Posts in every state.")]
    for post in (TH_DELETED, TH_PRIVATE, TH_LOGIN):
        states.append(f'<p><a href="{post.url}">{post.user}</a></p>')
    for tg in (TG_DELETED, TG_PRIVATE, TG_MISSING, TG_NOT_ON_WEB):
        states.append(f'<p><a href="{tg.url}">{tg.channel}</a></p>')
    world.add_page(STATES_ARTICLE, Page.html(article_page("Threads and Telegram states", states)))
    return world


__all__ = [
    "ARTICLE", "FORMS_ARTICLE", "LOCKED", "MISSING_CHANNEL", "RIVER", "STATES_ARTICLE", "TELEGRAM_POSTS", "TG_DELETED",
    "TG_MISSING", "TG_NOT_ON_WEB", "TG_PHOTO", "TG_PRIVATE", "TG_TEXT", "TG_VIDEO", "THREADS_POSTS", "TH_CONSENT",
    "TH_DELETED", "TH_LOGIN", "TH_PHOTO", "TH_PRIVATE", "TH_TEXT", "TH_VIDEO", "add_to",
]

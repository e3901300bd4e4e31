"""Threads and Telegram, end to end against the fake platform: found in every form, their
verdicts (never a deletion on a fault; Threads never at all), their cards (crops of the
article page or their embed pages; a wall is a per-post error), their media (Threads' from
the embed page by archiver's client; Telegram's photos from the embed page and videos
through yt-dlp's own Telegram extractor), and a sweep seeing a later deletion.
"""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms import platform_named
from archiver.platforms.base import PostFetch
from archiver.steps.find import find_embeds
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import media as media_gen
from tests.fakeplatform import threads_telegram_sample as T
from tests.fakeplatform.telegram import TgMedia, TgPost

BASE = "https://www.example-news.com/a.html"


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = open_archive(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def found(html: str, platforms: tuple[str, ...] = ("threads", "telegram")) -> list[tuple[str, str, str | None]]:
    return [(e.platform, e.form, e.native_id) for e in find_embeds(html, "text/html", BASE) if e.platform in platforms]


def tg_id(post: TgPost) -> str:
    return f"{post.channel.lower()}/{post.id}"


def fetch(settings: Settings, name: str, native_id: str) -> PostFetch:
    from archiver.plumbing.blobs import BlobStore
    from archiver.plumbing.net import Fetcher

    platform = platform_named(name)
    assert platform is not None

    async def go() -> PostFetch:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as fetcher:
            return await platform.fetch_post(fetcher, native_id, platform.endpoints)

    return asyncio.run(go())


def captures(settings: Settings, platform: str, native_id: str) -> list[sqlite3.Row]:
    return rows(
        settings,
        "SELECT c.*, b.path AS blob_path FROM captures c JOIN posts p ON p.id = c.post_id "
        "LEFT JOIN blobs b ON b.sha256 = c.sha256 WHERE p.platform = ? AND p.native_id = ?",
        platform, native_id,
    )


def kept(settings: Settings, capture: sqlite3.Row) -> bytes:
    return (settings.data_dir / capture["path"]).read_bytes()


# --------------------------------------------------------------------------- finding


def test_every_threads_form_is_found(fake_world: World) -> None:
    page = fake_world.pages[T.FORMS_ARTICLE].body.decode()
    page += f"""
    <blockquote class="text-post-media" data-text-post-version="0" id="ig-tp-{T.TH_PRIVATE.code}"><div>stripped</div></blockquote>
    <iframe class="embedly-embed" src="//cdn.embedly.com/widgets/media.html?url=https%3A%2F%2Fwww.threads.com%2F%40quietone%2Fpost%2F{T.TH_LOGIN.code}&amp;type=text%2Fhtml"></iframe>
    <figure class="wp-block-embed is-type-rich wp-block-embed-threads"><div class="wp-block-embed__wrapper">
    https://www.threads.net/@millerdesk/post/{T.TH_CONSENT.code}
    </div></figure>
    <p><a href="https://www.threads.com/@riverwatch">a profile</a>, <a href="https://www.threads.com/search?q=flood">a search</a></p>
    <script>var notCited = 'https://www.threads.com/t/DHnotcited0';</script>
    """
    # CMS wrappers are unwrapped first (the generic finder), the platform's own forms then in page order.
    assert sorted(found(page, ("threads",))) == sorted([
        ("threads", "blockquote", T.TH_TEXT.code),
        ("threads", "iframe", T.TH_PHOTO.code),
        ("threads", "cms_wrapper", T.TH_VIDEO.code),
        ("threads", "status_link", T.TH_DELETED.code),
        ("threads", "blockquote", T.TH_PRIVATE.code),
        ("threads", "cms_wrapper", T.TH_LOGIN.code),
        ("threads", "cms_wrapper", T.TH_CONSENT.code),
    ])


def test_every_telegram_form_is_found(fake_world: World) -> None:
    page = fake_world.pages[T.FORMS_ARTICLE].body.decode()
    page += """
    <iframe id="telegram-post-durov-44" src="https://t.me/Durov/44?embed=1" data-telegram-post="Durov/44"></iframe>
    <script async src="https://telegram.org/js/telegram-widget.js?7" data-telegram-post="Durov/44" data-width="100%"></script>
    <script async src="https://telegram.org/js/telegram-widget.js?22" data-telegram-discussion="durov/45"></script>
    <p>Round video: <a href="https://telesco.pe/durov/46">telesco.pe</a>; pasted t.me/durov/47/ and
    https://t.me/durov/48?single too.</p>
    <p>Not posts: https://t.me/durov, t.me/joinchat/AAAAAE, https://t.me/c/1234567890/12, https://t.me/addstickers/Animals,
    https://t.me/somegroup/12/345 (a forum topic) and https://t.me/+AbCdEf.</p>
    <iframe class="embedly-embed" src="//cdn.embedly.com/widgets/media.html?url=https%3A%2F%2Ft.me%2Fdurov%2F49&amp;type=text%2Fhtml"></iframe>
    <div class="iframely-embed"><div class="iframely-responsive"><a href="https://t.me/durov/50" data-iframely-url="//cdn.iframe.ly/abc"></a></div></div>
    """
    assert sorted(found(page, ("telegram",))) == sorted([
        ("telegram", "script_widget", tg_id(T.TG_TEXT)),
        ("telegram", "status_link", tg_id(T.TG_PHOTO)),
        ("telegram", "status_link", tg_id(T.TG_VIDEO)),
        ("telegram", "cms_wrapper", tg_id(T.TG_DELETED)),
        ("telegram", "iframe", "durov/44"),  # the widget's own iframe and its script: one embed
        ("telegram", "status_link", "durov/46"),
        ("telegram", "status_link", "durov/47"),
        ("telegram", "status_link", "durov/48"),
        ("telegram", "cms_wrapper", "durov/49"),
        ("telegram", "cms_wrapper", "durov/50"),
    ])


def test_a_channel_link_is_no_post() -> None:
    assert found('<p>Follow us <a href="https://t.me/report24news">on Telegram</a> and telegram.me/habr_com</p>') == []


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("post", "verdict", "says"),
    [
        (T.TG_PHOTO, "live", {"embed_page": "live"}),
        (T.TG_NOT_ON_WEB, "live", {"embed_page": "live-media-not-on-web"}),
        (T.TG_DELETED, "deleted", {"embed_page": "post-not-found", "channel": "channel-exists"}),
        (T.TG_PRIVATE, "unavailable", {"embed_page": "channel-private"}),
        (T.TG_MISSING, "unavailable", {"embed_page": "post-not-found", "channel": "no-channel"}),
    ],
)
def test_telegram_verdicts(settings: Settings, fake_world: World, post: TgPost, verdict: str, says: dict[str, str]) -> None:
    fetched = fetch(settings, "telegram", tg_id(post))
    assert fetched.status == verdict
    assert {source: signal["says"] for source, signal in fetched.signals.items()} == says
    assert fetched.complete == (verdict == "live")


@pytest.mark.parametrize(
    ("fault", "where"),
    [("429", "embed"), ("503", "embed"), ("reset", "embed"), ("hang", "embed"), ("429", "preview"), ("500", "preview")],
)
def test_a_telegram_fault_is_never_a_deletion(settings: Settings, fake_world: World, fault: str, where: str) -> None:
    needle = f"/{tg_id(T.TG_DELETED)}?embed" if where == "embed" else f"/s/{T.TG_DELETED.channel.lower()}"
    fake_world.faults[("t.me", needle)] = fault
    if fault == "hang":
        settings = Settings(**{**vars(settings), "request_deadline": 1.0, "retries": 0})
    assert fetch(settings, "telegram", tg_id(T.TG_DELETED)).status == "unknown"


def test_a_telegram_page_without_the_message_decides_nothing(settings: Settings, fake_world: World) -> None:
    from archiver.platforms.telegram.api import embed_says

    # A page with neither the message nor Telegram's error (a proxy's or a bot check's page).
    assert embed_says(b"<html><body>Checking your browser</body></html>", "riverwatchnews/130") == ("no-message", None)
    # Another post's message (a mix-up upstream).
    fake_world.telegram.posts[("riverwatchnews", 132)] = fake_world.telegram.posts[("riverwatchnews", 130)]
    fetched = fetch(settings, "telegram", "riverwatchnews/132")
    assert (fetched.status, fetched.signals["embed_page"]["says"]) == ("unknown", "another-post")


@pytest.mark.parametrize(
    ("post", "verdict", "says"),
    [
        (T.TH_PHOTO, "live", {"embed_page": "live"}),
        (T.TH_DELETED, "unavailable", {"embed_page": "not-available", "oembed": "not-served"}),
        (T.TH_PRIVATE, "unavailable", {"embed_page": "not-available", "oembed": "not-served"}),
        (T.TH_LOGIN, "live", {"embed_page": "login-wall", "oembed": "live"}),
    ],
)
def test_threads_verdicts_never_call_a_post_deleted(
    settings: Settings, fake_world: World, post: object, verdict: str, says: dict[str, str]
) -> None:
    code = post.code  # type: ignore[attr-defined]
    fetched = fetch(settings, "threads", code)
    assert fetched.status == verdict
    assert {source: signal["says"] for source, signal in fetched.signals.items()} == says
    # Only the embed page's full record is complete; oEmbed's sketch is not.
    assert fetched.complete == (says["embed_page"] == "live")


def test_threads_oembed_is_asked_only_when_the_embed_page_does_not_show_the_post(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    fetch(settings, "threads", T.TH_PHOTO.code)
    assert fake_platform.requests_to("graph.threads.net") == []
    fetch(settings, "threads", T.TH_DELETED.code)
    assert len(fake_platform.requests_to("graph.threads.net")) == 1


@pytest.mark.parametrize(("setup", "says"), [("limit", "rate-limited"), ("429", "rate-limited"), ("500", "http-500")])
def test_a_threads_fault_or_login_wall_is_unknown(settings: Settings, fake_world: World, setup: str, says: str) -> None:
    if setup == "limit":
        fake_world.threads.oembed_limit = 0  # the hour's 1,000 requests are spent
    else:
        fake_world.faults[("graph.threads.net", "/oembed")] = setup
    fetched = fetch(settings, "threads", T.TH_LOGIN.code)  # the embed page shows a login wall
    assert fetched.status == "unknown", fetched.signals
    assert (fetched.signals["embed_page"]["says"], fetched.signals["oembed"]["says"]) == ("login-wall", says)


def test_threads_oembed_token_error_decides_nothing(settings: Settings, fake_world: World) -> None:
    fake_world.threads.oembed_error = {"error": {"message": "An access token is required to request this resource.",
                                                 "type": "OAuthException", "code": 104}}
    fake_world.faults[("www.threads.com", "/embed")] = "503"
    fetched = fetch(settings, "threads", T.TH_DELETED.code)
    assert (fetched.status, fetched.signals["oembed"]["says"]) == ("unknown", "token-required")


def test_the_words_for_browsing() -> None:
    threads, telegram = platform_named("threads"), platform_named("telegram")
    assert threads is not None and telegram is not None
    assert {"embed_page", "oembed"} <= set(threads.sources) and {"embed_page", "channel"} <= set(telegram.sources)
    assert telegram.unavailable_reason({"embed_page": {"status": 200, "says": "channel-private"}}) == "the channel is private"
    assert "renamed" in str(telegram.unavailable_reason({"channel": {"status": 200, "says": "no-channel"}}))
    assert "does not tell apart" in str(threads.unavailable_reason({"oembed": {"status": 400, "says": "not-served"}}))
    assert threads.unavailable_reason({"embed_page": {"status": 200, "says": "live"}}) is None
    assert getattr(threads, "hosts") == ("threads.com", "threads.net")
    assert "t.me" in getattr(telegram, "hosts") and "telegram.org" in getattr(telegram, "hosts")


# --------------------------------------------------------------------------- end to end


def test_an_article_with_threads_and_telegram_posts_is_archived_and_a_sweep_sees_a_deletion(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    summary = archive([T.ARTICLE], settings)
    assert summary.errors == []
    status = {(r["platform"], r["native_id"]): r["status"] for r in rows(settings, "SELECT * FROM posts")}
    assert status == {
        ("threads", T.TH_PHOTO.code): "live", ("threads", T.TH_VIDEO.code): "live",
        ("telegram", tg_id(T.TG_PHOTO)): "live", ("telegram", tg_id(T.TG_VIDEO)): "live",
        ("telegram", tg_id(T.TG_DELETED)): "deleted",
    }
    forms = {(r["native_id"], r["form"]) for r in rows(
        settings, "SELECT p.native_id, ap.form FROM article_posts ap JOIN posts p ON p.id = ap.post_id")}
    assert forms == {
        (T.TH_PHOTO.code, "blockquote"), (tg_id(T.TG_PHOTO), "script_widget"), (T.TH_VIDEO.code, "status_link"),
        (tg_id(T.TG_VIDEO), "iframe"), (tg_id(T.TG_DELETED), "status_link"),
    }

    # Threads: its data from the embed page, its card, its photos as served.
    th = captures(settings, "threads", T.TH_PHOTO.code)
    assert sorted((c["kind"], c["source"]) for c in th) == [("data", "embed_page"), ("photo", None), ("photo", None),
                                                            ("screenshot", None)]
    photos = sorted((c for c in th if c["kind"] == "photo"), key=lambda c: c["source_url"])
    for capture, item in zip(photos, T.TH_PHOTO.media, strict=True):
        assert capture["source_url"] == item.url
        assert kept(settings, capture) == media_gen.jpeg(item.label, item.width, item.height, 7, False, None)
    video = captures(settings, "threads", T.TH_VIDEO.code)
    assert sorted((c["kind"], c["source"]) for c in video) == [("data", "embed_page"), ("poster", None),
                                                               ("screenshot", None), ("video", None)]
    item = T.TH_VIDEO.media[0]
    assert kept(settings, next(c for c in video if c["kind"] == "video")) == media_gen.mp4(
        f"th-{item.key}", item.width, item.height, audio=True)

    # Telegram: the embed page, the card, photos from the page, the video through yt-dlp.
    tg = captures(settings, "telegram", tg_id(T.TG_PHOTO))
    assert sorted((c["kind"], c["source"]) for c in tg) == [("data", "embed_page"), ("photo", None), ("photo", None),
                                                            ("screenshot", None)]
    for photo in T.TG_PHOTO.media:
        capture = next(c for c in tg if c["source_url"] == photo.url)
        assert kept(settings, capture) == media_gen.jpeg(photo.label, photo.width, photo.height, 5, False, None)
    tv = captures(settings, "telegram", tg_id(T.TG_VIDEO))
    assert sorted((c["kind"], c["source"]) for c in tv) == [("data", "embed_page"), ("data", "yt-dlp"), ("poster", None),
                                                            ("screenshot", None), ("video", "yt-dlp")]
    clip: TgMedia = T.TG_VIDEO.media[0]
    assert kept(settings, next(c for c in tv if c["kind"] == "video")) == media_gen.mp4(
        f"tg-{clip.key}", clip.width, clip.height, audio=True)
    urls = {r["url"] for r in rows(settings, "SELECT url FROM exchanges")}
    assert clip.url in urls  # yt-dlp's request, made by archiver's client
    gone = captures(settings, "telegram", tg_id(T.TG_DELETED))
    assert sorted((c["kind"], c["source"]) for c in gone) == [("data", "channel"), ("data", "embed_page")]
    assert assert_files_intact(settings) > 0

    # Evidence treats them as posts: provenance links the data to its request, the
    # history reads a post URL, verify passes.
    from archiver.api import history, provenance, sweep, verify

    for ref, marker in [(f"telegram:{tg_id(T.TG_PHOTO)}", "/riverwatchnews/130?embed=1"),
                        (f"threads:{T.TH_PHOTO.code}", f"/@riverwatch/post/{T.TH_PHOTO.code}/embed")]:
        data = [c for c in provenance(settings, ref).captures if c["kind"] == "data"]
        assert any(marker in r["url"] and r["gave_this_file"] for c in data for r in c["requests"]), ref
    assert history(settings, T.TG_PHOTO.url).post["native_id"] == tg_id(T.TG_PHOTO)
    assert history(settings, f"https://www.threads.net/@riverwatch/post/{T.TH_PHOTO.code}").post["platform"] == "threads"
    assert verify(settings).ok

    # The channel later deletes its photo post: a sweep sees it.
    fake_world.telegram.posts[("riverwatchnews", T.TG_PHOTO.id)].state = "deleted"
    sweep(settings, everything=True)
    assert rows(settings, "SELECT status FROM posts WHERE native_id = ?", tg_id(T.TG_PHOTO))[0]["status"] == "deleted"
    assert rows(settings, "SELECT status FROM posts WHERE native_id = ?", T.TH_PHOTO.code)[0]["status"] == "live"
    assert any(e.what == "check: deleted" for e in history(settings, f"telegram:{tg_id(T.TG_PHOTO)}").entries)
    assert verify(settings).ok


def test_a_wall_or_a_media_failure_is_a_per_post_error_and_the_post_is_kept(
    settings: Settings, fake_world: World
) -> None:
    from tests.fakeplatform.pages import article_page
    from tests.fakeplatform.world import Page

    url = "https://www.example-news.com/2026/03/walls"
    fake_world.add_page(url, Page.html(article_page("Walls", [
        f'<p><a href="{T.TH_CONSENT.url}">under a dialog</a> and <a href="{T.TH_PHOTO.url}">photos</a></p>',
    ])))
    fake_world.faults[("scontent.cdninstagram.com", T.TH_PHOTO.media[1].key)] = "404"
    summary = archive([url], settings)
    assert len(summary.errors) == 2, summary.errors
    wall = next(e for e in summary.errors if T.TH_CONSENT.code in e)
    assert "a cookie consent dialog" in wall
    assert not [c for c in captures(settings, "threads", T.TH_CONSENT.code) if c["kind"] == "screenshot"]
    failed = next(e for e in summary.errors if T.TH_PHOTO.code in e)
    assert "photo not copied" in failed
    kinds = sorted(c["kind"] for c in captures(settings, "threads", T.TH_PHOTO.code))
    assert kinds == ["data", "photo", "screenshot"]
    status = {r["native_id"]: (r["status"], r["capture_complete"]) for r in rows(settings, "SELECT * FROM posts")}
    assert status[T.TH_PHOTO.code] == ("live", 0) and status[T.TH_CONSENT.code][0] == "live"


def test_threads_oembed_is_counted_against_metas_hourly_budget() -> None:
    """Meta's tokenless oEmbed allows 1,000 requests an hour per endpoint (guide §0.3):
    Threads declares it, so the Fetcher counts it across runs as it does Instagram's."""
    from archiver.config import Settings
    from archiver.platforms import budgets_for, platform_named
    from archiver.plumbing.hostlimits import Budget

    threads = platform_named("threads")
    assert budgets_for(threads, Settings()) == {"https://graph.threads.net/v1.0/oembed": Budget(1000, 3600.0)}
    assert budgets_for(threads, Settings(budgets={"threads": {"oembed": "2/1m"}})) == {
        "https://graph.threads.net/v1.0/oembed": Budget(2, 60.0)}

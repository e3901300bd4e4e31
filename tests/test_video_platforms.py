"""YouTube and TikTok, end to end against the fake platform: found in an article in every
form, their verdicts, their cards, their media through yt-dlp, a sweep seeing a deletion.

YouTube's media come through the test-installed yt-dlp extractor plugin
(tests/ytdlp_plugins), as yt-dlp's own YouTube extractor cannot run offline; TikTok's
through yt-dlp's own extractor.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms import platform_named
from archiver.steps.find import find_embeds
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform.pages import article_page, para
from tests.fakeplatform.tiktok import TikTokVideo
from tests.fakeplatform.youtube import Video

PLUGINS = Path(__file__).resolve().parent / "ytdlp_plugins"
ARTICLE = "https://www.example-news.com/2026/05/02/river-videos.html"
BASE = "https://www.example-news.com/a.html"
LIVE = Video("dQw4w9WgXcQ", "Flood on the river road", "River TV", "UCriver0000000000000000", "rivertv")
GONE = Video("Xy9_-AbCdE1", "Old clip", "River TV", "UCriver0000000000000000", "rivertv", state="deleted")
PRIVATE = Video("Pr1vateVid0", "Hidden", "River TV", "UCriver0000000000000000", "rivertv", state="private")
WALLED = Video("ConsentVid0", "Walled clip", "River TV", "UCriver0000000000000000", "rivertv", state="consent")
TT = TikTokVideo("7300000000000000001", "ana", "Ana", "the river is rising #flood", short_code="ZMabc123")
TT_PRIVATE = TikTokVideo("7300000000000000002", "ana", "Ana", "hidden", state="private_post")


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = open_archive(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def found(html: str) -> list[tuple[str, str, str | None]]:
    return [(e.platform, e.form, e.native_id) for e in find_embeds(html, "text/html", BASE) if e.platform != "twitter"]


# --------------------------------------------------------------------------- finding


def test_every_youtube_form_is_found() -> None:
    page = f"""
    <iframe width="560" height="315" src="https://www.youtube.com/embed/{LIVE.id}?feature=oembed" allowfullscreen></iframe>
    <iframe data-src="//www.youtube-nocookie.com/embed/AAAAAAAAAA1?rel=0" class="lazyload"></iframe>
    <amp-youtube data-videoid="AAAAAAAAAA2" layout="responsive" width="480" height="270"></amp-youtube>
    <object data="http://www.youtube.com/v/AAAAAAAAAA3&amp;hl=en"></object>
    <p>Watch <a href="https://youtu.be/AAAAAAAAAA4?si=xyz">this</a> and https://m.youtube.com/shorts/AAAAAAAAAA5 too,
    or <a href="https://www.youtube.com/watch?feature=share&amp;v=AAAAAAAAAA6">here</a>.</p>
    <figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube"><div class="wp-block-embed__wrapper">
    https://www.youtube.com/watch?v=AAAAAAAAAA7
    </div></figure>
    <iframe class="embedly-embed" src="//cdn.embedly.com/widgets/media.html?src=https%3A%2F%2Fwww.youtube.com%2Fembed%2FAAAAAAAAAA8&amp;url=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3DAAAAAAAAAA8&amp;type=text%2Fhtml&amp;schema=youtube"></iframe>
    <iframe src="https://www.youtube.com/embed/videoseries?list=PL0123456789"></iframe>
    <a href="https://www.youtube.com/@rivertv">our channel</a>
    <script>var other = 'https://www.youtube.com/embed/AAAAAAAAAA9';</script>
    """
    assert sorted(found(page)) == sorted([
        ("youtube", "iframe", LIVE.id),
        ("youtube", "iframe", "AAAAAAAAAA1"),
        ("youtube", "amp", "AAAAAAAAAA2"),
        ("youtube", "flash", "AAAAAAAAAA3"),
        ("youtube", "status_link", "AAAAAAAAAA4"),
        ("youtube", "status_link", "AAAAAAAAAA5"),
        ("youtube", "status_link", "AAAAAAAAAA6"),
        ("youtube", "cms_wrapper", "AAAAAAAAAA7"),
        ("youtube", "cms_wrapper", "AAAAAAAAAA8"),
    ])


def test_every_tiktok_form_is_found() -> None:
    page = f"""
    <blockquote class="tiktok-embed" cite="https://www.tiktok.com/@ana/video/{TT.id}" data-video-id="{TT.id}"
      style="max-width: 605px;min-width: 325px;"><section><a href="https://www.tiktok.com/@ana">@ana</a></section></blockquote>
    <script async src="https://www.tiktok.com/embed.js"></script>
    <amp-tiktok width="325" height="575" data-src="7300000000000000003"></amp-tiktok>
    <iframe src="https://www.tiktok.com/player/v1/7300000000000000004?music_info=1"></iframe>
    <p><a href="https://www.tiktok.com/@ben/video/7300000000000000005?is_from_webapp=1">a video</a>
    and <a href="https://vm.tiktok.com/ZMabc123/">a short link</a>.</p>
    <figure class="wp-block-embed is-type-video is-provider-tiktok wp-block-embed-tiktok"><div class="wp-block-embed__wrapper">
    https://www.tiktok.com/@cat/video/7300000000000000006
    </div></figure>
    <a href="https://www.tiktok.com/@ana">her profile</a>
    """
    assert sorted(found(page)) == sorted([
        ("tiktok", "blockquote", TT.id),
        ("tiktok", "amp", "7300000000000000003"),
        ("tiktok", "iframe", "7300000000000000004"),
        ("tiktok", "status_link", "7300000000000000005"),
        ("tiktok", "short_link", None),
        ("tiktok", "cms_wrapper", "7300000000000000006"),
    ])


@pytest.mark.parametrize(
    ("state", "verdict", "says"),
    [
        ("live", "live", "live"),
        ("deleted", "deleted", "removed-by-uploader"),
        ("gone", "unavailable", "unavailable"),
        ("private", "unavailable", "private"),
        ("age", "unavailable", "age-restricted"),
        ("region", "unavailable", "region-blocked"),
        ("bot", "unknown", "bot-check"),
        ("later", "unknown", "bot-check"),
        ("mismatch", "unknown", "another-video"),
    ],
)
def test_youtube_verdicts(settings: Settings, fake_world: World, state: str, verdict: str, says: str) -> None:
    fake_world.youtube_videos[LIVE.id] = Video(LIVE.id, LIVE.title, LIVE.channel, LIVE.channel_id, LIVE.handle, state=state)  # type: ignore[arg-type]
    fake_world.youtube_videos["OtherVideo1"] = Video("OtherVideo1", "Another", "Other", "UCother", "other")
    fake_world.faults[("www.youtube.com", "/oembed")] = "503"  # the watch page alone decides
    fetched = _fetch(settings, "youtube", LIVE.id)
    assert (fetched.status, fetched.signals["watch_page"]["says"]) == (verdict, says)
    assert fetched.complete == (verdict == "live")


def test_when_the_watch_page_is_a_bot_check_oembed_still_says_live(settings: Settings, fake_world: World) -> None:
    fake_world.youtube_videos[LIVE.id] = Video(LIVE.id, LIVE.title, LIVE.channel, LIVE.channel_id, LIVE.handle, state="bot")
    fetched = _fetch(settings, "youtube", LIVE.id)
    assert (fetched.status, fetched.complete) == ("live", False)
    assert fetched.data is not None and fetched.data.text == LIVE.title and fetched.data.author_handle == LIVE.handle


@pytest.mark.parametrize("fault", ["429", "503", "reset"])
def test_a_youtube_fault_is_never_a_deletion(settings: Settings, fake_world: World, fault: str) -> None:
    fake_world.youtube_videos[GONE.id] = GONE
    fake_world.faults[("www.youtube.com", "/watch")] = fault
    fake_world.faults[("www.youtube.com", "/oembed")] = "404"
    assert _fetch(settings, "youtube", GONE.id).status == "unknown"


@pytest.mark.parametrize(
    ("state", "verdict"),
    [("live", "live"), ("private_post", "unavailable"), ("private_account", "unavailable"), ("removed", "unavailable"),
     ("blocked", "live"), ("gated", "unavailable"), ("login", "unknown"), ("challenge", "unknown")],
)
def test_tiktok_verdicts_never_call_a_video_deleted(settings: Settings, fake_world: World, state: str, verdict: str) -> None:
    fake_world.tiktok_videos[TT.id] = TikTokVideo(TT.id, TT.user, TT.nickname, TT.desc, state=state)  # type: ignore[arg-type]
    assert _fetch(settings, "tiktok", TT.id).status == verdict


def _fetch(settings: Settings, name: str, native_id: str):  # type: ignore[no-untyped-def]
    import asyncio

    from archiver.plumbing.blobs import BlobStore
    from archiver.plumbing.net import Fetcher

    platform = platform_named(name)
    assert platform is not None

    async def go():  # type: ignore[no-untyped-def]
        async with Fetcher(settings, BlobStore(settings.data_dir)) as fetcher:
            return await platform.fetch_post(fetcher, native_id, platform.endpoints)

    return asyncio.run(go())


# --------------------------------------------------------------------------- end to end


def test_an_article_of_videos_is_archived_and_a_sweep_sees_a_deletion(
    settings: Settings, fake_world: World, fake_platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(PLUGINS))
    for video in (LIVE, GONE, PRIVATE, WALLED):
        fake_world.youtube_videos[video.id] = Video(**vars(video))
    for tt in (TT, TT_PRIVATE):
        fake_world.tiktok_videos[tt.id] = TikTokVideo(**vars(tt))
    fake_world.add_page(ARTICLE, Page.html(article_page("River videos", [
        para("The flood, filmed by a neighbour:"),
        f'<iframe width="480" height="270" src="https://www.youtube.com/embed/{LIVE.id}" allowfullscreen></iframe>',
        para("An older clip: ") + f'<a href="https://youtu.be/{GONE.id}">youtu.be/{GONE.id}</a>',
        f'<p><a href="https://www.youtube.com/watch?v={PRIVATE.id}">private</a> and '
        f'<a href="https://www.youtube.com/watch?v={WALLED.id}">walled</a></p>',
        f'<blockquote class="tiktok-embed" cite="{TT.url}" data-video-id="{TT.id}"><section>{TT.desc}</section></blockquote>',
        f'<p>Also <a href="https://vm.tiktok.com/{TT.short_code}/">on TikTok</a> and '
        f'<a href="{TT_PRIVATE.url}">hidden</a>.</p>',
    ])))
    summary = archive([ARTICLE], settings)

    status = {(r["platform"], r["native_id"]): r["status"] for r in rows(settings, "SELECT * FROM posts")}
    assert status == {
        ("youtube", LIVE.id): "live", ("youtube", GONE.id): "deleted", ("youtube", PRIVATE.id): "unavailable",
        ("youtube", WALLED.id): "live", ("tiktok", TT.id): "live", ("tiktok", TT_PRIVATE.id): "unavailable",
    }
    # The consent wall is a clear per-post error, not a picture of the wall.
    assert [e for e in summary.errors if WALLED.id in e] == [
        next(e for e in summary.errors if WALLED.id in e)
    ]
    assert "the embed page shows a cookie consent page, not the post" in next(e for e in summary.errors if WALLED.id in e)
    assert not [c for c in _captures(settings, "youtube", WALLED.id) if c["kind"] == "screenshot"]
    assert len(summary.errors) == 1, summary.errors

    yt = _captures(settings, "youtube", LIVE.id)
    assert sorted((c["kind"], c["source"]) for c in yt) == sorted([
        ("data", "watch_page"), ("data", "oembed"), ("data", "yt-dlp"), ("screenshot", None), ("poster", None),
        ("video", "yt-dlp"), ("audio", "yt-dlp"), ("video", "merged"),
    ])
    tt = _captures(settings, "tiktok", TT.id)
    assert sorted((c["kind"], c["source"]) for c in tt) == sorted([
        ("data", "page"), ("data", "oembed"), ("data", "yt-dlp"), ("screenshot", None), ("poster", None), ("video", "yt-dlp"),
    ])
    forms = {(r["native_id"], r["form"]) for r in rows(
        settings, "SELECT p.native_id, ap.form FROM article_posts ap JOIN posts p ON p.id = ap.post_id")}
    assert (TT.id, "short_link") in forms and (TT.id, "blockquote") in forms and (GONE.id, "status_link") in forms
    hops = rows(settings, "SELECT hops, final_url FROM links WHERE url = ?", f"https://vm.tiktok.com/{TT.short_code}/")
    assert hops and hops[0]["final_url"] == TT.url
    tools = json.loads(rows(settings, "SELECT tools FROM runs")[0]["tools"])
    assert tools["yt-dlp"].startswith("yt-dlp 20")
    # ffmpeg merged YouTube's streams: its version is the run's too, and the merged file's.
    assert tools["ffmpeg"].startswith("ffmpeg ") and tools["ffmpeg"] != "ffmpeg "
    merged = next(c for c in yt if c["source"] == "merged")
    assert json.loads(merged["checked_as"])["made_with"] == tools["ffmpeg"]
    assert assert_files_intact(settings) > 0
    # Every request yt-dlp made is an exchange of the run.
    urls = {r["url"] for r in rows(settings, "SELECT url FROM exchanges")}
    assert f"https://rr1---sn-fake.googlevideo.com/videoplayback?id={LIVE.id}&itag=140" in urls
    assert TT.play in urls

    # Later the uploader removes the YouTube video: a sweep sees it.
    from archiver.api import sweep

    fake_world.youtube_videos[LIVE.id].state = "deleted"
    sweep(settings, everything=True)
    assert rows(settings, "SELECT status FROM posts WHERE native_id = ?", LIVE.id)[0]["status"] == "deleted"


def _captures(settings: Settings, platform: str, native_id: str) -> list[sqlite3.Row]:
    return rows(
        settings,
        "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.platform = ? AND p.native_id = ?",
        platform, native_id,
    )

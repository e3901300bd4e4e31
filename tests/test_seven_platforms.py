"""Issue 14's "done when": one article embedding a post of each of the seven platforms
(YouTube, TikTok, Instagram, Facebook, Threads, Telegram, Reddit) and two tweets, archived
in one run against the fake platform; then a sweep that sees a later deletion.

YouTube's media come through the test-installed yt-dlp extractor plugin
(tests/ytdlp_plugins): yt-dlp's own YouTube extractor cannot run offline. Every other
platform's media come through its real path (archiver's fetcher, or yt-dlp's own extractor
through archiver's request handler).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archiver.api import sweep, verify
from archiver.config import Settings
from archiver.pipeline import archive
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.meta_sample import FB_POST, IG_PHOTO, facebook_snippet, instagram_blockquote
from tests.fakeplatform.pages import article_page, para
from tests.fakeplatform.telegram import widget_snippet
from tests.fakeplatform.threads import blockquote as threads_blockquote
from tests.fakeplatform.threads_telegram_sample import TG_DELETED, TG_PHOTO, TH_PHOTO
from tests.fakeplatform.tiktok import TikTokVideo
from tests.fakeplatform.youtube import Video

PLUGINS = Path(__file__).resolve().parent / "ytdlp_plugins"
ARTICLE = "https://www.example-news.com/2026/06/flood-seven-platforms.html"
YT_LIVE = Video("Fl00dRiv3r1", "Flood on the river road", "River TV", "UCriver0000000000000000", "rivertv")
YT_GONE = Video("Fl00dG0ne01", "Old clip", "River TV", "UCriver0000000000000000", "rivertv", state="deleted")
TT_LIVE = TikTokVideo("7300000000000000101", "ana", "Ana", "the river is rising #flood")
TT_PRIVATE = TikTokVideo("7300000000000000102", "ana", "Ana", "hidden", state="private_post")
REDDIT_POST = "1fv4r6"  # the sample world's live Reddit post with an image (reddit.sample_state)

REDDIT_SNIPPET = f"""
<blockquote class="reddit-embed-bq" data-embed-height="500">
  <a href="https://www.reddit.com/r/flooding/comments/{REDDIT_POST}/the_river/">The river at the old mill</a><br> by
  <a href="https://www.reddit.com/user/riverwatch/">u/riverwatch</a> in <a href="https://www.reddit.com/r/flooding/">flooding</a>
</blockquote><script async src="https://embed.reddit.com/widgets.js" charset="UTF-8"></script>"""


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = open_archive(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def kinds(settings: Settings, platform: str, native_id: str) -> set[str]:
    return {r["kind"] for r in rows(
        settings,
        "SELECT c.kind FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.platform = ? AND p.native_id = ?",
        platform, native_id,
    )}


def test_an_article_citing_seven_platforms_and_two_tweets_is_archived_in_one_run(
    settings: Settings, fake_world: World, fake_platform: FakePlatform, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(PLUGINS))
    for video in (YT_LIVE, YT_GONE):
        fake_world.youtube_videos[video.id] = Video(**vars(video))
    for tt in (TT_LIVE, TT_PRIVATE):
        fake_world.tiktok_videos[tt.id] = TikTokVideo(**vars(tt))
    tweets = [str(S.JULIACA_DOCTOR_ID), str(S.JULIACA_MARCH_ID)]
    fake_world.add_page(ARTICLE, Page.html(article_page("The flood, as people posted it", [
        para("What the people of the valley posted as the river rose."),
        S._embed(fake_world, int(tweets[0])),
        f'<iframe width="480" height="270" src="https://www.youtube.com/embed/{YT_LIVE.id}" allowfullscreen></iframe>',
        para("An older clip is gone: ") + f'<a href="https://youtu.be/{YT_GONE.id}">youtu.be/{YT_GONE.id}</a>',
        f'<blockquote class="tiktok-embed" cite="{TT_LIVE.url}" data-video-id="{TT_LIVE.id}">'
        f'<section>{TT_LIVE.desc}</section></blockquote>',
        para("A friend's video is private: ") + f'<a href="{TT_PRIVATE.url}">on TikTok</a>',
        instagram_blockquote(IG_PHOTO),
        facebook_snippet(FB_POST),
        threads_blockquote(TH_PHOTO),
        widget_snippet(TG_PHOTO),
        para("The channel's earlier figures were withdrawn:"),
        widget_snippet(TG_DELETED),
        REDDIT_SNIPPET,
        S._embed(fake_world, int(tweets[1])),
    ])))

    summary = archive([ARTICLE], settings)

    assert summary.errors == [], summary.errors
    status = {(r["platform"], r["native_id"]): r["status"] for r in rows(settings, "SELECT * FROM posts")}
    live = {
        ("twitter", tweets[0]), ("twitter", tweets[1]), ("youtube", YT_LIVE.id), ("tiktok", TT_LIVE.id),
        ("instagram", IG_PHOTO.code), ("facebook", f"{FB_POST.owner.lower()}/posts/{FB_POST.id}"), ("threads", TH_PHOTO.code),
        ("telegram", f"{TG_PHOTO.channel.lower()}/{TG_PHOTO.id}"), ("reddit", REDDIT_POST),
    }
    gone = {
        ("youtube", YT_GONE.id): "deleted",
        ("tiktok", TT_PRIVATE.id): "unavailable",
        ("telegram", f"{TG_DELETED.channel.lower()}/{TG_DELETED.id}"): "deleted",
    }
    assert status == {**{ref: "live" for ref in live}, **gone}
    assert {p for p, _ in live} == {"twitter", "youtube", "tiktok", "instagram", "facebook", "threads", "telegram", "reddit"}
    # Data, card and media for every live post; YouTube's media through the test's extractor plugin.
    for platform, native_id in live:
        got = kinds(settings, platform, native_id)
        assert {"data", "screenshot"} <= got, (platform, got)
        assert got & {"photo", "video"}, (platform, got)
    assert {r["n"] for r in rows(settings, "SELECT COUNT(*) AS n FROM article_posts")} == {len(live) + len(gone)}
    assert assert_files_intact(settings) > 0
    report = verify(settings)
    assert report.ok, report.lines()

    # Later the channel deletes the Telegram post: a sweep sees it (Telegram's embed page is
    # not cached: no second check is needed before the change is recorded).
    fake_world.telegram.posts[(TG_PHOTO.channel.lower(), TG_PHOTO.id)].state = "deleted"
    sweep(settings, everything=True)
    after = {(r["platform"], r["native_id"]): r["status"] for r in rows(settings, "SELECT * FROM posts")}
    assert after[("telegram", f"{TG_PHOTO.channel.lower()}/{TG_PHOTO.id}")] == "deleted"
    assert {ref: s for ref, s in after.items() if ref[0] not in ("telegram",)} == {
        ref: s for ref, s in status.items() if ref[0] not in ("telegram",)
    }
    events = rows(settings, "SELECT e.kind FROM events e JOIN posts p ON p.id = e.post_id WHERE p.platform = 'telegram'")
    assert "deleted" in {e["kind"] for e in events}
    assert verify(settings).ok

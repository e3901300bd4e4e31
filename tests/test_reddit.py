"""Reddit, end to end against the fake platform (tests/fakeplatform/reddit.py): posts and
comments found in every form, their verdicts from Reddit's JSON, faults never a deletion,
rate-limit headers kept, cards, media (i.redd.it images as served, galleries, v.redd.it
video through yt-dlp's own Reddit extractor), and a sweep seeing a later deletion.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
import time
from dataclasses import replace

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms import platform_named
from archiver.platforms.base import PostFetch
from archiver.steps.find import find_embeds
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform import media as media_gen
from tests.fakeplatform.pages import article_page, para
from tests.fakeplatform.reddit import RedditComment, RedditPost

BASE = "https://www.example-news.com/a.html"
ARTICLE = "https://www.example-news.com/2026/05/03/flood-on-reddit.html"
IMAGE_POST = "1fv4r6"  # the sample world's (tests/fakeplatform/reddit.py sample_state)
VIDEO_POST = "1vid00"
GALLERY_POST = "1gal00"
COMMENT = "1fv4r6/caeb3pl"


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = open_archive(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def found(html: str) -> list[tuple[str, str, str | None]]:
    return [(e.platform, e.form, e.native_id) for e in find_embeds(html, "text/html", BASE) if e.platform == "reddit"]


def reddit():  # type: ignore[no-untyped-def]
    platform = platform_named("reddit")
    assert platform is not None
    return platform


# --------------------------------------------------------------------------- finding


def test_every_reddit_form_is_found() -> None:
    page = """
    <blockquote class="reddit-embed-bq" data-embed-height="500" data-embed-theme="dark" data-embed-showedits="false"
      data-embed-created="2024-05-01T08:00:00.000Z" style="height:500px">
      <a href="https://www.reddit.com/r/flooding/comments/1aaaa1/the_river/">The river</a><br> by
      <a href="https://www.reddit.com/user/riverwatch/">u/riverwatch</a> in <a href="https://www.reddit.com/r/flooding/">flooding</a>
    </blockquote><script async src="https://embed.reddit.com/widgets.js" charset="UTF-8"></script>
    <blockquote class="reddit-embed-bq" data-embed-height="240">
      <a href="https://www.reddit.com/r/flooding/comments/1aaaa2/comment/kc0mm1/">Comment</a><br> by
      <a href="https://www.reddit.com/user/ana/">u/ana</a> from discussion
      <a href="https://www.reddit.com/r/flooding/comments/1aaaa2/other/">Other</a><br> in <a href="https://www.reddit.com/r/flooding/">flooding</a>
    </blockquote>
    <blockquote class="reddit-card" data-card-created="1500000000">
      <a href="https://www.reddit.com/r/news/comments/6rrwyj/old_card/?ref_source=embed&amp;ref=share">Old card</a>
      from <a href="http://www.reddit.com/r/news">news</a></blockquote>
    <script async src="//embed.redditmedia.com/widgets/platform.js" charset="UTF-8"></script>
    <div class="reddit-embed" data-embed-media="www.redditmedia.com" data-embed-parent="false" data-embed-live="false"
      data-embed-created="2016-01-01T00:00:00.000Z">
      <a href="https://www.reddit.com/r/news/comments/3xyz12/some_story/cy0ld01">Comment</a> from discussion
      <a href="https://www.reddit.com/r/news/comments/3xyz12/some_story/">Some story</a></div>
    <script async src="https://www.redditstatic.com/comment-embed.js"></script>
    <iframe src="https://embed.reddit.com/r/gaming/comments/1tki2q5/valorant/?embed=true&amp;ref_source=embed&amp;ref=share&amp;utm_medium=widgets"
      height="500" width="640"></iframe>
    <iframe src="https://www.redditmedia.com/r/serbia/comments/pu9wbx/ako/?ref_source=embed&amp;ref=share&amp;embed=true"></iframe>
    <amp-reddit layout="responsive" width="300" height="400" data-embedtype="post"
      data-src="https://www.reddit.com/r/me_irl/comments/52rmir/me_irl/"></amp-reddit>
    <amp-reddit layout="responsive" width="400" height="400" data-embedtype="comment"
      data-src="https://www.reddit.com/r/sports/comments/54loj1/50_cents_awful_1st_pitch/d8306kw"
      data-uuid="b1246282-bd7b-4778-8c5b-5b08ac0e175e" data-embedcreated="2016-09-26T21:26:17.823Z"
      data-embedparent="true" data-embedlive="true"></amp-reddit>
    <figure class="wp-block-embed is-type-rich is-provider-reddit wp-block-embed-reddit"><div class="wp-block-embed__wrapper">
    https://www.reddit.com/r/flooding/comments/1wpwp1/wordpress/
    </div></figure>
    <div class="iframely-embed"><div class="iframely-responsive"><a href="https://www.reddit.com/r/pics/comments/1ifr01/x/"
      data-iframely-url="//cdn.iframe.ly/abc123"></a></div></div>
    <iframe class="embedly-embed" src="//cdn.embedly.com/widgets/media.html?url=https%3A%2F%2Fwww.reddit.com%2Fr%2Fpics%2Fcomments%2F1emb01%2Fy%2F&amp;type=text%2Fhtml&amp;schema=reddit"></iframe>
    <p>Links: <a href="https://old.reddit.com/r/AskReddit/comments/1old01/q/">old</a>,
    <a href="https://np.reddit.com/r/AskReddit/comments/1np001/q/d0np001/?context=3">a comment on np</a>,
    <a href="http://m.reddit.com/r/pics/comments/1m0b01">mobile</a>,
    <a href="https://new.reddit.com/user/creepyt0es/comments/nip71r/i_plan/">a profile post</a>,
    <a href="https://www.reddit.com/u/ana/comments/1u0001/x/">a /u/ post</a>,
    <a href="https://redd.it/1shrt1">a short link</a>,
    <a href="https://www.reddit.com/r/flooding/s/AbCdEf1234">a share link</a>,
    <a href="https://www.reddit.com/gallery/1gal01">a gallery</a>,
    and in text https://www.reddit.com/r/changemyview/comments/1fv4r6/i_believe/caeb3pl too.</p>
    <p>Not posts: <a href="https://www.reddit.com/r/flooding/">a subreddit</a>, <a href="https://www.reddit.com/user/vice">a user</a>,
    <a href="https://www.reddit.com/submit?url=https%3A%2F%2Fexample.com%2F">share on Reddit</a>,
    <a href="https://i.redd.it/abc.jpg">an image</a>, <a href="https://v.redd.it/zv89llsvexdz">a video file</a>.</p>
    <script src="https://www.redditstatic.com/ads/pixel.js"></script>
    <script>var x = 'https://www.reddit.com/r/a/comments/1scr01/in_a_script/';</script>
    """
    assert sorted(found(page), key=str) == sorted([
        ("reddit", "blockquote", "1aaaa1"),
        ("reddit", "blockquote", "1aaaa2/kc0mm1"),
        ("reddit", "blockquote", "6rrwyj"),
        ("reddit", "blockquote", "3xyz12/cy0ld01"),
        ("reddit", "iframe", "1tki2q5"),
        ("reddit", "iframe", "pu9wbx"),
        ("reddit", "amp", "52rmir"),
        ("reddit", "amp", "54loj1/d8306kw"),
        ("reddit", "cms_wrapper", "1wpwp1"),
        ("reddit", "cms_wrapper", "1ifr01"),
        ("reddit", "cms_wrapper", "1emb01"),
        ("reddit", "status_link", "1old01"),
        ("reddit", "status_link", "1np001/d0np001"),
        ("reddit", "status_link", "1m0b01"),
        ("reddit", "status_link", "nip71r"),
        ("reddit", "status_link", "1u0001"),
        ("reddit", "short_link", "1shrt1"),
        ("reddit", "short_link", None),
        ("reddit", "status_link", "1gal01"),
        ("reddit", "status_link", "1fv4r6/caeb3pl"),
    ], key=str)


@pytest.mark.parametrize(
    ("url", "native_id"),
    [
        ("http://www.reddit.com/r/changemyview/comments/1fv4r6/i_believe_the_government_should_be_allowed_to/caeb3pl",
         "1fv4r6/caeb3pl"),
        ("https://www.reddit.com/r/x/comments/1fv4r6/slug/comment/caeb3pl/", "1fv4r6/caeb3pl"),
        ("https://www.reddit.com/comments/1fv4r6/comment/caeb3pl/", "1fv4r6/caeb3pl"),
        ("https://www.reddit.com/comments/1fv4r6/_/caeb3pl/.json?raw_json=1", "1fv4r6/caeb3pl"),
        ("https://www.reddit.com/comments/1fv4r6/.json?raw_json=1", "1fv4r6"),
        ("https://sh.reddit.com/r/x/comments/1FV4R6/", "1fv4r6"),
        ("https://embed.reddit.com/r/x/comments/1fv4r6/slug/?embed=true", "1fv4r6"),
        ("redd.it/1fv4r6", "1fv4r6"),
        ("https://www.reddit.com/r/x/", None),
        ("https://out.reddit.com/t3_1fv4r6?url=https%3A%2F%2Fexample.com", None),
        ("https://www.reddit.com/r/x/comments/not-an-id!/", None),
        ("https://notreddit.com/r/x/comments/1fv4r6/", None),
        ("https://v.redd.it/1fv4r6", None),
    ],
)
def test_post_and_comment_ids(url: str, native_id: str | None) -> None:
    assert reddit().post_id_from_url(url) == native_id


def test_a_comment_is_a_post_of_its_own() -> None:
    platform = reddit()
    assert platform.canonical_url(COMMENT, None) == "https://www.reddit.com/comments/1fv4r6/comment/caeb3pl/"
    assert platform.post_id_from_url(platform.canonical_url(COMMENT, None)) == COMMENT
    assert platform.url_marker(COMMENT) == "caeb3pl"
    assert platform.names_post("https://www.reddit.com/comments/1fv4r6/_/caeb3pl/.json?raw_json=1", COMMENT)
    assert not platform.names_post("https://www.reddit.com/comments/1fv4r6/_/caeb3pl/.json?raw_json=1", "1fv4r6")
    assert platform.card_in_frame("https://embed.reddit.com/r/flooding/comments/1fv4r6/the_river/caeb3pl/?embed=true") == COMMENT
    assert platform.resolvable_link("https://www.reddit.com/u/ana/s/AbCdEf1234") == "https://www.reddit.com/u/ana/s/AbCdEf1234"
    assert platform.handle_from_url("https://www.reddit.com/user/creepyt0es/comments/nip71r/i_plan/") == "creepyt0es"
    assert set(platform.hosts) >= {"reddit.com", "redd.it", "redditmedia.com", "redditstatic.com"}


# --------------------------------------------------------------------------- verdicts


def _fetch(settings: Settings, native_id: str) -> PostFetch:
    from archiver.plumbing.blobs import BlobStore
    from archiver.plumbing.net import Fetcher

    platform = reddit()

    async def go() -> PostFetch:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as fetcher:
            fetched: PostFetch = await platform.fetch_post(fetcher, native_id, platform.endpoints)
            return fetched

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("state", "verdict", "says"),
    [
        ("live", "live", "live"),
        ("account_deleted", "live", "live"),
        ("deleted", "deleted", "deleted-by-author"),
        ("removed", "deleted", "removed-by-moderators"),
        ("reddit_removed", "deleted", "removed-by-reddit"),
        ("filtered", "unavailable", "held-for-review"),
    ],
)
def test_post_verdicts(settings: Settings, fake_world: World, state: str, verdict: str, says: str) -> None:
    fake_world.reddit.add(RedditPost("1st000", "flooding", "ana", "A post", "Its text.", state=state))  # type: ignore[arg-type]
    fetched = _fetch(settings, "1st000")
    assert (fetched.status, fetched.signals["json"]["says"]) == (verdict, says)
    assert fetched.complete == (verdict == "live")
    if state == "account_deleted":
        assert fetched.data is not None and fetched.data.author_handle is None and "Its text." in (fetched.data.text or "")


@pytest.mark.parametrize(
    ("state", "verdict", "says"),
    [("live", "live", "live"), ("deleted", "deleted", "deleted-by-author"), ("removed", "deleted", "removed-by-moderators")],
)
def test_comment_verdicts(settings: Settings, fake_world: World, state: str, verdict: str, says: str) -> None:
    fake_world.reddit.comments["caeb3pl"].state = state  # type: ignore[assignment]
    fetched = _fetch(settings, COMMENT)
    assert (fetched.status, fetched.signals["json"]["says"]) == (verdict, says)
    if verdict == "live":
        assert fetched.data is not None and fetched.data.author_handle == "neighbour"
        assert fetched.data.text == "I live two streets away: the water is knee-deep."
        assert fetched.data.created_at == "2024-05-01T09:00:00Z"


def test_a_comment_under_a_deleted_post_still_stands(settings: Settings, fake_world: World) -> None:
    fake_world.reddit.posts[IMAGE_POST].state = "deleted"
    assert _fetch(settings, COMMENT).status == "live"
    assert _fetch(settings, "1fv4r6/zzzzzz").signals["json"]["says"] == "comment-not-listed"


@pytest.mark.parametrize(
    ("subreddit", "says"),
    [("private", "subreddit-private"), ("quarantined", "subreddit-quarantined"), ("banned", "subreddit-banned")],
)
def test_closed_subreddits_are_unavailable(settings: Settings, fake_world: World, subreddit: str, says: str) -> None:
    fake_world.reddit.subreddits["flooding"] = subreddit  # type: ignore[assignment]
    for native_id in (IMAGE_POST, COMMENT):
        fetched = _fetch(settings, native_id)
        assert (fetched.status, fetched.signals["json"]["says"]) == ("unavailable", says)
    reason = reddit().unavailable_reason(fetched.signals)
    assert reason is not None and subreddit in reason


def test_an_unknown_post_is_unavailable_not_deleted(settings: Settings, fake_world: World) -> None:
    fetched = _fetch(settings, "1zzzzz")
    assert (fetched.status, fetched.signals["json"]["says"]) == ("unavailable", "not-found")
    assert "404" in (reddit().unavailable_reason(fetched.signals) or "")


@pytest.mark.parametrize("fault", ["429", "500", "503", "reset", "blocked", "rate_limited", "login_wall"])
def test_a_fault_is_never_a_deletion(settings: Settings, fake_world: World, fault: str) -> None:
    fake_world.reddit.posts["1del00"].state = "deleted"
    if fault == "blocked":
        fake_world.reddit.blocked = True
    elif fault == "rate_limited":
        fake_world.reddit.rate_limited = True
    elif fault == "login_wall":
        fake_world.reddit.login_wall = True
    else:
        fake_world.faults[("www.reddit.com", "/comments/1del00")] = fault
    fetched = _fetch(settings, "1del00")
    assert fetched.status == "unknown", fetched.signals
    says = {"blocked": "blocked", "login_wall": "login-wall", "rate_limited": "rate-limited", "429": "rate-limited"}
    if fault in says:
        assert fetched.signals["json"]["says"] == says[fault]


def test_reddits_rate_limit_headers_hold_the_host_across_runs(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    fake_world.reddit.remaining = 0.0  # the answer still comes, and says the limit is spent
    assert _fetch(settings, IMAGE_POST).status == "live"
    held = json.loads((settings.data_dir / "host_limits.json").read_text())
    assert "www.reddit.com" in held
    fake_platform.clear_requests()
    # The next run does not ask before the reset Reddit gave: unknown, not sent.
    fetched = _fetch(settings, "1del00")
    assert fetched.status == "unknown" and "not sent" in str(fetched.signals["json"].get("error"))
    assert fake_platform.requests_to("www.reddit.com") == []


# --------------------------------------------------------------------------- media, by what the JSON names


def test_media_of_image_gallery_and_video_posts(settings: Settings, fake_world: World) -> None:
    image = _fetch(settings, IMAGE_POST).data
    assert image is not None and image.media_page is None
    assert [(m.kind, m.url) for m in image.media] == [("photo", "https://i.redd.it/img1fv4r6.jpg")]
    assert (image.media[0].fallback_url or "").startswith("https://preview.redd.it/img1fv4r6.jpg?")
    gallery = _fetch(settings, GALLERY_POST).data
    assert gallery is not None
    assert [m.url for m in gallery.media] == [f"https://i.redd.it/gal1gal00n{i}.jpg" for i in range(3)]
    video = _fetch(settings, VIDEO_POST).data
    assert video is not None and video.media_page == "https://www.reddit.com/comments/1vid00/"
    assert [m.kind for m in video.media] == ["poster"]


def test_a_deleted_gallery_and_a_crosspost() -> None:
    from archiver.platforms.reddit import post_media
    from tests.fakeplatform.reddit import post_data

    gallery = post_data(RedditPost("1gdl00", "flooding", "x", "Gallery", kind="gallery", images=2))
    assert len(post_media(gallery, "1gdl00")[0]) == 2
    gallery.update(gallery_data=None)  # the guide: a gallery whose gallery_data is null was deleted
    assert post_media(gallery, "1gdl00") == ([], None)
    video = post_data(RedditPost("1vvv00", "flooding", "x", "Video", kind="video"))
    crosspost = post_data(RedditPost("1xps00", "elsewhere", "y", "Crossposted"))
    crosspost["crosspost_parent_list"] = [video]
    media, page = post_media(crosspost, "1xps00")
    assert page == "https://www.reddit.com/comments/1xps00/" and [m.kind for m in media] == ["poster"]


# --------------------------------------------------------------------------- end to end


def test_an_article_with_a_reddit_post_and_comment_is_archived_and_a_sweep_sees_a_deletion(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    image = fake_world.reddit.posts[IMAGE_POST]
    walled = RedditPost("1wal00", "flooding", "ana", "Walled embed", "Text.", embed_blocked=True)
    fake_world.reddit.add(walled, RedditComment("c0mm02", VIDEO_POST, "ben", "Sound on!", share_code="ShArE00002"))
    fake_world.add_page(ARTICLE, Page.html(article_page("The flood on Reddit", [
        para("A reader posted this:"),
        f'<blockquote class="reddit-embed-bq" data-embed-height="420"><a href="{image.url}">{image.title}</a><br> by '
        f'<a href="https://www.reddit.com/user/riverwatch/">u/riverwatch</a></blockquote>'
        '<script async src="https://embed.reddit.com/widgets.js" charset="UTF-8"></script>',
        '<p>A neighbour answered <a href="http://www.reddit.com/r/flooding/comments/1fv4r6/the_river/caeb3pl">in a '
        'comment</a>; the bridge <a href="https://redd.it/1vid00">on video</a> (and <a '
        'href="https://www.reddit.com/r/flooding/s/ShArE00002">a reply</a>), more <a '
        f'href="https://www.reddit.com/gallery/{GALLERY_POST}">photos</a>, a <a '
        'href="https://www.reddit.com/r/flooding/comments/1del00/x/">deleted post</a>, a <a '
        'href="https://www.reddit.com/r/flooding/comments/1rem00/x/">removed one</a>, a <a '
        'href="https://www.reddit.com/r/secretclub/comments/1prv00/x/">private one</a> and one <a '
        'href="https://www.reddit.com/r/flooding/comments/1wal00/x/">behind a wall</a>.</p>',
    ])))
    summary = archive([ARTICLE], settings)

    status = {r["native_id"]: r["status"] for r in rows(settings, "SELECT * FROM posts WHERE platform = 'reddit'")}
    assert status == {
        IMAGE_POST: "live", COMMENT: "live", VIDEO_POST: "live", f"{VIDEO_POST}/c0mm02": "live", GALLERY_POST: "live",
        "1del00": "deleted", "1rem00": "deleted", "1prv00": "unavailable", "1wal00": "live",
    }
    # The embed page behind the block page is a clear per-post error, not a picture of it.
    assert len(summary.errors) == 1, summary.errors
    assert "Reddit's network-security block page" in summary.errors[0] and "1wal00" in summary.errors[0]
    assert not [c for c in _captures(settings, "1wal00") if c["kind"] == "screenshot"]

    post = _captures(settings, IMAGE_POST)
    assert sorted((c["kind"], c["source"]) for c in post) == [("data", "json"), ("photo", None), ("screenshot", None)]
    photo = next(c for c in post if c["kind"] == "photo")
    assert photo["source_url"] == "https://i.redd.it/img1fv4r6.jpg"
    # the original as served, byte for byte
    assert photo["sha256"] == hashlib.sha256(media_gen.jpeg("img1fv4r6", 640, 480, 7, False, None)).hexdigest()
    comment = _captures(settings, COMMENT)
    assert sorted((c["kind"], c["source"]) for c in comment) == [("data", "json"), ("screenshot", None)]
    gallery = _captures(settings, GALLERY_POST)
    assert sorted(c["kind"] for c in gallery) == ["data", "photo", "photo", "photo", "screenshot"]
    video = _captures(settings, VIDEO_POST)
    assert sorted((c["kind"], c["source"]) for c in video) == sorted([
        ("data", "json"), ("data", "yt-dlp"), ("screenshot", None), ("poster", None),
        ("video", "yt-dlp"), ("audio", "yt-dlp"), ("video", "merged"),
    ])
    # The post's card was cut from the article page (its iframe), the comment's rendered alone.
    assert next(c for c in post if c["kind"] == "screenshot")["source_url"].startswith(
        "https://embed.reddit.com/r/flooding/comments/1fv4r6/")
    assert next(c for c in comment if c["kind"] == "screenshot")["source_url"] == (
        "https://embed.reddit.com/r/flooding/comments/1fv4r6/the_river_at_the_old_mill_this_morning/caeb3pl/?embed=true")
    forms = {(r["native_id"], r["form"]) for r in rows(
        settings, "SELECT p.native_id, ap.form FROM article_posts ap JOIN posts p ON p.id = ap.post_id")}
    assert {(IMAGE_POST, "blockquote"), (COMMENT, "status_link"), (VIDEO_POST, "short_link"),
            (f"{VIDEO_POST}/c0mm02", "short_link")} <= forms
    hops = rows(settings, "SELECT final_url FROM links WHERE url = ?", "https://www.reddit.com/r/flooding/s/ShArE00002")
    assert hops and "/comments/1vid00/" in hops[0]["final_url"]
    urls = {r["url"] for r in rows(settings, "SELECT url FROM exchanges")}
    assert "https://v.redd.it/vid1vid00/DASH_AUDIO_128.mp4" in urls  # yt-dlp's requests, made by archiver
    assert assert_files_intact(settings) > 0
    # Provenance names the requests behind the comment's capture, by the comment's URL.
    from archiver.api import history, provenance, verify

    traced = provenance(settings, "https://www.reddit.com/r/flooding/comments/1fv4r6/x/comment/caeb3pl/")
    assert traced.post["native_id"] == COMMENT
    data = next(c for c in traced.captures if c["kind"] == "data")
    assert "https://www.reddit.com/comments/1fv4r6/_/caeb3pl/.json?raw_json=1" in [
        r["url"] for r in data["requests"] if r["gave_this_file"]]
    assert verify(settings).ok

    # Later the author deletes the image post: a sweep sees it (confirmed by a second check).
    from archiver.api import sweep

    image.state = "deleted"
    first = sweep(settings, everything=True, workers=1)
    assert not first.events  # Reddit's answers are cached: the loss waits for a confirming check
    assert _status(settings, IMAGE_POST) == "live"
    quick = replace(settings, confirm_loss="1s")
    deadline = time.monotonic() + 10
    while True:
        second = sweep(quick, everything=True, workers=1)
        if second.events or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert [str(e["kind"]) for e in second.events] == ["deleted"]
    assert _status(settings, IMAGE_POST) == "deleted"
    entries = history(settings, f"reddit:{IMAGE_POST}").entries
    assert any("deleted-by-author" in e.what + e.detail for e in entries), [e.as_dict() for e in entries]
    assert verify(settings).ok


def _status(settings: Settings, native_id: str) -> str:
    return str(rows(settings, "SELECT status FROM posts WHERE platform = 'reddit' AND native_id = ?", native_id)[0]["status"])


def _captures(settings: Settings, native_id: str) -> list[sqlite3.Row]:
    return rows(
        settings,
        "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.platform = 'reddit' AND p.native_id = ?",
        native_id,
    )


def test_the_entry_point_is_registered() -> None:
    from importlib.metadata import entry_points

    assert any(ep.name == "reddit" and ep.value == "archiver.platforms.reddit:PLATFORM"
               for ep in entry_points(group="archiver.platforms"))

"""Instagram and Facebook, end to end against the fake platform: found in every form, their
verdicts (never ``deleted``: anonymous Meta answers cannot tell removal from hiding), faults
and walls never a loss, Meta's hourly oEmbed budget kept across runs, an article archived
(data, card, media through yt-dlp's own Instagram and Facebook extractors) and a sweep
seeing the posts become unavailable.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest

from archiver.config import Settings, parse_budgets
from archiver.errors import ConfigError
from archiver.pipeline import archive
from archiver.platforms import budgets_for, platform_named
from archiver.platforms.base import PostFetch
from archiver.plumbing.hostlimits import BUDGETS_FILE, Budget, Budgets
from archiver.steps.find import find_embeds
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform import meta_sample as M
from tests.fakeplatform.facebook import FbPost
from tests.fakeplatform.instagram import IgPost
from tests.fakeplatform.pages import article_page, para

BASE = "https://www.example-news.com/a.html"
ARTICLE = "https://www.example-news.com/2026/06/20/river-meta.html"


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = open_archive(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def found(html: str, platform: str) -> list[tuple[str, str | None]]:
    return [(e.form, e.native_id) for e in find_embeds(html, "text/html", BASE) if e.platform == platform]


def said(fetched: PostFetch, source: str) -> object:
    signal = fetched.signals[source]
    assert isinstance(signal, dict)
    return signal["says"]


def fetch(settings: Settings, name: str, native_id: str) -> PostFetch:
    from archiver.plumbing.blobs import BlobStore
    from archiver.plumbing.net import Fetcher

    platform = platform_named(name)
    assert platform is not None

    async def go() -> PostFetch:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as fetcher:
            return await platform.fetch_post(fetcher, native_id, platform.endpoints)

    return asyncio.run(go())


# --------------------------------------------------------------------------- finding


def test_every_instagram_form_is_found() -> None:
    page = f"""
    {M.instagram_blockquote(M.IG_PHOTO)}
    <blockquote class="instagram-media" data-instgrm-version="7"><div><p><a href="https://www.instagram.com/p/BOldVint01/"
      target="_blank">A photo posted by Old (@old)</a></p></div></blockquote>
    <iframe class="instagram-media instagram-media-rendered" id="instagram-embed-0"
      src="https://www.instagram.com/p/CxFrame0001/embed/captioned/?cr=1&amp;v=14&amp;wp=540"></iframe>
    <iframe src="//instagram.com/p/CxFrame0002/embed/" width="612" height="710"></iframe>
    <amp-instagram data-shortcode="CxAmpPost01" data-captioned width="400" height="400" layout="responsive"></amp-instagram>
    <amp-instagram shortcode="CxAmpOld002" width="1" height="1"></amp-instagram>
    <p>Her <a href="https://www.instagram.com/reel/CxReel00001/?igsh=abc">reel</a>, an
    <a href="http://instagr.am/p/CxShort0001/">old short link</a>, a
    <a href="https://www.instagram.com/river.watch/p/CxUserPre01/">link with her name</a>, a
    <a href="https://www.instagram.com/tv/CxTvPost001/">TV post</a>, and a
    <a href="https://www.instagram.com/share/p/ShPh0to01/">share link</a>; pasted: instagram.com/p/CxPasted001/</p>
    <figure class="wp-block-embed is-type-rich is-provider-instagram wp-block-embed-instagram"><div class="wp-block-embed__wrapper">
    https://www.instagram.com/p/CxWordPres1/
    </div></figure>
    <div class="iframely-embed"><div class="iframely-responsive"><a href="https://www.instagram.com/p/CxIframely1/"
      data-iframely-url="//cdn.iframe.ly/abc123"></a></div></div>
    <iframe class="embedly-embed" src="//cdn.embedly.com/widgets/media.html?src=https%3A%2F%2Fwww.instagram.com%2Fp%2FCxEmbedly01%2Fembed%2F&amp;url=https%3A%2F%2Fwww.instagram.com%2Fp%2FCxEmbedly01%2F&amp;type=text%2Fhtml&amp;schema=instagram"></iframe>
    <p>Not posts: <a href="https://www.instagram.com/river.watch/">her profile</a>,
    <a href="https://www.instagram.com/explore/tags/flood/">a tag</a>,
    <a href="https://www.instagram.com/reels/audio/123456789/">a sound</a>,
    <a href="https://www.instagram.com/stories/river.watch/3141592653/">a story</a>.</p>
    <script>var later = 'https://www.instagram.com/p/CxScript001/';</script>
    """
    assert sorted(found(page, "instagram"), key=str) == sorted([
        ("blockquote", M.IG_PHOTO.code), ("blockquote", "BOldVint01"), ("iframe", "CxFrame0001"),
        ("iframe", "CxFrame0002"), ("amp", "CxAmpPost01"), ("amp", "CxAmpOld002"), ("status_link", "CxReel00001"),
        ("status_link", "CxShort0001"), ("status_link", "CxUserPre01"), ("status_link", "CxTvPost001"),
        ("short_link", None), ("status_link", "CxPasted001"), ("cms_wrapper", "CxWordPres1"),
        ("cms_wrapper", "CxIframely1"), ("cms_wrapper", "CxEmbedly01"),
    ], key=str)


def test_every_facebook_form_is_found() -> None:
    page = f"""
    {M.facebook_snippet(M.FB_POST)}
    {M.facebook_snippet(M.FB_VIDEO)}
    <div class="fb-post" data-href="https://www.facebook.com/RiverCouncil/posts/10150000000000011"></div>
    <blockquote cite="https://www.facebook.com/MillTownNews/posts/10150000000000012" class="fb-xfbml-parse-ignore">
      <a href="https://www.facebook.com/MillTownNews/posts/10150000000000012">Post</a> by Mill Town News.</blockquote>
    <iframe src="https://www.facebook.com/plugins/post.php?href=https%3A%2F%2Fwww.facebook.com%2FRiverCouncil%2Fposts%2Fpfbid02AbCdEfGh123%2F&amp;show_text=true&amp;width=500"
      width="500" height="600" style="border:none;overflow:hidden" scrolling="no" frameborder="0"></iframe>
    <iframe src="https://www.facebook.com/plugins/video.php?height=314&amp;href=https%3A%2F%2Fwww.facebook.com%2FRiverCouncil%2Fvideos%2F10150000000000013%2F&amp;show_text=false&amp;width=560"></iframe>
    <amp-facebook width="552" height="310" layout="responsive" data-embed-as="video"
      data-href="https://www.facebook.com/RiverCouncil/videos/10150000000000014/"></amp-facebook>
    <amp-facebook data-href="https://www.facebook.com/permalink.php?story_fbid=10150000000000015&amp;id=100064446413648"></amp-facebook>
    <p><a href="https://m.facebook.com/story.php?story_fbid=10150000000000016&amp;id=100064446413648">mobile</a>,
    <a href="https://www.facebook.com/watch/?v=10150000000000017">watch</a>,
    <a href="https://www.facebook.com/photo.php?fbid=10150000000000018&amp;set=a.1">a photo</a>,
    <a href="https://fb.watch/fbWatch01/">fb.watch</a>,
    <a href="https://www.facebook.com/share/p/1AbCdEfGh/">a share link</a>,
    <a href="https://www.facebook.com/groups/riverfolk/permalink/10150000000000019/">a group post</a>,
    <a href="https://www.facebook.com/reel/10150000000000020">a reel</a>,
    and pasted: https://www.facebook.com/MillTownNews/posts/10150000000000021</p>
    <figure class="wp-block-embed is-type-rich is-provider-facebook wp-block-embed-facebook"><div class="wp-block-embed__wrapper">
    https://www.facebook.com/MillTownNews/posts/10150000000000022
    </div></figure>
    <p>Not posts: <a href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fwww.example-news.com%2Fa">share</a>,
    <a href="https://www.facebook.com/RiverCouncil">the council's page</a>,
    <a href="https://www.facebook.com/profile.php?id=100064446413648">a profile</a>,
    <iframe src="https://www.facebook.com/plugins/like.php?href=https%3A%2F%2Fwww.example-news.com%2F"></iframe>
    <iframe src="https://www.facebook.com/plugins/page.php?href=https%3A%2F%2Fwww.facebook.com%2FRiverCouncil"></iframe>
    <amp-facebook-page data-href="https://www.facebook.com/RiverCouncil/"></amp-facebook-page></p>
    """
    assert sorted(found(page, "facebook"), key=str) == sorted([
        ("blockquote", M.FB_POST.native_id), ("blockquote", M.FB_VIDEO.native_id),
        ("placeholder", "rivercouncil/posts/10150000000000011"),
        ("blockquote", "milltownnews/posts/10150000000000012"),
        ("iframe", "rivercouncil/posts/pfbid02AbCdEfGh123"), ("iframe", "videos/10150000000000013"),
        ("amp", "videos/10150000000000014"), ("amp", "100064446413648/posts/10150000000000015"),
        ("status_link", "100064446413648/posts/10150000000000016"), ("status_link", "videos/10150000000000017"),
        ("status_link", "photos/10150000000000018"), ("short_link", None), ("short_link", None),
        ("status_link", "groups/riverfolk/posts/10150000000000019"), ("status_link", "videos/10150000000000020"),
        ("status_link", "milltownnews/posts/10150000000000021"), ("cms_wrapper", "milltownnews/posts/10150000000000022"),
    ], key=str)


def test_meta_platforms_name_their_hosts_and_frames() -> None:
    instagram, facebook = platform_named("instagram"), platform_named("facebook")
    assert instagram is not None and facebook is not None
    assert set(instagram.hosts) >= {"instagram.com", "cdninstagram.com", "instagr.am"}  # type: ignore[attr-defined]
    assert set(facebook.hosts) >= {"facebook.com", "fbcdn.net", "fb.watch"}  # type: ignore[attr-defined]
    assert instagram.card_in_frame("https://www.instagram.com/p/CxPhoto0001/embed/captioned/?cr=1&v=14") == "CxPhoto0001"
    assert instagram.card_in_frame("https://www.instagram.com/p/CxPhoto0001/") is None
    href = "https%3A%2F%2Fwww.facebook.com%2FRiverCouncil%2Fposts%2F10150000000000001"
    assert facebook.card_in_frame(f"https://www.facebook.com/plugins/post.php?href={href}&width=500") == M.FB_POST.native_id
    assert facebook.canonical_url(M.FB_VIDEO.native_id, None) == "https://www.facebook.com/video.php?v=10150000000000002"
    assert facebook.names_post(f"https://graph.facebook.com/v24.0/oembed_post?url={href}", M.FB_POST.native_id)


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(
    ("post", "verdict", "oembed", "embed"),
    [
        (M.IG_PHOTO, "live", "live", "shows-post"),
        (M.IG_PRIVATE, "unavailable", "not-served", "empty"),
        (M.IG_DELETED, "unavailable", "not-served", "empty"),
        (M.IG_DISABLED, "unavailable", "not-served", "empty"),
        (M.IG_RESTRICTED, "unavailable", "not-served", "empty"),
        (M.IG_LOGIN, "live", "live", "login-wall"),
    ],
)
def test_instagram_verdicts(settings: Settings, post: IgPost, verdict: str, oembed: str, embed: str) -> None:
    fetched = fetch(settings, "instagram", post.code)
    assert (fetched.status, said(fetched, "oembed"), said(fetched, "embed_page")) == (
        verdict, oembed, embed)
    if verdict == "live":
        assert fetched.data is not None and fetched.data.native_id == post.code
    if post is M.IG_PHOTO:
        assert fetched.data is not None
        assert (fetched.data.author_handle, fetched.data.author_name, fetched.data.text) == (
            post.user, post.full_name, post.caption)
        assert [m.kind for m in fetched.data.media] == ["photo"] and fetched.data.media_page is None
        assert fetched.data.created_at == "2024-05-01T08:00:00Z"


def test_an_instagram_video_and_an_album_name_their_media(settings: Settings) -> None:
    video = fetch(settings, "instagram", M.IG_VIDEO.code).data
    assert video is not None and video.media_page == M.IG_VIDEO.url and [m.kind for m in video.media] == ["poster"]
    album = fetch(settings, "instagram", M.IG_CAROUSEL.code).data
    assert album is not None and album.media_page == M.IG_CAROUSEL.url
    assert [m.kind for m in album.media] == ["photo", "poster", "photo"]


@pytest.mark.parametrize(
    ("post", "verdict", "plugin"),
    [
        (M.FB_POST, "live", "shows-post"),
        (M.FB_VIDEO, "live", "shows-post"),
        (M.FB_PHOTO, "live", "shows-post"),
        (M.FB_DELETED, "unavailable", "no-longer-available"),
        (M.FB_PRIVATE, "unavailable", "no-longer-available"),
        (M.FB_NOTICE, "live", "no-longer-available"),
        (M.FB_LOGIN, "live", "login-wall"),
    ],
)
def test_facebook_verdicts(settings: Settings, post: FbPost, verdict: str, plugin: str) -> None:
    fetched = fetch(settings, "facebook", post.native_id)
    assert (fetched.status, said(fetched, "plugin_page")) == (verdict, plugin)
    if post is M.FB_POST:
        assert fetched.data is not None
        assert (fetched.data.author_handle, fetched.data.author_name, fetched.data.text) == (
            post.owner, post.page_name, post.text)
        assert [m.kind for m in fetched.data.media] == ["photo", "photo"] and fetched.data.media_page is None
    if post is M.FB_VIDEO:
        assert fetched.data is not None and fetched.data.media_page == "https://www.facebook.com/video.php?v=" + post.id
    if post in (M.FB_NOTICE, M.FB_LOGIN):  # the oEmbed's copy of the post stands in for the plugin page
        assert fetched.data is not None and (fetched.data.text, fetched.data.author_handle) == (post.text, post.owner)


@pytest.mark.parametrize("fault", ["429", "503", "reset"])
@pytest.mark.parametrize(("platform", "native_id"), [("instagram", M.IG_DELETED.code), ("facebook", M.FB_DELETED.native_id)])
def test_a_fault_is_never_a_loss(settings: Settings, fake_world: World, fault: str, platform: str, native_id: str) -> None:
    fake_world.faults[("graph.facebook.com", "/v24.0/")] = fault
    fetched = fetch(settings, platform, native_id)
    assert fetched.status == "unknown"
    assert "embed_page" not in fetched.signals and "plugin_page" not in fetched.signals


@pytest.mark.parametrize(("platform", "native_id"), [("instagram", M.IG_PRIVATE.code), ("facebook", M.FB_PRIVATE.native_id)])
def test_a_faulty_embed_page_is_never_a_loss(settings: Settings, fake_world: World, platform: str, native_id: str) -> None:
    fake_world.faults[("www.instagram.com", "/embed/")] = "503"
    fake_world.faults[("www.facebook.com", "/plugins/")] = "503"
    assert fetch(settings, platform, native_id).status == "unknown"


@pytest.mark.parametrize("status", [400, 429])
def test_metas_hourly_limit_is_never_a_loss(settings: Settings, fake_world: World, status: int) -> None:
    fake_world.facebook.graph.hourly_limit = 1
    fake_world.facebook.graph.limit_status = status
    assert fetch(settings, "instagram", M.IG_PHOTO.code).status == "live"
    for code in (M.IG_PRIVATE.code, M.IG_PHOTO.code):
        fetched = fetch(settings, "instagram", code)
        assert (fetched.status, said(fetched, "oembed")) == ("unknown", "rate-limited")
    # each endpoint has a limit of its own
    assert fetch(settings, "facebook", M.FB_POST.native_id).status == "live"


@pytest.mark.parametrize(
    ("status", "body", "said"),
    [
        (200, {"html": "<blockquote cite='https://www.facebook.com/x/posts/111111'></blockquote>"}, "live"),
        (200, {"html": "<blockquote cite='https://www.facebook.com/x/posts/222222'></blockquote>"}, "another-post"),
        (400, {"error": {"code": 100, "message": "Invalid parameter"}}, "not-served"),
        (400, {"error": {"code": 100, "message": "Invalid parameter", "is_transient": True}}, "rate-limited"),
        (400, {"error": {"code": 4, "message": "(#4) Application request limit reached"}}, "rate-limited"),
        (403, {"error": {"code": 613, "message": "Calls to this api have exceeded the rate limit."}}, "rate-limited"),
        (400, {"error": {"code": 104, "message": "An access token is required to request this resource."}}, "refused"),
        (400, {"error": {"code": 190, "message": "Invalid OAuth access token."}}, "refused"),
        (500, {"error": {"code": 1, "message": "An unknown error occurred"}}, "error-1"),
        (502, None, "http-502"),
    ],
)
def test_graph_answers_are_read_cautiously(status: int, body: object, said: str) -> None:
    import httpx

    from archiver.platforms.base import SourceAnswer
    from archiver.platforms.facebook.graph import says
    from archiver.plumbing.net import Response

    raw = json.dumps(body).encode() if body is not None else b"<html>Bad gateway</html>"
    answer = SourceAnswer("oembed", "u", Response("u", status, httpx.Headers({"content-type": "application/json"}), raw, None))
    assert says(answer, "111111") == said


# --------------------------------------------------------------------------- the hourly budget


def test_budgets_are_parsed_and_checked() -> None:
    assert Budget.parse("1000/1h") == Budget(1000, 3600.0)
    assert str(Budget(1000, 3600.0)) == "1000/1h" and str(Budget(5, 90.0)) == "5/90s"
    for bad in ("1000", "0/1h", "10/0h", "ten/1h", "10/1y"):
        with pytest.raises(ValueError):
            Budget.parse(bad)
    assert parse_budgets("instagram.oembed=500/1h, facebook.oembed_post=10/1m") == {
        "instagram": {"oembed": "500/1h"}, "facebook": {"oembed_post": "10/1m"}}
    assert Settings.from_env({"ARCHIVER_BUDGETS": "instagram.oembed=5/1h"}).budgets == {"instagram": {"oembed": "5/1h"}}
    with pytest.raises(ConfigError):
        Settings.from_env({"ARCHIVER_BUDGETS": "instagram=5/1h"})
    instagram = platform_named("instagram")
    assert instagram is not None
    default = budgets_for(instagram, Settings())
    assert default == {"https://graph.facebook.com/v24.0/instagram_oembed": Budget(1000, 3600.0)}
    assert budgets_for(instagram, Settings(budgets={"instagram": {"oembed": "3/1h"}})) == {
        "https://graph.facebook.com/v24.0/instagram_oembed": Budget(3, 3600.0)}
    with pytest.raises(ConfigError):
        budgets_for(instagram, Settings(budgets={"instagram": {"nope": "3/1h"}}))
    with pytest.raises(ConfigError):
        budgets_for(instagram, Settings(budgets={"instagram": {"oembed": "lots"}}))


def test_a_budget_is_spent_across_processes_and_frees_with_time(tmp_path: Path) -> None:
    ledger = Budgets(tmp_path)
    budget = Budget(2, 100.0)
    assert ledger.spend("k", budget, now=1000.0) is None
    assert Budgets(tmp_path).spend("k", budget, now=1010.0) is None  # another process, the same ledger
    assert ledger.spend("k", budget, now=1020.0) == 1100.0  # the first leaves the window at 1100
    assert ledger.spent("k", budget, now=1020.0) == 2  # a refusal spends nothing
    assert ledger.spend("k", budget, now=1100.5) is None
    assert json.loads((tmp_path / BUDGETS_FILE).read_text())["k"] == [1010.0, 1100.5]
    assert Budgets(tmp_path / "absent").spend("k", Budget(1, 10.0), now=0.0) is None  # no data dir: in memory


def test_metas_hourly_budget_is_kept_across_runs(settings: Settings, fake_platform: FakePlatform,
                                                 fake_world: World) -> None:
    from dataclasses import replace

    settings = replace(settings, budgets={"instagram": {"oembed": "3/1h"}})
    fake_world.add_page(ARTICLE, Page.html(article_page("Two posts", [
        M.instagram_blockquote(M.IG_PHOTO), M.instagram_blockquote(M.IG_PRIVATE)])))
    first = archive([ARTICLE], settings)
    assert first.errors == [] and first.statuses["live"] == 1 and first.statuses["unavailable"] == 1

    # The next run (a cron sweep, another archive) may send one more this hour, not two.
    later = "https://www.example-news.com/2026/06/21/more.html"
    fake_world.add_page(later, Page.html(article_page("Two more", [
        M.instagram_blockquote(M.IG_VIDEO), M.instagram_blockquote(M.IG_DELETED)])))
    fake_platform.clear_requests()
    second = archive([later], settings)
    oembeds = fake_platform.requests_to("graph.facebook.com")
    assert len(oembeds) == 1
    assert second.statuses["unknown"] == 1
    refused = [e for e in second.errors if "not sent: the budget of 3/1h requests to " in e]
    assert len(refused) == 1 and "instagram_oembed is spent until 20" in refused[0]
    assert "status unknown" in refused[0]
    ledger = json.loads((settings.data_dir / BUDGETS_FILE).read_text())
    assert len(ledger["https://graph.facebook.com/v24.0/instagram_oembed"]) == 3


# --------------------------------------------------------------------------- end to end


def _captures(settings: Settings, platform: str, native_id: str) -> list[tuple[str, str | None]]:
    return sorted((r["kind"], r["source"]) for r in rows(
        settings,
        "SELECT c.kind, c.source FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.platform = ? AND p.native_id = ?",
        platform, native_id,
    ))


def test_an_article_with_instagram_and_facebook_posts_is_archived_and_swept(
    settings: Settings, fake_platform: FakePlatform, fake_world: World
) -> None:
    fake_world.add_page(ARTICLE, Page.html(article_page("The flood, as neighbours posted it", [
        para("A neighbour's photo:"), M.instagram_blockquote(M.IG_PHOTO),
        para("And her video:"), f'<p><a href="https://www.instagram.com/reel/{M.IG_VIDEO.code}/">the weir</a></p>',
        para("The council's post and its drone video:"), M.facebook_snippet(M.FB_POST), M.facebook_snippet(M.FB_VIDEO),
        para("A post since taken down:"), f'<p><a href="{M.FB_DELETED.url}">deleted</a>, '
        f'<a href="https://www.instagram.com/p/{M.IG_PRIVATE.code}/">private</a>, '
        f'<a href="https://fb.watch/{M.FB_VIDEO.short_code}/">the video again</a></p>',
        para("Seen behind a wall:"), f'<p><a href="https://www.instagram.com/p/{M.IG_LOGIN.code}/">walled</a></p>',
    ])))
    summary = archive([ARTICLE], settings)
    status = {(r["platform"], r["native_id"]): r["status"] for r in rows(settings, "SELECT * FROM posts")}
    assert status == {
        ("instagram", M.IG_PHOTO.code): "live", ("instagram", M.IG_VIDEO.code): "live",
        ("instagram", M.IG_PRIVATE.code): "unavailable", ("instagram", M.IG_LOGIN.code): "live",
        ("facebook", M.FB_POST.native_id): "live", ("facebook", M.FB_VIDEO.native_id): "live",
        ("facebook", M.FB_DELETED.native_id): "unavailable",
    }
    # The login wall is the walled post's one error, not a picture of the wall; its media fail too.
    walled = [e for e in summary.errors if M.IG_LOGIN.code in e]
    assert len(walled) == 1 and "the embed page shows a login page, not the post" in walled[0], summary.errors
    assert len(summary.errors) == 1, summary.errors

    assert _captures(settings, "instagram", M.IG_PHOTO.code) == sorted([
        ("data", "oembed"), ("data", "embed_page"), ("screenshot", None), ("photo", None)])
    assert _captures(settings, "instagram", M.IG_VIDEO.code) == sorted([
        ("data", "oembed"), ("data", "embed_page"), ("data", "yt-dlp"), ("screenshot", None), ("poster", None),
        ("video", "yt-dlp")])
    assert _captures(settings, "facebook", M.FB_POST.native_id) == sorted([
        ("data", "oembed"), ("data", "plugin_page"), ("screenshot", None), ("photo", None), ("photo", None)])
    assert _captures(settings, "facebook", M.FB_VIDEO.native_id) == sorted([
        ("data", "oembed"), ("data", "plugin_page"), ("data", "yt-dlp"), ("screenshot", None), ("poster", None),
        ("video", "yt-dlp")])
    # The cards embed.js and the SDK rendered in the article are cut from its page; the others rendered alone.
    shots = {r["native_id"]: r["source_url"] for r in rows(
        settings, "SELECT p.native_id, c.source_url FROM captures c JOIN posts p ON p.id = c.post_id "
                  "WHERE c.kind = 'screenshot'")}
    assert shots[M.IG_PHOTO.code].startswith(f"https://www.instagram.com/p/{M.IG_PHOTO.code}/embed/captioned/?cr=1&v=14")
    assert shots[M.IG_VIDEO.code] == f"https://www.instagram.com/p/{M.IG_VIDEO.code}/embed/captioned/"
    assert shots[M.FB_POST.native_id].startswith("https://www.facebook.com/plugins/post.php?href=")
    forms = {(r["native_id"], r["form"]) for r in rows(
        settings, "SELECT p.native_id, ap.form FROM article_posts ap JOIN posts p ON p.id = ap.post_id")}
    assert {(M.IG_PHOTO.code, "blockquote"), (M.FB_VIDEO.native_id, "short_link"), (M.FB_POST.native_id, "blockquote"),
            (M.IG_VIDEO.code, "status_link")} <= forms
    hops = rows(settings, "SELECT final_url FROM links WHERE url = ?", f"https://fb.watch/{M.FB_VIDEO.short_code}/")
    assert hops and hops[0]["final_url"] == f"https://www.facebook.com/watch/?v={M.FB_VIDEO.id}"
    # Every request yt-dlp made is an exchange of the run (the CDN's signed video URL too).
    urls = [r["url"] for r in rows(settings, "SELECT url FROM exchanges")]
    assert any(u.startswith(f"https://scontent-lhr8-1.cdninstagram.com/o1/v/t16/f2/m86/{M.IG_VIDEO.code}_1.mp4?oe=") for u in urls)
    assert any(u.startswith(f"https://video.xx.fbcdn.net/o1/v/t2/f2/m69/{M.FB_VIDEO.id}_hd.mp4") for u in urls)
    assert assert_files_intact(settings) > 0
    reason = rows(settings, "SELECT s.signals FROM status_checks s JOIN posts p ON p.id = s.post_id "
                            "WHERE p.native_id = ?", M.FB_DELETED.native_id)[0]["signals"]
    facebook = platform_named("facebook")
    assert facebook is not None and "audience was narrowed" in (facebook.unavailable_reason(json.loads(reason)) or "")

    # Later both take the posts down: a sweep sees them unavailable, never deleted.
    from archiver.api import sweep

    fake_world.instagram.posts[M.IG_PHOTO.code].state = "deleted"
    fake_world.facebook.posts[M.FB_POST.id].state = "private"
    sweep(settings, everything=True)
    after = {r["native_id"]: r["status"] for r in rows(settings, "SELECT native_id, status FROM posts")}
    assert (after[M.IG_PHOTO.code], after[M.FB_POST.native_id]) == ("unavailable", "unavailable")
    assert "deleted" not in after.values()

    # Like any post: its history, the requests behind each capture, the log.
    from archiver.api import history, provenance, verify

    assert [e for e in history(settings, M.FB_POST.url).entries if "unavailable" in json.dumps(e, default=str)]
    made = json.dumps(provenance(settings, f"instagram:{M.IG_PHOTO.code}").captures, default=str)
    assert "instagram_oembed" in made and f"/p/{M.IG_PHOTO.code}/embed/captioned/" in made
    assert f"{M.FB_POST.id}_1_n.jpg" in json.dumps(provenance(settings, M.FB_POST.url).captures, default=str)
    assert verify(settings).ok


def test_media_failure_leaves_the_post_archived(settings: Settings, fake_world: World) -> None:
    fake_world.faults[("video.xx.fbcdn.net", "/")] = "404"
    fake_world.add_page(ARTICLE, Page.html(article_page("A video", [M.facebook_snippet(M.FB_VIDEO)])))
    summary = archive([ARTICLE], settings)
    assert rows(settings, "SELECT status FROM posts")[0]["status"] == "live"
    assert len(summary.errors) == 1 and M.FB_VIDEO.id in summary.errors[0], summary.errors
    assert "media not copied: yt-dlp" in summary.errors[0] and "404" in summary.errors[0]
    kinds = {k for k, _ in _captures(settings, "facebook", M.FB_VIDEO.native_id)}
    assert {"data", "screenshot"} <= kinds and "video" not in kinds


def test_an_expired_signed_photo_url_is_a_media_error_not_a_loss(settings: Settings, fake_world: World) -> None:
    fake_world.instagram.url_lifetime = -60.0  # Meta's signed CDN URLs have already expired when copied
    fake_world.add_page(ARTICLE, Page.html(article_page("A photo", [
        f'<p><a href="{M.IG_PHOTO.url}">the river at dawn</a></p>'])))
    summary = archive([ARTICLE], settings)
    assert rows(settings, "SELECT status FROM posts")[0]["status"] == "live"
    assert len(summary.errors) == 1 and "photo not copied" in summary.errors[0] and "403" in summary.errors[0]
    kinds = {k for k, _ in _captures(settings, "instagram", M.IG_PHOTO.code)}
    assert kinds == {"data", "screenshot"}

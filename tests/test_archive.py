"""End to end: `archive()` against the fake platform, real Chromium, real SQLite."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import httpx
import pytest
from PIL import Image

from archiver.config import Settings
from archiver.pipeline import archive
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S

pytestmark = pytest.mark.usefixtures("fake_world")


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = open_archive(settings)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def post_row(settings: Settings, native_id: int) -> dict[str, object]:
    found = rows(settings, "SELECT * FROM posts WHERE native_id = ?", str(native_id))
    assert found, f"post {native_id} not archived"
    return found[0]


def captures_of(settings: Settings, native_id: int, kind: str) -> list[dict[str, object]]:
    return rows(
        settings,
        "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ? AND c.kind = ? ORDER BY c.id",
        str(native_id),
        kind,
    )


def served_bytes(fake_http: httpx.Client, url: str) -> bytes:
    response = fake_http.get(url)
    assert response.status_code == 200, url
    return response.content


def is_blank(png: bytes) -> bool:
    """One colour from edge to edge, read from the file (not from what the renderer says)."""
    with Image.open(io.BytesIO(png)) as image:
        low, high = image.convert("L").getextrema()
    return bool(low == high)


def check_screenshot(settings: Settings, capture: dict[str, object]) -> None:
    png = (settings.data_dir / str(capture["path"])).read_bytes()
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        assert (image.width, image.height) == (capture["width"], capture["height"])
        assert 400 <= image.width <= 600, "an embed card is about 550 px wide"
        assert image.height >= 150
        colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
    assert not is_blank(png)
    assert colours is None or len(colours) > 50, "a rendered card has text and a photo, not a flat box"


def test_plain_text_article_pic_links_only(settings: Settings, fake_http: httpx.Client, fake_platform: FakePlatform) -> None:
    """The sample article as copied text: only pic.twitter.com links and attribution lines."""
    summary = archive([S.JULIACA_TXT_URL], settings)
    assert summary.ok, summary.errors
    assert summary.articles == 1 and summary.posts_found == 4 and summary.posts_captured == 4
    assert dict(summary.statuses) == {"live": 4}

    article = rows(settings, "SELECT * FROM articles")[0]
    assert article["url"] == S.JULIACA_TXT_URL and article["http_status"] == 200
    cited = rows(settings, "SELECT ap.*, p.native_id FROM article_posts ap JOIN posts p ON p.id = ap.post_id")
    assert sorted(int(str(r["native_id"])) for r in cited) == sorted(S.JULIACA_IDS)
    assert {r["form"] for r in cited} == {"pic_link"}
    by_id = {int(str(r["native_id"])): r for r in cited}
    hospital = by_id[S.JULIACA_HOSPITAL_ID]
    assert hospital["link"] == "https://pic.twitter.com/G0EWr9QwxH"
    assert "Carlos Monge hospital" in str(hospital["embed_text"])
    assert "(@KawsachunNews) January 9, 2023" in str(hospital["embed_text"])

    # each pic link resolved hop by hop: pic.twitter.com → twitter.com/…/video/1 → x.com/…
    link = rows(settings, "SELECT * FROM links WHERE url = ?", "https://pic.twitter.com/G0EWr9QwxH")[0]
    hops = json.loads(str(link["hops"]))
    assert [h["status"] for h in hops] == [301, 301, 200]
    assert hops[1]["url"] == f"https://twitter.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}/video/1"
    assert link["final_url"] == f"https://x.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}/video/1"

    post = post_row(settings, S.JULIACA_HOSPITAL_ID)
    assert post["url"] == f"https://x.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}"
    assert post["author_handle"] == "KawsachunNews" and post["author_name"] == "Kawsachun News"
    assert post["created_at"] == "2023-01-09T21:14:07Z"
    assert post["status"] == "live" and post["platform"] == "twitter"
    for native_id in S.JULIACA_IDS:
        shots = captures_of(settings, native_id, "screenshot")
        assert len(shots) == 1
        check_screenshot(settings, shots[0])
        assert len(captures_of(settings, native_id, "data")) == 1

    # the run records its browser
    run = rows(settings, "SELECT * FROM runs")[0]
    assert run["browser_version"] and "Chrome" in str(run["browser_user_agent"])
    # the user agent recorded is the one the browser's pages sent
    assert {r["user_agent"] for r in fake_platform.requests_to("platform.twitter.com")} == {run["browser_user_agent"]}
    assert str(run["user_agent"]).startswith("archiver/")
    assert run["finished_at"]
    # every HTTP exchange was recorded, the browser's too, with its body
    clients = {r["client"] for r in rows(settings, "SELECT DISTINCT client FROM exchanges")}
    assert clients == {"http", "browser"}
    synd = rows(settings, "SELECT * FROM exchanges WHERE url LIKE 'https://cdn.syndication.twimg.com/%' AND client = 'http'")
    assert len(synd) == 4 and all(r["sha256"] for r in synd)
    assert assert_files_intact(settings) > 20


def test_media_copied_exactly_and_described(settings: Settings, fake_http: httpx.Client) -> None:
    summary = archive([S.JULIACA_TXT_URL], settings)
    assert summary.ok, summary.errors
    march_photos = captures_of(settings, S.JULIACA_MARCH_ID, "photo")
    assert len(march_photos) == 2
    for photo in march_photos:
        assert "name=orig" in str(photo["source_url"])
        data = (settings.data_dir / str(photo["path"])).read_bytes()
        assert data == served_bytes(fake_http, str(photo["source_url"]))
        with Image.open(io.BytesIO(data)) as image:
            assert (photo["width"], photo["height"]) == image.size
        assert photo["mime"] == "image/jpeg"
    video = captures_of(settings, S.JULIACA_HOSPITAL_ID, "video")
    assert len(video) == 1
    world_post = FakePlatformWorld.post(S.JULIACA_HOSPITAL_ID)
    variants = [v for v in world_post.media[0].variants() if v["content_type"] == "video/mp4"]
    best = max(variants, key=lambda v: int(str(v["bitrate"])))
    assert video[0]["source_url"] == best["url"]
    data = (settings.data_dir / str(video[0]["path"])).read_bytes()
    assert data == served_bytes(fake_http, str(best["url"]))
    assert video[0]["mime"] == "video/mp4" and video[0]["width"] and video[0]["height"]
    poster = captures_of(settings, S.JULIACA_HOSPITAL_ID, "poster")
    assert len(poster) == 1 and "video_thumb" in str(poster[0]["source_url"])


class FakePlatformWorld:
    """The sample world as the fake platform serves it (a fresh copy; read only)."""

    _world = World.sample()

    @classmethod
    def post(cls, native_id: int):  # type: ignore[no-untyped-def]
        return cls._world.posts[native_id]


def test_html_article_blockquotes_and_page_screenshot(settings: Settings, fake_platform: FakePlatform) -> None:
    summary = archive([S.JULIACA_URL], settings)
    assert summary.ok, summary.errors
    cited = rows(settings, "SELECT ap.*, p.native_id FROM article_posts ap JOIN posts p ON p.id = ap.post_id")
    assert {r["form"] for r in cited} == {"blockquote"}
    assert sorted(int(str(r["native_id"])) for r in cited) == sorted(S.JULIACA_IDS)
    for r in cited:
        assert "status/" in str(r["link"]) and "ref_src" in str(r["link"])
        assert "Kawsachun News (@KawsachunNews)" in str(r["embed_text"])
    # the t.co links inside the blockquotes are resolved as evidence, not cited as posts
    inner = rows(settings, "SELECT * FROM links WHERE url LIKE 'https://t.co/%'")
    assert len(inner) == 4 and all(r["final_url"] for r in inner)
    article = rows(settings, "SELECT * FROM articles")[0]
    assert article["title"] and "Juliaca" in str(article["title"])
    page = rows(settings, "SELECT * FROM captures WHERE kind = 'page_screenshot'")
    assert len(page) == 1 and page[0]["article_id"] == article["id"]
    png = (settings.data_dir / str(page[0]["path"])).read_bytes()
    with Image.open(io.BytesIO(png)) as image:
        assert image.width == 1280
        # four rendered cards, not blank boxes: the page is far taller than its text alone
        assert image.height > 4 * 300
        # the cards' photos are on the page: many colours, not white boxes
        colours = image.convert("RGB").getcolors(maxcolors=2_000_000)
        assert colours is None or len(colours) > 500
    for native_id in S.JULIACA_IDS:
        [shot] = captures_of(settings, native_id, "screenshot")
        check_screenshot(settings, shot)
    # cards shot in the article page are not rendered a second time on their own
    embeds = [r for r in fake_platform.requests if "/embed/Tweet.html" in str(r["url"])]
    assert len(embeds) == 4


def test_every_embed_form(settings: Settings) -> None:
    summary = archive([S.ALL_FORMS_URL], settings)
    found = rows(settings, "SELECT ap.form, ap.link, p.native_id FROM article_posts ap JOIN posts p ON p.id = ap.post_id")
    found_ids = {int(str(r["native_id"])) for r in found}
    want_ids = {e.post_id for e in S.ALL_FORMS_EXPECTED}
    assert want_ids == found_ids
    forms_by_id: dict[int, set[str]] = {}
    for r in found:
        forms_by_id.setdefault(int(str(r["native_id"])), set()).add(str(r["form"]))
    for e in S.ALL_FORMS_EXPECTED:
        assert e.form in forms_by_id[e.post_id], (e.variant, e.form, forms_by_id[e.post_id])
    # one post cited twice on the page: one post row, one article_posts row per link
    assert len(rows(settings, "SELECT * FROM posts WHERE native_id = ?", str(S.JULIACA_HOSPITAL_ID))) == 1
    assert len([r for r in found if int(str(r["native_id"])) == S.JULIACA_HOSPITAL_ID]) >= 2
    # links that are not posts make no rows and no errors of their own
    for url in S.ALL_FORMS_NOT_POSTS:
        assert not [r for r in found if r["link"] == url]
    assert not [e for e in summary.errors if "t.co" in e], summary.errors



def test_statuses_live_deleted_unavailable_unknown(settings: Settings, fake_platform: FakePlatform) -> None:
    summary = archive([S.MIXED_STATUSES_URL, S.EDGE_POSTS_URL], settings)
    status = {pid: post_row(settings, pid)["status"] for pid in S.ARTICLES[S.MIXED_STATUSES_URL]}
    assert status == {
        S.JULIACA_HOSPITAL_ID: "live",
        S.DELETED_ID: "deleted",
        S.PROTECTED_ID: "unavailable",
        S.TRANSIENT_ID: "unknown",
    }
    assert post_row(settings, S.SUSPENDED_ID)["status"] == "unavailable"
    assert post_row(settings, S.WITHHELD_ID)["status"] == "unavailable"
    # the transient post is the run's only failure, named in one line
    assert len(summary.errors) == 1 and str(S.TRANSIENT_ID) in summary.errors[0]
    assert not summary.ok
    # a deleted post keeps what the article showed: its embed text and link
    deleted = post_row(settings, S.DELETED_ID)
    cited = rows(settings, "SELECT * FROM article_posts WHERE post_id = ?", deleted["id"])
    assert cited and cited[0]["embed_text"] and cited[0]["form"] == "blockquote"
    assert deleted["created_at"], "dated from its snowflake id when the platform says nothing"
    assert deleted["url"].endswith(f"/status/{S.DELETED_ID}") and "/i/" not in str(deleted["url"])
    # both sources' answers are kept for a deleted post: oEmbed's body as a data capture,
    # syndication's empty 404 as an exchange
    assert {c["source"] for c in captures_of(settings, S.DELETED_ID, "data")} == {"oembed"}
    synd = rows(settings, "SELECT status FROM exchanges WHERE url LIKE ? AND client = 'http'", f"%tweet-result?id={S.DELETED_ID}&%")
    assert [r["status"] for r in synd] == [404]
    # no card is rendered for a post that is gone
    assert captures_of(settings, S.DELETED_ID, "screenshot") == []
    # oEmbed is asked only when syndication's answer needs confirming
    oembed_asks = [r for r in fake_platform.requests if "/oembed" in str(r["url"])]
    assert not [r for r in oembed_asks if str(S.JULIACA_HOSPITAL_ID) in str(r["url"])]
    assert [r for r in oembed_asks if str(S.DELETED_ID) in str(r["url"])]
    # repost id answered with the original; pre-snowflake id dated by created_at
    assert post_row(settings, S.OLD_ID)["created_at"].startswith("2009-")


@pytest.mark.parametrize("fault", ["503", "429", "hang", "reset"])
def test_transient_faults_never_make_a_post_deleted(settings: Settings, fake_world: World, fault: str) -> None:
    """Syndication failing transiently while oEmbed says 404 is no verdict."""
    fake_world.faults[("cdn.syndication.twimg.com", f"id={S.DELETED_ID}")] = fault
    settings = replace(settings, timeout=1.0, request_deadline=2.0, retries=1)
    summary = archive([f"https://x.com/i/status/{S.DELETED_ID}"], settings)
    assert post_row(settings, S.DELETED_ID)["status"] == "unknown"
    assert not summary.ok and str(S.DELETED_ID) in summary.errors[0]
    # next time the platform answers, the verdict is reached
    fake_world.faults.clear()
    again = archive([f"https://x.com/i/status/{S.DELETED_ID}"], settings)
    assert again.ok, again.errors
    assert post_row(settings, S.DELETED_ID)["status"] == "deleted"


def test_quoted_post_is_archived_and_linked(settings: Settings) -> None:
    summary = archive([f"https://twitter.com/AndesObserver/status/{S.QUOTE_ID}"], settings)
    assert summary.ok, summary.errors
    quoting = post_row(settings, S.QUOTE_ID)
    quoted = post_row(settings, S.JULIACA_HOSPITAL_ID)
    assert quoting["quoted_post_id"] == quoted["id"]
    assert captures_of(settings, S.JULIACA_HOSPITAL_ID, "screenshot")
    assert captures_of(settings, S.QUOTE_ID, "screenshot")
    assert rows(settings, "SELECT * FROM articles") == []


def test_shared_media_stored_once_and_video_variant_choice(settings: Settings, fake_http: httpx.Client) -> None:
    summary = archive([S.MEDIA_MIX_URL], settings)
    assert summary.ok, summary.errors
    march = captures_of(settings, S.JULIACA_MARCH_ID, "photo")[0]
    shared = captures_of(settings, S.SHARED_MEDIA_ID, "photo")[0]
    assert march["sha256"] == shared["sha256"] and march["path"] == shared["path"]
    assert len(rows(settings, "SELECT * FROM blobs WHERE sha256 = ?", march["sha256"])) == 1
    assert len(list(settings.data_dir.rglob(f"{march['sha256']}*"))) == 1
    # two mp4 variants tie on bitrate: the larger /WxH/ wins
    [video] = captures_of(settings, S.VIDEO_ID, "video")
    post = FakePlatformWorld.post(S.VIDEO_ID)
    mp4s = [v for v in post.media[0].variants() if v["content_type"] == "video/mp4"]
    top = max(int(str(v["bitrate"])) for v in mp4s)
    tied = [v for v in mp4s if int(str(v["bitrate"])) == top]
    assert len(tied) == 2
    assert video["source_url"] == max(tied, key=lambda v: _area(str(v["url"])))["url"]
    assert (settings.data_dir / str(video["path"])).read_bytes() == served_bytes(fake_http, str(video["source_url"]))
    # the GIF is an mp4 too
    [gif] = captures_of(settings, S.GIF_ID, "video")
    assert gif["mime"] == "video/mp4"
    assert len(captures_of(settings, S.GALLERY_ID, "photo")) == 4


def _area(url: str) -> int:
    import re

    match = re.search(r"/(\d+)x(\d+)/", url)
    return int(match.group(1)) * int(match.group(2)) if match else 0


def test_rerun_is_idempotent_and_recapture_adds_rows(settings: Settings, fake_platform: FakePlatform) -> None:
    first = archive([S.JULIACA_URL], settings)
    assert first.ok, first.errors

    def counts() -> dict[str, int]:
        conn = open_archive(settings)
        try:
            return {
                "posts": conn.execute("SELECT count(*) FROM posts").fetchone()[0],
                "article_posts": conn.execute("SELECT count(*) FROM article_posts").fetchone()[0],
                "links": conn.execute("SELECT count(*) FROM links").fetchone()[0],
                "post_captures": conn.execute("SELECT count(*) FROM captures WHERE post_id IS NOT NULL").fetchone()[0],
                "article_captures": conn.execute("SELECT count(*) FROM captures WHERE article_id IS NOT NULL").fetchone()[0],
                "articles": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
            }
        finally:
            conn.close()

    before = counts()
    fake_platform.clear_requests()
    second = archive([S.JULIACA_URL], settings)
    assert second.ok, second.errors
    assert second.posts_reused == 4 and second.posts_captured == 0
    after = counts()
    assert {k: after[k] for k in ("posts", "article_posts", "links", "post_captures", "articles")} == {
        k: before[k] for k in ("posts", "article_posts", "links", "post_captures", "articles")
    }
    # the article itself is fetched and shot again: that is a new capture of the article
    assert after["article_captures"] == before["article_captures"] + 2
    assert not [r for r in fake_platform.requests if "cdn.syndication" in str(r["url"]) and r["user_agent"].startswith("archiver")]

    third = archive([S.JULIACA_URL], settings, recapture=True)
    assert third.ok, third.errors
    assert third.posts_captured == 4
    recaptured = counts()
    assert recaptured["posts"] == before["posts"] and recaptured["post_captures"] > before["post_captures"]
    # earlier captures are untouched: same rows, same files
    assert len(captures_of(settings, S.JULIACA_HOSPITAL_ID, "screenshot")) == 2
    assert_files_intact(settings)


def test_the_browser_never_requests_what_the_policy_refuses(settings: Settings, fake_world: World, fake_platform: FakePlatform) -> None:
    import socket
    import threading

    from tests.fakeplatform.world import Page

    # Were loopback requests sent direct, around the guard, a listener of our own would see them.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[object] = []

    def accept() -> None:
        while True:
            try:
                conn, peer = listener.accept()
            except OSError:
                return
            accepted.append(peer)
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    # WebRTC goes around proxies unless told not to: a UDP listener of our own on loopback.
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.2)
    webrtc = f"""<script>
      const pc = new RTCPeerConnection({{iceServers: [{{urls: 'stun:127.0.0.1:{udp.getsockname()[1]}'}},
        {{urls: 'turn:127.0.0.1:{port}?transport=tcp', username: 'u', credential: 'c'}}]}});
      pc.createDataChannel('x');
      pc.createOffer().then(offer => pc.setLocalDescription(offer));
    </script>"""
    refused = [
        f"https://127.0.0.1:{port}/leak.png",
        f"https://0x7f.0.0.1:{port}/hex.png",
        f"https://127.1:{port}/short.png",
        "https://intranet/x.png",
        "https://printer.local/x.png",
        f"https://localhost:{port}/x.js",
        "https://169.254.169.254/latest/meta-data/",
    ]
    # https, as the article: a secure page's plain-http subresources are blocked or upgraded
    # by Chromium itself, which would prove nothing about our guard.
    checked_and_allowed = "https://93.184.216.34/public.png"  # checked by the guard, and let through
    html = (
        "<!DOCTYPE html><html><head><title>Guarded</title>"
        f'<script src="{refused[5]}"></script></head><body><p>Nothing to see.</p>'
        + "".join(f'<img src="{u}">' for u in refused[:5])
        + f'<iframe src="{refused[6]}"></iframe><img src="{checked_and_allowed}">{webrtc}</body></html>'
    )
    url = f"{S.NEWS}/guarded"
    fake_world.add_page(url, Page(body=html.encode()))
    try:
        summary = archive([url], settings)
        try:
            packet = udp.recvfrom(2048)
        except TimeoutError:
            packet = None
    finally:
        listener.close()
        udp.close()
    assert packet is None, f"a STUN packet reached loopback: {packet}"
    assert summary.ok, summary.errors
    assert rows(settings, "SELECT count(*) AS n FROM captures WHERE kind = 'page_screenshot'")[0]["n"] == 1
    seen = [r["url"] for r in fake_platform.requests]
    assert any(u.startswith("https://93.184.216.34") for u in seen), seen
    assert not accepted
    hosts = ("127.", "0x7f", "intranet", "printer.local", "localhost", "169.254.169.254")
    assert not [u for u in seen if any(h in u for h in hosts)]


def test_the_fast_page_shot_has_the_same_pixels_as_playwrights(settings: Settings) -> None:
    # render._viewport_png asks Chromium for a PNG encoded for speed; a faster encoding
    # must not change one pixel of what is archived.
    import asyncio

    from playwright.async_api import async_playwright

    from archiver.plumbing.browser import launch
    from archiver.plumbing.guard_proxy import GuardProxy
    from archiver.steps.render import _viewport_png

    async def shoot() -> tuple[bytes, bytes]:
        async with async_playwright() as p, GuardProxy(replace(settings, proxy=None)) as guard:
            browser = await launch(p, replace(settings, proxy=None), guard.url)
            try:
                page = await browser.new_page(viewport={"width": 800, "height": 1400})
                await page.set_content(
                    "<body style='margin:0;font:16px serif'>"
                    + "".join(
                        f"<p style='color:hsl({i * 37 % 360},70%,40%);background:hsl({i * 53 % 360},60%,90%)'>"
                        f"Paragraph {i}: Juliaca, 9 de enero de 2023 — ñ é ü</p>"
                        for i in range(40)
                    )
                    + "</body>"
                )
                return await _viewport_png(page), await page.screenshot(type="png")
            finally:
                await browser.close()

    fast, reference = asyncio.run(shoot())
    with Image.open(io.BytesIO(fast)) as a, Image.open(io.BytesIO(reference)) as b:
        assert a.size == b.size == (800, 1400)
        assert a.convert("RGB").tobytes() == b.convert("RGB").tobytes()
        assert not is_blank(fast)


def test_a_card_that_never_renders_fails_its_post_alone(settings: Settings, fake_world: World) -> None:
    # The platform's embed page answers 500 for one post: its card never renders, on the
    # article page or alone. That post is one error line; the page and the others are archived.
    broken = fake_world.juliaca_ids[1]
    fake_world.faults[("platform.twitter.com", f"id={broken}")] = "500"
    summary = archive([S.JULIACA_URL], replace(settings, render_timeout=4.0))
    assert not summary.ok
    assert len(summary.errors) == 1, summary.errors
    assert str(broken) in summary.errors[0] and "embed card did not render" in summary.errors[0]
    assert summary.posts_captured == len(fake_world.juliaca_ids) - 1
    assert not captures_of(settings, broken, "screenshot")
    assert post_row(settings, broken)["capture_complete"] == 0
    for other in fake_world.juliaca_ids:
        if other != broken:
            assert len(captures_of(settings, other, "screenshot")) == 1
    assert rows(settings, "SELECT count(*) AS n FROM captures WHERE kind = 'page_screenshot'")[0]["n"] == 1


def test_a_page_that_breaks_animation_frames_and_fonts_is_still_shot(settings: Settings, fake_world: World) -> None:
    # Before a shot the renderer waits for two animation frames and for the fonts, in the
    # page's own world, which the page may have replaced: it must neither hang nor give up.
    from tests.fakeplatform.world import Page

    hostile = (
        "<!DOCTYPE html><html><head><title>Hostile</title><script>"
        "window.requestAnimationFrame = function () { return 0; };"
        "Object.defineProperty(document, 'fonts', {value: {ready: new Promise(function () {})}});"
        "</script></head><body><h1>Still evidence</h1><p>This page keeps its promises to itself.</p></body></html>"
    )
    url = f"{S.NEWS}/hostile"
    fake_world.add_page(url, Page(body=hostile.encode()))
    summary = archive([url], replace(settings, render_timeout=4.0))
    assert summary.ok, summary.errors
    shots = rows(settings, "SELECT * FROM captures WHERE kind = 'page_screenshot'")
    assert len(shots) == 1
    assert not is_blank((settings.data_dir / str(shots[0]["path"])).read_bytes())


def test_a_page_shot_too_large_to_examine_is_kept_without_cards() -> None:
    # Longer than MAX_PAGE_HEIGHT, a page is shot by Playwright in one piece, which can be
    # larger than Pillow should decode: the shot is kept as it is, its cards rendered alone.
    from archiver.steps.render import _cut_cards
    from archiver.steps.thumbnails import MAX_PIXELS

    out = io.BytesIO()
    Image.new("L", (1280, MAX_PIXELS // 1280 + 1), 255).save(out, "PNG")
    box = {"x": 0.0, "y": 0.0, "width": 550.0, "height": 600.0}
    shot = _cut_cards(out.getvalue(), "https://news.example/long", ["note"], {"1": ("card-url", box)})
    assert (shot.page.width, shot.page.height) == (1280, MAX_PIXELS // 1280 + 1)
    assert shot.page.png == out.getvalue() and shot.page.notes == ["note"]
    assert shot.page.blank is None and shot.page.derived is None and shot.cards == {}


def test_cards_cut_from_a_page_carry_what_their_pixels_say() -> None:
    from archiver.errors import RenderError
    from archiver.steps.render import _card_shot_of, _cut_cards

    page = Image.new("RGB", (1280, 1000), "white")
    page.paste(Image.effect_noise((550, 600), 60).convert("RGB"), (100, 50))
    out = io.BytesIO()
    page.save(out, "PNG")
    painted = {"x": 100.0, "y": 50.0, "width": 550.0, "height": 600.0}
    white = {"x": 700.0, "y": 50.0, "width": 550.0, "height": 600.0}
    outside = {"x": 900.0, "y": 50.0, "width": 550.0, "height": 600.0}
    shot = _cut_cards(out.getvalue(), "u", [], {"1": ("c1", painted), "2": ("c2", white), "3": ("c3", outside)})
    assert set(shot.cards) == {"1", "2"} and shot.page.blank is False
    card, blank = shot.cards["1"], shot.cards["2"]
    assert (card.width, card.height, card.blank, blank.blank) == (550, 600, False, True)
    with Image.open(io.BytesIO(card.png)) as decoded:
        assert decoded.convert("RGB").tobytes() == page.crop((100, 50, 650, 650)).tobytes()
    assert card.derived is not None and card.derived.thumbnail is not None and card.derived.dhash
    with pytest.raises(RenderError, match="not a readable image"):
        _cut_cards(b"\x89PNG\r\n\x1a\n broken", "u", [], {})
    with pytest.raises(RenderError, match="not a readable image"):
        _card_shot_of(b"\x89PNG\r\n\x1a\n broken", "u")

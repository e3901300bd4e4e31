"""Browsing as the people who use it do: a journalist, a documenter, an editor, on a
desktop (1280 px) and a phone (390 px). Chromium (Playwright) drives `archiver serve` on
a rich archive the real pipeline made (tests/browse_archive.py); the tests assert what a
person sees — text, links, badges — never pixels.

One test per task of issue 15, each at both widths, and one that no page is wider than
its screen. With ARCHIVER_UPDATE_DOCS=1 the article page, a deleted post's page and the page of a
post deleted before capture are saved into docs/ for the README.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.config import Settings
from archiver.plumbing.browser import find_browser
from tests import browse_archive
from tests.browse_archive import RichArchive, rows
from tests.fakeplatform import FakePlatform
from tests.fakeplatform import sample as S

DOCS = Path(__file__).resolve().parent.parent / "docs"
WIDTHS = {"desktop": 1280, "phone": 390}
UTC_TIME = re.compile(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}(:\d{2})? UTC")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=30)


class Site:
    def __init__(self, base: str, archive: RichArchive) -> None:
        self.base = base
        self.archive = archive

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def site(fake_platform: FakePlatform, chromium_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    archive = browse_archive.build(fake_platform, chromium_home, tmp_path_factory.mktemp("browse") / "captures")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    server = subprocess.Popen(
        [sys.executable, "-m", "archiver.cli", "--data", str(archive.data_dir), "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        with http() as client:
            while True:
                try:
                    if client.get(base + "/-/versions.json").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"archiver serve did not start: {output}")
                time.sleep(0.1)
        yield Site(base, archive)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=find_browser(Settings()).path, args=["--no-proxy-server"])
        yield chromium
        chromium.close()


@pytest.fixture(params=list(WIDTHS), scope="module")
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": WIDTHS[request.param], "height": 900})
    page = context.new_page()
    page.archiver_width = WIDTHS[request.param]
    yield page
    context.close()


def visible_text(page: Any, selector: str) -> str:
    return str(page.inner_text(selector))


def hrefs(page: Any, selector: str) -> list[str]:
    return list(page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('href'))"))


# --- 1. what happened to an article's posts -----------------------------------------------


def test_article_page_shows_each_cited_posts_fate(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url(f"/archive/articles/{a.juliaca}"), wait_until="load")
    assert "Peruvian Regime Kills 9 Protesters in Juliaca" in visible_text(page, "h1")
    assert visible_text(page, ".archiver-counts") == "4 cited · 1 deleted · 1 unavailable"
    cited = page.locator("li.archiver-cited-post")
    assert cited.count() == 4
    by_link = {}
    for i in range(4):
        item = cited.nth(i)
        link = item.locator("a.archiver-post-link").get_attribute("href")
        by_link[link] = item.inner_text()
    deleted = by_link[f"/archive/posts/{a.deleted}"]
    assert re.search(r"Deleted\s+noticed " + UTC_TIME.pattern, deleted), deleted
    assert "Unavailable" in by_link[f"/archive/posts/{a.suspended_later}"]
    assert "Edited" in by_link[f"/archive/posts/{a.edited}"]
    assert "Live" in by_link[f"/archive/posts/{a.live}"]
    assert all("Cited as embedded post (blockquote), in the article's own text" in text for text in by_link.values())
    # the card opens the post's page, and the article's own page screenshot is there
    assert f"/archive/posts/{a.deleted}" in hrefs(page, "a.archiver-cited-card")
    assert page.locator(".archiver-pageshot img").count() == 1
    history = visible_text(page, ".archiver-timeline")
    assert "First fetched (HTTP 200) and captured" in history


def test_articles_list_counts_cited_and_deleted(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url("/archive/articles"), wait_until="load")
    items = page.locator("ol.archiver-articles-list > li")
    assert items.count() == 3
    texts = {items.nth(i).locator("a.archiver-title").get_attribute("href"): items.nth(i).inner_text() for i in range(3)}
    assert "4 cited · 1 deleted · 1 unavailable" in texts[f"/archive/articles/{a.juliaca}"]
    assert "4 cited · 1 deleted · 1 unavailable" in texts[f"/archive/articles/{a.mixed}"]
    assert "Gone" in texts[f"/archive/articles/{a.gone}"]
    # the page thumbnail opens the archived article, not the raw PNG
    assert f"/archive/articles/{a.juliaca}" in hrefs(page, "a.archiver-thumb")


# --- 2. status in the posts list ----------------------------------------------------------


def test_posts_list_shows_fate_first(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url("/archive/posts"), wait_until="load")
    items = page.locator("ol.archiver-posts-list > li")
    assert items.count() == len(a.ids)
    deleted = page.locator(f"li.archiver-item:has(a[href='/archive/posts/{a.deleted}'])")
    assert deleted.count() == 1
    text = deleted.inner_text()
    # the badge says it in a mark and a word, not in colour alone
    assert "✕ Deleted" in text and "noticed" in text and "Dr. Enrique Sotomayor" in text
    assert "archiver-status-deleted" in (deleted.get_attribute("class") or "")
    # what a person reads first, not ids and hashes
    for technical in ("content_fingerprint", "native_id", str(a.archive_native(a.deleted))):
        assert technical not in text
    # a thumbnail opens the archived post
    thumb = deleted.locator("a.archiver-thumb")
    assert thumb.get_attribute("href") == f"/archive/posts/{a.deleted}"
    thumb.click()
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/archive/posts/{a.deleted}")
    # every column is one click away
    page.goto(site.url("/archive/posts"), wait_until="load")
    page.click("text=Show every column (ids, hashes)")
    page.wait_for_load_state("load")
    assert page.locator("table.rows-and-columns th.col-content_fingerprint").count() == 1


# --- 3. a phone -----------------------------------------------------------------------


def test_post_page_reads_on_any_screen(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url(f"/archive/posts/{a.deleted}"), wait_until="load")
    timeline = visible_text(page, ".archiver-timeline")
    # labelled in words, not with the posts table's column names
    for column in ("native_id", "platform", "id"):
        assert not re.search(rf"(^|\n){column}\b", timeline), timeline
    assert page.evaluate("document.documentElement.scrollWidth") <= page.archiver_width
    if page.archiver_width < 700:
        # one column: the card above the details, not beside them
        card = page.locator(".archiver-card").bounding_box()
        details = page.locator(".archiver-details").bounding_box()
        assert card["y"] + card["height"] <= details["y"] + 1
    # the row's every field is folded away
    assert not page.locator("details.archiver-row table").is_visible()


PAGES = [
    "/",
    "/archive",
    "/archive/posts",
    "/archive/posts?_columns=all",
    "/archive/articles",
    "/archive/recently_deleted",
    "/archive/articles_that_lost_embeds",
    "/archive/edited_posts",
    "/archive/author_posts?handle=KawsachunNews",
    "/archive/captures",
    "/archive/log",
    "/archive/exchanges",
    "/archive/status_checks",
]


def test_no_page_is_wider_than_its_screen(site: Site, page: Any) -> None:
    a = site.archive
    paths = PAGES + [
        f"/archive/posts/{pid}" for pid in (a.deleted, a.deleted_before_capture, a.edited, a.protected, a.live)
    ] + [f"/archive/articles/{aid}" for aid in (a.juliaca, a.mixed, a.gone)] + [
        f"/archive/article_captures?article={a.juliaca}",
    ]
    too_wide = {}
    for path in paths:
        page.goto(site.url(path), wait_until="load")
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > page.archiver_width:
            too_wide[path] = width
    assert not too_wide, too_wide


# --- 4. canned queries lead somewhere -----------------------------------------------------


def test_canned_queries_link_to_archived_pages(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url("/archive/recently_deleted"), wait_until="load")
    assert page.title() == "Recently deleted or unavailable posts — archiver"
    # the SQL is folded away, one click from view
    assert page.locator("#sql-query, textarea#sql-editor").count() == 0
    assert page.locator("text=show").count() >= 1
    post_links = hrefs(page, "td.col-post_id a")
    assert f"/archive/posts/{a.deleted}" in post_links
    assert f"/archive/posts/{a.deleted_before_capture}" in post_links
    # each citing article once, as a link to its page
    row = page.locator(f"tr:has(td.col-post_id a[href='/archive/posts/{a.ids[S.JULIACA_HOSPITAL_ID]}'])")
    cited_by: list[str] = []
    if row.count():
        cited_by = hrefs(page, f"tr:has(td.col-post_id a[href='/archive/posts/{a.ids[S.JULIACA_HOSPITAL_ID]}']) td.col-cited_by a")
    deleted_row_links = hrefs(page, f"tr:has(td.col-post_id a[href='/archive/posts/{a.deleted}']) td.col-cited_by a")
    assert deleted_row_links == [f"/archive/articles/{a.juliaca}"]
    assert len(cited_by) == len(set(cited_by))
    page.click(f"td.col-post_id a[href='/archive/posts/{a.deleted}']")
    page.wait_for_load_state("load")
    assert "Deleted" in visible_text(page, ".archiver-status")


def test_article_captures_offers_an_article_picker(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url("/archive/article_captures"), wait_until="load")
    page.select_option("select#archiver-article", str(a.juliaca))
    page.click(".archiver-picker button")
    page.wait_for_load_state("load")
    assert f"article={a.juliaca}" in page.url
    files = page.eval_on_selector_all("td.col-path a", "els => els.map(e => e.textContent.trim())")
    assert files and "page screenshot" in " ".join(files)
    assert not any(re.fullmatch(r"blobs/.*", f) for f in files), files  # readable, not hash paths
    assert page.locator("td.col-path a.archiver-thumb, td.col-path a").count() == len(files)


# --- 5. a sensible start -------------------------------------------------------------------


def test_home_leads_with_articles_posts_and_recently_deleted(site: Site, page: Any) -> None:
    for path in ("/", "/archive"):
        page.goto(site.url(path), wait_until="load")
        lead = page.locator("nav.archiver-lead a")
        assert [lead.nth(i).locator("strong").inner_text() for i in range(lead.count())] == [
            "Articles", "Posts", "Recently deleted"]
        assert "6 deleted or unavailable now" in lead.nth(2).inner_text()
    page.goto(site.url("/"), wait_until="load")
    promised = hrefs(page, "ul.bullets a")
    assert len(promised) == 5
    with http() as client:
        for href in promised:  # every query the home page promises is there
            assert client.get(site.url(href)).status_code == 200, href
    page.click("nav.archiver-lead a:has-text('Articles')")
    page.wait_for_load_state("load")
    assert page.locator("ol.archiver-articles-list > li").count() == 3


# --- 6. a post deleted before it was archived --------------------------------------------


def test_post_deleted_before_capture_shows_the_surviving_copy(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url(f"/archive/posts/{a.deleted_before_capture}"), wait_until="load")
    assert "@AndesObserver" in visible_text(page, "h1")  # from its URL: the platform gave no data
    assert "@?" not in visible_text(page, "h1")
    surviving = visible_text(page, ".archiver-surviving")
    assert "The only surviving copy" in surviving
    assert "Unconfirmed: Juliaca airport closed until further notice." in surviving
    assert "Live, deleted, unavailable and unreachable posts" in surviving
    assert re.search(r"Deleted\s+already gone when first archived", visible_text(page, ".archiver-status"))
    # where the article's screenshot shows it: that region, labelled, with the whole screenshot and its hash
    [stored] = rows(
        a.data_dir,
        """SELECT r.id, r.x, r.y, r.width, r.height, r.element, c.path, c.sha256, c.width AS shot_width,
                  c.height AS shot_height FROM embed_regions r JOIN captures c ON c.id = r.capture_id
           WHERE r.post_id = ? AND r.article_id = ?""",
        a.deleted_before_capture, a.mixed,
    )
    assert stored["element"] == "blockquote"
    region = page.locator(".archiver-card .archiver-region")
    assert region.count() == 1
    caption = region.locator("figcaption").inner_text()
    assert re.search(r"From the article's screenshot taken " + UTC_TIME.pattern, caption), caption
    assert str(stored["sha256"]) in caption and "The box is in log entry" in caption
    image = region.locator("img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=image.element_handle())
    natural = image.evaluate("i => [i.naturalWidth, i.naturalHeight]")
    x, y, w, h = (int(str(stored[k])) for k in ("x", "y", "width", "height"))
    crop = (max(0, x - 16), max(0, y - 16), min(int(str(stored["shot_width"])), x + w + 16),
            min(int(str(stored["shot_height"])), y + h + 16))
    assert natural == [crop[2] - crop[0], crop[3] - crop[1]]
    assert image.bounding_box()["width"] <= page.archiver_width
    # above the fold of a phone too: the surviving copy comes first
    assert region.bounding_box()["y"] < 900
    with http() as client:
        full = client.get(site.url(region.locator("a", has_text="The full screenshot").get_attribute("href")))
        assert hashlib.sha256(full.content).hexdigest() == stored["sha256"]
        served = client.get(site.url(image.get_attribute("src")))
        assert served.headers["content-type"] == "image/png" and "sandbox" in served.headers["content-security-policy"]
    from PIL import Image

    own = Image.open(a.data_dir / str(stored["path"])).convert("RGB").crop(crop)
    assert Image.open(io.BytesIO(served.content)).convert("RGB").tobytes() == own.tobytes()  # the screenshot's pixels
    assert page.evaluate("document.documentElement.scrollWidth") <= page.archiver_width
    src = image.get_attribute("src")

    # the article's page shows the same region beside the cited post, which has no card
    page.goto(site.url(f"/archive/articles/{a.mixed}"), wait_until="load")
    item = page.locator(f"li.archiver-cited-post:has(a.archiver-post-link[href='/archive/posts/{a.deleted_before_capture}'])")
    assert item.locator("img.archiver-region-img").get_attribute("src") == src
    assert re.search(r"From the article's screenshot taken " + UTC_TIME.pattern, item.inner_text())
    assert item.locator(".archiver-nothumb").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= page.archiver_width


# --- 7. changes in words ----------------------------------------------------------------


def test_changes_read_as_sentences(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url(f"/archive/posts/{a.edited}"), wait_until="load")
    timeline = visible_text(page, ".archiver-timeline")
    assert "Edited: the text changed" in timeline
    assert "{" not in timeline and '"before"' not in timeline
    assert all(UTC_TIME.fullmatch(t) for t in page.eval_on_selector_all(
        ".archiver-timeline time", "els => els.map(e => e.textContent.trim())"))
    edit = page.locator(".archiver-edit")
    assert "This was the anti-coup protest" in edit.inner_text()
    assert browse_archive.EDITED_TEXT in edit.inner_text()
    cards = hrefs(page, ".archiver-edit a")
    assert len(cards) == 2 and cards[0] != cards[1]
    with http() as client:
        for href in cards:
            assert client.get(site.url(href)).headers["content-type"] == "image/png"

    page.goto(site.url(f"/archive/posts/{a.protected}"), wait_until="load")
    timeline = visible_text(page, ".archiver-timeline")
    assert "protected, suspended, age-restricted or withheld — the platform does not say which" in timeline
    assert "answered HTTP 200: the post exists but is not shown" in timeline

    page.goto(site.url(f"/archive/posts/{a.suspended_later}"), wait_until="load")
    assert "Became unavailable (was live)" in visible_text(page, ".archiver-timeline")
    assert '"from"' not in visible_text(page, ".archiver-timeline")

    page.goto(site.url(f"/archive/articles/{a.gone}"), wait_until="load")
    assert re.search(r"Gone\s+answered HTTP 410 " + UTC_TIME.pattern, visible_text(page, ".archiver-status"))
    assert "HTTP 410: the page is gone" in visible_text(page, ".archiver-timeline")


# --- 8. evidence to take away ------------------------------------------------------------


def test_evidence_sheet_and_downloads(site: Site, page: Any) -> None:
    a = site.archive
    page.goto(site.url(f"/archive/posts/{a.deleted}"), wait_until="load")
    sheet = visible_text(page, ".archiver-evidence")
    captures = rows(a.data_dir, "SELECT sha256, kind FROM captures WHERE post_id = ?", a.deleted)
    assert captures
    for c in captures:
        assert str(c["sha256"]) in sheet, c
    assert "In the log" in sheet and "Run 1 (archive)" in sheet and "Run 2 (sweep)" in sheet
    assert "raw answer from the platform's data service" in sheet
    assert UTC_TIME.search(sheet)
    # files download under readable names
    link = page.locator(".archiver-file a", has_text="card screenshot").first
    href = link.get_attribute("href")
    with http() as client:
        response = client.get(site.url(href))
        native = a.archive_native(a.deleted)
        assert re.fullmatch(
            rf'inline; filename="twitter-{native}-screenshot-\d{{8}}-\d{{6}}\.png"', response.headers["content-disposition"]
        ), response.headers["content-disposition"]
        assert hashlib.sha256(response.content).hexdigest() in sheet
        # a name we did not make is not echoed into a header
        odd = client.get(site.url(href.split("?")[0] + '?name=x"; evil.html'))
        assert "content-disposition" not in odd.headers
        # the evidence bundle of the post: a WACZ
        bundle_href = page.locator("a.archiver-button").get_attribute("href")
        bundle = client.get(site.url(bundle_href))
        assert bundle.status_code == 200
        assert f'filename="evidence-twitter-{native}.wacz"' in bundle.headers["content-disposition"]
        names = zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert "datapackage.json" in names and "archive/data.warc.gz" in names
    # printing gives one column and no navigation
    page.emulate_media(media="print")
    try:
        assert not page.locator("header nav").is_visible()
        assert not page.locator("a.archiver-button").is_visible()
        columns = page.eval_on_selector(".archiver-columns", "e => getComputedStyle(e).display")
        assert columns == "block"
    finally:
        page.emulate_media(media="screen")
    if os.environ.get("ARCHIVER_UPDATE_DOCS"):
        save_docs_screenshots(site, page)


def test_article_evidence_bundle(site: Site) -> None:
    a = site.archive
    with http() as client:
        html = client.get(site.url(f"/archive/articles/{a.juliaca}")).text
        assert f"/-/archiver/evidence/article/{a.juliaca}.wacz" in html
        bundle = client.get(site.url(f"/-/archiver/evidence/article/{a.juliaca}.wacz"))
        assert bundle.status_code == 200
        assert "evidence-article-" in bundle.headers["content-disposition"]
        assert "datapackage.json" in zipfile.ZipFile(io.BytesIO(bundle.content)).namelist()
        assert client.get(site.url("/-/archiver/evidence/post/999999.wacz")).status_code == 404
        odd = client.get(site.url("/-/archiver/evidence/post/..%2Farchive.db"), follow_redirects=True)
        assert odd.status_code == 404 and not odd.content.startswith(b"SQLite format 3")


def save_docs_screenshots(site: Site, page: Any) -> None:
    suffix = "desktop" if page.archiver_width >= 700 else "phone"
    a = site.archive
    for name, path in (("article-page", f"/archive/articles/{a.juliaca}"), ("deleted-post", f"/archive/posts/{a.deleted}"),
                       ("surviving-copy", f"/archive/posts/{a.deleted_before_capture}")):
        page.goto(site.url(path), wait_until="load")
        page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
        page.wait_for_function("() => [...document.images].every(i => i.complete)")
        page.screenshot(path=str(DOCS / f"{name}-{suffix}.png"))  # the first screen: what one sees first

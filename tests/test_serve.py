"""`archiver serve` on an archive the real pipeline made against the fake platform, driven
by Chromium (Playwright) and by plain HTTP straight to 127.0.0.1."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from archiver.plumbing.browser import find_browser
from archiver.config import Settings
from archiver.pipeline import archive
from archiver import sweep
from tests.conftest import fake_settings
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S

DOCS = Path(__file__).resolve().parent.parent / "docs"
HOSTILE = "<script>window.__pwned = 1</script>"


@dataclass
class Served:
    base: str
    data_dir: Path
    settings: Settings
    world: World
    deleted_post_id: int
    hostile_post_id: int
    search_word: str
    search_post_id: int


def q(data_dir: Path, sql: str, *params: object) -> list[dict[str, object]]:
    import sqlite3

    conn = sqlite3.connect(data_dir / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def unique_word(data_dir: Path, native_id: int) -> str:
    """A word of one post's text found in no other post's text or embed text."""
    rows = q(
        data_dir,
        """SELECT p.native_id, coalesce(p.text, '') || ' ' || coalesce(group_concat(ap.embed_text, ' '), '') AS words
           FROM posts p LEFT JOIN article_posts ap ON ap.post_id = p.id GROUP BY p.id""",
    )
    others = " ".join(str(r["words"]).lower() for r in rows if r["native_id"] != str(native_id))
    mine = next(str(r["words"]) for r in rows if r["native_id"] == str(native_id))
    words = [w.strip("#.,:;!¡¿?\"'()") for w in mine.split()]
    return next(w for w in sorted(words, key=len, reverse=True) if w.isalpha() and w.lower() not in others)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http() -> httpx.Client:
    # Straight to loopback: no proxy from the environment (archiver's own client refuses loopback).
    return httpx.Client(trust_env=False, timeout=20)


@pytest.fixture(scope="module")
def served(fake_platform: FakePlatform, chromium_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    world = fake_platform.world = World.sample()
    world.posts[S.JULIACA_MARCH_ID].text += " " + HOSTILE
    data_dir = tmp_path_factory.mktemp("serve") / "captures"
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(chromium_home)
    try:
        settings = fake_settings(fake_platform, data_dir)
        summary = archive([S.JULIACA_URL], settings)
        assert summary.ok, summary.errors
        world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
        swept = sweep(settings, everything=True)
        assert swept.ok, swept.errors
    finally:
        if old_home is not None:
            os.environ["HOME"] = old_home
    ids = {r["native_id"]: r["id"] for r in q(data_dir, "SELECT id, native_id FROM posts")}
    word = unique_word(data_dir, S.JULIACA_HOSPITAL_ID)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    # Output to a file, not a pipe nobody drains: a server logging tracebacks must not block.
    log = data_dir.parent / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "archiver.cli", "--data", str(data_dir), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
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
                    output = log.read_text(errors="replace")
                    pytest.fail(f"archiver serve did not start: {output}")
                time.sleep(0.1)
        yield Served(
            base,
            data_dir,
            settings,
            world,
            deleted_post_id=int(ids[str(S.JULIACA_DOCTOR_ID)]),
            hostile_post_id=int(ids[str(S.JULIACA_MARCH_ID)]),
            search_word=word,
            search_post_id=int(ids[str(S.JULIACA_HOSPITAL_ID)]),
        )
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def page(served: Served) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    choice = find_browser(Settings())
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=choice.path, args=["--no-proxy-server"])
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        yield page
        browser.close()


def loaded_images(page: object, selector: str) -> list[int]:
    """naturalWidth of every image the selector finds (0 for a broken one), once each has
    finished loading. Thumbnails are loading="lazy": they may load after the page's load
    event, and only near the viewport, so each is scrolled to and waited for."""
    images = page.locator(selector)  # type: ignore[attr-defined]
    for i in range(images.count()):
        images.nth(i).scroll_into_view_if_needed()
    page.wait_for_function("sel => [...document.querySelectorAll(sel)].every(i => i.complete)", arg=selector)  # type: ignore[attr-defined]
    return page.eval_on_selector_all(selector, "els => els.map(e => e.naturalWidth)")  # type: ignore[attr-defined]


# --- in the browser ---------------------------------------------------------------------


def test_posts_table_shows_thumbnails_that_load(served: Served, page: object) -> None:
    page.goto(served.base + "/archive/posts", wait_until="load")  # type: ignore[attr-defined]
    widths = loaded_images(page, "li.archiver-item a.archiver-thumb img")
    assert len(widths) == 4, widths  # one card screenshot per Juliaca post
    assert all(w > 0 for w in widths), widths
    # the thumbnail is the small file, not the full PNG scaled down
    sources = page.eval_on_selector_all("li.archiver-item a.archiver-thumb img", "els => els.map(e => e.getAttribute('src'))")  # type: ignore[attr-defined]
    assert all(src.endswith(".jpg") for src in sources), sources
    assert page.evaluate("window.__pwned") is None  # type: ignore[attr-defined]
    shot = DOCS / "posts-table.png" if os.environ.get("ARCHIVER_UPDATE_DOCS") else served.data_dir.parent / "posts-table.png"
    page.locator("ol.archiver-posts-list").screenshot(path=str(shot))  # type: ignore[attr-defined]


def test_search_finds_a_post_by_a_word_of_its_text(served: Served, page: object) -> None:
    page.goto(served.base + "/archive/posts", wait_until="load")  # type: ignore[attr-defined]
    page.fill("input#_search", served.search_word)  # type: ignore[attr-defined]
    page.press("input#_search", "Enter")  # type: ignore[attr-defined]
    page.wait_for_load_state("load")  # type: ignore[attr-defined]
    assert "_search=" in page.url  # type: ignore[attr-defined]
    ids = page.eval_on_selector_all("li.archiver-item a.archiver-post-link", "els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined]
    assert ids == [f"/archive/posts/{served.search_post_id}"], (served.search_word, ids)


def test_search_finds_embed_text(served: Served) -> None:
    embed = q(served.data_dir, "SELECT post_id, embed_text FROM article_posts WHERE embed_text IS NOT NULL LIMIT 1")
    assert embed, "the Juliaca article's embeds carry the newsroom's text"
    word = max(str(embed[0]["embed_text"]).split(), key=len).strip("#.,:;!¡¿?\"'")
    with http() as client:
        rows = client.get(served.base + "/archive/posts.json", params={"_search": word, "_shape": "array"}).json()
    assert embed[0]["post_id"] in [r["id"] for r in rows]


def test_deleted_posts_page_shows_screenshot_and_timeline(served: Served, page: object) -> None:
    page.goto(f"{served.base}/archive/posts/{served.deleted_post_id}", wait_until="load")  # type: ignore[attr-defined]
    assert loaded_images(page, ".archiver-card img")[0] > 0
    assert page.inner_text(".archiver-status").startswith("✕ Deleted")  # type: ignore[attr-defined]
    timeline = page.inner_text(".archiver-timeline")  # type: ignore[attr-defined]
    assert "First archived: live." in timeline and "Checked: deleted" in timeline and "Deleted: the post is gone" in timeline
    citations = page.inner_text("ul.archiver-citations")  # type: ignore[attr-defined]
    assert "embedded post (blockquote)" in citations
    assert all(w > 0 for w in loaded_images(page, ".archiver-media img"))


def test_canned_query_returns_the_deleted_post(served: Served, page: object) -> None:
    page.goto(served.base + "/archive/recently_deleted", wait_until="load")  # type: ignore[attr-defined]
    cells = page.eval_on_selector_all("td.col-post_id a", "els => els.map(e => e.getAttribute('href'))")  # type: ignore[attr-defined]
    assert cells == [f"/archive/posts/{served.deleted_post_id}"]
    assert "Deleted" in page.inner_text("td.col-kind")  # type: ignore[attr-defined]


# --- over HTTP ------------------------------------------------------------------------


def test_only_stored_files_are_served(served: Served) -> None:
    blobs = served.data_dir / "blobs"
    stray = blobs / "ab" / "cd" / ("ab" + "cd" + "0" * 60 + ".png")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"\x89PNG not in the blobs table")
    (blobs / "tmp" / ".tmp-leftover").write_bytes(b"half-written")
    with http() as client:
        for path in (
            "/-/archiver/archive.db",
            "/-/archiver/blobs/../archive.db",
            "/-/archiver/blobs/%2e%2e/archive.db",
            "/-/archiver/blobs/tmp/.tmp-leftover",
            "/-/archiver/blobs/" + stray.relative_to(blobs).as_posix(),
            "/-/archiver/blobs/nothing",
            "/-/archiver/nothing",
        ):
            assert client.get(served.base + path).status_code == 404, path
        # Datasette's own download of the database is refused too
        download = client.get(served.base + "/archive.db")
        assert download.status_code == 403 and not download.content.startswith(b"SQLite format 3")
        photo = q(served.data_dir, "SELECT path, sha256, mime FROM captures WHERE kind = 'photo' LIMIT 1")[0]
        response = client.get(f"{served.base}/-/archiver/{photo['path']}")
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg" == photo["mime"]
        assert hashlib.sha256(response.content).hexdigest() == photo["sha256"]
        video = q(served.data_dir, "SELECT path, bytes FROM captures WHERE kind = 'video' LIMIT 1")[0]
        response = client.get(f"{served.base}/-/archiver/{video['path']}")
        assert response.headers["content-type"] == "video/mp4" and len(response.content) == video["bytes"]


def test_unmatched_urls_answer_404(served: Served) -> None:
    """Datasette's default error handler prints each error with `rich` when it is installed
    (as it is here: the test tools bring it), and fails with a 500 when no route matched,
    for want of an exception in flight. Not found is a 404, with rich or without."""
    import importlib.util

    assert importlib.util.find_spec("rich") is not None, "this test is about an environment with rich"
    with http() as client:
        for path in ("/no-such-page", "/a/b/c/d", "/archive/posts/1/2/3", "/-/archiver/nothing/at/all",
                     "/-/archiver/evidence/post/..%2Farchive.db", "/archive/no-such-table.json"):
            response = client.get(served.base + path, follow_redirects=True)
            assert response.status_code == 404, (path, response.status_code)
            assert not response.content.startswith(b"SQLite format 3")
        assert client.get(served.base + "/a/b/c/d.json").json()["status"] == 404


def test_captured_html_is_never_served_as_html(served: Served) -> None:
    html = q(served.data_dir, "SELECT path FROM blobs WHERE mime LIKE 'text/html%'")
    assert html, "the article and the card pages were stored"
    with http() as client:
        for row in html:
            response = client.get(f"{served.base}/-/archiver/{row['path']}")
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/plain")
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "sandbox" in response.headers["content-security-policy"]


def test_values_are_escaped(served: Served) -> None:
    with http() as client:
        for path in (f"/archive/posts/{served.hostile_post_id}", "/archive/posts", "/archive/article_posts"):
            body = client.get(served.base + path).text
            assert HOSTILE not in body, path
        assert "&lt;script&gt;window.__pwned" in client.get(f"{served.base}/archive/posts/{served.hostile_post_id}").text


def test_metadata_describes_every_table_and_column(served: Served) -> None:
    with http() as client:
        meta = client.get(served.base + "/-/metadata.json").json()
    described = meta["databases"]["archive"]["tables"]
    tables = [r["name"] for r in q(served.data_dir, "SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        if table.startswith("posts_fts_") or table.startswith("sqlite_"):
            continue  # FTS5's own shadow tables
        assert described.get(table, {}).get("description"), table
        columns = [r["name"] for r in q(served.data_dir, f"PRAGMA table_info({table})")]
        assert set(columns) <= set(described[table]["columns"]), (table, set(columns) - set(described[table]["columns"]))


def test_every_image_capture_has_a_small_thumbnail(served: Served) -> None:
    rows = q(
        served.data_dir,
        """SELECT c.kind, c.width AS cw, t.path, t.sha256, t.width, t.height, b.mime FROM captures c
           LEFT JOIN thumbnails t ON t.capture_id = c.id LEFT JOIN blobs b ON b.sha256 = t.sha256
           WHERE c.kind IN ('photo', 'poster', 'screenshot', 'page_screenshot')""",
    )
    assert {r["kind"] for r in rows} == {"photo", "poster", "screenshot", "page_screenshot"}
    for row in rows:
        assert row["path"] is not None, row
        data = (served.data_dir / str(row["path"])).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"]
        assert data[:3] == b"\xff\xd8\xff" and row["mime"] == "image/jpeg"
        assert 0 < int(row["width"]) <= 320 and 0 < int(row["height"]) <= 400  # type: ignore[call-overload]


def test_serve_sees_what_a_sweep_writes_meanwhile(served: Served) -> None:
    """Read-only, not immutable: a sweep's commit shows at once."""
    post_id = served.hostile_post_id
    served.world.posts[S.JULIACA_MARCH_ID].status = "deleted"
    with http() as client:
        before = client.get(f"{served.base}/archive/posts/{post_id}.json", params={"_shape": "array"}).json()
        assert before[0]["status"] == "live"
        # in a thread of its own: the sync Playwright of the browser tests holds this one's event loop
        with ThreadPoolExecutor(1) as pool:
            swept = pool.submit(sweep, served.settings, everything=True).result()
        assert swept.ok, swept.errors
        after = client.get(f"{served.base}/archive/posts/{post_id}.json", params={"_shape": "array"}).json()
    assert after[0]["status"] == "deleted"


def test_only_blob_paths_of_either_layout_are_served() -> None:
    from archiver.browse.files import is_blob_path

    sha = "ab" + "0" * 62
    assert is_blob_path(f"blobs/ab/{sha}.png")
    assert is_blob_path(f"blobs/ab/00/{sha}.png")  # archives made by archiver 0.1
    for path in (f"blobs/tmp/{sha}.png", f"blobs/ab/../{sha}.png", "archive.db", f"blobs/ab/00/11/{sha}.png",
                 f"blobs/{sha}.png", f"blobs/ab/{sha}", f"/blobs/ab/{sha}.png"):
        assert not is_blob_path(path), path


def test_captures_table_shows_a_video_with_its_poster(served: Served) -> None:
    """Datasette hands render_cell expanded foreign keys ({value, label} dicts): the video
    cell must still find its poster (issue 17, item 4: this page answered 500)."""
    video = q(served.data_dir, "SELECT id, path FROM captures WHERE kind = 'video' LIMIT 1")[0]
    with http() as client:
        for url in (f"{served.base}/archive/captures", f"{served.base}/archive/captures?kind=video",
                    f"{served.base}/archive/captures/{video['id']}"):
            response = client.get(url)
            assert response.status_code == 200, (url, response.text[:500])
            assert f"/-/archiver/{video['path']}" in response.text, url
            assert "▶ video" in response.text and "video poster" in response.text, url

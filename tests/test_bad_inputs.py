"""Bad inputs: each gives a one-line error naming the item, and the run goes on.

One archive run takes every bad URL of the sample world, three refused schemes and one
good article; the tests below each check one aspect of that run's summary, database
and files. A few focused runs follow where the shared run cannot show something.
"""

from __future__ import annotations

import hashlib
import io
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from archiver.config import Settings
from archiver.pipeline import Summary, archive
from tests.conftest import assert_files_intact, fake_settings, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import media as media_gen
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import Page

GOOD = S.JULIACA_URL
REFUSED_SCHEMES = ["file:///etc/passwd", "javascript:alert(document.cookie)", "data:text/html,<h1>hi</h1>"]
# Bad at the article level: the article itself is what fails.
BAD_ARTICLES = [
    S.BAD_URLS[k]
    for k in ("404", "500", "binary", "loop", "long-chain", "hang", "to-private", "to-metadata", "huge")
] + REFUSED_SCHEMES
# Good articles among the bad URLs: odd, but archivable.
ODD_BUT_GOOD = [S.BAD_URLS[k] for k in ("broken-html", "latin1", "latin1-meta", "invalid-image", "bomb-image")]
BAD_IMAGE_POSTS = {
    S.INVALID_IMAGE_ID: f"https://x.com/PunoPhotoDesk/status/{S.INVALID_IMAGE_ID}",
    S.BOMB_IMAGE_ID: f"https://x.com/PunoPhotoDesk/status/{S.BOMB_IMAGE_ID}",
}


@dataclass
class Outcome:
    summary: Summary
    settings: Settings
    requests: list[dict[str, object]]

    def db(self) -> sqlite3.Connection:
        return open_archive(self.settings)


@pytest.fixture(scope="module")
def bad_run(
    fake_platform: FakePlatform, chromium_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Outcome]:
    """The one run over every bad input plus a good article."""
    fake_platform.world = World.sample()
    fake_platform.latency = 0.0
    fake_platform.clear_requests()
    settings = fake_settings(fake_platform, tmp_path_factory.mktemp("bad-run") / "captures", render_timeout=10.0)
    targets = list(S.BAD_URLS.values()) + REFUSED_SCHEMES + [GOOD]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(chromium_home))
        summary = archive(targets, settings)
    yield Outcome(summary, settings, list(fake_platform.requests))


def lines_naming(summary: Summary, needle: str) -> list[str]:
    return [line for line in summary.errors if needle in line]


# --------------------------------------------------------------------------- the summary


def test_the_run_goes_on_and_reports_failure(bad_run: Outcome) -> None:
    summary = bad_run.summary
    assert summary.ok is False
    assert summary.run_id is not None
    assert all(isinstance(line, str) and line.strip() for line in summary.errors)
    assert all("\n" not in line and "\r" not in line for line in summary.errors), summary.errors
    assert not any("Traceback" in line or "unexpected" in line for line in summary.errors), summary.errors
    # The good article and the odd-but-good ones were archived despite everything else.
    assert summary.articles == 1 + len(ODD_BUT_GOOD)


@pytest.mark.parametrize("url", BAD_ARTICLES)
def test_each_bad_article_is_named_in_exactly_one_error_line(bad_run: Outcome, url: str) -> None:
    named = lines_naming(bad_run.summary, url)
    assert len(named) == 1, bad_run.summary.errors
    assert named[0].startswith(url)


@pytest.mark.parametrize(
    ("key", "words"),
    [
        ("404", "404"),
        ("500", "500"),
        ("binary", "image/png"),
        ("loop", "loop"),
        ("long-chain", "redirects"),
        ("to-private", "127.0.0.1"),
        ("to-metadata", "169.254.169.254"),
        ("huge", "cap"),
    ],
)
def test_the_error_says_what_went_wrong(bad_run: Outcome, key: str, words: str) -> None:
    (line,) = lines_naming(bad_run.summary, S.BAD_URLS[key])
    assert words in line


def test_no_error_for_the_good_and_odd_but_good_articles(bad_run: Outcome) -> None:
    for url in [GOOD, S.BAD_URLS["broken-html"], S.BAD_URLS["latin1"]]:  # latin1 also covers latin1-meta
        assert lines_naming(bad_run.summary, url) == []
    # The image pages are fine; only their posts are not.
    for key in ("invalid-image", "bomb-image"):
        assert lines_naming(bad_run.summary, S.BAD_URLS[key]) == []


def test_every_error_line_is_about_a_bad_item(bad_run: Outcome) -> None:
    items = BAD_ARTICLES + list(BAD_IMAGE_POSTS.values())
    for line in bad_run.summary.errors:
        assert any(item in line for item in items), line


@pytest.mark.parametrize("post_id", list(BAD_IMAGE_POSTS))
def test_a_bad_image_post_is_named_in_an_error(bad_run: Outcome, post_id: int) -> None:
    named = lines_naming(bad_run.summary, BAD_IMAGE_POSTS[post_id])
    assert named, bad_run.summary.errors
    assert any("photo" in line for line in named)
    assert any("FmCorruptJpeg01" in line or "FmBombPng000001" in line for line in named)


@pytest.mark.parametrize("post_id", list(BAD_IMAGE_POSTS))
def test_a_bad_image_post_is_named_in_exactly_one_error_line(bad_run: Outcome, post_id: int) -> None:
    assert len(lines_naming(bad_run.summary, BAD_IMAGE_POSTS[post_id])) == 1, bad_run.summary.errors


# --------------------------------------------------------------------------- the database


def test_the_good_article_is_fully_archived(bad_run: Outcome) -> None:
    db = bad_run.db()
    article = db.execute("SELECT * FROM articles WHERE url = ?", (GOOD,)).fetchone()
    assert article is not None and article["http_status"] == 200
    kinds = {r["kind"] for r in db.execute("SELECT kind FROM captures WHERE article_id = ?", (article["id"],))}
    assert kinds == {"html", "page_screenshot"}
    posts = db.execute(
        "SELECT p.* FROM posts p JOIN article_posts ap ON ap.post_id = p.id WHERE ap.article_id = ?",
        (article["id"],),
    ).fetchall()
    assert sorted(int(p["native_id"]) for p in posts) == sorted(S.JULIACA_IDS)
    for post in posts:
        assert (post["status"], post["capture_complete"]) == ("live", 1), post["url"]
        post_kinds = {r["kind"] for r in db.execute("SELECT kind FROM captures WHERE post_id = ?", (post["id"],))}
        assert {"screenshot", "data"} <= post_kinds, (post["url"], post_kinds)
        assert {"photo", "video"} & post_kinds, (post["url"], post_kinds)


def test_failed_articles_leave_no_article_row(bad_run: Outcome) -> None:
    urls = {r["url"] for r in bad_run.db().execute("SELECT url FROM articles")}
    assert urls == {GOOD, *ODD_BUT_GOOD}


def test_answers_of_failed_articles_are_kept_as_exchanges(bad_run: Outcome) -> None:
    db = bad_run.db()

    def statuses(url: str) -> list[int]:
        return [r["status"] for r in db.execute("SELECT status FROM exchanges WHERE url = ? ORDER BY id", (url,))]

    assert statuses(S.BAD_URLS["404"]) == [404]
    assert statuses(S.BAD_URLS["500"]) == [500] * (bad_run.settings.retries + 1)
    assert statuses(S.BAD_URLS["to-metadata"]) == [302]
    binary = db.execute("SELECT sha256 FROM exchanges WHERE url = ?", (S.BAD_URLS["binary"],)).fetchone()
    assert binary["sha256"] is not None  # the PNG the "article" turned out to be


def test_refused_targets_were_never_requested(bad_run: Outcome) -> None:
    urls = [str(r["url"]) for r in bad_run.requests]
    assert not any("127.0.0.1" in u or "169.254.169.254" in u for u in urls), urls
    assert not any(u.startswith(("file:", "javascript:", "data:")) for u in urls)
    db = bad_run.db()
    assert db.execute(
        "SELECT count(*) FROM exchanges WHERE url LIKE '%127.0.0.1%' OR url LIKE '%169.254.169.254%'"
    ).fetchone()[0] == 0


def test_a_redirect_loop_and_a_long_chain_stop(bad_run: Outcome) -> None:
    urls = [str(r["url"]) for r in bad_run.requests]
    assert urls.count(S.BAD_URLS["loop"]) == 1 and urls.count(f"{S.NEWS}/bad/loop-b") == 1
    chain = [u for u in urls if u.startswith(S.BAD_URLS["long-chain"])]
    assert len(chain) == bad_run.settings.max_hops + 1  # the final page is never fetched


def test_broken_html_still_yields_its_embed(bad_run: Outcome) -> None:
    db = bad_run.db()
    rows = db.execute(
        """SELECT p.native_id, p.capture_complete, ap.form, ap.embed_text FROM article_posts ap
           JOIN articles a ON a.id = ap.article_id JOIN posts p ON p.id = ap.post_id WHERE a.url = ?""",
        (S.BAD_URLS["broken-html"],),
    ).fetchall()
    assert [(r["native_id"], r["form"]) for r in rows] == [(str(S.JULIACA_DOCTOR_ID), "blockquote")]
    assert "Dr. Enrique Sotomayor" in rows[0]["embed_text"]
    assert rows[0]["capture_complete"] == 1


@pytest.mark.parametrize(
    ("key", "title", "post_id"),
    [("latin1", "Represión en Juliaca", S.JULIACA_MARCH_ID), ("latin1-meta", "Arequipa: comisarías", S.JULIACA_AREQUIPA_ID)],
)
def test_latin1_article_is_decoded_and_its_embed_found(bad_run: Outcome, key: str, title: str, post_id: int) -> None:
    db = bad_run.db()
    url = S.BAD_URLS[key]
    article = db.execute("SELECT * FROM articles WHERE url = ?", (url,)).fetchone()
    assert article["title"] == title
    link = db.execute(
        "SELECT p.native_id, ap.embed_text FROM article_posts ap JOIN posts p ON p.id = ap.post_id WHERE ap.article_id = ?",
        (article["id"],),
    ).fetchall()
    assert [r["native_id"] for r in link] == [str(post_id)]
    text = link[0]["embed_text"]
    assert "\ufffd" not in text and "Ã" not in text
    assert "— Kawsachun News (@KawsachunNews)" in text  # &mdash; decoded
    # The stored page is the bytes as served, not a re-encoding.
    html = db.execute("SELECT path FROM captures WHERE article_id = ? AND kind = 'html'", (article["id"],)).fetchone()
    body = (bad_run.settings.data_dir / html["path"]).read_bytes()
    assert title.encode("iso-8859-1") in body


@pytest.mark.parametrize("post_id", list(BAD_IMAGE_POSTS))
def test_no_capture_points_at_a_bad_image(bad_run: Outcome, post_id: int) -> None:
    db = bad_run.db()
    post = db.execute("SELECT * FROM posts WHERE native_id = ?", (str(post_id),)).fetchone()
    assert post is not None
    assert post["capture_complete"] == 0
    kinds = [r["kind"] for r in db.execute("SELECT kind FROM captures WHERE post_id = ?", (post["id"],))]
    assert "photo" not in kinds and "data" in kinds
    bad_bytes = media_gen.invalid_jpeg() if post_id == S.INVALID_IMAGE_ID else media_gen.png_bomb(30000, 30000)
    digest = hashlib.sha256(bad_bytes).hexdigest()
    assert db.execute("SELECT count(*) FROM captures WHERE sha256 = ?", (digest,)).fetchone()[0] == 0
    # The answer itself is kept, as evidence of what the CDN sent.
    assert db.execute("SELECT count(*) FROM exchanges WHERE sha256 = ?", (digest,)).fetchone()[0] >= 1


def test_every_image_capture_is_a_valid_image_of_its_recorded_size(bad_run: Outcome) -> None:
    db = bad_run.db()
    rows = db.execute(
        "SELECT path, width, height FROM captures WHERE kind IN ('photo', 'poster', 'screenshot', 'page_screenshot')"
    ).fetchall()
    assert rows
    for row in rows:
        with Image.open(io.BytesIO((bad_run.settings.data_dir / row["path"]).read_bytes())) as image:
            image.verify()
            assert image.size == (row["width"], row["height"]) or row["width"] is None, row["path"]


def test_files_are_intact_and_the_database_is_sound(bad_run: Outcome) -> None:
    assert assert_files_intact(bad_run.settings) > 0
    db = bad_run.db()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    run = db.execute("SELECT * FROM runs WHERE id = ?", (bad_run.summary.run_id,)).fetchone()
    assert run["finished_at"] is not None


# --------------------------------------------------------------------------- focused runs


LATIN_TEXT = "Represión en Perú: niños heridos; «Otárola» habló en Lima."


def _accented_page(post_id: int, charset: str, header_charset: str | None, meta_charset: str | None) -> Page:
    embed = (
        f'<blockquote class="twitter-tweet"><p lang="es" dir="ltr">{LATIN_TEXT}</p>&mdash; Andes Observer '
        f'(@AndesObserver) <a href="https://twitter.com/AndesObserver/status/{post_id}?ref_src=twsrc%5Etfw">'
        "January 12, 2023</a></blockquote>\n"
        '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'
    )
    meta = f'<meta charset="{meta_charset}">' if meta_charset else ""
    html = f"<!DOCTYPE html><html><head>{meta}<title>Perú: niños</title></head><body><p>{LATIN_TEXT}</p>{embed}</body></html>"
    ctype = f"text/html; charset={header_charset}" if header_charset else "text/html"
    return Page(body=html.encode(charset), content_type=ctype)


def test_accented_embed_text_survives_every_way_of_declaring_latin1(settings: Settings, fake_world: World) -> None:
    pid = S.TEXT_IDS[0]
    pages = {
        f"{S.NEWS}/es/header": _accented_page(pid, "iso-8859-1", "iso-8859-1", None),
        f"{S.NEWS}/es/meta": _accented_page(pid, "iso-8859-1", None, "iso-8859-1"),
        # The header wins over a contradicting meta, as in browsers.
        f"{S.NEWS}/es/header-beats-meta": _accented_page(pid, "iso-8859-1", "ISO-8859-1", "utf-8"),
        # Undeclared and not UTF-8: windows-1252, as browsers assume.
        f"{S.NEWS}/es/undeclared": _accented_page(pid, "cp1252", None, None),
        # Declared UTF-8 and really UTF-8.
        f"{S.NEWS}/es/utf8": _accented_page(pid, "utf-8", "utf-8", "utf-8"),
    }
    for url, page in pages.items():
        fake_world.add_page(url, page)
    summary = archive(list(pages), settings)
    assert summary.ok, summary.errors
    db = open_archive(settings)
    for url in pages:
        row = db.execute(
            """SELECT a.title, ap.embed_text, p.native_id FROM articles a JOIN article_posts ap ON ap.article_id = a.id
               JOIN posts p ON p.id = ap.post_id WHERE a.url = ?""",
            (url,),
        ).fetchone()
        assert row is not None, url
        assert row["title"] == "Perú: niños", url
        assert LATIN_TEXT in row["embed_text"], url
        assert row["native_id"] == str(pid)


def test_a_lower_pixel_limit_refuses_an_ordinary_photo(settings: Settings, fake_world: World) -> None:
    """Limits.image_pixels is the archiver's own bomb guard, not only Pillow's default."""
    from dataclasses import replace

    from archiver.config import Limits

    limited = replace(settings, limits=Limits(image_pixels=100_000))
    post_url = f"https://x.com/KawsachunNews/status/{S.JULIACA_DOCTOR_ID}"  # one photo, 1200x1500
    summary = archive([post_url], limited)
    assert not summary.ok
    (line,) = summary.errors
    assert post_url in line and "exceeds the limit" in line
    db = open_archive(limited)
    assert db.execute("SELECT count(*) FROM captures WHERE kind = 'photo'").fetchone()[0] == 0
    post = db.execute("SELECT capture_complete FROM posts WHERE native_id = ?", (str(S.JULIACA_DOCTOR_ID),)).fetchone()
    assert post["capture_complete"] == 0


def test_an_unknown_short_link_and_a_dead_article_in_one_run(settings: Settings, fake_world: World) -> None:
    """Targets that fail at different stages each get their line; the good one is archived."""
    unknown = f"https://t.co/{S.UNKNOWN_TCO_CODE}"
    deleted = f"https://x.com/AndesObserver/status/{S.DELETED_ID}"
    summary = archive([unknown, S.BAD_URLS["404"], deleted], settings)
    assert len(summary.errors) == 2, summary.errors
    assert len(lines_naming(summary, unknown)) == 1
    assert len(lines_naming(summary, S.BAD_URLS["404"])) == 1
    assert summary.statuses["deleted"] == 1
    db = open_archive(settings)
    row = db.execute("SELECT status, capture_complete FROM posts WHERE native_id = ?", (str(S.DELETED_ID),)).fetchone()
    assert (row["status"], row["capture_complete"]) == ("deleted", 1)
    link = db.execute("SELECT final_url, hops FROM links WHERE url = ?", (unknown,)).fetchone()
    assert link is not None and '"status": 404' in link["hops"]


def test_a_gzip_encoded_article_is_decoded_and_its_embed_found(settings: Settings, fake_world: World) -> None:
    import gzip

    url = f"{S.NEWS}/gz/article"
    page = _accented_page(S.TEXT_IDS[2], "utf-8", "utf-8", "utf-8")
    fake_world.add_page(
        url, Page(body=gzip.compress(page.body), content_type=page.content_type, headers={"Content-Encoding": "gzip"})
    )
    summary = archive([url], settings)
    db = open_archive(settings)
    assert db.execute("SELECT title FROM articles WHERE url = ?", (url,)).fetchone()["title"] == "Perú: niños"
    assert summary.posts_found == 1, summary.as_dict()
    assert summary.ok, summary.errors


def test_a_malformed_redirect_location_is_an_ordinary_error(settings: Settings, fake_world: World) -> None:
    from dataclasses import replace

    url = f"{S.NEWS}/bad/malformed-location"
    fake_world.add_page(url, Page(status=302, location="http://[bad"))
    summary = archive([url], replace(settings, retries=0))
    (line,) = summary.errors
    assert line.startswith(url)
    assert "unexpected" not in line

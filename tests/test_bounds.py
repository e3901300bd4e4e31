"""Hostile pages are read within limits (depth, time, memory), off the event loop: a page
over a limit is one error line for that article, and the other articles of the run complete.
Also the smaller hardening of the same issue: charset detection when a page's declared
charset contradicts its bytes, and URLs with an invalid port refused before any proxy.
"""

from __future__ import annotations

from dataclasses import replace

from archiver.config import MB, Limits, Settings
from archiver.pipeline import Summary, archive
from tests.conftest import open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import Page

GOOD = S.JULIACA_URL


def _status_link(post_id: int) -> str:
    return f'<a href="https://twitter.com/AndesObserver/status/{post_id}">a post</a>'


def _deep_page(depth: int, post_id: int, tag: str = "div") -> Page:
    """``depth`` nested elements with a citation at the bottom: the issue's 2.2 MB page at 200,000."""
    html = (
        f"<!DOCTYPE html><html><head><title>Deep</title></head><body>"
        f"{f'<{tag}>' * depth}<p>{_status_link(post_id)}</p>{f'</{tag}>' * depth}</body></html>"
    )
    return Page(body=html.encode(), content_type="text/html; charset=utf-8")


def _assert_good_article_complete(settings: Settings) -> None:
    db = open_archive(settings)
    article = db.execute("SELECT id FROM articles WHERE url = ?", (GOOD,)).fetchone()
    assert article is not None
    posts = db.execute(
        """SELECT p.native_id, p.capture_complete FROM posts p JOIN article_posts ap ON ap.post_id = p.id
           WHERE ap.article_id = ?""",
        (article["id"],),
    ).fetchall()
    assert sorted(int(p["native_id"]) for p in posts) == sorted(S.JULIACA_IDS)
    assert all(p["capture_complete"] == 1 for p in posts)


def _cited(settings: Settings, url: str) -> list[str]:
    rows = open_archive(settings).execute(
        """SELECT p.native_id FROM articles a JOIN article_posts ap ON ap.article_id = a.id
           JOIN posts p ON p.id = ap.post_id WHERE a.url = ?""",
        (url,),
    ).fetchall()
    return [r["native_id"] for r in rows]


def _one_line_naming(summary: Summary, url: str) -> str:
    named = [line for line in summary.errors if url in line]
    assert len(named) == 1, summary.errors
    (line,) = named
    assert line.startswith(url) and "\n" not in line and "unexpected" not in line, line
    return line


# --------------------------------------------------------------------------- depth


def test_the_issues_deep_page_is_read_whole_within_a_low_time_limit(settings: Settings, fake_world: World) -> None:
    """200,000 nested <div>s: read in linear time, so well within a limit the quadratic
    parse (minutes at this depth) would exceed; its citation is found; the run goes on."""
    deep = f"{S.NEWS}/hostile/deep"
    fake_world.add_page(deep, _deep_page(200_000, S.TEXT_IDS[0]))
    limited = replace(settings, limits=Limits(parse_seconds=20.0))
    summary = archive([deep, GOOD], limited)
    assert [line for line in summary.errors if deep in line] == [], summary.errors
    assert _cited(limited, deep) == [str(S.TEXT_IDS[0])]
    _assert_good_article_complete(limited)


def test_nesting_past_the_depth_limit_keeps_every_citation(settings: Settings, fake_world: World) -> None:
    """Elements past Limits.depth are flattened, as browsers do, not dropped with their content."""
    url = f"{S.NEWS}/hostile/deep-embeds"
    embed = (
        f'<blockquote class="twitter-tweet"><p>Deep words</p>&mdash; Andes Observer (@AndesObserver) '
        f'<a href="https://twitter.com/AndesObserver/status/{S.TEXT_IDS[2]}">January 12, 2023</a></blockquote>'
    )
    html = (
        "<html><head><title>Deep embeds</title></head><body>"
        + "<section>" * 3000
        + _status_link(S.TEXT_IDS[1])
        + "<div>" * 3000
        + embed
        + "</div>" * 3000
        + "</section>" * 3000
        + "</body></html>"
    )
    fake_world.add_page(url, Page(body=html.encode()))
    limited = replace(settings, limits=Limits(depth=100))
    summary = archive([url], limited)
    assert summary.ok, summary.errors
    assert sorted(_cited(limited, url)) == sorted([str(S.TEXT_IDS[1]), str(S.TEXT_IDS[2])])
    row = open_archive(limited).execute(
        "SELECT ap.form, ap.embed_text, a.title FROM article_posts ap JOIN articles a ON a.id = ap.article_id "
        "JOIN posts p ON p.id = ap.post_id WHERE p.native_id = ?",
        (str(S.TEXT_IDS[2]),),
    ).fetchone()
    assert row["form"] == "blockquote" and "Deep words" in row["embed_text"]
    assert row["title"] == "Deep embeds"


# --------------------------------------------------------------------------- time and memory


def test_a_page_over_the_time_limit_is_one_error_line_and_the_run_goes_on(
    settings: Settings, fake_world: World
) -> None:
    """With the depth limit lifted, 100,000 nested <div>s take the parser far longer than the
    time limit: the reader is killed, the article fails alone, and a fresh reader (one worker
    only) reads the articles after it."""
    deep = f"{S.NEWS}/hostile/slow"
    fake_world.add_page(deep, _deep_page(100_000, S.TEXT_IDS[0]))
    limited = replace(settings, limits=Limits(depth=10**9, parse_seconds=1.0), parse_workers=1, concurrency=1)
    summary = archive([deep, GOOD, S.BAD_URLS["latin1"]], limited)
    line = _one_line_naming(summary, deep)
    assert "1 s" in line and "time" in line, line
    assert len(summary.errors) == 1, summary.errors
    assert _cited(limited, deep) == []
    _assert_good_article_complete(limited)
    assert _cited(limited, S.BAD_URLS["latin1"]) == [str(S.JULIACA_MARCH_ID)]


def test_a_page_over_the_memory_limit_is_one_error_line_and_the_run_goes_on(
    settings: Settings, fake_world: World
) -> None:
    """Millions of tiny elements need far more memory to parse than their bytes: over
    Limits.parse_memory the article fails alone."""
    url = f"{S.NEWS}/hostile/wide"
    body = b"<html><body>" + b"<i a=b>x</i>" * (12 * MB // 12) + _status_link(S.TEXT_IDS[0]).encode() + b"</body></html>"
    fake_world.add_page(url, Page(body=body))
    limited = replace(settings, limits=Limits(parse_memory=256 * MB))
    summary = archive([url, GOOD], limited)
    line = _one_line_naming(summary, url)
    assert "memory" in line and "256 MB" in line, line
    assert len(summary.errors) == 1, summary.errors
    _assert_good_article_complete(limited)


# --------------------------------------------------------------------------- charset


JAPANESE_TITLE = "東京：大雨で電車が止まる"
JAPANESE_TEXT = "今朝の大雨で、山手線は全線で運転を見合わせています。駅には多くの人が集まりました。"


def test_a_shift_jis_page_with_a_false_utf8_meta_is_decoded(settings: Settings, fake_world: World) -> None:
    url = f"{S.NEWS}/ja/false-meta"
    post_id = S.TEXT_IDS[3]
    embed = (
        f'<blockquote class="twitter-tweet"><p lang="ja">{JAPANESE_TEXT}</p>&mdash; Andes Observer '
        f'(@AndesObserver) <a href="https://twitter.com/AndesObserver/status/{post_id}">2023年1月12日</a></blockquote>'
    )
    html = (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{JAPANESE_TITLE}</title></head>'
        f"<body><h1>{JAPANESE_TITLE}</h1><p>{JAPANESE_TEXT}</p>{embed}</body></html>"
    )
    fake_world.add_page(url, Page(body=html.encode("shift_jis"), content_type="text/html"))
    summary = archive([url], settings)
    assert summary.ok, summary.errors
    row = open_archive(settings).execute(
        """SELECT a.title, ap.embed_text FROM articles a JOIN article_posts ap ON ap.article_id = a.id
           WHERE a.url = ?""",
        (url,),
    ).fetchone()
    assert row["title"] == JAPANESE_TITLE
    assert JAPANESE_TEXT in row["embed_text"]


def test_a_byte_order_mark_wins_over_a_contradicting_header(settings: Settings, fake_world: World) -> None:
    url = f"{S.NEWS}/bom/utf16"
    html = f"<html><head><title>{JAPANESE_TITLE}</title></head><body>{_status_link(S.TEXT_IDS[4])}</body></html>"
    fake_world.add_page(
        url, Page(body=b"\xff\xfe" + html.encode("utf-16-le"), content_type="text/html; charset=iso-8859-1")
    )
    summary = archive([url], settings)
    assert summary.ok, summary.errors
    assert open_archive(settings).execute("SELECT title FROM articles WHERE url = ?", (url,)).fetchone()[0] == (
        JAPANESE_TITLE
    )
    assert _cited(settings, url) == [str(S.TEXT_IDS[4])]


# --------------------------------------------------------------------------- malformed URLs


def test_an_invalid_port_is_refused_before_the_proxy_sees_it(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    bad = [f"{S.NEWS}:99999/article", f"{S.NEWS}:0/article", f"{S.NEWS}:8o/article", "https://exa mple.com/"]
    summary = archive([*bad, GOOD], settings)
    for url in bad:
        line = _one_line_naming(summary, url)
        assert "not a valid URL" in line, line
    assert len(summary.errors) == len(bad), summary.errors
    requested = [str(r["url"]) for r in fake_platform.requests]
    assert not any(":99999" in u or ":0/" in u or ":8o" in u or "exa mple" in u for u in requested), requested
    _assert_good_article_complete(settings)

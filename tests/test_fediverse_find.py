"""Finding Bluesky and Mastodon posts in every form, and naming each by one identity
whatever form cited it: a DID and record key (a handle resolved), the origin instance's
user and id (a copy on another instance traced back; a bare link confirmed by its host)."""

from __future__ import annotations

import sqlite3

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms import post_ref
from archiver.platforms.bluesky import ids as bsky_ids
from archiver.platforms.mastodon import ids as masto_ids
from archiver.steps.find import find_embeds
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import social_sample as X

DID = "did:plc:abcdefghijklmnopqrstuvwx"
RKEY = "3lap2jzrjjc26"


def found(html: str, platform: str, content_type: str = "text/html") -> list[tuple[str, str | None, bool, str]]:
    return [(e.form, e.native_id, e.tentative, e.link) for e in find_embeds(html, content_type, "https://news.example/a")
            if e.platform == platform]


def test_bluesky_snippets_of_every_vintage() -> None:
    official = (f'<blockquote class="bluesky-embed" data-bluesky-uri="at://{DID}/app.bsky.feed.post/{RKEY}" '
                f'data-bluesky-cid="bafyrei" data-bluesky-embed-color-mode="system"><p lang="en">Hi<br><br>'
                f'<a href="https://bsky.app/profile/{DID}/post/{RKEY}?ref_src=embed">[image or embed]</a></p>&mdash; A '
                f'(<a href="https://bsky.app/profile/{DID}?ref_src=embed">@a.bsky.social</a>) '
                f'<a href="https://bsky.app/profile/{DID}/post/{RKEY}?ref_src=embed">May 1</a></blockquote>'
                '<script async src="https://embed.bsky.app/static/embed.js" charset="utf-8"></script>')
    (embed,) = find_embeds(official, "text/html", "https://news.example/a")
    assert (embed.platform, embed.form, embed.native_id, embed.embed_text) == ("bluesky", "blockquote", f"{DID}/{RKEY}", "Hi [image or embed]")
    # embed.js's rendering, and a bare iframe pasted by forum software
    rendered = (f'<div class="bluesky-embed"><iframe data-bluesky-id="1" src="https://embed.bsky.app/embed/{DID}/'
                f'app.bsky.feed.post/{RKEY}?id=1&ref_url=x"></iframe></div>')
    assert found(rendered, "bluesky") == [("iframe", f"{DID}/{RKEY}", False, rendered.split('src="')[1].split('"')[0])]
    # a snippet stripped of its attribute still names the post by its last link
    stripped = official.replace(f' data-bluesky-uri="at://{DID}/app.bsky.feed.post/{RKEY}"', "")
    assert [f[:2] for f in found(stripped, "bluesky")] == [("blockquote", f"{DID}/{RKEY}")]
    # older embed.js host
    old = official.replace("/static/embed.js", "/embed.js")
    assert len(found(old, "bluesky")) == 1


def test_bluesky_links_and_text() -> None:
    html = (f'<p><a href="https://bsky.app/profile/ana.example.com/post/{RKEY}">Ana</a> said; '
            f'at://{DID}/app.bsky.feed.post/{RKEY} is its AT-URI, bsky.app/profile/{DID}/post/3lap2jzrjjc27 too.</p>')
    assert [(f[0], f[1]) for f in found(html, "bluesky")] == [
        ("status_link", None),  # by handle: resolved to the DID before it is a post
        ("status_link", f"{DID}/{RKEY}"),
        ("status_link", f"{DID}/3lap2jzrjjc27"),
    ]
    text = f"See https://bsky.app/profile/{DID}/post/{RKEY}. And at://b.example/app.bsky.feed.post/{RKEY}!"
    assert [(f[1], f[3]) for f in found(text, "bluesky", "text/plain")] == [
        (f"{DID}/{RKEY}", f"https://bsky.app/profile/{DID}/post/{RKEY}"),
        (None, f"at://b.example/app.bsky.feed.post/{RKEY}"),
    ]
    # Not posts: a profile, a feed, a record key that is no TID.
    assert found(f'<a href="https://bsky.app/profile/{DID}">p</a> <a href="https://bsky.app/profile/{DID}/feed/x">f</a> '
                 f'https://bsky.app/profile/{DID}/post/notatid', "bluesky") == []


def test_wordpress_blocks_hold_bluesky_and_mastodon_urls() -> None:
    for url, platform, native_id in [
        (f"https://bsky.app/profile/{DID}/post/{RKEY}", "bluesky", f"{DID}/{RKEY}"),
        (f"https://bsky.app/profile/x.bsky.social/post/{RKEY}", "bluesky", None),
        ("https://mastodon.social/@Gargron/100254678717223630", "mastodon", None),
    ]:
        block = (f'<figure class="wp-block-embed is-type-rich is-provider-{platform} wp-block-embed-{platform}">'
                 f'<div class="wp-block-embed__wrapper">\n{url}\n</div></figure>')
        embeds = find_embeds(block, "text/html", "https://news.example/a")
        assert [(e.platform, e.form, e.native_id, e.tentative) for e in embeds] == [(platform, "cms_wrapper", native_id, False)]


def test_mastodon_markup_decides_and_bare_links_are_tentative() -> None:
    legacy = ('<iframe src="https://mastodon.social/@Gargron/100254678717223630/embed" class="mastodon-embed" '
              'style="max-width: 100%; border: 0" width="400" allowfullscreen="allowfullscreen"></iframe>'
              '<script src="https://mastodon.social/embed.js" async="async"></script>')
    assert found(legacy, "mastodon") == [("iframe", "mastodon.social/@gargron/100254678717223630", False,
                                          "https://mastodon.social/@Gargron/100254678717223630/embed")]
    modern = ('<blockquote class="mastodon-embed" data-embed-url="https://social.example/@ana/1234/embed" style="x">'
              '<a href="https://social.example/@ana/1234" target="_blank"><div>Post by @ana@social.example</div>'
              '<div>View on Mastodon</div></a></blockquote>'
              '<script data-allowed-prefixes="https://social.example/" async src="https://social.example/embed.js"></script>')
    assert [f[:3] for f in found(modern, "mastodon")] == [("blockquote", "social.example/@ana/1234", False)]
    # after embed.js: the frame it added names the post
    ran = modern.replace("</blockquote>", '<iframe src="https://social.example/@ana/1234/embed"></iframe></blockquote>')
    assert [f[:3] for f in found(ran, "mastodon")] == [("iframe", "social.example/@ana/1234", False)]
    # Without markup every shape only looks like a post: its host's API will tell.
    bare = ('<p><a href="https://any.host/@bob/99">a</a> https://view.example/@carl@origin.example/77 '
            '<a href="https://x.example/users/dee/statuses/55">b</a> https://y.example/web/statuses/66 '
            '<iframe src="https://z.example/@eve/88/embed"></iframe></p>')
    assert [(f[0], f[1], f[2]) for f in found(bare, "mastodon")] == [
        ("status_link", None, True), ("status_link", None, True), ("status_link", None, True),
        ("status_link", None, True), ("iframe", None, True),
    ]
    # Not even that: profiles, tags, and other platforms' own posts.
    assert found('<a href="https://any.host/@bob">p</a> https://any.host/tags/x https://www.tiktok.com/@u/video/123 '
                 'https://x.com/jack/status/20', "mastodon") == []


def test_identities_are_one_whatever_the_form() -> None:
    assert bsky_ids.parse(f"at://{DID}/app.bsky.feed.post/{RKEY}") == bsky_ids.parse(
        f"https://bsky.app/profile/{DID}/post/{RKEY}?ref_src=embed")
    assert post_ref(f"https://embed.bsky.app/embed/{DID}/app.bsky.feed.post/{RKEY}?id=3") == ("bluesky", f"{DID}/{RKEY}")
    assert post_ref(f"https://bsky.app/profile/Ana.Example.com/post/{RKEY}") is None  # a handle: resolved first
    link = masto_ids.parse("https://Mastodon.Social/users/Gargron/statuses/100254678717223630/embed")
    assert link is not None and link.native_id == "mastodon.social/@gargron/100254678717223630"
    copy = masto_ids.parse("https://hachyderm.io/@Gargron@mastodon.social/111")
    assert copy is not None and copy.is_copy and copy.native_id is None
    assert masto_ids.status_url("mastodon.social/@gargron/1", "Gargron@mastodon.social") == "https://mastodon.social/@Gargron/1"


# ------------------------------------------------------------------------ against the fake


@pytest.fixture
def world(fake_platform: FakePlatform, fake_world: World) -> World:
    return X.add_to(fake_world)


def cited(settings: Settings) -> list[tuple[str, str, str, str]]:
    conn = sqlite3.connect(settings.db_path)
    try:
        return sorted(conn.execute(
            "SELECT p.platform, p.native_id, ap.form, ap.link FROM article_posts ap JOIN posts p ON p.id = ap.post_id"
        ))
    finally:
        conn.close()


def test_every_form_in_one_article_named_by_one_identity(world: World, settings: Settings,
                                                         fake_platform: FakePlatform) -> None:
    summary = archive([X.FORMS_ARTICLE], settings)
    assert summary.ok, summary.errors
    ana_text = X.bsky_id(X.BSKY_TEXT)
    assert cited(settings) == sorted([
        ("bluesky", X.bsky_id(X.BSKY_VIDEO), "cms_wrapper", X.web_url(X.BSKY_VIDEO)),
        ("bluesky", X.bsky_id(X.BSKY_QUOTE), "blockquote", X.BSKY_QUOTE_URI()),
        # the handle resolved to the DID; the link kept as the article wrote it
        ("bluesky", ana_text, "status_link", X.handle_url(X.BSKY_TEXT, world.bluesky)),
        ("bluesky", X.bsky_id(X.BSKY_DELETED), "status_link", f"at://{X.ANA.handle}/app.bsky.feed.post/{X.BSKY_DELETED.rkey}"),
        ("bluesky", X.bsky_id(X.BSKY_PHOTOS), "iframe",
         f"https://embed.bsky.app/embed/{X.BSKY_PHOTOS.did}/app.bsky.feed.post/{X.BSKY_PHOTOS.rkey}?id=1"),
        ("mastodon", X.masto_id(X.M_VIDEO), "iframe", f"{X.M_VIDEO.url}/embed"),
        ("mastodon", X.masto_id(X.M_TEXT), "blockquote", f"{X.M_TEXT.url}/embed"),
        # hachyderm's copy, named by its origin
        ("mastodon", X.masto_id(X.M_PHOTO), "status_link", X.COPY_URL),
        ("mastodon", X.masto_id(X.M_QUOTE), "status_link", f"https://fosstodon.org/@dev/{X.M_QUOTE.id}"),
    ])
    # The link that only looked like a post was asked about, found no post, and is no error.
    assert any("/api/v1/statuses/2026" in r["url"] for r in fake_platform.requests_to("www.example-news.com"))
    conn = sqlite3.connect(settings.db_path)
    try:
        handle = conn.execute("SELECT author_handle FROM posts WHERE native_id = ?", (ana_text,)).fetchone()[0]
        quoted = conn.execute(
            "SELECT q.platform, q.native_id FROM posts p JOIN posts q ON q.id = p.quoted_post_id WHERE p.native_id IN (?, ?)",
            (X.bsky_id(X.BSKY_QUOTE), X.masto_id(X.M_QUOTE)),
        ).fetchall()
    finally:
        conn.close()
    assert handle == X.ANA.handle  # recorded as it was
    assert sorted(quoted) == sorted([("bluesky", X.bsky_id(X.BSKY_PHOTOS)), ("mastodon", X.masto_id(X.M_TEXT))])


def test_plain_text_article(world: World, settings: Settings) -> None:
    assert archive([X.TEXT_ARTICLE], settings).ok
    assert [(p, n) for p, n, _, _ in cited(settings)] == sorted(
        [("bluesky", X.bsky_id(X.BSKY_TEXT)), ("mastodon", X.masto_id(X.M_TEXT))]
    )


def test_post_urls_as_targets(world: World, settings: Settings) -> None:
    targets = [X.handle_url(X.BSKY_TEXT, world.bluesky), X.COPY_URL, "https://www.example-news.com/@desk/2026"]
    world.add_page("https://www.example-news.com/@desk/2026", __import__("tests.fakeplatform", fromlist=["Page"]).Page.html(
        "<title>Our desk</title><p>No posts here.</p>"))
    summary = archive(targets, settings)
    assert summary.ok, summary.errors
    assert summary.articles == 1  # the look-alike is an article, the others posts
    assert {(p, n) for p, n, _, _ in cited(settings)} == set()
    conn = sqlite3.connect(settings.db_path)
    try:
        posts = sorted(conn.execute("SELECT platform, native_id FROM posts"))
    finally:
        conn.close()
    assert posts == sorted([("bluesky", X.bsky_id(X.BSKY_TEXT)), ("mastodon", X.masto_id(X.M_PHOTO))])


def test_a_handle_that_does_not_resolve_is_one_line(world: World, settings: Settings) -> None:
    url = f"https://bsky.app/profile/nobody.example/post/{RKEY}"
    summary = archive([url], settings)
    assert summary.errors == [f"{url}: Bluesky handle @nobody.example does not resolve (Unable to resolve handle)"]

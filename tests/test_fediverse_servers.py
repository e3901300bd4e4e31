"""Posts from ActivityPub servers other than Mastodon (field guide §2.2): Pleroma/Akkoma
(``/notice/<id>``, ``/objects/<uuid>``; the Mastodon API) and Misskey (``/notes/<id>``;
its own ``POST /api/notes/show``), each recognised by its shape and confirmed through the
host's own API before a bare link counts as a post."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms.base import PostFetch
from archiver.platforms.mastodon import api as masto_api
from archiver.platforms.mastodon import ids
from archiver.plumbing.blobs import BlobStore
from archiver.plumbing.net import Fetcher
from archiver.steps.find import find_embeds
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import social_sample as X
from tests.fakeplatform.mastodon import MastoAccount, MastoInstance, MastoMedia, MastoStatus, object_uuid
from tests.fakeplatform.misskey import MkNote
from tests.fakeplatform.pages import article_page, para
from tests.fakeplatform.world import Page

PLEROMA = "pleroma.example"
MISSKEY = "misskey.example"
FLAKE = "AbCdEfGhIjKlMnOpQr"
FLAKE_2 = "AbCdEfGhIjKlMnOpQs"
NOTE = "9x8y7z6w5v"
NOTE_COPY = "9x8y7z6w5a"
NOTE_GONE = "9x8y7z6w5b"
ARTICLE = f"{X.NEWS}/2026/03/fediverse-servers"


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def post(settings: Settings, native_id: str) -> dict[str, object]:
    found = rows(settings, "SELECT * FROM posts WHERE platform = 'mastodon' AND native_id = ?", native_id)
    assert found, f"{native_id} not archived"
    return found[0]


@pytest.fixture
def world(fake_platform: FakePlatform, fake_world: World) -> World:
    fake_platform.world = world = X.sample_world()
    m = world.mastodon
    m.add_instance(MastoInstance(PLEROMA, "2.6.2", software="pleroma"))
    m.add_account(MastoAccount(PLEROMA, "lain", "Lain", id="AAAAAAAAAAAAAAAAAA"))
    m.add_status(MastoStatus(PLEROMA, FLAKE, "lain", "<p>The levee held.</p>", "2026-03-01T11:00:00.000Z",
                             media=[MastoMedia("image", "8001", "Levee", 800, 600)]))
    m.add_status(MastoStatus(PLEROMA, FLAKE_2, "lain", "<p>Photos later.</p>", "2026-03-01T11:05:00.000Z"))
    mk = world.misskey
    mk.add_note(MkNote(MISSKEY, NOTE, "kei", "Sandbags at the school", "2026-03-01T12:00:00.000Z",
                       images=[("Sandbags", 640, 480)]))
    mk.add_note(MkNote(MISSKEY, NOTE_COPY, "Carla", "Update: the ferry runs again.", "2026-03-01T15:00:00.000Z",
                       user_host="mastodon.social", uri=X.M_TEXT.uri))
    mk.add_note(MkNote(MISSKEY, NOTE_GONE, "kei", "Deleted", "2026-03-01T06:00:00.000Z", deleted=True))
    links = [
        f"https://{PLEROMA}/notice/{FLAKE}",
        f"https://{PLEROMA}/objects/{object_uuid(m.statuses[(PLEROMA, FLAKE_2)])}",
        f"https://{MISSKEY}/notes/{NOTE}",
        f"https://{MISSKEY}/notes/{NOTE_COPY}",
        f"https://{MISSKEY}/notes/{NOTE_GONE}",
        f"{X.NEWS}/notes/9x8y7z6w5c",  # shaped like a note, on a host that is no Misskey
        f"{X.NEWS}/notice/AbCdEfGhIjKlMnOpQt",  # shaped like a notice, on a host that is no Pleroma
    ]
    blocks = [para("Posts from other servers.")] + [f'<p><a href="{u}">{n}</a></p>' for n, u in enumerate(links)]
    world.add_page(ARTICLE, Page.html(article_page("Fediverse servers", blocks)))
    return world


def test_their_links_are_found_as_posts_to_confirm() -> None:
    html = (f'<a href="https://{PLEROMA}/notice/{FLAKE}">a</a> <a href="https://{PLEROMA}/notice/privacy">b</a>'
            f'<a href="https://{PLEROMA}/objects/0f8fad5b-d9cb-469f-a165-70867728950e">c</a>'
            f'<a href="https://{MISSKEY}/notes/{NOTE}">d</a> <a href="https://{MISSKEY}/notes/about">e</a>')
    found = [(e.link, e.native_id, e.tentative) for e in find_embeds(html, "text/html", "https://news.example/a")
             if e.platform == "mastodon"]
    assert found == [
        (f"https://{PLEROMA}/notice/{FLAKE}", None, True),
        (f"https://{PLEROMA}/objects/0f8fad5b-d9cb-469f-a165-70867728950e", None, True),
        (f"https://{MISSKEY}/notes/{NOTE}", None, True),
    ]
    text = f"See https://{MISSKEY}/notes/{NOTE} and https://{PLEROMA}/notice/{FLAKE}."
    assert [e.link for e in find_embeds(text, "text/plain", "https://news.example/a")] == [
        f"https://{MISSKEY}/notes/{NOTE}", f"https://{PLEROMA}/notice/{FLAKE}"]
    assert ids.status_url(f"{PLEROMA}/@lain/{FLAKE}") == f"https://{PLEROMA}/notice/{FLAKE}"
    assert ids.status_url(f"{MISSKEY}/notes/{NOTE}") == f"https://{MISSKEY}/notes/{NOTE}"


def test_an_article_citing_pleroma_and_misskey_posts(settings: Settings, world: World, fake_platform: FakePlatform) -> None:
    summary = archive([ARTICLE], settings)
    # The one line: a note its host no longer shows, whose fate Misskey's answer cannot tell.
    assert summary.errors == [f"post https://{MISSKEY}/notes/{NOTE_GONE}: status unknown after retries (note 400)"]
    cited = {r["native_id"]: r for r in rows(
        settings, "SELECT p.*, ap.link FROM article_posts ap JOIN posts p ON p.id = ap.post_id")}
    # Pleroma: asked through the Mastodon API; named by host, author and id; its page is /notice/<id>.
    notice = cited[f"{PLEROMA}/@lain/{FLAKE}"]
    assert (notice["status"], notice["url"], notice["text"]) == ("live", f"https://{PLEROMA}/notice/{FLAKE}", "The levee held.")
    assert notice["author_handle"] == f"lain@{PLEROMA}"
    photo = rows(settings, "SELECT * FROM captures WHERE post_id = ? AND kind = 'photo'", notice["id"])
    assert len(photo) == 1 and photo[0]["source_url"] == f"https://{PLEROMA}/system/media_attachments/files/8001/original/8001.jpg"
    # /objects/<uuid> led to its notice.
    assert cited[f"{PLEROMA}/@lain/{FLAKE_2}"]["text"] == "Photos later."
    # Misskey: asked through its own API.
    note = cited[f"{MISSKEY}/notes/{NOTE}"]
    assert (note["status"], note["url"], note["text"], note["author_handle"]) == (
        "live", f"https://{MISSKEY}/notes/{NOTE}", "Sandbags at the school", f"kei@{MISSKEY}")
    data = rows(settings, "SELECT source, source_url FROM captures WHERE post_id = ? AND kind = 'data'", note["id"])
    assert data == [{"source": "note", "source_url": f"https://{MISSKEY}/api/notes/show"}]
    assert len(rows(settings, "SELECT id FROM captures WHERE post_id = ? AND kind = 'photo'", note["id"])) == 1
    # A Misskey copy of a Mastodon post is the Mastodon post, on its origin.
    assert cited[X.masto_id(X.M_TEXT)]["link"] == f"https://{MISSKEY}/notes/{NOTE_COPY}"
    # A note Misskey no longer shows: recorded with Misskey's answer, never called deleted on it.
    gone = cited[f"{MISSKEY}/notes/{NOTE_GONE}"]
    assert gone["status"] == "unknown"
    signals = json.loads(str(rows(settings, "SELECT signals FROM status_checks WHERE post_id = ?", gone["id"])[0]["signals"]))
    assert signals["note"] == {"status": 400, "says": "gone"}
    # Links only shaped like theirs, on hosts that are neither, are no posts (and no errors).
    assert not [r for r in cited.values() if X.NEWS.split("//")[1] in str(r["native_id"])]
    posts = {r["native_id"] for r in rows(settings, "SELECT native_id FROM posts")}
    assert len(cited) == 5 and not [n for n in posts if "example-news" in str(n)]
    # The Misskey API was asked by POST, as the guide says.
    asked = [r for r in fake_platform.requests if r["url"] == f"https://{MISSKEY}/api/notes/show"]
    assert asked and {r["method"] for r in asked} == {"POST"}


def fetch(settings: Settings, native_id: str) -> PostFetch:
    async def go() -> PostFetch:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as f:
            return await masto_api.fetch_post(f, native_id, {})

    return asyncio.run(go())


def test_a_pleroma_post_deleted_while_its_author_answers_is_deleted(settings: Settings, world: World) -> None:
    world.mastodon.statuses[(PLEROMA, FLAKE)].deleted = True
    fetched = fetch(settings, f"{PLEROMA}/@lain/{FLAKE}")
    assert fetched.status == "deleted" and fetched.deleted_if_seen_live
    assert {s: v["says"] for s, v in fetched.signals.items()} == {"status": "gone", "account": "live", "profile": "live"}
    world.mastodon.accounts[(PLEROMA, "lain")].status = "suspended"
    assert fetch(settings, f"{PLEROMA}/@lain/{FLAKE}").status == "unavailable"

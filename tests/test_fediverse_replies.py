"""Replies: the post a Bluesky or Mastodon post replies to is kept as a field of the post
(``posts.reply_to_post_id``), archived too like a quoted post, chained in the log, and
linked from the reply's page. Posts that point at each other (records are written by
their authors) do not make a run wait on itself."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.pipeline import Summary, archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import social_sample as X
from tests.fakeplatform.bluesky import BskyPost, tid, web_url
from tests.fakeplatform.mastodon import MastoStatus


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def post(settings: Settings, platform: str, native_id: str) -> dict[str, object]:
    found = rows(settings, "SELECT * FROM posts WHERE platform = ? AND native_id = ?", platform, native_id)
    assert found, f"{platform}:{native_id} not archived"
    return found[0]


def archive_within(targets: list[str], settings: Settings, seconds: float = 60.0) -> Summary:
    """archive(), failing the test (not hanging it) if the run does not end in time."""
    done: list[Summary] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(archive(targets, settings))
        except BaseException as e:  # noqa: BLE001 - handed to the test
            failed.append(e)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"the run did not end within {seconds:g} s"
    if failed:
        raise failed[0]
    return done[0]


@pytest.fixture
def world(fake_platform: FakePlatform, fake_world: World) -> World:
    fake_platform.world = world = X.sample_world()
    return world


B_REPLY = BskyPost(X.BEN.did, tid("reply"), "Is the mill road closed too?", "2026-03-01T12:30:00.000Z",
                   reply_to=(X.ANA.did, X.BSKY_TEXT.rkey), reply_root=(X.ANA.did, X.BSKY_PHOTOS.rkey))


def test_a_bluesky_reply_names_and_archives_the_post_it_answers(settings: Settings, world: World) -> None:
    reply = world.bluesky.add_post(BskyPost(**vars(B_REPLY)))
    summary = archive([web_url(reply)], settings)
    assert summary.ok, summary.errors
    row = post(settings, "bluesky", X.bsky_id(reply))
    parent = post(settings, "bluesky", X.bsky_id(X.BSKY_TEXT))
    assert row["reply_to_post_id"] == parent["id"]
    assert (parent["status"], parent["text"], parent["capture_complete"]) == ("live", X.BSKY_TEXT.text, 1)
    assert rows(settings, "SELECT count(*) AS n FROM captures WHERE post_id = ? AND kind = 'screenshot'", parent["id"])[0]["n"] == 1
    # The thread's root is named in the record (kept as its data capture), not archived.
    assert not rows(settings, "SELECT id FROM posts WHERE native_id = ?", X.bsky_id(X.BSKY_PHOTOS))
    # The field is a fact a reader is shown: the reply's log entry hashes it.
    entry = rows(settings, "SELECT kind FROM log WHERE ref_table = 'posts' AND ref_id = ? ORDER BY seq DESC LIMIT 1",
                 row["id"])[0]
    assert entry["kind"] == "post_v2"
    from archiver.api import verify

    assert verify(settings).ok
    # Changing it behind archiver's back is caught.
    conn = sqlite3.connect(settings.db_path)
    conn.execute("UPDATE posts SET reply_to_post_id = NULL WHERE id = ?", (row["id"],))
    conn.commit()
    conn.close()
    report = verify(settings)
    assert not report.ok and any(p.kind == "row_changed" and f"posts row {row['id']}" in p.where for p in report.problems)


def test_a_mastodon_reply_names_its_parent_on_its_origin_whichever_instance_it_lives_on(
    settings: Settings, world: World
) -> None:
    m = world.mastodon
    # A thread on fosstodon.org: the parent is the author's own, local post.
    thread = m.add_status(MastoStatus("fosstodon.org", "113000000000000020", "dev", "<p>And the water keeps rising</p>",
                                      "2026-03-01T10:00:00.000Z", reply_to=("fosstodon.org", X.M_VIDEO.id)))
    # A reply from fosstodon.org to a mastodon.social post: fosstodon knows it by a copy's id.
    m.instances["fosstodon.org"].copies["113000000000000777"] = ("mastodon.social", X.M_TEXT.id)
    across = m.add_status(MastoStatus("fosstodon.org", "113000000000000021", "dev", "<p>Good to hear</p>",
                                      "2026-03-01T16:00:00.000Z", reply_to=("mastodon.social", X.M_TEXT.id)))
    summary = archive([thread.url, across.url], settings)
    assert summary.ok, summary.errors
    assert post(settings, "mastodon", X.masto_id(thread))["reply_to_post_id"] == post(
        settings, "mastodon", X.masto_id(X.M_VIDEO))["id"]
    parent = post(settings, "mastodon", X.masto_id(X.M_TEXT))
    assert parent["url"] == "https://mastodon.social/@Carla/113000000000000003" and parent["status"] == "live"
    reply = post(settings, "mastodon", X.masto_id(across))
    assert reply["reply_to_post_id"] == parent["id"]
    # The copy's answer that named the origin is kept, and said what it told.
    data = rows(settings, "SELECT source, source_url FROM captures WHERE post_id = ? AND kind = 'data'", reply["id"])
    assert ("parent", "https://fosstodon.org/api/v1/statuses/113000000000000777") in [(d["source"], d["source_url"]) for d in data]
    signals = json.loads(str(rows(settings, "SELECT signals FROM status_checks WHERE post_id = ?", reply["id"])[-1]["signals"]))
    assert signals["parent"]["says"] == f"replies to {X.masto_id(X.M_TEXT)}"
    assert reply["status"] == "live"


def test_posts_that_point_at_each_other_do_not_make_the_run_wait_on_itself(settings: Settings, world: World) -> None:
    b = world.bluesky
    # Records are written by their authors: two may quote, or answer, each other.
    first, second = tid("loop-1"), tid("loop-2")
    b.add_post(BskyPost(X.ANA.did, first, "Quoting the next one", "2026-03-02T08:00:00.000Z", quote=(X.BEN.did, second)))
    b.add_post(BskyPost(X.BEN.did, second, "Quoting the first one", "2026-03-02T08:01:00.000Z", quote=(X.ANA.did, first)))
    third, fourth = tid("loop-3"), tid("loop-4")
    b.add_post(BskyPost(X.ANA.did, third, "Answering the next one", "2026-03-02T09:00:00.000Z", reply_to=(X.BEN.did, fourth)))
    b.add_post(BskyPost(X.BEN.did, fourth, "Answering the first one", "2026-03-02T09:01:00.000Z", reply_to=(X.ANA.did, third)))
    itself = tid("loop-5")
    b.add_post(BskyPost(X.ANA.did, itself, "Answering myself", "2026-03-02T10:00:00.000Z", reply_to=(X.ANA.did, itself)))
    targets = [f"https://bsky.app/profile/{did}/post/{rkey}" for did, rkey in
               [(X.ANA.did, first), (X.ANA.did, third), (X.ANA.did, itself)]]
    summary = archive_within(targets, settings)
    assert summary.ok, summary.errors
    one, two = post(settings, "bluesky", f"{X.ANA.did}/{first}"), post(settings, "bluesky", f"{X.BEN.did}/{second}")
    assert one["quoted_post_id"] == two["id"]
    three, four = post(settings, "bluesky", f"{X.ANA.did}/{third}"), post(settings, "bluesky", f"{X.BEN.did}/{fourth}")
    assert three["reply_to_post_id"] == four["id"]
    assert post(settings, "bluesky", f"{X.ANA.did}/{itself}")["reply_to_post_id"] is None


def test_the_reply_page_links_the_post_it_answers(settings: Settings, world: World, tmp_path: Path) -> None:
    import os
    import socket
    import subprocess
    import sys
    import time

    import httpx

    reply = world.bluesky.add_post(BskyPost(**vars(B_REPLY)))
    assert archive([web_url(reply)], settings).ok
    row = post(settings, "bluesky", X.bsky_id(reply))
    parent = post(settings, "bluesky", X.bsky_id(X.BSKY_TEXT))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    server = subprocess.Popen([sys.executable, "-m", "archiver.cli", "--data", str(settings.data_dir), "serve",
                               "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(trust_env=False, timeout=20) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    page = client.get(f"http://127.0.0.1:{port}/archive/posts/{row['id']}")
                    if page.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline and server.poll() is None, "archiver serve did not start"
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(10)
    assert f'Replies to <a href="/archive/posts/{parent["id"]}">@{X.ANA.handle}: {X.BSKY_TEXT.text}</a>' in page.text

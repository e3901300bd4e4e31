"""Bluesky and Mastodon verdicts from their public answers, against the fake platform:
``deleted`` only when the answers leave no explanation but the post's removal; account-level
answers ``unavailable``; rate limits, failures, login walls and mismatched answers
``unknown``, overturning nothing. Every answer is kept and every signal recorded."""

from __future__ import annotations

import json
import sqlite3

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms.base import SourceAnswer
from archiver.platforms.bluesky import api as bsky_api
from archiver.platforms.mastodon import api as masto_api
from archiver.plumbing.net import Response
from archiver.sweeper import sweep
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import social_sample as X

pytestmark = pytest.mark.usefixtures("fake_world")


@pytest.fixture
def world(fake_platform: FakePlatform) -> World:
    world = fake_platform.world
    X.add_to(world)
    return world


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return list(conn.execute(sql, params))
    finally:
        conn.close()


def status_of(settings: Settings, platform: str, native_id: str) -> tuple[str, dict[str, dict[str, object]]]:
    (row,) = rows(settings, "SELECT * FROM posts WHERE platform = ? AND native_id = ?", platform, native_id)
    (check,) = rows(settings, "SELECT signals FROM status_checks WHERE post_id = ? ORDER BY id DESC LIMIT 1", row["id"])
    return row["status"], json.loads(check["signals"])


def test_every_state_of_an_article_citing_them(world: World, settings: Settings) -> None:
    summary = archive([X.STATES_ARTICLE], settings)
    expected = {
        ("bluesky", X.bsky_id(X.BSKY_DELETED)): ("deleted", {"thread": "gone", "profile": "live"}),
        ("bluesky", X.bsky_id(X.BSKY_TAKEN)): ("unavailable", {"thread": "gone", "profile": "taken-down"}),
        ("bluesky", X.bsky_id(X.BSKY_DEACT)): ("unavailable", {"thread": "gone", "profile": "deactivated"}),
        # The author asked that logged-out visitors not see it: still live, and said so.
        ("bluesky", X.bsky_id(X.BSKY_SHY)): ("live", {"thread": "live (the author asked that logged-out visitors not see it)"}),
        # Never seen public: a 404 cannot tell a deleted post from a private one.
        ("mastodon", X.masto_id(X.M_DELETED)): ("unavailable", {"status": "gone", "account": "live", "profile": "live"}),
        ("mastodon", X.masto_id(X.M_PRIVATE)): ("unavailable", {"status": "gone", "account": "live", "profile": "live"}),
        ("mastodon", X.masto_id(X.M_SUSP)): ("unavailable", {"status": "gone", "account": "suspended", "profile": "suspended"}),
        ("mastodon", X.masto_id(X.M_TEMP)): ("unavailable", {"status": "gone", "account": "suspended", "profile": "suspended"}),
        ("mastodon", X.masto_id(X.M_GONE)): ("unavailable", {"status": "gone", "account": "gone", "profile": "gone"}),
        # An instance that demands login for every read: it cannot tell.
        ("mastodon", X.masto_id(X.M_LOCKED)): ("unknown", {"status": "login-required"}),
    }
    for (platform, native_id), (status, says) in expected.items():
        found, signals = status_of(settings, platform, native_id)
        assert found == status, (platform, native_id, signals)
        assert {source: signals[source]["says"] for source in says} == says, (native_id, signals)
    # Only the unknown one is an error of the run, in one line.
    assert len(summary.errors) == 1 and "locked.example" in summary.errors[0] and "unknown" in summary.errors[0]


@pytest.mark.parametrize("fault", ["429", "503", "reset"])
def test_bluesky_failures_are_unknown_and_overturn_nothing(world: World, fake_platform: FakePlatform,
                                                         settings: Settings, fault: str) -> None:
    native_id = X.bsky_id(X.BSKY_TEXT)
    url = f"https://bsky.app/profile/{X.ANA.did}/post/{X.BSKY_TEXT.rkey}"
    assert archive([url], settings).ok
    world.faults[("public.api.bsky.app", "getPostThread")] = fault
    sweep(settings, everything=True, workers=1)
    status, signals = status_of(settings, "bluesky", native_id)
    assert status == "live"
    assert signals["thread"]["says"] == "no-answer"
    (last,) = rows(settings, "SELECT status FROM status_checks ORDER BY id DESC LIMIT 1")
    assert last["status"] == "unknown"


def test_bluesky_not_found_with_the_profile_failing_is_unknown(world: World, settings: Settings) -> None:
    world.faults[("public.api.bsky.app", "getProfile")] = "500"
    archive([f"https://bsky.app/profile/{X.ANA.did}/post/{X.BSKY_DELETED.rkey}"], settings)
    status, signals = status_of(settings, "bluesky", X.bsky_id(X.BSKY_DELETED))
    assert (status, signals["thread"]["says"], signals["profile"]["says"]) == ("unknown", "gone", "no-answer")


def test_bluesky_rate_limited_is_unknown(world: World, settings: Settings) -> None:
    world.bluesky.rate_limited = True
    summary = archive([f"https://bsky.app/profile/{X.ANA.did}/post/{X.BSKY_TEXT.rkey}"], settings)
    status, signals = status_of(settings, "bluesky", X.bsky_id(X.BSKY_TEXT))
    assert (status, signals["thread"]["status"]) == ("unknown", 429)
    assert "status unknown" in summary.errors[0]


def test_mastodon_not_found_with_the_account_failing_is_unknown(world: World, settings: Settings) -> None:
    world.faults[("mastodon.social", "/api/v1/accounts/lookup")] = "503"
    archive([X.M_DELETED.url], settings)
    status, signals = status_of(settings, "mastodon", X.masto_id(X.M_DELETED))
    assert (status, signals["status"]["says"], signals["account"]["says"]) == ("unknown", "gone", "no-answer")


def test_mastodon_rate_limited_and_failing_instances_are_unknown(world: World, settings: Settings) -> None:
    assert archive([X.M_TEXT.url], settings).ok
    instance = world.mastodon.instances["mastodon.social"]
    for change in ("failing", "rate_limited"):  # a rate limit holds the host for the next run: last
        setattr(instance, change, True)
        sweep(settings, everything=True, workers=1)
        setattr(instance, change, False)
        status, signals = status_of(settings, "mastodon", X.masto_id(X.M_TEXT))
        assert (status, signals["status"]["says"]) == ("live", "no-answer"), change
        assert signals["status"]["status"] in (429, 503)


def _answer(source: str, status: int, body: object, content_type: str = "application/json") -> SourceAnswer:
    import httpx

    raw = json.dumps(body).encode()
    return SourceAnswer(source, "https://x/", Response("https://x/", status, httpx.Headers({"content-type": content_type}), raw, None))


def test_answers_about_another_post_are_a_mismatch() -> None:
    uri = f"at://{X.ANA.did}/app.bsky.feed.post/{X.BSKY_TEXT.rkey}"
    other = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost",
                        "post": {"uri": uri.replace(X.BSKY_TEXT.rkey, X.BSKY_PHOTOS.rkey), "record": {}}}}
    assert bsky_api.thread_says(_answer("thread", 200, other), uri) == "mismatch"
    assert bsky_api.verdict("mismatch", None) == "unknown"
    assert masto_api.status_says(_answer("status", 200, {"id": "2", "account": {}}), "1") == "mismatch"
    assert masto_api.verdict("mismatch", None, None) == "unknown"
    # HTML where JSON belongs is no answer, whatever its status.
    assert masto_api.status_says(_answer("status", 404, "<html>", "text/html"), "1") == "no-answer"
    assert bsky_api.thread_says(_answer("thread", 400, {"error": "NotFound"}, "text/html"), uri) == "no-answer"


def test_a_mastodon_post_seen_public_then_gone_is_deleted(world: World, settings: Settings) -> None:
    assert archive([X.M_TEXT.url], settings).ok
    world.mastodon.statuses[("mastodon.social", X.M_TEXT.id)].deleted = True
    sweep(settings, everything=True, workers=1)
    (check,) = rows(settings, "SELECT status, signals FROM status_checks ORDER BY id DESC LIMIT 1")
    assert check["status"] == "deleted"
    assert json.loads(check["signals"])["pending"]["status"] == "deleted"

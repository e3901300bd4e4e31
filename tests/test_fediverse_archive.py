"""Bluesky and Mastodon archived like tweets, end to end: an article embedding tweets,
Bluesky and Mastodon posts together; their data, verdicts, cards and media; a sweep that
sees deletions (confirmed by a second check); history, provenance, verify and WACZ."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from PIL import Image

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.sweeper import sweep
from tests.conftest import assert_files_intact, fake_settings
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform import social_sample as X


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


def captures(settings: Settings, platform: str, native_id: str, kind: str) -> list[dict[str, object]]:
    return rows(
        settings,
        "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.platform = ? AND p.native_id = ? "
        "AND c.kind = ? ORDER BY c.id",
        platform, native_id, kind,
    )


def stored(settings: Settings, capture: dict[str, object]) -> bytes:
    return (settings.data_dir / str(capture["path"])).read_bytes()


@dataclass
class Mixed:
    settings: Settings
    world: World
    summary: object


@pytest.fixture(scope="module")
def mixed(fake_platform: FakePlatform, chromium_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mixed]:
    world = fake_platform.world = X.sample_world()
    fake_platform.latency = 0.0
    settings = fake_settings(fake_platform, tmp_path_factory.mktemp("mixed") / "captures")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(chromium_home))
        summary = archive([X.MIXED_ARTICLE], settings)
        yield Mixed(settings, world, summary)


BSKY_PHOTOS = X.bsky_id(X.BSKY_PHOTOS)
BSKY_VIDEO = X.bsky_id(X.BSKY_VIDEO)
M_PHOTO = X.masto_id(X.M_PHOTO)
M_VIDEO = X.masto_id(X.M_VIDEO)


def test_the_mixed_article_is_archived_completely_in_one_run(mixed: Mixed) -> None:
    assert mixed.summary.ok, mixed.summary.errors  # type: ignore[attr-defined]
    cited = rows(mixed.settings, "SELECT p.platform, p.native_id, ap.form FROM article_posts ap JOIN posts p ON p.id = ap.post_id")
    assert sorted((r["platform"], r["native_id"]) for r in cited) == sorted([
        ("twitter", str(S.JULIACA_DOCTOR_ID)), ("twitter", str(S.JULIACA_MARCH_ID)),
        ("bluesky", BSKY_PHOTOS), ("bluesky", BSKY_VIDEO), ("mastodon", M_PHOTO), ("mastodon", M_VIDEO),
    ])
    for platform, native_id in [("bluesky", BSKY_PHOTOS), ("bluesky", BSKY_VIDEO), ("mastodon", M_PHOTO), ("mastodon", M_VIDEO)]:
        row = post(mixed.settings, platform, native_id)
        assert (row["status"], row["capture_complete"]) == ("live", 1), row
        assert captures(mixed.settings, platform, native_id, "screenshot"), f"{platform} card missing"
        assert captures(mixed.settings, platform, native_id, "data")
    assert_files_intact(mixed.settings)


def test_bluesky_record_data_and_identity(mixed: Mixed) -> None:
    row = post(mixed.settings, "bluesky", BSKY_PHOTOS)
    assert row["url"] == f"https://bsky.app/profile/{X.ANA.did}/post/{X.BSKY_PHOTOS.rkey}"
    assert (row["author_handle"], row["author_name"]) == (X.ANA.handle, X.ANA.display_name)
    assert (row["text"], row["lang"], row["created_at"]) == (X.BSKY_PHOTOS.text, "en", "2026-03-01T08:15:00Z")
    data = captures(mixed.settings, "bluesky", BSKY_PHOTOS, "data")
    assert [c["source"] for c in data] == ["thread", "did"]
    thread = json.loads(stored(mixed.settings, data[0]))
    # The raw answer is kept: facets (links) included.
    assert thread["thread"]["post"]["record"]["facets"][0]["features"][0]["uri"] == "https://www.example-news.com/mill"


def test_bluesky_photos_are_the_pds_originals_byte_for_byte(mixed: Mixed) -> None:
    photos = captures(mixed.settings, "bluesky", BSKY_PHOTOS, "photo")
    assert len(photos) == 2
    for capture, image in zip(photos, X.BSKY_PHOTOS.images, strict=True):
        assert stored(mixed.settings, capture) == image.original()
        assert (capture["width"], capture["height"]) == (image.width, image.height)
        assert "com.atproto.sync.getBlob" in str(capture["source_url"])
        assert X.ANA.pds in str(capture["source_url"])
        assert "substitute" not in json.loads(str(capture["checked_as"]))


def test_bluesky_video_is_the_original_mp4(mixed: Mixed) -> None:
    videos = captures(mixed.settings, "bluesky", BSKY_VIDEO, "video")
    assert len(videos) == 1
    assert stored(mixed.settings, videos[0]) == X.BSKY_VIDEO.video.original()  # type: ignore[union-attr]
    assert (videos[0]["width"], videos[0]["height"]) == (640, 360)
    assert captures(mixed.settings, "bluesky", BSKY_VIDEO, "poster")


def test_mastodon_status_data_and_media(mixed: Mixed) -> None:
    row = post(mixed.settings, "mastodon", M_PHOTO)
    assert row["url"] == "https://mastodon.social/@Carla/113000000000000001"
    assert (row["author_handle"], row["author_name"]) == ("Carla@mastodon.social", "Carla Ferry")
    assert row["text"] == "Ferry cancelled, \nthe river is too high."
    photo = captures(mixed.settings, "mastodon", M_PHOTO, "photo")
    assert [stored(mixed.settings, c) for c in photo] == [X.M_PHOTO.media[0].original()[0]]
    video = captures(mixed.settings, "mastodon", M_VIDEO, "video")
    assert [stored(mixed.settings, c) for c in video] == [X.M_VIDEO.media[0].original()[0]]


def test_cards_are_not_blank(mixed: Mixed) -> None:
    for platform, native_id in [("bluesky", BSKY_PHOTOS), ("bluesky", BSKY_VIDEO), ("mastodon", M_PHOTO), ("mastodon", M_VIDEO)]:
        shot = captures(mixed.settings, platform, native_id, "screenshot")[0]
        with Image.open(io.BytesIO(stored(mixed.settings, shot))) as image:
            low, high = image.convert("L").getextrema()
            assert low != high, f"{platform} card is blank"
            assert 100 < image.width < 1000 and image.height > 40, (platform, image.size)


def test_provenance_links_each_capture_to_the_requests_that_asked_about_the_post(mixed: Mixed) -> None:
    from archiver.api import provenance

    for platform, native_id, marker in [
        ("bluesky", BSKY_PHOTOS, "app.bsky.feed.getPostThread"),
        ("mastodon", M_PHOTO, "/api/v1/statuses/113000000000000001"),
    ]:
        found = provenance(mixed.settings, f"{platform}:{native_id}")
        data = [c for c in found.captures if c["kind"] == "data"]
        assert any(marker in r["url"] and r["gave_this_file"] for c in data for r in c["requests"]), platform
        # Another post's requests are not this one's.
        other = BSKY_VIDEO.rpartition("/")[2] if platform == "bluesky" else "113000000000000002"
        assert not any(other in r["url"] for c in found.captures for r in c["requests"] if not r["gave_this_file"])


def test_history_and_verify_and_wacz(mixed: Mixed, tmp_path: Path) -> None:
    from archiver.api import export, history, verify

    timeline = history(mixed.settings, "https://mastodon.social/@Carla/113000000000000001")
    assert timeline.post["native_id"] == M_PHOTO
    assert any(e.what == "check: live" for e in timeline.entries)
    assert history(mixed.settings, f"bluesky:{BSKY_PHOTOS}").post["platform"] == "bluesky"
    report = verify(mixed.settings)
    assert report.ok, report.lines()
    out = tmp_path / "mixed.wacz"
    export(mixed.settings, out, article=X.MIXED_ARTICLE)
    import zipfile

    with zipfile.ZipFile(out) as wacz:
        index = "\n".join(
            wacz.read(name).decode() for name in wacz.namelist() if name.startswith("indexes/")
        )
    # The card pages of both platforms are in the export.
    assert "embed.bsky.app/embed/" in index or "app,bsky,embed)/embed" in index
    assert "/@carla/113000000000000001/embed" in index.lower()


def test_a_sweep_sees_deletions_confirmed_an_hour_later(fake_platform: FakePlatform, chromium_home: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from archiver.api import deleted, history

    monkeypatch.setenv("HOME", str(chromium_home))
    world = fake_platform.world = X.sample_world()
    settings = fake_settings(fake_platform, tmp_path / "captures")
    assert archive([X.MIXED_ARTICLE], settings).ok
    world.bluesky.posts[(X.BSKY_PHOTOS.did, X.BSKY_PHOTOS.rkey)].status = "deleted"
    world.mastodon.statuses[("mastodon.social", X.M_PHOTO.id)].deleted = True

    # The platforms' caches lag: the first check that sees them gone only marks the change pending.
    first = sweep(settings, everything=True, workers=1)
    assert first.statuses["deleted"] == 2 and not first.events, first.events
    for platform, native_id in [("bluesky", BSKY_PHOTOS), ("mastodon", M_PHOTO)]:
        row = post(settings, platform, native_id)
        assert row["status"] == "live"
        # scheduled for the confirming check, an hour on
        assert str(row["next_check_at"]) > str(row["last_checked_at"])
        entries = history(settings, f"{platform}:{native_id}").entries
        assert any("change pending: deleted" in e.what for e in entries), [e.what for e in entries]
    assert deleted(settings, "1d").posts == []

    # A second check an hour later confirms them (the hour made short by the user's setting).
    quick = replace(settings, confirm_loss="1s")
    deadline = time.monotonic() + 10
    while True:
        second = sweep(quick, everything=True, workers=1)
        if second.events or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert sorted(str(e["kind"]) for e in second.events) == ["deleted", "deleted"]
    for platform, native_id in [("bluesky", BSKY_PHOTOS), ("mastodon", M_PHOTO)]:
        assert post(settings, platform, native_id)["status"] == "deleted"
    assert {p.native_id for p in deleted(settings, "1d").posts} == {BSKY_PHOTOS, M_PHOTO}

    # A restore needs no confirmation.
    world.bluesky.posts[(X.BSKY_PHOTOS.did, X.BSKY_PHOTOS.rkey)].status = "live"
    third = sweep(settings, everything=True, workers=1)
    assert [str(e["kind"]) for e in third.events] == ["restored"]
    assert post(settings, "bluesky", BSKY_PHOTOS)["status"] == "live"
    assert verify_ok(settings)


def verify_ok(settings: Settings) -> bool:
    from archiver.api import verify

    report = verify(settings)
    assert report.ok, report.lines()
    return True

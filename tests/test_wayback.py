"""Independent copies (issue 16, opt-in): Save Page Now for each post archived, the nearest
existing copy of a post already gone, against a fake of those endpoints; failures are
warnings. And sweeps stamp the log too."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import archiver
from archiver.config import Settings
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.tsa import FakeTsa
from tests.fakeplatform.wayback import FakeWayback

LIVE = f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"
GONE = f"https://x.com/AndesObserver/status/{S.DELETED_ID}"


@pytest.fixture
def wayback(fake_platform: FakePlatform, fake_world: World) -> Iterator[FakeWayback]:
    fake = FakeWayback()
    fake.install(fake_platform)
    yield fake
    FakeWayback.uninstall(fake_platform)


def rows(settings: Settings) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT w.*, p.native_id FROM wayback w JOIN posts p ON p.id = w.post_id ORDER BY w.id").fetchall()
    finally:
        conn.close()


def test_live_post_saved_and_gone_post_pointed_at_its_nearest_copy(settings: Settings, wayback: FakeWayback) -> None:
    on = replace(settings, wayback=True)
    post_url = f"https://x.com/AndesObserver/status/{S.DELETED_ID}"
    wayback.copies[post_url] = "20230110201500"
    summary = archiver.archive([LIVE, GONE], on)
    assert summary.ok and not summary.warnings, (summary.errors, summary.warnings)
    saved, nearest = sorted(rows(on), key=lambda r: r["kind"] != "saved")
    assert saved["kind"] == "saved" and saved["native_id"] == str(S.JULIACA_DOCTOR_ID)
    assert wayback.saved == [saved["url"].split("/", 5)[5]]
    assert saved["url"].startswith("https://web.archive.org/web/") and saved["snapshot_at"]
    assert nearest["kind"] == "nearest" and nearest["url"] == f"http://web.archive.org/web/20230110201500/{post_url}"
    assert nearest["snapshot_at"] == "2023-01-10T20:15:00Z"
    # through archiver's client: recorded like every exchange; chained like every fact
    assert archiver.verify(on).ok
    history = archiver.history(on, GONE)
    assert any(e.what == "wayback: nearest" and e.detail == nearest["url"] for e in history.entries)
    # asked once per post: a second run asks nothing
    again = archiver.archive([LIVE], replace(on, wayback=True), recapture=True)
    assert again.ok and len(wayback.saved) == 1


def test_wayback_failures_are_warnings(settings: Settings, wayback: FakeWayback) -> None:
    wayback.refuse = True
    summary = archiver.archive([LIVE, GONE], replace(settings, wayback=True))
    assert summary.ok, summary.errors
    assert len(summary.warnings) == 2, summary.warnings
    assert any("Save Page Now refused" in w and str(S.JULIACA_DOCTOR_ID) in w for w in summary.warnings)
    assert any("no Wayback copy" in w and str(S.DELETED_ID) in w for w in summary.warnings)
    assert rows(settings) == []


def test_off_by_default(settings: Settings, wayback: FakeWayback) -> None:
    assert archiver.archive([LIVE], settings).ok
    assert wayback.saved == [] and rows(settings) == []


def test_sweep_stamps_its_checks(settings: Settings, fake_platform: FakePlatform, fake_world: World, tmp_path: Path) -> None:
    tsa = FakeTsa(tmp_path / "tsa")
    fake_platform.services[tsa.host] = tsa
    try:
        assert archiver.archive([GONE], settings).ok  # no TSA yet
        configured = replace(settings, tsas=(tsa.config("fake-tsa"),))
        summary = archiver.sweep(configured, everything=True)
        assert summary.ok and len(summary.stamps) == 1, (summary.errors, summary.warnings)
        report = archiver.verify(configured)
        assert report.ok and report.not_yet_stamped is None
        assert sum(len(g["status_checks"]) for g in report.trusted) == 2  # type: ignore[arg-type, misc]
    finally:
        fake_platform.services.pop(tsa.host, None)

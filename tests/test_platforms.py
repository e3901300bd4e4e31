"""The platform registry and the settings a user has for platforms: entry points, endpoints."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.errors import ConfigError
from archiver.pipeline import archive
from archiver.platforms import endpoints_for, platform_named, platforms, post_ref
from archiver.platforms.base import PostRef
from tests.fakeplatform import FakePlatform
from tests.fakeplatform import sample as S


def test_the_built_in_platforms_are_registered_as_entry_points() -> None:
    from importlib.metadata import entry_points

    registered = {ep.name: ep.value for ep in entry_points(group="archiver.platforms")}
    for name in ("twitter", "bluesky", "mastodon", "youtube", "tiktok"):
        assert registered[name] == f"archiver.platforms.{name}:PLATFORM"
    twitter = platform_named("twitter")
    assert twitter is not None and twitter in platforms()
    assert {p.name for p in platforms()} >= {"bluesky", "mastodon", "twitter", "youtube", "tiktok"}
    assert post_ref("https://x.com/KawsachunNews/status/1612558357623734272") == PostRef("twitter", "1612558357623734272")
    assert post_ref("https://www.example-news.com/2023/01/juliaca") is None


def test_endpoints_from_the_environment() -> None:
    settings = Settings.from_env({"ARCHIVER_ENDPOINTS": "twitter.embed=https://m.example/e, twitter.oembed=https://m.example/o"})
    assert settings.endpoints == {"twitter": {"embed": "https://m.example/e", "oembed": "https://m.example/o"}}
    twitter = platform_named("twitter")
    assert twitter is not None
    merged = endpoints_for(twitter, settings)
    assert merged["embed"] == "https://m.example/e" and merged["syndication"] == twitter.endpoints["syndication"]
    with pytest.raises(ConfigError, match="not platform.endpoint"):
        Settings.from_env({"ARCHIVER_ENDPOINTS": "twitter.embed=file:///etc/passwd"})
    with pytest.raises(ConfigError, match="unknown twitter endpoint 'embedd'"):
        endpoints_for(twitter, Settings(endpoints={"twitter": {"embedd": "https://m.example/e"}}))


def test_an_endpoint_pointed_elsewhere_is_asked(settings: Settings, fake_platform: FakePlatform) -> None:
    # A deleted post: syndication says 404, so oEmbed is asked, at the user's endpoint.
    moved = replace(settings, endpoints={"twitter": {"oembed": "https://publish.x.com/oembed"}})
    summary = archive([f"https://x.com/AndesObserver/status/{S.DELETED_ID}"], moved)
    assert summary.ok and summary.statuses == {"deleted": 1}
    assert fake_platform.requests_to("publish.x.com") and not fake_platform.requests_to("publish.twitter.com")


def test_a_platform_package_that_cannot_load_is_a_one_line_error(tmp_path: Path) -> None:
    site = tmp_path / "site"
    info = site / "broken_platform-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-platform\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[archiver.platforms]\nbroken = no_such_module_here:PLATFORM\n")
    result = subprocess.run(
        [sys.executable, "-m", "archiver.cli", "--data", str(tmp_path / "captures"), "archive", "https://x.com/a/status/1"],
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: platform 'broken' (no_such_module_here:PLATFORM) could not be loaded: "
        "ModuleNotFoundError: No module named 'no_such_module_here'"
    ]


def test_video_platforms_say_why_a_video_is_unavailable() -> None:
    """Browsing asks every installed platform for its words: the video platforms have them."""
    youtube, tiktok = platform_named("youtube"), platform_named("tiktok")
    assert youtube is not None and tiktok is not None
    assert youtube.unavailable_reason({"watch_page": {"status": 200, "says": "private"}}) == "the video is private"
    assert tiktok.unavailable_reason({"page": {"status": 200, "says": "private-account"}}) == "the account is private"
    assert youtube.unavailable_reason({"watch_page": {"status": 200, "says": "live"}}) is None
    assert {"watch_page", "oembed"} <= set(youtube.sources) and {"page", "oembed"} <= set(tiktok.sources)

"""Politeness across runs: a host that said when it may be asked again is not asked before,
by this run or the next (a cron sweep must not spend, run after run, what a platform allows
per hour). The refusal is one line and a verdict of ``unknown``, never a deletion."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.plumbing.hostlimits import FILE, MAX_WAIT, reset_at
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import social_sample as X

pytestmark = pytest.mark.usefixtures("fake_world")
NOW = 1_800_000_000.0


def headers(**values: str) -> httpx.Headers:
    return httpx.Headers({k.replace("_", "-"): v for k, v in values.items()})


def test_reset_times_from_every_header_platforms_send() -> None:
    assert reset_at(429, headers(retry_after="120"), NOW) == NOW + 120
    # Mastodon: an ISO 8601 time
    assert reset_at(429, headers(x_ratelimit_reset="2027-01-15T08:05:00.000Z"), NOW) == 1800000300.0
    # the IETF draft (Bluesky): seconds from now, or epoch seconds
    assert reset_at(429, headers(ratelimit_reset="300"), NOW) == NOW + 300
    assert reset_at(429, headers(ratelimit_reset=str(int(NOW) + 60)), NOW) == NOW + 60
    # a limit spent before any refusal says so too
    assert reset_at(200, headers(x_ratelimit_remaining="0", x_ratelimit_reset="2027-01-15T08:05:00.000Z"), NOW) == 1800000300.0
    # not spent, no time, or a time not to be believed: nothing held
    assert reset_at(200, headers(x_ratelimit_remaining="12", x_ratelimit_reset="2027-01-15T08:05:00Z"), NOW) is None
    assert reset_at(429, headers(), NOW) is None
    assert reset_at(429, headers(retry_after=str(int(MAX_WAIT) + 10)), NOW) is None


def test_a_rate_limited_instance_is_not_asked_again_by_the_next_run(fake_platform: FakePlatform, fake_world: World,
                                                                    settings: Settings) -> None:
    X.add_to(fake_world)
    instance = fake_world.mastodon.instances["mastodon.social"]
    instance.rate_limited = True
    first = archive([f"https://mastodon.social/@Carla/{X.M_TEXT.id}"], settings)
    assert first.statuses["unknown"] == 0  # the link could not even be confirmed: no post yet
    assert first.errors == [f"https://mastodon.social/@Carla/{X.M_TEXT.id}: could not tell whether this is a "
                            "Mastodon post: mastodon.social did not answer (HTTP 429)"]
    # asked once: the 429 said when to come back, later than a retry would wait
    assert len(fake_platform.requests_to("mastodon.social")) == 1
    held = json.loads((settings.data_dir / FILE).read_text())
    assert time.time() + 200 < held["mastodon.social"] <= time.time() + 301

    instance.rate_limited = False  # the instance would answer now, but said to wait
    fake_platform.clear_requests()
    second = archive([f"https://mastodon.social/@Carla/{X.M_TEXT.id}", X.bsky_id(X.BSKY_TEXT) and
                      f"https://bsky.app/profile/{X.ANA.did}/post/{X.BSKY_TEXT.rkey}"], settings)
    assert fake_platform.requests_to("mastodon.social") == []
    assert len(second.errors) == 1
    assert "not sent: mastodon.social asked not to be asked again before" in second.errors[0]
    assert second.statuses["live"] == 1  # other hosts are asked as ever

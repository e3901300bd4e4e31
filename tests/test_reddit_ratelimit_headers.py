"""Reddit counts its limit down in floats (``X-Ratelimit-Remaining: 0.0``, ``X-Ratelimit-Used``,
``X-Ratelimit-Reset`` in seconds; field guide PLATFORMS_OTHER.md §9.5): a spent limit is held."""

from __future__ import annotations

import httpx

from archiver.plumbing.hostlimits import reset_at

NOW = 1_800_000_000.0


def test_reddits_float_counters_say_a_limit_is_spent() -> None:
    spent = httpx.Headers({"x-ratelimit-used": "100", "x-ratelimit-remaining": "0.0", "x-ratelimit-reset": "412"})
    assert reset_at(200, spent, NOW) == NOW + 412
    left = httpx.Headers({"x-ratelimit-used": "4", "x-ratelimit-remaining": "96.0", "x-ratelimit-reset": "412"})
    assert reset_at(200, left, NOW) is None
    # Under one request left is none left.
    assert reset_at(200, httpx.Headers({"x-ratelimit-remaining": "0.4", "x-ratelimit-reset": "30"}), NOW) == NOW + 30
    # A counter that is no number says nothing.
    assert reset_at(200, httpx.Headers({"x-ratelimit-remaining": "lots", "x-ratelimit-reset": "30"}), NOW) is None

"""Hosts that asked not to be asked again before a time: remembered across runs.

A platform that answers 429 says when its limit resets (``Retry-After``, Mastodon's
``X-RateLimit-Reset``, the IETF draft's ``RateLimit-Reset``), and one that counts down
(``X-RateLimit-Remaining: 0``, Reddit's ``0.0``) says the same before refusing. A cron
sweep that forgot it would spend, run after run, what the platform allows per hour. The
Fetcher records each such time in ``host_limits.json`` in the data directory and refuses
requests to the host until then, without sending them: each refusal is a one-line
``RateLimited`` error (a post checked then is ``unknown``), never a deletion.

The file is a hint, not a ledger: written whole by atomic rename, read at each Fetcher's
start; two runs writing at once may lose one's entry, and that host is asked again.
"""

from __future__ import annotations

import json
import os
import time
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

FILE = "host_limits.json"
MAX_WAIT = 24 * 3600.0
"""A reset further off than this is not believed (a misread header must not silence a host for good)."""


def reset_at(status: int, headers: httpx.Headers, now: float | None = None) -> float | None:
    """When a host's limit resets, if its answer says it is spent (epoch seconds)."""
    now = time.time() if now is None else now
    spent = status == 429
    for name in ("x-ratelimit-remaining", "ratelimit-remaining"):
        if _spent(headers.get(name)):
            spent = True
    if not spent:
        return None
    candidates = [
        _seconds_or_date(headers.get("retry-after"), now),
        _iso_or_epoch(headers.get("x-ratelimit-reset"), now),
        _iso_or_epoch(headers.get("ratelimit-reset"), now),
    ]
    found = [c for c in candidates if c is not None and now < c <= now + MAX_WAIT]
    return max(found) if found else None


def _spent(remaining: str | None) -> bool:
    """Whether a countdown says no request is left: "0", or Reddit's floats ("0.0", under 1)."""
    try:
        return float((remaining or "").strip()) < 1
    except ValueError:
        return False


def _seconds_or_date(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + float(value)
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def _iso_or_epoch(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.replace(".", "", 1).isdigit():
        number = float(value)
        # Epoch seconds, or (the IETF draft) seconds from now.
        return number if number > 1_000_000_000 else now + number
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class HostLimits:
    """The hosts of one data directory that are not to be asked before a time."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE
        self._until: dict[str, float] = {}
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            raw = {}
        now = time.time()
        if isinstance(raw, dict):
            self._until = {str(h): float(t) for h, t in raw.items() if isinstance(t, (int, float)) and t > now}

    def until(self, host: str) -> float | None:
        """When ``host`` may be asked again, if not now."""
        when = self._until.get(host)
        if when is None:
            return None
        if when <= time.time():
            del self._until[host]
            return None
        return when

    def hold(self, host: str, until: float) -> None:
        if self._until.get(host, 0.0) >= until:
            return
        self._until[host] = until
        self._save()

    def _save(self) -> None:
        if not self.path.parent.is_dir():
            return  # no data directory yet: nothing to remember across runs
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(self._until, sort_keys=True))
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)


__all__ = ["FILE", "HostLimits", "reset_at"]

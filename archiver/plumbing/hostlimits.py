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

A platform may also declare a **request budget** for an endpoint whose limit is documented
but not announced in its answers (Meta's tokenless oEmbed: 1,000 requests an hour): at most
N requests in any window of so many seconds (:class:`Budget`). Those are a ledger:
:class:`Budgets` counts every request sent to the endpoint in ``request_budgets.json``,
under a lock, so every run and every process of a sweep spends from the same budget, and a
request beyond it is not sent (``RateLimited``: the post checked then is ``unknown``).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
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


BUDGETS_FILE = "request_budgets.json"
_BUDGET = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([smhd])\s*$")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


@dataclass(frozen=True)
class Budget:
    """At most ``requests`` requests to an endpoint in any ``per`` seconds."""

    requests: int
    per: float

    @classmethod
    def parse(cls, text: str) -> Budget:
        """``1000/1h``, ``500/30m``, ``60/60s``: requests per window. Raises ValueError."""
        m = _BUDGET.match(text)
        if m is None or int(m.group(1)) < 1:
            raise ValueError(f"{text!r} is not a budget like 1000/1h (requests/window, window in s, m, h or d)")
        amount = float(m.group(2) or "1")
        if amount <= 0:
            raise ValueError(f"{text!r} has an empty window")
        return cls(int(m.group(1)), amount * _UNITS[m.group(3)])

    def __str__(self) -> str:
        for unit, seconds in (("d", 86400.0), ("h", 3600.0), ("m", 60.0)):
            if self.per >= seconds and self.per % seconds == 0:
                return f"{self.requests}/{self.per / seconds:g}{unit}"
        return f"{self.requests}/{self.per:g}s"


class Budgets:
    """Requests sent to budgeted endpoints, counted across runs and processes.

    The ledger (``request_budgets.json``: endpoint → send times in its window) is read,
    changed and written whole under an exclusive ``flock`` of ``request_budgets.lock``,
    so two processes never spend the same request. Without a data directory the count
    lives in memory, for this object's life only.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / BUDGETS_FILE
        self._memory: dict[str, list[float]] = {}

    def spend(self, key: str, budget: Budget, now: float | None = None) -> float | None:
        """Count one request to ``key``: None when the budget allows it, else (nothing
        counted) when the next one may be sent, in epoch seconds."""
        now = time.time() if now is None else now
        if not self.path.parent.is_dir():
            return _spend(self._memory, key, budget, now)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
            try:
                ledger = self._read()
                until = _spend(ledger, key, budget, now)
                if until is None:
                    self._write(ledger)
                return until
            finally:
                fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def spent(self, key: str, budget: Budget, now: float | None = None) -> int:
        """Requests to ``key`` counted in the current window."""
        now = time.time() if now is None else now
        times = (self._read() if self.path.parent.is_dir() else self._memory).get(key, [])
        return sum(1 for t in times if now - budget.per < t <= now)

    def _read(self) -> dict[str, list[float]]:
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        if not isinstance(raw, dict):
            return {}
        return {
            str(k): [float(t) for t in v if isinstance(t, (int, float))]
            for k, v in raw.items() if isinstance(v, list)
        }

    def _write(self, ledger: dict[str, list[float]]) -> None:
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        try:
            temporary.write_text(json.dumps(ledger, sort_keys=True))
            os.replace(temporary, self.path)
        except OSError:
            temporary.unlink(missing_ok=True)


def _spend(ledger: dict[str, list[float]], key: str, budget: Budget, now: float) -> float | None:
    times = sorted(t for t in ledger.get(key, []) if now - budget.per < t <= now)
    if len(times) >= budget.requests:
        ledger[key] = times
        return times[len(times) - budget.requests] + budget.per
    ledger[key] = [*times, round(now, 3)]
    return None


def budget_spent_message(key: str, budget: Budget, until: float) -> str:
    """The one line a request not sent for its budget is reported with."""
    when = datetime.fromtimestamp(until, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"not sent: the budget of {budget} requests to {key} is spent until {when}"


__all__ = ["BUDGETS_FILE", "FILE", "Budget", "Budgets", "HostLimits", "budget_spent_message", "reset_at"]

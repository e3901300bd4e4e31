"""When a watched post or article is due for its next check.

Checks back off with age: what was archived an hour ago is checked hourly, what was
archived last year weekly. The steps are a setting, written like ``1d:1h,30d:1d,*:7d``
(up to an age of 1 day every hour, up to 30 days every day, after that every week).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .errors import ConfigError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")

DEFAULT_SCHEDULE = "1d:1h,30d:1d,*:7d"


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``6h``, ``7d``, ``2w``."""
    match = _DURATION.match(text.strip().lower())
    if not match:
        raise ConfigError(f"not a duration: {text!r} (use a number and one of s, m, h, d, w, like 7d)")
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@dataclass(frozen=True)
class Schedule:
    steps: tuple[tuple[timedelta | None, timedelta], ...]
    """(up to this age, check this often); the last step's age is None: any age."""

    @classmethod
    def parse(cls, text: str = DEFAULT_SCHEDULE) -> Schedule:
        steps: list[tuple[timedelta | None, timedelta]] = []
        for part in text.split(","):
            age_text, sep, every_text = part.strip().partition(":")
            if not sep:
                raise ConfigError(f"schedule step {part!r} is not AGE:INTERVAL (like 1d:1h)")
            age = None if age_text.strip() == "*" else parse_duration(age_text)
            every = parse_duration(every_text)
            if every <= timedelta(0):
                raise ConfigError(f"schedule step {part!r}: the interval must be positive")
            steps.append((age, every))
        if not steps or steps[-1][0] is not None:
            raise ConfigError(f"schedule {text!r} must end with a step for any age, like *:7d")
        ages = [age for age, _ in steps[:-1]]
        if any(age is None for age in ages) or ages != sorted(ages):  # type: ignore[type-var]
            raise ConfigError(f"schedule {text!r}: ages must increase, and only the last may be *")
        return cls(tuple(steps))

    def interval(self, age: timedelta) -> timedelta:
        for limit, every in self.steps:
            if limit is None or age <= limit:
                return every
        return self.steps[-1][1]

    def next_check(self, first_archived_at: str, now: datetime) -> str:
        age = now - parse_time(first_archived_at)
        return format_time(now + self.interval(age))


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

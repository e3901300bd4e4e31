"""Sentences, not JSON: how the browsing pages say what the archive holds.

Times are stored as ISO 8601 UTC; people read "5 Dec 2026 04:43 UTC". Status checks
store each source's HTTP status and verdict as JSON; people read "the platform's data
service answered 404: gone". Events store before/after JSON; people read "Edited".

Everything here is generic over platforms. What only one platform can tell (what its
sources are called, why its signals say a post is unavailable, a handle inside a post's
URL) is asked of the platform (``archiver.platforms``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

STATUS_WORDS = {
    "live": "Live",
    "deleted": "Deleted",
    "unavailable": "Unavailable",
    "unknown": "Unknown",
}
STATUS_MARKS = {"live": "●", "deleted": "✕", "unavailable": "⊘", "unknown": "?"}
"""A mark beside each word, so a status never rests on colour alone."""

SAYS_WORDS = {
    "live": "the post is there",
    "gone": "gone",
    "unavailable": "the post exists but is not shown",
    "no-answer": "no usable answer (not a verdict)",
}

# --- what only a platform can tell ----------------------------------------------------


def source_word(source: str, platform: str | None = None) -> str:
    """A source as a reader would call it (its platform's words; any platform's when the
    platform is not given); a source no installed platform names keeps its name."""
    from archiver.platforms import platform_named, platforms

    candidates = [platform_named(platform)] if platform is not None else list(platforms())
    for known in candidates:
        if known is not None and source in known.sources:
            return known.sources[source]
    return source


def handle_from_url(platform: str, url: str) -> str | None:
    """The author's handle written in a post's URL, if the platform puts it there."""
    from archiver.platforms import platform_named

    known = platform_named(platform)
    return known.handle_from_url(url) if known is not None else None


# --- times ----------------------------------------------------------------------------


def parse_time(iso: str | None) -> datetime | None:
    if not iso:
        return None
    try:
        value = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def when(iso: str | None, *, seconds: bool = False) -> str:
    """``5 Dec 2026 04:43 UTC``; the text as stored if it is not a time; "" for nothing."""
    value = parse_time(iso)
    if value is None:
        return iso or ""
    value = value.astimezone(timezone.utc)
    fmt = "%H:%M:%S" if seconds else "%H:%M"
    return f"{value.day} {value.strftime('%b %Y')} {value.strftime(fmt)} UTC"


def compact_time(iso: str | None) -> str:
    """``20261205-044301``: for file names."""
    value = parse_time(iso)
    return value.astimezone(timezone.utc).strftime("%Y%m%d-%H%M%S") if value else "undated"


# --- statuses and checks ----------------------------------------------------------------


def status_word(status: str | None) -> str:
    return STATUS_WORDS.get(status or "", (status or "unknown").capitalize())


def status_mark(status: str | None) -> str:
    return STATUS_MARKS.get(status or "", "?")


def signals_of(raw: Any) -> dict[str, dict[str, Any]]:
    """A check's signals as a dict of source → {status, says, error}; {} if unreadable."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    if not isinstance(raw, dict):
        return {}
    # "pending" and "confirmed" note a loss awaiting its confirming check: not sources.
    return {str(k): v for k, v in raw.items() if isinstance(v, dict) and k not in ("pending", "confirmed")}


def pending_of(raw: Any) -> dict[str, Any] | None:
    """The loss a check saw but did not yet take as the post's status, if any."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    pending = raw.get("pending") if isinstance(raw, dict) else None
    return pending if isinstance(pending, dict) else None


def source_sentence(source: str, signal: dict[str, Any], platform: str | None = None) -> str:
    """``the platform's data service answered HTTP 404: gone``."""
    who = source_word(source, platform)
    says = SAYS_WORDS.get(str(signal.get("says")), str(signal.get("says") or "nothing we could read"))
    if signal.get("status") is None:
        return f"{who} did not answer ({signal.get('error') or 'no response'}): {SAYS_WORDS['no-answer']}"
    return f"{who} answered HTTP {signal['status']}: {says}"


def unavailable_reason(platform: str, signals: Any) -> str:
    """Why a post is unavailable, as far as the sources' answers tell."""
    from archiver.platforms import platform_named

    parsed = signals_of(signals)
    known = platform_named(platform)
    reason = known.unavailable_reason(parsed) if known is not None else None
    if reason:
        return reason
    if not any(v.get("says") == "unavailable" for v in parsed.values()):
        return "the platform's answers do not say why"
    return "the platform answers that the post exists but does not show it"


def check_sentence(platform: str, status: str, signals: Any, *, first: bool = False) -> str:
    """One status check in words: the verdict, then what each source answered."""
    parsed = signals_of(signals)
    sources = "; ".join(source_sentence(s, v, platform) for s, v in parsed.items())
    verdict = {
        "live": "live",
        "deleted": "deleted (its platform's answers leave no other explanation)",
        "unavailable": f"unavailable — {unavailable_reason(platform, signals)}",
        "unknown": "status unknown: no source gave a verdict, so nothing was concluded",
    }.get(status, status)
    pending = pending_of(signals)
    if pending is not None:
        verdict += f" — not yet taken as its status: a check from {str(pending.get('confirm_at'))[:16]} UTC confirms it"
    lead = "First archived" if first else "Checked"
    return f"{lead}: {verdict}." + (f" {sources[0].upper()}{sources[1:]}." if sources else "")


@dataclass
class Badge:
    status: str
    word: str
    mark: str
    detail: str
    """``noticed 5 Dec 2026 04:43 UTC``, ``already gone when first archived …``, ``last checked …``."""

    @property
    def text(self) -> str:
        return f"{self.word} — {self.detail}" if self.detail else self.word


def badge(status: str, *, noticed_at: str | None, first_archived_at: str | None, last_checked_at: str | None) -> Badge:
    """What a status badge says: the status, and since when archiver knows it."""
    if status in ("deleted", "unavailable"):
        if noticed_at:
            detail = f"noticed {when(noticed_at)}"
        else:
            detail = f"already {'gone' if status == 'deleted' else 'unavailable'} when first archived {when(first_archived_at)}"
    elif status == "live":
        detail = f"last checked {when(last_checked_at)}" if last_checked_at else ""
    else:
        detail = f"no answer at the last check {when(last_checked_at)}" if last_checked_at else ""
    return Badge(status, status_word(status), status_mark(status), detail)


# --- events -----------------------------------------------------------------------------


def detail_of(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict) else {}


def event_sentence(kind: str, detail: Any) -> str:
    """A change a sweep noticed, in words (edits show their before/after separately)."""
    d = detail_of(detail)
    before, after = d.get("from"), d.get("to")
    moved = f" (was {status_word(str(before)).lower()})" if before else ""
    return {
        "deleted": f"Deleted: the post is gone{moved}.",
        "unavailable": f"Became unavailable{moved}.",
        "restored": f"Back: the post is {status_word(str(after or 'live')).lower()} again{moved}.",
        "edited": "Edited: the text changed. Captured again; the earlier copy is kept.",
        "media_changed": "Media changed: captured again; the earlier copy is kept.",
        "embed_added": "The article started citing it.",
        "embed_removed": "The article stopped citing it: its link is no longer on the page.",
        "embed_returned": "The article cites it again.",
    }.get(kind, f"{kind.replace('_', ' ').capitalize()}.")


def http_sentence(status: int | None) -> str:
    """An article fetch's answer, in words."""
    if status is None:
        return "no answer"
    if status == 200:
        return "HTTP 200: the page is there"
    if status in (404, 410):
        return f"HTTP {status}: the page is gone" + (" (410 Gone: the site says it was removed)" if status == 410 else "")
    if 300 <= status < 400:
        return f"HTTP {status}: a redirect"
    if status in (401, 403):
        return f"HTTP {status}: refused"
    if status == 429 or status >= 500:
        return f"HTTP {status}: the site did not serve it this time (not a verdict)"
    return f"HTTP {status}"


def file_name(stem: str, kind: str, captured_at: str | None, ext: str) -> str:
    """A readable name to save a capture as: ``twitter-1612…-screenshot-20261205-044301.png``."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in f"{stem}-{kind}")
    return f"{safe}-{compact_time(captured_at)}.{ext}"

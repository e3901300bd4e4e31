"""What counts as a change worth recording: a verdict turned over, an edit, a media swap."""

from __future__ import annotations

GONE = ("deleted", "unavailable")


def status_transition(previous: str | None, new: str) -> str | None:
    """The event a new verdict makes, if any.

    ``unknown`` is no verdict, so it never makes an event nor hides one: a post that was
    deleted, then unknown for a while, then live again, was restored.
    """
    if new == "unknown" or previous is None or new == previous:
        return None
    if new in GONE:
        return new
    if new == "live" and previous in GONE:
        return "restored"
    return None


def content_change(
    previous_fingerprint: str | None, previous_text: str | None, new_fingerprint: str | None, new_text: str | None
) -> str | None:
    """``edited`` when the text differs from the last capture, ``media_changed`` when only media do."""
    if previous_fingerprint is None or new_fingerprint is None or previous_fingerprint == new_fingerprint:
        return None
    return "edited" if (previous_text or "") != (new_text or "") else "media_changed"

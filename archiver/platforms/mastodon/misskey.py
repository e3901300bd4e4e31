"""Misskey notes (and its forks'), which live in the same fediverse as Mastodon's posts
but answer an API of their own (field guide §2.2: ``POST /api/notes/show`` with
``{"noteId": "<id>"}``; gallery-dl's Misskey extractor uses it without a login).

Source ``note``: that call on the note's host. 200 with the note asked for (its ``id``
and a ``user``): ``live``. The guide says nothing of how Misskey answers for a note that
is gone, hidden or whose author is suspended, nor of an account check, so nothing else
is a verdict: every other answer is ``unknown``, kept as a ``data`` capture with what it
seemed to say (an error ``NO_SUCH_NOTE`` reads ``gone``), for a person to judge.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ...errors import ContentError, FetchError, ItemError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from . import ids

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

PLATFORM_NAME = "mastodon"
NO_SUCH_NOTE = "NO_SUCH_NOTE"


def show_url(host: str) -> str:
    return f"https://{host}/api/notes/show"


async def ask(fetcher: Fetcher, host: str, note: str) -> SourceAnswer:
    """``POST /api/notes/show`` for one note: once (a POST is not repeated), checked,
    timed and capped like every request."""
    url = show_url(host)
    body = json.dumps({"noteId": note}).encode()
    try:
        response = await fetcher.post(url, "json", body, headers={"Content-Type": "application/json"})
    except FetchError as e:
        return SourceAnswer("note", url, None, str(e))
    return SourceAnswer("note", url, response)


def _json(answer: SourceAnswer) -> dict[str, object] | None:
    return answer.json() if answer.response is not None and "json" in answer.response.content_type else None


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def note_says(answer: SourceAnswer, note: str) -> str:
    """live, gone (Misskey's NO_SUCH_NOTE: a signal, not a verdict), mismatch or no-answer."""
    status, body = answer.status, _json(answer)
    if status is None or status == 429 or status >= 500 or body is None:
        return "no-answer"
    if status == 200:
        if body.get("id") != note:
            return "mismatch"
        return "live" if isinstance(body.get("user"), dict) else "no-answer"
    if _dict(body.get("error")).get("code") == NO_SUCH_NOTE:
        return "gone"
    return "no-answer"


async def fetch_note(fetcher: Fetcher, native_id: str) -> PostFetch:
    named = ids.split_note(native_id)
    if named is None:
        raise ValueError(f"not a Misskey note id: {native_id!r}")
    host, note = named
    answer = await ask(fetcher, host, note)
    answer.says = note_says(answer, note)
    status: Status = "live" if answer.says == "live" else "unknown"
    data = parse_note(_json(answer) or {}, native_id) if status == "live" else None
    return PostFetch(PLATFORM_NAME, native_id, status, data, [answer], complete=status == "live")


async def identify_note(fetcher: Fetcher, link: ids.StatusLink, url: str) -> str | None:
    """The native id of the note a ``/notes/<id>`` link names: the host's own, or, for a
    copy of a post from elsewhere, its origin's (``uri``). None when the host is no Misskey."""
    answer = await ask(fetcher, link.host, link.id)
    said = note_says(answer, link.id)
    body = _json(answer) or {}
    if said == "live":
        user = _dict(body.get("user"))
        if user.get("host") is None:
            return ids.note_id(link.host, link.id)
        origin = ids.origin_of(_str(body.get("uri")), _str(body.get("url")), _str(user.get("username")))
        if origin is None:
            raise ContentError(f"{link.host} shows note {link.id} from {user.get('host')} without naming its original", url)
        return origin
    if said == "gone":
        # Misskey's own answer: the note the link names there, no longer shown.
        return ids.note_id(link.host, link.id)
    if said == "mismatch":
        raise ContentError(f"{link.host} answered about another note than {link.id}", url)
    if answer.response is None or answer.status == 429 or (answer.status or 0) >= 500:
        why = answer.error or f"HTTP {answer.status}"
        raise ItemError(f"could not tell whether this is a Misskey note: {link.host} did not answer ({why})", url)
    return None  # the host answers, but not as Misskey does: the link is no post


MEDIA_KINDS = {"image": "photo", "video": "video", "audio": "audio"}


def parse_note(body: dict[str, object], native_id: str) -> PostData:
    named = ids.split_note(native_id)
    assert named is not None
    host = named[0]
    user = _dict(body.get("user"))
    username = _str(user.get("username"))
    handle = f"{username}@{_str(user.get('host')) or host}" if username else None
    text = _str(body.get("text")) or ""
    warning = _str(body.get("cw"))
    data = PostData(
        native_id=native_id,
        author_handle=handle,
        author_name=_str(user.get("name")),
        text=f"{warning}\n\n{text}".strip() if warning else text,
        created_at=_time(_str(body.get("createdAt"))),
    )
    files = body.get("files")
    for file in files if isinstance(files, list) else []:
        item = _dict(file)
        mime = _str(item.get("type")) or ""
        kind = MEDIA_KINDS.get(mime.split("/", 1)[0])
        url = _str(item.get("url"))
        if kind is None or url is None:
            continue
        size = _dict(item.get("properties"))
        data.media.append(MediaItem(
            kind, url, width=_int(size.get("width")), height=_int(size.get("height")),  # type: ignore[arg-type]
            content_type=mime, alt_text=_str(item.get("comment")),
        ))
    # Ids of this host's notes (a reply to, or a quote of, a note from elsewhere is this host's copy of it).
    reply = _str(body.get("replyId"))
    data.reply_to_id = ids.note_id(host, reply) if reply and ids.split_note(ids.note_id(host, reply)) else None
    renote = _str(body.get("renoteId"))
    if renote and ids.split_note(ids.note_id(host, renote)):
        if text or files:
            data.quoted_id = ids.note_id(host, renote)  # a quote: the note's own words, and another's
        else:
            data.requested_id = native_id  # a bare renote
    return data


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _time(value: str | None) -> str | None:
    from .api import normalise_time

    return normalise_time(value)


__all__ = ["fetch_note", "identify_note", "note_says", "parse_note"]

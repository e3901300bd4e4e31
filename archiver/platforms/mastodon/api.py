"""Mastodon's public answers about a post, and the verdict they add up to (field guide §2.3–2.6).

Sources, all anonymous, all on the post's origin instance:

- ``status``: ``GET /api/v1/statuses/<id>`` (public statuses need no token since 2.7).
  200 with the id asked for: live. 404 ``{"error":"Record not found"}``: deleted,
  private, or its author suspended — the account decides which.
- ``parent``: for a reply to a post from another instance, the origin's copy of that
  post (``GET /api/v1/statuses/<in_reply_to_id>``), whose ``uri`` names where it lives.
  Asked only for that; it takes no part in the verdict.
- ``account``: ``GET /api/v1/accounts/lookup?acct=<user>`` and ``profile``: the account
  page ``GET /@<user>``, asked only when the status is not found. The account answering
  normally on both means the post itself was removed (``deleted``: Mastodon cannot make
  a public post private later). ``suspended: true``, or the page's 410 (suspended for
  good) or 403 (suspended for now), or an account that is gone: ``unavailable``.

401 (an instance that demands login for every anonymous read), 429, 5xx, timeouts, HTML
where JSON belongs and an answer about another status are ``unknown`` and overturn
nothing. Every answer is kept as a ``data`` capture.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from ...errors import ContentError, FetchError, ItemError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from . import ids

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

PLATFORM_NAME = "mastodon"

ENDPOINTS: Mapping[str, str] = {}
"""None: a Mastodon post's answers come from its own instance, whichever that is."""

NOT_FOUND = "Record not found"


def _json(answer: SourceAnswer) -> dict[str, object] | None:
    return answer.json() if answer.response is not None and "json" in answer.response.content_type else None


def _error(answer: SourceAnswer) -> str:
    body = _json(answer)
    error = body.get("error") if body else None
    return error if isinstance(error, str) else ""


def _login_wall(answer: SourceAnswer) -> bool:
    return answer.status in (401, 403) and "authenticated" in _error(answer).lower()


def status_says(answer: SourceAnswer, status_id: str) -> str:
    """live, gone, login-required, mismatch or no-answer."""
    status, body = answer.status, _json(answer)
    if status is None or status == 429 or status >= 500 or body is None:
        return "no-answer"
    if status == 200:
        if str(body.get("id")) != status_id:
            return "mismatch"
        return "live" if isinstance(body.get("account"), dict) else "no-answer"
    if status == 404 and _error(answer) == NOT_FOUND:
        return "gone"
    if _login_wall(answer):
        return "login-required"
    return "no-answer"


def account_says(answer: SourceAnswer, user: str) -> str:
    """live, suspended, gone, login-required or no-answer (the lookup API)."""
    status, body = answer.status, _json(answer)
    if status is None or status == 429 or status >= 500:
        return "no-answer"
    if status == 410:
        return "suspended"
    if body is None:
        return "no-answer"
    if status == 200:
        if str(body.get("username") or "").lower() != user.lower():
            return "mismatch"
        return "suspended" if body.get("suspended") is True else "live"
    if status == 404 and _error(answer) == NOT_FOUND:
        return "gone"
    if _login_wall(answer):
        return "login-required"
    return "no-answer"


def profile_says(answer: SourceAnswer) -> str:
    """live, suspended (410 for good, 403 for now), gone or no-answer (the account page)."""
    status = answer.status
    if status is None or status == 429 or status >= 500:
        return "no-answer"
    if status == 200:
        return "live" if answer.response is not None and "html" in answer.response.content_type else "no-answer"
    if status in (410, 403):
        return "suspended"
    if status == 404:
        return "gone"
    return "no-answer"


def verdict(status: str, account: str | None, profile: str | None) -> Status:
    """The field guide's decision (§2.6), strict about ``deleted``: both account answers normal."""
    if status == "live":
        return "live"
    if status != "gone":
        return "unknown"
    if "suspended" in (account, profile):
        return "unavailable"
    if account == "live" and profile == "live":
        return "deleted"
    if account == "gone" and profile == "gone":
        return "unavailable"  # the account itself is gone
    return "unknown"


async def ask(fetcher: Fetcher, source: str, url: str, kind: str = "json") -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, kind))  # type: ignore[arg-type]
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


def status_api(host: str, status_id: str) -> str:
    return f"https://{host}/api/v1/statuses/{status_id}"


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    if ids.split_note(native_id) is not None:
        from .misskey import fetch_note

        return await fetch_note(fetcher, native_id)
    host, user, status_id = ids.split(native_id)
    status = await ask(fetcher, "status", status_api(host, status_id))
    status.says = status_says(status, status_id)
    answers = [status]
    account_said = profile_said = None
    if status.says == "gone":
        account = await ask(fetcher, "account", f"https://{host}/api/v1/accounts/lookup?{urlencode({'acct': user})}")
        account.says = account_said = account_says(account, user)
        profile = await ask(fetcher, "profile", f"https://{host}/@{user}", "html")
        profile.says = profile_said = profile_says(profile)
        answers += [account, profile]
    verdict_ = verdict(status.says, account_said, profile_said)
    data = None
    if verdict_ == "live":
        body = _json(status) or {}
        data = parse_status(body, native_id)
        origin = ids.origin_of(_str(body.get("uri")), _str(body.get("url")), _username(body))
        if origin is not None and origin != native_id:
            status.says = f"live (a copy of {origin})"
        copy_url = parent_copy(body, host) if data.reply_to_id is None else None
        if copy_url is not None:
            # A reply to a post from another instance: this instance's copy names its origin.
            parent = await ask(fetcher, "parent", copy_url)
            parent_body = _json(parent) or {}
            if status_says(parent, copy_url.rpartition("/")[2]) == "live":
                data.reply_to_id = ids.origin_of(_str(parent_body.get("uri")), _str(parent_body.get("url")),
                                                 _username(parent_body))
            parent.says = f"replies to {data.reply_to_id}" if data.reply_to_id else "no-answer"
            answers.append(parent)
    return PostFetch(
        PLATFORM_NAME, native_id, verdict_, data, answers, complete=verdict_ == "live",
        # A 404 is a removal only for a post once seen public: a private one answers alike.
        deleted_if_seen_live=True,
    )


async def identify(fetcher: Fetcher, url: str, endpoints: Mapping[str, str]) -> str | None:
    """The origin's ``host/@user/id`` of a link that looks like a Mastodon post, asked of
    the link's host: None when the host does not answer as Mastodon does."""
    link = ids.parse(url)
    if link is None:
        return None
    if link.server == "misskey":
        from .misskey import identify_note

        return await identify_note(fetcher, link, url)
    if link.server == "object":
        return await _identify_object(fetcher, link, url, endpoints)
    answer = await ask(fetcher, "status", status_api(link.host, link.id))
    said = status_says(answer, link.id)
    body = _json(answer) or {}
    if said == "live":
        account = body.get("account")
        origin = ids.origin_of(_str(body.get("uri")), _str(body.get("url")), _username(body))
        if origin is None and isinstance(account, dict) and not link.is_copy:
            username = _str(account.get("username"))
            origin = ids.make_id(link.host, username, link.id) if username else None
        if origin is None:
            raise ContentError(f"{link.host} answered for status {link.id} without naming its origin", url)
        return origin
    if said in ("gone", "login-required"):
        # Mastodon's own answer: a post that is gone, or that this instance hides from
        # anonymous readers. On its origin it is the post the link names; a copy's
        # origin cannot be told any more.
        if link.native_id is not None:
            return link.native_id
        if said == "gone":
            raise ContentError(f"{link.host} no longer shows status {link.id}: the original post cannot be told", url)
        raise ItemError(f"{link.host} demands a login to show status {link.id}", url)
    if said == "mismatch":
        raise ContentError(f"{link.host} answered about another status than {link.id}", url)
    if answer.response is None or answer.status in (429,) or (answer.status or 0) >= 500:
        why = answer.error or f"HTTP {answer.status}"
        raise ItemError(f"could not tell whether this is a Mastodon post: {link.host} did not answer ({why})", url)
    return None  # the host answers, but not as Mastodon: the link is no post


async def _identify_object(fetcher: Fetcher, link: ids.StatusLink, url: str, endpoints: Mapping[str, str]) -> str | None:
    """A Pleroma/Akkoma ``/objects/<uuid>`` link: it redirects (a browser's request) to the
    notice, which is then asked of the API like any other (field guide §2.2)."""
    try:
        response = await fetcher.get(url, "html", headers={"Accept": "text/html"})
    except FetchError as e:
        raise ItemError(f"could not tell whether this is a fediverse post: {link.host} did not answer ({e})", url) from None
    notice = ids.parse(response.url)
    if notice is None or notice.server != "pleroma" or len(response.hops) < 2:
        if response.status == 429 or response.status >= 500:
            raise ItemError(f"could not tell whether this is a fediverse post: {link.host} answered HTTP {response.status}", url)
        return None  # no redirect to a notice: not Pleroma's object
    return await identify(fetcher, response.url, endpoints)


def _username(body: dict[str, object]) -> str | None:
    return _str(_dict(body.get("account")).get("username"))


# ---------------------------------------------------------------------------- parsing


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def normalise_time(value: str | None) -> str | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def html_text(content: str) -> str:
    """A status's HTML content as plain text: paragraphs apart, line breaks kept."""
    from selectolax.lexbor import LexborHTMLParser

    marked = content.replace("<br>", "\n").replace("<br/>", "\n").replace("<br />", "\n").replace("</p><p>", "</p>\n\n<p>")
    tree = LexborHTMLParser(f"<div>{marked}</div>")
    body = tree.body
    return (body.text(deep=True) if body is not None else "").strip()


MEDIA_KINDS = {"image": "photo", "gifv": "video", "video": "video", "audio": "audio"}


def parse_status(body: dict[str, object], native_id: str) -> PostData:
    host, _user, _id = ids.split(native_id)
    account = _dict(body.get("account"))
    acct = _str(account.get("acct")) or _str(account.get("username"))
    handle = acct if acct is None or "@" in acct else f"{acct}@{host}"
    text = html_text(_str(body.get("content")) or "")
    spoiler = _str(body.get("spoiler_text"))
    data = PostData(
        native_id=native_id,
        author_handle=handle,
        author_name=_str(account.get("display_name")),
        text=f"{spoiler}\n\n{text}".strip() if spoiler else text,
        created_at=normalise_time(_str(body.get("created_at"))),
        lang=_str(body.get("language")),
    )
    attachments = body.get("media_attachments")
    for attachment in attachments if isinstance(attachments, list) else []:
        item = _dict(attachment)
        kind = MEDIA_KINDS.get(str(item.get("type")))
        # A remote status's attachments are cached copies; remote_url is the origin's file.
        url = _str(item.get("remote_url")) or _str(item.get("url"))
        if kind is None or url is None:
            continue
        original = _dict(_dict(item.get("meta")).get("original"))
        content_type = "video/mp4" if kind == "video" else None
        data.media.append(
            MediaItem(kind, url, width=_int(original.get("width")), height=_int(original.get("height")),  # type: ignore[arg-type]
                      content_type=content_type, bitrate=_int(original.get("bitrate")),
                      alt_text=_str(item.get("description")))
        )
        preview = _str(item.get("preview_url"))
        if kind == "video" and preview:
            data.media.append(MediaItem("poster", preview))
    quote = _dict(body.get("quote"))
    quoted = _dict(quote.get("quoted_status")) or _dict(body.get("quoted_status"))
    if quoted:
        data.quoted_id = ids.origin_of(_str(quoted.get("uri")), _str(quoted.get("url")))
    reblog = _dict(body.get("reblog"))
    if reblog:
        data.requested_id = native_id
    data.reply_to_id = local_parent(body, host)
    return data


def local_parent(body: dict[str, object], host: str) -> str | None:
    """The ``host/@user/id`` of the status this one replies to, when its author is local
    to ``host`` (the reply's origin, whose own id ``in_reply_to_id`` is): the author
    themselves (a thread), or a local account the reply mentions. None otherwise: a
    remote parent's id here is only this instance's copy of it (:func:`parent_copy`)."""
    parent_id = body.get("in_reply_to_id")
    account_id = body.get("in_reply_to_account_id")
    if not isinstance(parent_id, (str, int)) or not str(parent_id).isalnum():
        return None
    account = _dict(body.get("account"))
    mentions = body.get("mentions")
    candidates = [account] + [_dict(m) for m in (mentions if isinstance(mentions, list) else [])]
    for candidate in candidates:
        acct, username = _str(candidate.get("acct")), _str(candidate.get("username"))
        if str(candidate.get("id")) == str(account_id) and username and acct and "@" not in acct:
            return ids.make_id(host, username, str(parent_id))
    return None


def parent_copy(body: dict[str, object], host: str) -> str | None:
    """The API URL of this instance's copy of a remote parent, to learn the parent's origin."""
    parent_id = body.get("in_reply_to_id")
    if body.get("in_reply_to_account_id") is None or not str(parent_id or "").isalnum():
        return None
    return status_api(host, str(parent_id))


def card_url(native_id: str) -> str | None:
    """Mastodon's embed page; None for Pleroma/Akkoma and Misskey posts, whose embed pages
    the field guide does not describe: their card is cut from article pages that show it."""
    if ids.split_note(native_id) is not None:
        return None
    host, user, status_id = ids.split(native_id)
    if ids.is_pleroma(status_id):
        return None
    return f"https://{host}/@{user}/{status_id}/embed"


def names_post(url: str, native_id: str) -> bool:
    """Whether a request asked about this post: its API answer, its page or embed, oEmbed of it."""
    note = ids.split_note(native_id)
    try:
        host, user, status_id = (note[0], "", note[1]) if note is not None else ids.split(native_id)
        parts = urlsplit(url)
    except ValueError:
        return False
    if (parts.hostname or "").lower() != host.split(":")[0]:
        return False
    if parts.path.rstrip("/") == f"/api/v1/statuses/{status_id}":
        return True
    link = ids.parse(url)
    if link is not None:
        return link.id == status_id and (link.user or "").lower() in ("", user)
    for value in parse_qs(parts.query).get("url", []):
        named = ids.parse(unquote(value))
        if named is not None and named.native_id == native_id:
            return True
    return False


__all__ = [
    "ENDPOINTS", "account_says", "card_url", "fetch_post", "html_text", "identify", "names_post",
    "parse_status", "profile_says", "status_says", "verdict",
]

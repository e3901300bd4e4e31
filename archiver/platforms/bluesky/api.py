"""Bluesky's public answers about a post, and the verdict they add up to (field guide §1.3–1.5).

Sources, all without login:

- ``thread``: ``app.bsky.feed.getPostThread`` on the public AppView, the post's record
  and view. 200 with a ``threadViewPost`` whose URI is the one asked for: live. HTTP 400
  ``NotFound`` (or a ``notFoundPost``): the post is not there — deleted, taken down, or
  its account is gone: the author decides which.
- ``profile``: ``app.bsky.actor.getProfile`` of the author's DID, asked only when the
  post is not found. 200: the author resolves, so the post itself was removed
  (``deleted``). 400 ``AccountTakedown`` / ``AccountDeactivated`` / "Profile not found":
  an account-level answer (``unavailable``).
- ``did``: the author's DID document (plc.directory, or ``/.well-known/did.json`` for
  did:web), asked when the post has media: it names the author's PDS, whose
  ``com.atproto.sync.getBlob`` serves each image and video as originally uploaded. The
  CDN's re-encoded copy is kept only when the original cannot be had.

429, 5xx, timeouts, HTML where JSON belongs and an answer about another post are
``unknown`` and overturn nothing. Every answer is kept as a ``data`` capture.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from ...errors import ContentError, FetchError, ItemError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from . import ids

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

PLATFORM_NAME = "bluesky"

ENDPOINTS: Mapping[str, str] = {
    "appview": "https://public.api.bsky.app/xrpc",
    "plc": "https://plc.directory",
    "pds": "https://bsky.social",
    "embed": "https://embed.bsky.app/embed",
    "cdn": "https://cdn.bsky.app/img",
}
"""``appview``: the public AppView's XRPC root; ``plc``: the did:plc directory; ``pds``:
the PDS asked when a DID document names none; ``embed``: the embed pages (the card)."""

NOT_FOUND = ("NotFound",)
ACCOUNT_GONE = {"AccountTakedown": "taken-down", "AccountDeactivated": "deactivated"}
OPTED_OUT = "!no-unauthenticated"


def _json(answer: SourceAnswer) -> dict[str, object] | None:
    return answer.json() if answer.response is not None and "json" in answer.response.content_type else None


def _error_name(answer: SourceAnswer) -> str | None:
    body = _json(answer)
    error = body.get("error") if body else None
    return error if isinstance(error, str) else None


def _message(answer: SourceAnswer) -> str:
    body = _json(answer)
    message = body.get("message") if body else None
    return message if isinstance(message, str) else ""


def thread_says(answer: SourceAnswer, uri: str) -> str:
    """live, gone, or no-answer (for an answer about another post: mismatch)."""
    status, body = answer.status, _json(answer)
    if status is None or status == 429 or status >= 500 or body is None:
        return "no-answer"
    if status == 400 and _error_name(answer) in NOT_FOUND:
        return "gone"
    if status != 200:
        return "no-answer"
    thread = body.get("thread")
    if not isinstance(thread, dict):
        return "no-answer"
    kind = str(thread.get("$type") or "")
    if kind.endswith("#notFoundPost") or thread.get("notFound") is True:
        return "gone"
    if kind.endswith("#blockedPost") or thread.get("blocked") is True:
        return "no-answer"
    post = thread.get("post")
    if not isinstance(post, dict) or not isinstance(post.get("record"), dict):
        return "no-answer"
    if post.get("uri") != uri:
        return "mismatch"
    return "live"


def profile_says(answer: SourceAnswer, did: str) -> str:
    """live (the account resolves), taken-down, deactivated, gone (no such profile), or no-answer."""
    status, body = answer.status, _json(answer)
    if status is None or status == 429 or status >= 500 or body is None:
        return "no-answer"
    if status == 200:
        return "live" if body.get("did") == did else "mismatch"
    if status == 400:
        error = _error_name(answer)
        if error in ACCOUNT_GONE:
            return ACCOUNT_GONE[error]
        if "profile not found" in _message(answer).lower():
            return "gone"
    return "no-answer"


def verdict(thread: str, profile: str | None) -> Status:
    """The field guide's decision (§1.4): not found while the author resolves is deleted."""
    if thread == "live":
        return "live"
    if thread == "gone" and profile is not None:
        if profile == "live":
            return "deleted"
        if profile in ("taken-down", "deactivated", "gone"):
            return "unavailable"
    return "unknown"


async def ask(fetcher: Fetcher, source: str, url: str) -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, "json"))
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


def thread_url(endpoints: Mapping[str, str], uri: str) -> str:
    query = urlencode({"uri": uri, "depth": "0", "parentHeight": "0"})
    return f"{endpoints['appview']}/app.bsky.feed.getPostThread?{query}"


def profile_url(endpoints: Mapping[str, str], actor: str) -> str:
    return f"{endpoints['appview']}/app.bsky.actor.getProfile?{urlencode({'actor': actor})}"


def resolve_handle_url(endpoints: Mapping[str, str], handle: str) -> str:
    return f"{endpoints['appview']}/com.atproto.identity.resolveHandle?{urlencode({'handle': handle})}"


def did_document_url(endpoints: Mapping[str, str], did: str) -> str:
    if did.startswith("did:web:"):
        host = did[len("did:web:"):].replace("%3A", ":").replace("%3a", ":")
        return f"https://{host}/.well-known/did.json"
    return f"{endpoints['plc']}/{did}"


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    did, _rkey = ids.split(native_id)
    uri = ids.at_uri(native_id)
    thread = await ask(fetcher, "thread", thread_url(endpoints, uri))
    thread.says = thread_says(thread, uri)
    answers = [thread]
    profile_said: str | None = None
    if thread.says == "gone":
        profile = await ask(fetcher, "profile", profile_url(endpoints, did))
        profile.says = profile_said = profile_says(profile, did)
        answers.append(profile)
    status = verdict(thread.says, profile_said)
    data: PostData | None = None
    if status == "live":
        body = _json(thread) or {}
        post = body["thread"]["post"]  # type: ignore[index]
        data = parse_post(post, native_id)
        labels = [label.get("val") for label in _list(_dict(post.get("author")).get("labels")) if isinstance(label, dict)]
        if OPTED_OUT in labels:
            thread.says = "live (the author asked that logged-out visitors not see it)"
        if media_of(post, endpoints["pds"], did):
            document = await ask(fetcher, "did", did_document_url(endpoints, did))
            pds = pds_of(document, did)
            document.says = "pds" if pds else "no-answer"
            answers.append(document)
            data.media = media_of(post, pds or endpoints["pds"], did)
    return PostFetch(PLATFORM_NAME, native_id, status, data, answers, complete=status == "live")


async def identify(fetcher: Fetcher, url: str, endpoints: Mapping[str, str]) -> str | None:
    """The ``<DID>/<rkey>`` of a post link that names its author by handle."""
    name = ids.parse(url)
    if name is None:
        return None
    if name.is_did:
        return name.native_id
    answer = await ask(fetcher, "resolveHandle", resolve_handle_url(endpoints, name.actor))
    body = _json(answer)
    did = body.get("did") if body and answer.status == 200 else None
    if isinstance(did, str) and ids.is_did(did):
        return f"{did}/{name.rkey}"
    if answer.status == 400:
        raise ContentError(f"Bluesky handle @{name.actor} does not resolve ({_message(answer) or 'no DID'})", url)
    why = answer.error or f"HTTP {answer.status}"
    raise ItemError(f"Bluesky handle @{name.actor} could not be resolved now ({why})", url)


# ---------------------------------------------------------------------------- parsing


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def normalise_time(value: str | None) -> str | None:
    """An ISO 8601 time as UTC ``YYYY-MM-DDTHH:MM:SSZ``; None if unreadable."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_post(post: dict[str, object], native_id: str) -> PostData:
    """A ``postView``'s data, without its media (:func:`media_of`, once the PDS is known)."""
    author = _dict(post.get("author"))
    record = _dict(post.get("record"))
    langs = [lang for lang in _list(record.get("langs")) if isinstance(lang, str)]
    data = PostData(
        native_id=native_id,
        author_handle=_str(author.get("handle")),
        author_name=_str(author.get("displayName")),
        text=record.get("text") if isinstance(record.get("text"), str) else None,  # type: ignore[arg-type]
        created_at=normalise_time(_str(record.get("createdAt"))),
        lang=langs[0] if langs else None,
    )
    view = _dict(post.get("embed"))
    quoted = _quoted_uri(view) or _quoted_uri(_dict(record.get("embed")))
    data.quoted_id = ids.native_id_of_uri(quoted) if quoted else None
    # A reply names its parent (and its thread's root) by strong reference: at-uri and CID.
    parent = _str(_dict(_dict(record.get("reply")).get("parent")).get("uri"))
    data.reply_to_id = ids.native_id_of_uri(parent) if parent and f"/{ids.COLLECTION}/" in parent else None
    return data


def _quoted_uri(embed: dict[str, object]) -> str | None:
    kind = str(embed.get("$type") or "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        embed = _dict(embed.get("record"))
        kind = str(embed.get("$type") or "app.bsky.embed.record")
    if not kind.startswith("app.bsky.embed.record"):
        return None
    record = _dict(embed.get("record"))
    # In a view, record is a viewRecord (uri at its top); in a record, a strongRef.
    uri = _str(record.get("uri"))
    return uri if uri and f"/{ids.COLLECTION}/" in uri else None


def _media_parts(embed: dict[str, object]) -> dict[str, object]:
    """The images, gallery or video part of an embed (inside a recordWithMedia too)."""
    kind = str(embed.get("$type") or "")
    if kind.startswith("app.bsky.embed.recordWithMedia"):
        return _dict(embed.get("media"))
    return embed


def _blob_cid(blob: object) -> str | None:
    ref = _dict(_dict(blob).get("ref"))
    return _str(ref.get("$link")) or _str(_dict(blob).get("cid"))


def blob_sha256(cid: str) -> str | None:
    """The SHA-256 a blob's CID names, for the copy to be checked against; None for a CID
    that is not a raw SHA2-256 CIDv1 (no such blob is written by today's PDSes)."""
    from .cid import NotABlobCid, sha256_of

    try:
        return sha256_of(cid)
    except NotABlobCid:
        return None


def blob_url(pds: str, did: str, cid: str) -> str:
    return f"{pds.rstrip('/')}/xrpc/com.atproto.sync.getBlob?{urlencode({'did': did, 'cid': cid})}"


def media_of(post: dict[str, object], pds: str, did: str) -> list[MediaItem]:
    """The post's images, video and captions, each from the author's PDS as uploaded
    (the CDN's copy, or the video's HLS playlist, as the fallback)."""
    record_embed = _media_parts(_dict(_dict(post.get("record")).get("embed")))
    view = _media_parts(_dict(post.get("embed")))
    kind = str(record_embed.get("$type") or "")
    items: list[MediaItem] = []
    if kind.startswith(("app.bsky.embed.images", "app.bsky.embed.gallery")):
        originals = _list(record_embed.get("images")) or _list(record_embed.get("items"))
        shown = _list(view.get("images")) or _list(view.get("items"))
        for i, original in enumerate(originals):
            image = _dict(original)
            blob = _dict(image.get("image"))
            cid = _blob_cid(blob)
            if not cid:
                continue
            seen = _dict(shown[i]) if i < len(shown) else {}
            ratio = _dict(image.get("aspectRatio"))
            items.append(
                MediaItem(
                    "photo", blob_url(pds, did, cid),
                    width=_int(ratio.get("width")), height=_int(ratio.get("height")),
                    content_type=_str(blob.get("mimeType")), alt_text=_str(image.get("alt")),
                    fallback_url=_str(seen.get("fullsize")), sha256=blob_sha256(cid),
                )
            )
    elif kind.startswith("app.bsky.embed.video"):
        blob = _dict(record_embed.get("video"))
        cid = _blob_cid(blob)
        ratio = _dict(record_embed.get("aspectRatio"))
        if cid:
            items.append(
                MediaItem(
                    "video", blob_url(pds, did, cid),
                    width=_int(ratio.get("width")), height=_int(ratio.get("height")),
                    content_type=_str(blob.get("mimeType")) or "video/mp4", alt_text=_str(record_embed.get("alt")),
                    fallback_url=_str(view.get("playlist")), fallback_content_type="application/x-mpegurl",
                    sha256=blob_sha256(cid),
                )
            )
        thumbnail = _str(view.get("thumbnail"))
        if thumbnail:
            items.append(MediaItem("poster", thumbnail))
        for caption in _list(record_embed.get("captions")):
            file = _dict(_dict(caption).get("file"))
            caption_cid = _blob_cid(file)
            if caption_cid:
                items.append(MediaItem("captions", blob_url(pds, did, caption_cid), content_type="text/vtt",
                                       alt_text=_str(_dict(caption).get("lang")), sha256=blob_sha256(caption_cid)))
    return items


def pds_of(document: SourceAnswer, did: str) -> str | None:
    """The PDS a DID document names (its ``AtprotoPersonalDataServer`` service)."""
    body = _json(document) if document.status == 200 else None
    if not body or body.get("id") != did:
        return None
    for service in _list(body.get("service")):
        entry = _dict(service)
        if entry.get("type") == "AtprotoPersonalDataServer" or str(entry.get("id") or "").endswith("#atproto_pds"):
            endpoint = _str(entry.get("serviceEndpoint"))
            if endpoint and endpoint.startswith("https://"):
                return endpoint
    return None


def card_url(endpoints: Mapping[str, str], native_id: str) -> str:
    did, rkey = ids.split(native_id)
    return f"{endpoints['embed']}/{did}/{ids.COLLECTION}/{rkey}"


def names_post(url: str, native_id: str) -> bool:
    """Whether a request asked about this post: its thread, its embed page, oEmbed of it."""
    from urllib.parse import parse_qs, unquote, urlsplit

    try:
        did, rkey = ids.split(native_id)
        parts = urlsplit(url)
    except ValueError:
        return False
    if ids.parse(url) is not None:
        return ids.parse(url) == ids.PostName(did, rkey)
    uri = ids.at_uri(native_id)
    query = parse_qs(parts.query)
    for values in (query.get("uri", []), query.get("uris", []), query.get("url", [])):
        for value in values:
            name = ids.parse(unquote(value))
            if value == uri or (name is not None and name.native_id == native_id):
                return True
    return False


__all__ = [
    "ENDPOINTS", "card_url", "fetch_post", "identify", "media_of", "names_post", "normalise_time",
    "parse_post", "pds_of", "profile_says", "thread_says", "verdict",
]

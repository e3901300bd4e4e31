"""What YouTube says about a video, without a login (field guide §3.3), and the verdict.

Two sources, both kept as ``data`` captures:

- the **watch page**'s player response (``ytInitialPlayerResponse``): its
  ``playabilityStatus`` decides. ``OK`` with the same ``videoId`` is live (another id
  means YouTube is blocking this address: unknown). "removed by the uploader" (or another
  "has been removed" that is not an account's termination) is the one positive sign of a
  deletion; private, age-gated, region-blocked, terminated accounts, and a bare "Video
  unavailable" are ``unavailable``; a bot check, a captcha, "try again later", a consent
  or login page is ``unknown``.
- **oEmbed**, asked too: when the watch page gives no answer, its 200 says live (a sketch:
  title and channel only) and its "Forbidden" says private; its 404 alone decides nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ...errors import FetchError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from .patterns import NAME, canonical_url, handle_from_url

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {
    "watch": "https://www.youtube.com/watch",
    "oembed": "https://www.youtube.com/oembed",
    "embed": "https://www.youtube.com/embed",
    "thumbnails": "https://i.ytimg.com/vi",
}
_PLAYER = re.compile(r"ytInitialPlayerResponse\s*=\s*\{")


def player_response(html: bytes) -> dict[str, Any] | None:
    """The ``ytInitialPlayerResponse`` object of a watch page, or None."""
    text = html.decode("utf-8", "replace")
    m = _PLAYER.search(text)
    if m is None:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text, m.end() - 1)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _text(value: object) -> str:
    """YouTube's text objects: ``{"simpleText": …}`` or ``{"runs": [{"text": …}]}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if isinstance(value.get("simpleText"), str):
            return str(value["simpleText"])
        runs = value.get("runs")
        if isinstance(runs, list):
            return "".join(str(r.get("text", "")) for r in runs if isinstance(r, dict))
    return ""


def playability_says(player: dict[str, Any], native_id: str) -> tuple[str, Status]:
    """What the player response says, in YouTube's words, and the verdict it gives."""
    playability = player.get("playabilityStatus") if isinstance(player.get("playabilityStatus"), dict) else {}
    assert isinstance(playability, dict)
    status = str(playability.get("status") or "")
    screen = playability.get("errorScreen") if isinstance(playability.get("errorScreen"), dict) else {}
    renderer = screen.get("playerErrorMessageRenderer") if isinstance(screen, dict) else None
    renderer = renderer if isinstance(renderer, dict) else {}
    words = " ".join(
        [str(playability.get("reason") or ""), _text(renderer.get("reason")), _text(renderer.get("subreason"))]
    ).lower().replace("\u2019", "'")
    if isinstance(screen, dict) and "playerCaptchaViewModel" in screen:
        return "captcha", "unknown"
    if status == "OK" or status == "LIVE_STREAM_OFFLINE":
        details = player.get("videoDetails") if isinstance(player.get("videoDetails"), dict) else {}
        assert isinstance(details, dict)
        if details.get("videoId") != native_id:
            return "another-video", "unknown"
        return "live", "live"
    aged = re.search(r"\bage\b|\bage-|inappropriate", words) is not None
    if "not a bot" in words or "try again later" in words or ("sign in to confirm you" in words and not aged):
        return "bot-check", "unknown"
    if "removed by the uploader" in words:
        return "removed-by-uploader", "deleted"
    if "terminated" in words or "no longer available because the youtube account" in words:
        return "account-terminated", "unavailable"
    if "has been removed" in words:
        return "removed", "deleted"
    if "private" in words:
        return "private", "unavailable"
    if aged or status.startswith("AGE_"):
        return "age-restricted", "unavailable"
    if "country" in words or "region" in words:
        return "region-blocked", "unavailable"
    if status in ("ERROR", "UNPLAYABLE"):
        return "unavailable", "unavailable"
    return "login-required" if status == "LOGIN_REQUIRED" else "no-answer", "unknown"


def _created_at(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        return value[:10]  # a date alone: no time is invented
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_player(player: dict[str, Any], native_id: str, endpoints: Mapping[str, str]) -> PostData:
    details: dict[str, Any] = player.get("videoDetails") or {}
    micro: dict[str, Any] = (player.get("microformat") or {}).get("playerMicroformatRenderer") or {}
    title = str(details.get("title") or _text(micro.get("title")) or "")
    description = str(details.get("shortDescription") or "")
    handle = handle_from_url(str(micro.get("ownerProfileUrl") or "").replace("http://", "https://"))
    return PostData(
        native_id=native_id,
        author_handle=handle or (str(details["channelId"]) if details.get("channelId") else None),
        author_name=str(details.get("author") or "") or None,
        text="\n\n".join(part for part in (title, description) if part),
        created_at=_created_at(micro.get("publishDate") or micro.get("uploadDate")),
        media=[MediaItem("poster", f"{endpoints['thumbnails']}/{native_id}/hqdefault.jpg", 480, 360)],
        media_page=canonical_url(native_id),
    )


def oembed_says(answer: SourceAnswer, native_id: str) -> tuple[str, Status]:
    body = answer.response.body if answer.response is not None else None
    text = (body or b"")[:200].decode("utf-8", "replace").strip()
    data = answer.json()
    if answer.status == 200 and data is not None:
        return ("live", "live") if native_id in str(data.get("html") or "") else ("another-video", "unknown")
    if text == "Forbidden" or answer.status == 403:
        return "private", "unavailable"
    if answer.status == 401:
        return "embedding-disabled", "live"
    if answer.status == 404:
        return "not-found", "unknown"  # deleted or never existed, or an error: not a sign alone
    return "no-answer", "unknown"


async def _ask(fetcher: Fetcher, source: str, url: str, kind: str) -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, kind, browser_ua=True))  # type: ignore[arg-type]
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    import asyncio

    watch_url = f"{endpoints['watch']}?{urlencode({'v': native_id, 'hl': 'en', 'has_verified': '1'})}"
    oembed_url = f"{endpoints['oembed']}?{urlencode({'url': canonical_url(native_id), 'format': 'json'})}"
    watch, oembed = await asyncio.gather(
        _ask(fetcher, "watch_page", watch_url, "html"), _ask(fetcher, "oembed", oembed_url, "json")
    )
    player = None
    if watch.response is not None and watch.status == 200:
        final_host = (urlsplit(watch.response.url).hostname or "").lower()
        if final_host.startswith("consent.") or "/sorry/" in watch.response.url:
            watch.says = "consent-or-sorry-page"
        else:
            player = player_response(watch.response.body or b"")
    verdict: Status = "unknown"
    data: PostData | None = None
    complete = False
    if player is not None:
        watch.says, verdict = playability_says(player, native_id)
        if verdict == "live":
            data, complete = parse_player(player, native_id, endpoints), True
    elif watch.says == "no-answer" and watch.response is not None:
        watch.says = "no-player-response" if watch.status == 200 else f"http-{watch.status}"
    oembed.says, oembed_verdict = oembed_says(oembed, native_id)
    if verdict == "unknown" and oembed_verdict in ("live", "unavailable"):
        verdict = oembed_verdict
        if verdict == "live":
            data = _sketch(oembed, native_id, endpoints)
    return PostFetch(NAME, native_id, verdict, data, [watch, oembed], complete=complete)


def _sketch(oembed: SourceAnswer, native_id: str, endpoints: Mapping[str, str]) -> PostData:
    body = oembed.json() or {}
    return PostData(
        native_id=native_id,
        author_handle=handle_from_url(str(body.get("author_url") or "")),
        author_name=str(body.get("author_name") or "") or None,
        text=str(body.get("title") or "") or None,
        created_at=None,
        media=[MediaItem("poster", f"{endpoints['thumbnails']}/{native_id}/hqdefault.jpg", 480, 360)],
        media_page=canonical_url(native_id),
    )

"""What TikTok says about a video, without a login (field guide §5.3), and the verdict.

Two sources, both kept as ``data`` captures:

- the **video page**'s rehydration JSON (``__UNIVERSAL_DATA_FOR_REHYDRATION__`` →
  ``webapp.video-detail``): ``statusCode`` 0 with the video is live; 10216 (private post)
  and 10222 (private account) are ``unavailable``, as is a video gated as not for every
  audience; 10204 is ambiguous (TikTok says it for deleted videos and for blocked
  addresses alike) and decides nothing alone. A redirect to ``/login`` or a page without
  the JSON (TikTok's script challenge) is ``unknown``.
- **oEmbed**: asked too; with a 10204 its 4xx (not a 429) says the video is not served to
  anyone (``unavailable``: removal and hiding look the same) and its 200 says live.

TikTok gives no positive sign of a deletion: no TikTok video is ever called ``deleted``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from ...errors import FetchError
from ..base import MediaItem, PostData, PostFetch, SourceAnswer, Status
from .patterns import NAME, canonical_url

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

ENDPOINTS: Mapping[str, str] = {
    "web": "https://www.tiktok.com",
    "oembed": "https://www.tiktok.com/oembed",
    "embed": "https://www.tiktok.com/embed/v2",
}
_UNIVERSAL = re.compile(
    r"<script[^>]+\bid=[\"']__UNIVERSAL_DATA_FOR_REHYDRATION__[\"'][^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE
)
PRIVATE_POST, PRIVATE_ACCOUNT, NOT_SERVED = 10216, 10222, 10204


def video_detail(html: bytes) -> dict[str, Any] | None:
    """``webapp.video-detail`` of a video page's rehydration JSON, or None when absent."""
    m = _UNIVERSAL.search(html.decode("utf-8", "replace"))
    if m is None:
        return None
    try:
        data = json.loads(m.group(1))
    except ValueError:
        return None
    scope = data.get("__DEFAULT_SCOPE__") if isinstance(data, dict) else None
    detail = scope.get("webapp.video-detail") if isinstance(scope, dict) else None
    return detail if isinstance(detail, dict) else None


def page_says(detail: dict[str, Any], native_id: str) -> tuple[str, Status]:
    code = detail.get("statusCode")
    item = ((detail.get("itemInfo") or {}).get("itemStruct") or {}) if isinstance(detail.get("itemInfo"), dict) else {}
    if code in (0, None) and isinstance(item, dict) and item:
        if str(item.get("id")) != native_id:
            return "another-video", "unknown"
        if not isinstance(item.get("video"), dict) and item.get("isContentClassified"):
            return "audience-gated", "unavailable"
        return ("live", "live") if isinstance(item.get("video"), dict) else ("no-video", "unknown")
    if code == PRIVATE_POST:
        return "private-post", "unavailable"
    if code == PRIVATE_ACCOUNT:
        return "private-account", "unavailable"
    if code == NOT_SERVED:
        return "not-served", "unknown"
    return f"status-{code}", "unknown"


def parse_item(item: dict[str, Any], native_id: str) -> PostData:
    author: dict[str, Any] = item.get("author") if isinstance(item.get("author"), dict) else {}  # type: ignore[assignment]
    video: dict[str, Any] = item.get("video") or {}
    handle = str(author.get("uniqueId") or "") or None
    created = item.get("createTime")
    created_at = None
    if str(created or "").isdigit():
        created_at = datetime.fromtimestamp(int(str(created)), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    cover = next((str(video[k]) for k in ("originCover", "cover") if video.get(k)), None)
    return PostData(
        native_id=native_id,
        author_handle=handle,
        author_name=str(author.get("nickname") or "") or None,
        text=str(item.get("desc") or ""),
        created_at=created_at,
        media=[MediaItem("poster", cover)] if cover else [],
        media_page=canonical_url(native_id, handle),
    )


async def _ask(fetcher: Fetcher, source: str, url: str, kind: str) -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, kind, browser_ua=True))  # type: ignore[arg-type]
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
    page_url = f"{endpoints['web']}/@_/video/{native_id}"
    oembed_url = f"{endpoints['oembed']}?{urlencode({'url': canonical_url(native_id, None)})}"
    page, oembed = await asyncio.gather(_ask(fetcher, "page", page_url, "html"), _ask(fetcher, "oembed", oembed_url, "json"))
    verdict: Status = "unknown"
    data: PostData | None = None
    if page.response is not None:
        path = urlsplit(page.response.url).path
        detail = video_detail(page.response.body or b"") if page.status == 200 else None
        if path.startswith("/login"):
            page.says = "login-wall"
        elif detail is not None:
            page.says, verdict = page_says(detail, native_id)
            if verdict == "live":
                data = parse_item(detail["itemInfo"]["itemStruct"], native_id)
        else:
            page.says = "script-challenge" if page.status == 200 else f"http-{page.status}"
    body = oembed.json()
    if oembed.status == 200 and body is not None:
        oembed.says = "live" if native_id in str(body.get("html") or "") else "another-video"
    elif oembed.status is not None and 400 <= oembed.status < 500 and oembed.status != 429:
        oembed.says = "not-served"
    if page.says == "not-served" and oembed.says == "not-served":
        verdict = "unavailable"  # gone for everyone: deleted, or hidden; TikTok does not say which
    elif verdict == "unknown" and page.says == "not-served" and oembed.says == "live":
        verdict = "live"  # served to others: this address is blocked
    return PostFetch(NAME, native_id, verdict, data, [page, oembed], complete=data is not None)

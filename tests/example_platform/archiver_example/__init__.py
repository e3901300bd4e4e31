"""Example Social for archiver: a whole platform in one module, found by its entry point.

Everything archiver needs to know about the platform is here: its URLs, its embeds (a
``div.exs-post`` its ``widget.js`` turns into a card, recorded as the form
``exs_widget``, a word of this platform's own), its API and the verdict it gives, its
card and its media. Post ids are short numbers, as Telegram's are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from archiver.errors import FetchError
from archiver.platforms.base import POST_LINK, CardSpec, FoundEmbed, MediaItem, PostData, PostFetch, SourceAnswer

SITE = "example-social.net"
_POST_URL = re.compile(r"https?://(?:www\.)?example-social\.net/@(\w{1,30})/(\d{1,12})(?![\w/])")
_EMBED_URL = re.compile(r"^https?://example-social\.net/embed/(\d{1,12})(?:[?#].*)?$")
_API_URL = re.compile(r"/v1/posts/(\d{1,12})(?:[?#].*)?$")
_WIDGET = re.compile(r'<div class="exs-post" data-exs-post="([^"]+)"')


class ExampleSocial:
    name = "example"
    endpoints: Mapping[str, str] = {"api": "https://api.example-social.net/v1/posts", "embed": f"https://{SITE}/embed"}
    card = CardSpec(selector=".exs-card", ready="() => !!document.querySelector('.exs-card[data-ready]')",
                    pending="div.exs-post")

    def post_id_from_url(self, url: str) -> str | None:
        m = _POST_URL.match(url.strip())
        return m.group(2) if m else None

    def handle_from_url(self, url: str) -> str | None:
        m = _POST_URL.match(url.strip())
        return m.group(1) if m else None

    def resolvable_link(self, url: str) -> str | None:
        return None

    def next_hop(self, response: Any) -> str | None:
        return None

    def find_in_html(self, html: str, base_url: str) -> list[FoundEmbed]:
        found: list[FoundEmbed] = []
        widgets = set()
        for m in _WIDGET.finditer(html):
            native_id = self.post_id_from_url(m.group(1))
            if native_id:
                widgets.add(native_id)
                found.append(FoundEmbed(self.name, m.group(1), "exs_widget", native_id))
        for m in _POST_URL.finditer(html):
            if m.group(2) not in widgets:
                found.append(FoundEmbed(self.name, m.group(0), POST_LINK, m.group(2)))
        return found

    def find_in_text(self, text: str) -> list[FoundEmbed]:
        return [FoundEmbed(self.name, m.group(0), POST_LINK, m.group(2)) for m in _POST_URL.finditer(text)]

    async def fetch_post(self, fetcher: Any, native_id: str, endpoints: Mapping[str, str]) -> PostFetch:
        url = f"{endpoints['api']}/{native_id}"
        try:
            answer = SourceAnswer("api", url, await fetcher.get(url, "json"))
        except FetchError as e:
            answer = SourceAnswer("api", url, None, str(e))
        body = answer.json()
        status = answer.status
        data = None
        if status == 200 and body and body.get("id") == native_id:
            answer.says, verdict = "live", "live"
            author: dict[str, Any] = body.get("author") or {}  # type: ignore[assignment]
            data = PostData(
                native_id, author.get("handle"), author.get("name"), str(body.get("text") or ""),
                str(body.get("created_at") or "") or None,
                media=[MediaItem("photo", str(u)) for u in body.get("photos") or []],  # type: ignore[attr-defined]
            )
        elif status == 404 and body == {"error": "not found"}:
            answer.says, verdict = "gone", "deleted"
        elif status == 403:
            answer.says, verdict = "private", "unavailable"
        else:
            answer.says, verdict = "no-answer", "unknown"
        return PostFetch(self.name, native_id, verdict, data, [answer], complete=data is not None)  # type: ignore[arg-type]

    def canonical_url(self, native_id: str, handle: str | None) -> str:
        return f"https://{SITE}/@{handle or 'i'}/{native_id}"

    def created_at_from_id(self, native_id: str) -> str | None:
        return None

    def card_url(self, native_id: str, endpoints: Mapping[str, str]) -> str | None:
        return f"{endpoints['embed']}/{native_id}"

    def card_in_frame(self, url: str) -> str | None:
        m = _EMBED_URL.match(url)
        return m.group(1) if m else None

    sources: Mapping[str, str] = {"api": "Example Social's API"}

    def unavailable_reason(self, signals: Mapping[str, Mapping[str, object]]) -> str | None:
        return "its account is private" if any(s.get("says") == "private" for s in signals.values()) else None

    def names_post(self, url: str, native_id: str) -> bool:
        for pattern in (_EMBED_URL, _API_URL):
            m = pattern.search(url)
            if m and m.group(1) == native_id:
                return True
        return self.post_id_from_url(url) == native_id


PLATFORM = ExampleSocial()

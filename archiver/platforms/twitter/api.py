"""Fetching a post's data: the syndication API first, oEmbed only when needed.

Each raw response is returned with its blob so the pipeline can keep it as a
``data`` capture; the verdict follows the field guide's rules (parse.classify).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ...config import Endpoints
from ...errors import FetchError
from ...plumbing.net import Fetcher, Response
from ..base import PostData, Status
from .parse import classify, needs_oembed, parse_oembed, parse_syndication
from .patterns import canonical_url
from .token import syndication_token


@dataclass
class SourceAnswer:
    source: str
    """'syndication' or 'oembed'."""
    url: str
    response: Response | None
    error: str | None = None
    """Why there is no response (timeout, reset, cap)."""
    _parsed: dict[str, object] | None = field(default=None, init=False, repr=False, compare=False)
    _was_parsed: bool = field(default=False, init=False, repr=False, compare=False)

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    def says(self) -> str:
        """This source's own verdict: live, gone, unavailable, or no-answer."""
        status, body = self.status, self.json()
        if status is None or status == 429 or status >= 500:
            return "no-answer"
        if status == 200 and body:
            if body.get("__typename") == "TweetTombstone":
                return "unavailable"
            return "live" if (self.source == "oembed" or body.get("id_str")) else "no-answer"
        if status == 403:
            return "unavailable"
        if status == 404 or (status == 200 and body == {}):
            return "gone"
        return "no-answer"

    def json(self) -> dict[str, object] | None:
        """The body as a JSON object, parsed once (a sweep asks for it several times a check)."""
        if not self._was_parsed:
            self._parsed, self._was_parsed = self._parse(), True
        return self._parsed

    def _parse(self) -> dict[str, object] | None:
        if self.response is None or not self.response.body:
            return None
        try:
            value = json.loads(self.response.body)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


@dataclass
class PostFetch:
    native_id: str
    status: Status
    data: PostData | None
    answers: list[SourceAnswer] = field(default_factory=list)

    @property
    def from_syndication(self) -> bool:
        """Whether ``data`` is the syndication API's full record, not oEmbed's sketch."""
        return bool(self.answers) and self.answers[0].source == "syndication" and self.answers[0].says() == "live"

    @property
    def signals(self) -> dict[str, object]:
        """Each source's HTTP status (None: no answer, with the error) and what it says."""
        return {
            a.source: {"status": a.status, "says": a.says(), **({"error": a.error} if a.error else {})}
            for a in self.answers
        }


def syndication_url(endpoints: Endpoints, native_id: str) -> str:
    query = urlencode({"id": native_id, "lang": "en", "token": syndication_token(native_id)})
    return f"{endpoints.syndication}?{query}"


def oembed_url(endpoints: Endpoints, native_id: str) -> str:
    query = urlencode({"url": canonical_url(native_id, None), "omit_script": "1", "dnt": "true"})
    return f"{endpoints.oembed}?{query}"


async def _ask(fetcher: Fetcher, source: str, url: str) -> SourceAnswer:
    try:
        return SourceAnswer(source, url, await fetcher.get(url, "json"))
    except FetchError as e:
        return SourceAnswer(source, url, None, str(e))


async def fetch_post(fetcher: Fetcher, native_id: str) -> PostFetch:
    endpoints = fetcher.settings.endpoints
    syndication = await _ask(fetcher, "syndication", syndication_url(endpoints, native_id))
    answers = [syndication]
    synd_signal = (syndication.status, syndication.json())
    oembed: SourceAnswer | None = None
    if needs_oembed(synd_signal):
        oembed = await _ask(fetcher, "oembed", oembed_url(endpoints, native_id))
        answers.append(oembed)
    oembed_signal = (oembed.status, oembed.json()) if oembed else None
    status = classify(synd_signal, oembed_signal)
    data: PostData | None = None
    synd_json = synd_signal[1]
    if status == "live" and synd_json and synd_json.get("__typename") != "TweetTombstone" and synd_json.get("id_str"):
        data = parse_syndication(synd_json, native_id)
    elif oembed_signal and oembed_signal[0] == 200 and oembed_signal[1]:
        # oEmbed is the fallback source of text and author when syndication gave none.
        data = parse_oembed(oembed_signal[1], native_id)
    return PostFetch(native_id, status, data, answers)

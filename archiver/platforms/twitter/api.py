"""Fetching a post's data: the syndication API first, oEmbed only when needed.

Each raw response is returned with its blob so the pipeline can keep it as a
``data`` capture; the verdict follows the field guide's two-source rule (parse.classify):
a post is deleted only when syndication and oEmbed both say it is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from ...errors import FetchError
from ..base import PostData, PostFetch, SourceAnswer
from .parse import classify, needs_oembed, parse_oembed, parse_syndication
from .patterns import canonical_url
from .token import syndication_token

if TYPE_CHECKING:
    from ...plumbing.net import Fetcher

PLATFORM_NAME = "twitter"

ENDPOINTS: Mapping[str, str] = {
    "syndication": "https://cdn.syndication.twimg.com/tweet-result",
    "oembed": "https://publish.twitter.com/oembed",
    "embed": "https://platform.twitter.com/embed/Tweet.html",
}
"""Where the post's data and card are. Only a replica or a mirror would change these
(Settings.endpoints["twitter"])."""


def says(answer: SourceAnswer) -> str:
    """One source's own verdict: live, gone, unavailable, or no-answer."""
    status, body = answer.status, answer.json()
    if status is None or status == 429 or status >= 500:
        return "no-answer"
    if status == 200 and body:
        if body.get("__typename") == "TweetTombstone":
            return "unavailable"
        return "live" if (answer.source == "oembed" or body.get("id_str")) else "no-answer"
    if status == 403:
        return "unavailable"
    if status == 404 or (status == 200 and body == {}):
        return "gone"
    return "no-answer"


def syndication_url(endpoints: Mapping[str, str], native_id: str) -> str:
    query = urlencode({"id": native_id, "lang": "en", "token": syndication_token(native_id)})
    return f"{endpoints['syndication']}?{query}"


def oembed_url(endpoints: Mapping[str, str], native_id: str) -> str:
    query = urlencode({"url": canonical_url(native_id, None), "omit_script": "1", "dnt": "true"})
    return f"{endpoints['oembed']}?{query}"


async def _ask(fetcher: Fetcher, source: str, url: str) -> SourceAnswer:
    try:
        answer = SourceAnswer(source, url, await fetcher.get(url, "json"))
    except FetchError as e:
        answer = SourceAnswer(source, url, None, str(e))
    answer.says = says(answer)
    return answer


async def fetch_post(fetcher: Fetcher, native_id: str, endpoints: Mapping[str, str] = ENDPOINTS) -> PostFetch:
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
    # Only syndication's record is the whole post; oEmbed's is a sketch a sweep must
    # not compare with the last capture (it would look like an edit).
    complete = syndication.says == "live"
    return PostFetch(PLATFORM_NAME, native_id, status, data, answers, complete=complete)

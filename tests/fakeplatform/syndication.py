"""JSON bodies of the two data APIs: syndication ``tweet-result`` and ``oembed``.

Shapes follow field guide §3 (and react-tweet's types, which the guide cites); field
names and nesting must stay exactly as the real API's, since that is what the archiver
parses.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from .pages import blockquote, post_date_text
from .world import Media, Post, World

TOMBSTONE_TEXT = {
    "protected": "You’re unable to view this Post because this account owner limits who can view their Posts. Learn more",
    "suspended": "This Post is from a suspended account. Learn more",
    "unavailable": "This Post is unavailable. Learn more",
}
OEMBED_403 = "Sorry, you are not authorized to see this status."

_TOKEN_RE = re.compile(r"https://t\.co/(\w+)|#(\w+)|@(\w+)")


def iso(ts: dt.datetime) -> str:
    return ts.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def full_text(post: Post) -> str:
    """What the API's ``text`` holds: the words, then the media's t.co link."""
    if post.media and post.media_code:
        return f"{post.text} https://t.co/{post.media_code}"
    return post.text


def display_url(url: str) -> str:
    short = re.sub(r"^https?://(www\.)?", "", url)
    return short if len(short) <= 26 else short[:25] + "…"


def _user(world: World, post: Post) -> dict[str, Any]:
    u = post.user
    return {
        "id_str": u.id_str,
        "name": u.name,
        "profile_image_url_https": u.profile_image_url_https,
        "profile_image_shape": "Circle",
        "screen_name": u.screen_name,
        "verified": u.verified,
        "is_blue_verified": u.is_blue_verified,
    }


def _entities(world: World, post: Post) -> dict[str, Any]:
    text = full_text(post)
    short = dict(post.urls)
    urls: list[dict[str, Any]] = []
    hashtags: list[dict[str, Any]] = []
    mentions: list[dict[str, Any]] = []
    for m in _TOKEN_RE.finditer(text):
        span = [m.start(), m.end()]
        if m.group(1) and m.group(1) in short:
            target = short[m.group(1)]
            urls.append({"display_url": display_url(target), "expanded_url": target, "indices": span, "url": m.group(0)})
        elif m.group(2):
            hashtags.append({"indices": span, "text": m.group(2)})
        elif m.group(3):
            known = world.user_by_handle(m.group(3))
            mentions.append(
                {
                    "id_str": known.id_str if known else str(abs(hash(m.group(3))) % 10**9),
                    "indices": span,
                    "name": known.name if known else m.group(3),
                    "screen_name": known.screen_name if known else m.group(3),
                }
            )
    out: dict[str, Any] = {"hashtags": hashtags, "urls": urls, "user_mentions": mentions, "symbols": []}
    if post.media and post.media_code:
        link = f"https://t.co/{post.media_code}"
        start = text.rindex(link)
        out["media"] = [
            {
                "display_url": f"pic.twitter.com/{post.media_code}",
                "expanded_url": _media_expanded(post, i, m),
                "indices": [start, start + len(link)],
                "url": link,
            }
            for i, m in enumerate(post.media)
        ]
    return out


def _media_expanded(post: Post, index: int, media: Media) -> str:
    kind = "photo" if media.kind == "photo" else "video"
    return f"{post.status_url}/{kind}/{index + 1}"


def _ratio(w: int, h: int) -> list[int]:
    g = math.gcd(w, h) or 1
    return [w // g, h // g]


def _sizes(m: Media) -> dict[str, Any]:
    def fit(limit: int) -> dict[str, Any]:
        scale = min(1.0, limit / max(m.width, m.height))
        return {"h": round(m.height * scale), "resize": "fit", "w": round(m.width * scale)}

    return {"large": fit(2048), "medium": fit(1200), "small": fit(680), "thumb": {"h": 150, "resize": "crop", "w": 150}}


def _media_details(post: Post) -> list[dict[str, Any]]:
    text = full_text(post)
    link = f"https://t.co/{post.media_code}"
    start = text.rindex(link) if link in text else 0
    out = []
    for i, m in enumerate(post.media):
        item: dict[str, Any] = {
            "display_url": f"pic.twitter.com/{post.media_code}",
            "expanded_url": _media_expanded(post, i, m),
            "ext_media_availability": {"status": "Available"},
            "indices": [start, start + len(link)],
            "media_url_https": m.media_url_https,
            "original_info": {"height": m.height, "width": m.width, "focus_rects": []},
            "sizes": _sizes(m),
            "type": m.kind,
            "url": link,
        }
        if m.alt_text:
            item["ext_alt_text"] = m.alt_text
        if m.kind != "photo":
            info: dict[str, Any] = {"aspect_ratio": _ratio(m.width, m.height), "variants": m.variants()}
            if m.kind == "video":
                info["duration_millis"] = m.duration_ms
            item["video_info"] = info
        out.append(item)
    return out


def _photos(post: Post) -> list[dict[str, Any]]:
    out = []
    for i, m in enumerate(post.media):
        if m.kind != "photo":
            continue
        out.append(
            {
                "backgroundColor": {"red": 204, "green": 214, "blue": 221},
                "cropCandidates": [{"x": 0, "y": 0, "w": m.width, "h": m.height}],
                "expandedUrl": _media_expanded(post, i, m),
                "url": m.media_url_https,
                "width": m.width,
                "height": m.height,
            }
        )
    return out


def _video(post: Post) -> dict[str, Any] | None:
    m = next((m for m in post.media if m.kind != "photo"), None)
    if m is None:
        return None
    return {
        "aspectRatio": _ratio(m.width, m.height),
        "contentType": "gif" if m.kind == "animated_gif" else "media_entity",
        "durationMs": m.duration_ms if m.kind == "video" else 0,
        "mediaAvailability": {"status": "available"},
        "poster": m.media_url_https,
        "variants": [{"type": v["content_type"], "src": v["url"]} for v in m.variants()],
        "videoId": {"type": "tweet", "id": str(post.id)},
        "viewCount": 0,
    }


def _base(world: World, post: Post) -> dict[str, Any]:
    text = full_text(post)
    created_ms = int(post.created_at.timestamp() * 1000)
    return {
        "lang": post.lang,
        "created_at": iso(post.created_at),
        "display_text_range": [0, len(post.text)],
        "entities": _entities(world, post),
        "id_str": str(post.id),
        "text": text,
        "user": _user(world, post),
        "edit_control": {
            "edit_tweet_ids": [str(post.id)],
            "editable_until_msecs": str(created_ms + 3_600_000),
            "is_edit_eligible": True,
            "edits_remaining": "5",
        },
        "isEdited": post.is_edited,
        "isStaleEdit": False,
    }


def tweet_result(world: World, post: Post) -> dict[str, Any]:
    """The live-post body. ``post`` is what :meth:`World.resolve_post` returned."""
    data: dict[str, Any] = {"__typename": "Tweet", **_base(world, post)}
    data["favorite_count"] = post.favorite_count
    data["conversation_count"] = post.conversation_count
    data["news_action_type"] = "conversation"
    data["possibly_sensitive"] = post.possibly_sensitive
    if post.media:
        data["mediaDetails"] = _media_details(post)
        data["photos"] = _photos(post)
        video = _video(post)
        if video:
            data["video"] = video
    if post.parent_id is not None:
        parent = world.posts.get(post.parent_id)
        if parent is not None:
            data["in_reply_to_screen_name"] = parent.user.screen_name
            data["in_reply_to_status_id_str"] = str(parent.id)
            data["in_reply_to_user_id_str"] = parent.user.id_str
            if parent.status == "live":
                data["parent"] = {
                    **_base(world, parent),
                    "reply_count": parent.conversation_count,
                    "retweet_count": 0,
                    "favorite_count": parent.favorite_count,
                }
    if post.quoted_id is not None:
        quoted = world.posts.get(post.quoted_id)
        if quoted is not None and quoted.status == "live":
            q: dict[str, Any] = {
                **_base(world, quoted),
                "reply_count": quoted.conversation_count,
                "retweet_count": 0,
                "favorite_count": quoted.favorite_count,
                "self_thread": {"id_str": str(quoted.id)},
            }
            if quoted.media:
                q["mediaDetails"] = _media_details(quoted)
            data["quoted_tweet"] = q
    return data


def tombstone(status: str) -> dict[str, Any]:
    text = TOMBSTONE_TEXT.get(status, TOMBSTONE_TEXT["unavailable"])
    learn = text.rindex("Learn more")
    return {
        "__typename": "TweetTombstone",
        "tombstone": {
            "text": {
                "text": text,
                "entities": [
                    {
                        "from_index": learn,
                        "to_index": len(text),
                        "ref": {"__typename": "TimelineUrl", "url": "https://help.twitter.com/rules-and-policies/notices-on-twitter", "url_type": "ExternalUrl"},
                    }
                ],
                "rtl": False,
            }
        },
    }


def oembed(world: World, post: Post, omit_script: bool) -> dict[str, Any]:
    handle = post.user.screen_name
    return {
        "url": post.status_url,
        "author_name": post.user.name,
        "author_url": f"https://twitter.com/{handle}",
        "html": blockquote(post, full_text(post), dict(post.urls), script=not omit_script) + "\n\n",
        "width": 550,
        "height": None,
        "type": "rich",
        "cache_age": "3153600000",
        "provider_name": "Twitter",
        "provider_url": "https://twitter.com",
        "version": "1.0",
    }


__all__ = ["tweet_result", "tombstone", "oembed", "full_text", "post_date_text", "OEMBED_403"]

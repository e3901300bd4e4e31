"""Reading syndication and oEmbed answers, and the status verdict."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from archiver.platforms.base import MediaItem
from archiver.platforms.twitter import (
    best_video_variant,
    classify,
    needs_oembed,
    normalise_time,
    parse_oembed,
    parse_syndication,
    photo_original_url,
)

ID = "1612558357623734272"

LIVE_PHOTOS: dict[str, Any] = {
    "__typename": "Tweet",
    "lang": "es",
    "favorite_count": 1520,
    "possibly_sensitive": False,
    "created_at": "2023-01-09T21:14:07.000Z",
    "display_text_range": [0, 163],
    "entities": {
        "hashtags": [],
        "urls": [],
        "user_mentions": [],
        "symbols": [],
        "media": [{"display_url": "pic.twitter.com/G0EWr9QwxH", "expanded_url": "https://twitter.com/KawsachunNews/status/1612558357623734272/photo/1", "indices": [164, 187], "url": "https://t.co/G0EWr9QwxH"}],
    },
    "id_str": ID,
    "text": "Peru: Protesters are arriving at the Carlos Monge hospital following the massacre carried out by the coup regime in the town of Juliaca. 9 dead and 20 injured so far. https://t.co/G0EWr9QwxH",
    "user": {
        "id_str": "1056648998013120513",
        "name": "Kawsachun News",
        "profile_image_url_https": "https://pbs.twimg.com/profile_images/1/abc_normal.jpg",
        "screen_name": "KawsachunNews",
        "verified": False,
        "is_blue_verified": False,
    },
    "edit_control": {"edit_tweet_ids": [ID], "editable_until_msecs": "1673300647000", "is_edit_eligible": True, "edits_remaining": "5"},
    "mediaDetails": [
        {
            "display_url": "pic.twitter.com/G0EWr9QwxH",
            "expanded_url": "https://twitter.com/KawsachunNews/status/1612558357623734272/photo/1",
            "ext_media_availability": {"status": "Available"},
            "indices": [164, 187],
            "media_url_https": "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA.jpg",
            "original_info": {"height": 1200, "width": 1600},
            "sizes": {},
            "type": "photo",
            "url": "https://t.co/G0EWr9QwxH",
            "ext_alt_text": "Crowd outside a hospital",
        },
        {
            "display_url": "pic.twitter.com/G0EWr9QwxH",
            "expanded_url": "https://twitter.com/KawsachunNews/status/1612558357623734272/photo/2",
            "media_url_https": "https://pbs.twimg.com/media/FmE4GaXXoAAbCdE.png",
            "original_info": {"height": 720, "width": 960},
            "type": "photo",
            "url": "https://t.co/G0EWr9QwxH",
        },
    ],
    "photos": [
        {"backgroundColor": {"red": 0, "green": 0, "blue": 0}, "cropCandidates": [], "expandedUrl": "https://twitter.com/KawsachunNews/status/1612558357623734272/photo/1", "url": "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA.jpg", "width": 1600, "height": 1200},
    ],
    "conversation_count": 31,
    "news_action_type": "conversation",
    "isEdited": False,
    "isStaleEdit": False,
}

VIDEO_MEDIA: dict[str, Any] = {
    "type": "video",
    "media_url_https": "https://pbs.twimg.com/ext_tw_video_thumb/1612555400000000000/pu/img/AbCdEfGh.jpg",
    "original_info": {"height": 720, "width": 1280},
    "url": "https://t.co/VVVV2222",
    "video_info": {
        "aspect_ratio": [16, 9],
        "duration_millis": 30000,
        "variants": [
            {"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/ext_tw_video/1612555400000000000/pu/pl/abc.m3u8?tag=12"},
            {"bitrate": 256000, "content_type": "video/mp4", "url": "https://video.twimg.com/ext_tw_video/1612555400000000000/pu/vid/480x270/low.mp4?tag=12"},
            {"bitrate": 2176000, "content_type": "video/mp4", "url": "https://video.twimg.com/ext_tw_video/1612555400000000000/pu/vid/1280x720/high.mp4?tag=12"},
            {"bitrate": 832000, "content_type": "video/mp4", "url": "https://video.twimg.com/ext_tw_video/1612555400000000000/pu/vid/640x360/mid.mp4?tag=12"},
        ],
    },
}

GIF_MEDIA: dict[str, Any] = {
    "type": "animated_gif",
    "media_url_https": "https://pbs.twimg.com/tweet_video_thumb/FmGifAbcXYZ.jpg",
    "original_info": {"height": 270, "width": 480},
    "video_info": {"aspect_ratio": [16, 9], "variants": [{"bitrate": 0, "content_type": "video/mp4", "url": "https://video.twimg.com/tweet_video/FmGifAbcXYZ.mp4"}]},
}


def live_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(LIVE_PHOTOS)
    data.update(changes)
    return data


# --- syndication -----------------------------------------------------------


def test_live_post_with_photos() -> None:
    post = parse_syndication(LIVE_PHOTOS, ID)
    assert post.native_id == ID
    assert post.author_handle == "KawsachunNews"
    assert post.author_name == "Kawsachun News"
    assert post.text is not None and post.text.startswith("Peru: Protesters")
    assert post.created_at == "2023-01-09T21:14:07Z"
    assert post.lang == "es"
    assert post.requested_id is None
    assert post.quoted is None and post.quoted_id is None
    assert post.media == [
        MediaItem(kind="photo", url="https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?format=jpg&name=orig", width=1600, height=1200, alt_text="Crowd outside a hospital"),
        MediaItem(kind="photo", url="https://pbs.twimg.com/media/FmE4GaXXoAAbCdE?format=png&name=orig", width=960, height=720),
    ]


def test_created_at_falls_back_to_the_snowflake() -> None:
    data = live_with()
    del data["created_at"]
    assert parse_syndication(data, ID).created_at == "2023-01-09T21:14:07Z"
    data["created_at"] = "garbage"
    assert parse_syndication(data, ID).created_at == "2023-01-09T21:14:07Z"


def test_long_post_text() -> None:
    nested = live_with(note_tweet={"note_tweet_results": {"result": {"text": "The whole long text"}}})
    assert parse_syndication(nested, ID).text == "The whole long text"
    flat = live_with(note_tweet={"id": "Tm90ZVR3ZWV0OjE=", "text": "Flat long text"})
    assert parse_syndication(flat, ID).text == "Flat long text"
    id_only = live_with(note_tweet={"id": "Tm90ZVR3ZWV0OjE="})
    assert parse_syndication(id_only, ID).text == LIVE_PHOTOS["text"]


def test_video_variant_choice_and_poster() -> None:
    post = parse_syndication(live_with(mediaDetails=[VIDEO_MEDIA]), ID)
    assert post.media == [
        MediaItem(kind="video", url="https://video.twimg.com/ext_tw_video/1612555400000000000/pu/vid/1280x720/high.mp4?tag=12", width=1280, height=720, content_type="video/mp4", bitrate=2176000),
        MediaItem(kind="poster", url="https://pbs.twimg.com/ext_tw_video_thumb/1612555400000000000/pu/img/AbCdEfGh.jpg", width=1280, height=720),
    ]


def test_video_tie_broken_by_size_in_url() -> None:
    variants = [
        {"bitrate": 2176000, "content_type": "video/mp4", "url": "https://video.twimg.com/amplify_video/1/vid/avc1/640x360/a.mp4"},
        {"bitrate": 2176000, "content_type": "video/mp4", "url": "https://video.twimg.com/amplify_video/1/vid/avc1/1920x1080/b.mp4"},
        {"bitrate": 2176000, "content_type": "video/mp4", "url": "https://video.twimg.com/amplify_video/1/vid/avc1/1280x720/c.mp4"},
        {"content_type": "application/x-mpegURL", "url": "https://video.twimg.com/amplify_video/1/pl/x.m3u8"},
    ]
    chosen = best_video_variant(variants)
    assert chosen is not None and chosen["url"].endswith("/1920x1080/b.mp4")
    media = dict(VIDEO_MEDIA, video_info={"variants": variants})
    [video, poster] = parse_syndication(live_with(mediaDetails=[media]), ID).media
    assert (video.width, video.height, video.bitrate) == (1920, 1080, 2176000)
    assert poster.kind == "poster"


def test_higher_bitrate_beats_larger_size() -> None:
    variants = [
        {"bitrate": 950000, "content_type": "video/mp4", "url": "https://video.twimg.com/v/1920x1080/a.mp4"},
        {"bitrate": 2000000, "content_type": "video/mp4", "url": "https://video.twimg.com/v/1280x720/b.mp4"},
    ]
    chosen = best_video_variant(variants)
    assert chosen is not None and chosen["url"].endswith("/1280x720/b.mp4")


def test_animated_gif() -> None:
    post = parse_syndication(live_with(mediaDetails=[GIF_MEDIA]), ID)
    assert post.media == [
        # No /WxH/ in a GIF's URL: the size comes from original_info.
        MediaItem(kind="video", url="https://video.twimg.com/tweet_video/FmGifAbcXYZ.mp4", width=480, height=270, content_type="video/mp4", bitrate=0),
        MediaItem(kind="poster", url="https://pbs.twimg.com/tweet_video_thumb/FmGifAbcXYZ.jpg", width=480, height=270),
    ]


def test_video_with_only_a_playlist() -> None:
    media = dict(VIDEO_MEDIA, video_info={"variants": [VIDEO_MEDIA["video_info"]["variants"][0]]})
    [video, _poster] = parse_syndication(live_with(mediaDetails=[media]), ID).media
    assert video.content_type == "application/x-mpegURL"
    assert video.bitrate is None


def test_media_summaries_without_media_details() -> None:
    data = live_with()
    del data["mediaDetails"]
    data["video"] = {
        "poster": "https://pbs.twimg.com/amplify_video_thumb/1/img/p.jpg",
        "variants": [
            {"type": "application/x-mpegURL", "src": "https://video.twimg.com/amplify_video/1/pl/x.m3u8"},
            {"type": "video/mp4", "src": "https://video.twimg.com/amplify_video/1/vid/320x180/a.mp4"},
            {"type": "video/mp4", "src": "https://video.twimg.com/amplify_video/1/vid/1280x720/b.mp4"},
        ],
    }
    media = parse_syndication(data, ID).media
    assert [(m.kind, m.url) for m in media] == [
        ("photo", "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?format=jpg&name=orig"),
        ("video", "https://video.twimg.com/amplify_video/1/vid/1280x720/b.mp4"),
        ("poster", "https://pbs.twimg.com/amplify_video_thumb/1/img/p.jpg"),
    ]


def test_photo_urls() -> None:
    assert photo_original_url("https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA.jpg") == "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?format=jpg&name=orig"
    assert photo_original_url("http://pbs.twimg.com/media/FmE4FJhWYAEJ9kA.jpg:large") == "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?format=jpg&name=orig"
    assert photo_original_url("https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?format=webp&name=small") == "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?format=webp&name=orig"
    for other in (
        "https://pbs.twimg.com/ext_tw_video_thumb/1/pu/img/a.jpg",
        "https://pbs.twimg.com/card_img/1/abc?format=jpg&name=600x314",
        "https://example.com/media/a.jpg",
        "https://pbs.twimg.com/media/FmE4FJhWYAEJ9kA?name=small",
    ):
        assert photo_original_url(other) == other


def test_quoted_post() -> None:
    quoted = {
        "lang": "en",
        "reply_count": 3,
        "retweet_count": 10,
        "favorite_count": 50,
        "created_at": "2023-01-09T18:00:00.000Z",
        "id_str": "1612509000000000000",
        "text": "The original report https://t.co/Q1",
        "user": {"name": "Original", "screen_name": "original_acct"},
        "mediaDetails": [dict(LIVE_PHOTOS["mediaDetails"][1])],
        "self_thread": {"id_str": "1612509000000000000"},
    }
    post = parse_syndication(live_with(quoted_tweet=quoted), ID)
    assert post.quoted_id == "1612509000000000000"
    assert post.quoted is not None
    assert post.quoted.native_id == "1612509000000000000"
    assert post.quoted.author_handle == "original_acct"
    assert post.quoted.created_at == "2023-01-09T18:00:00Z"
    assert post.quoted.requested_id is None
    assert [m.url for m in post.quoted.media] == ["https://pbs.twimg.com/media/FmE4GaXXoAAbCdE?format=png&name=orig"]


def test_quoted_post_that_is_gone_keeps_its_id() -> None:
    post = parse_syndication(live_with(quoted_tweet={"__typename": "TweetTombstone", "id_str": "1612509000000000000"}), ID)
    assert post.quoted_id == "1612509000000000000"
    assert post.quoted is None


def test_repost_answers_with_the_original() -> None:
    post = parse_syndication(LIVE_PHOTOS, "1612600000000000000")
    assert post.native_id == ID
    assert post.requested_id == "1612600000000000000"


@pytest.mark.parametrize(
    "body",
    [{}, {"__typename": "TweetTombstone", "tombstone": {"text": {"text": "This Post is from an account that no longer exists."}}}, [], None, "x"],
)
def test_non_posts_raise(body: Any) -> None:
    with pytest.raises(ValueError):
        parse_syndication(body, ID)


def test_normalise_time() -> None:
    assert normalise_time("2023-01-09T21:14:07.000Z") == "2023-01-09T21:14:07Z"
    assert normalise_time("2023-01-09T21:14:07Z") == "2023-01-09T21:14:07Z"
    assert normalise_time("2023-01-09T16:14:07-05:00") == "2023-01-09T21:14:07Z"
    assert normalise_time("Mon Jan 09 21:14:07 +0000 2023") == "2023-01-09T21:14:07Z"
    assert normalise_time("") is None
    assert normalise_time(None) is None
    assert normalise_time("yesterday") is None


# --- oEmbed ----------------------------------------------------------------

OEMBED: dict[str, Any] = {
    "url": f"https://twitter.com/KawsachunNews/status/{ID}",
    "author_name": "Kawsachun News",
    "author_url": "https://twitter.com/KawsachunNews",
    "html": (
        '<blockquote class="twitter-tweet"><p lang="es" dir="ltr">Peru: Protesters are arriving.<br><br>'
        '9 dead so far. <a href="https://t.co/G0EWr9QwxH">pic.twitter.com/G0EWr9QwxH</a></p>&mdash; '
        f'Kawsachun News (@KawsachunNews) <a href="https://twitter.com/KawsachunNews/status/{ID}?ref_src=twsrc%5Etfw">'
        'January 9, 2023</a></blockquote>\n<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>\n'
    ),
    "width": 550,
    "height": None,
    "type": "rich",
    "cache_age": "3153600000",
    "provider_name": "Twitter",
    "provider_url": "https://twitter.com",
    "version": "1.0",
}


def test_oembed() -> None:
    post = parse_oembed(OEMBED, ID)
    assert post.native_id == ID
    assert post.author_handle == "KawsachunNews"
    assert post.author_name == "Kawsachun News"
    assert post.text == "Peru: Protesters are arriving.\n\n9 dead so far. pic.twitter.com/G0EWr9QwxH"
    assert post.lang == "es"
    # The snowflake gives the second; the date link only the day.
    assert post.created_at == "2023-01-09T21:14:07Z"
    assert post.media == []
    assert post.requested_id is None


def test_oembed_old_post_dates_from_the_link_text() -> None:
    old = dict(
        OEMBED,
        url="https://twitter.com/jack/status/20",
        author_url="https://twitter.com/jack",
        author_name="jack",
        html='<blockquote class="twitter-tweet"><p lang="en" dir="ltr">just setting up my twttr</p>&mdash; jack (@jack) <a href="https://twitter.com/jack/status/20?ref_src=twsrc%5Etfw">March 21, 2006</a></blockquote>',
    )
    post = parse_oembed(old, "20")
    assert (post.native_id, post.author_handle, post.text) == ("20", "jack", "just setting up my twttr")
    assert post.created_at == "2006-03-21T00:00:00Z"
    unparseable = dict(old, html=old["html"].replace("March 21, 2006", "21 mars 2006 (fr)"))
    assert parse_oembed(unparseable, "20").created_at is None


def test_oembed_repost_and_bad_bodies() -> None:
    assert parse_oembed(OEMBED, "1612600000000000000").requested_id == "1612600000000000000"
    bodies: list[Any] = [{}, {"error": "Sorry, you are not authorized to see this status."}, [], None]
    for body in bodies:
        with pytest.raises(ValueError):
            parse_oembed(body, ID)


# --- classify --------------------------------------------------------------

LIVE = (200, LIVE_PHOTOS)
LIVE_ID_ONLY = (200, {"id_str": ID, "text": "x"})
EMPTY: tuple[int, dict[str, Any]] = (200, {})
TOMBSTONE = (200, {"__typename": "TweetTombstone", "tombstone": {"text": {"text": "You're unable to view this Post"}}})
NOT_FOUND = (404, None)
NOT_FOUND_BODY = (404, {"error": "not found"})
RATE_LIMITED = (429, None)
SERVER_ERROR = (503, None)
NO_ANSWER: tuple[None, None] = (None, None)
NOT_A_DICT = (200, ["Tweet"])
ODD_DICT = (200, {"something": "else"})

OE_OK = (200, OEMBED)
OE_200 = OE_OK
OE_404 = (404, None)
OE_403 = (403, {"error": "Sorry, you are not authorized to see this status.", "type": "Forbidden"})
OE_429 = (429, None)
OE_500 = (500, None)
OE_NONE = (None, None)

CASES = [
    # syndication, oembed, verdict
    (LIVE, None, "live"),
    (LIVE, OE_404, "live"),
    (LIVE, OE_403, "live"),
    (LIVE_ID_ONLY, None, "live"),
    (NOT_FOUND, OE_404, "deleted"),
    (NOT_FOUND_BODY, OE_404, "deleted"),
    (EMPTY, OE_404, "deleted"),
    (TOMBSTONE, None, "unavailable"),
    (TOMBSTONE, OE_404, "unavailable"),
    (TOMBSTONE, OE_200, "unavailable"),
    (NOT_FOUND, OE_403, "unavailable"),
    (EMPTY, OE_403, "unavailable"),
    (RATE_LIMITED, OE_403, "unavailable"),
    # disagreement
    (NOT_FOUND, OE_200, "unknown"),
    (EMPTY, OE_200, "unknown"),
    # gone, but the second source was not asked or gave no verdict
    (NOT_FOUND, None, "unknown"),
    (EMPTY, None, "unknown"),
    (NOT_FOUND, OE_429, "unknown"),
    (NOT_FOUND, OE_500, "unknown"),
    (NOT_FOUND, OE_NONE, "unknown"),
    # transient syndication failures are never a verdict
    (RATE_LIMITED, OE_404, "unknown"),
    (RATE_LIMITED, None, "unknown"),
    (SERVER_ERROR, OE_404, "unknown"),
    # ... but oEmbed, the fallback, may find the post when syndication says nothing
    (SERVER_ERROR, OE_200, "live"),
    (RATE_LIMITED, OE_200, "live"),
    (NO_ANSWER, OE_200, "live"),
    (NO_ANSWER, OE_404, "unknown"),
    (NO_ANSWER, None, "unknown"),
    (NOT_A_DICT, OE_404, "unknown"),
    (ODD_DICT, OE_404, "unknown"),
    ((200, None), OE_404, "unknown"),
    ((200, "Tweet"), OE_404, "unknown"),
    ((500, LIVE_PHOTOS), None, "unknown"),
]


@pytest.mark.parametrize(("syndication", "oembed", "verdict"), CASES)
def test_classify(syndication: Any, oembed: Any, verdict: str) -> None:
    assert classify(syndication, oembed) == verdict


def test_empty_answer_without_token_is_no_verdict() -> None:
    assert classify(EMPTY, OE_404, token_sent=False) == "unknown"
    assert classify(NOT_FOUND, OE_404, token_sent=False) == "deleted"


@pytest.mark.parametrize(("syndication", "needed"), [
    (LIVE, False),
    (LIVE_ID_ONLY, False),
    (TOMBSTONE, False),
    (EMPTY, True),
    (NOT_FOUND, True),
    (RATE_LIMITED, True),
    (NO_ANSWER, True),
    (NOT_A_DICT, True),
])
def test_needs_oembed(syndication: Any, needed: bool) -> None:
    assert needs_oembed(syndication) is needed

"""Which URLs name a post, and the small helpers around them."""

from __future__ import annotations

import pytest

from archiver.platforms.twitter import PLATFORM
from archiver.platforms.twitter.patterns import (
    PIC_LINK_IN_TEXT,
    SHORT_LINK_IN_TEXT,
    STATUS_URL_IN_TEXT,
    canonical_url,
    handle_from_url,
    is_pic_link,
    is_short_link,
    normalise_pic_link,
    pic_link_code,
    post_id_from_url,
    short_link_code,
    snowflake_ms,
    snowflake_time,
    unwrap_unsafe_link,
)

ID = "1612558357623734272"

POSITIVE: list[tuple[str, str, str | None]] = [
    # (url, id, handle)
    (f"https://twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://twitter.com/KawsachunNews/status/{ID}?ref_src=twsrc%5Etfw", ID, "KawsachunNews"),
    (f"http://twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://TWITTER.COM/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://www.twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://mobile.twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://m.twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://x.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://X.com/KawsachunNews/status/{ID}?s=20&t=abcDEF", ID, "KawsachunNews"),
    (f"https://www.x.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://mobile.x.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://fxtwitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://vxtwitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://fixupx.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://fixvx.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://nitter.net/KawsachunNews/status/{ID}#m", ID, "KawsachunNews"),
    (f"https://nitter.poast.org/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://nitter.privacydev.net/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://xcancel.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"https://twitter.com/KawsachunNews/statuses/{ID}", ID, "KawsachunNews"),
    (f"https://twitter.com/statuses/{ID}", ID, None),
    (f"https://twitter.com/i/web/status/{ID}", ID, None),
    (f"https://x.com/i/status/{ID}", ID, None),
    (f"https://twitter.com/KawsachunNews/status/{ID}/photo/1", ID, "KawsachunNews"),
    (f"https://twitter.com/KawsachunNews/status/{ID}/video/1", ID, "KawsachunNews"),
    (f"https://x.com/i/web/status/{ID}/photo/2?lang=es", ID, None),
    (f"https://twitter.com/KawsachunNews/status/{ID}/", ID, "KawsachunNews"),
    (f"//twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"twitter.com/KawsachunNews/status/{ID}", ID, "KawsachunNews"),
    (f"  https://x.com/KawsachunNews/status/{ID}\n", ID, "KawsachunNews"),
    ("https://twitter.com/jack/status/20", "20", "jack"),
    ("https://twitter.com/#!/jack/status/20", "20", "jack"),
]

NEGATIVE = [
    "https://twitter.com/KawsachunNews",
    "https://x.com/KawsachunNews/",
    "https://twitter.com/KawsachunNews/media",
    "https://twitter.com/hashtag/Peru?src=hash",
    "https://twitter.com/search?q=juliaca",
    "https://x.com/search?q=%23Peru&src=typed_query",
    "https://twitter.com/home",
    "https://twitter.com/i/events/1612558357623734272",
    "https://twitter.com/i/lists/123456",
    "https://twitter.com/i/spaces/1YqGoDpoVvAJv",
    "https://twitter.com/intent/tweet?url=https://example.com",
    "https://twitter.com/hashtag/status/123",
    "https://twitter.com/search/status/123",
    "https://twitter.com/KawsachunNews/status/",
    "https://twitter.com/KawsachunNews/status/abc",
    f"https://twitter.com/KawsachunNews/status/{ID}abc",
    f"https://example.com/KawsachunNews/status/{ID}",
    f"https://nottwitter.com/KawsachunNews/status/{ID}",
    f"https://twitter.com.evil.example/KawsachunNews/status/{ID}",
    f"https://api.twitter.com/KawsachunNews/status/{ID}",
    "https://t.co/G0EWr9QwxH",
    "https://pic.twitter.com/G0EWr9QwxH",
    "https://www.facebook.com/",
    "",
    "not a url",
]


@pytest.mark.parametrize(("url", "native_id", "handle"), POSITIVE)
def test_status_urls(url: str, native_id: str, handle: str | None) -> None:
    assert post_id_from_url(url) == native_id
    assert handle_from_url(url) == handle
    assert PLATFORM.post_id_from_url(url) == native_id


@pytest.mark.parametrize("url", NEGATIVE)
def test_not_posts(url: str) -> None:
    assert post_id_from_url(url) is None
    assert handle_from_url(url) is None


def test_canonical_url() -> None:
    assert canonical_url(ID, "KawsachunNews") == f"https://x.com/KawsachunNews/status/{ID}"
    assert canonical_url(ID, None) == f"https://x.com/i/status/{ID}"
    assert canonical_url(ID, "") == f"https://x.com/i/status/{ID}"
    assert PLATFORM.canonical_url(ID, None) == f"https://x.com/i/status/{ID}"
    assert post_id_from_url(canonical_url(ID, None)) == ID


def test_short_links() -> None:
    assert is_short_link("https://t.co/G0EWr9QwxH")
    assert is_short_link("http://t.co/G0EWr9QwxH")
    assert is_short_link("HTTPS://T.CO/G0EWr9QwxH")
    assert is_short_link("t.co/G0EWr9QwxH")
    assert short_link_code("https://t.co/G0EWr9QwxH?amp=1") == "G0EWr9QwxH"
    assert not is_short_link("https://t.com/G0EWr9QwxH")
    assert not is_short_link("https://t.co/")
    assert not is_short_link("https://at.co/G0EWr9QwxH")
    assert not is_short_link("https://pic.twitter.com/G0EWr9QwxH")


def test_pic_links() -> None:
    for url in (
        "pic.twitter.com/G0EWr9QwxH",
        "https://pic.twitter.com/G0EWr9QwxH",
        "http://pic.twitter.com/G0EWr9QwxH",
        "//pic.twitter.com/G0EWr9QwxH",
        "PIC.TWITTER.COM/G0EWr9QwxH",
        "pic.x.com/G0EWr9QwxH",
        "https://pic.x.com/G0EWr9QwxH",
    ):
        assert is_pic_link(url), url
        assert pic_link_code(url) == "G0EWr9QwxH"
    assert normalise_pic_link("PIC.TWITTER.COM/G0EWr9QwxH") == "https://pic.twitter.com/G0EWr9QwxH"
    assert normalise_pic_link("http://pic.x.com/G0EWr9QwxH") == "https://pic.x.com/G0EWr9QwxH"
    assert not is_pic_link("https://pic.twitter.com/")
    assert not is_pic_link("https://twitter.com/G0EWr9QwxH")
    assert not is_pic_link("https://epic.twitter.com/G0EWr9QwxH")


def test_text_regexes() -> None:
    text = (
        "See pic.twitter.com/G0EWr9QwxH and https://t.co/abc123, also "
        f"x.com/a/status/{ID}?s=20. Not epic.twitter.com/zzz nor somet.co/xyz nor notx.com/a/status/1."
    )
    assert [m.group("code") for m in PIC_LINK_IN_TEXT.finditer(text)] == ["G0EWr9QwxH"]
    assert [m.group("code") for m in SHORT_LINK_IN_TEXT.finditer(text)] == ["abc123"]
    assert [m.group("url") for m in STATUS_URL_IN_TEXT.finditer(text)] == [f"x.com/a/status/{ID}?s=20."]


def test_truncated_display_urls_are_not_status_urls() -> None:
    # Twitter shortens displayed URLs with an ellipsis: the id there is cut short.
    assert list(STATUS_URL_IN_TEXT.finditer("twitter.com/KawsachunNews/status/161255835…")) == []
    assert list(STATUS_URL_IN_TEXT.finditer("twitter.com/KawsachunNews/status/161255835...")) == []


def test_snowflake_time() -> None:
    assert snowflake_time(ID) == "2023-01-09T21:14:07Z"
    assert snowflake_time(int(ID)) == "2023-01-09T21:14:07Z"
    assert snowflake_ms(ID) == (int(ID) >> 22) + 1288834974657
    assert snowflake_time("300000000000000") is not None
    assert snowflake_time("299999999999999") is None
    assert snowflake_time("20") is None
    assert snowflake_time("abc") is None
    assert snowflake_time("") is None


def test_unwrap_unsafe_link() -> None:
    target = "https://example.com/a?b=1&c=2"
    wrapped = "https://twitter.com/safety/unsafe_link_warning?unsafe_link=https%3A%2F%2Fexample.com%2Fa%3Fb%3D1%26c%3D2"
    assert unwrap_unsafe_link(wrapped) == target
    assert unwrap_unsafe_link(wrapped.replace("twitter.com", "x.com")) == target
    assert unwrap_unsafe_link(wrapped.replace("twitter.com", "www.twitter.com")) == target
    assert unwrap_unsafe_link("https://twitter.com/safety/unsafe_link_warning") is None
    assert unwrap_unsafe_link("https://example.com/safety/unsafe_link_warning?unsafe_link=x") is None
    assert unwrap_unsafe_link(f"https://twitter.com/a/status/{ID}") is None
    twice = "https://x.com/safety/unsafe_link_warning?unsafe_link=https%253A%252F%252Fexample.com%252F"
    assert unwrap_unsafe_link(twice) == "https://example.com/"

"""The default world: the Juliaca article's four posts and one example of every case the
archiver must handle. Ids, codes and URLs are module constants so tests can assert.

Every invented id is a snowflake consistent with its ``created_at`` (field guide §6),
except :data:`OLD_ID`, which predates snowflakes. All accounts except @KawsachunNews are
fictional.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import media as media_gen
from .pages import article_page, blockquote, para, rendered_iframe, rendered_iframe_src
from .reddit import sample_state as reddit_sample_state
from .syndication import full_text
from .world import BombAsset, BytesAsset, Media, Page, Post, User, World, snowflake, utc

NEWS = "https://www.example-news.com"
SEED_TEXT_PATH = Path(__file__).parent / "data" / "juliaca-article.txt"

# --------------------------------------------------------------------------- accounts

KAWSACHUN = User("1041085389734457344", "Kawsachun News", "KawsachunNews", "kawsachun_logo")
ANDES = User("1200000000000000011", "Andes Observer", "AndesObserver", "andes_observer", is_blue_verified=True)
PUNO = User("1200000000000000022", "Puno Photo Desk", "PunoPhotoDesk", "puno_desk")
QUIET = User("1200000000000000033", "Quiet Llama", "quiet_llama", "quiet")
SUSPENDED_USER = User("1200000000000000044", "Suspended Example", "suspended_example", "susp")
WITHHELD_USER = User("1200000000000000055", "Withheld Example", "withheld_example", "withheld")
EARLY = User("14", "Early Bird", "early_bird", "early")

# --------------------------------------------------------------------------- the article's posts

JULIACA_HOSPITAL_ID = 1612558357623734272  # 2023-01-09T21:14:07Z, video, pic G0EWr9QwxH
JULIACA_DOCTOR_ID = snowflake(utc(2023, 1, 10, 15, 5, 44), 0x01A2B3)  # photo, pic EdWNhRQl11
JULIACA_MARCH_ID = snowflake(utc(2023, 1, 9, 19, 47, 31), 0x02C4D5)  # 2 photos, pic keN3mt95tk
JULIACA_AREQUIPA_ID = snowflake(utc(2023, 1, 10, 2, 38, 12), 0x0316E7)  # video, pic H55uEEVS3g
JULIACA_IDS = [JULIACA_HOSPITAL_ID, JULIACA_DOCTOR_ID, JULIACA_MARCH_ID, JULIACA_AREQUIPA_ID]
"""In article order."""
JULIACA_CODES = ["G0EWr9QwxH", "EdWNhRQl11", "keN3mt95tk", "H55uEEVS3g"]
"""pic.twitter.com / t.co codes, same order as :data:`JULIACA_IDS`."""
JULIACA_UPDATE_ID = snowflake(utc(2023, 1, 11, 14, 2, 9), 0x0400F1)  # photo, only in /2023/01/juliaca-update

# --------------------------------------------------------------------------- one of every case

QUOTE_ID = snowflake(utc(2023, 1, 10, 12, 0, 5), 0x050A11)  # quotes JULIACA_HOSPITAL_ID, links an article
GALLERY_ID = snowflake(utc(2023, 1, 10, 18, 22, 40), 0x060B22)  # four photos
GIF_ID = snowflake(utc(2023, 1, 11, 9, 10, 0), 0x070C33)  # animated_gif
VIDEO_ID = snowflake(utc(2023, 1, 11, 13, 45, 0), 0x080D44)  # amplify video; two mp4s tie on bitrate
SHARED_MEDIA_ID = snowflake(utc(2023, 1, 11, 16, 0, 0), 0x090E55)  # its photo IS JULIACA_MARCH's first
REPLY_ID = snowflake(utc(2023, 1, 10, 16, 10, 0), 0x0A0F66)  # reply to JULIACA_DOCTOR_ID (has `parent`)
DELETED_ID = snowflake(utc(2023, 1, 10, 20, 0, 0), 0x0B1077)  # syndication 404, oEmbed 404
PROTECTED_ID = snowflake(utc(2023, 1, 10, 21, 30, 0), 0x0C1188)  # tombstone, oEmbed 403
SUSPENDED_ID = snowflake(utc(2023, 1, 11, 1, 0, 0), 0x0D1299)  # tombstone, oEmbed 403
WITHHELD_ID = snowflake(utc(2023, 1, 11, 3, 0, 0), 0x0E13AA)  # "unavailable": tombstone, oEmbed 404
TRANSIENT_ID = snowflake(utc(2023, 1, 11, 7, 0, 0), 0x0F14BB)  # live, but syndication 500 / oEmbed 429 forever
REPOST_ID = snowflake(utc(2023, 1, 10, 0, 30, 0), 0x1015CC)  # syndication answers with JULIACA_MARCH_ID
OLD_ID = 4123456789  # 2009-09-18, before snowflakes: only created_at dates it
PIC_ONLY_ID = snowflake(utc(2023, 1, 12, 10, 0, 0), 0x1116DD)  # on all-forms only as plain "pic.twitter.com/CODE"
TCO_ONLY_ID = snowflake(utc(2023, 1, 12, 11, 0, 0), 0x1217EE)  # on all-forms only as a bare t.co link
PHOTO_LINK_ID = snowflake(utc(2023, 1, 12, 12, 0, 0), 0x1318FF)  # cited as .../status/ID/photo/1
INVALID_IMAGE_ID = snowflake(utc(2023, 1, 12, 13, 0, 0), 0x141A01)  # photo bytes are not an image
BOMB_IMAGE_ID = snowflake(utc(2023, 1, 12, 14, 0, 0), 0x151B02)  # photo is a 30000x30000 PNG
TEXT_IDS = [snowflake(utc(2023, 1, 12, 15, i, 0), 0x161C03 + i) for i in range(8)]
"""Text-only live posts by @AndesObserver, cited on all-forms by bare links."""

# Codes
PIC_ONLY_CODE = "PicOnly5Xy"
TCO_ONLY_CODE = "TcoOnly8Qw"
"""A t.co link (not a media link) whose target is TCO_ONLY_ID's status URL."""
ARTICLE_TCO_CODE = "QtArt0001x"
"""t.co link inside QUOTE_ID's text → the Juliaca HTML article (not a post)."""
UNSAFE_TCO_CODE = "UnSafe0001"
"""t.co code whose target is wrapped in twitter.com/safety/unsafe_link_warning."""
UNSAFE_TARGET = "http://phishing.example/login?next=%2Fwallet"
UNKNOWN_TCO_CODE = "NoSuchCod3"
"""Not in the world: t.co answers 404."""

# --------------------------------------------------------------------------- article URLs

JULIACA_TXT_URL = f"{NEWS}/2023/01/juliaca.txt"
JULIACA_URL = f"{NEWS}/2023/01/juliaca"
JULIACA_UPDATE_URL = f"{NEWS}/2023/01/juliaca-update"
ALL_FORMS_URL = f"{NEWS}/embeds/all-forms"
MIXED_STATUSES_URL = f"{NEWS}/articles/mixed-statuses"
MEDIA_MIX_URL = f"{NEWS}/articles/media-mix"
EDGE_POSTS_URL = f"{NEWS}/articles/edge-posts"
BAD_URLS = {
    name: f"{NEWS}/bad/{name}"
    for name in (
        "404", "500", "binary", "broken-html", "latin1", "latin1-meta", "loop", "long-chain", "hang",
        "to-private", "to-metadata", "huge", "invalid-image", "bomb-image",
    )
}
LONG_CHAIN_HOPS = 12
"""/bad/long-chain answers 12 redirects (→ /1 … /12) before a 200 page embedding TEXT_IDS[0]."""
HUGE_SIZE = 25 * 1024 * 1024

ARTICLES: dict[str, list[int]] = {
    JULIACA_URL: JULIACA_IDS,
    JULIACA_UPDATE_URL: [*JULIACA_IDS, JULIACA_UPDATE_ID],
    MIXED_STATUSES_URL: [JULIACA_HOSPITAL_ID, DELETED_ID, PROTECTED_ID, TRANSIENT_ID],
    MEDIA_MIX_URL: [QUOTE_ID, GALLERY_ID, GIF_ID, VIDEO_ID, SHARED_MEDIA_ID, JULIACA_MARCH_ID, REPLY_ID],
    EDGE_POSTS_URL: [SUSPENDED_ID, WITHHELD_ID, REPOST_ID, OLD_ID],
    BAD_URLS["broken-html"]: [JULIACA_DOCTOR_ID],
    BAD_URLS["latin1"]: [JULIACA_MARCH_ID],
    BAD_URLS["latin1-meta"]: [JULIACA_AREQUIPA_ID],
    BAD_URLS["invalid-image"]: [INVALID_IMAGE_ID],
    BAD_URLS["bomb-image"]: [BOMB_IMAGE_ID],
}
"""Article URL → post ids embedded (as standard blockquotes), in page order."""


@dataclass(frozen=True)
class ExpectedEmbed:
    """One citation on the all-forms page, in the archiver's ``FoundEmbed.form`` vocabulary."""

    post_id: int
    form: str
    """blockquote | iframe | amp | status_link | pic_link | short_link"""
    link: str
    """The citing URL as written in the page (HTML-unescaped, made absolute); for
    ``amp`` the ``data-tweetid`` value."""
    variant: str
    """Which variant of field guide §1 this is (free text, for messages)."""


# --------------------------------------------------------------------------- builders


def _photo(media_id: int, key: str, label: str, w: int = 1200, h: int = 800, alt: str | None = None) -> Media:
    return Media("photo", media_id, key, w, h, label, alt_text=alt)


def _posts() -> list[Post]:
    k, a, p = KAWSACHUN, ANDES, PUNO
    march_photo_1 = _photo(1612526970000000001, "FmCfR2aXkAEmarch", "Juliaca march 1", alt="Crowd marching in Juliaca")
    posts = [
        Post(
            JULIACA_HOSPITAL_ID, k,
            "Peru: Protesters are arriving at the Carlos Monge hospital following the massacre carried out by the "
            "coup regime in the town of Juliaca. 9 dead and 20 injured so far.",
            utc(2023, 1, 9, 21, 14, 7),
            media=[Media("video", 1612558287180410880, "hospitalCarlosMonge", 1280, 720, "Hospital Carlos Monge", duration_ms=41_000)],
            media_code="G0EWr9QwxH", favorite_count=1834, conversation_count=97,
        ),
        Post(
            JULIACA_DOCTOR_ID, k,
            "All of the protesters killed today in Juliaca, Peru, died of bullet wounds, says Dr. Enrique Sotomayor "
            "at the Carlos Monge Hospital",
            utc(2023, 1, 10, 15, 5, 44),
            media=[_photo(1612810000000000002, "FmG1dOcTXoAAsoto", "Dr. Sotomayor", 1200, 1500)],
            media_code="EdWNhRQl11", favorite_count=911, conversation_count=40,
        ),
        Post(
            JULIACA_MARCH_ID, k,
            "This was the anti-coup protest today in the Aymara town of Juliaca, Peru, moments before the massacre "
            "by regime forces that has left 13 dead so far.",
            utc(2023, 1, 9, 19, 47, 31),
            media=[march_photo_1, _photo(1612526970000000003, "FmCfR2bWYAIroad", "Juliaca march 2", 1600, 900)],
            media_code="keN3mt95tk", favorite_count=2270, conversation_count=133,
        ),
        Post(
            JULIACA_AREQUIPA_ID, k,
            "Peruvians across the country are rallying at their local police stations and shouting 'murderers' at "
            "the regime forces. This is in response to the massacre today in Juliaca in which 13 protesters were "
            "killed. This video is from the city of Arequipa.",
            utc(2023, 1, 10, 2, 38, 12),
            media=[Media("video", 1612640000000000004, "arequipaStation", 720, 1280, "Arequipa police station", duration_ms=27_500)],
            media_code="H55uEEVS3g", favorite_count=1502, conversation_count=61,
        ),
        Post(
            JULIACA_UPDATE_ID, k,
            "Juliaca today: families gather outside the Carlos Monge hospital as the death toll rises to 18.",
            utc(2023, 1, 11, 14, 2, 9),
            media=[_photo(1613150000000000005, "FmL9upd8XkAAfam", "Juliaca families")],
            media_code="UpD8Juliac", favorite_count=640, conversation_count=22,
        ),
        Post(
            QUOTE_ID, a,
            f"Footage from Juliaca's Carlos Monge hospital last night, via @KawsachunNews. Full report: "
            f"https://t.co/{ARTICLE_TCO_CODE} #Peru",
            utc(2023, 1, 10, 12, 0, 5),
            urls=[(ARTICLE_TCO_CODE, JULIACA_URL)], quoted_id=JULIACA_HOSPITAL_ID, favorite_count=77,
        ),
        Post(
            GALLERY_ID, p, "Four scenes from the general strike in Puno today. #Puno #ParoNacional",
            utc(2023, 1, 10, 18, 22, 40),
            media=[_photo(1612900000000000010 + i, f"FmHgal{i}PunoXA", f"Puno strike {i + 1}", 1200, 1200 if i % 2 else 800) for i in range(4)],
            media_code="Gal4Phot0s", favorite_count=310,
        ),
        Post(
            GIF_ID, a, "Waiting for news from Juliaca like", utc(2023, 1, 11, 9, 10, 0),
            media=[Media("animated_gif", 1613090000000000020, "FmKgifLlamaWave", 480, 270, "llama waving")],
            media_code="GfLlm4Wave",
        ),
        Post(
            VIDEO_ID, a, "Our correspondent reports from the Juliaca airport road. #Peru", utc(2023, 1, 11, 13, 45, 0),
            media=[Media("video", 1613140000000000030, "airportRoadReport", 1280, 720, "Airport road report", flavor="amplify_video", duration_ms=95_000)],
            media_code="AmpV1deo7x", favorite_count=58,
        ),
        Post(
            SHARED_MEDIA_ID, p, "The march in Juliaca, hours before the shooting began.", utc(2023, 1, 11, 16, 0, 0),
            media=[march_photo_1], media_code="ShRdPic9zQ",
        ),
        Post(
            REPLY_ID, a, "@KawsachunNews Is there an official list of the victims yet?", utc(2023, 1, 10, 16, 10, 0),
            parent_id=JULIACA_DOCTOR_ID,
        ),
        Post(DELETED_ID, a, "Unconfirmed: Juliaca airport closed until further notice.", utc(2023, 1, 10, 20, 0, 0), status="deleted"),
        Post(PROTECTED_ID, QUIET, "Eyewitness thread from the airport road, posting as it happens.", utc(2023, 1, 10, 21, 30, 0), status="protected"),
        Post(SUSPENDED_ID, SUSPENDED_USER, "Click here for the REAL story of Juliaca!!!", utc(2023, 1, 11, 1, 0, 0), status="suspended"),
        Post(WITHHELD_ID, WITHHELD_USER, "A post withheld in some countries.", utc(2023, 1, 11, 3, 0, 0), status="unavailable"),
        Post(TRANSIENT_ID, a, "Live updates from Puno will continue through the night.", utc(2023, 1, 11, 7, 0, 0)),
        Post(
            REPOST_ID, p,
            "RT @KawsachunNews: This was the anti-coup protest today in the Aymara town of Juliaca, Peru, moments "
            "before the massacre by regime forces that has left 13 dead so far.",
            utc(2023, 1, 10, 0, 30, 0), repost_of=JULIACA_MARCH_ID,
        ),
        Post(OLD_ID, EARLY, "Reading about the Andes on a rainy afternoon.", utc(2009, 9, 18, 14, 3, 11), favorite_count=3),
        Post(
            PIC_ONLY_ID, p, "Sunrise over Lake Titicaca after the night of protests.", utc(2023, 1, 12, 10, 0, 0),
            media=[_photo(1613460000000000040, "FmPicOnlyTiti1", "Lake Titicaca sunrise")], media_code=PIC_ONLY_CODE,
        ),
        Post(TCO_ONLY_ID, a, "Thread: what we know so far about the Juliaca killings.", utc(2023, 1, 12, 11, 0, 0)),
        Post(
            PHOTO_LINK_ID, a, "Map of the road blockades across Peru today.", utc(2023, 1, 12, 12, 0, 0),
            media=[_photo(1613480000000000050, "FmMapBlockades", "Blockade map", 1000, 1000)], media_code="MapBl0ck4d",
        ),
        Post(
            INVALID_IMAGE_ID, p, "This photo's file is corrupt on the CDN.", utc(2023, 1, 12, 13, 0, 0),
            media=[_photo(1613490000000000060, "FmCorruptJpeg01", "corrupt")], media_code="C0rruptJpg",
        ),
        Post(
            BOMB_IMAGE_ID, p, "This photo decompresses to 900 million pixels.", utc(2023, 1, 12, 14, 0, 0),
            media=[_photo(1613500000000000070, "FmBombPng000001", "bomb")], media_code="B0mbPng900",
        ),
    ]
    posts += [
        Post(tid, a, f"Juliaca update #{i + 1}: reports continue to arrive from the hospital.", utc(2023, 1, 12, 15, i, 0))
        for i, tid in enumerate(TEXT_IDS)
    ]
    return posts


def _embed(world: World, post_id: int, **kw: Any) -> str:
    post = world.posts[post_id]
    return blockquote(post, full_text(post), dict(post.urls), **kw)


def _juliaca_html(world: World, extra: list[str] | None = None) -> str:
    """The seed article with each "pic.twitter.com/… — Name (@handle) Date" line as an embed."""
    lines = [ln.strip() for ln in SEED_TEXT_PATH.read_text(encoding="utf-8").splitlines() if ln.strip()]
    date, title, rest = lines[0].removeprefix("date").strip(), lines[1], lines[2:]
    blocks = [f'<p class="dateline"><time datetime="{date}">{date}</time></p>']
    embeds = iter(JULIACA_IDS)
    for line in rest:
        blocks.append(_embed(world, next(embeds)) if "pic.twitter.com/" in line else para(line))
    blocks[-1:-1] = extra or []
    return article_page(title, blocks)


def _all_forms(world: World) -> tuple[str, list[ExpectedEmbed]]:
    """Every way field guide §1 says a post can be cited, on one page."""
    exp: list[ExpectedEmbed] = []
    blocks: list[str] = ["<p>Every form of Twitter/X citation the archiver should recognise.</p>"]

    def post(pid: int) -> Post:
        return world.posts[pid]

    def add(pid: int, form: str, link: str, variant: str, markup: str) -> None:
        exp.append(ExpectedEmbed(pid, form, link, variant))
        blocks.append(markup)

    h = post(JULIACA_HOSPITAL_ID)
    add(JULIACA_HOSPITAL_ID, "blockquote", f"{h.status_url}?ref_src=twsrc%5Etfw", "standard 2014-2023", _embed(world, h.id))
    o = post(OLD_ID)
    add(OLD_ID, "blockquote", f"https://twitter.com/{o.user.screen_name}/statuses/{o.id}", "2011-2016",
        _embed(world, o.id, variant="2011"))
    v = post(VIDEO_ID)
    add(VIDEO_ID, "blockquote", f"https://x.com/{v.user.screen_name}/status/{v.id}?ref_src=twsrc%5Etfw", "2024+ x.com",
        _embed(world, v.id, variant="x"))
    g = post(GALLERY_ID)
    attrs1 = {"data-lang": "es", "data-theme": "dark", "data-dnt": "true", "data-width": "400"}
    add(GALLERY_ID, "blockquote", f"{g.status_url}?ref_src=twsrc%5Etfw", "attributes lang/theme/dnt/width",
        _embed(world, g.id, attrs=attrs1))
    r = post(REPLY_ID)
    attrs2 = {"data-cards": "hidden", "data-conversation": "none", "data-align": "center"}
    add(REPLY_ID, "blockquote", f"{r.status_url}?ref_src=twsrc%5Etfw", "attributes cards/conversation/align",
        _embed(world, r.id, attrs=attrs2))
    ar = post(JULIACA_AREQUIPA_ID)
    add(ar.id, "blockquote", f"{ar.status_url}?ref_src=twsrc%5Etfw", "blockquote.twitter-video",
        _embed(world, ar.id, klass="twitter-video", attrs={"data-status": "hidden"}))
    add(GIF_ID, "amp", str(GIF_ID), "amp-twitter",
        f'<amp-twitter width="375" height="472" layout="responsive" data-tweetid="{GIF_ID}"></amp-twitter>')
    add(QUOTE_ID, "iframe", rendered_iframe_src(QUOTE_ID, n=7), "rendered iframe", rendered_iframe(QUOTE_ID, n=7))
    d = post(DELETED_ID)
    add(DELETED_ID, "blockquote", f"{d.status_url}?ref_src=twsrc%5Etfw", "twitter-tweet-error",
        _embed(world, d.id, klass="twitter-tweet twitter-tweet-error", script=False))

    blocks.append("<h2>Links</h2>")
    t = TEXT_IDS
    links = [
        (JULIACA_HOSPITAL_ID, f"https://mobile.twitter.com/KawsachunNews/status/{JULIACA_HOSPITAL_ID}", "mobile. (second citation)"),
        (t[0], f"https://fxtwitter.com/AndesObserver/status/{t[0]}", "fxtwitter"),
        (JULIACA_DOCTOR_ID, f"https://vxtwitter.com/KawsachunNews/status/{JULIACA_DOCTOR_ID}", "vxtwitter"),
        (SHARED_MEDIA_ID, f"https://fixupx.com/PunoPhotoDesk/status/{SHARED_MEDIA_ID}", "fixupx"),
        (t[1], f"https://fixvx.com/AndesObserver/status/{t[1]}", "fixvx"),
        (JULIACA_MARCH_ID, f"https://nitter.net/KawsachunNews/status/{JULIACA_MARCH_ID}#m", "nitter"),
        (t[2], f"https://twitter.com/i/web/status/{t[2]}", "/i/web/status/"),
        (REPOST_ID, f"https://x.com/i/status/{REPOST_ID}", "/i/status/"),
        (t[3], f"https://twitter.com/statuses/{t[3]}", "/statuses/ without handle"),
        (t[4], f"https://twitter.com/AndesObserver/statuses/{t[4]}", "/handle/statuses/"),
        (WITHHELD_ID, f"https://m.twitter.com/withheld_example/status/{WITHHELD_ID}", "m."),
        (t[5], f"https://WWW.Twitter.COM/AndesObserver/status/{t[5]}?s=20&t=AbCdEfGhIjKlMnOpQrStUv", "upper-case host, ?s=20&t="),
        (PHOTO_LINK_ID, f"https://twitter.com/AndesObserver/status/{PHOTO_LINK_ID}/photo/1", "/photo/1"),
        (SUSPENDED_ID, f"https://x.com/suspended_example/status/{SUSPENDED_ID}", "x.com"),
    ]
    items = [f'<li><a href="{html.escape(url)}">{html.escape(url)}</a></li>' for _, url, _ in links]
    blocks.append("<ul>\n" + "\n".join(items) + "\n</ul>")
    for pid, url, variant in links:
        exp.append(ExpectedEmbed(pid, "status_link", url, variant))
    # Bare URLs in running text, not links.
    for pid, url, variant in [
        (t[6], f"https://xcancel.com/AndesObserver/status/{t[6]}", "xcancel, plain text"),
        (t[7], f"https://x.com/AndesObserver/status/{t[7]}/video/1", "x.com /video/1, plain text"),
    ]:
        blocks.append(para(f"As reported at {url} earlier today."))
        exp.append(ExpectedEmbed(pid, "status_link", url, variant))

    blocks.append(para(f"Copied from a feed: sunrise over the lake. pic.twitter.com/{PIC_ONLY_CODE}"))
    exp.append(ExpectedEmbed(PIC_ONLY_ID, "pic_link", f"https://pic.twitter.com/{PIC_ONLY_CODE}", "plain-text pic.twitter.com"))
    tco = f"https://t.co/{TCO_ONLY_CODE}"
    blocks.append(f'<p>Shared link: <a href="{tco}">{tco}</a></p>')
    exp.append(ExpectedEmbed(TCO_ONLY_ID, "short_link", tco, "bare t.co to a status"))

    blocks.append("<h2>Not posts</h2>")
    blocks.append(
        "<ul>\n"
        + "\n".join(f'<li><a href="{html.escape(u)}">{html.escape(u)}</a></li>' for u in ALL_FORMS_NOT_POSTS)
        + "\n</ul>"
    )
    return article_page("All the ways to cite a post", blocks), exp


ALL_FORMS_NOT_POSTS = [
    "https://twitter.com/hashtag/Juliaca?src=hash",
    "https://twitter.com/search?q=%23Juliaca&src=typed_query",
    "https://twitter.com/KawsachunNews",
    "https://x.com/AndesObserver",
    "https://twitter.com/intent/follow?screen_name=KawsachunNews",
    f"https://t.co/{ARTICLE_TCO_CODE}",
    f"https://t.co/{UNSAFE_TCO_CODE}",
]
"""Links on all-forms that are not posts (the two t.co links resolve to non-post pages)."""


def _bad_pages(world: World) -> None:
    bad = BAD_URLS
    world.add_page(bad["404"], Page.html(article_page("Not found", [para("No such article.")])))
    world.pages[bad["404"]].status = 404
    world.add_page(bad["500"], Page(status=500, body=b"<h1>Internal Server Error</h1>"))
    world.add_page(bad["binary"], Page(body=media_gen.png("binary", 320, 200), content_type="image/png"))
    doctor = _embed(world, JULIACA_DOCTOR_ID)
    broken = (
        "<html><head><title>Broken page<body><div class=content><p>Unclosed <b>bold <i>and italic\n"
        f"<table><tr><td>{doctor}\n<div><p>Trailing paragraph with an unclosed <a href=\"https://www.example-news.com/2023/01/"
    )
    world.add_page(bad["broken-html"], Page.html(broken))
    latin_text = "Protestas en Perú: la represión en Juliaca dejó niños heridos; el señor Otárola habló en Lima."
    march = _embed(world, JULIACA_MARCH_ID)
    world.add_page(
        bad["latin1"],
        Page.html(article_page("Represión en Juliaca", [para(latin_text), march], lang="es", charset="iso-8859-1"), "iso-8859-1"),
    )
    # Only <meta charset> declares the encoding; the header carries no charset.
    arequipa = _embed(world, JULIACA_AREQUIPA_ID)
    meta_page = article_page("Arequipa: comisarías", [para(latin_text), arequipa], lang="es", charset="iso-8859-1")
    world.add_page(bad["latin1-meta"], Page.html(meta_page, "iso-8859-1", content_type="text/html"))
    world.add_page(bad["loop"], Page.redirect(f"{NEWS}/bad/loop-b"))
    world.add_page(f"{NEWS}/bad/loop-b", Page.redirect(bad["loop"]))
    hops = [bad["long-chain"]] + [f"{bad['long-chain']}/{i}" for i in range(1, LONG_CHAIN_HOPS + 1)]
    for here, there in zip(hops, hops[1:]):
        world.add_page(here, Page.redirect(there))
    world.add_page(hops[-1], Page.html(article_page("End of the chain", [_embed(world, TEXT_IDS[0])])))
    world.add_page(bad["hang"], Page(hang=True))
    world.add_page(bad["to-private"], Page.redirect("http://127.0.0.1:9/"))
    world.add_page(bad["to-metadata"], Page.redirect("http://169.254.169.254/latest/meta-data/"))
    world.add_page(bad["huge"], Page(stream_size=HUGE_SIZE))
    for name, pid in (("invalid-image", INVALID_IMAGE_ID), ("bomb-image", BOMB_IMAGE_ID)):
        world.add_page(bad[name], Page.html(article_page(f"Bad image: {name}", [para("One embed."), _embed(world, pid)])))
    world.media[world.posts[INVALID_IMAGE_ID].media[0].photo_base_url] = BytesAsset("image/jpeg", media_gen.invalid_jpeg())
    world.media[world.posts[BOMB_IMAGE_ID].media[0].photo_base_url] = BombAsset()


def _world_with_posts() -> World:
    world = World()
    for post in _posts():
        world.add_post(post)
    world.short_links[TCO_ONLY_CODE] = world.posts[TCO_ONLY_ID].status_url
    world.short_links[UNSAFE_TCO_CODE] = (
        "https://twitter.com/safety/unsafe_link_warning?unsafe_link=" + quote(UNSAFE_TARGET, safe="")
    )
    world.juliaca_ids = list(JULIACA_IDS)
    return world


def build_sample_world() -> World:
    world = _world_with_posts()

    world.add_page(JULIACA_TXT_URL, Page(body=SEED_TEXT_PATH.read_bytes(), content_type="text/plain; charset=utf-8"))
    world.add_page(JULIACA_URL, Page.html(_juliaca_html(world)))
    update = ["<h2>UPDATE 2</h2>", para("The death toll in Juliaca has risen to 18."), _embed(world, JULIACA_UPDATE_ID)]
    world.add_page(JULIACA_UPDATE_URL, Page.html(_juliaca_html(world, update)))
    world.add_page(ALL_FORMS_URL, Page.html(_all_forms(world)[0]))
    for url, title in (
        (MIXED_STATUSES_URL, "Live, deleted, unavailable and unreachable posts"),
        (MEDIA_MIX_URL, "Quotes, galleries, GIFs, videos and shared photos"),
        (EDGE_POSTS_URL, "Suspended, withheld, reposted and very old posts"),
    ):
        blocks = [para(title + ".")] + [_embed(world, pid) for pid in ARTICLES[url]]
        world.add_page(url, Page.html(article_page(title, blocks)))
    _bad_pages(world)
    world.reddit = reddit_sample_state()  # posts only: an article that cites them is a test's
    from . import meta_sample

    meta_sample.add_to(world)  # Instagram's and Facebook's posts, for articles a test builds

    # The transient post: every data source fails with a retryable error, forever.
    world.faults[("cdn.syndication.twimg.com", f"id={TRANSIENT_ID}")] = "500"
    world.faults[("publish.twitter.com", str(TRANSIENT_ID))] = "429"
    world.faults[("publish.x.com", str(TRANSIENT_ID))] = "429"

    from . import threads_telegram_sample

    threads_telegram_sample.add_to(world)  # Threads and Telegram posts, and articles citing them
    return world


def add_bench_article(world: World, n: int, path: str = "/bench/article", *, first: int = 0) -> tuple[str, list[int]]:
    """Add ``n`` live one-photo posts and an article embedding them all (for benchmarks).

    ``first`` numbers the posts from there, so several calls add distinct posts."""
    ids = []
    blocks = [para(f"A benchmark article with {n} embeds.")]
    for i in range(first, first + n):
        when = utc(2023, 2, 1) + dt.timedelta(seconds=i + 1)
        pid = snowflake(when, 0x2A0000 + i)
        code = f"Bn{i:08d}"
        post = Post(
            pid, ANDES, f"Benchmark post number {i + 1} from the Andes.", when,
            media=[_photo(1620000000000000000 + i, f"FmBench{i:08d}", f"Bench {i + 1}")], media_code=code,
        )
        world.add_post(post)
        ids.append(pid)
        blocks.append(_embed(world, pid))
    url = f"{NEWS}{path}"
    world.add_page(url, Page.html(article_page(f"Benchmark ({n} embeds)", blocks)))
    return url, ids


def add_bench_articles(world: World, articles: int = 10, per_article: int = 4) -> dict[str, list[int]]:
    """Add ``articles`` HTML articles at ``/bench/article-N``, each embedding ``per_article``
    distinct live one-photo posts (standard blockquotes + widgets.js). Returns url → ids."""
    out: dict[str, list[int]] = {}
    for a in range(articles):
        url, ids = add_bench_article(world, per_article, f"/bench/article-{a + 1}", first=a * per_article)
        out[url] = ids
    return out



def add_sweep_posts(world: World, n: int, *, deleted_every: int = 50) -> list[int]:
    """Add ``n`` text-only posts for sweep benchmarks; every ``deleted_every``-th is deleted,
    so the sweep also takes the two-source path now and then."""
    ids = []
    for i in range(n):
        when = utc(2023, 3, 1) + dt.timedelta(seconds=i + 1)
        pid = snowflake(when, 0x3B0000 + (i % 0x10000))
        post = Post(pid, PUNO, f"Sweep benchmark post {i + 1}.", when)
        if deleted_every and i % deleted_every == deleted_every - 1:
            post.status = "deleted"
        world.add_post(post)
        ids.append(pid)
    return ids


ALL_FORMS_EXPECTED: list[ExpectedEmbed] = _all_forms(_world_with_posts())[1]
"""What the archiver should find on :data:`ALL_FORMS_URL`: one entry per citation, in
page order. JULIACA_HOSPITAL_ID is cited twice (blockquote, then a mobile. link)."""

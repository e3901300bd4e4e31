"""Where each cited embed sits in the article's page screenshot (archiver.steps.regions):
measured when the page is shot, matched to citations by the finder itself, stored per
citation and page screenshot, chained in the log.

End to end against the fake platform (real Chromium, real SQLite) on a page whose
embeds sit at known places, and the matching rules on their own."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

from PIL import Image

from archiver.config import Settings
from archiver.evidence.verify import verify
from archiver.pipeline import archive
from archiver.platforms.base import FoundEmbed, PostRef
from archiver.steps.find import find_in_fragment
from archiver.steps.regions import Box, Cited, Framed, Placed, match, needles, placed_from
from tests.conftest import open_archive
from tests.fakeplatform import World
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import Page

URL = f"{S.NEWS}/2023/01/embeds-in-place"

# Where the page puts each embed (CSS pixels = screenshot pixels: left, top, width, height).
DELETED_AT = (40, 1500, 600, 180)
LINK_AT = (60, 1800, 300, 20)
CONSENT_AT = (700, 400, 400, 250)
AMP_AT = (50, 2100, 375, 472)


def page(world: World) -> str:
    doctor = world.posts[S.JULIACA_DOCTOR_ID]
    march = world.posts[S.JULIACA_MARCH_ID]
    hidden = S._embed(world, march.id).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def at(box: tuple[int, int, int, int]) -> str:
        left, top, width, height = box
        return f"position:absolute;left:{left}px;top:{top}px;width:{width}px;height:{height}px;margin:0;box-sizing:border-box"

    deleted = S._embed(world, S.DELETED_ID, klass="twitter-tweet twitter-tweet-error", script=False)
    deleted = deleted.replace("<blockquote ", f'<blockquote style="{at(DELETED_AT)};overflow:hidden" ', 1)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Embeds in place</title></head>"
        "<body style='margin:0;min-height:2700px;font-family:serif'><article><h1>Embeds in place</h1>"
        "<p>The hospital, as the agency posted it:</p>" + S._embed(world, S.JULIACA_HOSPITAL_ID)
        + "<p>A post deleted before anyone archived it, as the newsroom pasted it:</p>" + deleted
        + f'<p>And <a style="display:block;{at(LINK_AT)}" href="{doctor.status_url}">the doctor\'s post</a></p>'
        + f'<div class="cookie-consent-embed" style="{at(CONSENT_AT)};border:1px solid #999">'
        + "Accept cookies to see this post."
        + f"<textarea hidden>{hidden}</textarea></div>"
        + f'<amp-twitter data-tweetid="{S.GIF_ID}" style="display:block;{at(AMP_AT)};background:#eee"></amp-twitter>'
        + "</article></body></html>"
    )


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = open_archive(settings)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def regions_by_post(settings: Settings) -> dict[int, list[dict[str, object]]]:
    found: dict[int, list[dict[str, object]]] = {}
    for r in rows(
        settings,
        """SELECT r.*, p.native_id, ap.form FROM embed_regions r JOIN posts p ON p.id = r.post_id
           JOIN article_posts ap ON ap.article_id = r.article_id AND ap.post_id = r.post_id AND ap.link = r.link
           ORDER BY r.id""",
    ):
        found.setdefault(int(str(r["native_id"])), []).append(r)
    return found


def box_of(region: dict[str, object]) -> tuple[int, int, int, int]:
    return (int(str(region["x"])), int(str(region["y"])), int(str(region["width"])), int(str(region["height"])))


def test_each_citation_gets_the_box_it_sits_in(settings: Settings, fake_world: World) -> None:
    fake_world.pages[URL] = Page.html(page(fake_world))
    summary = archive([URL], settings)
    assert not summary.errors, summary.errors
    regions = regions_by_post(settings)
    [shot] = rows(settings, "SELECT id, path, width, height FROM captures WHERE kind = 'page_screenshot'")
    # the newsroom's blockquote of a post deleted before capture: where the page put it
    [deleted] = regions[S.DELETED_ID]
    assert (deleted["element"], box_of(deleted)) == ("blockquote", DELETED_AT)
    assert deleted["capture_id"] == shot["id"]
    # a link: the link itself, not the paragraph around it
    [link] = regions[S.JULIACA_DOCTOR_ID]
    assert (link["element"], box_of(link), link["form"]) == ("a", LINK_AT, "status_link")
    # an embed a consent tool holds back: its placeholder on the page
    [consent] = regions[S.JULIACA_MARCH_ID]
    assert (consent["element"], box_of(consent)) == ("div", CONSENT_AT)
    # an AMP component, by the post id in its attribute
    [amp] = regions[S.GIF_ID]
    assert (amp["element"], box_of(amp), amp["form"]) == ("amp-twitter", AMP_AT, "amp")
    # a blockquote the platform's script turned into its card: the card's frame
    [card] = regions[S.JULIACA_HOSPITAL_ID]
    assert card["element"] == "card" and card["form"] == "blockquote"
    [hospital_card] = rows(
        settings,
        """SELECT c.width, c.height FROM captures c JOIN posts p ON p.id = c.post_id
           WHERE p.native_id = ? AND c.kind = 'screenshot'""",
        str(S.JULIACA_HOSPITAL_ID),
    )
    x, y, width, height = box_of(card)
    assert width >= int(str(hospital_card["width"])) and height >= int(str(hospital_card["height"]))
    # the box's pixels are the page's there: the deleted post's blockquote is not blank
    image = Image.open(settings.data_dir / str(shot["path"]))
    left, top, w, h = DELETED_AT
    assert image.crop((left, top, left + w, top + h)).convert("L").getextrema()[0] < 128
    # every box is chained in the log, and the archive verifies
    report = verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    logged = rows(settings, "SELECT ref_id FROM log WHERE kind = 'embed_region'")
    assert sorted(int(str(r["ref_id"])) for r in logged) == sorted(int(str(r["id"])) for rs in regions.values() for r in rs)


def test_a_citation_has_a_box_in_each_page_screenshot(settings: Settings, fake_world: World) -> None:
    fake_world.pages[URL] = Page.html(page(fake_world))
    archive([URL], settings)
    moved = page(fake_world).replace("top:1500px", "top:1600px")
    fake_world.pages[URL] = Page.html(moved)
    archive([URL], settings)
    shots = [r["id"] for r in rows(settings, "SELECT id FROM captures WHERE kind = 'page_screenshot' ORDER BY id")]
    assert len(shots) == 2
    deleted = regions_by_post(settings)[S.DELETED_ID]
    assert [r["capture_id"] for r in deleted] == shots
    assert [box_of(r)[1] for r in deleted] == [1500, 1600]  # each box where that screenshot shows it
    # one citation (the same article_posts row) all along
    assert len(rows(settings, "SELECT 1 FROM article_posts ap JOIN posts p ON p.id = ap.post_id WHERE p.native_id = ?",
                    str(S.DELETED_ID))) == 1


# --- the rules, on their own --------------------------------------------------------------

BASE = "https://news.example.org/a"
DELETED = PostRef("twitter", "1612902093420171383")
OTHER = PostRef("twitter", "1612558357623734272")
DELETED_LINK = f"https://twitter.com/AndesObserver/status/{DELETED.native_id}?ref_src=twsrc%5Etfw"


def placed(tag: str, html: str, box: tuple[int, int, int, int]) -> Placed:
    return Placed(tag, html, Box(*box))


def found(items: list[Placed]) -> list[list[FoundEmbed]]:
    return [find_in_fragment(p.html, BASE) for p in items]


BLOCKQUOTE = (
    f'<blockquote class="twitter-tweet"><p>Unconfirmed: airport closed.</p>&mdash; Andes Observer '
    f'<a href="{DELETED_LINK}">January 10, 2023</a></blockquote>'
)


def test_the_innermost_element_holding_the_citation_in_its_form_wins() -> None:
    items = [
        placed("a", f'<a href="{DELETED_LINK}">January 10, 2023</a>', (60, 560, 120, 18)),
        placed("blockquote", BLOCKQUOTE, (40, 500, 600, 90)),
        placed("div", f'<div class="embed">{BLOCKQUOTE}</div>', (20, 480, 640, 130)),
    ]
    cited = [Cited(7, DELETED, DELETED_LINK, "blockquote")]
    [region] = match(cited, items, found(items), [], 1280, 4000)
    assert (region.element, region.box, region.post_id, region.link) == ("blockquote", Box(40, 500, 600, 90), 7, DELETED_LINK)


def test_an_element_holding_another_post_too_is_not_the_region() -> None:
    other = f'<blockquote class="twitter-tweet"><a href="https://twitter.com/K/status/{OTHER.native_id}">x</a></blockquote>'
    items = [placed("div", f"<div>{BLOCKQUOTE}{other}</div>", (0, 0, 800, 900))]
    assert match([Cited(7, DELETED, DELETED_LINK, "blockquote")], items, found(items), [], 1280, 4000) == []


def test_a_rendered_card_stands_for_its_blockquote_and_boxes_are_cut_to_the_shot() -> None:
    card = [Framed(DELETED, Box(280, 3900, 550, 400))]
    [region] = match([Cited(7, DELETED, DELETED_LINK, "blockquote")], [], [], card, 1280, 4000)
    assert (region.element, region.box) == ("card", Box(280, 3900, 550, 100))
    assert match([Cited(7, DELETED, DELETED_LINK, "blockquote")], [], [], card, 1280, 3000) == []


def test_what_the_page_says_is_checked() -> None:
    answer = [
        {"tag": "blockquote", "html": BLOCKQUOTE, "x": 40.4, "y": 500.6, "width": 600, "height": 90},
        {"tag": "a", "html": "<a></a>", "x": float("nan"), "y": 0, "width": 1, "height": 1},
        {"tag": "a", "html": "<a></a>", "x": 0, "y": 0, "width": True, "height": 1},
        {"tag": "p", "html": 5, "x": 0, "y": 0, "width": 10, "height": 10},
        "junk",
    ]
    assert placed_from(answer) == [Placed("blockquote", BLOCKQUOTE, Box(40, 501, 600, 90))]
    assert placed_from({"not": "a list"}) == []
    embeds = [FoundEmbed("twitter", DELETED_LINK, "blockquote", DELETED.native_id),
              FoundEmbed("twitter", "https://t.co/AbC", "short_link")]
    assert needles(embeds) == [DELETED_LINK, DELETED_LINK.split("://")[1], DELETED.native_id, "https://t.co/AbC", "t.co/AbC"]


def test_a_crop_of_the_box_is_the_screenshots_own_pixels(tmp_path: Path) -> None:
    """What the browser serves (archiver.browse.regions.crop) is the stored file's pixels."""
    import asyncio

    from archiver.browse.regions import MARGIN, crop, crop_box

    shot = Image.new("RGB", (300, 200), "white")
    for x in range(300):
        for y in range(200):
            shot.putpixel((x, y), (x % 256, y % 256, (x * y) % 256))
    path = tmp_path / "shot.png"
    shot.save(path)
    row = {"x": 50, "y": 20, "width": 100, "height": 40, "shot_width": 300, "shot_height": 200}
    box = crop_box(row)
    assert box == (50 - MARGIN, 20 - MARGIN, 150 + MARGIN, 60 + MARGIN)
    png = asyncio.run(crop(path, box))
    assert png is not None
    served = Image.open(io.BytesIO(png)).convert("RGB")
    assert hashlib.sha256(served.tobytes()).digest() == hashlib.sha256(shot.crop(box).tobytes()).digest()
    # a box past the screenshot's edge is cut to it
    assert crop_box({**row, "x": 280, "y": 190}) == (280 - MARGIN, 190 - MARGIN, 300, 200)

"""Cards of Bluesky and Mastodon posts: cut from the article's page when it shows them
whole, else rendered alone; never what lies under a frame too small for its card."""

from __future__ import annotations

import io
import sqlite3

import pytest
from PIL import Image

from archiver.config import Settings
from archiver.pipeline import archive
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform import social_sample as X
from tests.fakeplatform.pages import article_page, para

pytestmark = pytest.mark.usefixtures("fake_world")


def card_png(settings: Settings, native_id: str) -> bytes:
    conn = sqlite3.connect(settings.db_path)
    try:
        (path,) = conn.execute(
            "SELECT c.path FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ? AND c.kind = 'screenshot'",
            (native_id,),
        ).fetchone()
    finally:
        conn.close()
    return (settings.data_dir / path).read_bytes()


def red_share(png: bytes) -> float:
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        pixels = [rgb.getpixel((x, y)) for y in range(0, rgb.height, 2) for x in range(0, rgb.width, 2)]
    return sum(1 for p in pixels if p[0] > 240 and p[1] < 20 and p[2] < 20) / len(pixels)


def test_a_card_cut_short_by_its_frame_is_rendered_alone(fake_platform: FakePlatform, settings: Settings) -> None:
    # A newsroom pasted the old iframe at a fixed height, without embed.js: the card's
    # element runs past the frame's bottom, over the red block that follows it.
    world: World = X.add_to(fake_platform.world)
    status = world.mastodon.statuses[("fosstodon.org", X.M_VIDEO.id)]
    url = "https://www.example-news.com/2026/03/short-frame"
    world.add_page(url, Page.html(article_page("Short frame", [
        para("Below, a post."),
        f'<iframe src="{status.url}/embed" class="mastodon-embed" style="border:0" width="400" height="60"></iframe>',
        '<div style="background:#ff0000;width:700px;height:900px"></div>',
    ])))
    summary = archive([url], settings)
    assert summary.ok, summary.errors
    card = card_png(settings, X.masto_id(X.M_VIDEO))
    assert red_share(card) < 0.01
    with Image.open(io.BytesIO(card)) as image:
        assert image.height > 100  # the whole card, not the frame's 60 pixels

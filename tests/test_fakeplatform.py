"""The fake platform behaves as the field guide says Twitter/X does (and no more)."""

from __future__ import annotations

import html
import io
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.tokens import token_for

SYND = "https://cdn.syndication.twimg.com/tweet-result"
OEMBED = "https://publish.twitter.com/oembed"
BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


def synd(client: httpx.Client, post_id: int, token: str | None = "auto") -> httpx.Response:
    params: dict[str, str | int] = {"id": post_id, "lang": "en"}
    if token == "auto":
        params["token"] = token_for(post_id)
    elif token is not None:
        params["token"] = token
    return client.get(SYND, params=params)


# --------------------------------------------------------------------------- links


def test_tco_answers_301_to_tools_and_an_interstitial_to_browsers(fake_http: httpx.Client) -> None:
    target = f"https://twitter.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}/video/1"
    r = fake_http.get("https://t.co/G0EWr9QwxH")
    assert (r.status_code, r.headers["location"]) == (301, target)

    r = fake_http.get("https://t.co/G0EWr9QwxH", headers={"User-Agent": BROWSER_UA})
    assert r.status_code == 200 and "location" not in r.headers
    assert f"<title>{target}</title>" in r.text
    assert f'<noscript><META http-equiv="refresh" content="0;URL={target}"></noscript>' in r.text
    assert "location.replace(" in r.text

    assert fake_http.get(f"https://t.co/{S.UNKNOWN_TCO_CODE}").status_code == 404
    unsafe = fake_http.get(f"https://t.co/{S.UNSAFE_TCO_CODE}").headers["location"]
    assert unsafe.startswith("https://twitter.com/safety/unsafe_link_warning?unsafe_link=http%3A%2F%2Fphishing")
    warning = fake_http.get(unsafe)
    assert warning.status_code == 200 and html.escape(S.UNSAFE_TARGET) in warning.text


def test_pic_links_twitter_to_x_and_the_login_wall(fake_http: httpx.Client) -> None:
    photo = f"https://twitter.com/KawsachunNews/status/{S.JULIACA_DOCTOR_ID}/photo/1"
    for host in ("pic.twitter.com", "pic.x.com"):
        r = fake_http.get(f"https://{host}/EdWNhRQl11")
        assert (r.status_code, r.headers["location"]) == (301, photo)
    r = fake_http.get(photo + "?s=20")
    assert (r.status_code, r.headers["location"]) == (301, photo.replace("twitter.com", "x.com") + "?s=20")
    r = fake_http.get(photo, follow_redirects=True)
    assert r.status_code == 200 and "JavaScript is not available." in r.text
    assert "Sotomayor" not in r.text  # the wall is not the post


# --------------------------------------------------------------------------- data APIs


def test_syndication_requires_the_js_token(fake_http: httpx.Client) -> None:
    pid = S.JULIACA_HOSPITAL_ID
    assert token_for(pid) == "3wq1xia8mn"  # computed by node; the archiver's port must agree
    for token in (None, "wrongtoken"):
        r = synd(fake_http, pid, token)
        assert (r.status_code, r.json()) == (200, {})
    r = synd(fake_http, pid)
    assert r.headers["access-control-allow-origin"] == "*"
    data = r.json()
    assert data["__typename"] == "Tweet" and data["id_str"] == str(pid)
    assert data["created_at"] == "2023-01-09T21:14:07.000Z"
    assert data["text"].endswith("https://t.co/G0EWr9QwxH")
    assert data["user"]["screen_name"] == "KawsachunNews"
    video = data["mediaDetails"][0]
    assert video["type"] == "video"
    rates = [v.get("bitrate") for v in video["video_info"]["variants"]]
    assert None in rates and max(r for r in rates if r) == 2176000  # HLS has no bitrate


def test_syndication_failure_shapes_and_reposts(fake_http: httpx.Client) -> None:
    assert synd(fake_http, S.DELETED_ID).status_code == 404
    for pid in (S.PROTECTED_ID, S.SUSPENDED_ID, S.WITHHELD_ID):
        r = synd(fake_http, pid)
        assert r.status_code == 200 and r.json()["__typename"] == "TweetTombstone"
    assert synd(fake_http, S.TRANSIENT_ID).status_code == 500
    repost = synd(fake_http, S.REPOST_ID).json()
    assert repost["id_str"] == str(S.JULIACA_MARCH_ID)
    quote = synd(fake_http, S.QUOTE_ID).json()
    assert quote["quoted_tweet"]["id_str"] == str(S.JULIACA_HOSPITAL_ID)
    old = synd(fake_http, S.OLD_ID).json()
    assert old["created_at"].startswith("2009-09-18")


def test_oembed_answers(fake_http: httpx.Client) -> None:
    def oembed(pid: int, host: str = "publish.twitter.com") -> httpx.Response:
        return fake_http.get(f"https://{host}/oembed", params={"url": f"https://twitter.com/u/status/{pid}"})

    live = oembed(S.JULIACA_HOSPITAL_ID).json()
    assert live["html"].startswith('<blockquote class="twitter-tweet"><p lang="en" dir="ltr">')
    assert (live["width"], live["height"], live["type"], live["version"]) == (550, None, "rich", "1.0")
    assert live["author_url"] == "https://twitter.com/KawsachunNews"
    assert oembed(S.JULIACA_HOSPITAL_ID, "publish.x.com").status_code == 200
    assert oembed(S.DELETED_ID).status_code == 404
    assert oembed(123).status_code == 404
    protected = oembed(S.PROTECTED_ID)
    assert protected.status_code == 403
    assert protected.json()["error"] == "Sorry, you are not authorized to see this status."


# --------------------------------------------------------------------------- media


def test_media_bytes(fake_http: httpx.Client) -> None:
    base = "https://pbs.twimg.com/media/FmG1dOcTXoAAsoto"
    orig = fake_http.get(base, params={"format": "jpg", "name": "orig"})
    assert orig.headers["content-type"] == "image/jpeg"
    assert int(orig.headers["content-length"]) == len(orig.content)
    assert Image.open(io.BytesIO(orig.content)).size == (1200, 1500)
    assert fake_http.get(base + ".jpg:orig").content == orig.content
    small = Image.open(io.BytesIO(fake_http.get(base, params={"format": "jpg", "name": "small"}).content))
    assert max(small.size) == 680 and small.getextrema() != ((0, 0), (0, 0), (0, 0))

    # The shared photo is one file at one URL.
    assert media_urls(fake_http, S.SHARED_MEDIA_ID)[0] == media_urls(fake_http, S.JULIACA_MARCH_ID)[0]

    variants = synd(fake_http, S.JULIACA_HOSPITAL_ID).json()["mediaDetails"][0]["video_info"]["variants"]
    mp4 = max((v for v in variants if v.get("bitrate")), key=lambda v: v["bitrate"])
    video = fake_http.get(mp4["url"])
    assert video.headers["content-type"] == "video/mp4" and video.content[4:8] == b"ftyp"

    bomb = fake_http.get("https://pbs.twimg.com/media/FmBombPng000001?format=jpg&name=orig").content
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(bomb))
    broken = fake_http.get("https://pbs.twimg.com/media/FmCorruptJpeg01?format=jpg&name=orig").content
    with pytest.raises(OSError):
        Image.open(io.BytesIO(broken)).load()


def media_urls(client: httpx.Client, pid: int) -> list[str]:
    return [m["media_url_https"] for m in synd(client, pid).json()["mediaDetails"]]


# --------------------------------------------------------------------------- proxy & faults


def test_proxy_forms_unknown_hosts_and_log(fake_platform: FakePlatform, fake_http: httpx.Client) -> None:
    with pytest.raises(httpx.ProxyError):
        fake_http.get("https://www.google.com/")
    plain = fake_http.get(S.JULIACA_TXT_URL.replace("https://", "http://"))
    assert plain.text == S.SEED_TEXT_PATH.read_text(encoding="utf-8")
    direct = httpx.get(f"{fake_platform.proxy_url}/2023/01/juliaca.txt", headers={"Host": "www.example-news.com"})
    assert direct.status_code == 200
    assert fake_http.head(S.BAD_URLS["huge"]).headers["content-length"] == str(S.HUGE_SIZE)
    log = fake_platform.requests
    assert {"method": "CONNECT", "url": "https://www.google.com:443", "status": 502}.items() <= log[0].items()
    assert log[1]["url"] == "http://www.example-news.com/2023/01/juliaca.txt"
    assert log[-1]["method"] == "HEAD" and log[-1]["user_agent"] == "archiver-tests/1.0"


def test_faults_are_consumed_in_order(fake_platform: FakePlatform, fake_world: World, fake_http: httpx.Client) -> None:
    fake_world.faults[("www.example-news.com", "juliaca.txt")] = ["429", "reset", "hang"]
    r = fake_http.get(S.JULIACA_TXT_URL)
    assert (r.status_code, r.headers["retry-after"]) == (429, "1")
    with pytest.raises(httpx.RemoteProtocolError):
        fake_http.get(S.JULIACA_TXT_URL)
    with pytest.raises(httpx.ReadTimeout):
        fake_http.get(S.JULIACA_TXT_URL, timeout=0.3)
    assert fake_http.get(S.JULIACA_TXT_URL).status_code == 200
    statuses = [(r["status"], r.get("fault")) for r in fake_platform.requests]
    assert statuses == [(429, "429"), (None, "reset"), (None, "hang"), (200, None)]

    fake_platform.latency = 0.05
    start = time.monotonic()
    fake_http.get(S.JULIACA_TXT_URL)
    assert time.monotonic() - start >= 0.05


def test_all_forms_page_holds_every_expected_citation(fake_http: httpx.Client, fake_world: World) -> None:
    page = fake_http.get(S.ALL_FORMS_URL).text
    for item in S.ALL_FORMS_EXPECTED:
        assert item.post_id in fake_world.posts
        written = item.link.removeprefix("https://") if item.form == "pic_link" else item.link
        assert html.escape(written) in page or written in page, item
    forms = {e.form for e in S.ALL_FORMS_EXPECTED}
    assert forms == {"blockquote", "iframe", "amp", "status_link", "pic_link", "short_link"}
    assert [e.post_id for e in S.ALL_FORMS_EXPECTED].count(S.JULIACA_HOSPITAL_ID) == 2


def test_command_line_prints_what_scripts_need() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeplatform"], stdout=subprocess.PIPE, text=True,
        cwd=Path(__file__).parent.parent,
    )
    try:
        assert proc.stdout is not None
        lines = dict(proc.stdout.readline().strip().split("=", 1) for _ in range(2))
        assert Path(lines["CA"]).is_file()
        ctx = ssl.create_default_context(cafile=lines["CA"])
        with httpx.Client(proxy=lines["PROXY"], verify=ctx) as client:
            assert client.get(S.JULIACA_URL).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0


# --------------------------------------------------------------------------- Chromium


def test_chromium_trusts_the_ca_and_renders_the_juliaca_embeds(
    fake_platform: FakePlatform, fake_world: World, chromium_home: Path
) -> None:
    from playwright.sync_api import sync_playwright

    from archiver.plumbing.browser import find_browser
    from archiver.config import Settings

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=find_browser(Settings()).path,
            proxy={"server": fake_platform.proxy_url},
            args=["--disable-background-networking", "--disable-component-update", "--no-first-run", "--disable-sync"],
            env={**os.environ, "HOME": str(chromium_home)},
        )
        try:
            page = browser.new_page()  # no ignore_https_errors: the NSS db must do it
            page.goto(S.JULIACA_URL)
            page.wait_for_function(
                "() => { const f = document.querySelectorAll('div.twitter-tweet-rendered iframe[data-tweet-id]');"
                " return f.length === 4 && [...f].every(e => e.style.visibility === 'visible'); }",
                timeout=15000,
            )
            ids = page.eval_on_selector_all("iframe[data-tweet-id]", "els => els.map(e => e.dataset.tweetId)")
            assert ids == [str(i) for i in S.JULIACA_IDS]
            assert page.locator("blockquote.twitter-tweet").count() == 0
            for n, pid in enumerate(S.JULIACA_IDS):
                card = page.frame_locator(f"#twitter-widget-{n}").locator("article")
                assert card.get_attribute("data-state") == "live"
                assert card.get_attribute("data-tweet-id") == str(pid)
                assert "@KawsachunNews" in card.inner_text()
                assert page.locator(f"#twitter-widget-{n}").bounding_box()["height"] > 200  # type: ignore[index]
        finally:
            browser.close()

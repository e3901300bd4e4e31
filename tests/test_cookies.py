"""Logged-in capture, only when asked (issue 14, item 5): a user's own cookies for a platform.

Against the fake TikTok, whose ``login`` videos show only to a logged-in session: the
cookies reach TikTok's hosts through archiver's client, yt-dlp and Chromium, never another
host (a redirect included); their values are never in the exchanges, the database, the
stored files or a WACZ; provenance, the post's page and the log say the captures were
made logged in. Without cookies nothing changes. A bad cookies file is a one-line error.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from archiver.api import export, history, provenance, sweep, verify
from archiver.cli import cli
from archiver.config import Settings
from archiver.errors import ConfigError
from archiver.pipeline import archive
from archiver.plumbing.blobs import BlobStore
from archiver.plumbing.cookies import UserCookie, load, parse
from archiver.plumbing.net import Exchange, Fetcher
from tests.conftest import open_archive
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.pages import article_page, para
from tests.fakeplatform.tiktok import TikTokVideo

SESSION = "5e55i0nSECRETc00kie77"
"""The logged-in user's session id: a value that must never be stored anywhere."""
CSRF = "csrfTOKENvalue0123456789"
WALLED = TikTokVideo("7300000000000000009", "ana", "Ana", "only for the logged in #flood", state="login")
ARTICLE = "https://www.example-news.com/2026/05/03/walled-video.html"
TWEET = f"https://x.com/KawsachunNews/status/{S.JULIACA_DOCTOR_ID}"


def cookies_txt(*lines: str) -> str:
    return "# Netscape HTTP Cookie File\n# written by a browser extension\n\n" + "\n".join(lines) + "\n"


def tiktok_cookies(tmp_path: Path) -> Path:
    path = tmp_path / "tt-cookies.txt"
    path.write_text(cookies_txt(
        f"#HttpOnly_.tiktok.com\tTRUE\t/\tTRUE\t{int(time.time()) + 86400 * 30}\tsessionid\t{SESSION}",
        f"www.tiktok.com\tFALSE\t/\tTRUE\t0\ttt_csrf_token\t{CSRF}",
        f".tiktok.com\tTRUE\t/\tTRUE\t{int(time.time()) - 60}\texpired_one\tlong-gone-value-000",
    ))
    return path


@pytest.fixture
def world(fake_world: World) -> World:
    fake_world.tiktok_videos[WALLED.id] = TikTokVideo(**vars(WALLED))
    fake_world.tiktok_sessions.add(SESSION)
    fake_world.add_page(ARTICLE, Page.html(article_page("A walled video", [
        para("Only logged-in viewers can see it:"),
        f'<blockquote class="tiktok-embed" cite="{WALLED.url}" data-video-id="{WALLED.id}"><section>{WALLED.desc}</section></blockquote>',
        para("And the doctor's post: ") + f'<a href="{TWEET}">on X</a>',
    ])))
    return fake_world


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = open_archive(settings)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def with_secret(fake_platform: FakePlatform) -> list[dict[str, object]]:
    return [r for r in fake_platform.requests if SESSION in str(r.get("cookie") or "")]


# --------------------------------------------------------------------------- the file


def test_cookies_are_matched_as_a_browser_would(tmp_path: Path) -> None:
    user = load({"tiktok": tiktok_cookies(tmp_path)})
    assert user is not None
    names = lambda url: [c.name for c in user.for_url(url)]  # noqa: E731
    assert names("https://www.tiktok.com/@ana/video/1") == ["sessionid", "tt_csrf_token"]  # the expired one is gone
    assert names("https://v16-webapp-prime.tiktok.com/video/1.mp4") == ["sessionid"]  # host-only stays on www
    assert names("http://www.tiktok.com/") == []  # secure cookies: https only
    assert names("https://tiktok.com.example-news.com/") == names("https://www.example-news.com/") == []
    assert names("https://p16-sign.tiktokcdn-us.com/cover/1.jpeg") == []  # a TikTok host, not the cookies' domain
    path_bound = UserCookie("tiktok", "tiktok.com", False, "/api", True, 0, "a", "b")
    assert path_bound.matches("https", "www.tiktok.com", "/api/x", 0) and path_bound.matches("https", "tiktok.com", "/api", 0)
    assert not path_bound.matches("https", "www.tiktok.com", "/apix", 0)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a line that is no cookie at all\n", "line 1: not 7 tab-separated fields"),
        (cookies_txt(f".tiktok.com\tMAYBE\t/\tTRUE\t0\tsessionid\t{SESSION}"), "line 4: not a cookie line"),
        (cookies_txt(f".tiktok.com\tTRUE\t/\tTRUE\tsoon\tsessionid\t{SESSION}"), "line 4: not a cookie line"),
        (cookies_txt(), "no cookies in it"),
        (cookies_txt(f".tiktok.com\tTRUE\t/\tTRUE\t1000\tsessionid\t{SESSION}"), "every cookie in it has expired"),
        (cookies_txt(f".tiktok.com\tTRUE\t/\tTRUE\t0\tsessionid\t{SESSION}", f".google.com\tTRUE\t/\tTRUE\t0\tSID\t{SESSION}"),
         "a cookie for google.com, which is not a host of tiktok"),
        (cookies_txt(f".com\tTRUE\t/\tTRUE\t0\tsessionid\t{SESSION}"), "a cookie for com, which is not a host of tiktok"),
    ],
)
def test_a_bad_cookies_file_is_refused_whole_naming_the_file_not_the_value(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "bad-cookies.txt"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load({"tiktok": path})
    message = str(caught.value)
    assert str(path) in message and says in message, message
    assert "\n" not in message and SESSION not in message


def test_only_a_platform_with_hosts_takes_cookies_and_mastodon_takes_one_instance(tmp_path: Path) -> None:
    path = tmp_path / "c.txt"
    path.write_text(cookies_txt(f"mastodon.example\tFALSE\t/\tTRUE\t0\t_session_id\t{SESSION}"))
    with pytest.raises(ConfigError, match="no such platform"):
        load({"myspace": path})
    user = load({"mastodon": path})
    assert user is not None and user.hosts == {"mastodon": ("mastodon.example",)}
    assert [c.name for c in user.for_url("https://mastodon.example/@ana/1")] == ["_session_id"]
    assert user.for_url("https://other.example/@ana/1") == []
    path.write_text(cookies_txt(f"mastodon.example\tFALSE\t/\tTRUE\t0\ta\t{SESSION}", "other.example\tFALSE\t/\tTRUE\t0\tb\tx"))
    with pytest.raises(ConfigError, match="must be for one host"):
        load({"mastodon": path})


def test_the_option_and_the_environment_name_files_per_platform(tmp_path: Path) -> None:
    settings = Settings.from_env({"ARCHIVER_COOKIES": f"tiktok={tmp_path}/a.txt; YouTube = {tmp_path}/b c.txt"})
    assert settings.cookies == {"tiktok": tmp_path / "a.txt", "youtube": tmp_path / "b c.txt"}
    with pytest.raises(ConfigError, match="is not PLATFORM=FILE"):
        Settings.from_env({"ARCHIVER_COOKIES": "tiktok"})
    assert parse("# only comments\n\n", "tiktok", "x") == []


def test_a_foreign_cookie_is_one_line_on_the_command_line_and_nothing_runs(
    tmp_path: Path, fake_platform: FakePlatform, world: World, chromium_home: Path
) -> None:
    path = tmp_path / "tt.txt"
    path.write_text(cookies_txt(f".tiktok.com\tTRUE\t/\tTRUE\t0\tsessionid\t{SESSION}",
                                f".example-news.com\tTRUE\t/\tFALSE\t0\ttracker\t{SESSION}"))
    data = tmp_path / "captures"
    env = {**fake_platform.env(home=chromium_home), "ARCHIVER_DATA": str(data)}
    fake_platform.clear_requests()
    result = CliRunner().invoke(cli, ["--allow-private", "archive", WALLED.url, "--cookies", f"tiktok={path}"], env=env)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"Error: cookies file {path}: a cookie for example-news.com, which is not a host of tiktok "
        "(tiktok.com, tiktokv.com, tiktokcdn.com, tiktokcdn-us.com): refused, none of the file is used"
    ]
    assert fake_platform.requests == []  # refused before anything was asked
    malformed = tmp_path / "broken.txt"
    malformed.write_text(f".tiktok.com TRUE / TRUE 0 sessionid {SESSION}\n")  # spaces, not tabs
    result = CliRunner().invoke(cli, ["archive", WALLED.url, "--cookies", f"tiktok={malformed}"], env=env)
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "line 1: not 7 tab-separated fields" in result.output and SESSION not in result.output


# --------------------------------------------------------------------------- the HTTP client


def test_the_client_sends_them_to_the_platforms_hosts_only_and_records_none(
    settings: Settings, world: World, fake_platform: FakePlatform, tmp_path: Path
) -> None:
    settings = replace(settings, cookies={"tiktok": tiktok_cookies(tmp_path)})
    exchanges: list[Exchange] = []
    away = "https://www.example-news.com/2026/05/03/walled-video.html"

    async def go() -> tuple[int, int, str | None, str | None]:
        async with Fetcher(settings, BlobStore(settings.data_dir), exchanges.append) as fetcher:
            page = await fetcher.get(WALLED.url, "html", browser_ua=True)
            redirected = await fetcher.get(f"https://www.tiktok.com/link/v2?aid=1988&target={away}", "html")
            return page.status, redirected.status, page.logged_in, redirected.logged_in

    fake_platform.clear_requests()
    page_status, redirected_status, page_logged_in, redirected_logged_in = asyncio.run(go())
    assert (page_status, redirected_status) == (200, 200)
    assert page_logged_in == redirected_logged_in == "tiktok"  # the redirect's first hop was logged in
    sent = {r["url"]: r["cookie"] for r in fake_platform.requests}
    assert f"sessionid={SESSION}" in sent[WALLED.url] and f"tt_csrf_token={CSRF}" in sent[WALLED.url]
    assert "expired_one" not in sent[WALLED.url]
    assert sent[away] is None  # the redirect to another host carries none
    assert {str(r["url"]).split("/")[2] for r in with_secret(fake_platform)} == {"www.tiktok.com"}
    # Recorded: that they were sent, and no value, not even the session TikTok sets back.
    by_url = {e.url: e for e in exchanges}
    assert by_url[WALLED.url].logged_in == "tiktok" and by_url[away].logged_in is None
    assert ("Set-Cookie", "sessionid_ss=[redacted: set in answer to a request made with the user's cookies]; "
            "Domain=.tiktok.com; Path=/; Secure; HttpOnly") in [(k.title(), v) for k, v in by_url[WALLED.url].headers]
    assert SESSION not in json.dumps([e.headers for e in exchanges])


def test_without_cookies_nothing_is_sent_and_nothing_is_marked(settings: Settings, world: World, fake_platform: FakePlatform) -> None:
    fake_platform.clear_requests()
    summary = archive([ARTICLE], settings)
    assert rows(settings, "SELECT status FROM posts WHERE native_id = ?", WALLED.id)[0]["status"] == "unknown"  # the wall
    tiktok = [r for r in fake_platform.requests if "tiktok" in str(r["url"])]
    assert tiktok and all(r["cookie"] is None for r in tiktok)
    for table in ("captures", "status_checks", "exchanges"):
        assert rows(settings, f"SELECT count(*) AS n FROM {table} WHERE logged_in IS NOT NULL")[0]["n"] == 0
    assert summary.articles == 1


# --------------------------------------------------------------------------- a whole run


def test_a_logged_in_run_sends_them_only_to_tiktok_keeps_none_and_says_so(
    settings: Settings, world: World, fake_platform: FakePlatform, tmp_path: Path
) -> None:
    settings = replace(settings, cookies={"tiktok": tiktok_cookies(tmp_path)})
    fake_platform.clear_requests()
    summary = archive([ARTICLE], settings)
    assert summary.errors == []

    # The walled video was seen, logged in; the tweet as ever.
    posts = {r["native_id"]: r for r in rows(settings, "SELECT * FROM posts")}
    assert posts[WALLED.id]["status"] == "live" and posts[WALLED.id]["text"] == WALLED.desc
    assert posts[str(S.JULIACA_DOCTOR_ID)]["status"] == "live"

    # Each capture says whether it was made with the user's cookies: those from requests
    # that carried them (the page, oEmbed, the embed card, everything yt-dlp fetched), not
    # the cover on tiktokcdn-us.com (a TikTok host the cookies' domain does not cover).
    made = {(r["kind"], r["source"]): r["logged_in"] for r in rows(
        settings, "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ?", WALLED.id)}
    assert made == {
        ("data", "page"): "tiktok", ("data", "oembed"): "tiktok", ("data", "yt-dlp"): "tiktok",
        ("screenshot", None): "tiktok", ("video", "yt-dlp"): "tiktok", ("poster", None): None,
    }
    assert rows(settings, "SELECT logged_in FROM status_checks c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ?",
                WALLED.id)[0]["logged_in"] == "tiktok"
    others = rows(settings, """SELECT c.logged_in FROM captures c LEFT JOIN posts p ON p.id = c.post_id
                               WHERE p.native_id IS NOT ? OR c.post_id IS NULL""", WALLED.id)
    assert others and all(r["logged_in"] is None for r in others)  # the tweet, the article page

    # Sent by each client to TikTok's hosts, never to another.
    browser_ua = rows(settings, "SELECT browser_user_agent FROM runs")[0]["browser_user_agent"]
    ours = (settings.user_agent, "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36")
    carried = with_secret(fake_platform)
    assert carried and all(str(r["url"]).split("/")[2].endswith(".tiktok.com") for r in carried)
    by_client = {"http": set(), "browser": set(), "yt-dlp": set()}  # type: dict[str, set[str]]
    for r in carried:
        client = "browser" if r["user_agent"] == browser_ua else "http" if r["user_agent"] in ours else "yt-dlp"
        by_client[client].add(str(r["url"]).split("?")[0])
    assert f"https://www.tiktok.com/@_/video/{WALLED.id}" in by_client["http"]
    assert f"https://www.tiktok.com/embed/v2/{WALLED.id}" in by_client["browser"]
    assert {WALLED.url, WALLED.play} <= by_client["yt-dlp"]
    # The article page renders without them, even its TikTok embed's requests.
    article_requests = [r for r in fake_platform.requests if r["url"] == ARTICLE]
    assert article_requests and all(r["cookie"] is None for r in article_requests)
    assert all(r["cookie"] is None for r in fake_platform.requests
               if "twitter" in str(r["url"]) or "twimg" in str(r["url"]) or "x.com" in str(r["url"]))

    # Exchanges say which requests went logged in, and hold no value of theirs.
    logged = rows(settings, "SELECT client, url, headers FROM exchanges WHERE logged_in = 'tiktok'")
    assert {r["client"] for r in logged} == {"http", "browser"}
    assert any("[redacted: set in answer to a request made with the user's cookies]" in r["headers"] for r in logged)

    # Never stored: not in the database, not in any stored file, not in a WACZ.
    out = tmp_path / "export.wacz"
    export(settings, out)
    stored = [p for p in settings.data_dir.rglob("*") if p.is_file()] + [out]
    for path in stored:
        data = path.read_bytes()
        assert SESSION.encode() not in data and CSRF.encode() not in data, path

    # Provenance says it, capture by capture and request by request.
    report = provenance(settings, WALLED.url)
    marks = {c["kind"] + "/" + str(c["capture_id"]): c["logged_in"] for c in report.captures}
    assert "tiktok" in marks.values() and None in marks.values()
    assert any("LOGGED IN: made with the user's own cookies for tiktok" in line for line in report.lines())
    assert any("with the user's tiktok cookies" in line for line in report.lines())
    assert any("(logged in: the user's tiktok cookies)" in line for line in history(settings, WALLED.url).lines())
    sealed = json.loads(next(settings.data_dir.joinpath(r["path"]).read_text()
                             for r in rows(settings, "SELECT path FROM captures WHERE kind = 'provenance'")))
    assert sealed["run"]["logged_in"] == ["tiktok"]

    # Chained: verify holds, and a capture or check stripped of its mark is caught.
    assert verify(settings).ok
    kinds = {r["kind"] for r in rows(settings, "SELECT kind FROM log")}
    assert {"capture_v3", "status_check_v2"} <= kinds and not {"capture_v2", "status_check"} & kinds
    conn = sqlite3.connect(settings.db_path)
    conn.execute("UPDATE captures SET logged_in = NULL WHERE logged_in IS NOT NULL AND kind = 'screenshot'")
    conn.execute("UPDATE status_checks SET logged_in = NULL")
    conn.commit()
    conn.close()
    problems = verify(settings).problems
    assert {p.kind for p in problems} == {"row_changed"}
    assert {p.where.split(" row ")[0].split("(")[-1] for p in problems} >= {"captures", "status_checks"}


def test_a_sweep_with_the_environments_cookies_checks_logged_in_and_the_post_page_says_so(
    settings: Settings, world: World, fake_platform: FakePlatform, tmp_path: Path
) -> None:
    archive([WALLED.url], settings)  # first without: the wall
    assert rows(settings, "SELECT status FROM posts")[0]["status"] == "unknown"
    env = {"ARCHIVER_COOKIES": f"tiktok={tiktok_cookies(tmp_path)}"}
    swept = replace(settings, cookies=Settings.from_env(env).cookies)
    fake_platform.clear_requests()
    summary = sweep(swept, everything=True)
    assert summary.errors == []
    checks = rows(settings, "SELECT status, logged_in FROM status_checks ORDER BY id")
    assert [(c["status"], c["logged_in"]) for c in checks][-1] == ("live", "tiktok")
    assert checks[0]["logged_in"] is None
    assert with_secret(fake_platform)

    post_id = rows(settings, "SELECT id FROM posts")[0]["id"]
    with served(settings) as base:
        page = httpx.get(f"{base}/archive/posts/{post_id}", timeout=30).text
    assert "Captured logged in:" in page and "cookies for tiktok" in page
    assert "Checked logged in, with the user&#39;s own tiktok cookies." in page
    assert SESSION not in page


class served:
    """``archiver serve`` on the archive, for as long as the block runs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __enter__(self) -> str:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
        self.server = subprocess.Popen(
            [sys.executable, "-m", "archiver.cli", "--data", str(self.settings.data_dir), "serve", "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/-/versions.json", timeout=5).status_code == 200:
                    return base
            except httpx.TransportError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                output = self.server.stdout.read().decode() if self.server.stdout else ""
                self.server.kill()
                pytest.fail(f"archiver serve did not start: {output}")
            time.sleep(0.1)

    def __exit__(self, *exc: object) -> None:
        self.server.terminate()
        self.server.wait(timeout=10)


# --------------------------------------------------------------------------- distributed capture


def test_cookies_never_travel_through_a_queue_and_a_workers_marks_do(tmp_path: Path) -> None:
    from archiver.api import archive as api_archive
    from archiver.api import sweep as api_sweep
    from archiver.distributed.wire import capture_in, capture_out, check_in, exchange_in, exchange_out
    from archiver.plumbing.blobs import Blob
    from archiver.steps.store import CaptureFile, Check

    settings = Settings(data_dir=tmp_path / "captures", cookies={"tiktok": tiktok_cookies(tmp_path)})
    for call in (lambda: api_archive([WALLED.url], settings, queue="redis://127.0.0.1:9/0"),
                 lambda: api_sweep(settings, queue="redis://127.0.0.1:9/0")):
        with pytest.raises(ConfigError, match="not sent through the queue"):
            call()
    # What a worker made logged in (with its own ARCHIVER_COOKIES) arrives at the writer marked.
    blob = Blob("0" * 64, "blobs/00/00", 3, "text/html")
    capture = capture_in(json.loads(json.dumps(capture_out(CaptureFile("data", blob, logged_in="tiktok")))))
    client, exchange = exchange_in(json.loads(json.dumps(exchange_out("http", Exchange(
        WALLED.url, "GET", 200, [("Set-Cookie", "a=[redacted]")], "2026-05-03T00:00:00Z", blob, "tiktok")))))
    check = check_in(json.loads(json.dumps(vars(Check(1, "live", {}, "2026-05-03T00:00:00Z", 0.0, "tiktok")))))
    assert (capture.logged_in, exchange.logged_in, check.logged_in, client) == ("tiktok", "tiktok", "tiktok", "http")

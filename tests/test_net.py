"""archiver.plumbing.net.Fetcher and archiver.steps.resolve against real sockets: the fake platform
(through its proxy, with injected faults) and, where the fake cannot misbehave in the
needed way, a tiny loopback HTTP server of this module's own."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from archiver.plumbing.blobs import BlobStore
from archiver.config import Limits, Settings
from archiver.errors import BlockedURL, NetworkFailure, TooLarge, TooManyHops
from archiver.plumbing.net import Exchange, Fetcher, NoProxy, Response, html_redirect_target
from archiver.platforms.twitter.patterns import post_id_from_url
from archiver.steps.resolve import Resolution, resolve
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import Page

JULIACA = S.JULIACA_URL
HOSPITAL_STATUS = f"https://twitter.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}"


# --------------------------------------------------------------------------- helpers


def fetch(settings: Settings, url: str, kind: str = "html", **kw: Any) -> tuple[Response, list[Exchange]]:
    """One Fetcher.get, returning the response and every exchange it recorded."""
    seen: list[Exchange] = []

    async def go() -> Response:
        async with Fetcher(settings, BlobStore(settings.data_dir), seen.append) as f:
            return await f.get(url, kind, **kw)  # type: ignore[arg-type]

    return asyncio.run(go()), seen


def fetch_many(settings: Settings, urls: list[str], kind: str = "other") -> list[Response]:
    async def go() -> list[Response]:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as f:
            return list(await asyncio.gather(*(f.get(u, kind) for u in urls)))  # type: ignore[arg-type]

    return asyncio.run(go())


def run_resolve(settings: Settings, url: str, *, browser_ua: bool) -> Resolution:
    async def go() -> Resolution:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as f:
            return await resolve(f, url, browser_ua=browser_ua)

    return asyncio.run(go())


@pytest.fixture
def net(settings: Settings) -> Settings:
    """Settings for client tests: the fake's proxy, short timeouts, quick retries."""
    return replace(settings, timeout=1.0, request_deadline=4.0, retries=2, backoff=0.01, max_retry_after=2.0)


class LocalServer:
    """A loopback HTTP/1.1 server that counts requests in flight, per Host header.

    Paths: ``/gate`` holds each answer until ``gate`` requests are in flight at once (or
    a generous bound passes); ``/chunked?n=N`` answers N bytes with no Content-Length;
    ``/drip`` answers one byte every 0.2 s for 30 s; ``/cookie`` sets a cookie and
    redirects to ``/cookie?again=1`` until the cookie comes back; ``/close`` answers and
    closes the kept-alive connection without saying so; anything else answers "ok".
    """

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.max_total = 0
        self.log: list[str] = []
        self.gate = 0
        self.expected = 0
        """/gate stops holding answers once this many requests have arrived in all."""
        self.stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").rpartition(":")[0]
                path = urlsplit(self.path)
                with server.lock:
                    server.log.append(f"{host}{self.path}")
                    server.in_flight[host] = server.in_flight.get(host, 0) + 1
                    server.max_in_flight[host] = max(server.max_in_flight.get(host, 0), server.in_flight[host])
                    server.max_total = max(server.max_total, sum(server.in_flight.values()))
                    server.lock.notify_all()
                try:
                    if path.path == "/gate":
                        with server.lock:
                            server.lock.wait_for(
                                lambda: sum(server.in_flight.values()) >= server.gate or len(server.log) >= server.expected,
                                timeout=5,
                            )
                        time.sleep(0.05)  # room for any request that should not be here
                        self._answer(b"gated")
                    elif path.path == "/chunked":
                        size = int(parse_qs(path.query)["n"][0])
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html")
                        self.send_header("Transfer-Encoding", "chunked")
                        self.end_headers()
                        for start in range(0, size, 1000):
                            chunk = b"x" * min(1000, size - start)
                            self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                        self.wfile.write(b"0\r\n\r\n")
                    elif path.path == "/drip":
                        self.send_response(200)
                        self.send_header("Content-Type", "text/html")
                        self.send_header("Content-Length", "1000")
                        self.end_headers()
                        for _ in range(150):
                            if server.stop.wait(0.2):
                                break
                            self.wfile.write(b"x")
                            self.wfile.flush()
                    elif path.path == "/cookie" and "seen=1" not in (self.headers.get("Cookie") or ""):
                        self.send_response(302)
                        self.send_header("Set-Cookie", "seen=1; Path=/")
                        self.send_header("Location", "/cookie?again=1")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                    elif path.path == "/close":
                        self._answer(b"ok")
                        self.close_connection = True
                    else:
                        self._answer(b"ok")
                except OSError:
                    pass
                finally:
                    with server.lock:
                        server.in_flight[host] -= 1

            def _answer(self, body: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def local() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.close()


def direct(tmp_path: Path, **kw: Any) -> Settings:
    """Settings for the loopback server: no proxy, private addresses allowed."""
    base: dict[str, Any] = dict(
        data_dir=tmp_path / "direct", proxy=None, allow_private=True, timeout=1.0, request_deadline=4.0,
        retries=0, backoff=0.01,
    )
    base.update(kw)
    return Settings(**base)


# --------------------------------------------------------------------------- retries


def test_429_with_retry_after_is_retried_and_every_attempt_recorded(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = ["429"]
    response, exchanges = fetch(net, JULIACA)
    assert response.status == 200
    assert b"Juliaca" in (response.body or b"")
    attempts = fake_platform.requests_to("www.example-news.com")
    assert [r["status"] for r in attempts] == [429, 200]
    assert [(e.url, e.status) for e in exchanges] == [(JULIACA, 429), (JULIACA, 200)]
    assert ("retry-after", "1") in [(k.lower(), v) for k, v in exchanges[0].headers]
    # Each exchange's body is kept as evidence, the 429's too.
    assert exchanges[0].blob is not None and exchanges[1].blob is not None
    assert (net.data_dir / exchanges[1].blob.path).read_bytes() == response.body


@pytest.mark.parametrize("status", ["500", "503"])
def test_5xx_is_retried_up_to_the_limit_then_returned(net: Settings, fake_platform: FakePlatform, fake_world: World, status: str) -> None:
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = status
    response, exchanges = fetch(net, JULIACA)
    assert response.status == int(status)
    assert len(fake_platform.requests_to("www.example-news.com")) == net.retries + 1
    assert [e.status for e in exchanges] == [int(status)] * (net.retries + 1)


def test_no_retries_when_retries_is_zero(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = "502"
    response, _ = fetch(replace(net, retries=0), JULIACA)
    assert response.status == 502
    assert len(fake_platform.requests_to("www.example-news.com")) == 1


def test_a_404_is_not_retried(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    response, exchanges = fetch(net, S.BAD_URLS["404"])
    assert response.status == 404
    assert len(fake_platform.requests_to("www.example-news.com")) == 1
    assert len(exchanges) == 1


def test_retry_after_longer_than_the_maximum_is_not_waited_for(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    # The fake's 429 says Retry-After: 1; allow only half a second.
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = ["429", "429", "429"]
    response, exchanges = fetch(replace(net, max_retry_after=0.5), JULIACA)
    assert response.status == 429
    assert len(fake_platform.requests_to("www.example-news.com")) == 1
    assert [e.status for e in exchanges] == [429]


def test_retry_after_as_a_far_http_date_is_not_waited_for(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    url = f"{S.NEWS}/overloaded"
    fake_world.add_page(url, Page(status=503, body=b"busy", headers={"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    response, _ = fetch(net, url)
    assert response.status == 503
    assert len(fake_platform.requests_to("www.example-news.com")) == 1


def test_a_reset_connection_is_retried(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = ["reset"]
    response, exchanges = fetch(net, JULIACA)
    assert response.status == 200
    assert [r["status"] for r in fake_platform.requests_to("www.example-news.com")] == [None, 200]
    assert [e.status for e in exchanges] == [200]  # a reset gives no response to record


def test_resets_beyond_the_retries_end_in_a_network_error(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = "reset"
    with pytest.raises(NetworkFailure) as caught:
        fetch(net, JULIACA)
    assert JULIACA in str(caught.value)
    assert len(fake_platform.requests_to("www.example-news.com")) == net.retries + 1


def test_a_hanging_server_ends_in_a_network_error_naming_the_url(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    url = S.BAD_URLS["hang"]
    with pytest.raises(NetworkFailure) as caught:
        fetch(replace(net, retries=1), url)
    message = str(caught.value)
    assert url in message and "\n" not in message
    # Each attempt reached the server and was never answered.
    assert [r["status"] for r in fake_platform.requests_to("www.example-news.com")] == [None, None]


def test_a_slow_drip_is_cut_by_the_request_deadline(tmp_path: Path, local: LocalServer) -> None:
    # One byte every 0.2 s never trips the 5 s read timeout; only the deadline ends it.
    settings = direct(tmp_path, timeout=5.0, request_deadline=1.5)
    url = local.url("/drip")
    with pytest.raises(NetworkFailure) as caught:
        fetch(settings, url)
    assert url in str(caught.value)
    assert "no complete answer" in str(caught.value)


# --------------------------------------------------------------------------- redirects


def test_a_connection_the_server_closed_while_idle_is_not_reused(tmp_path: Path, local: LocalServer) -> None:
    async def go() -> list[bytes | None]:
        bodies = []
        async with Fetcher(direct(tmp_path), BlobStore(tmp_path)) as f:
            for _ in range(3):
                bodies.append((await f.get(local.url("/close"), "other")).body)
                await asyncio.sleep(0.1)  # the server's FIN arrives while the connection is idle
        return bodies

    # No retries: a request sent on the closed connection would fail.
    assert asyncio.run(go()) == [b"ok", b"ok", b"ok"]


def test_an_untrusted_certificate_is_a_network_error(net: Settings, fake_world: World) -> None:
    with pytest.raises(NetworkFailure) as caught:
        fetch(replace(net, ca_bundle=None, retries=0), JULIACA)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value) and JULIACA in str(caught.value)


def test_redirect_hops_are_recorded(net: Settings, fake_world: World) -> None:
    url = f"https://www.twitter.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}"
    response, exchanges = fetch(net, url, "other")
    x_url = f"https://x.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}"
    assert response.url == x_url and response.status == 200
    assert response.hops == [{"url": url, "status": 301}, {"url": x_url, "status": 200}]
    assert [(e.url, e.status) for e in exchanges] == [(url, 301), (x_url, 200)]


def test_follow_false_returns_the_redirect_itself(net: Settings, fake_world: World) -> None:
    response, _ = fetch(net, S.BAD_URLS["loop"], follow=False)
    assert response.status == 302
    assert response.headers["location"] == f"{S.NEWS}/bad/loop-b"


@pytest.mark.parametrize(
    ("max_hops", "ok"),
    [(S.LONG_CHAIN_HOPS, True), (S.LONG_CHAIN_HOPS - 1, False), (10, False)],
)
def test_redirect_chain_against_the_hop_limit(net: Settings, fake_world: World, max_hops: int, ok: bool) -> None:
    url = S.BAD_URLS["long-chain"]
    settings = replace(net, max_hops=max_hops)
    if not ok:
        with pytest.raises(TooManyHops) as caught:
            fetch(settings, url)
        assert url in str(caught.value)
        return
    response, _ = fetch(settings, url)
    assert response.status == 200
    assert len(response.hops) == S.LONG_CHAIN_HOPS + 1
    assert [h["status"] for h in response.hops] == [302] * S.LONG_CHAIN_HOPS + [200]
    assert response.url == f"{url}/{S.LONG_CHAIN_HOPS}"


def test_a_redirect_loop_is_an_error(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    with pytest.raises(TooManyHops) as caught:
        fetch(net, S.BAD_URLS["loop"])
    assert S.BAD_URLS["loop"] in str(caught.value)
    assert len(fake_platform.requests_to("www.example-news.com")) == 2


@pytest.mark.parametrize("key", ["to-private", "to-metadata"])
def test_a_redirect_to_a_private_address_is_refused_before_following(
    net: Settings, fake_platform: FakePlatform, fake_world: World, key: str
) -> None:
    url = S.BAD_URLS[key]
    with pytest.raises(BlockedURL) as caught:
        fetch(net, url)
    assert url in str(caught.value)
    # Only the redirecting page was asked; the private target never was, not even via the proxy.
    assert [r["url"] for r in fake_platform.requests] == [url]


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "path_host",
    ["127.0.0.1", "localhost", "[::1]", "169.254.169.254", "[::ffff:127.0.0.1]", "0.0.0.0"],
)
def test_private_targets_are_refused_before_any_connection(
    tmp_path: Path, fake_platform: FakePlatform, fake_world: World, path_host: str
) -> None:
    """Without a proxy, nothing reaches the (loopback) fake when the target is private."""
    settings = Settings(data_dir=tmp_path / "d", proxy=None, allow_private=False, timeout=1.0, retries=0)
    url = f"http://{path_host}:{fake_platform.port}/2023/01/juliaca"
    with pytest.raises(BlockedURL) as caught:
        fetch(settings, url)
    assert url in str(caught.value)
    assert fake_platform.requests == []


def test_a_dotted_shorthand_loopback_name_is_refused_at_connect_time(
    tmp_path: Path, fake_platform: FakePlatform, fake_world: World
) -> None:
    # "127.1" is not an IP literal to ipaddress, so it passes the URL check as a name;
    # resolved, it is 127.0.0.1, and the guarded connection must refuse it.
    settings = Settings(data_dir=tmp_path / "d", proxy=None, allow_private=False, timeout=1.0, retries=0)
    url = f"http://127.1:{fake_platform.port}/2023/01/juliaca"
    with pytest.raises(BlockedURL):
        fetch(settings, url)
    assert fake_platform.requests == []


@pytest.mark.parametrize("host", ["127.1", "0x7f.0.0.1"])
def test_shorthand_loopback_addresses_are_refused_behind_a_proxy(
    net: Settings, fake_platform: FakePlatform, fake_world: World, host: str
) -> None:
    with pytest.raises(BlockedURL):
        fetch(replace(net, retries=0), f"http://{host}:9/")
    assert fake_platform.requests == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "data:text/html,<h1>hi</h1>", "ftp://example.com/x"])
def test_non_http_schemes_are_refused(net: Settings, fake_platform: FakePlatform, fake_world: World, url: str) -> None:
    with pytest.raises(BlockedURL) as caught:
        fetch(net, url)
    assert url in str(caught.value)
    assert fake_platform.requests == []


def test_allow_private_reaches_a_loopback_server(tmp_path: Path, local: LocalServer) -> None:
    response, _ = fetch(direct(tmp_path), local.url("/hello"))
    assert (response.status, response.body) == (200, b"ok")
    with pytest.raises(BlockedURL):
        fetch(direct(tmp_path, allow_private=False), local.url("/hello"))
    assert local.log == ["127.0.0.1/hello"]


# --------------------------------------------------------------------------- size caps


def test_a_declared_size_over_the_cap_is_refused(net: Settings, fake_world: World) -> None:
    url = S.BAD_URLS["huge"]
    with pytest.raises(TooLarge) as caught:
        fetch(net, url, "html")
    assert url in str(caught.value)
    assert str(net.limits.html) in str(caught.value)
    # Under a larger cap the same page is read whole.
    response, _ = fetch(replace(net, limits=Limits(html=S.HUGE_SIZE)), url, "html")
    assert len(response.body or b"") == S.HUGE_SIZE


@pytest.mark.parametrize("kind", ["html", "video"])
def test_an_undeclared_size_over_the_cap_is_cut_off_and_leaves_no_file(tmp_path: Path, local: LocalServer, kind: str) -> None:
    settings = direct(tmp_path, limits=Limits(html=5000, video=5000))
    with pytest.raises(TooLarge):
        fetch(settings, local.url("/chunked?n=20000"), kind)
    blobs = settings.data_dir / "blobs"
    assert [p for p in blobs.rglob("*") if p.is_file()] == []
    # At the cap exactly, it is accepted.
    response, _ = fetch(settings, local.url("/chunked?n=5000"), kind)
    assert response.status == 200 and response.blob is not None and response.blob.bytes == 5000
    assert list((blobs / "tmp").iterdir()) == []


# --------------------------------------------------------------------------- per-host limit


def test_requests_to_one_host_never_exceed_per_host(tmp_path: Path, local: LocalServer) -> None:
    settings = direct(tmp_path, per_host=3, timeout=10.0, request_deadline=20.0)
    local.gate, local.expected = 3, 10
    responses = fetch_many(settings, [local.url(f"/gate?i={i}") for i in range(10)])
    assert [r.status for r in responses] == [200] * 10
    assert local.max_in_flight["127.0.0.1"] == 3


def test_the_limit_is_per_host_not_global(tmp_path: Path, local: LocalServer) -> None:
    settings = direct(tmp_path, per_host=2, timeout=10.0, request_deadline=20.0)
    local.gate, local.expected = 4, 12
    urls = [local.url(f"/gate?i={i}", host) for i in range(6) for host in ("127.0.0.1", "localhost")]
    responses = fetch_many(settings, urls)
    assert [r.status for r in responses] == [200] * 12
    assert local.max_in_flight == {"127.0.0.1": 2, "localhost": 2}
    assert local.max_total == 4


def test_per_host_limit_through_the_proxy(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    """The same through the fake platform: each answer is delayed 0.4 s, so with a limit of
    2 a third request can only arrive after an earlier one was answered, i.e. never within
    0.4 s of two others. (A lower bound that load can only widen; 0.35 leaves room for clocks.)"""
    fake_world.faults[("www.example-news.com", "/2023/01/juliaca")] = "delay:0.4"
    settings = replace(net, per_host=2, timeout=10.0, request_deadline=20.0)
    fetch_many(settings, [f"{JULIACA}?i={i}" for i in range(6)], "html")
    arrivals = sorted(r["time"] for r in fake_platform.requests_to("www.example-news.com"))
    assert len(arrivals) == 6
    assert all(later - earlier >= 0.35 for earlier, later in zip(arrivals, arrivals[2:]))


# --------------------------------------------------------------------------- proxies


def test_no_proxy_understands_the_usual_spellings() -> None:
    def direct(no_proxy: str | None, url: str) -> bool:
        return NoProxy.parse(no_proxy).covers(httpx.URL(url))

    assert not direct(None, "https://example.com/") and not direct(" , ", "https://example.com/")
    assert direct("*", "https://anything.example/")
    # A domain covers itself and its subdomains, with or without a leading dot, and no look-alike.
    for spelling in ("example.com", ".example.com", "*.example.com", "EXAMPLE.COM"):
        assert direct(spelling, "https://example.com/a") and direct(spelling, "https://www.example.com/a"), spelling
        assert not direct(spelling, "https://badexample.com/"), spelling
    # A name without a dot, and an address, are that host only.
    assert direct("localhost", "http://localhost:8000/") and not direct("localhost", "http://my.localhost/")
    assert direct("127.0.0.1", "http://127.0.0.1/") and not direct("127.0.0.1", "http://127.0.0.10/")
    assert direct("::1", "http://[::1]:8080/") and direct("[::1]", "http://[::1]/")
    # A port limits an entry to it; the scheme's default port counts.
    assert direct("example.com:8443", "https://example.com:8443/") and not direct("example.com:8443", "https://example.com/")
    assert direct("[::1]:8080", "http://[::1]:8080/") and not direct("[::1]:8080", "http://[::1]:9090/")
    assert direct("example.com:443", "https://example.com/")
    # CIDR ranges are skipped (documented): the address still goes through the proxy.
    assert not direct("10.0.0.0/8", "http://10.1.2.3/")
    assert direct("other.example, localhost ,127.0.0.1", "http://127.0.0.1/")


def test_a_cookie_set_on_a_redirect_is_sent_back(tmp_path: Path, local: LocalServer) -> None:
    response, exchanges = fetch(direct(tmp_path), local.url("/cookie"))
    assert response.body == b"ok"
    assert [e.status for e in exchanges] == [302, 200]


def test_no_proxy_sends_listed_hosts_direct_and_others_through_the_proxy(
    tmp_path: Path, fake_platform: FakePlatform, fake_world: World, local: LocalServer
) -> None:
    proxied = direct(tmp_path, proxy=fake_platform.proxy_url, ca_bundle=str(fake_platform.ca_pem_path))
    # Listed: straight to the loopback server, the proxy never sees it.
    response, _ = fetch(replace(proxied, no_proxy="localhost,127.0.0.1"), local.url("/a"))
    assert response.body == b"ok"
    assert local.log == ["127.0.0.1/a"] and fake_platform.requests == []
    # "*" means no proxy at all.
    response, _ = fetch(replace(proxied, no_proxy="*"), local.url("/b", "localhost"))
    assert response.body == b"ok" and fake_platform.requests == []
    # Not listed: through the proxy (which cannot reach it: 502), never to the server.
    response, _ = fetch(replace(proxied, no_proxy="other.example"), local.url("/c"))
    assert response.status == 502
    assert local.log == ["127.0.0.1/a", "localhost/b"]
    assert [r["status"] for r in fake_platform.requests] == [502]
    # A listed name does not send other hosts direct: the world's article still comes via the proxy.
    response, _ = fetch(replace(proxied, no_proxy="localhost,127.0.0.1"), JULIACA)
    assert response.status == 200


def test_no_proxy_from_the_environment(tmp_path: Path, fake_platform: FakePlatform, fake_world: World, local: LocalServer) -> None:
    env = {"HTTPS_PROXY": fake_platform.proxy_url, "HTTP_PROXY": fake_platform.proxy_url, "NO_PROXY": "127.0.0.1",
           "SSL_CERT_FILE": str(fake_platform.ca_pem_path)}
    settings = Settings.from_env(env, data_dir=tmp_path / "env", allow_private=True, retries=0)
    assert settings.proxy == fake_platform.proxy_url and settings.no_proxy == "127.0.0.1"
    response, _ = fetch(settings, local.url("/env"))
    assert response.body == b"ok" and fake_platform.requests == []
    response, _ = fetch(settings, JULIACA)
    assert response.status == 200 and len(fake_platform.requests) == 1


def test_no_proxy_with_an_ipv6_loopback_entry(tmp_path: Path, fake_platform: FakePlatform, fake_world: World, local: LocalServer) -> None:
    settings = direct(tmp_path, proxy=fake_platform.proxy_url, no_proxy="localhost,127.0.0.1,::1")
    response, _ = fetch(settings, local.url("/v6"))
    assert response.body == b"ok" and fake_platform.requests == []


# --------------------------------------------------------------------------- t.co and resolve


def test_html_redirect_target_on_the_tco_browser_page(net: Settings, fake_world: World) -> None:
    target = f"{S.NEWS}/2023/01/juliaca?a=1&b=%2F2"  # '&' is escaped in the meta, '/' in the script
    fake_world.short_links["AmpQuery01"] = target
    response, _ = fetch(net, "https://t.co/AmpQuery01", "other", browser_ua=True)
    assert response.status == 200 and "location" not in response.headers
    assert html_redirect_target(response.body or b"") == target
    # Only the meta refresh, or only the script, still gives the target.
    meta_only = b'<html><head><meta http-equiv="refresh" content="0; url=https://x.com/a/status/1"></head></html>'
    assert html_redirect_target(meta_only) == "https://x.com/a/status/1"
    script_only = b'<script>location.replace("https:\\/\\/x.com\\/a\\/status\\/2")</script>'
    assert html_redirect_target(script_only) == "https://x.com/a/status/2"
    assert html_redirect_target(b"<html><title>no redirect here</title></html>") is None


def test_resolve_with_a_browser_ua_follows_the_tco_page(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    code = S.JULIACA_CODES[0]
    result = run_resolve(net, f"https://t.co/{code}", browser_ua=True)
    target = f"{HOSPITAL_STATUS}/video/1"
    x_target = target.replace("https://twitter.com", "https://x.com")
    assert result.hops == [
        {"url": f"https://t.co/{code}", "status": 200},
        {"url": target, "status": 301},
        {"url": x_target, "status": 200},
    ]
    assert result.final_url == x_target
    assert post_id_from_url(result.final_url) == str(S.JULIACA_HOSPITAL_ID)
    assert all("Mozilla" in r["user_agent"] for r in fake_platform.requests)


def test_resolve_as_a_tool_follows_http_redirects(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    code = S.JULIACA_CODES[1]
    result = run_resolve(net, f"https://t.co/{code}", browser_ua=False)
    assert [h["status"] for h in result.hops] == [301, 301, 200]
    assert result.hops[0]["url"] == f"https://t.co/{code}"
    assert post_id_from_url(result.final_url) == str(S.JULIACA_DOCTOR_ID)
    assert not any("Mozilla" in r["user_agent"] for r in fake_platform.requests)


def test_resolve_unwraps_the_unsafe_link_warning_to_the_post(net: Settings, fake_world: World) -> None:
    wrapper = "https://twitter.com/safety/unsafe_link_warning?unsafe_link=" + quote(HOSPITAL_STATUS, safe="")
    fake_world.short_links["UnsafeP0st"] = wrapper
    for browser_ua, first_status in ((True, 200), (False, 301)):
        result = run_resolve(net, "https://t.co/UnsafeP0st", browser_ua=browser_ua)
        hops = result.hops
        assert hops[0] == {"url": "https://t.co/UnsafeP0st", "status": first_status}
        assert {"url": wrapper, "status": 200} in hops
        assert hops[-2:] == [
            {"url": HOSPITAL_STATUS, "status": 301},
            {"url": HOSPITAL_STATUS.replace("https://twitter.com", "https://x.com"), "status": 200},
        ]
        assert post_id_from_url(result.final_url) == str(S.JULIACA_HOSPITAL_ID)


def test_resolve_of_an_unknown_code_ends_at_the_404(net: Settings, fake_world: World) -> None:
    result = run_resolve(net, f"https://t.co/{S.UNKNOWN_TCO_CODE}", browser_ua=True)
    assert result.hops == [{"url": f"https://t.co/{S.UNKNOWN_TCO_CODE}", "status": 404}]
    assert post_id_from_url(result.final_url) is None


def test_resolve_refuses_a_short_link_to_a_private_address(net: Settings, fake_platform: FakePlatform, fake_world: World) -> None:
    fake_world.short_links["Priv4te001"] = "http://169.254.169.254/latest/meta-data/"
    for browser_ua in (True, False):
        with pytest.raises(BlockedURL):
            run_resolve(net, "https://t.co/Priv4te001", browser_ua=browser_ua)
    assert all(r["url"] == "https://t.co/Priv4te001" for r in fake_platform.requests)


# --------------------------------------------------------------------------- bodies


def test_a_gzip_encoded_answer_is_decoded(net: Settings, fake_world: World) -> None:
    import gzip
    import json

    url = f"{S.NEWS}/api/data.json"
    data = {"hello": "wörld"}
    fake_world.add_page(
        url,
        Page(body=gzip.compress(json.dumps(data).encode()), content_type="application/json", headers={"Content-Encoding": "gzip"}),
    )
    response, _ = fetch(net, url, "json")
    assert response.json() == data


def test_a_malformed_redirect_location_is_a_fetch_error(net: Settings, fake_world: World) -> None:
    from archiver.errors import FetchError

    url = f"{S.NEWS}/bad/malformed-location"
    fake_world.add_page(url, Page(status=302, location="http://[bad"))
    with pytest.raises(FetchError) as caught:
        fetch(replace(net, retries=0), url)
    assert url in str(caught.value)

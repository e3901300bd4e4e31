"""The browser's guard proxy, spoken to as Chromium speaks to it: CONNECT and absolute-form
requests over a real socket. End to end through Chromium: tests/test_archive.py
(test_the_browser_never_requests_what_the_policy_refuses)."""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from archiver.config import Settings
from archiver.plumbing.guard_proxy import GuardProxy


class Listener:
    """A loopback TCP server that records what arrives on each connection and answers
    ``reply`` once a request head (and its body) has arrived, then closes; or, as told by
    ``mode``: ``silent`` answers nothing, ``linger`` answers and keeps the connection open,
    ``at-eof`` reads until the client has finished sending and answers then."""

    def __init__(self, reply: bytes = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") -> None:
        self.reply = reply
        self.mode = "answer"
        self.received: list[bytes] = []
        self.release = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                if self.mode == "at-eof":
                    while chunk := conn.recv(65536):
                        data += chunk
                    self.received.append(data)
                    conn.sendall(self.reply)
                    continue
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                    0,
                )
                while len(body) < length:
                    body += conn.recv(65536)
                self.received.append(data if not length else head + b"\r\n\r\n" + body)
                if self.mode != "silent":
                    conn.sendall(self.reply)
                if self.mode != "answer":
                    self.release.wait(30)

    def close(self) -> None:
        self.release.set()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


def settings(tmp_path: Path, **kw: Any) -> Settings:
    return Settings(**{"data_dir": tmp_path, "proxy": None, "timeout": 2.0, **kw})


def through(guard_settings: Settings, exchange: Callable[[GuardProxy], Awaitable[bytes]]) -> tuple[bytes, list[str]]:
    async def run() -> tuple[bytes, list[str]]:
        async with GuardProxy(guard_settings) as guard:
            return await exchange(guard), guard.refused

    return asyncio.run(run())


def request(text: str, then: bytes = b"") -> Callable[[GuardProxy], Awaitable[bytes]]:
    """Send ``text`` (a request head) to the guard, then ``then`` once it answers; all it sent back."""

    async def exchange(guard: GuardProxy) -> bytes:
        host, port = guard.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(text.encode())
        answer = await reader.readuntil(b"\r\n\r\n")
        if then:
            writer.write(then)
        answer += await asyncio.wait_for(reader.read(), 5)
        writer.close()
        return answer

    return exchange


@pytest.mark.parametrize(
    "target",
    ["127.0.0.1:{port}", "localhost:{port}", "0x7f.0.0.1:{port}", "127.1:{port}", "[::1]:{port}", "intranet:443",
     "printer.local:443", "169.254.169.254:80", "10.0.0.1:443"],
)
def test_tunnels_to_what_the_policy_refuses_are_never_opened(tmp_path: Path, listener: Listener, target: str) -> None:
    target = target.format(port=listener.port)
    answer, refused = through(settings(tmp_path), request(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 403 "), answer
    assert len(refused) == 1 and refused[0].startswith(f"{target}: "), refused
    assert not listener.received


def test_a_name_resolving_to_a_private_address_is_refused_after_resolution(
    tmp_path: Path, listener: Listener, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name passes the check of its form; what it resolves to, here, does not.
    real = socket.getaddrinfo

    def rebinding(host: str, *args: Any, **kw: Any) -> Any:
        return real("127.0.0.1" if host == "rebind.example.com" else host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    target = f"rebind.example.com:{listener.port}"
    answer, refused = through(settings(tmp_path), request(f"CONNECT {target} HTTP/1.1\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 403 ") and b"non-public address 127.0.0.1" in answer, answer
    assert refused == [f"{target}: rebind.example.com resolves to non-public address 127.0.0.1"]
    assert not listener.received
    # Allowed, the same name is connected to the address it resolved to.
    answer, _ = through(
        settings(tmp_path, allow_private=True),
        request(f"CONNECT {target} HTTP/1.1\r\n\r\n", then=b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
    )
    assert answer.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK"), answer
    assert listener.received == [b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"]


def test_plain_http_is_forwarded_one_request_per_connection(tmp_path: Path, listener: Listener) -> None:
    head = (
        f"POST http://127.0.0.1:{listener.port}/form?a=1 HTTP/1.1\r\nHost: 127.0.0.1:{listener.port}\r\n"
        "Proxy-Connection: keep-alive\r\nContent-Length: 5\r\n\r\nhello"
        # a second request on the same connection, for another host: never read
        "GET http://10.0.0.1/ HTTP/1.1\r\n\r\n"
    )
    answer, refused = through(settings(tmp_path, allow_private=True), request(head))
    # The answer says Connection: close, so the browser's next request comes on a new connection.
    assert answer == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
    assert not refused
    (got,) = listener.received
    first, *rest = got.split(b"\r\n")
    assert first == b"POST /form?a=1 HTTP/1.1"
    assert b"Connection: close" in rest and not [h for h in rest if h.lower().startswith(b"proxy-")]
    assert got.endswith(b"\r\n\r\nhello")


def test_plain_http_without_a_path_asks_for_the_root(tmp_path: Path, listener: Listener) -> None:
    head = f"GET http://127.0.0.1:{listener.port}?q=1 HTTP/1.1\r\nHost: 127.0.0.1:{listener.port}\r\n\r\n"
    answer, _ = through(settings(tmp_path, allow_private=True), request(head))
    assert answer.endswith(b"\r\n\r\nok")
    assert listener.received[0].startswith(b"GET /?q=1 HTTP/1.1\r\n")


def test_plain_http_through_an_upstream_proxy_keeps_the_absolute_url(tmp_path: Path, listener: Listener) -> None:
    guard = settings(tmp_path, proxy=f"http://archivist:secret@127.0.0.1:{listener.port}")
    answer, refused = through(guard, request("GET http://news.example.com/a?b=1 HTTP/1.1\r\nHost: news.example.com\r\n\r\n"))
    assert answer.endswith(b"\r\n\r\nok") and not refused
    (got,) = listener.received
    assert got.startswith(b"GET http://news.example.com/a?b=1 HTTP/1.1\r\n")
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'archivist:secret').decode()}".encode() in got
    assert b"Connection: close" in got


def test_plain_http_to_a_refused_host_is_answered_403(tmp_path: Path, listener: Listener) -> None:
    answer, refused = through(
        settings(tmp_path), request(f"GET http://127.0.0.1:{listener.port}/ HTTP/1.1\r\n\r\n")
    )
    assert answer.startswith(b"HTTP/1.1 403 ") and len(refused) == 1
    assert not listener.received


@pytest.mark.parametrize(
    "head",
    ["NONSENSE\r\n\r\n", "GET ftp://example.com/ HTTP/1.1\r\n\r\n", "GET /relative HTTP/1.1\r\n\r\n",
     "CONNECT example.com:443 SPDY/3\r\n\r\n"],
)
def test_malformed_or_foreign_requests_are_refused(tmp_path: Path, head: str) -> None:
    answer, _ = through(settings(tmp_path), request(head))
    assert answer.split(b" ")[1] in (b"400", b"403"), answer


def test_an_upstream_proxy_gets_the_tunnel_with_credentials(tmp_path: Path, listener: Listener) -> None:
    # The upstream answers the CONNECT, and then whatever is tunnelled, with one reply.
    listener.reply = b"HTTP/1.1 200 Connection established\r\n\r\n"
    proxy = f"http://user%40x:p%3Ass@127.0.0.1:{listener.port}"
    answer, refused = through(
        settings(tmp_path, proxy=proxy), request("CONNECT post.example.com:443 HTTP/1.1\r\n\r\n")
    )
    assert answer == b"HTTP/1.1 200 Connection Established\r\n\r\n"
    (got,) = listener.received
    assert got.startswith(b"CONNECT post.example.com:443 HTTP/1.1\r\n")
    assert f"Proxy-Authorization: Basic {base64.b64encode(b'user@x:p:ss').decode()}".encode() in got
    assert not refused


def test_an_upstream_refusal_is_passed_on(tmp_path: Path, listener: Listener) -> None:
    listener.reply = b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"
    answer, refused = through(
        settings(tmp_path, proxy=f"http://127.0.0.1:{listener.port}"),
        request("CONNECT post.example.com:443 HTTP/1.1\r\n\r\n"),
    )
    assert answer.startswith(b"HTTP/1.1 407 ") and refused == ["post.example.com:443: the proxy answered 407"]


def test_no_proxy_hosts_are_connected_here_and_others_through_the_upstream(tmp_path: Path, listener: Listener) -> None:
    # Nothing listens at the upstream: only a NO_PROXY host can be reached, directly.
    guard = settings(tmp_path, proxy="http://127.0.0.1:9", no_proxy="127.0.0.1", allow_private=True)
    answer, _ = through(guard, request(f"CONNECT 127.0.0.1:{listener.port} HTTP/1.1\r\n\r\n", then=b"GET / HTTP/1.1\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 200 Connection Established\r\n\r\nHTTP/1.1 200 OK"), answer
    answer, _ = through(guard, request("CONNECT post.example.com:443 HTTP/1.1\r\n\r\n"))
    assert answer.startswith(b"HTTP/1.1 502 "), answer
    assert listener.received == [b"GET / HTTP/1.1\r\n\r\n"]


def test_a_socks_proxy_is_a_configuration_error(tmp_path: Path) -> None:
    from archiver.errors import ConfigError

    with pytest.raises(ConfigError, match="only http:// and https:// proxies"):
        GuardProxy(settings(tmp_path, proxy="socks5://127.0.0.1:1080"))


# --------------------------------------------------------------------------- forwarded as parsed


@pytest.mark.parametrize(
    "head",
    [
        # a bare LF would let a second request ride inside a header's value
        "GET http://news.example.com/ HTTP/1.1\r\nX: a\nGET http://127.0.0.1:8080/admin HTTP/1.1\r\n\r\n",
        # two lengths: whichever the next hop believes, the rest is a request of its own
        "POST http://news.example.com/ HTTP/1.1\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n",
        "POST http://news.example.com/ HTTP/1.1\r\nContent-Length: 1_0\r\n\r\n0123456789",
        "POST http://news.example.com/ HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        # urlsplit reads example.com as the host; a proxy would read 127.0.0.1:22
        "CONNECT 127.0.0.1:22\\@example.com HTTP/1.1\r\n\r\n",
        "CONNECT example.com:99999 HTTP/1.1\r\n\r\n",
        "GET http://news.example.com/ HTTP/1.1\r\nNo colon here\r\n\r\n",
    ],
)
def test_irregular_requests_are_refused_before_anything_is_sent(tmp_path: Path, listener: Listener, head: str) -> None:
    answer, _ = through(settings(tmp_path, proxy=f"http://127.0.0.1:{listener.port}"), request(head))
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert not listener.received


def test_the_host_sent_is_the_host_checked(tmp_path: Path, listener: Listener) -> None:
    head = f"GET http://127.0.0.1:{listener.port}/ HTTP/1.1\r\nHost: 10.0.0.1\r\nHost: metadata\r\n\r\n"
    through(settings(tmp_path, allow_private=True), request(head))
    (got,) = listener.received
    assert [h for h in got.split(b"\r\n") if h.lower().startswith(b"host:")] == [f"Host: 127.0.0.1:{listener.port}".encode()]


def test_expect_100_continue_is_answered_before_the_body_is_read(tmp_path: Path, listener: Listener) -> None:
    head = f"PUT http://127.0.0.1:{listener.port}/up HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
    answer, _ = through(settings(tmp_path, allow_private=True), request(head, then=b"data"))
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"), answer
    (got,) = listener.received
    assert got.endswith(b"\r\n\r\ndata") and b"Expect" not in got


@pytest.mark.parametrize("mode", ["silent", "linger"])
def test_an_upstream_that_never_finishes_is_let_go(tmp_path: Path, listener: Listener, mode: str) -> None:
    # Silent: no answer at all; linger: an answer, then the connection held open, ignoring
    # Connection: close. Either way the guard ends the browser's connection after its
    # timeout (1 s here) rather than keep it, and the browser gets what there was.
    listener.mode = mode
    head = f"GET http://127.0.0.1:{listener.port}/ HTTP/1.1\r\n\r\n"
    answer, _ = through(settings(tmp_path, allow_private=True, timeout=1.0), request_all(head))
    if mode == "silent":
        assert answer.startswith(b"HTTP/1.1 504 "), answer
    else:
        assert answer == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"


def test_a_body_shorter_than_announced_is_let_go(tmp_path: Path, listener: Listener) -> None:
    head = f"POST http://127.0.0.1:{listener.port}/ HTTP/1.1\r\nContent-Length: 10\r\n\r\nshort"
    answer, _ = through(settings(tmp_path, allow_private=True, timeout=1.0), request_all(head))
    assert answer.startswith(b"HTTP/1.1 504 "), answer


def test_a_half_closed_tunnel_still_carries_the_answer(tmp_path: Path, listener: Listener) -> None:
    # The client sends, then shuts its side; the server answers only then.
    listener.mode = "at-eof"
    listener.reply = b"answer after eof"

    async def exchange(guard: GuardProxy) -> bytes:
        host, port = guard.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"CONNECT 127.0.0.1:{listener.port} HTTP/1.1\r\n\r\n".encode())
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"question")
        writer.write_eof()
        answer = await asyncio.wait_for(reader.read(), 5)
        writer.close()
        return answer

    answer, _ = through(settings(tmp_path, allow_private=True), exchange)
    assert answer == b"answer after eof" and listener.received == [b"question"]


def test_closing_the_guard_ends_its_open_tunnels(tmp_path: Path, listener: Listener) -> None:
    listener.mode = "linger"

    async def run() -> bytes:
        guard = await GuardProxy(settings(tmp_path, allow_private=True, timeout=30.0)).__aenter__()
        host, port = guard.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"CONNECT 127.0.0.1:{listener.port} HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n".encode())
        await reader.readuntil(b"\r\n\r\n")
        await reader.readuntil(b"ok")  # the tunnel is open and idle, both ends waiting
        await guard.__aexit__(None, None, None)
        rest = await asyncio.wait_for(reader.read(), 5)  # EOF, long before the 30 s timeout
        writer.close()
        return rest

    assert asyncio.run(run()) == b""


def request_all(text: str) -> Callable[[GuardProxy], Awaitable[bytes]]:
    """Send ``text`` and read everything the guard sends until it closes."""

    async def exchange(guard: GuardProxy) -> bytes:
        host, port = guard.url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(text.encode())
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        return answer

    return exchange

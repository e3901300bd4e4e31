"""The browser's only way out: a proxy on loopback that applies archiver's policy.

Chromium is launched with this proxy for every request, loopback included (``<-loopback>``
undoes Chromium's habit of sending those direct), so every tunnel it opens and every
plain-HTTP request it sends is checked by ``safety.check_url`` before anything leaves the
machine. Without an upstream proxy (or for a NO_PROXY host) the name is resolved here and
only a public address it resolved to is connected, as ``GuardedBackend`` does for httpx: a
name cannot be rebound between the check and the connection. With an upstream proxy the
tunnel is asked of it; it resolves names, so only forms can be refused there.

Before this, Playwright's request interception applied the policy to each URL's form only:
without a proxy Chromium resolved names itself, and a public-looking name resolving to a
private address was fetched. Interception also paused every request for a round trip
through Playwright's driver and turned Chromium's HTTP cache off; with this proxy the
cache works (bench/bench_archive.py: about 358 requests to the platform instead of 390),
and the run takes as long as before (alternating runs, medians 11.34 and 11.31 s): the
relaying here costs about what the interception did.

Tunnels are opaque (TLS end to end): here archiver sees a host and a port, never content.
What the browser received is recorded from Playwright's events, as before.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from urllib.parse import unquote, urlsplit

from .config import Settings
from .errors import ArchiverError, BlockedURL, ConfigError
from .safety import check_url, resolve_public

HEAD_LIMIT = 64 * 1024
"""Bytes of request or response head read before it is refused as too large."""
CHUNK = 64 * 1024


class _Refusal(Exception):
    """Answer the browser with ``status`` and close: the request goes nowhere."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class GuardProxy:
    """``async with GuardProxy(settings) as guard:`` then launch Chromium with ``guard.url``."""

    def __init__(self, settings: Settings) -> None:
        from .net import NoProxy

        self.settings = settings
        self._no_proxy = NoProxy.parse(settings.no_proxy)
        self._upstream = urlsplit(settings.proxy) if settings.proxy else None
        if self._upstream is not None and (self._upstream.scheme not in ("http", "https") or not self._upstream.hostname):
            raise ConfigError(f"proxy {settings.proxy!r}: only http:// and https:// proxies are supported")
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.refused: list[str] = []
        """What the browser asked for and was refused, in order (host:port or URL, and why)."""

    @property
    def url(self) -> str:
        assert self._server is not None, "use GuardProxy as an async context manager"
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def __aenter__(self) -> GuardProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=HEAD_LIMIT)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()

    # one connection from the browser ---------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        answered = False
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.settings.timeout)
            method, target, headers = _parse_head(head)
            if method == "CONNECT":
                up_reader, upstream = await self._tunnel(target)
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                answered = True
                await _relay(reader, writer, up_reader, upstream)
            else:
                up_reader, upstream = await self._forward(method, target, headers, reader)
                answered = True
                # One request per connection from the browser: what it sends next on it
                # could be for another host, and is never read.
                await _pump(up_reader, writer)
        except _Refusal as e:
            self.refused.append(e.reason)
            _answer(writer, e.status, e.reason)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            if not answered:
                _answer(writer, 400, "malformed request")
        except TimeoutError:
            if not answered:
                _answer(writer, 504, "timed out")
        except OSError as e:
            # Once bytes flow, a reset on either side ends the connection, as it would have.
            if not answered:
                _answer(writer, 502, f"cannot connect: {e.strerror or type(e).__name__}")
        finally:
            self._writers.discard(writer)
            for w in (writer, upstream):
                if w is not None:
                    w.close()

    async def _tunnel(self, target: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        host, port = _host_port(target, 443)
        self._check(f"https://{target}/", _item(host, port))
        if self._proxied(host, port):
            reader, writer = await self._open_upstream()
            writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n{self._auth()}\r\n".encode("latin-1"))
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.settings.timeout)
            status = _status(answer)
            if status != 200:
                writer.close()
                raise _Refusal(status if 400 <= status < 600 else 502, f"{_item(host, port)}: the proxy answered {status}")
            return reader, writer
        return await self._open_direct(host, port)

    async def _forward(
        self, method: str, target: str, headers: list[tuple[str, str]], body: asyncio.StreamReader
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            raise _Refusal(400, f"{target}: only http:// is forwarded; https goes through CONNECT")
        host, port = parts.hostname, parts.port or 80
        self._check(target, target)
        length = 0
        kept: list[tuple[str, str]] = []
        for name, value in headers:
            lowered = name.lower()
            if lowered == "transfer-encoding":
                raise _Refusal(501, f"{target}: a chunked request body is not forwarded")
            if lowered == "content-length":
                length = int(value)
            if lowered not in ("connection", "proxy-connection", "keep-alive", "proxy-authorization"):
                kept.append((name, value))
        proxied = self._proxied(host, port)
        if proxied:
            reader, writer = await self._open_upstream()
            line, extra = target, self._auth()
        else:
            reader, writer = await self._open_direct(host, port)
            line, extra = (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), ""
        writer.write(
            f"{method} {line} HTTP/1.1\r\n".encode("latin-1")
            + "".join(f"{name}: {value}\r\n" for name, value in kept).encode("latin-1")
            + f"{extra}Connection: close\r\n\r\n".encode("latin-1")
        )
        while length > 0:
            chunk = await body.read(min(length, CHUNK))
            if not chunk:
                break
            writer.write(chunk)
            length -= len(chunk)
        await writer.drain()
        return reader, writer

    # policy and connections --------------------------------------------------------------
    def _check(self, url: str, item: str) -> None:
        try:
            check_url(url, allow_private=self.settings.allow_private)
        except BlockedURL as e:
            raise _Refusal(403, f"{item}: {e.args[0]}") from None

    def _proxied(self, host: str, port: int) -> bool:
        return self._upstream is not None and not any(e.covers(host.rstrip("."), port) for e in self._no_proxy.entries)

    async def _open_upstream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        upstream = self._upstream
        assert upstream is not None and upstream.hostname
        tls: ssl.SSLContext | None = None
        if upstream.scheme == "https":
            from .net import ssl_verify

            tls = ssl_verify(self.settings)
        port = upstream.port or (443 if tls else 80)
        return await asyncio.wait_for(
            asyncio.open_connection(upstream.hostname, port, ssl=tls, limit=HEAD_LIMIT), self.settings.timeout
        )

    async def _open_direct(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        try:
            addresses = await resolve_public(host, port, allow_private=self.settings.allow_private)
        except BlockedURL as e:
            raise _Refusal(403, f"{_item(host, port)}: {e.args[0]}") from None
        except ArchiverError as e:
            raise _Refusal(502, f"{_item(host, port)}: {e.args[0]}") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(address, port, limit=HEAD_LIMIT), self.settings.timeout
                )
            except (OSError, TimeoutError) as e:
                last = e
        raise _Refusal(502, f"{_item(host, port)}: cannot connect ({last or 'no address'})")

    def _auth(self) -> str:
        upstream = self._upstream
        if upstream is None or upstream.username is None:
            return ""
        pair = f"{unquote(upstream.username)}:{unquote(upstream.password or '')}"
        return f"Proxy-Authorization: Basic {base64.b64encode(pair.encode()).decode()}\r\n"


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    method, target, version = lines[0].split(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(version)
    headers = []
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(line)
            headers.append((name.strip(), value.strip()))
    return method.upper(), target, headers


def _host_port(target: str, default: int) -> tuple[str, int]:
    parts = urlsplit(f"//{target}")
    if not parts.hostname:
        raise ValueError(target)
    return parts.hostname, parts.port or default


def _item(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _status(head: bytes) -> int:
    fields = head.split(b" ", 2)
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else 502


def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        text = reason.encode("utf-8", "replace")[:512]
        writer.write(
            f"HTTP/1.1 {status} Refused by archiver\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n".encode("latin-1")
            + text
        )


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()


async def _relay(
    a_reader: asyncio.StreamReader,
    a_writer: asyncio.StreamWriter,
    b_reader: asyncio.StreamReader,
    b_writer: asyncio.StreamWriter,
) -> None:
    """Bytes both ways until either side is done; then the tunnel is closed."""
    pumps = [asyncio.ensure_future(_pump(a_reader, b_writer)), asyncio.ensure_future(_pump(b_reader, a_writer))]
    try:
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pump in pumps:
            pump.cancel()
        for pump in pumps:
            with contextlib.suppress(BaseException):
                await pump

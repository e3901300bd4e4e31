"""The browser's only way out: a proxy on loopback that applies archiver's policy.

Chromium is launched with this proxy for every request, loopback included (``<-loopback>``
undoes Chromium's habit of sending those direct), so every tunnel it opens and every
plain-HTTP request it sends is checked by ``safety.check_url`` before anything leaves the
machine. Without an upstream proxy (or for a NO_PROXY host) the name is resolved here and
only a public address it resolved to is connected, as ``GuardedBackend`` does for httpx: a
name cannot be rebound between the check and the connection. With an upstream proxy the
tunnel is asked of it; it resolves names, so only forms can be refused there.

Why a proxy and not Playwright's request interception (used before): interception sees
URLs, not the addresses names resolve to, so a public-looking name resolving to a private
address was fetched; and it turns Chromium's HTTP cache off. Relaying here costs about
what the interception's round trips through Playwright's driver did.

Tunnels are opaque (TLS end to end): here archiver sees a host and a port, never content.
What the browser received is recorded from Playwright's events, as before.

What reaches the guard is parsed strictly and forwarded as parsed, never as received: the
CONNECT target that was checked is the one asked for, a plain-HTTP request goes out with
the Host of the URL that was checked, one Content-Length, and ``Connection: close`` both
ways, so each browser connection carries one checked request. Every read and every
connection is bounded by ``settings.timeout``: a tunnel or response idle that long is
closed, as is everything still open when the guard closes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl
from collections.abc import Awaitable
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from ..config import Settings
from ..errors import ArchiverError, BlockedURL, ConfigError
from .safety import check_url, resolve_public

T = TypeVar("T")

HEAD_LIMIT = 64 * 1024
"""Bytes of request or response head read before it is refused as too large."""
CHUNK = 64 * 1024

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_REQUEST_LINE = re.compile(rf"({_TOKEN}) ([\x21-\x7e]+) HTTP/1\.[01]")
_HEADER = re.compile(rf"({_TOKEN}):[ \t]*([^\x00-\x08\x0a-\x1f\x7f]*?)[ \t]*")
_CONNECT_TARGET = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([0-9]{1,5})")
_HOP_BY_HOP = frozenset(
    ("connection", "proxy-connection", "keep-alive", "proxy-authorization", "te", "upgrade", "host", "expect")
)


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
        self._handlers: set[asyncio.Task[None]] = set()
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
        handlers = list(self._handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    # one connection from the browser ---------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        upstream: list[asyncio.StreamWriter] = []
        answered = False
        try:
            head = await self._within(reader.readuntil(b"\r\n\r\n"))
            method, target, headers = _parse_head(head)
            if method == "CONNECT":
                up_reader, up_writer = await self._tunnel(target, upstream)
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                answered = True
                await self._relay(reader, writer, up_reader, up_writer)
            else:
                up_reader, up_writer = await self._forward(method, target, headers, reader, writer, upstream)
                head = await self._within(up_reader.readuntil(b"\r\n\r\n"))
                while 100 <= _status(head) < 200:  # interim answers (100 Continue, 103 Early Hints)
                    writer.write(head)
                    head = await self._within(up_reader.readuntil(b"\r\n\r\n"))
                writer.write(_closing(head))
                answered = True
                # The browser's side is only watched for its end: one request per connection.
                await self._relay(reader, writer, up_reader, None)
        except _Refusal as e:
            self.refused.append(e.reason)
            _answer(writer, e.status, e.reason)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            if not answered:
                _answer(writer, 400, "malformed request or answer")
        except TimeoutError:
            if not answered:
                _answer(writer, 504, "timed out")
        except OSError as e:
            # Once bytes flow, a reset on either side ends the connection, as it would have.
            if not answered:
                _answer(writer, 502, f"cannot connect: {e.strerror or type(e).__name__}")
        except asyncio.CancelledError:
            # Only the guard closing cancels a connection, and ends it; asyncio would log a
            # connection handler that ends cancelled as an error.
            pass
        finally:
            self._handlers.discard(task)
            for w in (writer, *upstream):
                w.close()

    async def _tunnel(
        self, target: str, opened: list[asyncio.StreamWriter]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        match = _CONNECT_TARGET.fullmatch(target)
        if match is None or not 0 < int(match[2]) < 65536:
            raise ValueError(target)
        host, port = match[1].strip("[]"), int(match[2])
        item = _item(host, port)
        self._check(f"https://{item}/", item)
        if not self._proxied(host, port):
            return await self._open_direct(host, port, opened)
        reader, writer = await self._open_upstream(opened)
        writer.write(f"CONNECT {item} HTTP/1.1\r\nHost: {item}\r\n{self._auth()}\r\n".encode("latin-1"))
        answer = await self._within(reader.readuntil(b"\r\n\r\n"))
        status = _status(answer)
        if status != 200:
            raise _Refusal(status if 400 <= status < 600 else 502, f"{item}: the proxy answered {status}")
        return reader, writer

    async def _forward(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: asyncio.StreamReader,
        browser: asyncio.StreamWriter,
        opened: list[asyncio.StreamWriter],
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        parts = urlsplit(target)
        if parts.scheme != "http" or not parts.hostname:
            raise _Refusal(400, f"{target}: only http:// is forwarded; https goes through CONNECT")
        host, port = parts.hostname, parts.port or 80
        self._check(target, target)
        authority = _item(host, port) if parts.port else (f"[{host}]" if ":" in host else host)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        length: int | None = None
        continue_first = False
        kept: list[tuple[str, str]] = []
        for name, value in headers:
            lowered = name.lower()
            if lowered == "transfer-encoding":
                raise _Refusal(501, f"{target}: a chunked request body is not forwarded")
            if lowered == "content-length":
                if not (value.isascii() and value.isdigit()) or length not in (None, int(value)):
                    raise ValueError(value)
                length = int(value)
            elif lowered == "expect":
                continue_first = value.lower() == "100-continue"
            elif lowered not in _HOP_BY_HOP:
                kept.append((name, value))
        if self._proxied(host, port):
            reader, writer = await self._open_upstream(opened)
            line, extra = f"http://{authority}{path}", self._auth()
        else:
            reader, writer = await self._open_direct(host, port, opened)
            line, extra = path, ""
        writer.write(
            f"{method} {line} HTTP/1.1\r\nHost: {authority}\r\n".encode("latin-1")
            + "".join(f"{name}: {value}\r\n" for name, value in kept).encode("latin-1")
            + (f"Content-Length: {length}\r\n" if length is not None else "").encode("latin-1")
            + f"{extra}Connection: close\r\n\r\n".encode("latin-1")
        )
        length = length or 0
        if continue_first and length:
            browser.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        while length > 0:
            chunk = await self._within(body.read(min(length, CHUNK)))
            if not chunk:
                raise asyncio.IncompleteReadError(chunk, length)
            writer.write(chunk)
            await self._within(writer.drain())
            length -= len(chunk)
        await self._within(writer.drain())
        return reader, writer

    async def _relay(
        self,
        browser_reader: asyncio.StreamReader,
        browser: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        upstream: asyncio.StreamWriter | None,
    ) -> None:
        """Bytes both ways until both sides have ended, or nothing moved for ``timeout``
        seconds, or either side failed. Without ``upstream`` the browser's bytes are
        dropped: its end is all that is watched for."""
        loop = asyncio.get_running_loop()
        last = loop.time()

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
            nonlocal last
            while data := await reader.read(CHUNK):
                last = loop.time()
                if writer is not None:
                    writer.write(data)
                    await writer.drain()
            if writer is not None and writer.can_write_eof():
                writer.write_eof()  # a half-close is passed on; the other way may still flow

        answer = asyncio.ensure_future(pump(up_reader, browser))
        pumps = {asyncio.ensure_future(pump(browser_reader, upstream)), answer}
        try:
            pending = set(pumps)
            while pending:
                done, pending = await asyncio.wait(pending, timeout=self.settings.timeout, return_when=asyncio.FIRST_COMPLETED)
                if any(p.exception() is not None for p in done):
                    return  # a reset on one side ends the connection
                if upstream is None and answer in done:
                    return  # the answer is all there is: the browser's side was only watched
                if not done and loop.time() - last >= self.settings.timeout:
                    return  # idle for too long
        finally:
            for p in pumps:
                p.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)

    # policy and connections --------------------------------------------------------------
    async def _within(self, step: Awaitable[T]) -> T:
        return await asyncio.wait_for(step, self.settings.timeout)

    def _check(self, url: str, item: str) -> None:
        try:
            check_url(url, allow_private=self.settings.allow_private)
        except BlockedURL as e:
            raise _Refusal(403, f"{item}: {e.args[0]}") from None

    def _proxied(self, host: str, port: int) -> bool:
        return self._upstream is not None and not self._no_proxy.covers_host(host, port)

    async def _open_upstream(
        self, opened: list[asyncio.StreamWriter]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        upstream = self._upstream
        assert upstream is not None and upstream.hostname
        tls: ssl.SSLContext | None = None
        if upstream.scheme == "https":
            from .net import ssl_verify

            tls = ssl_verify(self.settings)
        port = upstream.port or (443 if tls else 80)
        reader, writer = await self._within(asyncio.open_connection(upstream.hostname, port, ssl=tls, limit=HEAD_LIMIT))
        opened.append(writer)
        return reader, writer

    async def _open_direct(
        self, host: str, port: int, opened: list[asyncio.StreamWriter]
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        item = _item(host, port)
        try:
            # One timeout for resolving and every address tried, not one each.
            async with asyncio.timeout(self.settings.timeout):
                try:
                    addresses = await resolve_public(host, port, allow_private=self.settings.allow_private)
                except BlockedURL as e:
                    raise _Refusal(403, f"{item}: {e.args[0]}") from None
                except ArchiverError as e:
                    raise _Refusal(502, f"{item}: {e.args[0]}") from None
                last: Exception | None = None
                for address in addresses:
                    try:
                        reader, writer = await asyncio.open_connection(address, port, limit=HEAD_LIMIT)
                    except OSError as e:
                        last = e
                        continue
                    opened.append(writer)
                    return reader, writer
        except TimeoutError:
            raise _Refusal(504, f"{item}: no connection within {self.settings.timeout:g} s") from None
        raise _Refusal(502, f"{item}: cannot connect ({last or 'no address'})")

    def _auth(self) -> str:
        upstream = self._upstream
        if upstream is None or upstream.username is None:
            return ""
        pair = f"{unquote(upstream.username)}:{unquote(upstream.password or '')}"
        return f"Proxy-Authorization: Basic {base64.b64encode(pair.encode()).decode()}\r\n"


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    """Method, target and headers of a request head; ValueError for anything irregular
    (a bare CR or LF, a header without a name, a target with spaces or controls)."""
    lines = head[:-4].decode("latin-1").split("\r\n")
    request = _REQUEST_LINE.fullmatch(lines[0])
    if request is None:
        raise ValueError(lines[0])
    headers = []
    for line in lines[1:]:
        header = _HEADER.fullmatch(line)
        if header is None:
            raise ValueError(line)
        headers.append((header[1], header[2]))
    return request[1].upper(), request[2], headers


def _closing(head: bytes) -> bytes:
    """A response head saying ``Connection: close``: the browser then sends its next
    request on a new connection, to be checked in its turn."""
    lines = head[:-4].split(b"\r\n")
    kept = [
        line for line in lines[1:]
        if line.split(b":", 1)[0].strip().lower() not in (b"connection", b"keep-alive", b"proxy-connection")
    ]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"]) + b"\r\n\r\n"


def _item(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _status(head: bytes) -> int:
    fields = head.split(b" ", 2)
    if len(fields) < 2 or not fields[1].isdigit():
        raise ValueError(head[:80])
    return int(fields[1])


def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        text = reason.encode("utf-8", "replace")[:512]
        writer.write(
            f"HTTP/1.1 {status} Refused by archiver\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(text)}\r\nConnection: close\r\n\r\n".encode("latin-1")
            + text
        )

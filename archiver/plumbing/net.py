"""archiver's one HTTP client: safe, bounded, patient with transient faults, recorded.

Every response received (each redirect hop and each retry too) is handed to the
``on_exchange`` callback with its body, so the archive holds the evidence of
every exchange, not just the final answers.

Cookies a user gave for a platform (``Settings.cookies``) go with every request to that
platform's hosts whose URL they match, as a browser's would; an exchange made with them
says so (``Exchange.logged_in``) and its answer's ``Set-Cookie`` values are redacted
before anyone records them (:mod:`archiver.plumbing.cookies`).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import random
import re
import ssl
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import unescape
from typing import Literal
from urllib.parse import urljoin

import httpcore
import httpx

from .blobs import Blob, BlobStore
from . import cookies as user_cookies
from ..config import Settings
from ..errors import BlockedURL, ConfigError, FetchError, NetworkFailure, RateLimited, TooLarge, TooManyHops
from .hostlimits import Budget, Budgets, HostLimits, budget_spent_message, reset_at
from .safety import GuardedBackend, check_url, literal_address
from .streams import AsyncioBackend

Kind = Literal["html", "json", "image", "video", "other"]
REDIRECT_CODES = (301, 302, 303, 307, 308)
RETRY_CODES = (429, 500, 502, 503, 504)
INLINE_PUT_BYTES = 256 * 1024
ACCEPT_ENCODING = "gzip, deflate"
"""What the Fetcher decodes (httpx does gzip and deflate without extra packages)."""
BROWSER_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)


@dataclass
class Exchange:
    url: str
    method: str
    status: int | None
    headers: list[tuple[str, str]]
    """The answer's headers; for a request made with the user's cookies, without any
    ``Set-Cookie`` value (redacted)."""
    started_at: str
    blob: Blob | None
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, went with the request; None: none did."""


@dataclass
class Response:
    url: str
    """The URL that gave this answer (after redirects, if followed)."""
    status: int
    headers: httpx.Headers
    body: bytes | None
    """None when the body went straight to ``blob`` (video)."""
    blob: Blob | None
    hops: list[dict[str, object]] = field(default_factory=list)
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, went with this request or a redirect
    that led to it; None when none did."""

    @property
    def content_type(self) -> str:
        return str(self.headers.get("content-type", "")).split(";")[0].strip().lower()

    def json(self) -> object:
        import json

        return json.loads(self.body or b"")


OnExchange = Callable[[Exchange], Awaitable[None] | None]


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Fetcher:
    """Use as ``async with Fetcher(settings, blobs, on_exchange) as f: await f.get(...)``."""

    def __init__(
        self,
        settings: Settings,
        blobs: BlobStore,
        on_exchange: OnExchange | None = None,
        *,
        host_limits: dict[str, asyncio.Semaphore] | None = None,
        connections: int | None = None,
        defer_blob_sync: bool = False,
        budgets: Mapping[str, Budget] | None = None,
    ) -> None:
        """``host_limits`` shares per-host limits between fetchers; ``connections`` sizes the pool.

        ``budgets``: endpoint URL (without query) → the most requests it may be sent in a
        window, counted across runs in the data directory (:class:`Budgets`); a request
        to a URL under one, beyond it, is not sent (``RateLimited``).

        ``defer_blob_sync``: bodies are stored as deferred blobs, made durable by the next
        ``Store.transaction()`` (for many small answers, as a sweep gets). Their files are
        not in place before then, so a caller that reads a body's file must not set it.
        """
        self.settings = settings
        self.blobs = blobs
        self.on_exchange = on_exchange
        self._host_limits: dict[str, asyncio.Semaphore] = {} if host_limits is None else host_limits
        self._connections = connections
        self._defer_blob_sync = defer_blob_sync
        self._transport: httpx.AsyncBaseTransport | None = None
        self._headers = {
            "Accept": "*/*",
            "Accept-Encoding": ACCEPT_ENCODING,
            "Connection": "keep-alive",
            "User-Agent": settings.user_agent,
        }
        self._timeouts = httpx.Timeout(settings.timeout).as_dict()
        # Cookies a site sets are sent back to it for the rest of this fetcher's life,
        # as a client would: some sites set one and redirect to themselves.
        self._cookies = httpx.Cookies()
        # The user's own, for the platforms they gave cookies for: only when asked.
        self._user = user_cookies.load(settings.cookies)
        # Hosts that said when they may be asked again: remembered across runs.
        self._held = HostLimits(settings.data_dir)
        self._budgets = {prefix.split("?", 1)[0]: budget for prefix, budget in (budgets or {}).items()}
        self._spent = Budgets(settings.data_dir) if self._budgets else None

    async def __aenter__(self) -> Fetcher:
        self._transport = self._make_transport()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._transport is not None:
            await self._transport.aclose()

    def _make_transport(self) -> httpx.AsyncBaseTransport:
        # The transport, not an httpx.AsyncClient: the Fetcher follows redirects, sets
        # headers and timeouts itself, and the client's layers (auth, redirects, cookie
        # extraction, event hooks) cost about 0.4 ms of CPU per request (2.3 -> 1.9 ms
        # with 32 workers on loopback), which a sweep pays thousands of times.
        s = self.settings
        verify = ssl_verify(s)
        # Keep every connection alive: closing those above a keep-alive quota means a new
        # TCP and TLS handshake (and proxy CONNECT) for many requests under load.
        connections = self._connections or max(s.per_host * 4, 16)
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        try:
            # httpx has no public hook for name resolution; the pool's network backend
            # is where httpcore connects, so the guard goes there.
            direct = with_backend(
                httpx.AsyncHTTPTransport(verify=verify, limits=limits, retries=0),
                None if s.allow_private else GuardedBackend(),
            )
            return route_transport(s, direct, verify, limits)
        except (ValueError, TypeError, httpx.InvalidURL) as e:
            raise ConfigError(f"cannot use these network settings (proxy {s.proxy!r}, "
                              f"NO_PROXY {s.no_proxy!r}): {e}") from None

    def _limit(self, host: str) -> asyncio.Semaphore:
        if host not in self._host_limits:
            self._host_limits[host] = asyncio.Semaphore(self.settings.per_host)
        return self._host_limits[host]

    async def get(
        self,
        url: str,
        kind: Kind,
        *,
        follow: bool = True,
        browser_ua: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """GET ``url``, following redirects hop by hop (each checked), retrying transient faults.

        Returns the final response whatever its status: callers decide what a 404 means.
        Raises FetchError subclasses for refusals, loops, size caps and network failure.
        """
        return await self.request("GET", url, kind, follow=follow, browser_ua=browser_ua, headers=headers)

    async def request(
        self,
        method: str,
        url: str,
        kind: Kind,
        *,
        data: bytes | None = None,
        follow: bool = True,
        browser_ua: bool = False,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """Like :meth:`get`, for any method with an optional body (``data``).

        For a client of its own (the media extractor) that asks what it asks. A redirect
        after a POST is followed as a GET without the body, as browsers do, except for 307
        and 308, which keep both.
        """
        hops: list[dict[str, object]] = []
        seen: set[str] = set()
        current = url
        logged_in: str | None = None
        while True:
            try:
                check_url(current, allow_private=self.settings.allow_private)
            except BlockedURL as e:
                if current == url:
                    raise
                raise BlockedURL(f"redirected to {current}, which is refused: {e.args[0]}", url) from None
            if current in seen:
                raise TooManyHops(f"redirect loop back to {current}", url)
            seen.add(current)
            response = await self._get_with_retries(
                current, kind, browser_ua=browser_ua, headers=headers, method=method, data=data
            )
            hops.append({"url": current, "status": response.status})
            logged_in = user_cookies.merge_labels([logged_in, response.logged_in])
            location = response.headers.get("location")
            if not (follow and response.status in REDIRECT_CODES and location):
                response.hops = hops
                response.logged_in = logged_in
                return response
            if len(hops) > self.settings.max_hops:
                raise TooManyHops(f"more than {self.settings.max_hops} redirects", url)
            try:
                current = urljoin(current, location)
            except ValueError:
                raise BlockedURL(f"redirect to a malformed location {location!r}", url) from None
            if method != "GET" and response.status not in (307, 308):
                method, data = ("HEAD" if method == "HEAD" else "GET"), None

    async def post(self, url: str, kind: Kind, content: bytes, *, headers: dict[str, str] | None = None) -> Response:
        """POST ``content`` to ``url`` once: checked like any URL, timed, capped and recorded,
        but neither retried nor redirected (a POST may not be safe to repeat). Returns the
        answer whatever its status; raises FetchError subclasses as ``get`` does."""
        check_url(url, allow_private=self.settings.allow_private)
        return await self._get_once(url, kind, browser_ua=False, headers=headers, method="POST", content=content)

    async def _get_with_retries(
        self,
        url: str,
        kind: Kind,
        *,
        browser_ua: bool,
        headers: dict[str, str] | None,
        method: str = "GET",
        data: bytes | None = None,
    ) -> Response:
        s = self.settings
        attempt = 0
        while True:
            try:
                response = await self._get_once(url, kind, browser_ua=browser_ua, headers=headers, method=method, content=data)
            except NetworkFailure:
                if attempt >= s.retries:
                    raise
                await asyncio.sleep(self._backoff(attempt))
            else:
                if response.status not in RETRY_CODES or attempt >= s.retries:
                    return response
                wait = _retry_after(response.headers.get("retry-after"))
                if wait is not None and wait > s.max_retry_after:
                    return response
                held = self._held.until(httpx.URL(url).host)
                if held is not None and held - time.time() > s.max_retry_after:
                    return response  # the host said when to come back: not before then
                await asyncio.sleep(max(wait or 0.0, self._backoff(attempt)))
            attempt += 1

    def _backoff(self, attempt: int) -> float:
        base = self.settings.backoff * (2.0**attempt)
        return base * (0.75 + random.random() / 2)

    async def _get_once(
        self,
        url: str,
        kind: Kind,
        *,
        browser_ua: bool,
        headers: dict[str, str] | None,
        method: str = "GET",
        content: bytes | None = None,
    ) -> Response:
        assert self._transport is not None, "use Fetcher as an async context manager"
        cap = getattr(self.settings.limits, kind)
        request_headers = self._headers
        if headers or browser_ua:
            request_headers = {**request_headers, **(headers or {})}
            if browser_ua:
                request_headers["User-Agent"] = BROWSER_UA
        started = _now()
        try:
            request = httpx.Request(
                method, url, headers=request_headers, content=content, extensions={"timeout": self._timeouts}
            )
        except httpx.InvalidURL as e:
            raise BlockedURL(f"invalid URL: {e}", url) from None
        logged_in = self._set_cookies(request)
        held = self._held.until(request.url.host)
        if held is not None:
            wait = held - time.time()
            if wait > self.settings.max_retry_after:
                when = datetime.fromtimestamp(held, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                raise RateLimited(f"not sent: {request.url.host} asked not to be asked again before {when}", url)
            await asyncio.sleep(max(0.0, wait))  # a short wait is waited out, as a retry would
        self._spend_budget(url)
        async with self._limit(request.url.host):
            try:
                async with asyncio.timeout(self.settings.request_deadline):
                    r = await self._transport.handle_async_request(request)
                    try:
                        body, blob = await self._read_body(r, url, kind, cap)
                    finally:
                        await r.aclose()
            except TimeoutError:
                raise NetworkFailure(f"no complete answer within {self.settings.request_deadline:.0f} s", url) from None
            except httpx.UnsupportedProtocol as e:
                raise BlockedURL(f"refused: {e}", url) from None
            except httpx.TimeoutException as e:
                raise NetworkFailure(f"timed out ({type(e).__name__})", url) from None
            except httpx.TransportError as e:
                raise NetworkFailure(f"{type(e).__name__}: {e or 'connection failed'}", url) from None
            except httpx.InvalidURL as e:
                raise BlockedURL(f"invalid URL: {e}", url) from None
            except BlockedURL as e:
                # Raised at connect time by the guard, which knows only the host.
                raise BlockedURL(e.args[0], url) from None
        if "set-cookie" in r.headers:
            r.request = request
            self._cookies.extract_cookies(r)
        if r.status_code == 429 or "x-ratelimit-remaining" in r.headers or "ratelimit-remaining" in r.headers:
            until = reset_at(r.status_code, r.headers)
            if until is not None:
                self._held.hold(request.url.host, until)
        response = Response(url=url, status=r.status_code, headers=r.headers, body=body, blob=blob, logged_in=logged_in)
        recorded = list(r.headers.multi_items())
        if logged_in:
            recorded = user_cookies.redact_headers(recorded)
        await self._record(Exchange(url, method, r.status_code, recorded, started, blob, logged_in))
        return response

    def _spend_budget(self, url: str) -> None:
        """Count a request to a budgeted endpoint; raise RateLimited, unsent, beyond its budget."""
        if self._spent is None:
            return
        bare = url.split("?", 1)[0].split("#", 1)[0]
        for prefix, budget in self._budgets.items():
            if bare == prefix or bare.startswith(prefix.rstrip("/") + "/"):
                until = self._spent.spend(prefix, budget)
                if until is not None:
                    raise RateLimited(budget_spent_message(prefix, budget, until), url)
                return

    def _set_cookies(self, request: httpx.Request) -> str | None:
        """Give ``request`` its Cookie header: what the caller sent (the media extractor's
        own), then the cookies sites set during this fetcher's life, then the user's own
        for this URL, each name once. Returns the platforms whose user cookies apply."""
        if self._user is None:
            # Without the user's cookies, as always: the sites' own, unless the caller sent some.
            if self._cookies:
                self._cookies.set_cookie_header(request)
            return None
        pairs = _cookie_pairs(request.headers.get("cookie"))
        user = self._user.for_url(str(request.url))
        if not self._user.covers(request.url.host):
            # Not a host the user's cookies are for: none of their values leaves, whoever set it.
            pairs = [(n, v) for n, v in pairs if not self._user.is_value(v)]
        if self._cookies:
            scratch = httpx.Request("GET", request.url)
            self._cookies.set_cookie_header(scratch)
            pairs += _cookie_pairs(scratch.headers.get("cookie"))
        pairs += [(c.name, c.value) for c in user]
        names: set[str] = set()
        kept: list[tuple[str, str]] = []
        for name, value in pairs:
            if name not in names:
                names.add(name)
                kept.append((name, value))
        if kept:
            request.headers["Cookie"] = "; ".join(f"{n}={v}" if n else v for n, v in kept)
        elif "cookie" in request.headers:
            del request.headers["cookie"]
        # The user's cookies that went: those this URL matches, and any the caller sent itself.
        sent = set(kept)
        return user_cookies.logged_in_label(user + [c for c in self._user.cookies if (c.name, c.value) in sent])

    async def _read_body(
        self, r: httpx.Response, url: str, kind: Kind, cap: int
    ) -> tuple[bytes | None, Blob | None]:
        declared = r.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise TooLarge(f"response of {int(declared)} bytes exceeds the {kind} cap of {cap}", url)
        mime = r.headers.get("content-type")
        if kind == "video" and r.status_code in (200, 206):
            # Videos go straight to disk: holding a 500 MB file in memory is not an option.
            writer = self.blobs.writer()
            try:
                async for chunk in r.aiter_bytes():
                    writer.write(chunk)
                    if writer.size > cap:
                        raise TooLarge(f"response exceeds the {kind} cap of {cap} bytes", url)
                blob = await asyncio.to_thread(writer.commit, mime)
            except BaseException:
                writer.abort()
                raise
            return None, blob
        # aiter_bytes() undoes Content-Encoding: the cap counts decoded bytes, so a
        # small gzip body cannot inflate past it (a gzip bomb).
        chunks: list[bytes] = []
        size = 0
        async for chunk in r.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise TooLarge(f"response exceeds the {kind} cap of {cap} bytes", url)
            chunks.append(chunk)
        body = b"".join(chunks)
        if not body:
            return body, None
        if self._defer_blob_sync and len(body) <= INLINE_PUT_BYTES:
            # No fsync to wait for: writing a small file costs less than a hand-off to a thread.
            return body, self.blobs.put(body, mime, deferred=True)
        return body, await asyncio.to_thread(self.blobs.put, body, mime, deferred=self._defer_blob_sync)

    async def _record(self, exchange: Exchange) -> None:
        if self.on_exchange is None:
            return
        result = self.on_exchange(exchange)
        if asyncio.iscoroutine(result):
            await result


def route_transport(
    settings: Settings,
    direct: httpx.AsyncBaseTransport,
    verify: ssl.SSLContext,
    limits: httpx.Limits = httpx.Limits(),
) -> httpx.AsyncBaseTransport:
    """``direct`` when there is no proxy; else a transport that sends every request
    through the proxy, except those to NO_PROXY hosts, which go ``direct``."""
    if not settings.proxy:
        return direct
    proxied = with_backend(httpx.AsyncHTTPTransport(verify=verify, limits=limits, proxy=settings.proxy, retries=0))
    return _ProxyRouter(proxied, direct, NoProxy.parse(settings.no_proxy))


def with_backend(
    transport: httpx.AsyncHTTPTransport, backend: httpcore.AsyncNetworkBackend | None = None
) -> httpx.AsyncHTTPTransport:
    """``transport`` connecting through ``backend`` (default: asyncio's own streams).

    httpx takes no backend argument; its connection pool holds the backend it connects with.
    """
    transport._pool._network_backend = backend or AsyncioBackend()
    return transport


class _ProxyRouter(httpx.AsyncBaseTransport):
    def __init__(self, proxied: httpx.AsyncBaseTransport, direct: httpx.AsyncBaseTransport, no_proxy: NoProxy) -> None:
        self._proxied = proxied
        self._direct = direct
        self._no_proxy = no_proxy

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._direct if self._no_proxy.covers(request.url) else self._proxied
        return await transport.handle_async_request(request)

    async def aclose(self) -> None:
        await self._proxied.aclose()
        await self._direct.aclose()


@dataclass(frozen=True)
class _NoProxyEntry:
    host: str
    """Empty: every host."""
    port: int | None
    domain: bool
    """Whether subdomains of ``host`` are covered too."""

    def covers(self, host: str, port: int) -> bool:
        if self.port is not None and port != self.port:
            return False
        return not self.host or host == self.host or (self.domain and host.endswith("." + self.host))


@dataclass(frozen=True)
class NoProxy:
    """The hosts NO_PROXY sends direct, in the usual spellings.

    ``*`` is every host; ``example.com`` and ``.example.com`` are the domain and its
    subdomains; a name without a dot (``localhost``) or an address is that host only;
    ``host:port`` and ``[::1]:8080`` limit an entry to a port. CIDR ranges
    (``10.0.0.0/8``) are skipped: an address in such a range still goes through the proxy.
    """

    entries: tuple[_NoProxyEntry, ...] = ()

    @classmethod
    def parse(cls, value: str | None) -> NoProxy:
        entries = []
        for item in (value or "").split(","):
            item = item.strip().lower()
            if not item or "/" in item:
                continue
            if item == "*":
                entries.append(_NoProxyEntry("", None, False))
                continue
            host, port = _split_port(item)
            domain = host.startswith((".", "*."))
            host = host.lstrip("*").lstrip(".")
            if not domain:
                domain = "." in host and literal_address(host) is None
            entries.append(_NoProxyEntry(host, port, domain))
        return cls(tuple(entries))

    def covers(self, url: httpx.URL) -> bool:
        if not self.entries:
            return False
        return self.covers_host(url.host, url.port or (443 if url.scheme == "https" else 80))

    def covers_host(self, host: str, port: int) -> bool:
        """Whether ``host:port`` goes direct: for callers that have no URL (a CONNECT target)."""
        host = host.rstrip(".")
        return any(entry.covers(host, port) for entry in self.entries)


def _split_port(item: str) -> tuple[str, int | None]:
    if item.startswith("["):
        host, _, rest = item[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
        return host, int(port) if port.isdigit() else None
    if item.count(":") == 1:
        host, _, port = item.partition(":")
        if port.isdigit():
            return host, int(port)
    return item, None  # a bare name, IPv4 or IPv6 address


def _cookie_pairs(header: str | None) -> list[tuple[str, str]]:
    """A Cookie header's ``name=value`` pairs, in order."""
    pairs = []
    for part in (header or "").split(";"):
        part = part.strip()
        if part:
            name, sep, value = part.partition("=")
            pairs.append((name.strip(), value.strip()) if sep else ("", part))
    return pairs


def ssl_verify(settings: Settings) -> ssl.SSLContext:
    return _ssl_context(settings.ca_bundle)


@functools.lru_cache(maxsize=4)
def _ssl_context(ca_bundle: str | None) -> ssl.SSLContext:
    # Loading a CA bundle takes tens of milliseconds; a sweep opens a client per worker,
    # and one context serves them all.
    if ca_bundle:
        return ssl.create_default_context(cafile=ca_bundle)
    return httpx.create_ssl_context()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


_META_REFRESH = re.compile(
    r"""<meta[^>]+http-equiv=["']?refresh["']?[^>]*content=["']?\s*\d*\s*;\s*url=([^"'>]+)""", re.I
)
_LOCATION_REPLACE = re.compile(r"""location\.replace\(\s*["']([^"']+)["']\s*\)""", re.I)


def html_redirect_target(body: bytes) -> str | None:
    """Where a 200 page that redirects by markup or script (t.co for browsers) points."""
    text = body[:65536].decode("utf-8", "replace")
    for pattern in (_META_REFRESH, _LOCATION_REPLACE):
        match = pattern.search(text)
        if match:
            return unescape(match.group(1).strip()).replace("\\/", "/")
    return None


__all__ = ["BROWSER_UA", "Exchange", "FetchError", "Fetcher", "Response", "html_redirect_target"]

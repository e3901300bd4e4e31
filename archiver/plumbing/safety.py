"""What archiver refuses to fetch, by default.

Articles are untrusted input: a link or a redirect could point archiver at the
machine's own services or a cloud metadata endpoint. Only http(s) to public
addresses is allowed unless ``Settings.allow_private`` says otherwise.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import socket
from typing import Any
from urllib.parse import urlsplit

import httpcore

from ..errors import BlockedURL, FetchError

ALLOWED_SCHEMES = ("http", "https")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


_WELL_KNOWN_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_EMBEDDING = (
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated), ::1 and :: among them
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # IPv4-translated (RFC 2765)
    _WELL_KNOWN_NAT64,
)
_NEVER_PUBLIC_V6 = (
    ipaddress.IPv6Network("64:ff9b:1::/48"),  # local-use NAT64 (RFC 8215)
    ipaddress.IPv6Network("fec0::/10"),  # site-local (deprecated, still routed by some)
)


def is_public_ip(address: str) -> bool:
    """Whether an address is public. An IPv6 address that carries an IPv4 one (mapped,
    6to4, NAT64 and the like) is as public as the IPv4 address it reaches: on an IPv6-only
    host behind NAT64, ``64:ff9b::a00:1`` is 10.0.0.1."""
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _NEVER_PUBLIC_V6):
            return False
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif ip.sixtofour:
            ip = ip.sixtofour
        elif any(ip in network for network in _IPV4_EMBEDDING):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


# WHATWG URL: code points a host (domain) may not hold. A proxy, a resolver or another
# parser could each read such a host differently from us.
_FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20\x7f#%/:<>?@\[\\\]^|]")


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL by its form: malformed (port, host), scheme, literal address, local name.

    Names are checked again at connect time when archiver resolves them itself;
    behind a proxy the proxy resolves them, so this is all that can be checked.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port  # raises on a port that is not a number in 0-65535
    except ValueError as e:
        raise BlockedURL(f"not a valid URL ({e})", url) from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BlockedURL(f"scheme {parts.scheme or '(none)'}: is not fetched", url)
    if not host:
        raise BlockedURL("no host in URL", url)
    if port == 0:
        raise BlockedURL("not a valid URL (port 0)", url)
    if "[" not in parts.netloc and _FORBIDDEN_IN_HOST.search(host):
        raise BlockedURL(f"not a valid URL (host {host!r})", url)
    if allow_private:
        return
    refusal = _host_refusal(host.rstrip(".").lower())
    if refusal:
        raise BlockedURL(refusal, url)


@functools.lru_cache(maxsize=4096)
def _host_refusal(host: str) -> str | None:
    """Why ``host`` is refused by its form, or None. Cached: a sweep asks for one host
    thousands of times, and parsing a name as an address fails slowly."""
    address = literal_address(host)
    if address is None:
        if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or "." not in host:
            return f"local host name {host} is refused"
        return None
    if not is_public_ip(address):
        return f"address {host} is not public and is refused"
    return None


_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$")


def literal_address(host: str) -> str | None:
    """The IP address a host names literally, in any form a resolver accepts, else None.

    ``127.1``, ``0x7f.0.0.1``, ``0177.0.0.1`` and ``2130706433`` all mean 127.0.0.1 to
    inet_aton, and so to a proxy that resolves them: they must be checked as addresses.
    """
    try:
        return str(ipaddress.ip_address(host.split("%")[0]))
    except ValueError:
        pass
    if _NUMERIC_HOST.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


async def resolve_public(host: str, port: int, *, allow_private: bool) -> list[str]:
    """The addresses ``host`` resolves to, to connect to exactly those: BlockedURL when any
    is not public (unless allowed), FetchError when it does not resolve."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as e:
        raise FetchError(f"cannot resolve {host}: {e}", host) from e
    addresses = [str(info[4][0]) for info in infos]
    blocked = [a for a in addresses if not is_public_ip(a)]
    if blocked and not allow_private:
        raise BlockedURL(f"{host} resolves to non-public address {blocked[0]}", host)
    return addresses


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves names itself and connects only to a public address it checked.

    Checking before the request and connecting later would let a name resolve to a
    public address for the check and a private one for the connection (DNS rebinding).
    """

    def __init__(self, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        if inner is None:
            from .streams import AsyncioBackend

            inner = AsyncioBackend()
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            # A resolver that never answers counts against the connect timeout.
            addresses = await asyncio.wait_for(resolve_public(host, port, allow_private=False), timeout)
        except BlockedURL:
            raise
        except FetchError as e:
            raise httpcore.ConnectError(str(e)) from e
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"cannot resolve {host} within {timeout} s") from None
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last = e
        raise last or httpcore.ConnectError(f"no address for {host}")

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedURL("unix sockets are not used", None)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)

import asyncio

import pytest

from archiver.errors import BlockedURL
from archiver.plumbing.safety import GuardedBackend, check_url

REFUSED = [
    "file:///etc/passwd",
    "javascript:alert(1)",
    "data:text/html,<h1>x</h1>",
    "ftp://example.com/x",
    "http://127.0.0.1/",
    "http://127.1.2.3:8080/x",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/admin",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/",
    "http://0.0.0.0/",
    "http://localhost:8000/",
    "http://foo.localhost/",
    "http://printer.local/",
    "http://metadata.google.internal/",
    "http://intranet/",
    "https:///nohost",
    # IPv6 addresses that carry a private IPv4 address: NAT64, 6to4, IPv4-compatible and
    # -translated; and the ranges that are never public
    "http://[64:ff9b::a00:1]/",
    "http://[2002:7f00:1::1]/",
    "http://[::7f00:1]/",
    "http://[::ffff:0:7f00:1]/",
    "http://[64:ff9b:1::808:808]/",
    "http://[fec0::1]/",
]
ALLOWED = [
    "https://www.example-news.com/2023/01/juliaca",
    "http://93.184.216.34/",
    "https://t.co/G0EWr9QwxH",
    "https://[2606:4700::1111]/",
    "https://[64:ff9b::808:808]/",  # NAT64 to a public address
    "https://[2002:808:808::1]/",  # 6to4 of a public address
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused_by_default(url: str) -> None:
    with pytest.raises(BlockedURL):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ALLOWED)
def test_public_targets_allowed(url: str) -> None:
    check_url(url, allow_private=False)


def test_allow_private_still_refuses_other_schemes() -> None:
    check_url("http://127.0.0.1:9/", allow_private=True)
    with pytest.raises(BlockedURL):
        check_url("file:///etc/passwd", allow_private=True)


def test_guarded_backend_refuses_names_resolving_to_loopback() -> None:
    # check_url lets public-looking names through; the connect-time guard is what
    # stops one that resolves to a private address.
    async def connect() -> None:
        await GuardedBackend().connect_tcp("localhost", 9)

    with pytest.raises(BlockedURL, match="non-public"):
        asyncio.run(connect())

import asyncio
import re

import pytest

from archiver.errors import BlockedURL
from archiver.safety import MAY_BE_REFUSED, GuardedBackend, check_url

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
]
ALLOWED = [
    "https://www.example-news.com/2023/01/juliaca",
    "http://93.184.216.34/",
    "https://t.co/G0EWr9QwxH",
    "https://[2606:4700::1111]/",
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


# --------------------------------------------------------------------------- the browser's filter

def _corpus() -> list[str]:
    """URLs of every shape the policy judges: schemes, literal addresses in their many
    spellings, local and public names, ports, user info, trailing dots, upper case."""
    hosts = [
        "127.0.0.1", "127.1", "0x7f.0.0.1", "0177.0.0.1", "2130706433", "0x7f000001", "10.0.0.1",
        "192.168.1.1", "169.254.169.254", "0.0.0.0", "93.184.216.34", "8.8.8.8", "[::1]", "[fe80::1]",
        "[::ffff:127.0.0.1]", "[2606:4700::1111]", "localhost", "LOCALHOST", "localhost.", "foo.localhost",
        "printer.local", "printer.LOCAL.", "metadata.google.internal", "box.localdomain", "nas.home.arpa",
        "intranet", "intranet.", "x.com", "X.COM", "x.com.", "platform.twitter.com", "pbs.twimg.com",
        "1.2.3.4.nip.io", "localhost.example.com", "local.example.org", "xn--caf-dma.com", "a_b.example.com",
        "cafe.0x10", "10.0.0.1.example", "0x10.com", "example.123",
    ]
    urls = []
    for scheme in ("http", "https", "HTTPS", "ftp", "ws", "file"):
        for host in hosts:
            for rest in ("/", ":8080/x?y=1", "", "#frag", "?q"):
                urls.append(f"{scheme}://{host}{rest}")
    urls += [f"https://user:pw@{h}/" for h in hosts]
    urls += REFUSED + ALLOWED + ["about:blank", "blob:https://x.com/1234", "chrome://settings", "https:///nohost"]
    return urls


def test_the_browser_filter_matches_every_url_the_policy_refuses() -> None:
    # The renderer sends only URLs matching MAY_BE_REFUSED to check_url: one it misses
    # would be fetched unchecked. The filter may match more (those are checked, and allowed).
    refused = []
    for url in _corpus():
        try:
            check_url(url, allow_private=False)
        except BlockedURL:
            refused.append(url)
            assert MAY_BE_REFUSED.search(url), f"{url} is refused but the browser filter lets it through"
    assert len(refused) > 500


@pytest.mark.parametrize(
    "url",
    [
        "https://platform.twitter.com/embed/Tweet.html?id=1612558357623734272&dnt=true",
        "https://pbs.twimg.com/media/FmDx9ZaWIAAHHcS?format=jpg&name=small",
        "https://cdn.syndication.twimg.com/tweet-result?id=1&token=x",
        "https://www.example-news.com:443/2023/01/juliaca#top",
        "http://1.2.3.4.nip.io/",
    ],
)
def test_ordinary_public_urls_skip_the_check(url: str) -> None:
    assert not MAY_BE_REFUSED.search(url)


def test_the_browser_filter_means_the_same_in_javascript() -> None:
    # Playwright's driver (JavaScript) is what applies the pattern: its RegExp must agree
    # with Python's re on every URL.
    from playwright.sync_api import sync_playwright

    from archiver.browser import find_browser
    from archiver.config import Settings

    corpus = _corpus()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_browser(Settings()).path)
        try:
            page = browser.new_page()
            in_javascript = page.evaluate(
                "([source, urls]) => { const re = new RegExp(source, 'i'); return urls.map(u => re.test(u)); }",
                [MAY_BE_REFUSED.pattern, corpus],
            )
        finally:
            browser.close()
    assert MAY_BE_REFUSED.flags & re.IGNORECASE
    disagree = [u for u, js in zip(corpus, in_javascript) if js != bool(MAY_BE_REFUSED.search(u))]
    assert not disagree

"""Every error archiver raises on purpose.

Library code raises these; ``cli.py`` turns them into one-line messages.
Anything else escaping is a bug in archiver, not bad input.

    ArchiverError
    ├── ConfigError            bad settings: proxy, data directory, limits
    ├── BrowserNotFound        no Chromium to drive, with how to install one
    ├── StoreError             the data directory or database cannot be used
    │   └── SchemaError        the database is newer than this archiver
    └── ItemError              one item (article, link, post, file) failed; others go on
        ├── FetchError         a network exchange failed
        │   ├── BlockedURL     refused by policy: scheme, private address, …
        │   ├── TooLarge       the response exceeded its size cap
        │   ├── TooManyHops    a redirect loop or a chain over the hop limit
        │   ├── HTTPStatusError a final answer that is not usable (404, 500 after retries, …)
        │   └── NetworkError   timeout, reset, TLS or DNS failure
        ├── ContentError       a body that is not what it claims (not HTML, bad image, bad JSON)
        └── RenderError        the browser could not render or screenshot the item
"""

from __future__ import annotations


class ArchiverError(Exception):
    """Base of every deliberate archiver error."""


class ConfigError(ArchiverError):
    pass


class BrowserNotFound(ArchiverError):
    pass


class StoreError(ArchiverError):
    pass


class SchemaError(StoreError):
    pass


class ItemError(ArchiverError):
    """A failure confined to one item. ``item`` names it in messages."""

    def __init__(self, message: str, item: str | None = None) -> None:
        super().__init__(message)
        self.item = item

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.item}: {message}" if self.item else message


class FetchError(ItemError):
    pass


class BlockedURL(FetchError):
    pass


class TooLarge(FetchError):
    pass


class TooManyHops(FetchError):
    pass


class HTTPStatusError(FetchError):
    def __init__(self, message: str, item: str | None = None, status: int | None = None) -> None:
        super().__init__(message, item)
        self.status = status


class NetworkError(FetchError):
    pass


class ContentError(ItemError):
    pass


class RenderError(ItemError):
    pass

"""Every error archiver raises on purpose, in one tree.

Library code raises these; ``cli.py`` turns them into one-line messages (exit code 1;
``LockHeld`` is 75). Anything else escaping is a bug in archiver, not bad input. No
name here is also an httpx exception's name, so neither can be mistaken for the other.

    ArchiverError
    ├── ConfigError            bad settings: proxy, data directory, limits, schedule
    ├── BrowserNotFound        no Chromium to drive, with how to install one
    ├── StoreError             the data directory or database cannot be used
    │   ├── SchemaError        the database is newer than this archiver, or not archiver's
    │   ├── DiskFull           no space (or quota) left to write a file or a row
    │   ├── ReadOnlyStore      the data directory cannot be written (read-only, no permission)
    │   ├── DatabaseLocked     another program held the database past the busy timeout
    │   └── BlobStoreUnreachable  the blob store (S3) did not answer, or refused the request
    ├── NotInArchive           a post, article or image asked for is not in the archive
    │   └── ImageNotFound      neither a capture id, a stored file's SHA-256, nor an image file
    ├── ExportError            an export has nothing in it or cannot be written
    ├── LockHeld               another sweep holds the data directory's sweep lock (or another writer its writer lock)
    ├── BrokerError            the task queue's broker cannot be reached, or is not a Redis URL
    ├── NotifyError            a sweep's change notification could not be delivered
    └── ItemError              one item (article, link, post, file) failed; others go on
        ├── FetchError         a network exchange failed
        │   ├── BlockedURL     refused by policy: scheme, private address, …
        │   ├── TooLarge       the response exceeded its size cap
        │   ├── TooManyHops    a redirect loop or a chain over the hop limit
        │   ├── BadStatus      a final answer that is not usable (404, 500 after retries, …)
        │   ├── NetworkFailure timeout, reset, TLS or DNS failure
        │   └── RateLimited    not sent: the host asked not to be asked again before a time
        ├── ContentError       a body that is not what it claims (not HTML, bad image, bad JSON)
        ├── ExtractError       the media extractor (yt-dlp) failed, ran out of time, or is missing
        ├── RenderError        the browser could not render or screenshot the item
        └── TimestampError     a TSA's answer that does not check out (a warning: the run goes on)
"""

from __future__ import annotations

__all__ = [
    "ArchiverError",
    "BadStatus",
    "BlobStoreUnreachable",
    "BlockedURL",
    "BrokerError",
    "BrowserNotFound",
    "ConfigError",
    "ContentError",
    "DatabaseLocked",
    "DiskFull",
    "ExportError",
    "ExtractError",
    "FetchError",
    "ImageNotFound",
    "ItemError",
    "LockHeld",
    "NetworkFailure",
    "NotInArchive",
    "NotifyError",
    "RateLimited",
    "ReadOnlyStore",
    "RenderError",
    "SchemaError",
    "StoreError",
    "TimestampError",
    "TooLarge",
    "TooManyHops",
]


class ArchiverError(Exception):
    """Base of every deliberate archiver error."""


class ConfigError(ArchiverError):
    """Bad settings: proxy, data directory, limits, schedule, signing key."""


class BrowserNotFound(ArchiverError):
    """No Chromium to drive; the message says how to install one."""


class StoreError(ArchiverError):
    """The data directory or the database cannot be used."""


class SchemaError(StoreError):
    """The database is newer than this archiver, or was not made by archiver."""


class DiskFull(StoreError):
    """No space (or quota) left on the data directory's disk to write a file or a row."""


class ReadOnlyStore(StoreError):
    """The data directory cannot be written: a read-only file system, or no permission."""


class DatabaseLocked(StoreError):
    """Another program held the database's write lock past the busy timeout."""


class BlobStoreUnreachable(StoreError):
    """The blob store (S3-compatible storage) did not answer, or refused what was asked."""


class NotInArchive(ArchiverError):
    """A post, article or image asked for is not in the archive."""


class ImageNotFound(NotInArchive):
    """``similar`` was given neither a capture id, a stored file's SHA-256, nor an image file."""


class ExportError(ArchiverError):
    """An export has nothing in it, or cannot be written."""


class LockHeld(ArchiverError):
    """Another sweep holds the data directory's sweep lock, or another catalogue writer its
    writer lock (the CLI exits with 75)."""


class BrokerError(ArchiverError):
    """The task queue's broker (``--queue URL``) cannot be reached or used, or is not a Redis URL."""


class NotifyError(ArchiverError):
    """A sweep's change notification could not be delivered (the changes are in ``events``)."""


class ItemError(ArchiverError):
    """A failure confined to one item. ``item`` names it in messages."""

    def __init__(self, message: str, item: str | None = None) -> None:
        super().__init__(message)
        self.item = item

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.item}: {message}" if self.item else message


class FetchError(ItemError):
    """A network exchange failed."""


class BlockedURL(FetchError):
    """Refused by policy: a scheme other than http(s), a private address, …"""


class TooLarge(FetchError):
    """The response exceeded its size cap."""


class TooManyHops(FetchError):
    """A redirect loop, or a chain over the hop limit."""


class BadStatus(FetchError):
    """A final answer that is not usable (404, 500 after retries, …); ``status`` is its code."""

    def __init__(self, message: str, item: str | None = None, status: int | None = None) -> None:
        super().__init__(message, item)
        self.status = status


class NetworkFailure(FetchError):
    """A timeout, reset, TLS or DNS failure."""


class RateLimited(FetchError):
    """Not sent: the host said (a 429, or a spent rate limit) not to ask again before a time."""


class ContentError(ItemError):
    """A body that is not what it claims: not HTML, a bad image, bad JSON."""


class ExtractError(ItemError):
    """The media extractor (yt-dlp) could not copy a post's media: its own error, a stop
    at the deadline, or no yt-dlp installed."""


class RenderError(ItemError):
    """The browser could not render or screenshot the item."""


class TimestampError(ItemError):
    """A Time-Stamp Authority's answer that does not check out (refused, malformed, another
    hash, a signature or certificate that fails). Stamping reports it as a warning naming
    the TSA; ``verify`` reports a stored token that fails as a problem."""

"""A user's own cookies for a platform (logged-in capture, only when asked).

A user may give archiver the cookies of their own session on a platform, as a Netscape
``cookies.txt`` (the format yt-dlp and browser extensions write): ``archive --cookies
tiktok=~/tt-cookies.txt``, or ``Settings.cookies`` (``ARCHIVER_COOKIES``) for sweeps.

- Each file is for one platform, and every cookie in it must belong to that platform's
  own hosts (``Platform.hosts``: domain suffixes); a cookie for any other domain, or a
  line that is not a cookie, refuses the whole file with a one-line error naming it (and
  the line's number: never its content, which holds the cookie's value). A platform
  whose posts live on any host (Mastodon: ``hosts = (ANY_HOST,)``) takes a file for one
  instance: its cookies must all name one host, and go to that host only.
- A request gets the cookies whose domain, path, ``secure`` flag and expiry match its URL,
  as a browser would (RFC 6265 §5.4): :meth:`UserCookies.for_url`. The HTTP client, the
  media extractor (whose requests it makes) and the browser (only in a context of its own
  for pages on the platform's hosts) all ask here.
- Their values are never stored: an exchange made with them records that it was
  (``exchanges.logged_in``) and the ``Set-Cookie`` values of its answer are redacted
  (:func:`redact_headers`); every capture and status check made with them says so
  (``captures.logged_in``, ``status_checks.logged_in``, both chained in the log).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..platforms.base import ANY_HOST

REDACTED_SET_COOKIE = "[redacted: set in answer to a request made with the user's cookies]"
ENV = "ARCHIVER_COOKIES"
FORMAT_HINT = "a Netscape cookies.txt, as yt-dlp takes"


@dataclass(frozen=True)
class UserCookie:
    """One cookie of a user's file, for one platform."""

    platform: str
    domain: str
    """Lower case, without a leading dot."""
    host_only: bool
    """Sent to ``domain`` only (the file's second field FALSE), not to its subdomains."""
    path: str
    secure: bool
    expires: int
    """Seconds since the epoch; 0 for a session cookie."""
    name: str
    value: str
    http_only: bool = False

    def matches(self, scheme: str, host: str, path: str, now: float) -> bool:
        """Whether a browser would send this cookie with a request for that URL (RFC 6265 §5.4)."""
        if self.expires and self.expires <= now:
            return False
        if self.secure and scheme != "https":
            return False
        if not (host == self.domain or (not self.host_only and host.endswith("." + self.domain))):
            return False
        return _path_matches(path or "/", self.path)


def _path_matches(request_path: str, cookie_path: str) -> bool:
    if request_path == cookie_path:
        return True
    return request_path.startswith(cookie_path) and (cookie_path.endswith("/") or request_path[len(cookie_path)] == "/")


def within(domain: str, hosts: Iterable[str]) -> bool:
    """Whether ``domain`` is one of ``hosts`` or a subdomain of one."""
    domain = domain.lower().strip(".")
    return any(domain == h or domain.endswith("." + h) for h in hosts)


class UserCookies:
    """Every platform's cookies a user gave, and the hosts each may go to."""

    def __init__(self, cookies: Sequence[UserCookie], hosts: Mapping[str, tuple[str, ...]]) -> None:
        self.cookies = tuple(cookies)
        self.hosts = dict(hosts)
        """The hosts (domain suffixes) each platform's cookies may go to."""
        self._values = frozenset(c.value for c in self.cookies if len(c.value) >= 8)

    def __bool__(self) -> bool:
        return bool(self.cookies)

    @property
    def platforms(self) -> list[str]:
        return sorted(self.hosts)

    def for_url(self, url: str, platforms: Iterable[str] | None = None) -> list[UserCookie]:
        """The cookies a browser would send with a request for ``url`` (of ``platforms``
        only, if given), longest path first as browsers order them."""
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
        except ValueError:
            return []
        if not host or not self.covers(host):
            return []
        allowed = None if platforms is None else set(platforms)
        now = time.time()
        found = [
            c for c in self.cookies
            if (allowed is None or c.platform in allowed) and within(host, self.hosts[c.platform])
            and c.matches(parts.scheme.lower(), host, parts.path, now)
        ]
        return sorted(found, key=lambda c: -len(c.path))

    def covers(self, host: str) -> bool:
        """Whether any platform's cookies may go to ``host``."""
        return any(within(host, hosts) for hosts in self.hosts.values())

    def platforms_for(self, url: str) -> list[str]:
        """The platforms whose cookies may go to ``url``'s host (and so to a page there)."""
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            return []
        return sorted(p for p, hosts in self.hosts.items() if host and within(host, hosts))

    def is_value(self, value: str) -> bool:
        """Whether ``value`` is one of the user's cookie values (to keep it from other hosts)."""
        return value in self._values

    def of(self, platforms: Iterable[str]) -> list[UserCookie]:
        wanted = set(platforms)
        return [c for c in self.cookies if c.platform in wanted]


def logged_in_label(cookies: Iterable[UserCookie]) -> str | None:
    """What ``logged_in`` columns hold: the platforms whose user cookies were sent, or None."""
    names = sorted({c.platform for c in cookies})
    return ",".join(names) or None


def merge_labels(labels: Iterable[str | None]) -> str | None:
    names = sorted({name for label in labels if label for name in label.split(",")})
    return ",".join(names) or None


def redact_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Headers of an answer to a request made with the user's cookies, as recorded: each
    ``Set-Cookie`` keeps its name and attributes, never its value."""
    kept = []
    for name, value in headers:
        if name.lower() in ("set-cookie", "set-cookie2"):
            cookie_name, _, rest = value.partition("=")
            _, semi, attributes = rest.partition(";")
            value = f"{cookie_name.strip()}={REDACTED_SET_COOKIE}{semi}{attributes}"
        elif name.lower() == "cookie":
            value = "[redacted]"
        kept.append((name, value))
    return kept


# ---------------------------------------------------------------------------- reading files


def parse(text: str, platform: str, source: str) -> list[UserCookie]:
    """The cookies of a Netscape cookies.txt; ConfigError naming ``source`` and the line
    (never its content) for anything else."""
    cookies: list[UserCookie] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        http_only = False
        if line.startswith("#HttpOnly_"):
            line, http_only = line[len("#HttpOnly_"):], True
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 6:
            fields.append("")  # a cookie with an empty value: some exporters drop the last tab
        if len(fields) != 7:
            raise ConfigError(
                f"cookies file {source}, line {number}: not 7 tab-separated fields ({FORMAT_HINT})"
            )
        domain, subdomains, path, secure, expires, name, value = fields
        flags = (subdomains.upper(), secure.upper())
        if any(f not in ("TRUE", "FALSE") for f in flags) or not expires.strip().lstrip("-").isdigit():
            raise ConfigError(
                f"cookies file {source}, line {number}: not a cookie line: TRUE/FALSE flags and an expiry "
                f"in seconds expected ({FORMAT_HINT})"
            )
        host = domain.strip().lower()
        if not host.strip(".") or any(ch in host for ch in " /:;,"):
            raise ConfigError(f"cookies file {source}, line {number}: no usable domain")
        cookies.append(UserCookie(
            platform=platform,
            domain=host.strip("."),
            host_only=flags[0] == "FALSE" and not host.startswith("."),
            path=path.strip() or "/",
            secure=flags[1] == "TRUE",
            expires=max(0, int(expires.strip())),
            name=name,
            value=value,
            http_only=http_only,
        ))
    return cookies


def load_file(platform: str, hosts: tuple[str, ...], path: Path) -> tuple[list[UserCookie], tuple[str, ...]]:
    """The unexpired cookies of one platform's file, and the hosts they may go to."""
    source = str(path)
    try:
        data = path.expanduser().read_bytes()
    except OSError as e:
        raise ConfigError(f"cookies file {source}: cannot read it ({e.strerror or e})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"cookies file {source}: not text ({FORMAT_HINT})") from None
    cookies = parse(text, platform, source)
    if not cookies:
        raise ConfigError(f"cookies file {source}: no cookies in it ({FORMAT_HINT})")
    if ANY_HOST in hosts:
        named = {c.domain for c in cookies}
        if len(named) != 1 or "." not in next(iter(named)):
            raise ConfigError(
                f"cookies file {source}: {platform} posts live on any host, so a file for it must be for one host "
                f"(its instance); it names {len(named)}: {', '.join(sorted(named))}"
            )
        hosts = tuple(named)
    for c in cookies:
        if not within(c.domain, hosts):
            raise ConfigError(
                f"cookies file {source}: a cookie for {c.domain}, which is not a host of {platform} "
                f"({', '.join(hosts)}): refused, none of the file is used"
            )
    now = time.time()
    alive = [c for c in cookies if not c.expires or c.expires > now]
    if not alive:
        raise ConfigError(f"cookies file {source}: every cookie in it has expired")
    return alive, hosts


def load(files: Mapping[str, Path]) -> UserCookies | None:
    """The cookies of ``files`` (platform name → cookies.txt), checked; None when none given.

    Read once per file version (its size and modification time): every client of a run asks.
    """
    if not files:
        return None
    cookies: list[UserCookie] = []
    hosts: dict[str, tuple[str, ...]] = {}
    for platform, path in sorted(files.items()):
        path = Path(path).expanduser()
        try:
            stat = path.stat()
        except OSError as e:
            raise ConfigError(f"cookies file {path}: cannot read it ({e.strerror or e})") from None
        found, allowed = _load_cached(platform, _platform_hosts(platform), path, stat.st_mtime_ns, stat.st_size)
        cookies += found
        hosts[platform] = allowed
    return UserCookies(cookies, hosts)


@functools.lru_cache(maxsize=32)
def _load_cached(
    platform: str, hosts: tuple[str, ...], path: Path, mtime_ns: int, size: int
) -> tuple[tuple[UserCookie, ...], tuple[str, ...]]:
    found, allowed = load_file(platform, hosts, path)
    return tuple(found), allowed


def _platform_hosts(name: str) -> tuple[str, ...]:
    from ..platforms import platform_named, platforms

    platform = platform_named(name)
    if platform is None:
        known = ", ".join(sorted(p.name for p in platforms()))
        raise ConfigError(f"cookies for {name!r}: no such platform (installed: {known})")
    hosts = tuple(h.lower().strip(".") for h in getattr(platform, "hosts", ()) or ())
    if not hosts:
        raise ConfigError(f"cookies for {name!r}: the platform names no hosts of its own, so it takes no cookies")
    return hosts


def parse_option(items: Iterable[str], what: str = "--cookies") -> dict[str, Path]:
    """``PLATFORM=FILE`` items (the ``--cookies`` option, ``ARCHIVER_COOKIES`` split on ``;``)."""
    files: dict[str, Path] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        name, sep, path = item.partition("=")
        name, path = name.strip().lower(), path.strip()
        if not sep or not name or not path:
            raise ConfigError(f"{what}: {item!r} is not PLATFORM=FILE (e.g. tiktok=~/tiktok-cookies.txt)")
        if name in files:
            raise ConfigError(f"{what}: cookies for {name} given twice")
        files[name] = Path(os.path.expanduser(path))
    return files


__all__ = [
    "ANY_HOST", "ENV", "UserCookie", "UserCookies", "load", "logged_in_label", "merge_labels", "parse",
    "parse_option", "redact_headers", "within",
]

"""Settings: everything a user can set, in one frozen object.

Defaults come from the environment a user already has (``ARCHIVER_DATA``, ``ARCHIVER_BLOB_STORE``,
``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, ``SSL_CERT_FILE``, and archiver's own
``ARCHIVER_TSA``, ``ARCHIVER_WAYBACK``, ``ARCHIVER_COOKIES``); the CLI overrides them.
These are also the only seams the tests use: a proxy, a CA bundle and endpoints.
Endpoints are named by each platform (``Platform.endpoints``); ``endpoints`` holds a
user's overrides by platform name, and ``archiver.platforms.endpoints_for`` merges them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import __version__

DEFAULT_DATA_DIR = Path("captures")

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Caps on response sizes and on reading them, so one hostile server cannot fill the
    disk or memory, or stall a run."""

    html: int = 15 * MB
    json: int = 5 * MB
    image: int = 50 * MB
    video: int = 512 * MB
    other: int = 5 * MB
    """Redirect pages, short-link interstitials and anything unclassified."""
    image_pixels: int = 90_000_000
    """Pillow's decompression-bomb guard: more pixels than this is refused."""
    depth: int = 512
    """Elements nested deeper than this in an article are flattened into their ancestor
    before parsing, as Chromium does at 512: parsing deep nesting costs depth² steps."""
    parse_seconds: float = 30.0
    """Seconds to read one article (decode, parse, find title and embeds) in a reader
    process; over it the reader is killed and the article fails. A 15 MB page takes ~1 s."""
    parse_memory: int = 1024 * MB
    """Address space of a reader process. A parsed page takes up to ~60 times its bytes
    (a 14 MB page of tiny elements: 0.9 GB); over it the article fails."""


@dataclass(frozen=True)
class Tsa:
    """An RFC 3161 Time-Stamp Authority: the name archiver records, where to ask, whom to trust.

    ``roots``: a PEM file of the certificates its answers must chain to (its own root CA,
    with any intermediate not sent in its answers). ``verify`` checks every token against
    the roots configured for its TSA's name.
    """

    name: str
    url: str
    roots: str


TSA_ENV = "ARCHIVER_TSA"


def parse_tsas(value: str) -> tuple[Tsa, ...]:
    """TSAs from ``NAME=URL,ROOTS.pem`` items separated by ``;`` (the ``ARCHIVER_TSA`` form)."""
    from .errors import ConfigError

    tsas: list[Tsa] = []
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        name, _, rest = item.partition("=")
        url, _, roots = rest.rpartition(",")
        name, url, roots = name.strip(), url.strip(), roots.strip()
        if not name or not url.startswith(("http://", "https://")) or not roots:
            raise ConfigError(f"{TSA_ENV}: {item!r} is not NAME=URL,ROOTS.pem (items separated by ';')")
        if any(t.name == name for t in tsas):
            raise ConfigError(f"{TSA_ENV}: the name {name!r} is given twice")
        tsas.append(Tsa(name, url, roots))
    return tuple(tsas)
Endpoints = dict[str, dict[str, str]]
"""Endpoint overrides by platform name, then endpoint name: ``{"twitter": {"embed": URL}}``.
Each platform names its endpoints and their defaults (``Platform.endpoints``)."""


@dataclass(frozen=True)
class Settings:
    """Everything a user can set; every library function takes one. Frozen: change with ``replace``."""

    data_dir: Path = DEFAULT_DATA_DIR
    blob_store: str | None = None
    """Where captured files go: None for ``<data_dir>/blobs``, ``file:///PATH`` for a shared
    directory, ``s3://BUCKET/PREFIX`` for S3-compatible storage (endpoint and credentials
    from ``AWS_*`` variables). Env: ``ARCHIVER_BLOB_STORE`` (archiver.plumbing.blobstores)."""
    proxy: str | None = None
    """Proxy for every request, Chromium's included. None: from the environment."""
    no_proxy: str | None = None
    ca_bundle: str | None = None
    """PEM file of CAs to trust (httpx). Chromium trusts the NSS database instead."""
    allow_private: bool = False
    """Allow loopback, private and link-local targets. For replicas and tests only."""
    timeout: float = 20.0
    """Seconds for any one network operation (connect, read, write)."""
    request_deadline: float = 120.0
    """Seconds for a whole response, body included: a slow drip cannot hang a run."""
    retries: int = 3
    """Retries after a 429, a 5xx or a network error, with backoff."""
    backoff: float = 0.5
    max_retry_after: float = 30.0
    """A Retry-After longer than this is not waited for: the item ends unknown."""
    per_host: int = 6
    """Concurrent requests to one host."""
    concurrency: int = 6
    """Posts and articles worked on at once; also the number of browser pages."""
    render_timeout: float = 30.0
    parse_workers: int = 2
    """Reader processes: articles parsed at once, each within ``limits``."""
    extract_deadline: float = 900.0
    """Seconds for yt-dlp to copy one post's media, downloads included; then it is stopped."""
    browser_path: str | None = None
    """Chromium to drive. None: Playwright's own if installed, else the system's."""
    max_hops: int = 10
    schedule: str = "1d:1h,30d:1d,*:7d"
    """When sweeps check again, by age since first archived: AGE:EVERY steps (archiver.schedule)."""
    confirm_loss: str | None = None
    """How long a post seen gone after being live waits for the check that confirms it
    (``1h``); None: each platform's own (Bluesky and Mastodon: 1h, their caches lag;
    Twitter: none, its two sources already agree). Env: ``ARCHIVER_CONFIRM_LOSS``."""
    limits: Limits = field(default_factory=Limits)
    endpoints: Endpoints = field(default_factory=dict)
    """Platform endpoints a user points elsewhere (a mirror, a replica); the rest keep their
    defaults. Env: ``ARCHIVER_ENDPOINTS="twitter.embed=URL twitter.oembed=URL"``."""
    budgets: Endpoints = field(default_factory=dict)
    """Request budgets a user sets lower (or higher) than a platform's own (its documented
    limits, ``Platform.budgets``), by platform and endpoint: ``{"instagram": {"oembed":
    "500/1h"}}``. Env: ``ARCHIVER_BUDGETS="instagram.oembed=500/1h"``."""
    user_agent: str = f"archiver/{__version__} (+https://github.com/archiver/archiver; embed archiver)"
    cookies: dict[str, Path] = field(default_factory=dict)
    """A user's own cookies, by platform name: a Netscape cookies.txt each (logged-in capture,
    only when asked; :mod:`archiver.plumbing.cookies`). Sent only to that platform's hosts,
    never stored; every capture made with them says so. Env:
    ``ARCHIVER_COOKIES="tiktok=~/tt-cookies.txt;youtube=~/yt-cookies.txt"``."""

    # What the commands do when not told otherwise: the library's defaults, and so the CLI's.
    sweep_concurrency: int = 32
    """Post checks a sweep keeps in flight at once."""
    deleted_since: str = "7d"
    """How far back ``deleted`` looks (``12h``, ``7d``, ``4w``)."""
    similar_max_distance: int = 10
    """Most differing bits (of 64) for ``similar`` to call two images near."""
    serve_host: str = "127.0.0.1"
    """Where ``serve`` listens: loopback, so only this machine can reach it."""
    serve_port: int = 8001

    # Trusted time and independent copies (issue 16): both reach outside, so both are opt-in.
    tsas: tuple[Tsa, ...] = ()
    """Time-Stamp Authorities the log's head is sent to after every run that added to it."""
    tsa_timeout: float = 10.0
    """Seconds a TSA has to answer, all told; one that does not is a warning, not a failure."""
    wayback: bool = False
    """Ask the Wayback Machine to save each post archived; point at its copy of one already gone."""
    wayback_keys: str | None = None
    """``ACCESS:SECRET`` of an archive.org account, for Save Page Now's higher limits."""
    wayback_wait: float = 30.0
    """Seconds to wait, at the end of a run, for Save Page Now to finish its captures."""
    wayback_save: str = "https://web.archive.org/save"
    """The Wayback Machine's Save Page Now (``POST`` a URL; ``/status/<job>`` says how it went)."""
    wayback_available: str = "https://archive.org/wayback/available"
    """The Wayback Machine's availability API: the copy nearest a time."""

    # Distributed capture (archiver.distributed): every role (dispatcher, worker, writer) must
    # agree on these, so they come from the environment like the rest.
    queue_time_limit: float = 600.0
    """Seconds a queued task may run: then it stops itself and sends what it has (Celery's
    soft limit); 60 s later its process is killed (the hard limit). Env: ``ARCHIVER_QUEUE_TIME_LIMIT``."""
    worker_processes: int = 1
    """Tasks an ``archiver worker`` runs at once, a browser each."""
    queue_visibility_timeout: float | None = None
    """Seconds after which the broker hands a task (or result) nobody acknowledged to
    another worker: a dead worker's task comes back then. None: the hard limit plus
    60 s, so a slow task still running is never handed out twice. Env: ``ARCHIVER_QUEUE_VISIBILITY``."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        settings = cls(
            data_dir=Path(env.get("ARCHIVER_DATA") or DEFAULT_DATA_DIR),
            blob_store=env.get("ARCHIVER_BLOB_STORE") or None,
            proxy=_env_proxy(env),
            no_proxy=env.get("NO_PROXY") or env.get("no_proxy") or None,
            ca_bundle=env.get("SSL_CERT_FILE") or None,
            browser_path=env.get("ARCHIVER_BROWSER") or None,
            tsas=parse_tsas(env.get(TSA_ENV) or ""),
            wayback=(env.get("ARCHIVER_WAYBACK") or "").strip().lower() in ("1", "yes", "true", "on"),
            wayback_keys=env.get("ARCHIVER_WAYBACK_KEYS") or None,
            endpoints=parse_endpoints(env.get("ARCHIVER_ENDPOINTS") or ""),
            confirm_loss=env.get("ARCHIVER_CONFIRM_LOSS") or None,
            budgets=parse_budgets(env.get("ARCHIVER_BUDGETS") or ""),
            queue_time_limit=_env_seconds(env, "ARCHIVER_QUEUE_TIME_LIMIT") or cls.queue_time_limit,
            queue_visibility_timeout=_env_seconds(env, "ARCHIVER_QUEUE_VISIBILITY"),
            cookies=_env_cookies(env),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return replace(settings, **given)  # type: ignore[arg-type]

    @property
    def db_path(self) -> Path:
        return self.data_dir / "archive.db"


def parse_endpoints(text: str) -> Endpoints:
    """``platform.name=URL`` pairs, separated by spaces or commas, as a mapping of overrides."""
    from .errors import ConfigError

    endpoints: Endpoints = {}
    for item in text.replace(",", " ").split():
        key, sep, url = item.partition("=")
        platform, dot, name = key.partition(".")
        if not (sep and dot and platform and name and url.startswith(("https://", "http://"))):
            raise ConfigError(f"ARCHIVER_ENDPOINTS: {item!r} is not platform.endpoint=http(s)://URL")
        endpoints.setdefault(platform, {})[name] = url
    return endpoints


def parse_budgets(text: str) -> Endpoints:
    """``platform.endpoint=N/WINDOW`` pairs (``instagram.oembed=500/1h``), separated by spaces or commas."""
    from .errors import ConfigError

    budgets: Endpoints = {}
    for item in text.replace(",", " ").split():
        key, sep, value = item.partition("=")
        platform, dot, name = key.partition(".")
        if not (sep and dot and platform and name and "/" in value):
            raise ConfigError(f"ARCHIVER_BUDGETS: {item!r} is not platform.endpoint=REQUESTS/WINDOW (like 500/1h)")
        budgets.setdefault(platform, {})[name] = value
    return budgets


def _env_cookies(env: dict[str, str]) -> dict[str, Path]:
    value = env.get("ARCHIVER_COOKIES") or ""
    if not value.strip():
        return {}
    from .plumbing.cookies import parse_option

    return parse_option(value.split(";"), "ARCHIVER_COOKIES")


def _env_proxy(env: dict[str, str]) -> str | None:
    # Every target is https, so HTTPS_PROXY wins; HTTP_PROXY and ALL_PROXY are what
    # people set when one proxy serves all.
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        if env.get(name):
            return env[name]
    return None


def _env_seconds(env: dict[str, str], name: str) -> float | None:
    from .errors import ConfigError

    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0:
        raise ConfigError(f"{name}: {text!r} is not a number of seconds above 0")
    return value

"""The library's front door: one function per command, each taking ``Settings``.

``archiver/__init__.py`` exports these; ``cli.py`` only parses options, calls one of them,
prints the report it returns (``lines()`` or ``line()`` as text, ``as_dict()`` as JSON)
and sets the exit code. Each function documents what it raises: always an
``ArchiverError`` (``archiver.errors``) for bad input or an unusable archive.

Options a function is not given come from ``settings`` (``Settings.sweep_concurrency``,
``deleted_since``, ``similar_max_distance``, ``serve_host``, ``serve_port``, …), so the
library and the command line share one set of defaults.

Nothing heavy is imported here at import time: each function imports the modules that
do its work, so ``import archiver`` and ``archiver --help`` stay fast.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import Settings
from .errors import ConfigError, NotInArchive, StoreError

if TYPE_CHECKING:
    from .evidence.backup import BackupReport
    from .evidence.phash import Match
    from .evidence.timestamps import Stamp
    from .evidence.verify import VerifyReport
    from .evidence.wacz import ExportSummary
    from .distributed.status import QueueStatus
    from .distributed.writer import IngestReport
    from .pipeline import Progress, Summary
    from .queries import TimelineEntry
    from .selfcheck import DoctorReport
    from .steps.preview import Found
    from .sweeper import SweepSummary

__all__ = [
    "Deleted",
    "DeletedPost",
    "History",
    "NewKey",
    "Provenance",
    "Similar",
    "Stamps",
    "archive",
    "backup",
    "deleted",
    "doctor",
    "export",
    "find",
    "history",
    "ingest",
    "keygen",
    "provenance",
    "queue",
    "serve",
    "similar",
    "sweep",
    "timestamp",
    "unwatch",
    "verify",
    "worker",
]


@contextmanager
def _archive_db(settings: Settings) -> Iterator[sqlite3.Connection]:
    """The existing archive, upgraded to the current schema; never a new, empty one."""
    from .plumbing.db import open_db

    path = settings.db_path
    if not path.exists():
        raise StoreError(f"no archive at {path}")
    conn = open_db(path)
    try:
        yield conn
    finally:
        conn.close()


# --------------------------------------------------------------------------- archiving


def _no_cookies_through(queue: str, settings: Settings) -> None:
    """A user's cookies never travel through a queue (its broker would hold them): the workers
    use their own (ARCHIVER_COOKIES where they run), and their captures say so."""
    if settings.cookies:
        from .errors import ConfigError

        raise ConfigError(
            f"cookies for {', '.join(sorted(settings.cookies))} are not sent through the queue (its broker would "
            "keep them): give them to the workers instead (ARCHIVER_COOKIES where `archiver worker` runs)"
        )


def archive(
    targets: Iterable[str],
    settings: Settings,
    *,
    recapture: bool = False,
    progress: Progress | None = None,
    notify_url: str | None = None,
    page_embeds: bool = False,
    queue: str | None = None,
) -> Summary:
    """Archive each target: an article URL (with every post it embeds), a post's URL, or a
    short or media link to a post.

    An article's own embeds are archived (placement ``body``); posts on the page around
    it (sidebars, widgets, comments, webmentions: placement ``page``) are recorded as seen
    (``seen_embeds``) and archived only when ``page_embeds`` asks.
    ``recapture``: capture known posts again, as new rows. ``progress(item, what)`` is
    called as items finish (``what`` starts with ``error: `` for a failure, ``warning: ``
    for a TSA or the Wayback Machine failing). An item that fails is named in
    ``Summary.errors`` while the others complete; ``Summary.ok`` is False then. With TSAs
    configured (``settings.tsas``) the log's head is timestamped at the end
    (``Summary.stamps``; ``notify_url`` receives them as a JSON POST). Raises
    ``StoreError`` or ``BrowserNotFound`` when nothing can be archived.

    ``queue``: a Redis URL; the targets are handed to the workers there (``worker``), one
    task each, and this call waits until their results are written into the archive —
    writing them itself unless another catalogue writer (``ingest``) is at work. The
    summary is the same; the log's timestamps (if any) are the writer's. Raises
    ``BrokerError`` when the queue cannot be reached.
    """
    if queue is not None:
        from .distributed.dispatch import archive_queued

        _no_cookies_through(queue, settings)
        return archive_queued(list(targets), settings, queue, recapture=recapture, progress=progress,
                              page_embeds=page_embeds)
    from .pipeline import archive as run

    return run(
        list(targets), settings, recapture=recapture, progress=progress, notify_url=notify_url, page_embeds=page_embeds
    )


def find(settings: Settings, source: str, *, base_url: str | None = None, resolve: bool = False) -> Found:
    """What ``archive`` would take from a page, without capturing anything: each embed's
    platform, post id, link, form, placement and embed text (``Found``).

    ``source`` is an article's URL (fetched, nothing stored) or a saved page's path, read as
    ``archive`` reads a page, within ``settings.limits``. ``base_url``: the page's address,
    against which a saved file's relative links resolve (for a URL: read the page as if it
    were there). Each embed is placed ``body`` (the article's own, which ``archive``
    archives) or ``page`` (sidebars, widgets, comments around it, only recorded). Offline
    for a file unless ``resolve``: then links that name no post themselves (t.co,
    pic.twitter.com, click trackers) are followed hop by hop, with ``archive``'s safety
    rules, and ``Found.resolved`` says where each led; one that cannot be followed is a line
    in ``Found.errors``. Raises ``ContentError`` for a file that cannot be read or a page
    that is no article, ``BadStatus``/``FetchError`` for a URL that cannot be fetched.
    """
    import asyncio

    from .steps.preview import preview

    return asyncio.run(preview(settings, source, base_url=base_url, follow=resolve))


def sweep(
    settings: Settings,
    *,
    everything: bool = False,
    limit: int | None = None,
    max_time: float | None = None,
    concurrency: int | None = None,
    workers: int | None = None,
    wait: bool = False,
    notify_url: str | None = None,
    progress: Progress | None = None,
    queue: str | None = None,
) -> SweepSummary:
    """Re-check the archived posts and watched articles that are due (``everything``: all).

    Records every verdict and change; captures changed posts again. ``limit`` items and
    ``max_time`` seconds bound a run; ``concurrency`` checks are in flight at once
    (default ``settings.sweep_concurrency``), shared among ``workers`` processes (default:
    the usable CPUs, at most 2, on Linux). ``notify_url`` receives the changes as a JSON
    POST. Raises ``LockHeld`` when another sweep runs (unless ``wait``), ``ConfigError``
    for a bad ``settings.schedule``.

    ``queue``: a Redis URL; each due article, and each batch of due posts, is a task for
    the workers there, and this call waits until the run is written (see ``archive``).
    ``workers`` does not apply then. Raises ``BrokerError`` when the queue cannot be reached.
    """
    if queue is not None:
        from .distributed.dispatch import sweep_queued

        _no_cookies_through(queue, settings)
        return sweep_queued(settings, queue, everything=everything, limit=limit, max_time=max_time,
                            concurrency=concurrency, wait=wait, notify_url=notify_url, progress=progress)
    from .sweeper import sweep as run

    return run(
        settings,
        everything=everything,
        limit=limit,
        max_time=max_time,
        concurrency=concurrency,
        workers=workers,
        wait=wait,
        notify_url=notify_url,
        progress=progress,
    )


# --------------------------------------------------------------------------- distributed capture


def worker(settings: Settings, queue: str, *, processes: int | None = None, name: str | None = None) -> int:
    """Run a capture worker on the queue at ``queue`` (a Redis URL) until it is stopped.

    It takes the tasks ``archive`` and ``sweep`` hand out with ``queue``, captures each as a
    local run would, with these ``settings`` (proxy, CA bundle, browser, caps, endpoints),
    writes the files to the blob store every machine shares (``settings.data_dir``: its
    ``blobs/``; the worker never opens its archive.db), and sends the rows back as a result
    for the catalogue writer. ``processes``: tasks at once (a browser each). SIGTERM lets
    running tasks finish. Default ``processes``: ``settings.worker_processes``. Returns the
    worker's exit code.
    """
    from .distributed.tasks import run_worker

    return run_worker(settings, queue, processes=processes or settings.worker_processes, name=name)


def ingest(
    settings: Settings, queue: str, *, idle_exit: float | None = None, progress: Progress | None = None
) -> IngestReport:
    """Be the archive's one catalogue writer: write the results the workers send to ``queue``
    into ``settings.data_dir``'s archive.db, in batches, each acknowledged only once written,
    until stopped (or until no result came for ``idle_exit`` seconds).

    Writing is idempotent (a result delivered twice is written once) and survives a kill.
    ``progress(item, what)`` is called for each result's lines. Raises ``LockHeld`` when
    another writer holds this archive, ``StoreError`` when the archive cannot be written.
    """
    from .distributed.writer import ingest as run

    return run(settings, queue, idle_exit=idle_exit, progress=progress)


def queue(settings: Settings, url: str) -> QueueStatus:
    """The queue at ``url`` (a Redis URL): tasks waiting, running and failed, per worker, and
    results waiting for the catalogue writer. Reads the broker only. Raises ``BrokerError``
    when it cannot be reached."""
    from .distributed.status import queue_status

    return queue_status(settings, url)


def unwatch(settings: Settings, url: str) -> None:
    """Stop re-checking an article in sweeps; its posts and captures stay.

    Raises ``NotInArchive`` when the archive has no article with that URL.
    """
    from .steps.store import Store

    if not settings.db_path.exists():
        raise StoreError(f"no archive at {settings.db_path}")
    store = Store(settings)
    try:
        found = store.unwatch(url)
    finally:
        store.close()
    if not found:
        raise NotInArchive(f"{url}: not in the archive")


# --------------------------------------------------------------------------- reading


@dataclass
class DeletedPost:
    """A post found deleted or unavailable: when, which verdict, and who cited it."""

    detected_at: str
    kind: str
    url: str
    native_id: str
    author_handle: str | None
    status: str
    text: str | None
    cited_by: str | None
    """The URLs of the articles that cite it, space-separated."""

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass
class Deleted:
    """The posts found deleted or unavailable within ``since``, newest first."""

    since: str
    posts: list[DeletedPost] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.posts:
            return [f"nothing deleted or unavailable in the last {self.since}"]
        lines = []
        for p in self.posts:
            lines.append(f"{p.detected_at[:19]}  {p.kind:<11}  {p.url}")
            if p.cited_by:
                lines.append(f"{'':33}cited by {p.cited_by}")
        return lines

    def as_dict(self) -> dict[str, object]:
        return {"since": self.since, "posts": [p.as_dict() for p in self.posts]}


def deleted(settings: Settings, since: str | None = None) -> Deleted:
    """Posts found deleted or unavailable within ``since`` (``12h``, ``7d``, ``4w``; default
    ``settings.deleted_since``): those that turned while watched and those already gone
    when first archived. Raises ``ConfigError`` for a bad duration."""
    from .queries import deleted_since

    since = since or settings.deleted_since
    with _archive_db(settings) as conn:
        rows = deleted_since(conn, since)
    fields = DeletedPost.__dataclass_fields__
    return Deleted(since, [DeletedPost(**{k: v for k, v in r.items() if k in fields}) for r in rows])  # type: ignore[arg-type]


@dataclass
class History:
    """One post (its ``posts`` row) and its timeline of checks, captures and changes, oldest first."""

    post: dict[str, Any]
    entries: list[TimelineEntry]

    def lines(self) -> list[str]:
        lines = [f"{self.post['url']}  now {self.post['status']}  by @{self.post['author_handle'] or '?'}"]
        lines += [f"{e.at[:19]}  {e.what:<24}  {e.detail}" for e in self.entries]
        return lines

    def as_dict(self) -> dict[str, object]:
        return {"post": self.post, "timeline": [e.as_dict() for e in self.entries]}


def history(settings: Settings, post: str) -> History:
    """One post's timeline, by its URL (any form archiver recognises) or its platform id.

    Raises ``NotInArchive`` for a post the archive does not hold."""
    from .queries import history as timeline

    with _archive_db(settings) as conn:
        row, entries = timeline(conn, post)
    return History({k: row[k] for k in row.keys()}, entries)  # noqa: SIM118 - iterating a Row gives values


@dataclass
class Provenance:
    """How each capture of a post was made: its run, the tools, the requests behind it."""

    post: dict[str, Any]
    links: list[dict[str, Any]]
    captures: list[dict[str, Any]]

    def lines(self) -> list[str]:
        p = self.post
        lines = [f"{p['url']}  (id {p['native_id']}, now {p['status']})"]
        for link in self.links:
            hops = " -> ".join(f"{h['url']} [{h.get('status')}]" for h in link["hops"])
            lines.append(f"  link {link['url']} resolved {link['resolved_at'][:19]}: {hops or '-'} => {link['final_url']}")
        for c in self.captures:
            run = c["run"]
            lines.append("")
            lines.append(f"capture {c['capture_id']}  {c['kind']}  {c['captured_at'][:19]}  {c['bytes']} bytes")
            lines.append(f"  file     {c['path']}  sha256 {c['sha256']}")
            if c.get("logged_in"):
                lines.append(
                    f"  LOGGED IN: made with the user's own cookies for {c['logged_in']}: it shows what that "
                    "account saw, which others may not"
                )
            lines.append(
                f"  run      {run['id']} ({run['command']}) {run['started_at'][:19]} to "
                f"{(run['finished_at'] or '?')[:19]} UTC"
            )
            lines.append(
                f"  tools    archiver {run['archiver_version']}, Python {run['python_version']}, {run['os']}"
                + (f", Chromium {run['browser_version']}" if run["browser_version"] else "")
                + (f", via proxy {run['proxy_host']}" if run["proxy_host"] else "")
            )
            if c["provenance"]:
                lines.append(f"  run's provenance: capture {c['provenance']['capture_id']}, {c['provenance']['path']}")
            trusted = c.get("trusted_time")
            if trusted:
                lines.append(
                    f"  trusted  no later than {trusted['no_later_than'][:19].replace('T', ' ')} UTC, by {trusted['tsa']} "
                    f"(RFC 3161 timestamp {trusted['timestamp_id']}; archiver verify checks it)"
                )
            for r in c["requests"]:
                mark = "*" if r["gave_this_file"] else " "
                cookies = f", with the user's {r['logged_in']} cookies" if r.get("logged_in") else ""
                lines.append(
                    f"  {mark} {r['status']} {r['method']} {r['url']}  ({r['client']}, {r['started_at'][:19]}{cookies})"
                )
        return lines

    def as_dict(self) -> dict[str, object]:
        return {"post": self.post, "links": self.links, "captures": self.captures}


def provenance(settings: Settings, post: str) -> Provenance:
    """How each capture of a post was made (a URL or the platform's id): run, tools, the
    requests that led to each file. Raises ``NotInArchive`` for an unknown post."""
    from .evidence.provenance import post_provenance
    from .plumbing.blobstores import reading

    with _archive_db(settings) as conn, reading(settings) as storage:
        found: dict[str, Any] = post_provenance(conn, storage, post)
    return Provenance(found["post"], found["links"], found["captures"])


@dataclass
class Similar:
    """The images within ``max_distance`` bits of ``hash`` (a 64-bit dHash), nearest first."""

    hash: str
    max_distance: int
    matches: list[Match]

    def lines(self) -> list[str]:
        if not self.matches:
            return [f"nothing within {self.max_distance} bits of {self.hash}"]
        return [
            f"{m.distance:>2}  capture {m.capture_id:<6} {m.kind:<15} {m.post_url or m.article_url or ''}  {m.path}"
            for m in self.matches
        ]

    def as_dict(self) -> dict[str, object]:
        return {"hash": self.hash, "matches": [m.as_dict() for m in self.matches]}


def similar(settings: Settings, image: str, max_distance: int | None = None) -> Similar:
    """Captured images that look like ``image``: a capture id, a stored file's SHA-256 (or 8+
    of its first digits) or an image file. Near: at most ``max_distance`` differing bits
    of 64 (default ``settings.similar_max_distance``). Raises ``ImageNotFound``."""
    from .evidence.phash import near_duplicates
    from .plumbing.blobstores import reading

    distance = settings.similar_max_distance if max_distance is None else max_distance
    with _archive_db(settings) as conn, reading(settings) as storage:
        target, matches = near_duplicates(conn, storage, image, distance)
    return Similar(target, distance, matches)


# --------------------------------------------------------------------------- evidence


def verify(
    settings: Settings,
    *,
    jobs: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_advance: Callable[[int], None] | None = None,
    pins: Path | None = None,
) -> VerifyReport:
    """Re-hash every stored file and check every entry of the tamper-evident log and every
    RFC 3161 timestamp of it (against the roots configured for its TSA, at the time it
    states), and say what trusted time covers each capture and status check.

    ``pins``: a file of pinned heads (``timestamp(pins=…)``, or notifications collected):
    a pinned head the log no longer holds is a problem. ``jobs`` files are hashed at once
    (default: CPUs + 1, at most 8). ``on_start(total bytes)`` and ``on_advance(bytes)``
    drive a progress bar. The report names each problem; ``ok`` only when everything
    holds. Raises ``StoreError`` without an archive, ``ConfigError`` for an unreadable pin file.
    """
    from .evidence.verify import verify as run

    return run(settings, workers=jobs, on_start=on_start, on_advance=on_advance, pins=pins)


@dataclass
class Stamps:
    """Timestamps of the log: those ``timestamp`` stored now, every one stored, and a warning
    per TSA that gave none."""

    new: list[Stamp]
    stored: list[Stamp]
    warnings: list[str]
    pins_path: Path | None = None
    stamped: bool = True
    """Whether TSAs were asked (else the stamps were only listed)."""

    @property
    def ok(self) -> bool:
        return not self.warnings

    def lines(self) -> list[str]:
        lines = [s.line() for s in self.new]
        if not self.new and not self.warnings and self.stamped:
            lines.append("nothing to stamp: every configured TSA has stamped the log's latest entries")
        if not self.stamped:
            lines += [s.line() for s in self.stored]
        if self.pins_path is not None:
            lines.append(f"{len(self.stored)} stamps pinned in {self.pins_path}: keep that file apart from the archive")
        return lines

    def as_dict(self) -> dict[str, object]:
        """Every stored stamp (with its files' paths, for ``openssl ts -verify``), which are new, warnings."""
        return {"stamps": [s.pin() | {"id": s.id, "response_path": s.response_path, "certs_path": s.certs_path}
                           for s in self.stored],
                "new": [s.id for s in self.new], "warnings": self.warnings,
                "pins_path": str(self.pins_path) if self.pins_path else None}


def timestamp(
    settings: Settings, *, pins: Path | None = None, notify_url: str | None = None, stamp: bool = True
) -> Stamps:
    """Stamp the log's head now with every configured TSA (``settings.tsas``, or
    ``ARCHIVER_TSA``) that has not stamped its latest entries; write every stored stamp to
    ``pins`` (JSON lines, to keep apart from the archive); POST the new ones to ``notify_url``.

    ``stamp=False`` asks no TSA: only lists the stamps and writes ``pins``. A TSA that fails is a warning in ``Stamps.warnings``
    (``ok`` is False then). Raises ``StoreError`` without an archive, ``ConfigError`` when
    no TSA is configured and there is nothing else to do.
    """
    import asyncio

    from .evidence import timestamps
    from .steps.store import Store

    if not settings.db_path.exists():
        raise StoreError(f"no archive at {settings.db_path}")
    if stamp and not settings.tsas and pins is None:
        raise ConfigError("no TSA configured: set ARCHIVER_TSA=NAME=URL,ROOTS.pem (see README, Trusted time)")
    store = Store(settings)
    try:
        done = timestamps.Stamping()
        if stamp and settings.tsas:
            run_id = store.start_run("timestamp")
            try:
                done = asyncio.run(timestamps.stamp(store, run_id))
            finally:
                store.finish_run(run_id)
        stored = timestamps.stamps(store.conn, store.blobs.storage)
    finally:
        store.close()
    if pins is not None:
        timestamps.write_pins(pins, stored)
    if notify_url and done.stamps:
        from .notify import post_stamps

        problem = post_stamps(settings, notify_url, None, done.stamps)
        if problem:
            done.warnings.append(problem)
    return Stamps(done.stamps, stored, done.warnings, pins, stamp)


def backup(settings: Settings, dest: Path) -> BackupReport:
    """Copy the archive to ``dest``, consistently, while runs and sweeps go on writing.

    The database as of one moment (SQLite's online backup API), then every file that copy
    names (hashed as it is copied), then the database renamed into place: ``dest`` never
    holds a row naming a file that is not there. ``dest`` is a data directory of its own,
    which ``verify`` accepts; backing up into it again copies only new files. Files of the
    archive found missing or changed are named in the report (and copied as they are).
    Raises ``StoreError`` without an archive or when ``dest`` cannot be written,
    ``ConfigError`` when ``dest`` is the data directory or inside it.
    """
    from .evidence.backup import backup as run

    return run(settings, dest)


def export(
    settings: Settings, out: Path, *, article: str | None = None, post: str | None = None
) -> ExportSummary:
    """Write a WACZ of what archiver received to ``out``: everything, or only the runs that
    captured ``article`` (and its posts) or ``post``.

    Written to a temporary file beside ``out`` and renamed into place, so ``out`` is either
    the whole export or untouched. Raises ``NotInArchive`` for an unknown article or post,
    ``ExportError`` when there is nothing to export or it cannot be written.
    """
    from .evidence.wacz import export_wacz
    from .plumbing.blobstores import reading

    if article and post:
        raise ConfigError("export --article or --post, not both")
    with _archive_db(settings) as conn, reading(settings) as storage:
        return export_wacz(conn, storage, out, article=article, post=post)


@dataclass
class NewKey:
    """A signing key made by ``keygen``: where its private half is, and its id in the archive."""

    path: Path
    key_id: str
    db_path: Path
    default_path: bool
    """Whether archiver finds the key by itself (else ARCHIVER_SIGNING_KEY must name it)."""

    def lines(self) -> list[str]:
        from .evidence.keys import KEY_ENV

        lines = [f"private key: {self.path}", f"public key {self.key_id} stored in {self.db_path}"]
        if not self.default_path:
            lines.append(f"to sign with it: export {KEY_ENV}={self.path}")
        return lines

    def as_dict(self) -> dict[str, object]:
        return {"path": str(self.path), "key_id": self.key_id, "db_path": str(self.db_path)}


def keygen(settings: Settings, key_path: Path | None = None) -> NewKey:
    """Make an Ed25519 key pair to sign the log: the private key (mode 0600) at ``key_path``
    (default: the user's config directory), never inside the data directory and never over
    an existing file; its public key stored in the archive (made if need be), signing from
    the next log entry on. Raises ``ConfigError``."""
    from .evidence import keys
    from .plumbing.db import open_db

    path, key_id = keys.keygen(settings.data_dir, key_path)
    conn = open_db(settings.db_path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        next_seq = conn.execute("SELECT coalesce(max(seq), 0) + 1 FROM log").fetchone()[0]
        keys.register(conn, keys.load_signer(path), first_seq=next_seq)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return NewKey(path, key_id, settings.db_path, key_path is None or path == keys.default_key_path())


# --------------------------------------------------------------------------- browsing and set-up


def serve(
    settings: Settings,
    *,
    host: str | None = None,
    port: int | None = None,
    open_browser: bool = False,
    announce: Callable[[str], object] = print,
) -> None:
    """Serve the archive read-only in Datasette until interrupted, at ``host``:``port``
    (default ``settings.serve_host`` and ``serve_port``: loopback only), first upgrading an
    older archive's schema. ``announce`` is told the URL. Raises ``StoreError``."""
    from .browse.serve import serve as run

    run(
        settings,
        host=settings.serve_host if host is None else host,
        port=settings.serve_port if port is None else port,
        open_browser=open_browser,
        announce=announce,
    )


def doctor(settings: Settings) -> DoctorReport:
    """Check that archiver can run here: its packages, a browser it can launch, the archive's
    database (schema version, every table and trigger). Each check says how to fix it."""
    from .selfcheck import diagnose

    return diagnose(settings)

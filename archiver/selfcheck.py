"""`archiver doctor` (``archiver.doctor``): can archiver run here, and if not, what to fix."""

from __future__ import annotations

import asyncio
import platform
import sqlite3
import sys
from dataclasses import asdict, dataclass, field

from . import __version__
from .config import Settings
from .errors import ArchiverError


@dataclass
class Check:
    """One finding: what was checked, whether it holds, and what to do when it does not."""

    name: str
    ok: bool
    detail: str
    fix: str | None = None


@dataclass
class DoctorReport:
    """What ``doctor`` found: ``ok`` when every check holds."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def lines(self) -> list[str]:
        lines = []
        for check in self.checks:
            lines.append(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.detail}")
            if not check.ok and check.fix:
                lines.append(f"     fix: {check.fix}")
        return lines

    def as_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def diagnose(settings: Settings) -> DoctorReport:
    report = DoctorReport()
    report.checks.append(
        Check("archiver", True, f"{__version__} on Python {sys.version.split()[0]}, {platform.platform()}")
    )
    report.checks.append(_packages())
    report.checks.append(asyncio.run(_browser(settings)))
    report.checks.append(asyncio.run(_ffprobe()))
    report.checks.append(_database(settings))
    if settings.blob_store:
        report.checks.append(_blob_store(settings))
    if settings.proxy:
        report.checks.append(Check("proxy", True, settings.proxy.split("@")[-1]))
    return report


def _packages() -> Check:
    from importlib.metadata import PackageNotFoundError, version

    found, missing = [], []
    for name in ("httpx", "playwright", "sqlite-utils", "click", "Pillow", "selectolax"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            missing.append(name)
    if missing:
        return Check("packages", False, "missing: " + ", ".join(missing), "pip install archiver (or -e .)")
    return Check("packages", True, ", ".join(found))


async def _browser(settings: Settings) -> Check:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return Check("browser", False, "playwright is not installed", "pip install playwright")
    from .plumbing.browser import INSTALL_HINT, driver, find_browser, launch
    from .plumbing.guard_proxy import GuardProxy

    try:
        async with driver() as p, GuardProxy(settings) as guard:
            choice = find_browser(settings, p)
            browser = await launch(p, settings, guard.url)
            try:
                version = browser.version
            finally:
                await browser.close()
    except ArchiverError as e:
        return Check("browser", False, str(e), INSTALL_HINT)
    return Check("browser", True, f"Chromium {version} ({choice.source}: {choice.path or 'bundled with Playwright'})")


async def _ffprobe() -> Check:
    """ffprobe checks every video and audio file before it is kept: without it, none is."""
    from .plumbing import ffprobe

    exe = ffprobe.find_ffprobe()
    if exe is None:
        return Check("ffprobe", False, "ffprobe not found on PATH: videos cannot be checked, so none is kept", ffprobe.INSTALL_HINT)
    try:
        version = await ffprobe.version(exe)
    except ArchiverError as e:
        return Check("ffprobe", False, f"{exe}: {e}", ffprobe.INSTALL_HINT)
    return Check("ffprobe", True, f"{version} ({exe})")


def _database(settings: Settings) -> Check:
    from .plumbing.db import connect, current_version, schema_version

    path = settings.db_path
    sqlite_version = f"SQLite {sqlite3.sqlite_version}"
    if not path.exists():
        parent = path.parent if path.parent.exists() else None
        detail = f"{path} does not exist yet; the first archive run creates it ({sqlite_version})"
        if parent is not None and not _writable(parent):
            return Check("database", False, f"{parent} is not writable", "choose another --data directory")
        return Check("database", True, detail)
    try:
        conn = connect(path, readonly=True)
        try:
            version = schema_version(conn)
            missing = _missing_parts(conn) if version == current_version() else []
            posts = conn.execute("SELECT count(*) FROM posts").fetchone()[0] if version else 0
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        finally:
            conn.close()
    except (ArchiverError, sqlite3.Error) as e:
        return Check("database", False, f"{path}: {e}", "check the path and its permissions")
    target = current_version()
    if version is None:
        return Check("database", False, f"{path} is not an archiver database", "choose another --data directory")
    if version > target:
        return Check("database", False, f"schema {version} is newer than this archiver ({target})", "upgrade archiver")
    if missing:
        return Check(
            "database", False, f"{path}: schema {version} but missing {', '.join(missing)}",
            "restore the archive from a copy; archiver never drops tables, so something else did",
        )
    note = "" if version == target else f", will be upgraded to {target} on the next run"
    return Check("database", True, f"{path}: schema {version}{note}, {posts} posts, journal {mode}, {sqlite_version}")


def _blob_store(settings: Settings) -> Check:
    """A shared blob store answers: the directory is there, the bucket answers a lookup."""
    from .plumbing.blobstores import open_storage

    try:
        storage = open_storage(settings)
        try:
            if not storage.remote:
                storage.prepare()  # refuses a shared directory that is not there
            storage.size("blobs/00/" + "0" * 64 + ".bin")  # a lookup of a file no one stores
        finally:
            storage.close()
    except ArchiverError as e:
        return Check("blob store", False, str(e), "mount the directory, or check AWS_ENDPOINT_URL, the keys and the bucket")
    return Check("blob store", True, storage.url)


def _missing_parts(conn: sqlite3.Connection) -> list[str]:
    """The tables (the full-text index among them), views and triggers that schema.sql makes
    and the archive lacks: introspected with sqlite-utils, on the archive and on schema.sql
    built in memory."""
    from sqlite_utils import Database

    from .plumbing.db import executescript, schema_sql

    expected = Database(memory=True, recursive_triggers=False)
    executescript(expected.conn, schema_sql())
    found = Database(conn, recursive_triggers=False)
    tables, views = set(found.table_names()), set(found.view_names())
    fts = expected.table_names(fts5=True)
    shadow = {t for t in expected.table_names() if any(t.startswith(f"{f}_") for f in fts)}
    missing = [f"table {t}" for t in expected.table_names() if t not in tables and t not in shadow]
    missing += [f"view {v}" for v in expected.view_names() if v not in views]
    missing += [f"trigger {t}" for t in expected.triggers_dict if t not in found.triggers_dict]
    expected.close()
    return missing


def _writable(path: object) -> bool:
    import os

    return os.access(str(path), os.W_OK)

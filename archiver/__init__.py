"""archiver: keep the posts that news articles embed.

The library is the product; the command line is its skin. Every command is a function
here taking a ``Settings`` and returning a report (``archiver.api``)::

    from pathlib import Path
    import archiver

    settings = archiver.Settings(data_dir=Path("captures"))
    summary = archiver.archive(["https://example.com/article"], settings)
    print(summary.line(), summary.errors)
    for line in archiver.history(settings, "1612558357623734272").lines():
        print(line)

Errors are ``ArchiverError`` subclasses (``archiver.errors``, where the tree is drawn).
``__all__`` is the public API; everything else may change.

The map::

    api.py, cli.py      the commands: one function each; the CLI only parses and prints
    config.py           Settings: every setting and default, in one frozen object
    pipeline.py         an archive run: find → resolve → fetch → render → store
    sweeper.py          re-checking what is due (sweep_worker.py: its worker processes)
    steps/              the steps, one module each (see archiver.steps)
    platforms/          everything a platform knows, found through entry points
    plumbing/           HTTP client, safety, guard proxy, database, blobs, locks, workers
    evidence/           the log, verify, provenance, timestamps, WACZ, backup
    browse/             the Datasette plugin behind ``archiver serve``
    queries.py          reading the archive: history, what vanished
"""

from __future__ import annotations

__version__ = "0.1.0"

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import (
        Deleted,
        DeletedPost,
        History,
        NewKey,
        Provenance,
        Similar,
        Stamps,
        archive,
        backup,
        deleted,
        doctor,
        export,
        history,
        ingest,
        keygen,
        provenance,
        queue,
        serve,
        similar,
        sweep,
        timestamp,
        unwatch,
        verify,
        worker,
    )
    from .config import Endpoints, Limits, Settings, Tsa
    from .evidence.backup import BackupReport
    from .errors import (
        ArchiverError,
        BadStatus,
        BlobStoreUnreachable,
        BlockedURL,
        BrokerError,
        BrowserNotFound,
        ConfigError,
        ContentError,
        DatabaseLocked,
        DiskFull,
        ExportError,
        ExtractError,
        FetchError,
        ImageNotFound,
        ItemError,
        LockHeld,
        NetworkFailure,
        NotifyError,
        NotInArchive,
        RateLimited,
        ReadOnlyStore,
        RenderError,
        SchemaError,
        StoreError,
        TimestampError,
        TooLarge,
        TooManyHops,
    )
    from .evidence.phash import Match
    from .evidence.timestamps import Stamp
    from .evidence.verify import Problem, VerifyReport
    from .evidence.wacz import ExportSummary
    from .distributed.status import QueueStatus
    from .distributed.writer import IngestReport
    from .pipeline import Summary
    from .queries import TimelineEntry
    from .selfcheck import Check, DoctorReport
    from .steps.find import find_embeds
    from .steps.preview import Found
    from .sweeper import SweepSummary

_COMMANDS = ("archive", "backup", "find", "sweep", "unwatch", "deleted", "history", "provenance", "similar", "verify",
             "export", "keygen", "serve", "doctor", "timestamp", "worker", "ingest", "queue")
_ERRORS = ("ArchiverError", "BadStatus", "BlobStoreUnreachable", "BlockedURL", "BrokerError", "BrowserNotFound", "ConfigError", "ContentError",
           "DatabaseLocked", "DiskFull", "ExportError", "ExtractError", "FetchError", "ImageNotFound", "ItemError",
           "LockHeld", "NetworkFailure", "NotifyError", "NotInArchive", "RateLimited", "ReadOnlyStore", "RenderError",
           "SchemaError", "StoreError", "TimestampError", "TooLarge", "TooManyHops")
_WHERE: dict[str, str] = {
    **dict.fromkeys(_COMMANDS, "api"),
    **dict.fromkeys(("Deleted", "DeletedPost", "History", "NewKey", "Provenance", "Similar", "Stamps"), "api"),
    "Stamp": "evidence.timestamps",
    "Tsa": "config",
    **dict.fromkeys(("Settings", "Limits", "Endpoints"), "config"),
    **dict.fromkeys(_ERRORS, "errors"),
    "Summary": "pipeline",
    "SweepSummary": "sweeper",
    "VerifyReport": "evidence.verify",
    "BackupReport": "evidence.backup",
    "Problem": "evidence.verify",
    "ExportSummary": "evidence.wacz",
    "Match": "evidence.phash",
    "TimelineEntry": "queries",
    "DoctorReport": "selfcheck",
    "Check": "selfcheck",
    "find_embeds": "steps.find",
    "Found": "steps.preview",
    "IngestReport": "distributed.writer",
    "QueueStatus": "distributed.status",
}
"""Each public name → the module (under archiver) that defines it."""

__all__ = [
    "ArchiverError",
    "BackupReport",
    "BadStatus",
    "BlobStoreUnreachable",
    "BlockedURL",
    "BrokerError",
    "BrowserNotFound",
    "Check",
    "ConfigError",
    "ContentError",
    "DatabaseLocked",
    "Deleted",
    "DeletedPost",
    "DiskFull",
    "DoctorReport",
    "Endpoints",
    "ExportError",
    "ExportSummary",
    "ExtractError",
    "FetchError",
    "Found",
    "History",
    "ImageNotFound",
    "IngestReport",
    "ItemError",
    "Limits",
    "LockHeld",
    "Match",
    "NetworkFailure",
    "NewKey",
    "NotInArchive",
    "NotifyError",
    "Problem",
    "Provenance",
    "QueueStatus",
    "RateLimited",
    "ReadOnlyStore",
    "RenderError",
    "SchemaError",
    "Settings",
    "Similar",
    "Stamp",
    "Stamps",
    "StoreError",
    "Summary",
    "SweepSummary",
    "TimelineEntry",
    "TimestampError",
    "TooLarge",
    "TooManyHops",
    "Tsa",
    "VerifyReport",
    "__version__",
    "archive",
    "backup",
    "deleted",
    "doctor",
    "export",
    "find",
    "find_embeds",
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


def __getattr__(name: str) -> Any:
    # Lazy, so that `import archiver` and `archiver --help` import neither httpx nor
    # Playwright: a name's module is imported on first use.
    if name not in _WHERE:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    value = getattr(import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

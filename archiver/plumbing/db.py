"""Opening the archive database: WAL, busy timeout, schema and migrations.

A new database gets ``schema.sql`` whole. An older one is upgraded in place by the
files in ``migrations/`` named ``NNNN_description.sql``, each applied in its own
transaction and recorded in ``schema_migrations``, as simonw/llm does.
``0001_initial.sql`` is schema.sql as first released, kept frozen so that a test can
check that the migrations, applied in order, arrive at today's schema.sql.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import SchemaError, StoreError
from .storage_errors import BUSY_TIMEOUT, is_environmental, store_error

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def schema_sql() -> str:
    return resources.files("archiver").joinpath("schema.sql").read_text(encoding="utf-8")


def migrations(directory: Path = MIGRATIONS_DIR) -> list[tuple[int, str, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise SchemaError(f"badly named migration {path.name}: want NNNN_name.sql")
        found.append((int(match.group(1)), match.group(2), path))
    return found


def current_version(directory: Path = MIGRATIONS_DIR) -> int:
    return max((version for version, _, _ in migrations(directory)), default=0)


class ArchiveConnection(sqlite3.Connection):
    """A connection on which a full disk, a read-only file or a database another program
    holds raises a one-line ``StoreError`` (``storage_errors``), wherever the statement is."""

    archive_path: Path = Path("archive.db")

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.Error as e:
            if is_environmental(e):
                raise store_error(e, self.archive_path) from e
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.Error as e:
            if is_environmental(e):
                raise store_error(e, self.archive_path) from e
            raise


def connect(path: Path, *, readonly: bool = False, any_thread: bool = False) -> sqlite3.Connection:
    """Open (creating if needed) the database at ``path``, ready for concurrent use.

    ``any_thread``: usable from threads other than this one (the caller serialises use)."""
    try:
        if readonly:
            conn = sqlite3.connect(
                f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=BUSY_TIMEOUT,
                factory=ArchiveConnection, check_same_thread=not any_thread,
            )
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, isolation_level=None, timeout=BUSY_TIMEOUT, factory=ArchiveConnection,
                check_same_thread=not any_thread,
            )
        assert isinstance(conn, ArchiveConnection)
        conn.archive_path = path
        try:
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            if not readonly:
                # WAL lets readers (Datasette, a sweep) run beside a writer; FULL sync
                # because a committed capture row must survive a power cut.
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = FULL")
        except BaseException:
            conn.close()
            raise
    except OSError as e:
        raise store_error(e, path) from e
    except sqlite3.Error as e:
        if is_environmental(e):
            raise store_error(e, path) from e
        raise StoreError(f"cannot open database {path}: {e}") from e
    return conn


def open_db(path: Path, *, migrations_dir: Path = MIGRATIONS_DIR) -> sqlite3.Connection:
    conn = connect(path)
    try:
        migrate(conn, migrations_dir)
    except BaseException:
        conn.close()
        raise
    return conn


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The recorded version, or None for a database archiver never set up."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if not exists:
        return None
    version: int | None = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
    return version


def migrate(conn: sqlite3.Connection, migrations_dir: Path = MIGRATIONS_DIR) -> list[int]:
    """Bring the database to the current schema; return the versions applied."""
    known = migrations(migrations_dir)
    target = current_version(migrations_dir)
    applied: list[int] = []
    # IMMEDIATE: two processes opening a new archive at once must not both create it.
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = schema_version(conn)
        if version is None:
            tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
            if tables:
                raise SchemaError("this database was not made by archiver (no schema_migrations table)")
            executescript(conn, schema_sql())
            now = utcnow()
            conn.executemany(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [(v, name, now) for v, name, _ in known],
            )
            applied.append(target)
        elif version > target:
            raise SchemaError(
                f"the archive's schema is version {version}, newer than this archiver knows ({target}): upgrade archiver"
            )
        else:
            for v, name, path in known:
                if v <= version:
                    continue
                executescript(conn, path.read_text(encoding="utf-8"))
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (v, name, utcnow()),
                )
                applied.append(v)
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may have rolled back already (a full disk, say): nothing then to undo.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return applied


def executescript(conn: sqlite3.Connection, script: str) -> None:
    # sqlite3.executescript() commits first; run statement by statement instead so a
    # migration and its record land in one transaction.
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip() and not statement.strip().startswith("--"):
        conn.execute(statement)

import sqlite3
from pathlib import Path

import pytest

from archiver.plumbing import db
from archiver.errors import SchemaError


def tables(conn: sqlite3.Connection) -> dict[str, str]:
    return {
        row["name"]: row["sql"]
        for row in conn.execute("SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index') AND sql IS NOT NULL")
    }


def test_new_database_gets_schema_wal_and_version(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "archive.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.schema_version(conn) == db.current_version()
    assert {"articles", "posts", "article_posts", "links", "runs", "exchanges", "captures", "blobs"} <= set(tables(conn))
    # opening again applies nothing
    assert db.migrate(conn) == []


def test_issue_columns_exist(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "archive.db")
    want = {
        "articles": {"id", "url", "final_url", "title", "http_status", "first_archived_at", "last_fetched_at"},
        "posts": {"id", "platform", "native_id", "url", "author_handle", "author_name", "text", "created_at",
                  "status", "first_archived_at", "last_checked_at"},
        "article_posts": {"article_id", "post_id", "link", "form", "embed_text"},
        "links": {"url", "final_url", "hops", "resolved_at"},
        "runs": {"id", "command", "started_at", "finished_at", "archiver_version", "browser_version", "user_agent"},
        "exchanges": {"run_id", "url", "method", "status", "headers", "started_at", "sha256", "bytes"},
        "captures": {"id", "run_id", "post_id", "article_id", "kind", "captured_at", "sha256", "path", "mime",
                     "bytes", "width", "height", "source_url"},
    }
    for table, columns in want.items():
        have = {row["name"] for row in conn.execute(f"PRAGMA table_info({table})")}
        assert columns <= have, (table, columns - have)


def make_version_1_archive(path: Path) -> None:
    """An archive as the first release made it: 0001_initial.sql, recorded as version 1."""
    conn = db.connect(path)
    db.executescript(conn, (db.MIGRATIONS_DIR / "0001_initial.sql").read_text())
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'initial', '2026-11-01T00:00:00Z')")
    conn.execute(
        "INSERT INTO runs (command, started_at, archiver_version) VALUES ('archive', '2023-01-10T00:00:00Z', '0.0.1')"
    )
    conn.close()


def test_older_archive_is_upgraded_in_place(tmp_path: Path) -> None:
    make_version_1_archive(tmp_path / "archive.db")
    conn = db.open_db(tmp_path / "archive.db")
    assert db.schema_version(conn) == db.current_version() >= 2
    assert conn.execute("SELECT command FROM runs").fetchone()[0] == "archive"
    recorded = [tuple(r) for r in conn.execute("SELECT version, name FROM schema_migrations ORDER BY version")]
    assert recorded[:2] == [(1, "initial"), (2, "sweeps")]
    assert "next_check_at" in {row["name"] for row in conn.execute("PRAGMA table_info(posts)")}
    assert _columns(conn) == _columns(db.open_db(tmp_path / "fresh.db"))


def test_failed_migration_changes_nothing(tmp_path: Path) -> None:
    make_version_1_archive(tmp_path / "archive.db")
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_initial.sql").write_text((db.MIGRATIONS_DIR / "0001_initial.sql").read_text())
    (migrations / "0002_broken.sql").write_text("ALTER TABLE runs ADD COLUMN note TEXT;\nNOT SQL;\n")
    with pytest.raises(sqlite3.OperationalError):
        db.open_db(tmp_path / "archive.db", migrations_dir=migrations)
    conn = db.connect(tmp_path / "archive.db")
    assert db.schema_version(conn) == 1
    assert "note" not in {row["name"] for row in conn.execute("PRAGMA table_info(runs)")}


def test_newer_archive_is_refused(tmp_path: Path) -> None:
    conn = db.open_db(tmp_path / "archive.db")
    conn.execute("INSERT INTO schema_migrations VALUES (99, 'future', '2030-01-01T00:00:00Z')")
    conn.close()
    with pytest.raises(SchemaError, match="newer"):
        db.open_db(tmp_path / "archive.db")


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "other.db")
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaError, match="not made by archiver"):
        db.open_db(tmp_path / "other.db")


def test_migrations_in_order_arrive_at_schema_sql(tmp_path: Path) -> None:
    fresh = db.open_db(tmp_path / "fresh.db")
    stepwise = db.connect(tmp_path / "stepwise.db")
    for _, _, path in db.migrations():
        db.executescript(stepwise, path.read_text())
    assert _columns(stepwise) == _columns(fresh)


def _columns(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str, int, object]]]:
    return {
        name: [(r["name"], r["type"], r["notnull"], r["dflt_value"]) for r in conn.execute(f"PRAGMA table_info({name})")]
        for name in tables(conn)
        if not name.startswith("sqlite_")
    }

"""`verify` on real archives: a pristine copy holds; each kind of tampering is caught and named.

Every test tampers with a COPY of an archive made by the real pipeline.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.plumbing import db
from archiver.cli import cli
from archiver.config import Settings
from archiver.evidence.verify import VerifyReport, verify
from archiver.pipeline import archive
from tests.fakeplatform import sample as S

pytestmark = pytest.mark.usefixtures("fake_world")

_made: dict[str, Path] = {}


@pytest.fixture
def copy(settings: Settings, tmp_path: Path) -> Settings:
    """A copy of one archive of a post (data, card, photo, provenance), made once per session."""
    if "archive" not in _made:
        summary = archive([f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"], settings)
        assert summary.ok, summary.errors
        _made["archive"] = settings.data_dir
    target = tmp_path / "copy"
    shutil.copytree(_made["archive"], target)
    return Settings(data_dir=target)


def sql(settings: Settings, statement: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(statement, params).fetchall()
    finally:
        conn.close()
    return rows


def capture(settings: Settings, kind: str) -> sqlite3.Row:
    return sql(settings, "SELECT * FROM captures WHERE kind = ? ORDER BY id LIMIT 1", kind)[0]


def entry_of(settings: Settings, table: str, ref_id: int) -> int:
    return int(sql(settings, "SELECT seq FROM log WHERE ref_table = ? AND ref_id = ?", table, ref_id)[0]["seq"])


def chained_rows(settings: Settings) -> int:
    """Rows of every table the log covers."""
    tables = ("captures", "status_checks", "posts", "articles", "article_posts", "events", "blobs")
    return int(sql(settings, "SELECT " + " + ".join(f"(SELECT count(*) FROM {t})" for t in tables) + " AS n")[0]["n"])


def kinds(report: VerifyReport) -> list[str]:
    return [p.kind for p in report.problems]


def test_pristine_archive_holds(copy: Settings) -> None:
    report = verify(copy)
    assert report.ok, [p.line() for p in report.problems]
    # one entry per row; posts, articles and citations one more per change
    assert report.entries >= chained_rows(copy) >= 5
    assert report.entries == sql(copy, "SELECT count(*) AS n FROM log")[0]["n"]
    assert report.files == sql(copy, "SELECT count(*) AS n FROM blobs")[0]["n"]
    assert report.late == 0
    result = CliRunner().invoke(cli, ["--data", str(copy.data_dir), "verify"])
    assert result.exit_code == 0, result.output
    assert "all hold" in result.output


def test_flipped_byte_is_changed(copy: Settings) -> None:
    photo = capture(copy, "photo")
    path = copy.data_dir / photo["path"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify(copy)
    assert kinds(report) == ["changed"]
    assert report.problems[0].where == photo["path"]
    result = CliRunner().invoke(cli, ["--data", str(copy.data_dir), "verify"])
    assert result.exit_code == 1
    assert f"changed: {photo['path']}" in result.output


def test_deleted_file_is_missing(copy: Settings) -> None:
    shot = capture(copy, "screenshot")
    (copy.data_dir / shot["path"]).unlink()
    report = verify(copy)
    assert [(p.kind, p.where) for p in report.problems] == [("missing", shot["path"])]


def test_stray_file_is_unreferenced_and_young_tmp_ignored(copy: Settings) -> None:
    stray = copy.data_dir / "blobs" / "ab" / "cd" / ("ab" + "0" * 62 + ".png")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"not archived by archiver")
    (copy.data_dir / "blobs" / "tmp" / ".tmp-young").write_bytes(b"being written")
    report = verify(copy)
    assert [(p.kind, p.where) for p in report.problems] == [("unreferenced", stray.relative_to(copy.data_dir).as_posix())]


def test_edited_row_names_its_entry(copy: Settings) -> None:
    photo = capture(copy, "photo")
    sql(copy, "UPDATE captures SET source_url = 'https://example.com/other.jpg' WHERE id = ?", photo["id"])
    report = verify(copy)
    seq = entry_of(copy, "captures", photo["id"])
    assert kinds(report) == ["row_changed"]
    assert report.problems[0].where == f"log entry #{seq} (captures row {photo['id']})"
    assert report.first_broken == seq
    result = CliRunner().invoke(cli, ["--data", str(copy.data_dir), "verify"])
    assert result.exit_code == 1
    assert f"first broken log entry: #{seq}" in result.output


def test_edited_verdict_is_caught(copy: Settings) -> None:
    check = sql(copy, "SELECT * FROM status_checks ORDER BY id LIMIT 1")[0]
    sql(copy, "UPDATE status_checks SET status = 'deleted' WHERE id = ?", check["id"])
    report = verify(copy)
    assert kinds(report) == ["row_changed"]
    assert report.first_broken == entry_of(copy, "status_checks", check["id"])


def test_deleted_row_is_caught(copy: Settings) -> None:
    shot = capture(copy, "screenshot")
    seq = entry_of(copy, "captures", shot["id"])
    sql(copy, "DELETE FROM captures WHERE id = ?", shot["id"])
    report = verify(copy)
    assert kinds(report) == ["row_deleted"]
    assert report.first_broken == seq


def test_swapped_rows_are_caught(copy: Settings) -> None:
    a, b = capture(copy, "screenshot"), capture(copy, "photo")
    columns = [c for c in a.keys() if c != "id"]  # noqa: SIM118 - iterating a Row gives values
    for row, other in ((a, b), (b, a)):
        sql(copy, f"UPDATE captures SET {', '.join(f'{c} = ?' for c in columns)} WHERE id = ?",
            *[other[c] for c in columns], row["id"])
    report = verify(copy)
    assert sorted(kinds(report)) == ["row_changed", "row_changed"]
    assert report.first_broken == min(entry_of(copy, "captures", a["id"]), entry_of(copy, "captures", b["id"]))


def test_reordered_log_entries_are_caught(copy: Settings) -> None:
    sql(copy, "UPDATE log SET seq = -2 WHERE seq = 2")
    sql(copy, "UPDATE log SET seq = 2 WHERE seq = 3")
    sql(copy, "UPDATE log SET seq = 3 WHERE seq = -2")
    report = verify(copy)
    assert "chain_broken" in kinds(report)
    assert report.first_broken == 2


def test_deleted_log_entry_and_forged_row_are_caught(copy: Settings) -> None:
    sql(copy, "DELETE FROM log WHERE seq = 2")
    post_id = sql(copy, "SELECT id FROM posts LIMIT 1")[0]["id"]
    sql(copy, "INSERT INTO status_checks (post_id, run_id, checked_at, status, signals) VALUES (?, 1, '2030-01-01T00:00:00Z', 'deleted', '{}')", post_id)
    report = verify(copy)
    assert report.first_broken == 3
    assert {"chain_broken", "row_unlogged"} <= set(kinds(report))
    assert any(p.kind == "row_unlogged" and p.where.startswith("status_checks row") for p in report.problems)


def test_rows_from_before_the_log_are_chained_late_not_called_tampering(copy: Settings) -> None:
    # Make the copy look like an archive from before schema version 4: no log, no evidence tables.
    conn = db.connect(copy.db_path)
    for table in ("log", "log_late", "signing_keys", "image_hashes", "timestamps", "wayback", "seen_embeds",
                  "embed_regions"):  # embed_regions: version 13's (0013_embed_regions)
        conn.execute(f"DROP TABLE {table}")
    for column in ("duration", "checked_as"):  # added by version 6 (0006_media), which upgrading adds again
        conn.execute(f"ALTER TABLE captures DROP COLUMN {column}")
    conn.execute("ALTER TABLE articles DROP COLUMN citations_at")  # added by version 8 (0008_citations_at)
    conn.execute("ALTER TABLE runs DROP COLUMN tools")  # added by version 12 (0012_run_tools)
    conn.execute("ALTER TABLE posts DROP COLUMN reply_to_post_id")  # added by version 14 (0014_replies)
    for table in ("queue_results", "queue_runs"):  # added by version 15 (0015_queue)
        conn.execute(f"DROP TABLE {table}")
    for table in ("exchanges", "captures", "status_checks"):  # added by version 16 (0016_logged_in)
        conn.execute(f"ALTER TABLE {table} DROP COLUMN logged_in")
    conn.execute("DELETE FROM schema_migrations WHERE version >= 4")
    conn.close()
    rows = chained_rows(copy)
    report = verify(copy)  # migrates, then chains the old rows
    assert report.ok, [p.line() for p in report.problems]
    assert report.late == report.entries == rows
    assert any("chained late" in note for note in report.notes)
    # A row added behind archiver's back after that is not blessed as late.
    sql(copy, "INSERT INTO status_checks (post_id, run_id, checked_at, status, signals) SELECT post_id, run_id, checked_at, 'deleted', signals FROM status_checks LIMIT 1")
    assert kinds(verify(copy)) == ["row_unlogged"]

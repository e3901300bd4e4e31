"""`archiver backup DEST`: a consistent copy of a live archive, which `verify` accepts."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner

from archiver import BackupReport, backup
from archiver.cli import cli
from archiver.config import Settings
from archiver.evidence.verify import verify
from archiver.pipeline import archive
from tests.conftest import open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.processes import kill_tree
from tests.test_concurrency import CARD_HOST, GIVE_UP_AFTER, cli_output, requests_for, start_cli, urls, wait_for


def assert_whole_copy(copy: Settings) -> None:
    """Every row of the copy names a file there with its SHA-256, and verify finds nothing wrong."""
    db = open_archive(copy)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT path, sha256, bytes FROM blobs").fetchall()
    named = db.execute(
        "SELECT count(*) FROM captures WHERE path NOT IN (SELECT path FROM blobs)"
    ).fetchone()[0]
    db.close()
    assert rows and named == 0
    for row in rows:
        data = (copy.data_dir / row["path"]).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (row["sha256"], row["bytes"]), row["path"]
    report = verify(copy)
    assert report.ok, [p.line() for p in report.problems]


def test_backup_of_a_live_archive_is_whole_and_verify_accepts_it(
    settings: Settings, fake_platform: FakePlatform, fake_world: World, chromium_home: Path, tmp_path: Path
) -> None:
    first = archive([S.JULIACA_URL], settings)
    assert first.ok, first.errors
    _, ids = S.add_bench_article(fake_world, 4)
    fake_platform.world = fake_world
    gate = f"backup-{time.monotonic_ns()}"
    fake_world.faults[(CARD_HOST, f"id={ids[0]}")] = [f"gate:{gate}"]
    # A run is under way, writing, when the backup is taken: held at one post's card.
    run = start_cli(settings, fake_platform, chromium_home, tmp_path, "archive", *urls(ids))
    dest = tmp_path / "backup"
    try:
        wait_for(lambda: requests_for(fake_platform, CARD_HOST, ids[0]) >= 1 or run.poll() is not None, "the run's card")
        assert run.poll() is None, cli_output(tmp_path)
        report = backup(settings, dest)
        fake_platform.open_gate(gate)
        assert run.wait(GIVE_UP_AFTER) == 0, cli_output(tmp_path)
    finally:
        fake_platform.open_gate(gate)
        if run.poll() is None:
            kill_tree(run)
    assert isinstance(report, BackupReport)
    assert report.ok, report.problems
    assert report.copied == report.files > 0 and report.already == 0
    copy = replace(settings, data_dir=dest)
    db = open_archive(copy)
    # The copy holds the run as it was at that moment: started, not finished.
    unfinished = db.execute("SELECT count(*) FROM runs WHERE finished_at IS NULL").fetchone()[0]
    held = db.execute("SELECT count(*) FROM posts WHERE native_id = ?", (str(ids[0]),)).fetchone()[0]
    head = db.execute("SELECT seq FROM log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    db.close()
    assert (unfinished, held) == (1, 0)
    assert report.log_head is not None and report.log_head["seq"] == head
    assert_whole_copy(copy)

    # Again, once the run is done: only the new files are copied, and the copy is whole again.
    again = backup(settings, dest)
    assert again.ok, again.problems
    assert again.already == report.files and again.copied == again.files - report.files > 0
    assert_whole_copy(copy)
    source, copied = open_archive(settings), open_archive(copy)
    for table in ("posts", "captures", "blobs", "log"):
        assert copied.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == source.execute(
            f"SELECT count(*) FROM {table}"
        ).fetchone()[0], table


def test_backup_names_a_missing_file_and_copies_the_rest(settings: Settings, tmp_path: Path) -> None:
    summary = archive([f"https://x.com/AndesObserver/status/{S.DELETED_ID}"], settings)
    assert summary.ok, summary.errors
    db = open_archive(settings)
    gone = db.execute("SELECT path FROM blobs ORDER BY path LIMIT 1").fetchone()["path"]
    total = db.execute("SELECT count(*) FROM blobs").fetchone()[0]
    db.close()
    (settings.data_dir / gone).unlink()
    dest = tmp_path / "backup"
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "backup", str(dest)])
    assert result.exit_code == 1, result.output
    assert f"missing: {gone}" in result.output
    assert f"{total} files ({total - 1} copied" in result.output
    # The copy holds the archive as it is, its gap included: verify names the same file.
    report = verify(replace(settings, data_dir=dest))
    assert [(p.kind, p.where) for p in report.problems] == [("missing", gone)]


def test_backup_refuses_the_data_directory_itself(settings: Settings) -> None:
    archive([f"https://x.com/AndesObserver/status/{S.DELETED_ID}"], settings)
    for dest in (settings.data_dir, settings.data_dir / "inside"):
        result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "backup", str(dest)])
        assert result.exit_code == 1
        assert result.output.count("\n") == 1 and "is the data directory or inside it" in result.output, result.output
        assert "Traceback" not in result.output
    assert not (settings.data_dir / "inside").exists()
    assert sqlite3.connect(settings.db_path).execute("SELECT count(*) FROM posts").fetchone()[0] == 1

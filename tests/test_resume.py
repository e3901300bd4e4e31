"""A run killed at any moment (kill -9) leaves no row pointing at a missing or partial
file, and the next run completes the work.

The archiver CLI runs as a real subprocess against the fake platform (proxy and CA from
the environment). The test polls the database, read-only, until the run has got as far
as the scenario wants, then SIGKILLs the whole process tree: Python, Playwright's driver
and Chromium. Then it checks the data directory and runs again.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.evidence.verify import verify
from archiver.pipeline import archive
from archiver import sweep
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.processes import cmdline, descendants, kill_tree, running
from tests.synthetic import write_archived_posts

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]
GIVE_UP_AFTER = 180.0
"""Seconds to wait for a scenario's kill point: generous, this is no speed test."""


def count(db_path: Path, sql: str) -> int | None:
    """A read-only look at the live database; None while it cannot be read yet."""
    if not db_path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            return int(conn.execute(sql).fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return None


# --------------------------------------------------------------------------- checks


def assert_sound(settings: Settings) -> None:
    """No row points at a missing, partial or temporary file; the database is whole."""
    db = open_archive(settings)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert_files_intact(settings)
    # Every blob row too, not only those a capture or exchange names.
    import hashlib

    for row in db.execute("SELECT path, sha256, bytes FROM blobs"):
        data = (settings.data_dir / row["path"]).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (row["sha256"], row["bytes"]), row["path"]
    for table in ("captures", "blobs"):
        assert db.execute(f"SELECT count(*) FROM {table} WHERE path LIKE '%tmp%'").fetchone()[0] == 0
    # A post's rows are written together: a post that exists has all its captures.
    for post in db.execute("SELECT id, url, capture_complete FROM posts"):
        kinds = {r["kind"] for r in db.execute("SELECT kind FROM captures WHERE post_id = ?", (post["id"],))}
        assert post["capture_complete"] == 1, post["url"]
        assert {"data", "screenshot", "photo"} <= kinds, (post["url"], kinds)


def assert_all_archived(settings: Settings, ids: list[int]) -> None:
    db = open_archive(settings)
    for pid in ids:
        post = db.execute("SELECT * FROM posts WHERE native_id = ?", (str(pid),)).fetchone()
        assert post is not None, pid
        assert (post["status"], post["capture_complete"]) == ("live", 1), pid
        kinds = [r["kind"] for r in db.execute("SELECT kind FROM captures WHERE post_id = ?", (post["id"],))]
        assert "screenshot" in kinds and "photo" in kinds, (pid, kinds)
    assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == len(ids)


# --------------------------------------------------------------------------- the scenarios


SCENARIOS = {
    # name: (targets, n posts, SQL whose count must reach the threshold, threshold)
    # Right after the article's HTML is stored, while Chromium renders the page.
    "article-html-stored": ("article", 6, "SELECT count(*) FROM captures", 1),
    # While Chromium fetches the first card, before any post is stored.
    "first-card-rendering": ("posts", 6, "SELECT count(*) FROM exchanges WHERE client = 'browser'", 1),
    # With half the posts stored and the others in flight.
    "half-the-posts-stored": ("posts", 6, "SELECT count(*) FROM posts", 3),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_killed_run_leaves_a_sound_archive_and_the_next_run_completes(
    settings: Settings,
    fake_platform: FakePlatform,
    fake_world: World,
    chromium_home: Path,
    tmp_path: Path,
    scenario: str,
) -> None:
    mode, n, sql, threshold = SCENARIOS[scenario]
    article_url, ids = S.add_bench_article(fake_world, n)
    fake_platform.world = fake_world  # prime the new posts' tokens
    fake_platform.latency = 0.05
    if mode == "article":
        targets = [article_url]
        cli_args = targets
    else:
        # Posts given directly render one card each, so they are stored one by one;
        # two at a time spreads them over several seconds.
        targets = [f"https://x.com/AndesObserver/status/{pid}" for pid in ids]
        url_file = tmp_path / "urls.txt"
        url_file.write_text("\n".join(targets) + "\n")
        cli_args = ["-c", "2", "-i", str(url_file)]
    db_path = settings.db_path
    log = (tmp_path / "stdout").open("wb"), (tmp_path / "stderr").open("wb")
    process = subprocess.Popen(
        [*CLI, "--data", str(settings.data_dir), "archive", *cli_args],
        env=fake_platform.env(home=chromium_home),
        stdout=log[0],
        stderr=log[1],
        start_new_session=True,
    )
    try:
        give_up = time.monotonic() + GIVE_UP_AFTER
        reached = False
        while time.monotonic() < give_up and process.poll() is None:
            got = count(db_path, sql)
            if got is not None and got >= threshold:
                reached = True
                break
            time.sleep(0.02)
    finally:
        kill_tree(process)
        for f in log:
            f.close()
    stderr = (tmp_path / "stderr").read_text(errors="replace")
    assert reached, f"the run never reached its kill point (exit {process.returncode}): {stderr[-2000:]}"
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"

    # Killed: nothing points at a missing or partial file, and the database is whole.
    assert_sound(settings)
    before = open_archive(settings)
    done_before = before.execute("SELECT count(*) FROM posts WHERE capture_complete = 1").fetchone()[0]
    killed_run = before.execute("SELECT finished_at FROM runs ORDER BY id LIMIT 1").fetchone()
    assert killed_run is not None and killed_run["finished_at"] is None
    before.close()
    if scenario == "half-the-posts-stored":
        assert done_before >= threshold
    assert done_before < n, "every post was stored before the kill"

    # The next run completes the work, reusing what the killed one stored.
    fake_platform.latency = 0.0
    summary = archive(targets, settings)
    assert summary.ok, summary.errors
    assert summary.posts_reused == done_before
    assert summary.posts_captured == n - done_before
    assert_all_archived(settings, ids)
    assert_sound(settings)
    if mode == "article":
        db = open_archive(settings)
        article = db.execute("SELECT id FROM articles WHERE url = ?", (article_url,)).fetchone()
        linked = db.execute("SELECT count(*) FROM article_posts WHERE article_id = ?", (article["id"],)).fetchone()[0]
        assert linked == n
        kinds = {r["kind"] for r in db.execute("SELECT kind FROM captures WHERE article_id = ?", (article["id"],))}
        assert kinds == {"html", "page_screenshot"}


@pytest.mark.parametrize("kill", ["the-process-group", "the-sweep-alone"])
def test_killed_sweep_leaves_a_sound_archive_and_the_next_sweep_finishes(
    settings: Settings, fake_platform: FakePlatform, fake_world: World, tmp_path: Path, kill: str
) -> None:
    n = 800
    ids = S.add_sweep_posts(fake_world, n)
    fake_platform.world = fake_world  # prime the new posts' tokens
    fake_platform.latency = 0.05
    write_archived_posts(settings.data_dir, fake_world, ids)
    log = (tmp_path / "stderr").open("wb")
    process = subprocess.Popen(
        [*CLI, "--data", str(settings.data_dir), "sweep", "--all", "-c", "4", "--workers", "2"],
        env=fake_platform.env(),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        # Kill once a first batch of checks is committed (its answers' files synced with it)
        # and others are in flight.
        give_up = time.monotonic() + GIVE_UP_AFTER
        workers: dict[int, str | None] = {}
        while time.monotonic() < give_up and process.poll() is None:
            got = count(settings.db_path, "SELECT count(*) FROM status_checks")
            workers = {pid: t for pid, t in descendants(process.pid).items() if "sweep_worker" in cmdline(pid)}
            if got and workers:
                break
            time.sleep(0.02)
        if kill == "the-sweep-alone":
            # Its worker processes must end with it, or they would go on writing without the lock.
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            for _ in range(100):
                alive = {pid for pid, started in workers.items() if running(pid, started)}
                if not alive:
                    break
                time.sleep(0.05)
            assert not alive, f"worker processes outlived the sweep: {alive}"
    finally:
        kill_tree(process)
        log.close()
    stderr = (tmp_path / "stderr").read_text(errors="replace")
    assert process.returncode == -signal.SIGKILL, f"the sweep ended before it could be killed: {stderr[-2000:]}"
    assert workers, "the sweep started no worker process"

    db = open_archive(settings)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert assert_files_intact(settings) > 0
    assert db.execute("SELECT count(*) FROM exchanges WHERE sha256 NOT IN (SELECT sha256 FROM blobs)").fetchone()[0] == 0
    checked = db.execute("SELECT count(DISTINCT post_id) FROM status_checks").fetchone()[0]
    assert 0 < checked < n
    db.close()

    # What the killed sweep did not commit is still due; the next sweep checks just that.
    fake_platform.latency = 0.0
    summary = sweep(settings)
    assert summary.ok, summary.errors
    assert summary.posts_checked == n - checked
    db = open_archive(settings)
    assert db.execute("SELECT count(DISTINCT post_id) FROM status_checks").fetchone()[0] == n
    db.close()
    assert_files_intact(settings)
    report = verify(settings)
    assert report.ok, report.problems


# --------------------------------------------------------------------------- temp files


def test_stale_temp_files_are_never_referenced_and_old_ones_are_cleaned(settings: Settings, fake_world: World) -> None:
    tmp_dir = settings.data_dir / "blobs" / "tmp"
    tmp_dir.mkdir(parents=True)
    old = tmp_dir / ".tmp-killed-long-ago"
    young = tmp_dir / ".tmp-another-run-writing"
    # A half-written file left by a killed run, with the start of a real capture's bytes.
    old.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    young.write_bytes(b"partial")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    summary = archive([f"https://x.com/AndesObserver/status/{S.DELETED_ID}"], settings)
    assert summary.ok, summary.errors
    assert not old.exists()
    assert young.exists()  # it may be another live run's: only old leftovers go
    db = open_archive(settings)
    for table in ("captures", "blobs"):
        paths = [r[0] for r in db.execute(f"SELECT path FROM {table}")]
        assert paths, table
        assert not any(p.startswith("blobs/tmp") or "/.tmp-" in p for p in paths), paths
    assert_files_intact(settings)

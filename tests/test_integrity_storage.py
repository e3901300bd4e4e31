"""Files and rows commit together, one file per hash, and a full, read-only or locked
archive gives one clear line.

Full disks and read-only directories are real: a small tmpfs mounted for the test
(filled with a filler file, or remounted read-only). Mounting needs root (or
CAP_SYS_ADMIN); without it those tests are skipped, saying why.
"""

from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.evidence.verify import verify
from archiver.pipeline import archive
from archiver.steps.store import Store
from tests.conftest import fake_settings, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import Page
from tests.processes import kill_tree
from tests.synthetic import write_archived_posts

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]
GIVE_UP_AFTER = 180.0


class SmallDisk:
    """A tmpfs of ``size`` mounted at ``path``: filled, freed, made read-only at will."""

    def __init__(self, path: Path, size: str) -> None:
        self.path = path
        self.filler = path / "filler"
        path.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs to test a full or read-only disk: {done.stderr.decode().strip()}")

    def fill(self) -> None:
        """Take every free byte, as another program filling the disk would."""
        with open(self.filler, "ab", buffering=0) as f:
            for chunk in (1 << 20, 4096, 1):
                block = b"\0" * chunk
                while True:
                    try:
                        f.write(block)
                    except OSError as e:
                        assert e.errno == errno.ENOSPC, e
                        break

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True, capture_output=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    disk = SmallDisk(tmp_path / "disk", "256m")
    try:
        yield disk
    finally:
        disk.unmount()


def one_line_error(stderr: str) -> str:
    """The error archiver printed: exactly one line of its own, never a traceback."""
    assert "Traceback" not in stderr, stderr
    assert "exception was never retrieved" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, stderr
    return errors[0]


def problems(settings: Settings) -> list[str]:
    return [p.line() for p in verify(Settings(data_dir=settings.data_dir)).problems]


def run_cli(args: list[str], env: dict[str, str], timeout: float = GIVE_UP_AFTER) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


# --------------------------------------------------------------------------- one file per hash


def test_the_same_bytes_under_three_content_types_are_one_file(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    url = f"{S.NEWS}/2023/02/plain-words"
    text = "<p>The same words, whatever the server calls them.</p>"
    sha = hashlib.sha256(text.encode()).hexdigest()
    for content_type in ("text/html; charset=utf-8", "text/plain; charset=utf-8", "application/octet-stream"):
        fake_world.add_page(url, Page.html(text, content_type=content_type))
        fake_platform.world = fake_world
        archive([url], settings)
    files = [p for p in (settings.data_dir / "blobs").rglob(f"{sha}*") if p.is_file()]
    assert len(files) == 1, files
    db = open_archive(settings)
    stored = db.execute("SELECT path FROM blobs WHERE sha256 = ?", (sha,)).fetchone()["path"]
    assert (settings.data_dir / stored) == files[0]
    captures = db.execute("SELECT path FROM captures WHERE sha256 = ?", (sha,)).fetchall()
    assert len(captures) == 2  # the octet-stream answer is not an article, only an exchange
    assert {c["path"] for c in captures} == {stored}
    assert problems(settings) == []


# --------------------------------------------------------------------------- a failed transaction


CRASH_AFTER_FULL_DISK = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from archiver.config import Settings
    from archiver.steps.store import CaptureFile, Store

    data, filler = Path(sys.argv[1]), Path(sys.argv[2])
    store = Store(Settings(data_dir=data))
    run_id = store.start_run("archive")
    blob = store.blobs.put(b"\\x89PNG a card that was never recorded", "image/png")
    thumb = store.blobs.put(b"\\xff\\xd8 its thumbnail", "image/jpeg")
    with open(filler, "ab", buffering=0) as f:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    f.write(b"\\0" * size)
            except OSError:
                pass
    try:
        store.save_post(run_id, platform="twitter", native_id="1", url="https://x.com/a/status/1", status="live",
                        signals={}, complete=True, captures=[CaptureFile("screenshot", blob, "image/png")])
    except Exception as e:
        print(type(e).__name__, e, flush=True)
    os._exit(3)  # as a run dies: no cleanup
    """
)


def test_a_file_placed_before_a_failed_transaction_is_recorded_by_the_next_run(
    small_disk: SmallDisk, tmp_path: Path
) -> None:
    data = small_disk.path / "captures"
    done = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_FULL_DISK, str(data), str(small_disk.filler)],
        capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert done.stdout.startswith("DiskFull disk full: "), done.stdout
    small_disk.free()
    Store(Settings(data_dir=data)).close()
    assert problems(Settings(data_dir=data)) == []


def test_disk_full_mid_archive_is_one_line_and_the_next_run_leaves_verify_clean(
    small_disk: SmallDisk, settings: Settings, fake_platform: FakePlatform, chromium_home: Path
) -> None:
    settings = fake_settings(fake_platform, small_disk.path / "captures")
    env = fake_platform.env(home=chromium_home)
    process = subprocess.Popen(
        [*CLI, "--data", str(settings.data_dir), "archive", S.JULIACA_URL],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        # Fill the disk once the article is recorded and its posts are under way.
        give_up = time.monotonic() + GIVE_UP_AFTER
        while time.monotonic() < give_up and process.poll() is None:
            try:
                conn = sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True, timeout=1)
                got = conn.execute("SELECT count(*) FROM captures").fetchone()[0]
                conn.close()
            except sqlite3.Error:
                got = 0
            if got >= 1:
                small_disk.fill()
                break
            time.sleep(0.01)
        out, err = process.communicate(timeout=GIVE_UP_AFTER)
    finally:
        kill_tree(process)
    assert process.returncode == 1, err
    assert "disk full" in one_line_error(err), err

    small_disk.free()
    # Files the run placed before its transactions failed are pending, not unreferenced.
    assert problems(settings) == []
    summary = archive([S.JULIACA_URL], settings)
    assert summary.ok, summary.errors
    assert problems(settings) == []
    assert list((settings.data_dir / "journals").iterdir()) == []
    db = open_archive(settings)
    assert db.execute("SELECT count(*) FROM events WHERE kind = 'embed_added'").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM article_posts").fetchone()[0] == len(S.JULIACA_IDS)


def test_an_article_whose_citations_were_never_recorded_adds_no_embeds(
    settings: Settings, fake_world: World
) -> None:
    # A run that died (disk full, kill) after recording the article, before its citations.
    store = Store(settings)
    run_id = store.start_run("archive")
    store.save_article(run_id, S.JULIACA_URL, final_url=S.JULIACA_URL, title=None, http_status=200,
                       content_type="text/html", captures=[])
    store.close()
    summary = archive([S.JULIACA_URL], settings)
    assert summary.ok, summary.errors
    db = open_archive(settings)
    assert db.execute("SELECT kind FROM events").fetchall() == []
    assert db.execute("SELECT count(*) FROM article_posts WHERE removed_at IS NULL").fetchone()[0] == len(S.JULIACA_IDS)


def test_sweep_on_a_full_disk_is_one_line_and_the_next_sweep_leaves_verify_clean(
    small_disk: SmallDisk, settings: Settings, fake_platform: FakePlatform, fake_world: World
) -> None:
    settings = fake_settings(fake_platform, small_disk.path / "captures")
    ids = S.add_sweep_posts(fake_world, 50)
    fake_platform.world = fake_world
    write_archived_posts(settings.data_dir, fake_world, ids)
    small_disk.fill()
    done = run_cli(["--data", str(settings.data_dir), "sweep", "--all", "--workers", "1"], fake_platform.env())
    assert done.returncode == 1, done.stderr
    assert "disk full" in one_line_error(done.stderr)
    small_disk.free()
    done = run_cli(["--data", str(settings.data_dir), "sweep", "--all"], fake_platform.env())
    assert done.returncode == 0, done.stderr
    assert problems(settings) == []
    db = open_archive(settings)
    assert db.execute("SELECT count(DISTINCT post_id) FROM status_checks").fetchone()[0] == len(ids)


# --------------------------------------------------------------------------- read-only, locked


def test_a_read_only_data_directory_is_one_line(
    small_disk: SmallDisk, fake_platform: FakePlatform, fake_world: World
) -> None:
    data = small_disk.path / "captures"
    Store(Settings(data_dir=data)).close()
    small_disk.remount("ro")
    env = fake_platform.env()
    for command in (["archive", S.JULIACA_URL], ["sweep", "--all"]):
        done = run_cli(["--data", str(data), *command], env)
        assert done.returncode == 1, done.stderr
        assert "read-only" in one_line_error(done.stderr), done.stderr
    small_disk.remount("rw")
    assert problems(Settings(data_dir=data)) == []


def test_a_database_another_program_holds_is_one_line(tmp_path: Path, fake_platform: FakePlatform) -> None:
    data = tmp_path / "captures"
    Store(Settings(data_dir=data)).close()
    holder = sqlite3.connect(data / "archive.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO runs (command, started_at, archiver_version) VALUES ('other', 'now', 'x')")
    try:
        env = fake_platform.env()
        # Both wait out the busy timeout at once.
        running = [
            subprocess.Popen([*CLI, "--data", str(data), *command], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for command in (["archive", S.JULIACA_URL], ["sweep", "--all"])
        ]
        for process in running:
            _, err = process.communicate(timeout=GIVE_UP_AFTER)
            assert process.returncode == 1, err
            assert "locked by another program" in one_line_error(err), err
    finally:
        holder.execute("ROLLBACK")
        holder.close()

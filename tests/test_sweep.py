"""Sweeps against the fake platform: verdicts, changes, articles, scheduling, lock, notify."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import cli
from archiver.config import Settings
from archiver.evidence.verify import verify
from archiver.plumbing.lock import LockHeld, SweepLock
from archiver.pipeline import archive
from archiver.queries import history
from archiver import SweepSummary, sweep
from tests.conftest import assert_files_intact, fake_settings, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.processes import cmdline, proc_children
from tests.synthetic import write_archived_posts


def q(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = open_archive(settings)
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def status_of(settings: Settings, native_id: int) -> str:
    return str(q(settings, "SELECT status FROM posts WHERE native_id = ?", str(native_id))[0]["status"])


def count(settings: Settings, sql: str, *params: object) -> int:
    return int(list(q(settings, sql, *params)[0].values())[0])  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def juliaca_archive(
    fake_platform: FakePlatform, chromium_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The sample article archived once; each test sweeps its own copy."""
    fake_platform.world = World.sample()
    data_dir = tmp_path_factory.mktemp("juliaca") / "captures"
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(chromium_home)
    try:
        settings = fake_settings(fake_platform, data_dir)
        summary = archive([S.JULIACA_TXT_URL], settings)
    finally:
        if old_home is not None:
            os.environ["HOME"] = old_home
    assert summary.ok, summary.errors
    return data_dir


@pytest.fixture
def archived(settings: Settings, fake_world: World, juliaca_archive: Path) -> Settings:
    shutil.copytree(juliaca_archive, settings.data_dir)
    return settings


def test_deletion_and_return_are_recorded_and_no_copy_is_lost(archived: Settings, fake_world: World) -> None:
    settings = archived
    captures_before = q(settings, "SELECT id, sha256, path FROM captures ORDER BY id")
    fake_world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
    summary = sweep(settings, everything=True)
    assert summary.ok, summary.errors
    assert summary.posts_checked == 4 and summary.recaptured == 0
    assert status_of(settings, S.JULIACA_DOCTOR_ID) == "deleted"
    assert [(e["kind"], e["post_id"]) for e in summary.events] == [("deleted", str(S.JULIACA_DOCTOR_ID))]
    # the copy taken while live is still there, unchanged
    assert q(settings, "SELECT id, sha256, path FROM captures WHERE id <= ? ORDER BY id", captures_before[-1]["id"]) == captures_before
    assert_files_intact(settings)

    fake_world.posts[S.JULIACA_DOCTOR_ID].status = "live"
    again = sweep(settings, everything=True)
    assert [e["kind"] for e in again.events] == ["restored"]
    assert status_of(settings, S.JULIACA_DOCTOR_ID) == "live"
    conn = open_archive(settings)
    post, timeline = history(conn, str(S.JULIACA_DOCTOR_ID))
    changes = [e.what for e in timeline if e.what.startswith("change:")]
    assert changes == ["change: deleted", "change: restored"]
    checks = [e.what for e in timeline if e.what.startswith("check:")]
    assert checks == ["check: live", "check: deleted", "check: live"]
    signals = json.loads(q(settings, "SELECT signals FROM status_checks WHERE status = 'deleted'")[0]["signals"])  # type: ignore[arg-type]
    assert signals["syndication"]["status"] == 404 and signals["oembed"]["status"] == 404


@pytest.mark.parametrize("fault", ["503", "429", "reset", "hang"])
def test_transient_faults_never_overturn_a_verdict(archived: Settings, fake_world: World, fault: str) -> None:
    settings = replace(archived, timeout=1.0, request_deadline=2.0, retries=1)
    fake_world.faults[("cdn.syndication.twimg.com", f"id={S.JULIACA_DOCTOR_ID}")] = fault
    fake_world.faults[("publish.twitter.com", str(S.JULIACA_DOCTOR_ID))] = "404"
    summary = sweep(settings, everything=True)
    assert status_of(settings, S.JULIACA_DOCTOR_ID) == "live"
    assert summary.events == []
    assert not summary.ok and str(S.JULIACA_DOCTOR_ID) in " ".join(summary.errors)
    last = q(settings, "SELECT c.status FROM status_checks c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ? ORDER BY c.id DESC LIMIT 1", str(S.JULIACA_DOCTOR_ID))
    assert last == [{"status": "unknown"}]


def test_disagreement_is_unknown_not_deleted(archived: Settings, fake_world: World) -> None:
    fake_world.faults[("cdn.syndication.twimg.com", f"id={S.JULIACA_DOCTOR_ID}")] = "404"
    sweep(archived, everything=True)
    assert status_of(archived, S.JULIACA_DOCTOR_ID) == "live"


def test_edit_and_media_swap_are_captured_again(archived: Settings, fake_world: World, fake_platform: FakePlatform) -> None:
    settings = archived
    fake_world.posts[S.JULIACA_DOCTOR_ID].text = "Corrected: all of the protesters killed in Juliaca died of bullet wounds."
    fake_world.posts[S.JULIACA_MARCH_ID].media = list(fake_world.posts[S.GALLERY_ID].media[:1])
    fake_platform.clear_requests()
    summary = sweep(settings, everything=True)
    assert summary.ok, summary.errors
    assert summary.recaptured == 2
    kinds = sorted((str(e["kind"]), str(e["post_id"])) for e in summary.events)
    assert kinds == sorted([("edited", str(S.JULIACA_DOCTOR_ID)), ("media_changed", str(S.JULIACA_MARCH_ID))])
    edited = [e for e in summary.events if e["kind"] == "edited"][0]
    assert "Corrected" in str(edited["detail"]["after"]) and "Corrected" not in str(edited["detail"]["before"])  # type: ignore[index]
    doctor_shots = q(settings, "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ? AND kind = 'screenshot'", str(S.JULIACA_DOCTOR_ID))
    assert len(doctor_shots) == 2 and doctor_shots[0]["sha256"] != doctor_shots[1]["sha256"]
    assert "Corrected" in str(q(settings, "SELECT text FROM posts WHERE native_id = ?", str(S.JULIACA_DOCTOR_ID))[0]["text"])
    # unchanged posts were not rendered again
    rendered = [r for r in fake_platform.requests if "/embed/Tweet.html" in str(r["url"])]
    assert sorted(str(r["url"]).split("id=")[1].split("&")[0] for r in rendered) == sorted([str(S.JULIACA_DOCTOR_ID), str(S.JULIACA_MARCH_ID)])
    assert_files_intact(settings)


def test_article_gains_and_loses_embeds(settings: Settings, fake_world: World) -> None:
    assert archive([S.JULIACA_URL], settings).ok
    fake_world.pages[S.JULIACA_URL] = fake_world.pages[S.JULIACA_UPDATE_URL]
    summary = sweep(settings, everything=True)
    assert summary.ok, summary.errors
    added = [e for e in summary.events if e["kind"] == "embed_added"]
    assert [e["post_id"] for e in added] == [str(S.JULIACA_UPDATE_ID)]
    assert q(settings, "SELECT capture_complete FROM posts WHERE native_id = ?", str(S.JULIACA_UPDATE_ID)) == [{"capture_complete": 1}]

    fake_world.pages[S.JULIACA_URL] = fake_world.pages[S.BAD_URLS["broken-html"]]  # cites only the doctor's post
    summary = sweep(settings, everything=True)
    removed = sorted(str(e["post_id"]) for e in summary.events if e["kind"] == "embed_removed")
    gone = [S.JULIACA_HOSPITAL_ID, S.JULIACA_MARCH_ID, S.JULIACA_AREQUIPA_ID, S.JULIACA_UPDATE_ID]
    assert removed == sorted(str(i) for i in gone)
    rows = q(settings, "SELECT p.native_id, ap.removed_at FROM article_posts ap JOIN posts p ON p.id = ap.post_id")
    assert {r["native_id"]: r["removed_at"] is None for r in rows}[str(S.JULIACA_DOCTOR_ID)] is True
    assert all(r["removed_at"] for r in rows if r["native_id"] != str(S.JULIACA_DOCTOR_ID))
    assert count(settings, "SELECT count(*) FROM posts") == 5, "removed from the article, kept in the archive"


def test_only_due_items_oldest_first_and_limits(archived: Settings) -> None:
    settings = archived
    assert sweep(settings).posts_checked == 0, "nothing is due an hour after archiving"
    conn = open_archive(settings)
    ids = [r[0] for r in conn.execute("SELECT id FROM posts ORDER BY id")]
    for n, post_id in enumerate(ids):  # make every post due, the last one the most overdue
        conn.execute("UPDATE posts SET next_check_at = ? WHERE id = ?", (f"2020-01-0{len(ids) - n}T00:00:00Z", post_id))
    conn.execute("UPDATE articles SET next_check_at = '2099-01-01T00:00:00Z'")
    conn.commit()
    conn.close()
    summary = sweep(settings, limit=2)
    assert summary.posts_checked == 2
    checked = q(settings, "SELECT post_id FROM status_checks WHERE run_id = ? ORDER BY id", summary.run_id)
    assert {r["post_id"] for r in checked} == set(ids[-2:])
    # the two checked are scheduled again; the others stay due
    assert count(settings, "SELECT count(*) FROM posts WHERE next_check_at < '2021-01-01'") == 2
    assert sweep(settings, max_time=0).posts_checked == 0
    assert sweep(settings).posts_checked == 2
    assert sweep(settings).posts_checked == 0


def test_unwatch_stops_article_checks(archived: Settings, fake_platform: FakePlatform) -> None:
    result = CliRunner().invoke(cli, ["--data", str(archived.data_dir), "unwatch", S.JULIACA_TXT_URL])
    assert result.exit_code == 0, result.output
    fake_platform.clear_requests()
    summary = sweep(archived, everything=True)
    assert summary.articles_checked == 0 and summary.posts_checked == 4
    assert not [r for r in fake_platform.requests if "example-news" in str(r["url"])]
    result = CliRunner().invoke(cli, ["--data", str(archived.data_dir), "unwatch", "https://nowhere.example/x"])
    assert result.exit_code == 1 and "not in the archive" in result.output


def test_lock_is_the_sweeps_alone(archived: Settings, fake_platform: FakePlatform, chromium_home: object) -> None:
    settings = archived
    with SweepLock(settings.data_dir):
        with pytest.raises(LockHeld):
            sweep(settings, everything=True)
        env = {"HTTPS_PROXY": fake_platform.proxy_url, "SSL_CERT_FILE": str(fake_platform.ca_pem_path)}
        result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "sweep", "--quiet"], env=env)
        assert result.exit_code == 75
        # archive is not blocked by a sweep's lock
        assert archive([f"https://x.com/i/status/{S.GALLERY_ID}"], settings).ok
    assert sweep(settings, everything=True).ok


def test_wait_waits_for_the_lock(archived: Settings) -> None:
    lock = SweepLock(archived.data_dir).__enter__()
    released = threading.Event()

    def release() -> None:
        released.wait(5)
        lock.__exit__(None, None, None)

    thread = threading.Thread(target=release)
    thread.start()
    released.set()
    summary = sweep(archived, everything=True, wait=True)
    thread.join()
    assert summary.posts_checked == 4


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_notify_posts_the_changes(archived: Settings, fake_world: World, hook: str) -> None:
    fake_world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
    # the checks go through the proxy; NO_PROXY sends the notification straight to the local hook
    no_proxy = replace(archived, no_proxy="127.0.0.1")
    summary = sweep(no_proxy, everything=True, notify_url=hook)
    assert summary.notified is True, summary.errors
    [payload] = _Hook.received
    assert [e["kind"] for e in payload["events"]] == ["deleted"]  # type: ignore[index, union-attr]


def test_notify_failure_is_reported_not_fatal(archived: Settings, fake_world: World) -> None:
    fake_world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
    summary = sweep(replace(archived, no_proxy="127.0.0.1"), everything=True, notify_url="http://127.0.0.1:9/hook")
    assert summary.notified is False
    assert status_of(archived, S.JULIACA_DOCTOR_ID) == "deleted"
    assert len(summary.errors) == 1 and "notification" in summary.errors[0]


def test_cli_deleted_history_and_quiet(archived: Settings, fake_world: World, fake_platform: FakePlatform) -> None:
    data = ["--data", str(archived.data_dir)]
    env = {"HTTPS_PROXY": fake_platform.proxy_url, "SSL_CERT_FILE": str(fake_platform.ca_pem_path)}
    runner = CliRunner()
    quiet = runner.invoke(cli, [*data, "sweep", "--all", "--quiet"], env=env)
    assert quiet.exit_code == 0 and quiet.output == "", quiet.output
    fake_world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
    result = runner.invoke(cli, [*data, "sweep", "--all", "--quiet"], env=env)
    assert result.exit_code == 0
    assert f"deleted: https://x.com/KawsachunNews/status/{S.JULIACA_DOCTOR_ID}" in result.output
    as_json = runner.invoke(cli, [*data, "sweep", "--all", "--json"], env=env)
    assert json.loads(as_json.output)["posts_checked"] == 4
    listed = runner.invoke(cli, [*data, "deleted", "--since", "1d"])
    assert str(S.JULIACA_DOCTOR_ID) in listed.output and S.JULIACA_TXT_URL in listed.output
    listed_json = json.loads(runner.invoke(cli, [*data, "deleted", "--json"]).output)
    assert [r["native_id"] for r in listed_json["posts"]] == [str(S.JULIACA_DOCTOR_ID)]
    timeline = runner.invoke(cli, [*data, "history", f"https://twitter.com/KawsachunNews/status/{S.JULIACA_DOCTOR_ID}"])
    assert timeline.exit_code == 0
    assert "change: deleted" in timeline.output and "capture: screenshot" in timeline.output
    missing = runner.invoke(cli, [*data, "history", "12345"])
    assert missing.exit_code == 1 and "not in the archive" in missing.output
    bad = runner.invoke(cli, [*data, "sweep", "--schedule", "nonsense"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output


def test_worker_processes_share_the_checks_and_report_to_the_sweep(
    settings: Settings, fake_platform: FakePlatform, fake_world: World
) -> None:
    n = 500
    ids = S.add_sweep_posts(fake_world, n)  # every 50th deleted
    failing = ids[1::250]  # one in each process's share, as shares are interleaved
    for pid in failing:
        fake_world.faults[("cdn.syndication.twimg.com", f"id={pid}")] = "503"
        fake_world.faults[("publish.twitter.com", str(pid))] = "503"
    fake_platform.world = fake_world
    write_archived_posts(settings.data_dir, fake_world, ids)
    lines: list[tuple[str, str]] = []

    summary = sweep(replace(settings, retries=0), everything=True, concurrency=8, workers=2,
                    progress=lambda item, what: lines.append((item, what)))

    assert summary.posts_checked == n and summary.processes == 2
    assert summary.statuses == {"live": n - 10 - 2, "deleted": 10, "unknown": 2}
    # Errors found in the worker's share reach the sweep's summary, one line each.
    assert len(summary.errors) == 2
    assert all(any(f"/status/{pid}: status unknown" in e for e in summary.errors) for pid in failing), summary.errors
    # Each post checked once, all in the sweep's one run, which the sweep alone finished.
    runs = q(settings, "SELECT id, finished_at FROM runs")
    assert len(runs) == 1 and runs[0]["finished_at"] is not None
    assert count(settings, "SELECT count(*) FROM status_checks") == n
    assert count(settings, "SELECT count(DISTINCT post_id) FROM status_checks") == n
    assert count(settings, "SELECT count(DISTINCT run_id) FROM status_checks") == 1
    assert {e["kind"] for e in summary.events} == {"deleted"} and len(summary.events) == 10
    # Both processes checked posts: the worker's answers are recorded in the same run.
    assert count(settings, "SELECT count(*) FROM exchanges WHERE url LIKE '%syndication%'") >= n
    assert verify(settings).ok
    assert_files_intact(settings)


def test_a_worker_that_dies_is_reported_and_its_unchecked_posts_stay_due(
    settings: Settings, fake_platform: FakePlatform, fake_world: World
) -> None:
    n = 600
    ids = S.add_sweep_posts(fake_world, n, deleted_every=0)
    fake_platform.world = fake_world
    fake_platform.latency = 0.05
    write_archived_posts(settings.data_dir, fake_world, ids)
    outcome: list[object] = []
    thread = threading.Thread(target=lambda: outcome.append(sweep(settings, concurrency=4, workers=2)))
    thread.start()
    try:
        worker = None
        for _ in range(400):
            worker = next((pid for pid in proc_children().get(os.getpid(), []) if "sweep_worker" in cmdline(pid)), None)
            if worker and count(settings, "SELECT count(*) FROM status_checks") > 0:
                break
            time.sleep(0.05)
        assert worker, "no worker process started"
        os.kill(worker, signal.SIGKILL)
    finally:
        thread.join(timeout=120)
    summary = outcome[0]
    assert isinstance(summary, SweepSummary)
    assert not summary.ok and summary.processes == 1
    assert len(summary.errors) == 1 and "ended with exit -9 before reporting" in summary.errors[0], summary.errors
    checked = count(settings, "SELECT count(DISTINCT post_id) FROM status_checks")
    assert summary.posts_checked <= checked < n

    fake_platform.latency = 0.0
    again = sweep(settings, workers=1)
    assert again.ok, again.errors
    assert again.posts_checked == n - checked
    assert count(settings, "SELECT count(DISTINCT post_id) FROM status_checks") == n

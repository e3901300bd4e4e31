"""Distributed capture: an archive and a sweep done by queue workers write what a local run
writes; a worker killed mid-task, the writer killed mid-batch and a broker restart lose
nothing and duplicate nothing, and ``verify`` holds after each.

Real services: a Redis server (Debian's redis-server) on a free loopback port with its data
in a temporary directory (append-only file, fsynced always, so a restart keeps the queue),
three ``archiver worker`` processes, each with its own HOME (Chromium's NSS db trusting the
fake platform's CA) and temporary directory, sharing one data directory as the blob store,
the fake platform, real Chromium. The dispatcher runs in this process and, unless an
``archiver ingest`` process holds the archive, is its catalogue writer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

import archiver
from archiver.config import Settings
from tests.conftest import assert_files_intact, fake_settings, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.processes import browsers_under, cmdline, descendants, proc_children, running, start_time
from tests.s3server import BUCKET, Relay, S3Server, s3_server
from tests.test_concurrency import InThread, wait_for

pytestmark = [
    pytest.mark.usefixtures("fake_world"),
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed (setup.sh installs it)"),
]

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]
WORKERS = 3
RENDER_KINDS = ("screenshot", "page_screenshot")
"""Captures that are renderings: compared by owner and kind only. Their bytes, and whether a
card was cut from its article's page or rendered alone (when the page had not painted it
yet), vary between any two runs, local ones too."""
SHORT = {"ARCHIVER_QUEUE_TIME_LIMIT": "60", "ARCHIVER_QUEUE_VISIBILITY": "12"}
"""For the kill tests: a dead worker's task (or a killed writer's batch) comes back after 12 s.
Shorter than a slow task may take here: such a task may run twice, and is written once."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Redis:
    """A redis-server of our own: loopback, a free port, its files in ``directory``."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.directory.mkdir(exist_ok=True)
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--protected-mode", "yes"],
            stdout=(self.directory / "redis.log").open("ab"), stderr=subprocess.STDOUT,
        )
        wait_for(self.answers, "redis-server to answer", 30)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@dataclass
class Cluster:
    redis: Redis
    data: Path
    settings: Settings
    fp: FakePlatform
    tmp: Path
    env: dict[str, str]
    workers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    own_data: bool = False
    """Each worker with a data directory of its own (its files in the blob store the settings name)."""

    @property
    def url(self) -> str:
        return self.redis.url

    def start_worker(self, name: str) -> None:
        home = self.tmp / f"home-{name}"
        scratch = self.tmp / f"tmp-{name}"
        home.mkdir(exist_ok=True)
        scratch.mkdir(exist_ok=True)
        self.fp.write_nssdb(home)
        env = {**self.fp.env(home=home), **self.env, "TMPDIR": str(scratch)}
        data = self.tmp / f"data-{name}" if self.own_data else self.data
        self.workers[name] = subprocess.Popen(
            [*CLI, "--data", str(data), "worker", "--queue", self.url, "--name", name],
            env=env, stdout=(self.tmp / f"{name}.log").open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill_worker(self, name: str) -> None:
        """SIGKILL a worker with every process under it (its pool, driver, browser): a machine lost."""
        process = self.workers.pop(name)
        tree = descendants(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
        for pid, started in tree.items():
            if started is not None and start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        process.wait(30)

    def browsers(self) -> dict[int, str | None]:
        """Chromium's browser processes under the workers (not its renderers), with their start times."""
        return {pid: started for w in self.workers.values() for pid, started in browsers_under(w.pid).items()}

    def kill_pool_process(self, name: str) -> None:
        """SIGKILL the pool process of worker ``name`` (the one running its task), not the worker."""
        worker = self.workers[name]
        children = proc_children().get(worker.pid, [])
        pool = [pid for pid in children if cmdline(pid) == cmdline(worker.pid)]
        assert len(pool) == 1, (pool, [cmdline(p) for p in children])
        os.kill(pool[0], signal.SIGKILL)

    def stop(self) -> None:
        for name in list(self.workers):
            process = self.workers[name]
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name in list(self.workers):
            try:
                self.workers[name].wait(30)
            except subprocess.TimeoutExpired:
                self.kill_worker(name)

    def keys_noted(self) -> list[str]:
        """Notes left in the data directory's store (``blobs/journals``)."""
        notes = self.data / "blobs" / "journals"
        return sorted(p.name for p in notes.iterdir()) if notes.is_dir() else []

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}" for p in self.tmp.glob("*.log"))


def start_cluster(
    fp: FakePlatform, tmp_path: Path, env: dict[str, str] | None = None, *, blob_store: str | None = None,
    own_data: bool = False,
) -> Cluster:
    redis = Redis(tmp_path / "redis")
    redis.start()
    data = tmp_path / "shared"
    settings = fake_settings(fp, data, blob_store=blob_store)
    extra = dict(env or {})
    if "ARCHIVER_QUEUE_TIME_LIMIT" in extra:
        settings = replace(settings, queue_time_limit=float(extra["ARCHIVER_QUEUE_TIME_LIMIT"]),
                           queue_visibility_timeout=float(extra["ARCHIVER_QUEUE_VISIBILITY"]))
    if blob_store:
        extra["ARCHIVER_BLOB_STORE"] = blob_store
    cluster = Cluster(redis, data, settings, fp, tmp_path, extra, own_data=own_data)
    for i in range(WORKERS):
        cluster.start_worker(f"w{i}@test")
    return cluster


@pytest.fixture
def cluster(fake_platform: FakePlatform, tmp_path: Path, chromium_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    monkeypatch.setenv("HOME", str(chromium_home))
    c = start_cluster(fake_platform, tmp_path)
    try:
        yield c
    finally:
        c.stop()
        c.redis.stop()


@pytest.fixture
def short_cluster(fake_platform: FakePlatform, tmp_path: Path, chromium_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    monkeypatch.setenv("HOME", str(chromium_home))
    c = start_cluster(fake_platform, tmp_path, SHORT)
    try:
        yield c
    finally:
        c.stop()
        c.redis.stop()


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@dataclass
class S3Cluster:
    cluster: Cluster
    s3: S3Server
    relay: Relay
    """Between the workers and the S3 server: it can go down."""
    prefix: str

    def objects(self, under: str = "") -> dict[str, int]:
        return self.s3.objects(f"{self.prefix}/{under}")


@pytest.fixture
def s3_cluster(
    fake_platform: FakePlatform, tmp_path: Path, chromium_home: Path, monkeypatch: pytest.MonkeyPatch, s3: S3Server
) -> Iterator[S3Cluster]:
    """Workers with data directories of their own, their files in S3 (through a relay that can
    go down); the dispatcher and writer reach S3 directly. Short limits, as for the kills."""
    monkeypatch.setenv("HOME", str(chromium_home))
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    prefix = f"{tmp_path.name}/blobs"
    relay = Relay(tuple(s3.endpoint.removeprefix("http://").split(":")))  # type: ignore[arg-type]
    env = {**SHORT, **s3.env(relay.endpoint)}
    c = start_cluster(fake_platform, tmp_path, env, blob_store=f"s3://{BUCKET}/{prefix}", own_data=True)
    try:
        yield S3Cluster(c, s3, relay, prefix)
    finally:
        c.stop()
        c.redis.stop()
        relay.close()


# --------------------------------------------------------------------------- what an archive holds


def snapshot(settings: Settings) -> dict[str, Any]:
    """The archive's rows without ids, times or run ids; renderings by owner and kind."""
    db = open_archive(settings)

    def rows(sql: str) -> list[tuple[Any, ...]]:
        return sorted((tuple(r) for r in db.execute(sql)), key=repr)

    post = "(SELECT platform || ':' || native_id FROM posts WHERE id = {})"
    out = {
        "posts": rows("""SELECT platform, native_id, url, status, author_handle, author_name, text, lang, created_at,
                                capture_complete, content_fingerprint,
                                (SELECT native_id FROM posts q WHERE q.id = p.quoted_post_id) FROM posts p"""),
        "articles": rows("SELECT url, final_url, title, http_status, content_type, watched, citations_at IS NULL FROM articles"),
        "captures": rows(f"""SELECT coalesce({post.format('c.post_id')}, (SELECT url FROM articles WHERE id = c.article_id), 'run'),
                                   kind, CASE WHEN kind IN {RENDER_KINDS} THEN NULL ELSE sha256 END, mime,
                                   CASE WHEN kind IN {RENDER_KINDS} THEN NULL ELSE source_url END,
                                   source, duration, checked_as
                            FROM captures c WHERE kind != 'provenance'"""),
        "checks": rows(f"SELECT {post.format('post_id')}, status FROM status_checks"),
        "citations": rows(f"""SELECT (SELECT url FROM articles WHERE id = article_id), {post.format('post_id')}, link, form,
                                    embed_text, removed_at IS NULL FROM article_posts"""),
        "seen": rows("SELECT (SELECT url FROM articles WHERE id = article_id), link, platform, native_id, form, placement FROM seen_embeds"),
        "links": rows("SELECT url, final_url, error FROM links"),
        # Where citations sit in the page screenshot depends on the rendering: whether any was found.
        "regions": [db.execute("SELECT count(*) > 0 FROM embed_regions").fetchone()[0]],
        "events": rows(f"SELECT kind, {post.format('post_id')}, (SELECT url FROM articles WHERE id = article_id) FROM events"),
        "http": sorted(set(rows("SELECT url, status, sha256 FROM exchanges WHERE client = 'http'"))),
        "files": sorted({r[0] for r in db.execute(
            f"""SELECT sha256 FROM captures WHERE kind NOT IN {RENDER_KINDS} AND kind != 'provenance'
                UNION SELECT sha256 FROM exchanges WHERE client = 'http' AND sha256 IS NOT NULL""")}),
    }
    db.close()
    return out


def assert_same(local: dict[str, Any], queued: dict[str, Any]) -> None:
    for table in local:
        assert queued[table] == local[table], f"{table} differs"


def assert_verified(settings: Settings) -> None:
    """``verify`` clean (every file hashed from its store, none unreferenced, none missing);
    every file recorded, none pending; and, in the data directory, every row's file intact."""
    report = archiver.verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    assert not any("not recorded yet" in n for n in report.notes), report.notes
    if settings.blob_store is None:
        assert_files_intact(settings)


def captures_per_post(settings: Settings) -> Counter[tuple[str, str]]:
    db = open_archive(settings)
    found = Counter((str(r[0]), str(r[1])) for r in db.execute(
        "SELECT p.native_id, c.kind FROM captures c JOIN posts p ON p.id = c.post_id"))
    db.close()
    return found


def queue_results(settings: Settings) -> int:
    if not settings.db_path.exists():
        return 0
    db = open_archive(settings)
    try:
        return int(db.execute("SELECT count(*) FROM queue_results").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        db.close()


# --------------------------------------------------------------------------- same rows as a local run


def test_archive_and_sweep_by_workers_write_what_a_local_run_writes(
    cluster: Cluster, fake_platform: FakePlatform, fake_world: World, tmp_path: Path
) -> None:
    bench = S.add_bench_articles(fake_world, 2, 2)
    fake_platform.world = fake_world
    targets = [S.JULIACA_URL, *bench, f"https://x.com/AndesObserver/status/{S.GALLERY_ID}"]
    local = fake_settings(fake_platform, tmp_path / "local")

    expected = archiver.archive(targets, local)
    assert expected.ok, expected.errors
    lines: list[tuple[str, str]] = []
    summary = archiver.archive(targets, cluster.settings, queue=cluster.url, progress=lambda i, w: lines.append((i, w)))
    assert summary.ok, (summary.errors, cluster.logs())
    assert summary.line() == expected.line()
    assert any(what.startswith("article: ") for _, what in lines), "no progress line came back"
    assert_same(snapshot(local), snapshot(cluster.settings))
    assert_verified(cluster.settings)
    status = archiver.queue(cluster.settings, cluster.url)
    assert status.waiting == 0 and status.results_waiting == 0 and status.failed == 0
    assert sum(w.done for w in status.workers) == len(targets)
    assert len([w for w in status.workers if w.online]) == WORKERS
    # Each worker that took a task keeps its browser for the next ones.
    kept = cluster.browsers()
    assert kept, "no worker kept its browser after its tasks"

    # The world moves on: a post deleted, one edited, the article updated with a new embed.
    fake_world.posts[S.JULIACA_HOSPITAL_ID].status = "deleted"
    fake_world.posts[S.JULIACA_DOCTOR_ID].text = "Corrected: all of the protesters killed in Juliaca died of bullet wounds."
    fake_world.pages[S.JULIACA_URL] = fake_world.pages[S.JULIACA_UPDATE_URL]
    swept = archiver.sweep(local, everything=True, workers=1)
    assert swept.ok, swept.errors
    queued = archiver.sweep(cluster.settings, everything=True, queue=cluster.url)
    assert queued.ok, (queued.errors, cluster.logs())
    assert sorted((e["kind"], e["post_id"]) for e in queued.events) == sorted((e["kind"], e["post_id"]) for e in swept.events)
    assert {"deleted", "edited", "embed_added"} <= {str(e["kind"]) for e in queued.events}
    assert (queued.articles_checked, queued.posts_checked, queued.recaptured) == (
        swept.articles_checked, swept.posts_checked, swept.recaptured)
    assert_same(snapshot(local), snapshot(cluster.settings))
    assert_verified(cluster.settings)
    assert all(running(pid, started) for pid, started in kept.items()), "a worker's browser did not last its tasks"
    assert not cluster.keys_noted(), "notes of finished tasks left in the store"


def test_a_result_delivered_twice_is_written_once(settings: Settings, tmp_path: Path) -> None:
    from archiver.distributed.ingest import write_batch
    from archiver.distributed.wire import Result, RunInfo
    from archiver.steps.store import Store

    run = RunInfo("k1", "archive", 2)
    result = Result("k1-0", run, "w", ops=[["link", {"url": "https://t.co/x", "final_url": "https://x.com/a",
                                                     "hops": [], "error": None}]],
                    outcome={"errors": [], "progress": []})
    store = Store(settings)
    try:
        assert [r.task for r in write_batch(store, [result, result])] == ["k1-0"]
        assert write_batch(store, [result]) == []
        assert store.conn.execute("SELECT count(*) FROM queue_results").fetchone()[0] == 1
        assert store.conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    finally:
        store.close()


# --------------------------------------------------------------------------- kills


def direct_posts(fake_world: World, fake_platform: FakePlatform, n: int) -> list[str]:
    _, ids = S.add_bench_article(fake_world, n, "/bench/kill")
    fake_platform.world = fake_world
    return [f"https://x.com/AndesObserver/status/{pid}" for pid in ids]


def assert_each_once(settings: Settings, urls: list[str]) -> None:
    counts = captures_per_post(settings)
    for url in urls:
        native_id = url.rsplit("/", 1)[1]
        assert counts[(native_id, "screenshot")] == 1, (url, counts)
        assert counts[(native_id, "photo")] == 1, (url, counts)
    db = open_archive(settings)
    assert db.execute("SELECT count(*) FROM posts").fetchone()[0] == len(urls)
    assert db.execute("SELECT count(*) FROM status_checks").fetchone()[0] == len(urls)
    db.close()


def held_card(c: Cluster, fake_platform: FakePlatform, fake_world: World, urls: list[str], gate: str) -> tuple[InThread, str, str]:
    """Archive ``urls`` through the queue, the first post's card held at ``gate``; returns the
    run, the held post's id and the worker rendering it, once it is."""
    held = urls[0].rsplit("/", 1)[1]
    fake_world.faults[("platform.twitter.com", f"id={held}")] = [f"gate:{gate}"]
    run = InThread(lambda progress: archiver.archive(urls, c.settings, queue=c.url, progress=progress))

    def holder() -> str | None:
        for w in archiver.queue(c.settings, c.url).workers:
            if any(held in task for task in w.running):
                return w.name
        return None

    wait_for(lambda: run.done or (holder() is not None and any(
        f"id={held}" in r["url"] for r in fake_platform.requests_to("platform.twitter.com"))), "a worker rendering the held card")
    assert not run.done, run.join()
    name = holder()
    assert name is not None
    return run, held, name


def test_a_worker_killed_mid_task_loses_nothing_and_duplicates_nothing(
    short_cluster: Cluster, fake_platform: FakePlatform, fake_world: World, request: pytest.FixtureRequest
) -> None:
    c = short_cluster
    urls = direct_posts(fake_world, fake_platform, 4)
    gate = f"card-{request.node.name}-{time.monotonic_ns()}"
    run, _, name = held_card(c, fake_platform, fake_world, urls, gate)
    c.kill_worker(name)  # mid-render: its task is neither done nor acknowledged
    fake_platform.open_gate(gate)
    summary = run.join()
    assert summary.ok, (summary.errors, c.logs())
    assert summary.posts_captured == len(urls)
    assert_each_once(c.settings, urls)
    assert queue_results(c.settings) == len(urls)
    assert_verified(c.settings)


def test_the_writer_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    short_cluster: Cluster, fake_platform: FakePlatform, fake_world: World, chromium_home: Path
) -> None:
    c = short_cluster
    urls = direct_posts(fake_world, fake_platform, 8)
    env = {**fake_platform.env(home=chromium_home), **c.env}
    log = (c.tmp / "ingest.log").open("ab")

    def start_writer() -> subprocess.Popen[bytes]:
        writer = subprocess.Popen([*CLI, "--data", str(c.data), "ingest", "--queue", c.url], env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(lambda: (c.data / "writer.lock").exists() and (c.data / "archive.db").exists(), "the writer to start")
        return writer

    c.data.mkdir(parents=True, exist_ok=True)
    writer = start_writer()
    run = InThread(lambda progress: archiver.archive(urls, c.settings, queue=c.url, progress=progress))
    wait_for(lambda: run.done or queue_results(c.settings) >= 2, "the writer to write some results")
    assert not run.done, run.join()
    os.killpg(writer.pid, signal.SIGKILL)  # between, or in the middle of, its batches
    writer.wait(30)
    written = queue_results(c.settings)
    assert written < len(urls), "too late: every result was written before the kill"
    # The dispatcher (this process) takes the writer's place, and its unacknowledged batch comes back.
    summary = run.join()
    assert summary.ok, (summary.errors, c.logs())
    assert summary.posts_captured == len(urls)
    assert_each_once(c.settings, urls)
    assert queue_results(c.settings) == len(urls)
    assert_verified(c.settings)


def test_a_broker_restart_loses_nothing_and_duplicates_nothing(
    short_cluster: Cluster, fake_platform: FakePlatform, fake_world: World
) -> None:
    c = short_cluster
    urls = direct_posts(fake_world, fake_platform, 6)
    run = InThread(lambda progress: archiver.archive(urls, c.settings, queue=c.url, progress=progress))
    wait_for(lambda: run.done or queue_results(c.settings) >= 1, "a first result written")
    assert not run.done, run.join()
    c.redis.kill()  # SIGKILL: what it wrote is in its append-only file, fsynced
    time.sleep(2)
    c.redis.start()
    summary = run.join()
    assert summary.ok, (summary.errors, c.logs())
    assert_each_once(c.settings, urls)
    assert queue_results(c.settings) == len(urls)
    assert_verified(c.settings)


def test_a_pool_process_killed_mid_task_gives_its_task_back_at_once(
    cluster: Cluster, fake_platform: FakePlatform, fake_world: World, request: pytest.FixtureRequest
) -> None:
    # The default visibility timeout (720 s): only the worker's own notice of its dead pool
    # process can bring the task back within the test's patience.
    c = cluster
    urls = direct_posts(fake_world, fake_platform, 3)
    gate = f"card-{request.node.name}-{time.monotonic_ns()}"
    run, _, name = held_card(c, fake_platform, fake_world, urls, gate)
    worker = c.workers[name]
    c.kill_pool_process(name)
    fake_platform.open_gate(gate)
    summary = run.join()
    assert summary.ok, (summary.errors, c.logs())
    assert worker.poll() is None, "the worker died with its pool process"
    assert summary.posts_captured == len(urls)
    assert_each_once(c.settings, urls)
    assert queue_results(c.settings) == len(urls)
    assert_verified(c.settings)


def test_a_worker_killed_mid_task_leaves_no_file_without_its_row_in_s3(
    s3_cluster: S3Cluster, fake_platform: FakePlatform, fake_world: World, request: pytest.FixtureRequest
) -> None:
    """Workers with data directories of their own, files in S3: the killed attempt's uploads,
    which its second attempt does not make again (the post changed meanwhile), are recorded
    by the writer from the attempt's notes in the store."""
    c, s3c = s3_cluster.cluster, s3_cluster
    urls = direct_posts(fake_world, fake_platform, 3)
    gate = f"card-{request.node.name}-{time.monotonic_ns()}"
    run, held, name = held_card(c, fake_platform, fake_world, urls, gate)
    # Before its card, the attempt stored the post's answer: noted in the store first, then uploaded.
    noted: set[str] = set()
    for key in s3c.objects("journals/"):
        # Another task's notes may be settled and removed by the writer between list and read.
        note = s3c.s3.read_if_there(key)
        if note is not None:
            noted |= {b["path"].removeprefix("blobs/") for b in json.loads(note)["blobs"]}
    uploaded = {k.removeprefix(f"{s3c.prefix}/") for k in s3c.objects() if "/journals/" not in k}
    assert noted & uploaded, (noted, uploaded)
    c.kill_worker(name)
    # The post is edited before the task comes back: its second attempt stores other answers.
    fake_world.posts[int(held)].text = "Edited while the first attempt lay dead."
    fake_platform.open_gate(gate)
    summary = run.join()
    assert summary.ok, (summary.errors, c.logs())
    assert summary.posts_captured == len(urls)
    assert_each_once(c.settings, urls)
    assert queue_results(c.settings) == len(urls)
    db = open_archive(c.settings)
    recorded = {str(r[0]).removeprefix("blobs/") for r in db.execute("SELECT path FROM blobs")}
    db.close()
    stored = {k.removeprefix(f"{s3c.prefix}/") for k in s3c.objects() if "/journals/" not in k}
    assert stored - recorded == set(), "files in the store that no row names"
    assert noted & uploaded <= recorded
    assert_verified(c.settings)


def test_the_store_down_during_a_queued_run_puts_tasks_back_then_does_them(
    s3_cluster: S3Cluster, fake_platform: FakePlatform, fake_world: World
) -> None:
    c, s3c = s3_cluster.cluster, s3_cluster
    urls = direct_posts(fake_world, fake_platform, 2)
    s3c.relay.go_down()
    run = InThread(lambda progress: archiver.archive(urls, c.settings, queue=c.url, progress=progress))

    def last_errors() -> list[str]:
        return [w.last_error for w in archiver.queue(c.settings, c.url).workers if w.retried and w.last_error]

    wait_for(lambda: run.done or bool(last_errors()), "a task put back for a retry")
    assert not run.done, run.join()
    error = last_errors()[0]
    # One line, naming the item and the store.
    assert "\n" not in error and "Traceback" not in error, error
    assert any(error.startswith(url) for url in urls), error
    assert f"blob store s3://{BUCKET}/{s3c.prefix}" in error, error
    lines = archiver.queue(c.settings, c.url).lines()
    assert any(line.strip() == f"last error: {error}" for line in lines), lines
    s3c.relay.come_back()
    summary = run.join()
    assert summary.ok, (summary.errors, c.logs())
    assert summary.posts_captured == len(urls)
    assert_each_once(c.settings, urls)
    assert queue_results(c.settings) == len(urls)
    assert_verified(c.settings)


def test_queue_status_and_a_bad_url_are_one_line_errors(settings: Settings) -> None:
    from click.testing import CliRunner

    from archiver.cli import cli

    port = free_port()  # nothing listens there
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "queue", "status", "--queue", f"redis://127.0.0.1:{port}/0"])
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert f"redis://127.0.0.1:{port}/0" in result.output
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "archive", "--queue", "http://example.org", S.JULIACA_URL])
    assert result.exit_code == 1 and "a Redis URL" in result.output, result.output



def test_results_published_across_a_broker_restart_all_arrive(tmp_path: Path) -> None:
    """One process publishes before and after Redis is killed and started again (a worker
    sending results across a broker restart): every message arrives, and the process's
    pools stay usable after a stale pooled channel was dropped (celery/kombu#83)."""
    from kombu import Queue

    from archiver.distributed import engine

    redis = Redis(tmp_path / "redis")
    redis.start()
    try:
        app = engine.make_app(redis.url, Settings(data_dir=tmp_path / "data"))
        queue = Queue("archiver.test-results")
        engine.publish(app, queue, {"n": 1})
        redis.kill()
        redis.start()
        # What a broker restart can leave in the pool (the run that found this failed with
        # "task failed: AttributeError: 'NoneType' object has no attribute 'client'"):
        # a pooled producer whose channel lost its connection.
        with app.producer_or_acquire() as producer:
            producer.channel.connection = None
        for n in (2, 3):
            engine.publish(app, queue, {"n": n})
        got = []
        with app.connection_for_write() as connection:
            simple = connection.SimpleQueue(queue.name)
            try:
                for _ in range(3):
                    got.append(simple.get(timeout=10).payload["n"])
            finally:
                simple.close()
        assert sorted(got) == [1, 2, 3]
    finally:
        redis.stop()

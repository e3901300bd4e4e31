"""Benchmark: distributed capture on this machine — posts/s for a local run and for 1, 2 and 3
queue workers, and the catalogue writer's ingest rate alone (rows/s).

    python bench/bench_queue.py [--articles 10] [--per-article 4] [--latency 0.05] [--workers 1,2,3]
                                [--ingest-results 400]

Each configuration archives the same workload (``--articles`` articles of ``--per-article``
one-photo posts from the fake platform, in a fresh world and a fresh data directory): the
local run with the real CLI (``archiver archive``), the queued runs with ``archiver archive
--queue`` against a redis-server of its own and N ``archiver worker`` processes started
beforehand (their start-up is not timed). The dispatcher is the writer.

The ingest rate: ``--ingest-results`` results (a post each, as a worker sends them: the
post's rows, its captures and exchanges) are put on the results queue first, then
``archiver ingest --idle-exit 2`` writes them; rows/s counts every log entry and exchange
row written, over the writer's own time.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakeplatform import FakePlatform, World  # noqa: E402
from tests.fakeplatform import sample as S  # noqa: E402

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(directory: Path) -> tuple[subprocess.Popen[bytes], str]:
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(directory),
         "--appendonly", "yes", "--save", ""], stdout=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return process, f"redis://127.0.0.1:{port}/0"


def world_for(args: argparse.Namespace) -> tuple[World, list[str]]:
    world = World.sample()
    urls = list(S.add_bench_articles(world, args.articles, args.per_article))
    return world, urls


def run_local(fp: FakePlatform, args: argparse.Namespace, tmp: Path, home: Path) -> float:
    world, urls = world_for(args)
    fp.world = world
    data = tmp / "local"
    started = time.monotonic()
    done = subprocess.run([*CLI, "--data", str(data), "archive", "--json", *urls], env=fp.env(home=home),
                          capture_output=True, text=True)
    took = time.monotonic() - started
    summary = json.loads(done.stdout)
    assert not summary["errors"], summary["errors"]
    return summary["posts_captured"] / took


def run_queued(fp: FakePlatform, args: argparse.Namespace, tmp: Path, home: Path, n: int) -> float:
    world, urls = world_for(args)
    fp.world = world
    redis, url = start_redis(tmp / f"redis-{n}")
    data = tmp / f"queued-{n}"
    data.mkdir()
    env = fp.env(home=home)
    workers = [
        subprocess.Popen([*CLI, "--data", str(data), "worker", "--queue", url, "--name", f"bench{i}@{n}"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        for i in range(n)
    ]
    try:
        # Ready when every worker answers: Celery's inspection sees them.
        from archiver.config import Settings
        from archiver.distributed.status import queue_status

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if sum(w.online for w in queue_status(Settings(data_dir=data), url).workers) >= n:
                break
            time.sleep(0.5)
        started = time.monotonic()
        done = subprocess.run([*CLI, "--data", str(data), "archive", "--json", "--queue", url, *urls], env=env,
                              capture_output=True, text=True)
        took = time.monotonic() - started
        summary = json.loads(done.stdout)
        assert not summary["errors"], summary["errors"]
        return summary["posts_captured"] / took
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(60)
        redis.terminate()
        redis.wait(30)


def run_ingest(fp: FakePlatform, args: argparse.Namespace, tmp: Path, home: Path) -> tuple[float, float, int]:
    """Results of direct-post tasks, put on the results queue by hand, then written by `ingest`."""
    from archiver.config import Settings
    from archiver.distributed import engine
    from archiver.distributed.tasks import run_job
    from archiver.distributed.wire import Answers, Job, RunInfo
    from tests.conftest import fake_settings

    world = World.sample()
    _, ids = S.add_bench_article(world, 1, "/bench/ingest")
    fp.world = world
    redis, url = start_redis(tmp / "redis-ingest")
    data = tmp / "ingest"
    data.mkdir()
    try:
        os.environ["HOME"] = str(home)
        settings = fake_settings(fp, data)
        # One real result (a live post: data, card, photo, exchanges), sent as many tasks' results.
        job = Job(task="sample", run=RunInfo("sample", "archive", 1), kind="target", answers=Answers(),
                  target=f"https://x.com/AndesObserver/status/{ids[0]}")
        sample = run_job(settings, job, "bench").as_json()
        app = engine.make_app(url, Settings(data_dir=data))
        run = {"key": "bench", "command": "archive", "tasks": args.ingest_results}
        for i in range(args.ingest_results):
            engine.publish(app, engine.results_queue(), {**sample, "task": f"bench-{i}", "run": run})
        done = subprocess.run([*CLI, "--data", str(data), "ingest", "--json", "--queue", url, "--idle-exit", "2"],
                              env=fp.env(home=home), capture_output=True, text=True)
        report = json.loads(done.stdout)
        assert report["written"] == args.ingest_results, report
        return report["rows"] / report["seconds"], report["written"] / report["seconds"], report["rows"]
    finally:
        redis.terminate()
        redis.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10)
    parser.add_argument("--per-article", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--workers", default="1,2,3")
    parser.add_argument("--ingest-results", type=int, default=400)
    parser.add_argument("--skip-capture", action="store_true", help="Only the ingest rate.")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        sys.exit("redis-server is not installed (setup.sh installs it)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    world, _ = world_for(args)
    with FakePlatform(world) as fp:
        fp.latency = args.latency
        home = tmp / "home"
        home.mkdir()
        fp.write_nssdb(home)
        print(f"{os.cpu_count()} CPUs; {args.articles} articles x {args.per_article} posts, {args.latency * 1000:.0f} ms latency")
        if not args.skip_capture:
            run_local(fp, args, tmp / "warm", home)  # untimed: the fake platform draws its photos
            print(f"local run:   {run_local(fp, args, tmp, home):.2f} posts/s")
            for n in (int(x) for x in args.workers.split(",")):
                print(f"{n} worker{'s' if n > 1 else ' '}:   {run_queued(fp, args, tmp, home, n):.2f} posts/s")
        fp.latency = 0.0
        rows, results, total = run_ingest(fp, args, tmp, home)
        print(f"ingest alone: {rows:.0f} rows/s ({results:.0f} results/s, {total} rows, "
              f"{args.ingest_results} results of one post each)")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

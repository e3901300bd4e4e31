"""Sweep throughput: a synthetic archive of N posts swept against the fake platform.

    python bench/bench_sweep.py [--posts 10000] [--latency 0.05] [--concurrency 32] [--sample 300]

The fake platform runs in its own process with the given latency added to every
response. The archive is synthetic (rows written directly, fingerprints matching what
the platform serves, so no post looks edited); every 50th post is deleted, so the
second source is asked too. Concurrency 1 is measured on --sample posts and
extrapolated. Peak memory is the summed RSS of the sweep and its worker processes,
sampled every 100 ms; CPU per check is theirs (sweep CPU) and the fake platform's.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_archive import MemorySampler  # noqa: E402
from tests.fakeplatform import World  # noqa: E402
from tests.fakeplatform import sample as S  # noqa: E402
from tests.synthetic import write_archived_posts  # noqa: E402


def start_platform(posts: int, latency: float) -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakeplatform", "--latency", str(latency), "--sweep-posts", str(posts)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    found: dict[str, str] = {}
    for line in proc.stdout:
        key, _, value = line.strip().partition("=")
        if key in ("PROXY", "CA"):
            found[key] = value
        if len(found) == 2:
            break
    return proc, found


def build_archive(data_dir: Path, posts: int) -> None:
    world = World.sample()
    # archived two months ago, so a real schedule would check them daily; --all checks them now
    write_archived_posts(data_dir, world, S.add_sweep_posts(world, posts))


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_sweep(
    data_dir: Path, env: dict[str, str], concurrency: int, limit: int | None, platform_pid: int
) -> dict[str, float]:
    archiver = str(Path(sys.executable).parent / "archiver")
    command = [archiver, "--data", str(data_dir), "sweep", "--all", "--json", "-c", str(concurrency)]
    if limit:
        command += ["--limit", str(limit)]
    platform_cpu = cpu_seconds(platform_pid)
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        # The sweep and its worker processes, summed: ru_maxrss would give the largest one.
        sampler = MemorySampler(proc.pid, interval=0.1, pss_interval=3600.0).start()
        # wait4's usage covers the sweep and the workers it waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        platform_cpu = cpu_seconds(platform_pid) - platform_cpu
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak_kb = sampler.peak_rss_kb
    if proc.returncode not in (0, 1):
        raise SystemExit(f"sweep failed ({proc.returncode}): {stderr[-2000:]}")
    summary = json.loads(stdout)
    checks = summary["posts_checked"]
    return {
        "checks": checks,
        "wall": wall,
        "rate": checks / wall,
        "peak_mb": peak_kb / 1024,
        "cpu_ms": (usage.ru_utime + usage.ru_stime) / checks * 1000,
        "platform_cpu_ms": platform_cpu / checks * 1000,
        "errors": len(summary["errors"]),
        "deleted": summary["statuses"].get("deleted", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--sample", type=int, default=300, help="posts checked at concurrency 1")
    args = parser.parse_args()

    proc, platform = start_platform(args.posts, args.latency)
    try:
        env = {**os.environ, "HTTPS_PROXY": platform["PROXY"], "SSL_CERT_FILE": platform["CA"], "NO_PROXY": ""}
        print(f"machine: {os.cpu_count()} cores; {args.posts} posts; {args.latency * 1000:.0f} ms added latency; python {sys.executable}")
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for concurrency, limit in ((1, args.sample), (args.concurrency, None)):
                data_dir = Path(tmp) / f"c{concurrency}"
                build_archive(data_dir, args.posts)
                results[concurrency] = run_sweep(data_dir, env, concurrency, limit, proc.pid)
        print(
            f"{'concurrency':>11} {'checks':>7} {'wall s':>8} {'checks/s':>9} {'peak MB':>8} {'errors':>6}"
            f" {'sweep CPU ms/check':>18} {'platform CPU ms/check':>21}"
        )
        for concurrency, r in results.items():
            print(
                f"{concurrency:>11} {r['checks']:>7.0f} {r['wall']:>8.1f} {r['rate']:>9.1f} {r['peak_mb']:>8.0f}"
                f" {r['errors']:>6.0f} {r['cpu_ms']:>18.2f} {r['platform_cpu_ms']:>21.2f}"
            )
        one, many = results[1], results[args.concurrency]
        print(f"concurrency 1 extrapolated to {args.posts} posts: {args.posts / one['rate']:.0f} s")
        print(f"speed-up at {args.concurrency}: {many['rate'] / one['rate']:.1f}x")
        print(f"target >= 400 checks/s at 32: {'met' if many['rate'] >= 400 else 'NOT met'} ({many['rate']:.0f})")
        print(f"target < 200 MB peak: {'met' if many['peak_mb'] < 200 else 'NOT met'} ({many['peak_mb']:.0f} MB)")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()

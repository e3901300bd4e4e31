"""Measure: which process of an archive run grows on an article of hostile tweets, and how far.

    python bench/hostile_tweets_rss.py [--posts 8] [--photos 4] [--size 7000x8000] [--text 20000] [-c N]

Builds an article citing ``--posts`` posts, each with ``--text`` characters of text and
``--photos`` photos of ``--size`` pixels (one drawing shared by all, so the fake platform
holds one), archives it with the real CLI through the fake platform, samples the RSS of
every process in the archiver's tree, and prints each kind's peak (Python, Playwright's
node driver, Chromium's processes, archiver's reader workers). Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_archive import _stat, archiver_script, process_kind, process_tree, rss_kb  # noqa: E402
from tests.fakeplatform import FakePlatform, World  # noqa: E402
from tests.fakeplatform import sample as S  # noqa: E402
from tests.fakeplatform.world import Media, Page, Post, snowflake  # noqa: E402


def hostile_world(posts: int, photos: int, width: int, height: int, text: int) -> tuple[World, str]:
    world = World.sample()
    quotes = []
    words = ("hostile " * (text // 8 + 1))[:text]
    for i in range(posts):
        pid = snowflake(dt.datetime(2023, 2, 1, 12, i, tzinfo=dt.timezone.utc), 0x2A0000 + i)
        # media_id % 100000 is the drawing's seed: one seed, one label, one drawing in the fake.
        media = [Media("photo", 1_600_000_000_000_000_000 + (i * photos + k) * 100_000, f"Hostile{i:03d}x{k}",
                       width, height, label="hostile") for k in range(photos)]
        world.add_post(Post(pid, S.ANDES, f"{words} {i}", dt.datetime(2023, 2, 1, tzinfo=dt.timezone.utc), media=media))
        quotes.append(f'<blockquote class="twitter-tweet"><p>{i}</p>&mdash; Andes Observer (@AndesObserver) '
                      f'<a href="https://twitter.com/AndesObserver/status/{pid}">February 1, 2023</a></blockquote>')
    url = f"{S.NEWS}/hostile/tweets"
    html = "<html><head><title>Hostile tweets</title></head><body>" + "\n".join(quotes) + "</body></html>"
    world.add_page(url, Page(body=html.encode()))
    return world, url


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=8)
    parser.add_argument("--photos", type=int, default=4)
    parser.add_argument("--size", default="7000x8000")
    parser.add_argument("--text", type=int, default=20000)
    parser.add_argument("-c", "--concurrency", type=int)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    world, url = hostile_world(args.posts, args.photos, width, height, args.text)
    workdir = Path(tempfile.mkdtemp(prefix="archiver-hostile-"))
    with FakePlatform(world, latency=0.0) as fp:
        home = workdir / "home"
        fp.write_nssdb(home)
        # Draw the photo once before timing: the fake platform's cost, not the archiver's.
        from tests.fakeplatform import media as media_gen

        media_gen.jpeg("hostile", width, height, 0, False, "orig")
        command = [*archiver_script(), "--data", str(workdir / "data"), "archive", "--json"]
        command += ["-c", str(args.concurrency)] if args.concurrency else []
        peaks: dict[int, tuple[str, int]] = {}
        parents: dict[int, int] = {}
        stop = threading.Event()
        proc = subprocess.Popen([*command, url], env=fp.env(home=home), stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def sample() -> None:
            import os

            while not stop.is_set():
                for name in os.listdir("/proc"):
                    if name.isdigit() and int(name) not in parents:
                        found = _stat(int(name))
                        if found is not None:
                            parents[int(name)] = found[0]
                for pid in process_tree(proc.pid, parents):
                    rss = rss_kb(pid)
                    kind = peaks[pid][0] if pid in peaks else process_kind(pid)
                    if "archiver.steps.reader" in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace") if Path(f"/proc/{pid}/cmdline").exists() else False:
                        kind = "python reader"
                    if rss > peaks.get(pid, ("", 0))[1]:
                        peaks[pid] = (kind, rss)
                stop.wait(0.05)

        thread = threading.Thread(target=sample, daemon=True)
        began = time.perf_counter()
        thread.start()
        out, err = proc.communicate()
        stop.set()
        thread.join()
        print(f"{args.posts} posts x {args.photos} photos of {width}x{height}, {args.text} chars of text each: "
              f"{time.perf_counter() - began:.1f} s, exit {proc.returncode}")
        print(out.decode(errors="replace")[-600:])
        by_kind: dict[str, int] = {}
        for kind, rss in peaks.values():
            by_kind[kind] = max(by_kind.get(kind, 0), rss)
        for kind, rss in sorted(by_kind.items(), key=lambda kv: -kv[1]):
            print(f"  peak RSS {rss / 1024:7.0f} MB  {kind}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

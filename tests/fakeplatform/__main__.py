"""Run the fake platform in the foreground: ``python -m tests.fakeplatform``.

Prints ``PROXY=…`` and ``CA=…`` lines (for shell scripts) and the article URLs, then
serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from . import sample
from .server import FakePlatform
from .world import World


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeplatform", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="listen port (default: any free port)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added before every response")
    parser.add_argument("--nssdb-home", type=Path, help="write DIR/.pki/nssdb trusting the CA (run Chromium with HOME=DIR)")
    parser.add_argument("--bench-embeds", type=int, default=0, help="also add an article with N one-photo embeds")
    parser.add_argument("--sweep-posts", type=int, default=0, help="also add N text-only posts (sample.add_sweep_posts)")
    args = parser.parse_args(argv)
    # Dozens of connection threads share one GIL: with the default 5 ms switch interval a
    # thread ready to answer can wait several intervals, which adds latency no real
    # platform has. Run on its own, the fake may switch threads more often.
    sys.setswitchinterval(0.0005)

    world = World.sample()
    bench_url = sample.add_bench_article(world, args.bench_embeds)[0] if args.bench_embeds else None
    if args.sweep_posts:
        sample.add_sweep_posts(world, args.sweep_posts)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with FakePlatform(world, latency=args.latency, port=args.port) as fp:
        print(f"PROXY={fp.proxy_url}")
        print(f"CA={fp.ca_pem_path}")
        if args.nssdb_home:
            print(f"NSSDB={fp.write_nssdb(args.nssdb_home)}")
        articles = [url for url in world.pages if "/bad/" not in url] + list(sample.BAD_URLS.values())
        for url in dict.fromkeys(articles):
            print(f"ARTICLE={url}")
        if bench_url:
            print(f"BENCH={bench_url}")
        sys.stdout.flush()
        while not stop.wait(1.0):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

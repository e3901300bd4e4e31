"""Benchmark: what RFC 3161 stamping adds to a run when the TSA answers in 50 ms (issue 16).

    .venv/bin/python bench/bench_timestamp.py [--runs 15] [--latency 0.05]

The fake platform (in this process) serves the posts and a real TSA (`openssl ts -reply`,
``tests/fakeplatform/tsa.py``) that takes ``--latency`` seconds per answer, all told.
Two measures, both through the library on a real archive:

- **the stamping step alone**: new log entries (an archive run of a post, without a TSA),
  then ``timestamps.stamp(store, run_id)`` timed as the end of a run calls it: the
  request built, sent through archiver's client, the answer checked and stored;
- **whole runs**: ``archive --recapture`` of a post that needs no browser, alternately
  with and without the TSA configured; the difference of the medians.

Prints figures and whether the target (under 0.2 s added) is met; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import archiver  # noqa: E402
from archiver.evidence import timestamps  # noqa: E402
from archiver.steps.store import Store  # noqa: E402
from tests.conftest import fake_settings  # noqa: E402
from tests.fakeplatform import FakePlatform, World  # noqa: E402
from tests.fakeplatform import sample as S  # noqa: E402
from tests.fakeplatform.tsa import FakeTsa  # noqa: E402

TARGET_S = 0.2
POST = f"https://x.com/AndesObserver/status/{S.DELETED_ID}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the TSA takes to answer")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-timestamp-"))
    with FakePlatform(World.sample()) as fp:
        tsa = FakeTsa(work / "tsa")
        tsa.latency = args.latency
        fp.services[tsa.host] = tsa
        plain = fake_settings(fp, work / "captures")
        stamped = replace(plain, tsas=(tsa.config("bench-tsa"),))
        archiver.archive([POST], stamped)  # untimed: first run, first stamp (cold openssl, cold imports)

        step = []
        for _ in range(args.runs):
            archiver.archive([POST], plain, recapture=True)  # new entries to stamp
            store = Store(stamped)
            try:
                run_id = store.start_run("bench")
                started = time.perf_counter()
                done = asyncio.run(timestamps.stamp(store, run_id))
                step.append(time.perf_counter() - started)
                assert len(done.stamps) == 1, done.warnings
                store.finish_run(run_id)
            finally:
                store.close()

        with_tsa, without = [], []
        for _ in range(args.runs):
            for settings, times in ((stamped, with_tsa), (plain, without)):
                started = time.perf_counter()
                summary = archiver.archive([POST], settings, recapture=True)
                times.append(time.perf_counter() - started)
                assert summary.ok and not summary.warnings, (summary.errors, summary.warnings)
        report = archiver.verify(stamped)
        assert report.ok, [p.line() for p in report.problems]

    def fmt(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    added = statistics.median(with_tsa) - statistics.median(without)
    print(f"TSA answering in {args.latency * 1000:.0f} ms; {args.runs} runs each")
    print(f"stamping step alone:   {fmt(step)}")
    print(f"run with a TSA:        {fmt(with_tsa)}")
    print(f"run without:           {fmt(without)}")
    print(f"added to a run:        {added * 1000:.0f} ms (difference of medians)")
    met = statistics.median(step) < TARGET_S and added < TARGET_S
    print(f"target under {TARGET_S * 1000:.0f} ms added: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

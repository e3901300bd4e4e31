"""The finder on real saved pages: recall, precision and the time each page takes to scan.

    .venv/bin/python bench/bench_find.py [PAGES]   # PAGES: default ../shared/realpages

PAGES is a folder of saved pages with ``expected.json`` and ``measure.py`` beside them
(the shared real-page corpus; it is not part of the repository). Its ``measure.py``
counts recall and precision for this checkout; this script runs it, then times
:func:`archiver.find_embeds` on every page, placement included (best of 3 runs, after
one untimed run that pays for imports), and prints the slowest pages. Targets: Twitter
recall and precision >= 98 %, no page over 1 s. Prints whether each is met; exits 0
either way, and 0 with a note when the corpus is absent.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.98
TARGET_SECONDS = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pages", nargs="?", default=str(ROOT.parent / "shared" / "realpages"))
    parser.add_argument("--slowest", type=int, default=5)
    args = parser.parse_args()
    pages = Path(args.pages)
    if not (pages / "expected.json").is_file() or not (pages / "measure.py").is_file():
        print(f"no corpus at {pages}: nothing to measure")
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "measure.json"
        run = subprocess.run(
            [sys.executable, str(pages / "measure.py"), "--project", str(ROOT), "--quiet", "--json", str(out)],
            capture_output=True, text=True, check=False,
        )
        summary = [line for line in run.stdout.splitlines() if line.startswith("twitter recall")]
        print(summary[-1] if summary else run.stdout + run.stderr)
        totals = json.loads(out.read_text())["totals"] if out.exists() else None
    if totals:
        found = totals["found"] + totals["found_noid"]
        recall = found / max(1, totals["exp"] + totals["exp_noid"])
        precision = found / max(1, found + totals["extra"])
        print(f"recall {recall:.1%}, precision {precision:.1%}: "
              f"{'met' if min(recall, precision) >= TARGET_RATIO else 'NOT met'} (target {TARGET_RATIO:.0%})")

    sys.path.insert(0, str(ROOT))
    from archiver import find_embeds

    expected = json.loads((pages / "expected.json").read_text(encoding="utf-8"))["pages"]
    timings: list[tuple[float, str, int, int]] = []
    for slug, info in expected.items():
        text = (pages / slug).read_bytes().decode("utf-8", errors="replace")
        find_embeds(text, "text/html", info.get("url"))
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            embeds = find_embeds(text, "text/html", info.get("url"))
            best = min(best, time.perf_counter() - start)
        timings.append((best, slug, len(text), sum(e.placement == "page" for e in embeds)))
    timings.sort(reverse=True)
    print(f"\nslowest of {len(timings)} pages (seconds, best of 3):")
    for seconds, slug, size, page in timings[: args.slowest]:
        print(f"  {seconds:6.3f}  {size / 1e6:5.2f} MB  {slug}" + (f"  ({page} page embeds)" if page else ""))
    worst = timings[0][0] if timings else 0.0
    print(f"slowest {worst:.3f} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'} (target {TARGET_SECONDS:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark `archiver verify` against `sha256sum` over the same files, in the same run.

Builds a synthetic archive of random blobs (default 2 GB, sizes like real captures: many
small API answers and images, some multi-megabyte videos), then times, best of --repeat:

- `sha256sum` over every file (one process, as a user would check by hand), and
- `archiver.evidence.verify.verify()` (re-hash every file + check the log).

Both read from the page cache after a first untimed pass, so the comparison is of hashing,
not of the disk. Prints MB/s of each and verify's share of sha256sum's throughput (target:
at least 80 %). Asserts nothing.

    python bench/bench_verify.py [--size-mb 2048] [--dir /tmp] [--repeat 2] [--jobs N]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from archiver.plumbing.blobs import BlobStore
from archiver.config import Settings
from archiver.plumbing.db import open_db, utcnow
from archiver.evidence.chain import append_entries
from archiver.evidence.verify import verify

SIZES = [(40_000, 0.55), (300_000, 0.3), (2_000_000, 0.1), (24_000_000, 0.05)]
"""(bytes, share of files): JSON answers, photos and screenshots, posters, videos."""


def build(data_dir: Path, total: int) -> list[Path]:
    store = BlobStore(data_dir)
    conn = open_db(data_dir / "archive.db")
    rng = random.Random(5)
    written = 0
    files: list[Path] = []
    rows = []
    while written < total:
        size = rng.choices([s for s, _ in SIZES], [w for _, w in SIZES])[0]
        size = min(size, total - written) or 1
        data = os.urandom(size)
        blob = store.put(data, "application/octet-stream")
        rows.append((blob.sha256, blob.path, blob.bytes, blob.mime, utcnow()))
        files.append(data_dir / blob.path)
        written += size
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT OR IGNORE INTO blobs (sha256, path, bytes, mime, created_at) VALUES (?, ?, ?, ?, ?)", rows)
    append_entries(conn, "blobs", conn.execute("SELECT * FROM blobs ORDER BY rowid").fetchall())  # as archiver logs them
    conn.execute("COMMIT")
    conn.close()
    return files


def time_sha256sum(files: list[Path]) -> float:
    listing = b"\0".join(str(f).encode() for f in files)
    started = time.perf_counter()
    subprocess.run(["xargs", "-0", "sha256sum"], input=listing, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def time_openssl(files: list[Path]) -> float:
    listing = b"\0".join(str(f).encode() for f in files)
    started = time.perf_counter()
    subprocess.run(["xargs", "-0", "openssl", "dgst", "-sha256"], input=listing, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=2048)
    parser.add_argument("--dir", default=None, help="where to build the synthetic archive (default: a temp dir)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=None, help="verify's hashing threads (default: its own)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    total = args.size_mb * 1024 * 1024
    free = shutil.disk_usage(args.dir or tempfile.gettempdir()).free
    if free < total * 1.2:
        raise SystemExit(f"only {free / 2**30:.1f} GiB free; pass a smaller --size-mb")
    root = Path(tempfile.mkdtemp(prefix="bench-verify-", dir=args.dir))
    try:
        t = time.perf_counter()
        files = build(root, total)
        size = sum(f.stat().st_size for f in files)
        print(f"synthetic archive: {len(files)} files, {size / 1e6:.0f} MB in {root} (built in {time.perf_counter() - t:.1f} s)")
        print(f"cpus: {os.cpu_count()}; hashlib: {hashlib.sha256().name} via OpenSSL")
        time_sha256sum(files)  # untimed: warm the page cache
        sums, verifies, openssls = [], [], []
        for _ in range(args.repeat):
            sums.append(time_sha256sum(files))
            if shutil.which("openssl"):
                openssls.append(time_openssl(files))
            t = time.perf_counter()
            report = verify(Settings(data_dir=root), workers=args.jobs)
            verifies.append(time.perf_counter() - t)
            assert report.ok, [p.line() for p in report.problems[:5]]
        best_sum, best_verify = min(sums), min(verifies)
        sum_rate, verify_rate = size / best_sum / 1e6, size / best_verify / 1e6
        print(f"sha256sum:       {best_sum:6.2f} s  {sum_rate:7.0f} MB/s   (runs: {', '.join(f'{s:.2f}' for s in sums)})")
        print(f"archiver verify: {best_verify:6.2f} s  {verify_rate:7.0f} MB/s   (runs: {', '.join(f'{s:.2f}' for s in verifies)})")
        if openssls:
            # sha256sum may lack SHA-NI (older coreutils); OpenSSL, which hashlib uses, has it.
            best = min(openssls)
            print(f"openssl dgst:    {best:6.2f} s  {size / best / 1e6:7.0f} MB/s   (single thread, for reference)")
        share = verify_rate / sum_rate
        print(f"verify / sha256sum throughput: {share:.0%}  (target >= 80%: {'met' if share >= 0.8 else 'NOT met'})")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Browsing speed: Datasette with archiver's metadata and plugin on a synthetic archive.

    python bench/bench_serve.py [--posts 100000] [--requests 15]

Writes N posts with a screenshot capture, a thumbnail and an article citation each
(rows written directly through the schema, as a sweep-fed archive would hold them),
then asks Datasette, in process, for the posts list (sorted newest first, with its three
default facets, a thumbnail and a status badge per row), a facet page of article_posts, a
search, a post's page, the articles list, an article's page and the home page. Prints the median and worst of --requests answers each against the
300 ms target. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archiver.browse.serve import make_datasette  # noqa: E402
from archiver.plumbing.db import open_db  # noqa: E402

WORDS = ("Juliaca Puno Arequipa Lima protest police hospital march strike road blockade minister "
         "congress election press video photo dead injured doctor station airport curfew").split()
VOCABULARY = [f"w{n}" for n in range(5000)]
"""Most of a post's words are spread thin; one in each is from WORDS (each in ~4% of posts)."""
AUTHORS = [f"reporter{i}" for i in range(400)]
TARGET_MS = 300.0


def sha(n: int, salt: str) -> str:
    return hashlib.sha256(f"{salt}{n}".encode()).hexdigest()


def build(path: Path, posts: int) -> None:
    conn = open_db(path)
    rng = random.Random(4)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO runs (id, command, started_at, archiver_version) VALUES (1, 'archive', '2026-01-01T00:00:00Z', 'bench')")
    articles = max(1, posts // 8)
    conn.executemany(
        "INSERT INTO articles (id, url, title, first_archived_at) VALUES (?, ?, ?, ?)",
        [(a, f"https://news.example/{a}", f"Article {a} on {rng.choice(WORDS)}", f"2026-01-01T00:{a % 60:02d}:00Z")
         for a in range(1, articles + 1)],
    )
    conn.executemany(
        """INSERT INTO posts (id, platform, native_id, url, author_handle, author_name, text, status,
                              first_archived_at, capture_complete) VALUES (?, 'twitter', ?, ?, ?, ?, ?, ?, ?, 1)""",
        [
            (
                i, str(10**18 + i), f"https://x.com/a/status/{10**18 + i}", author, author.title(),
                " ".join(rng.choice(VOCABULARY) for _ in range(24)) + f" {rng.choice(WORDS)} n{i}",
                "deleted" if i % 50 == 0 else "live", f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T00:00:{i % 60:02d}Z",
            )
            for i in range(1, posts + 1)
            for author in [rng.choice(AUTHORS)]
        ],
    )
    conn.executemany(
        "INSERT INTO article_posts (article_id, post_id, link, form, embed_text, first_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(1 + i % articles, i, f"https://x.com/a/status/{10**18 + i}", "blockquote", f"embed {rng.choice(WORDS)} {i}",
          "2026-01-01T00:00:00Z") for i in range(1, posts + 1)],
    )
    blobs, captures, thumbs = [], [], []
    for i in range(1, posts + 1):
        full, small = sha(i, "shot"), sha(i, "thumb")
        full_path, small_path = f"blobs/{full[:2]}/{full}.png", f"blobs/{small[:2]}/{small}.jpg"
        blobs += [(full, full_path, 90_000, "image/png", "2026-01-01"), (small, small_path, 9_000, "image/jpeg", "2026-01-01")]
        captures.append((i, 1, i, "screenshot", "2026-01-01T00:00:00Z", full, full_path, "image/png", 90_000, 550, 600))
        thumbs.append((i, small, small_path, 320, 349, "image/jpeg", "2026-01-01"))
    conn.executemany("INSERT INTO blobs VALUES (?, ?, ?, ?, ?)", blobs)
    conn.executemany(
        """INSERT INTO captures (id, run_id, post_id, kind, captured_at, sha256, path, mime, bytes, width, height)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        captures,
    )
    conn.executemany("INSERT INTO thumbnails VALUES (?, ?, ?, ?, ?, ?, ?)", thumbs)
    conn.execute("COMMIT")
    # No ANALYZE: archiver never runs it, so the planner works here as on a real archive.
    conn.close()


async def measure(ds: object, path: str, n: int) -> list[float]:
    client = ds.client  # type: ignore[attr-defined]
    first = await client.get(path)
    assert first.status_code == 200, (path, first.status_code, first.text[:500])
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "archive.db"
        start = time.perf_counter()
        build(path, args.posts)
        print(f"synthetic archive: {args.posts:,} posts, captures, thumbnails and citations "
              f"in {time.perf_counter() - start:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
        ds = make_datasette(path)
        pages = {
            "posts table (newest first, 3 facets, thumbnails)": "/archive/posts",
            "facet page (article_posts by article and form)": "/archive/article_posts",
            "facet on author, filtered to deleted": "/archive/posts?status=deleted&_facet=author_handle",
            "search (FTS5)": "/archive/posts?_search=Arequipa",
            "a post's page": f"/archive/posts/{args.posts // 2}",
            "articles list (newest first, counts and fate per row)": "/archive/articles",
            "an article's page (its posts, history, evidence)": f"/archive/articles/{max(1, args.posts // 16)}",
            "home page": "/",
        }

        async def run() -> None:
            for name, url in pages.items():
                times = await measure(ds, url, args.requests)
                median = statistics.median(times)
                verdict = "meets" if median < TARGET_MS else "MISSES"
                print(f"{name:<52} median {median:7.1f} ms  worst {max(times):7.1f} ms  "
                      f"({verdict} the {TARGET_MS:.0f} ms target)  {url}")

        asyncio.run(run())


if __name__ == "__main__":
    main()

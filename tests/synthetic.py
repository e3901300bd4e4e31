"""A synthetic archive: posts written straight into the database, as if archived earlier.

Each row's fingerprint matches what the fake platform serves for the post, so a sweep
sees nothing edited and only checks. Used by the sweep benchmark and sweep tests that
need thousands of posts without rendering thousands of cards.
"""

from __future__ import annotations

from pathlib import Path

from archiver.config import Settings
from archiver.evidence.chain import append_entries
from archiver.plumbing.db import utcnow
from archiver.pipeline import content_fingerprint
from archiver.platforms.twitter.parse import parse_syndication
from archiver.steps.store import Store
from tests.fakeplatform import World
from tests.fakeplatform.syndication import tweet_result


def write_archived_posts(data_dir: Path, world: World, ids: list[int]) -> None:
    """Rows for ``ids`` (posts of ``world``), archived on 2026-09-01, all due now."""
    store = Store(Settings(data_dir=data_dir))
    now = utcnow()
    rows = []
    for pid in ids:
        post = world.posts[pid]
        data = parse_syndication(tweet_result(world, post), str(pid))
        rows.append((
            "twitter", str(pid), f"https://x.com/{post.user.screen_name}/status/{pid}", post.user.screen_name,
            post.user.name, data.text, data.created_at, "live", 1, "2026-09-01T00:00:00Z", now, now,
            content_fingerprint(data),
        ))
    with store.transaction() as c:
        c.executemany(
            """INSERT INTO posts (platform, native_id, url, author_handle, author_name, text, created_at, status,
                                  capture_complete, first_archived_at, last_checked_at, next_check_at,
                                  content_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
        # logged as archiver logs what it writes, so the archive verifies
        marks = ", ".join("?" * len(ids))
        posts = c.execute(f"SELECT * FROM posts WHERE platform = 'twitter' AND native_id IN ({marks}) ORDER BY id",
                          [str(pid) for pid in ids]).fetchall()
        append_entries(c, "posts", posts)
    store.close()

"""A rich archive for the browsing tests, made by the real pipeline against the fake platform.

Three articles are archived, then the world changes and a sweep sees it:

- the Juliaca article: four live posts; then one is deleted, one edited, one suspended;
- the mixed-statuses article: a live post, one deleted before it was ever archived
  (only the newsroom's embed text survives), one protected (a tombstone) and one the
  platform never answers for (unknown);
- the edge-posts article: suspended, withheld, a repost, a pre-2010 post; then the
  article itself answers 410 Gone.

``python -m tests.browse_archive DIR`` builds one into DIR (for looking at it with
``archiver --data DIR serve``).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from archiver.config import Settings
from archiver.pipeline import archive
from archiver import sweep
from tests.conftest import fake_settings
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S

ARTICLES = [S.JULIACA_URL, S.MIXED_STATUSES_URL, S.EDGE_POSTS_URL]
GONE_URL = S.EDGE_POSTS_URL
EDITED_TEXT = "EDIT: corrected count. Police push the march back at the Juliaca bridge; 2 photos."


@dataclass
class RichArchive:
    data_dir: Path
    settings: Settings
    world: World
    ids: dict[int, int]
    """Fake platform id → archiver's posts.id."""
    articles: dict[str, int]
    """Article URL → archiver's articles.id."""

    def archive_native(self, post_id: int) -> int:
        """The platform's id of archiver's post ``post_id``."""
        return next(native for native, pid in self.ids.items() if pid == post_id)

    @property
    def deleted(self) -> int:
        """Deleted by a sweep after it was archived live."""
        return self.ids[S.JULIACA_DOCTOR_ID]

    @property
    def deleted_before_capture(self) -> int:
        return self.ids[S.DELETED_ID]

    @property
    def edited(self) -> int:
        return self.ids[S.JULIACA_MARCH_ID]

    @property
    def suspended_later(self) -> int:
        return self.ids[S.JULIACA_AREQUIPA_ID]

    @property
    def protected(self) -> int:
        return self.ids[S.PROTECTED_ID]

    @property
    def live(self) -> int:
        return self.ids[S.JULIACA_HOSPITAL_ID]

    @property
    def juliaca(self) -> int:
        return self.articles[S.JULIACA_URL]

    @property
    def mixed(self) -> int:
        return self.articles[S.MIXED_STATUSES_URL]

    @property
    def gone(self) -> int:
        return self.articles[GONE_URL]


def rows(data_dir: Path, sql: str, *params: object) -> list[dict[str, object]]:
    conn = sqlite3.connect(data_dir / "archive.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def build(fake_platform: FakePlatform, chromium_home: Path, data_dir: Path) -> RichArchive:
    world = fake_platform.world = World.sample()
    old_home = os.environ.get("HOME")
    os.environ["HOME"] = str(chromium_home)
    try:
        settings = fake_settings(fake_platform, data_dir)
        first = archive(ARTICLES, settings)
        # The transient post stays unknown: that is the one error expected.
        assert all(str(S.TRANSIENT_ID) in e for e in first.errors), first.errors
        world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
        world.posts[S.JULIACA_AREQUIPA_ID].status = "suspended"
        world.posts[S.JULIACA_MARCH_ID].text = EDITED_TEXT
        world.faults[("www.example-news.com", "/articles/edge-posts")] = "410"
        swept = sweep(settings, everything=True)
        unexpected = [e for e in swept.errors if str(S.TRANSIENT_ID) not in e and "410" not in e]
        assert not unexpected, swept.errors
    finally:
        if old_home is not None:
            os.environ["HOME"] = old_home
    ids = {int(str(r["native_id"])): int(str(r["id"])) for r in rows(data_dir, "SELECT id, native_id FROM posts")}
    articles = {str(r["url"]): int(str(r["id"])) for r in rows(data_dir, "SELECT id, url FROM articles")}
    return RichArchive(data_dir, settings, world, ids, articles)


def main(argv: list[str]) -> int:
    import tempfile

    data_dir = Path(argv[0])
    with tempfile.TemporaryDirectory() as home, FakePlatform(World.sample()) as fp:
        fp.write_nssdb(Path(home))
        made = build(fp, Path(home), data_dir)
    print(f"archive in {made.data_dir}: posts {made.ids}, articles {made.articles}")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))

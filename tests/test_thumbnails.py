"""Thumbnails (Pillow) and the browsing schema: FTS kept in sync, older archives upgraded."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

from PIL import Image

from archiver.plumbing import db
from archiver.config import Settings
from archiver.steps.store import Citation, Store
from archiver.steps.thumbnails import derive


def png(width: int, height: int, top: str = "red", rest: str = "blue") -> bytes:
    image = Image.new("RGB", (width, height), rest)
    image.paste(Image.new("RGB", (width, 100), top), (0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def make_thumbnail(data: bytes, kind: str) -> tuple[bytes, int, int]:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        thumbnail = derive(image, kind).thumbnail
    assert thumbnail is not None
    return thumbnail


def test_page_screenshot_thumbnail_is_its_top_part_small() -> None:
    data, width, height = make_thumbnail(png(1280, 9000), "page_screenshot")
    with Image.open(io.BytesIO(data)) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (width, height) == (320, 400)
        red, green, blue = thumb.convert("RGB").getpixel((160, 5))  # type: ignore[misc]
        assert red > 200 and blue < 60  # the top of the page, not a squashed whole
    assert len(data) < 20_000


def test_photo_thumbnail_fits_the_box_and_keeps_its_shape() -> None:
    _, width, height = make_thumbnail(png(720, 1280), "photo")
    assert (width, height) == (180, 320)
    _, width, height = make_thumbnail(png(100, 50), "poster")
    assert (width, height) == (100, 50)  # never enlarged


def fts(conn: sqlite3.Connection, word: str) -> list[int]:
    return [r[0] for r in conn.execute("SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid", (word,))]


def test_search_index_follows_inserts_edits_and_embeds(tmp_path: Path) -> None:
    store = Store(Settings(data_dir=tmp_path))
    try:
        run = store.start_run("archive")
        common = dict(platform="twitter", url="https://x.com/a/status/1", status="live", signals={}, complete=True,
                      author_handle="Kawsachun", captures=[])
        post = store.save_post(run, native_id="1", text="Juliaca hospital", **common)  # type: ignore[arg-type]
        assert fts(store.conn, "juliaca") == [post] and fts(store.conn, "kawsachun") == [post]
        store.save_post(run, native_id="1", text="Juliaca clínica", **common)  # type: ignore[arg-type]  # an edit
        assert fts(store.conn, "hospital") == [] and fts(store.conn, "clinica") == [post]
        article, _ = store.save_article(run, "https://news.example/a", final_url=None, title="A", http_status=200,
                                        content_type="text/html", captures=[])
        store.update_citations(run, article, new_article=True, found_links={"l"},
                               cited=[Citation(post, "l", "blockquote", "Newsroom copy: Puno")])
        assert fts(store.conn, "puno") == [post] and fts(store.conn, "clinica") == [post]
    finally:
        store.close()


def test_older_archive_gets_search_index_of_what_it_holds(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    conn = db.connect(path)
    for _, _, migration in db.migrations()[:2]:
        db.executescript(conn, migration.read_text())
    conn.execute("INSERT INTO schema_migrations VALUES (1, 'initial', '2026-01-01T00:00:00Z'), (2, 'sweeps', '2026-01-01T00:00:00Z')")
    conn.execute(
        """INSERT INTO posts (platform, native_id, url, author_handle, text, status, first_archived_at)
           VALUES ('twitter', '5', 'https://x.com/a/status/5', 'a', 'Arequipa police station', 'live', '2026-01-01')"""
    )
    conn.close()
    upgraded = db.open_db(path)
    assert fts(upgraded, "arequipa") == [1]
    fresh = db.open_db(tmp_path / "fresh.db")

    def triggers(c: sqlite3.Connection) -> dict[str, str]:
        return {r[0]: r[1] for r in c.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}

    assert triggers(upgraded) == triggers(fresh) and len(triggers(fresh)) >= 5
    label = upgraded.execute("SELECT label FROM posts").fetchone()[0]
    assert label == "@a: Arequipa police station"

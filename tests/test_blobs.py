import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from archiver.plumbing.blobs import BlobStore
from archiver.config import Settings
from archiver.plumbing.net import Exchange
from archiver.evidence.verify import verify
from archiver.steps.store import CaptureFile, Store
from tests.conftest import assert_files_intact, open_archive


def test_put_is_content_addressed_and_deduplicated(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    data = b"\x89PNG fake bytes"
    blob = store.put(data, "image/png")
    sha = hashlib.sha256(data).hexdigest()
    assert blob.sha256 == sha
    assert blob.path == f"blobs/{sha[:2]}/{sha}.png"
    assert (tmp_path / blob.path).read_bytes() == data
    again = store.put(data, "image/png")
    assert again == blob
    assert len(list((tmp_path / "blobs").rglob("*.png"))) == 1
    assert list(store.tmp_dir.iterdir()) == []


def test_blobs_of_the_older_layout_count_as_stored(tmp_path: Path) -> None:
    # Archives from 0.1 keep their files under blobs/ab/cd/; the same bytes put again,
    # whole, streamed or deferred, are found there and not stored a second time.
    store = BlobStore(tmp_path)
    old = {}
    for data, mime in ((b"an old answer", "application/json"), (b"an old video", "video/mp4"), (b"an old page", "text/html")):
        sha = hashlib.sha256(data).hexdigest()
        legacy = tmp_path / f"blobs/{sha[:2]}/{sha[2:4]}/{sha}{'.json' if 'json' in mime else '.mp4' if 'mp4' in mime else '.html'}"
        legacy.parent.mkdir(parents=True)
        legacy.write_bytes(data)
        old[data] = (legacy, mime)
    data, (legacy, mime) = next(iter(old.items()))
    assert store.put(data, mime).path == legacy.relative_to(tmp_path).as_posix()
    video, (legacy_video, video_mime) = list(old.items())[1]
    writer = store.writer()
    writer.write(video)
    assert writer.commit(video_mime).path == legacy_video.relative_to(tmp_path).as_posix()
    page, (legacy_page, page_mime) = list(old.items())[2]
    assert store.put(page, page_mime, deferred=True).path == legacy_page.relative_to(tmp_path).as_posix()
    store.sync()
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert sorted(files) == sorted(legacy for legacy, _ in old.values())


def test_existing_blob_is_never_rewritten(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    blob = store.put(b"evidence", "text/plain")
    path = tmp_path / blob.path
    before = path.stat()
    time.sleep(0.01)
    store.put(b"evidence", "text/plain")
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_streamed_writer_and_abort(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    writer = store.writer()
    for chunk in (b"a" * 1000, b"b" * 1000):
        writer.write(chunk)
    blob = writer.commit("video/mp4")
    assert blob.bytes == 2000 and blob.path.endswith(".mp4")
    aborted = store.writer()
    aborted.write(b"partial")
    aborted.abort()
    assert list(store.tmp_dir.iterdir()) == []


def test_clean_tmp_removes_only_old_leftovers(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    old = store.tmp_dir / ".tmp-old"
    young = store.tmp_dir / ".tmp-young"
    old.write_bytes(b"x")
    young.write_bytes(b"y")
    an_hour_ago = time.time() - 7200
    os.utime(old, (an_hour_ago, an_hour_ago))
    store.clean_tmp()
    assert not old.exists() and young.exists()


def test_deferred_put_is_in_place_only_after_sync(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.put(b'{"id_str": "1"}', "application/json", deferred=True)
    twice = store.put(b'{"id_str": "1"}', "application/json", deferred=True)
    other = store.put(b'{"id_str": "2"}', "application/json", deferred=True)
    assert first == twice
    assert not (tmp_path / first.path).exists() and not (tmp_path / other.path).exists()
    assert len(list(store.tmp_dir.iterdir())) == 3
    store.sync()
    assert (tmp_path / first.path).read_bytes() == b'{"id_str": "1"}'
    assert (tmp_path / other.path).read_bytes() == b'{"id_str": "2"}'
    assert list(store.tmp_dir.iterdir()) == []
    store.sync()  # nothing pending: nothing to do


def test_deferred_put_of_a_stored_blob_leaves_it_alone(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    blob = store.put(b"evidence", "text/plain")
    before = (tmp_path / blob.path).stat()
    assert store.put(b"evidence", "text/plain", deferred=True) == blob
    store.sync()
    after = (tmp_path / blob.path).stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)


def test_a_transaction_places_deferred_files_before_its_rows(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = Store(settings)
    run_id = store.start_run("test")
    blob = store.blobs.put(b'{"id_str": "7"}', "application/json", deferred=True)
    store.record_exchange(run_id, "http", Exchange("https://example.com/a", "GET", 200, [], "2026-01-01T00:00:00Z", blob))
    assert not (tmp_path / blob.path).exists()
    store.flush()
    assert (tmp_path / blob.path).exists()
    assert open_archive(settings).execute("SELECT count(*) FROM exchanges").fetchone()[0] == 1
    assert assert_files_intact(settings) == 1
    store.close()


# --------------------------------------------------------------------------- one file per hash, settled files


def _exchange(blob: object) -> Exchange:
    return Exchange("https://example.com/a", "GET", 200, [], "2026-01-01T00:00:00Z", blob)  # type: ignore[arg-type]


def test_the_same_bytes_under_another_type_are_found_where_the_archive_keeps_them(tmp_path: Path) -> None:
    store = Store(Settings(data_dir=tmp_path))
    run_id = store.start_run("test")
    first = store.blobs.put(b"<p>words</p>", "text/html")
    store.record_exchange(run_id, "http", _exchange(first))
    store.flush()
    assert store.blobs.put(b"<p>words</p>", "text/plain").path == first.path
    assert store.blobs.put(b"<p>words</p>", "application/octet-stream", deferred=True).path == first.path
    writer = store.blobs.writer()
    writer.write(b"<p>words</p>")
    assert writer.commit(None).path == first.path
    store.blobs.sync()
    store.close()
    files = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert files == [tmp_path / first.path]
    assert verify(Settings(data_dir=tmp_path)).ok


def test_two_runs_racing_to_store_the_same_bytes_under_two_types_keep_one_file(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    one, two = Store(settings), Store(settings)
    run_one, run_two = one.start_run("archive"), two.start_run("archive")
    # Both look before either records: each places its own file.
    html = one.blobs.put(b"<p>same</p>", "text/html")
    text = two.blobs.put(b"<p>same</p>", "text/plain")
    assert html.path != text.path
    kw = dict(final_url=None, title=None, http_status=200, content_type=None)
    one.save_article(run_one, "https://example.com/a", captures=[CaptureFile("html", html, "text/html")], **kw)  # type: ignore[arg-type]
    two.save_article(run_two, "https://example.com/a", captures=[CaptureFile("html", text, "text/plain")], **kw)  # type: ignore[arg-type]
    captured = {r[0] for r in open_archive(settings).execute("SELECT path FROM captures")}
    assert captured == {html.path}
    two.close()
    one.close()
    assert not (tmp_path / text.path).exists()
    assert verify(settings).ok


LEAVE_FILES_AND_DIE = """
import os, sys
from pathlib import Path
from archiver.config import Settings
from archiver.steps.store import Store
store = Store(Settings(data_dir=Path(sys.argv[1])))
store.blobs.put(b"placed, then the run died before its row", "image/png")
store.blobs.put(b"<p>same</p>", "text/plain")
os._exit(9)
"""


def test_files_a_dead_run_placed_are_settled_by_the_next_store(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    store = Store(settings)
    run_id = store.start_run("archive")
    done = subprocess.run([sys.executable, "-c", LEAVE_FILES_AND_DIE, str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 9, done.stderr
    report = verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    assert any("not recorded yet" in n for n in report.notes), report.notes
    # This run, open since before the other died, stores the same bytes as text/html.
    kept = store.blobs.put(b"<p>same</p>", "text/html")
    store.record_exchange(run_id, "http", _exchange(kept))
    store.close()
    Store(settings).close()  # the next run settles the dead one's files
    report = verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    assert not any("not recorded yet" in n for n in report.notes), report.notes
    assert list((tmp_path / "journals").iterdir()) == []
    paths = {r[0] for r in open_archive(settings).execute("SELECT path FROM blobs")}
    assert len(paths) == 2 and kept.path in paths  # the dead run's card recorded, its copy removed
    assert {p.relative_to(tmp_path).as_posix() for p in (tmp_path / "blobs").rglob("*") if p.is_file()} == paths


def test_a_live_runs_files_are_left_to_it(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    live = Store(settings)
    blob = live.blobs.put(b"a card whose post is being saved", "image/png")
    Store(settings).close()  # another run opens and closes meanwhile
    assert (tmp_path / blob.path).exists()
    assert open_archive(settings).execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
    assert verify(settings).ok
    live.close()
    assert open_archive(settings).execute("SELECT path FROM blobs").fetchall()[0][0] == blob.path
    assert verify(settings).ok

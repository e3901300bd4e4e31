"""Blobs in a store every machine reaches: a shared directory, or S3-compatible storage
(moto's S3 server on loopback, tests/s3server.py), against the fake platform."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from archiver import api
from archiver.config import Settings
from archiver.errors import ConfigError, StoreError
from archiver.evidence.verify import verify
from archiver.pipeline import archive
from archiver.plumbing.blobstores import (
    SMALL_PUT, DirectoryStorage, S3Storage, blob_from_ref, blob_ref, hash_stream, open_storage, storage_for,
    worker_blobs,
)
from tests.conftest import fake_settings
from tests.fakeplatform import FakePlatform
from tests.fakeplatform import sample as S
from tests.processes import kill_tree
from tests.s3server import BUCKET, Relay, S3Server, s3_server

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]
GIVE_UP_AFTER = 180.0


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture
def s3_env(s3: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    for name, value in s3.env().items():
        monkeypatch.setenv(name, value)
    return s3


def shared_location(tmp_path: Path) -> str:
    shared = tmp_path / "nfs" / "blobs"
    shared.mkdir(parents=True)
    return shared.as_uri()


def s3_location(tmp_path: Path) -> str:
    return f"s3://{BUCKET}/{tmp_path.name}/blobs"


def stored_bytes(settings: Settings, s3: S3Server, key: str) -> bytes:
    """A stored file's bytes, read from outside archiver (boto3, or the file system)."""
    assert settings.blob_store is not None
    rest = key.removeprefix("blobs/")
    if settings.blob_store.startswith("s3://"):
        prefix = settings.blob_store.removeprefix(f"s3://{BUCKET}/")
        return s3.read(f"{prefix}/{rest}")
    return (Path(settings.blob_store.removeprefix("file://")) / rest).read_bytes()


def blob_rows(settings: Settings) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute("SELECT sha256, path, bytes, mime FROM blobs").fetchall()
    finally:
        conn.close()


def count(settings: Settings, sql: str) -> int:
    conn = sqlite3.connect(settings.db_path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


def serve_get(settings: Settings, paths: list[str]) -> list[httpx.Response]:
    """GET ``paths`` from the Datasette ``archiver serve`` runs, in this process."""
    from archiver.browse.serve import make_datasette

    ds = make_datasette(settings.db_path, settings.blob_store)

    async def fetch() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=ds.app())
        async with httpx.AsyncClient(transport=transport, base_url="http://archive.test") as client:
            return [await client.get(p) for p in paths]

    return asyncio.run(fetch())


@pytest.mark.parametrize("kind", ["s3", "shared directory"])
def test_an_article_archived_into_a_shared_store_verifies_serves_exports_and_backs_up(
    kind: str, tmp_path: Path, settings: Settings, s3_env: S3Server
) -> None:
    location = s3_location(tmp_path) if kind == "s3" else shared_location(tmp_path)
    settings = replace(settings, blob_store=location)
    summary = archive([S.JULIACA_URL], settings)
    assert summary.ok, summary.errors
    assert summary.posts_captured == len(S.JULIACA_IDS)
    # A sweep stores its answers deferred, and uploads them together before their rows.
    checks = count(settings, "SELECT count(*) FROM status_checks")
    swept = api.sweep(settings, everything=True)
    assert swept.ok, swept.errors
    assert count(settings, "SELECT count(*) FROM status_checks") >= checks + len(S.JULIACA_IDS)

    # Nothing stored beside the database: every file is in the store, whole.
    assert not (settings.data_dir / "blobs").exists()
    rows = blob_rows(settings)
    assert len(rows) > 10
    for row in rows:
        data = stored_bytes(settings, s3_env, row["path"])
        assert hashlib.sha256(data).hexdigest() == row["sha256"] and len(data) == row["bytes"], row["path"]
    if kind == "s3":
        assert list((settings.data_dir / "staging").glob("cache-*")) == [], "local copies go when the run ends"
        assert s3_env.unfinished_uploads() == []

    report = verify(settings)
    assert report.problems == [], [p.line() for p in report.problems]
    assert report.files == len(rows)
    # The same archive read without its store setting has lost every file: the setting matters.
    assert {p.kind for p in verify(Settings(data_dir=settings.data_dir)).problems} == {"missing"}

    # serve: the post's page shows its card, and the card and its files download from the store.
    post = sqlite3.connect(settings.db_path).execute(
        "SELECT id FROM posts WHERE native_id = ?", (str(S.JULIACA_IDS[0]),)
    ).fetchone()[0]
    page, = serve_get(settings, [f"/archive/posts/{post}"])
    assert page.status_code == 200
    files = sorted(set(re.findall(r"/-/archiver/(blobs/[0-9a-f/]+\.[a-z0-9]+)", page.text)))
    screenshots = [r["path"] for r in rows if r["path"] in files and r["mime"] == "image/png"]
    assert screenshots, "the card's screenshot is on the page"
    served = serve_get(settings, [f"/-/archiver/{f}" for f in files] + [f"/-/archiver/evidence/post/{post}.wacz"])
    for path, response in zip(files, served, strict=False):
        assert response.status_code == 200, path
        assert response.content == stored_bytes(settings, s3_env, path), path
    assert served[-1].status_code == 200 and served[-1].content[:2] == b"PK", served[-1].text[:200]
    assert served[files.index(screenshots[0])].headers["content-type"] == "image/png"

    # export and backup read the files from the store too.
    out = tmp_path / "all.wacz"
    done = api.export(settings, out)
    assert done.pages >= 1
    with zipfile.ZipFile(out) as z:
        assert "archive/data.warc.gz" in z.namelist()
    backup = api.backup(settings, tmp_path / "backup")
    assert backup.problems == [] and backup.files == len(rows)
    assert verify(Settings(data_dir=tmp_path / "backup")).problems == []


def test_a_worker_without_a_database_writes_blobs_once_and_hands_back_references(
    tmp_path: Path, s3_env: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    relay = Relay(target=_host_port(s3_env.endpoint))
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", relay.endpoint)
        location = s3_location(tmp_path)
        data = b"\x89PNG a rendered card" * 1000
        sha = hashlib.sha256(data).hexdigest()
        refs = []
        for home in ("worker-1", "worker-2"):  # two machines, each with its own home
            blobs = worker_blobs(Settings(data_dir=tmp_path / home, blob_store=location))
            try:
                refs.append(blob_ref(blobs.put(data, "image/png")))
                deferred = blobs.put(b'{"answer": 1}', "application/json", deferred=True)
                blobs.sync()
                refs.append(blob_ref(deferred))
            finally:
                blobs.close(settled=True)
            assert not (tmp_path / home / "journals").exists(), "a worker keeps no journal: it records nothing"
        assert refs[0] == refs[2] == {"sha256": sha, "path": f"blobs/{sha[:2]}/{sha}.png", "bytes": len(data), "mime": "image/png"}
        assert blob_from_ref(refs[0]).path == refs[0]["path"]
        assert relay.puts_to(f"/{sha}.png") == 1, relay.requests
        assert s3_env.read(f"{tmp_path.name}/blobs/{sha[:2]}/{sha}.png") == data
    finally:
        relay.close()
    with pytest.raises(StoreError):
        blob_from_ref({**refs[0], "path": "blobs/00/" + "0" * 64 + ".png"})


def test_large_files_go_up_in_parts_and_come_back_whole(tmp_path: Path, s3_env: S3Server) -> None:
    settings = Settings(data_dir=tmp_path / "worker", blob_store=s3_location(tmp_path))
    big = tmp_path / "video.mp4"
    with big.open("wb") as f:  # over the one-PUT limit: a multipart upload
        for i in range(SMALL_PUT // (1024 * 1024) + 3):
            f.write(hashlib.sha256(str(i).encode()).digest() * 32768)
    sha = hashlib.sha256(big.read_bytes()).hexdigest()
    blobs = worker_blobs(settings)
    try:
        blob = blobs.put_file(big, "video/mp4")
        again = blobs.put_file(big, "video/mp4")  # there already: found, not sent again
    finally:
        blobs.close(settled=True)
    assert blob == again and blob.sha256 == sha and blob.bytes == big.stat().st_size
    assert s3_env.unfinished_uploads() == []
    storage = open_storage(settings)
    try:
        source = storage.open(blob.path)
        try:
            assert hash_stream(source) == (sha, blob.bytes)
        finally:
            source.close()
        local = storage.local_path(blob.path)  # downloaded, for a tool that reads files
        assert hashlib.sha256(local.read_bytes()).hexdigest() == sha
    finally:
        storage.close()
    assert not local.exists(), "local copies go with the storage"


def test_an_upload_killed_midway_leaves_no_object_and_the_next_run_completes(
    tmp_path: Path, fake_platform: FakePlatform, chromium_home: Path, fake_world: object, s3: S3Server
) -> None:
    settings = fake_settings(fake_platform, tmp_path / "captures", blob_store=s3_location(tmp_path))
    relay = Relay(target=_host_port(s3.endpoint), stall_put_over=20_000)
    env = {**fake_platform.env(home=chromium_home), **s3.env(relay.endpoint), "ARCHIVER_BLOB_STORE": str(settings.blob_store)}
    process = subprocess.Popen(
        [*CLI, "--data", str(settings.data_dir), "archive", S.JULIACA_URL],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )
    try:
        assert relay.stalled.wait(GIVE_UP_AFTER), "no upload was large enough to hold back"
        kill_tree(process)  # half of the object sent, the uploader dies
        process.communicate(timeout=30)
    finally:
        kill_tree(process)
        relay.close()
    assert relay.stalled_key is not None
    key = relay.stalled_key.partition("?")[0].removeprefix(f"/{BUCKET}/")
    prefix = f"{tmp_path.name}/blobs/"
    assert key.startswith(prefix), key
    objects = s3.objects(prefix)
    assert key not in objects, "a cut-off upload left an object under its final key"
    # No row names a file the store does not hold.
    if settings.db_path.exists():
        for row in blob_rows(settings):
            assert objects.get(prefix + row["path"].removeprefix("blobs/")) == row["bytes"], row["path"]

    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3.env().items():
            mp.setenv(name, value)
        mp.setenv("HOME", str(chromium_home))
        summary = archive([S.JULIACA_URL], settings)
        assert summary.ok, summary.errors
        report = verify(settings)
    assert report.problems == [], [p.line() for p in report.problems]
    assert list((settings.data_dir / "journals").iterdir()) == [], "the killed run's journal was settled"
    objects = s3.objects(prefix)
    for row in blob_rows(settings):
        assert objects.get(prefix + row["path"].removeprefix("blobs/")) == row["bytes"], row["path"]


def test_the_store_down_is_one_line_naming_the_file_and_leaves_no_row_without_its_file(
    tmp_path: Path, fake_platform: FakePlatform, chromium_home: Path, fake_world: object, s3: S3Server
) -> None:
    settings = fake_settings(fake_platform, tmp_path / "captures", blob_store=s3_location(tmp_path))
    with socket.create_server(("127.0.0.1", 0)) as closed:
        down = f"http://127.0.0.1:{closed.getsockname()[1]}"
    env = {**fake_platform.env(home=chromium_home), **s3.env(down), "ARCHIVER_BLOB_STORE": str(settings.blob_store)}
    done = subprocess.run(
        [*CLI, "--data", str(settings.data_dir), "archive", S.JULIACA_URL],
        env=env, capture_output=True, text=True, timeout=GIVE_UP_AFTER,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, done.stderr
    assert re.search(rf"blob store {re.escape(str(settings.blob_store))}: cannot \w+( \w+)? blobs/[0-9a-f]{{2}}/[0-9a-f]{{64}}\.\w+ \(connection refused\)$", errors[0]), errors[0]
    assert count(settings, "SELECT count(*) FROM blobs") == 0
    assert count(settings, "SELECT count(*) FROM captures") == 0

    # The store back: the same command completes, and the archive verifies clean.
    env.update(s3.env())
    done = subprocess.run(
        [*CLI, "--data", str(settings.data_dir), "archive", S.JULIACA_URL],
        env=env, capture_output=True, text=True, timeout=GIVE_UP_AFTER,
    )
    assert done.returncode == 0, done.stderr
    with pytest.MonkeyPatch.context() as mp:
        for name, value in s3.env().items():
            mp.setenv(name, value)
        assert verify(settings).problems == []


def test_a_shared_directory_that_is_not_mounted_is_refused_not_made(tmp_path: Path) -> None:
    missing = tmp_path / "nfs" / "blobs"
    settings = Settings(data_dir=tmp_path / "captures", blob_store=missing.as_uri())
    with pytest.raises(StoreError, match=r"is not there \(not mounted\?\)"):
        api.archive(["https://example.com/a"], settings)
    assert not missing.exists()
    check = next(c for c in api.doctor(settings).checks if c.name == "blob store")
    assert not check.ok and "not mounted" in check.detail


def test_blob_store_settings(tmp_path: Path) -> None:
    data = tmp_path / "captures"
    default = storage_for(None, data)
    assert isinstance(default, DirectoryStorage) and default.root == data / "blobs" and not default.shared
    same = storage_for((data / "blobs").as_uri(), data)
    assert isinstance(same, DirectoryStorage) and not same.shared
    shared = storage_for("file:///srv/archive/blobs", data)
    assert isinstance(shared, DirectoryStorage) and shared.shared and shared.root == Path("/srv/archive/blobs")
    s3 = storage_for("s3://bucket/some/prefix/", data)
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("bucket", "some/prefix")
    for bad in ("ftp://host/x", "s3:///prefix", "file://server/share", "relative/path", "s3://b/p?endpoint=x"):
        with pytest.raises(ConfigError, match="ARCHIVER_BLOB_STORE"):
            storage_for(bad, data)
    assert Settings.from_env({"ARCHIVER_BLOB_STORE": "s3://b/p"}).blob_store == "s3://b/p"


def _host_port(endpoint: str) -> tuple[str, int]:
    host, _, port = endpoint.removeprefix("http://").partition(":")
    return host, int(port)

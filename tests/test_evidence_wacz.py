"""WACZ export: validated by py-wacz, every response round-trips, the embed page replays."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlite_utils import Database

from archiver.cli import cli
from archiver.config import Settings
from archiver.evidence.wacz import read_back
from archiver.pipeline import archive
from archiver.plumbing.blobs import BlobStore
from archiver.plumbing.db import utcnow
from tests.fakeplatform import sample as S

pytestmark = pytest.mark.usefixtures("fake_world")

ARTICLE = "https://www.example-news.com/2023/01/juliaca"


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, Any]]:
    db = Database(settings.db_path)
    try:
        return list(db.query(sql, params))
    finally:
        db.close()


def wacz_validate(path: Path) -> subprocess.CompletedProcess[str]:
    wacz = Path(sys.executable).with_name("wacz")
    command = [str(wacz)] if wacz.exists() else [sys.executable, "-m", "wacz"]
    return subprocess.run([*command, "validate", "-f", str(path)], check=False, capture_output=True, text=True, timeout=120)


def test_article_export_validates_round_trips_and_replays(settings: Settings, tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    summary = archive([ARTICLE], settings)
    assert summary.ok, summary.errors
    out = tmp_path / "juliaca.wacz"
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "export", "--wacz", str(out), "--article", ARTICLE])
    assert result.exit_code == 0, result.output

    checked = wacz_validate(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Validation succeeded" in checked.stdout

    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"archive/data.warc.gz", "indexes/index.cdx", "pages/pages.jsonl", "datapackage.json",
                "datapackage-digest.json"} <= names
        assert z.getinfo("archive/data.warc.gz").compress_type == zipfile.ZIP_STORED
        package = json.loads(z.read("datapackage.json"))
        for resource in package["resources"]:
            assert resource["hash"] == "sha256:" + hashlib.sha256(z.read(resource["path"])).hexdigest()
        warc = z.read("archive/data.warc.gz")
        pages = [json.loads(line) for line in z.read("pages/pages.jsonl").decode().splitlines()]

    # Every response archiver received is in the WARC with its exact body and status.
    exchanges = rows(settings, "SELECT e.*, b.path FROM exchanges e LEFT JOIN blobs b ON b.sha256 = e.sha256 WHERE e.status IS NOT NULL")
    expected = {(e["url"], e["status"], hashlib.sha256((settings.data_dir / e["path"]).read_bytes() if e["path"] else b"").hexdigest()) for e in exchanges}
    got = set()
    kinds: dict[str, int] = {}
    for record in ArchiveIterator(io.BytesIO(warc)):
        kinds[record.rec_type] = kinds.get(record.rec_type, 0) + 1
        body = record.content_stream().read()
        if record.rec_type == "response":
            assert record.http_headers.get_header("Content-Encoding") is None
            assert record.http_headers.get_header("Content-Length") == str(len(body))
            got.add((record.rec_headers.get_header("WARC-Target-URI"), int(record.http_headers.get_statuscode()),
                     hashlib.sha256(body).hexdigest()))
    assert got == expected
    screenshots = rows(settings, "SELECT count(*) AS n FROM captures WHERE kind IN ('screenshot', 'page_screenshot')")[0]["n"]
    assert kinds["resource"] == screenshots == 5
    assert kinds["metadata"] == 1  # the run's provenance

    # Replay: the embed page as the browser fetched it, served back through the CDXJ index.
    card = rows(settings, "SELECT e.*, b.path FROM exchanges e JOIN blobs b ON b.sha256 = e.sha256 WHERE e.client = 'browser' AND e.url LIKE ? AND e.status = 200",
                f"https://platform.twitter.com/embed/Tweet.html?%id={S.JULIACA_HOSPITAL_ID}%")[0]
    replayed = read_back(out, card["url"])
    assert replayed is not None
    status, headers, body = replayed
    assert status == 200
    assert body == (settings.data_dir / card["path"]).read_bytes()
    assert any(name.lower() == "content-type" and "html" in value for name, value in headers)
    assert card["url"] in {p.get("url") for p in pages}
    assert ARTICLE in {p.get("url") for p in pages}


def test_post_export_is_scoped_and_a_broken_wacz_fails_validation(settings: Settings, tmp_path: Path) -> None:
    assert archive([f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"], settings).ok
    assert archive([f"https://x.com/i/status/{S.GALLERY_ID}"], settings).ok
    out = tmp_path / "doctor.wacz"
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "export", "--wacz", str(out), "--post", str(S.JULIACA_DOCTOR_ID), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["runs"] == 1
    with zipfile.ZipFile(out) as z:
        index = z.read("indexes/index.cdx").decode()
    assert str(S.JULIACA_DOCTOR_ID) in index and str(S.GALLERY_ID) not in index
    assert wacz_validate(out).returncode == 0
    # The validator is not a rubber stamp: a changed index fails its hash check.
    broken = tmp_path / "broken.wacz"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data + b"\n" if item.filename == "indexes/index.cdx" else data)
    assert wacz_validate(broken).returncode != 0
    missing = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "export", "--wacz", str(out), "--post", "999"])
    assert missing.exit_code == 1 and "not in the archive" in missing.output


BIG = 64 * 1024 * 1024
BIG_URL = "https://video.twimg.com/ext_tw_video/1/pu/vid/1280x720/big.mp4"
MEASURE = """
import resource, sys
from pathlib import Path
import archiver, cdxj_indexer, warcio.warcwriter, warcio.archiveiterator
settings = archiver.Settings(data_dir=Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = archiver.export(settings, Path(sys.argv[2]))
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(summary.responses, (after - before) * 1024)
"""


def add_big_response(settings: Settings, run_id: int) -> str:
    """A 64 MiB response body in the blob store, recorded as an exchange of ``run_id``."""
    writer = BlobStore(settings.data_dir).writer()
    for _ in range(BIG // (1024 * 1024)):
        writer.write(os.urandom(1024 * 1024))
    blob = writer.commit("video/mp4")
    db = Database(settings.db_path)
    db["blobs"].insert({"sha256": blob.sha256, "path": blob.path, "bytes": blob.bytes, "mime": blob.mime,
                        "created_at": utcnow()})
    db["exchanges"].insert({"run_id": run_id, "client": "http", "url": BIG_URL, "method": "GET", "status": 200,
                            "headers": json.dumps([["Content-Type", "video/mp4"]]), "started_at": utcnow(),
                            "sha256": blob.sha256, "bytes": blob.bytes})
    db.close()
    return blob.path


def test_export_streams_bodies_and_leaves_no_partial_file(settings: Settings, tmp_path: Path) -> None:
    summary = archive([f"https://x.com/AndesObserver/status/{S.DELETED_ID}"], settings)
    assert summary.ok and summary.run_id is not None
    big_path = add_big_response(settings, summary.run_id)
    out = tmp_path / "exports" / "all.wacz"

    # Streamed: the export's memory does not grow with a 64 MiB body.
    proc = subprocess.run([sys.executable, "-c", MEASURE, str(settings.data_dir), str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    responses, grown = (int(n) for n in proc.stdout.split())
    assert responses >= 3
    assert grown < BIG // 4, f"the export's peak memory grew by {grown / 2**20:.0f} MiB"
    assert wacz_validate(out).returncode == 0
    replayed = read_back(out, BIG_URL)
    assert replayed is not None
    assert hashlib.sha256(replayed[2]).hexdigest() == Path(settings.data_dir / big_path).name.split(".")[0]
    good = out.read_bytes()

    # A stored file gone mid-export: one line, exit 1, the earlier export untouched, no leftovers.
    (settings.data_dir / big_path).unlink()
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "export", "--wacz", str(out)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output and big_path in result.output, result.output
    assert out.read_bytes() == good
    assert sorted(p.name for p in out.parent.iterdir()) == ["all.wacz"]

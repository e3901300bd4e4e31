"""Provenance of real captures against the fake platform, and perceptual hashes."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from PIL import Image

from archiver.cli import cli
from archiver.config import Settings
from archiver.evidence import phash
from archiver.pipeline import archive
from tests.fakeplatform import FakePlatform
from tests.fakeplatform import sample as S

pytestmark = pytest.mark.usefixtures("fake_world")


def rows(settings: Settings, sql: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def test_provenance_lists_exactly_the_requests_the_server_saw(settings: Settings, fake_platform: FakePlatform) -> None:
    fake_platform.clear_requests()
    summary = archive([f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"], settings)
    assert summary.ok, summary.errors
    # Chromium's own background traffic (its updater asks update.googleapis.com even with
    # --disable-component-update) reaches no page and no platform host: the proxy refuses it.
    hosts = fake_platform.world.hosts()
    served = {
        r["url"] for r in fake_platform.requests
        if r["method"] != "CONNECT" and r["status"] is not None and urlsplit(r["url"]).hostname in hosts
    }
    (prov,) = rows(settings, "SELECT * FROM captures WHERE kind = 'provenance'")
    assert prov["run_id"] == summary.run_id and prov["post_id"] is None and prov["article_id"] is None
    document = json.loads((settings.data_dir / prov["path"]).read_text())
    recorded = {e["url"] for e in document["exchanges"]}
    assert recorded == served
    run = rows(settings, "SELECT * FROM runs WHERE id = ?", summary.run_id)[0]
    assert document["tools"]["browser"] == run["browser_version"] and run["browser_version"]
    assert document["tools"]["proxy_host"] == "127.0.0.1"
    assert document["run"]["started_at"] == run["started_at"] <= document["run"]["ended_at"]
    for e in document["exchanges"]:
        assert e["method"] and e["started_at"] and isinstance(e["headers"], list)
        if e["body_sha256"]:
            assert rows(settings, "SELECT bytes FROM blobs WHERE sha256 = ?", e["body_sha256"])[0]["bytes"] == e["body_bytes"]
    files = {(f["kind"], f["sha256"]) for f in document["files"]}
    assert files == {(c["kind"], c["sha256"]) for c in rows(settings, "SELECT * FROM captures WHERE kind != 'provenance'")}

    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "provenance", str(S.JULIACA_DOCTOR_ID)])
    assert result.exit_code == 0, result.output
    photo = rows(settings, "SELECT * FROM captures WHERE kind = 'photo'")[0]
    assert photo["sha256"] in result.output
    assert f"* 200 GET {photo['source_url']}" in result.output
    assert f"Chromium {run['browser_version']}" in result.output
    as_json = json.loads(
        CliRunner().invoke(cli, ["--data", str(settings.data_dir), "provenance", "--json", str(S.JULIACA_DOCTOR_ID)]).output
    )
    shot = next(c for c in as_json["captures"] if c["kind"] == "screenshot")
    assert any("/embed/Tweet.html" in r["url"] and r["client"] == "browser" for r in shot["requests"])
    assert shot["provenance"]["capture_id"] == prov["id"]


def test_runs_that_capture_nothing_have_no_provenance(settings: Settings) -> None:
    archive([f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"], settings)
    again = archive([f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"], settings)  # reused: nothing new
    assert again.posts_reused == 1
    assert not rows(settings, "SELECT * FROM captures WHERE run_id = ?", again.run_id)


def test_hashes_made_at_capture_equal_the_hashes_of_the_files(settings: Settings) -> None:
    # The pipeline hashes the pixels it has decoded anyway (a page for its cards, a photo for
    # its thumbnail): what it records must be the hash of the stored file itself.
    summary = archive([S.JULIACA_URL], settings)
    assert summary.ok, summary.errors
    images = rows(
        settings,
        "SELECT c.kind, c.path, h.hash FROM captures c JOIN image_hashes h ON h.sha256 = c.sha256"
        " WHERE c.kind IN ('photo', 'screenshot', 'page_screenshot')",
    )
    assert {i["kind"] for i in images} == {"photo", "screenshot", "page_screenshot"}
    for image in images:
        assert image["hash"] == phash.dhash(settings.data_dir / image["path"]), image["path"]
    unhashed = rows(
        settings,
        "SELECT count(*) AS n FROM captures c WHERE c.kind IN ('photo', 'screenshot', 'page_screenshot')"
        " AND NOT EXISTS (SELECT 1 FROM image_hashes h WHERE h.sha256 = c.sha256)",
    )
    assert unhashed[0]["n"] == 0


def test_images_get_perceptual_hashes_and_near_duplicates_are_found(settings: Settings, tmp_path: Path) -> None:
    summary = archive([f"https://x.com/i/status/{S.JULIACA_MARCH_ID}"], settings)
    assert summary.ok, summary.errors
    images = rows(settings, "SELECT c.id, c.kind, c.path, h.hash FROM captures c LEFT JOIN image_hashes h ON h.sha256 = c.sha256 WHERE c.kind IN ('photo', 'screenshot')")
    assert len(images) == 3 and all(i["hash"] and len(i["hash"]) == 16 for i in images)
    photo = next(i for i in images if i["kind"] == "photo")
    # A re-upload: smaller and re-encoded harder, as platforms do.
    with Image.open(settings.data_dir / photo["path"]) as original:
        smaller = original.convert("RGB").resize((original.width // 3, original.height // 3))
    reupload = tmp_path / "reupload.jpg"
    buffer = io.BytesIO()
    smaller.save(buffer, "JPEG", quality=40)
    reupload.write_bytes(buffer.getvalue())
    assert phash.distance(phash.dhash(reupload), photo["hash"]) <= 6
    result = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "similar", "--json", str(reupload)])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["matches"]
    assert found[0]["capture_id"] == photo["id"]
    assert all(m["kind"] == "photo" for m in found), "the card screenshot does not look like the photo"
    by_id = CliRunner().invoke(cli, ["--data", str(settings.data_dir), "similar", str(photo["id"]), "--max-distance", "0"])
    assert f"capture {photo['id']}" in by_id.output and by_id.output.startswith(" 0")

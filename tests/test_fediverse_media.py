"""Bluesky media checked against the record: a blob's bytes must be the ones its CID
names; a video whose original blob cannot be had is copied from its HLS stream whole,
with an MP4 remuxed from it and ffmpeg's version in the run."""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3

import pytest

from archiver.config import Settings
from archiver.pipeline import archive
from archiver.platforms.bluesky.cid import NotABlobCid, sha256_of
from tests.conftest import assert_files_intact
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import media as media_gen
from tests.fakeplatform import social_sample as X
from tests.fakeplatform.bluesky import blob_cid


def rows(settings: Settings, sql: str, *params: object) -> list[dict[str, object]]:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def captures(settings: Settings, native_id: str) -> list[dict[str, object]]:
    return rows(settings, "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ? ORDER BY c.id",
                native_id)


def stored(settings: Settings, capture: dict[str, object]) -> bytes:
    return (settings.data_dir / str(capture["path"])).read_bytes()


@pytest.fixture
def world(fake_platform: FakePlatform, fake_world: World) -> World:
    fake_platform.world = world = X.sample_world()
    return world


# ---------------------------------------------------------------------------- CIDs


def test_a_blob_cid_names_the_sha256_of_its_bytes() -> None:
    data = media_gen.jpeg("cid", 64, 48, 1, False, "orig")
    cid = blob_cid(data)
    assert cid.startswith("bafkrei") and len(cid) == 59
    assert sha256_of(cid) == hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256(data).digest()

    def cid_of(prefix: bytes, body: bytes = digest) -> str:
        return "b" + base64.b32encode(prefix + body).decode().lower().rstrip("=")

    for bad, why in [
        ("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG", "multibase 'Q'"),  # CIDv0
        (cid_of(bytes([1, 0x71, 0x12, 32])), "codec 0x71"),  # a record (dag-cbor), not a blob
        (cid_of(bytes([1, 0x55, 0x1E, 32])), "hash 0x1e"),  # blake3
        (cid_of(bytes([1, 0x55, 0x12, 32]), digest[:20]), "digest of 20 bytes"),
        (cid_of(bytes([2, 0x55, 0x12, 32])), "CID version 2"),
        (cid.upper(), "multibase 'B'"),
        (cid_of(bytes([1, 0x55, 0x12, 32]), b""), "digest of 0 bytes"),
        ("b" + "a" * 300, "not a CID"),
        ("bafkrei!!", "not base32"),
        ("", "not a CID"),
    ]:
        with pytest.raises(NotABlobCid, match=why):
            sha256_of(bad)


def test_a_pds_serving_other_bytes_than_the_cid_names_is_a_per_post_error(settings: Settings, world: World) -> None:
    post = world.bluesky.posts[(X.BSKY_PHOTOS.did, X.BSKY_PHOTOS.rkey)]
    post.images[1].served_wrong = True
    summary = archive([X.web_url(post)], settings)
    assert not summary.ok
    [error] = summary.errors
    assert error.startswith(f"post https://bsky.app/profile/{post.did}/post/{post.rkey}: photo incomplete: ")
    assert "its bytes are not the ones the platform names (SHA-256 differs)" in error
    photos = [c for c in captures(settings, X.bsky_id(post)) if c["kind"] == "photo"]
    first, second = (json.loads(str(c["checked_as"])) for c in photos)
    # The first is the original, checked against its CID; the second is not recorded as
    # the original: the CDN's copy stands in, and says why.
    assert stored(settings, photos[0]) == post.images[0].original() and first["sha256_as_named"] is True
    assert stored(settings, photos[1]) == post.images[1].cdn_copy("feed_fullsize")
    assert "SHA-256 differs" in second["substitute"]["because"]
    assert not any(c["sha256"] == hashlib.sha256(post.images[1].served()).hexdigest() for c in photos)
    assert rows(settings, "SELECT capture_complete FROM posts WHERE native_id = ?", X.bsky_id(post))[0]["capture_complete"] == 0
    # Once the PDS serves the right bytes, the original is kept.
    post.images[1].served_wrong = False
    assert archive([X.web_url(post)], settings).ok


# ---------------------------------------------------------------------------- HLS


def test_a_video_whose_original_cannot_be_had_is_copied_from_its_hls_stream(settings: Settings, world: World) -> None:
    post = world.bluesky.posts[(X.BSKY_VIDEO.did, X.BSKY_VIDEO.rkey)]
    assert post.video is not None
    post.video.blob_gone = True
    summary = archive([X.web_url(post)], settings)
    assert summary.ok, summary.errors
    found = captures(settings, X.bsky_id(post))
    videos = [c for c in found if c["kind"] == "video"]
    parts = [c for c in found if c["kind"] == "stream"]
    master, mp4 = videos
    # The master playlist as served, standing in for the original blob, and saying why.
    assert stored(settings, master) == post.video.master_playlist()
    master_as = json.loads(str(master["checked_as"]))
    assert "BlobNotFound" in master_as["substitute"]["because"] or "400" in master_as["substitute"]["because"]
    assert master_as["variant"]["height"] == 360
    # The best variant's playlist and its segments, as served.
    served = media_gen.hls_rendition(post.video.seed, 640, 360)
    assert [stored(settings, c) for c in parts] == [served["video.m3u8"], *(served[f"seg{i}.ts"] for i in range(3))]
    assert {c["source"] for c in parts} == {"hls"}
    # The MP4 to watch, derived from them, and ffmpeg's version in the run.
    assert (mp4["source"], mp4["mime"], mp4["width"], mp4["height"]) == ("remux", "video/mp4", 640, 360)
    mp4_as = json.loads(str(mp4["checked_as"]))
    assert mp4_as["derived_from"] == [master["sha256"], *(c["sha256"] for c in parts)]
    tools = json.loads(str(rows(settings, "SELECT tools FROM runs")[0]["tools"]))
    assert tools["ffmpeg"] == mp4_as["made_with"] and tools["ffmpeg"].startswith("ffmpeg ")
    assert rows(settings, "SELECT capture_complete FROM posts WHERE native_id = ?", X.bsky_id(post))[0]["capture_complete"] == 1
    assert assert_files_intact(settings) > 0
    from archiver.api import verify

    report = verify(settings)
    assert report.ok, report.lines()


def test_a_hostile_hls_stream_is_refused_with_one_clear_line(settings: Settings, world: World,
                                                             fake_platform: FakePlatform) -> None:
    post = world.bluesky.posts[(X.BSKY_VIDEO.did, X.BSKY_VIDEO.rkey)]
    assert post.video is not None
    post.video.blob_gone = True
    post.video.hls_files["360p/video.m3u8"] = (
        "application/vnd.apple.mpegurl",
        b"#EXTM3U\n#EXTINF:1.0,\nseg0.ts\n#EXTINF:1.0,\nhttps://192.168.1.1/admin.ts\n#EXT-X-ENDLIST\n",
    )
    summary = archive([X.web_url(post)], settings)
    [error] = summary.errors
    assert "video incomplete" in error and "address 192.168.1.1 is not public and is refused" in error
    assert "Traceback" not in error
    assert not [r for r in fake_platform.requests_to("video.bsky.app") if r["url"].endswith("seg0.ts")]

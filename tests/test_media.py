"""Media are what they claim: real videos are kept with what ffprobe read of them; HTML,
images and cut-short files served as video are refused with an error for their post.

Whole runs against the fake platform for videos (the way a post's media arrive), and
``copy_media`` through a real Fetcher for the kinds no sample post carries (HLS-only
videos, audio, captions)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.errors import ContentError
from archiver.pipeline import archive
from archiver.platforms.base import MediaItem
from archiver.plumbing.blobs import BlobStore
from archiver.plumbing.net import Fetcher
from archiver.steps.media import PLAYLIST_ONLY, MediaCopy, copy_media
from tests.conftest import open_archive
from tests.fakeplatform import World
from tests.fakeplatform import media as media_gen
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import BytesAsset

POST = S.JULIACA_HOSPITAL_ID
POST_URL = f"https://x.com/KawsachunNews/status/{POST}"


def best_mp4(world: World, post_id: int) -> str:
    """The URL (without query) of the variant archiver copies: the highest bitrate."""
    mp4s = [v for v in world.posts[post_id].media[0].variants() if v["content_type"] == "video/mp4"]
    return str(max(mp4s, key=lambda v: int(str(v["bitrate"])))["url"]).split("?", 1)[0]


def ffprobe_reading(data: bytes, tmp_path: Path) -> dict[str, object]:
    """What ffprobe says of some bytes, asked directly (not through archiver)."""
    file = tmp_path / "probe.bin"
    file.write_bytes(data)
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration:stream=codec_type,width,height", "-of", "json", str(file)],
        check=True, capture_output=True, timeout=60,
    ).stdout
    return dict(json.loads(out))


def test_a_video_is_kept_with_the_size_and_length_ffprobe_reads(settings: Settings, fake_world: World, tmp_path: Path) -> None:
    summary = archive([POST_URL], settings)
    assert summary.ok, summary.errors
    db = open_archive(settings)
    [video] = db.execute(
        "SELECT c.* FROM captures c JOIN posts p ON p.id = c.post_id WHERE p.native_id = ? AND c.kind = 'video'", (str(POST),)
    ).fetchall()
    served = fake_world.media[best_mp4(fake_world, POST)].render(None)
    stored = (settings.data_dir / video["path"]).read_bytes()
    assert stored == served
    reading = ffprobe_reading(served, tmp_path)
    picture = next(s for s in reading["streams"] if s["codec_type"] == "video")  # type: ignore[attr-defined]
    assert (video["width"], video["height"]) == (picture["width"], picture["height"])
    assert video["duration"] == pytest.approx(float(reading["format"]["duration"]))  # type: ignore[index]
    checked = json.loads(video["checked_as"])
    assert checked["tool"].startswith("ffprobe ") and "mp4" in checked["format"].split(",")
    assert "video:h264" in checked["codecs"] and "audio:aac" in checked["codecs"]
    assert db.execute("SELECT capture_complete FROM posts WHERE native_id = ?", (str(POST),)).fetchone()[0] == 1


HOSTILE = {
    "html": (lambda: media_gen.html_page(), "ffprobe cannot read it as video"),
    "truncated": (lambda: media_gen.truncated(media_gen.mp4("cut", 640, 360)), "cut-short video"),
    "jpeg": (lambda: media_gen.jpeg("a photo", 640, 360, 0, False, None), "ffprobe cannot read it as video"),
    "webm-as-mp4": (lambda: media_gen.webm("w", 320, 240), "claims to be video/mp4 but is matroska,webm"),
    "audio-only": (lambda: media_gen.m4a("a"), "holds no video stream"),
}


@pytest.mark.parametrize("variant", list(HOSTILE))
def test_what_is_not_a_video_is_refused_for_its_post(settings: Settings, fake_world: World, variant: str) -> None:
    make, words = HOSTILE[variant]
    bad = make()
    url = best_mp4(fake_world, POST)
    fake_world.media[url] = BytesAsset("video/mp4", bad)
    summary = archive([POST_URL], settings)
    assert not summary.ok
    (line,) = summary.errors
    assert POST_URL in line and url in line and words in line, line
    db = open_archive(settings)
    post = db.execute("SELECT id, capture_complete FROM posts WHERE native_id = ?", (str(POST),)).fetchone()
    assert post["capture_complete"] == 0
    kinds = {r[0] for r in db.execute("SELECT kind FROM captures WHERE post_id = ?", (post["id"],))}
    assert "video" not in kinds and {"data", "screenshot", "poster"} <= kinds
    digest = hashlib.sha256(bad).hexdigest()
    assert db.execute("SELECT count(*) FROM captures WHERE sha256 = ?", (digest,)).fetchone()[0] == 0
    # What the CDN sent is kept as the exchange, as evidence.
    assert db.execute("SELECT count(*) FROM exchanges WHERE sha256 = ?", (digest,)).fetchone()[0] == 1


def test_a_refused_video_is_captured_once_the_cdn_serves_a_real_one(settings: Settings, fake_world: World) -> None:
    url = best_mp4(fake_world, POST)
    good = fake_world.media[url]
    fake_world.media[url] = BytesAsset("video/mp4", media_gen.html_page())
    assert not archive([POST_URL], settings).ok
    fake_world.media[url] = good
    summary = archive([POST_URL], settings)
    assert summary.ok, summary.errors
    db = open_archive(settings)
    assert db.execute("SELECT count(*) FROM captures WHERE kind = 'video'").fetchone()[0] == 1
    assert db.execute("SELECT capture_complete FROM posts WHERE native_id = ?", (str(POST),)).fetchone()[0] == 1


# --------------------------------------------------------------------------- copy_media alone


def copy(settings: Settings, item: MediaItem) -> MediaCopy:
    async def go() -> MediaCopy:
        async with Fetcher(settings, BlobStore(settings.data_dir)) as f:
            return await copy_media(f, settings, item)

    return asyncio.run(go())


def planted(world: World, name: str, content_type: str, data: bytes) -> str:
    url = f"https://video.twimg.com/test/{name}"
    world.media[url] = BytesAsset(content_type, data)
    return url


def test_webm_and_mpeg_ts_are_videos_too(settings: Settings, fake_world: World) -> None:
    webm = copy(settings, MediaItem("video", planted(fake_world, "v.webm", "video/webm", media_gen.webm("w", 320, 240))))
    assert (webm.mime, webm.width, webm.height) == ("video/webm", 320, 240)
    assert webm.duration == pytest.approx(1.0, abs=0.05)  # media_gen.webm encodes one second
    segment = media_gen.mpegts("s", 320, 240)
    ts = copy(settings, MediaItem("video", planted(fake_world, "seg0.ts", "video/mp2t", segment)))
    assert (ts.mime, ts.width, ts.height) == ("video/mp2t", 320, 240)


def test_an_hls_playlist_is_checked_kept_and_reported_as_not_the_whole_video(settings: Settings, fake_world: World) -> None:
    # The sample's master playlist names variants the fake CDN does not serve: the
    # playlist is kept, and the video reported as not copied whole (test_hls.py copies whole ones).
    media = fake_world.posts[S.VIDEO_ID].media[0]
    hls = next(str(v["url"]) for v in media.variants() if "mpegurl" in str(v["content_type"]).lower())
    got = copy(settings, MediaItem("video", hls, content_type="application/x-mpegURL"))
    assert got.shortfall is not None and got.shortfall.startswith(PLAYLIST_ONLY + ": ")
    assert got.shortfall.endswith("variant playlist answered HTTP 404") and got.parts == []
    variants = sum(1 for v in media.variants() if v["content_type"] == "video/mp4" and v.get("bitrate"))
    assert got.checked_as["format"] == "HLS master playlist" and got.checked_as["entries"] == variants
    assert (settings.data_dir / got.blob.path).read_bytes().startswith(b"#EXTM3U")
    # HTML served as a playlist is refused, as is a playlist naming a file: URI.
    login = planted(fake_world, "login.m3u8", "application/x-mpegURL", media_gen.html_page())
    with pytest.raises(ContentError, match="no #EXTM3U header"):
        copy(settings, MediaItem("video", login, content_type="application/x-mpegURL"))
    local = planted(fake_world, "local.m3u8", "application/x-mpegURL", b"#EXTM3U\n#EXTINF:4.0,\nfile:///etc/passwd\n")
    with pytest.raises(ContentError, match="not a web address"):
        copy(settings, MediaItem("video", local, content_type="application/x-mpegURL"))


def test_a_media_playlist_records_the_length_of_its_segments(settings: Settings, fake_world: World) -> None:
    text = b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4.0,\nseg0.ts\n#EXTINF:2.5,\nseg1.ts\n#EXT-X-ENDLIST\n"
    got = copy(settings, MediaItem("video", planted(fake_world, "media.m3u8", "application/vnd.apple.mpegurl", text)))
    assert got.checked_as["format"] == "HLS media playlist" and got.duration == 6.5


def test_audio_is_kept_when_it_is_audio(settings: Settings, fake_world: World) -> None:
    got = copy(settings, MediaItem("audio", planted(fake_world, "a.m4a", "audio/mp4", media_gen.m4a("a", 2.0))))
    assert got.mime == "audio/mp4" and got.duration == pytest.approx(2.0, abs=0.05)
    assert got.capture().duration == got.duration
    with pytest.raises(ContentError, match="ffprobe cannot read it as audio"):
        copy(settings, MediaItem("audio", planted(fake_world, "x.mp3", "audio/mpeg", media_gen.html_page())))
    with pytest.raises(ContentError, match="holds a video stream"):
        copy(settings, MediaItem("audio", planted(fake_world, "v.m4a", "audio/mp4", media_gen.mp4("v", 64, 64))))


def test_captions_are_kept_when_they_parse(settings: Settings, fake_world: World) -> None:
    vtt = media_gen.webvtt(["Protesters arrive at the hospital.", "Police fire tear gas."])
    got = copy(settings, MediaItem("captions", planted(fake_world, "c.vtt", "text/vtt", vtt)))
    assert got.checked_as == {"tool": "archiver", "format": "webvtt", "cues": 2}
    with pytest.raises(ContentError, match="no WEBVTT header"):
        copy(settings, MediaItem("captions", planted(fake_world, "x.vtt", "text/vtt", media_gen.html_page())))
    with pytest.raises(ContentError, match="expected captions"):
        copy(settings, MediaItem("captions", planted(fake_world, "x.txt", "text/html", vtt)))


def test_without_ffprobe_a_video_is_an_error_not_a_capture(
    settings: Settings, fake_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = planted(fake_world, "v.mp4", "video/mp4", media_gen.mp4("v", 64, 64))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # a machine without ffmpeg
    with pytest.raises(ContentError, match="cannot check video: ffprobe not installed"):
        copy(settings, MediaItem("video", url))


def test_doctor_says_when_ffprobe_is_missing_and_how_to_get_it(tmp_path: Path) -> None:
    import os
    import sys

    from archiver.plumbing.browser import find_browser

    browser = find_browser(Settings()).path
    assert browser, "the tests need a system Chromium"
    (tmp_path / "empty").mkdir()
    env = {**os.environ, "PATH": str(tmp_path / "empty"), "ARCHIVER_BROWSER": browser}
    proc = subprocess.run(
        [sys.executable, "-m", "archiver.cli", "--data", str(tmp_path / "data"), "doctor"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stdout.splitlines()
    [failed] = [i for i, line in enumerate(lines) if line.startswith("FAIL")]
    assert lines[failed].startswith("FAIL ffprobe") and "videos cannot be checked" in lines[failed]
    assert lines[failed + 1].strip().startswith("fix:") and "ffmpeg" in lines[failed + 1]

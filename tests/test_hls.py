"""A video served only as HLS: the playlists and every segment kept as served, an MP4
remuxed from the stored files without re-encoding, and hostile playlists refused whole.

``copy_media`` through a real Fetcher against HLS streams planted on the fake platform
(ffmpeg's own HLS muxer cut them); Bluesky's HLS fallback end to end is in
test_fediverse_media.py."""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.errors import ContentError, TooLarge
from archiver.platforms.base import MediaItem
from archiver.plumbing import m3u8
from archiver.plumbing.blobs import BlobStore
from archiver.plumbing.net import Exchange, Fetcher
from archiver.steps.hls import MAX_SEGMENTS
from archiver.steps.media import PLAYLIST_ONLY, MediaCopy, copy_media
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import media as media_gen
from tests.fakeplatform.world import BytesAsset

HOST = "video.twimg.com"
BASE = f"https://{HOST}/hls"
PLAYLIST = "application/vnd.apple.mpegurl"


def copy(settings: Settings, url: str, seen: list[str] | None = None) -> MediaCopy:
    """copy_media of an HLS-only video, the URLs of every exchange in ``seen``."""
    def record(exchange: Exchange) -> None:
        if seen is not None:
            seen.append(exchange.url)

    async def go() -> MediaCopy:
        async with Fetcher(settings, BlobStore(settings.data_dir), record) as f:
            return await copy_media(f, settings, MediaItem("video", url, content_type="application/x-mpegURL"))

    return asyncio.run(go())


def plant(world: World, path: str, content_type: str, data: bytes) -> str:
    url = f"{BASE}/{path}"
    world.media[url] = BytesAsset(content_type, data)
    return url


def plant_stream(world: World, name: str = "s", sizes: tuple[tuple[int, int], ...] = ((320, 180), (640, 360))) -> str:
    """A master playlist of variants (the lesser listed first), each a real media playlist
    with its segments. Returns the master's URL."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for w, h in sizes:
        for file, data in media_gen.hls_rendition(name, w, h).items():
            plant(world, f"{name}/{h}p/{file}", PLAYLIST if file.endswith(".m3u8") else "video/mp2t", data)
        lines += [f"#EXT-X-STREAM-INF:BANDWIDTH={w * h * 3},RESOLUTION={w}x{h}", f"{h}p/video.m3u8"]
    return plant(world, f"{name}/master.m3u8", PLAYLIST, ("\n".join(lines) + "\n").encode())


def stored(settings: Settings, copy: MediaCopy) -> bytes:
    return (settings.data_dir / copy.blob.path).read_bytes()


def pictures_of(path: Path) -> list[str]:
    """The MD5 of each decoded picture of a file (ffmpeg asked directly): a re-encoding
    would change them, a remux does not."""
    out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "framemd5", "-"],
                         check=True, capture_output=True, timeout=60).stdout.decode()
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if line and not line.startswith("#")]


def test_an_hls_only_video_is_kept_as_served_and_remuxed_without_reencoding(
    settings: Settings, fake_world: World, fake_platform: FakePlatform, tmp_path: Path
) -> None:
    master = plant_stream(fake_world)
    seen: list[str] = []
    got = copy(settings, master, seen)
    assert got.shortfall is None, got.shortfall
    assert (got.mime, got.checked_as["format"]) == (PLAYLIST, "HLS master playlist")
    assert got.checked_as["variant"] == {"url": f"{BASE}/s/360p/video.m3u8", "bandwidth": 640 * 360 * 3,
                                         "width": 640, "height": 360, "of": 2}
    variant, *segments, mp4 = got.parts
    served = media_gen.hls_rendition("s", 640, 360)
    # The best variant's playlist and every one of its segments, byte for byte as served.
    assert (variant.kind, variant.source, stored(settings, variant)) == ("stream", "hls", served["video.m3u8"])
    assert [stored(settings, s) for s in segments] == [served[f"seg{i}.ts"] for i in range(3)]
    assert {(s.kind, s.source, s.mime) for s in segments} == {("stream", "hls", "video/mp2t")}
    assert [s.checked_as["index"] for s in segments] == [0, 1, 2]
    assert {s.checked_as["playlist"] for s in segments} == {variant.blob.sha256}
    # The lesser variant was never asked for.
    assert not [u for u in seen if "/180p/" in u]
    # The MP4: a video capture of its own, made from those files, named by their hashes.
    assert (mp4.kind, mp4.item.kind, mp4.source, mp4.mime) == (None, "video", "remux", "video/mp4")
    assert (mp4.width, mp4.height) == (640, 360)
    assert mp4.duration == pytest.approx(3.0, abs=0.15)
    assert mp4.checked_as["derived_from"] == [got.blob.sha256, variant.blob.sha256, *(s.blob.sha256 for s in segments)]
    assert mp4.checked_as["made_by"] == "ffmpeg -c copy"
    assert got.tools == [mp4.checked_as["made_with"]] and got.tools[0].startswith("ffmpeg ")
    assert mp4.checked_as["codecs"] == ["video:h264", "audio:aac"]
    # Not re-encoded: the MP4's pictures are the segments' pictures, bit for bit.
    joined = tmp_path / "joined.ts"
    joined.write_bytes(b"".join(served[f"seg{i}.ts"] for i in range(3)))
    pictures = pictures_of(settings.data_dir / mp4.blob.path)
    assert len(pictures) == 30 and pictures == pictures_of(joined)
    # Each file is a capture; the MP4 is made from stored files only (no request for it).
    kinds = [(c.kind, c.source) for c in got.captures()]
    assert kinds == [("video", None), ("stream", "hls"), *[("stream", "hls")] * 3, ("video", "remux")]
    assert sorted(seen) == sorted([master, f"{BASE}/s/360p/video.m3u8", *(f"{BASE}/s/360p/seg{i}.ts" for i in range(3))])


def test_a_media_playlist_alone_is_copied_the_same_way(settings: Settings, fake_world: World) -> None:
    plant_stream(fake_world, "m", ((320, 240),))
    got = copy(settings, f"{BASE}/m/240p/video.m3u8")
    assert got.shortfall is None and got.checked_as["format"] == "HLS media playlist"
    *segments, mp4 = got.parts
    assert len(segments) == 3 and (mp4.width, mp4.height, mp4.source) == (320, 240, "remux")
    assert mp4.checked_as["derived_from"] == [got.blob.sha256, *(s.blob.sha256 for s in segments)]


def test_a_playlist_of_too_many_segments_is_refused_before_any_is_fetched(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    many = "#EXTM3U\n" + "".join(f"#EXTINF:1.0,\nseg{i}.ts\n" for i in range(MAX_SEGMENTS + 1)) + "#EXT-X-ENDLIST\n"
    plant(fake_world, "many/v.m3u8", PLAYLIST, many.encode())
    master = plant(fake_world, "many/master.m3u8", PLAYLIST, b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n")
    got = copy(settings, master)
    assert got.shortfall is not None and got.shortfall.startswith(PLAYLIST_ONLY)
    assert f"lists {MAX_SEGMENTS + 1} segments, more than {MAX_SEGMENTS}: refused" in got.shortfall
    assert [p.kind for p in got.parts] == []  # the hostile playlist itself is no part of the video
    assert not [r for r in fake_platform.requests_to(HOST) if "/many/seg" in r["url"]]
    # A million segments is past the size any playlist may have: refused as it arrives.
    million = b"#EXTM3U\n" + b"#EXTINF:1,\ns.ts\n" * 1_000_000
    with pytest.raises(TooLarge, match="exceeds the other cap"):
        copy(settings, plant(fake_world, "million.m3u8", PLAYLIST, million))
    # And more entries than a playlist may list, within the size, is no playlist either.
    with pytest.raises(ContentError, match=f"more than {m3u8.MAX_ENTRIES} entries"):
        copy(settings, plant(fake_world, "wide.m3u8", PLAYLIST, b"#EXTM3U\n" + b"#EXTINF:1,\ns.ts\n" * (m3u8.MAX_ENTRIES + 1)))


def test_a_playlist_naming_a_private_address_is_refused_whole(
    settings: Settings, fake_world: World, fake_platform: FakePlatform
) -> None:
    served = media_gen.hls_rendition("p", 320, 180)
    for file, data in served.items():
        plant(fake_world, f"p/{file}", PLAYLIST if file.endswith(".m3u8") else "video/mp2t", data)
    for host in ("10.0.0.7", "127.0.0.1", "[::1]", "localhost"):
        hostile = served["video.m3u8"].decode().replace("seg2.ts", f"https://{host}/seg2.ts")
        url = plant(fake_world, f"p/{host.strip('[]')}.m3u8", PLAYLIST, hostile.encode())
        fake_platform.clear_requests()
        got = copy(settings, url)
        assert got.shortfall is not None and "is refused" in got.shortfall, got.shortfall
        assert got.parts == []
        # Not even the segments listed before it were asked for.
        assert [r["url"] for r in fake_platform.requests_to(HOST)] == [url]
    # A file: URI is no web address: not a playlist archiver reads at all.
    with pytest.raises(ContentError, match="not a web address"):
        copy(settings, plant(fake_world, "p/file.m3u8", PLAYLIST, b"#EXTM3U\n#EXTINF:1,\nfile:///etc/passwd\n"))


def test_what_cannot_be_copied_whole_is_said_and_what_was_copied_is_kept(settings: Settings, fake_world: World) -> None:
    served = media_gen.hls_rendition("q", 320, 180)
    for file, data in served.items():
        plant(fake_world, f"q/{file}", PLAYLIST if file.endswith(".m3u8") else "video/mp2t", data)
    # Encrypted segments are not copied (nor guessed at).
    key = served["video.m3u8"].decode().replace("#EXTINF", '#EXT-X-KEY:METHOD=AES-128,URI="k.bin"\n#EXTINF', 1)
    got = copy(settings, plant(fake_world, "q/key.m3u8", PLAYLIST, key.encode()))
    assert got.shortfall is not None and "encrypted (AES-128)" in got.shortfall
    # A segment that is a login page is no segment.
    plant(fake_world, "q/seg1.ts", "video/mp2t", media_gen.html_page())
    got = copy(settings, f"{BASE}/q/video.m3u8")
    assert got.shortfall is not None and "HLS segment 1 is no media segment" in got.shortfall
    plant(fake_world, "q/seg1.ts", "video/mp2t", served["seg1.ts"])
    # A segment gone: the playlist is kept, the rest reported.
    del fake_world.media[f"{BASE}/q/seg2.ts"]
    got = copy(settings, f"{BASE}/q/video.m3u8")
    assert got.shortfall is not None and "HLS segment 2 answered HTTP 404" in got.shortfall
    assert stored(settings, got) == served["video.m3u8"]


def test_without_ffmpeg_the_segments_are_kept_and_the_missing_mp4_said(
    settings: Settings, fake_world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = plant_stream(fake_world, "n", ((320, 180),))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # a machine without ffmpeg
    got = copy(settings, master)
    assert got.shortfall is not None and "not installed" in got.shortfall
    assert [p.kind for p in got.parts] == ["stream"] * 4  # the variant's playlist and its three segments
    assert got.tools == []


def test_playlists_are_parsed_bounded_and_strictly() -> None:
    text = (b'#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="en",DEFAULT=YES,URI="a/en.m3u8"\n'
            b'#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=1280x720,AUDIO="aud"\nhi.m3u8\n'
            b'#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=640x360\nwide.m3u8\n')
    parsed = m3u8.parse(text)
    best = parsed.best_variant()
    assert (best.uri, best.width, best.height, best.audio) == ("hi.m3u8", 1280, 720, "aud")
    sound = parsed.audio_for(best)
    assert sound is not None and sound.uri == "a/en.m3u8"
    fmp4 = m3u8.parse(b'#EXTM3U\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:2.0,\n1.m4s\n#EXTINF:1.5,\n2.m4s\n#EXT-X-ENDLIST\n')
    assert (fmp4.init, fmp4.duration, fmp4.ended, [s.uri for s in fmp4.segments]) == ("init.mp4", 3.5, True, ["1.m4s", "2.m4s"])
    for bad, why in [
        (b"<html>", "no #EXTM3U header"),
        (b"#EXTM3U\nseg.ts\n", "a URI no tag announces"),
        (b"#EXTM3U\n#EXTINF:x,\nseg.ts\n", "a malformed #EXTINF"),
        (b"#EXTM3U\n#EXTINF:1,\n", "ends before its last URI"),
        (b'#EXTM3U\n#EXT-X-MAP:URI="file:///etc/passwd"\n#EXTINF:1,\na.ts\n', "not a web address"),
        (b"#EXTM3U\n\xff\xfe", "not UTF-8"),
    ]:
        with pytest.raises(ContentError, match=why):
            m3u8.parse(bad)


def test_the_mp4_is_recorded_with_the_hashes_of_its_sources_in_the_archive(
    settings: Settings, fake_world: World
) -> None:
    master = plant_stream(fake_world, "r", ((320, 180),))
    got = copy(settings, master)
    captures = got.captures()
    mp4 = captures[-1]
    assert mp4.checked_as is not None
    sources = json.loads(mp4.checked_as)["derived_from"]
    assert sources == [c.blob.sha256 for c in captures[:-1]]
    for capture in captures[:-1]:
        data = (settings.data_dir / capture.blob.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == capture.blob.sha256

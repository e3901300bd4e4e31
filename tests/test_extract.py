"""The media extractor (archiver/steps/extract.py): yt-dlp in a process of its own, every
request it makes made by archiver's Fetcher against the fake platform.

TikTok runs yt-dlp's own TikTok extractor against the fake. YouTube's extractor cannot run
offline (its player JavaScript and signature ciphers), so its boundary is tested through
yt-dlp's extension point for extractors: a plugin the tests put on PYTHONPATH
(tests/ytdlp_plugins) reads the fake watch page; the rest of the path is archiver's own.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.errors import ExtractError
from archiver.plumbing.blobs import BlobStore
from archiver.plumbing.net import Exchange
from archiver.steps.extract import MERGED, SOURCE, extract_media
from tests.fakeplatform import FakePlatform, Page, World
from tests.fakeplatform.tiktok import TikTokVideo
from tests.fakeplatform.youtube import Video

PLUGINS = Path(__file__).resolve().parent / "ytdlp_plugins"
YT = Video("dQw4w9WgXcQ", "Flood on the river road", "River TV", "UCriver0000000000000000", "rivertv", width=320, height=180)
TT = TikTokVideo("7300000000000000001", "ana", "Ana", "the river is rising #flood")
TT_PRIVATE = TikTokVideo("7300000000000000002", "ana", "Ana", "hidden", state="private_post")


@pytest.fixture
def world(fake_world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("PYTHONPATH", str(PLUGINS))
    for video in (YT,):
        fake_world.youtube_videos[video.id] = video
    for tt in (TT, TT_PRIVATE):
        fake_world.tiktok_videos[tt.id] = tt
    return fake_world


def run(settings: Settings, url: str, **kwargs: object) -> tuple[object, list[Exchange]]:
    exchanges: list[Exchange] = []
    result = asyncio.run(extract_media(settings, BlobStore(settings.data_dir), exchanges.append, url, **kwargs))  # type: ignore[arg-type]
    return result, exchanges


def test_separate_streams_are_kept_as_served_and_merged_without_reencoding(
    world: World, settings: Settings, fake_platform: FakePlatform
) -> None:
    result, exchanges = run(settings, YT.url)
    kinds = [(c.kind, c.source, c.mime) for c in result.captures]  # type: ignore[attr-defined]
    assert kinds == [
        ("data", SOURCE, "application/json"),
        ("video", SOURCE, "video/mp4"),
        ("audio", SOURCE, "audio/mp4"),
        ("video", MERGED, "video/mp4"),
    ]
    data, video, audio, merged = result.captures  # type: ignore[attr-defined]
    assert json.loads((settings.data_dir / data.blob.path).read_bytes())["id"] == YT.id
    assert json.loads(video.checked_as)["codecs"] == ["video:h264"] and (video.width, video.height) == (320, 180)
    assert json.loads(audio.checked_as)["codecs"] == ["audio:aac"]
    merged_as = json.loads(merged.checked_as)
    assert merged_as["codecs"] == ["video:h264", "audio:aac"]
    assert merged_as["derived_from"] == [video.blob.sha256, audio.blob.sha256]
    assert result.tool.startswith("yt-dlp 20")  # type: ignore[attr-defined]
    assert [p.url for p in result.posters] == [f"https://i.ytimg.com/vi/{YT.id}/hqdefault.jpg"]  # type: ignore[attr-defined]
    # Every request yt-dlp made went through archiver's client and was recorded.
    recorded = [e.url for e in exchanges]
    assert recorded == [r["url"] for r in fake_platform.requests]
    assert f"https://rr1---sn-fake.googlevideo.com/videoplayback?id={YT.id}&itag=137" in recorded
    # The stream's file is the body of the exchange that brought it: nothing in between.
    stream = next(e for e in exchanges if e.url.endswith("itag=137"))
    assert stream.blob is not None and stream.blob.sha256 == video.blob.sha256


def test_yt_dlps_own_tiktok_extractor_runs_against_the_fake(world: World, settings: Settings) -> None:
    result, exchanges = run(settings, TT.url)
    kinds = [(c.kind, c.source) for c in result.captures]  # type: ignore[attr-defined]
    assert kinds == [("data", SOURCE), ("video", SOURCE)]  # one file with both streams: no merge
    assert json.loads(result.captures[1].checked_as)["codecs"] == ["video:h264", "audio:aac"]  # type: ignore[attr-defined]
    assert exchanges[0].url == TT.url and exchanges[-1].url == TT.play


def test_yt_dlps_own_error_is_the_posts_error(world: World, settings: Settings) -> None:
    with pytest.raises(ExtractError, match="media not copied: yt-dlp: .*permission"):
        run(settings, TT_PRIVATE.url)


def test_a_redirect_to_a_private_address_is_refused_before_any_request(world: World, settings: Settings, fake_platform: FakePlatform) -> None:
    world.pages["https://clips.example-news.com/river.mp4"] = Page.redirect("http://127.0.0.1:9/river.mp4")
    with pytest.raises(ExtractError, match="refused|private|loopback"):
        run(settings, "https://clips.example-news.com/river.mp4")
    assert [r["url"] for r in fake_platform.requests] == ["https://clips.example-news.com/river.mp4"]


def _children_running(name: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == os.getpid() and name in cmdline:
            found.append(int(entry.name))
    return found


def test_a_stuck_extraction_is_stopped_at_its_deadline(world: World, settings: Settings) -> None:
    world.faults[("v16-webapp-prime.tiktok.com", "/video/")] = "hang"
    with pytest.raises(ExtractError, match="stopped after 3 s"):
        run(settings, TT.url, deadline=3.0)
    assert _children_running("archiver.plumbing.ytdlp_child") == []

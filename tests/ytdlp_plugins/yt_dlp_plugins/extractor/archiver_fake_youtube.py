"""A yt-dlp extractor plugin the tests install (on PYTHONPATH): YouTube's watch page read
the simple way, for the fake YouTube of tests/fakeplatform/youtube.py.

yt-dlp's own YouTube extractor needs YouTube's player JavaScript, its signature ciphers and
its innertube API, which no faithful offline fake can serve. This plugin is yt-dlp's
documented extension point for extractors: it takes youtube.com watch URLs before the
built-in one does, reads ``ytInitialPlayerResponse`` and lists its ``adaptiveFormats``.
Everything around it (the request handler, the downloads, the checks, the merge, the
records) is archiver's real code path.
"""

from yt_dlp.extractor.common import InfoExtractor
from yt_dlp.utils import ExtractorError


class ArchiverFakeYoutubeIE(InfoExtractor):
    IE_NAME = "archiverfakeyoutube"
    _VALID_URL = r"https?://(?:www\.)?youtube\.com/watch\?v=(?P<id>[0-9A-Za-z_-]{11})"

    def _real_extract(self, url):
        video_id = self._match_id(url)
        webpage = self._download_webpage(url, video_id)
        player = self._search_json(r"ytInitialPlayerResponse\s*=", webpage, "player response", video_id)
        playability = player.get("playabilityStatus") or {}
        if playability.get("status") != "OK":
            raise ExtractorError(playability.get("reason") or "Video unavailable", expected=True)
        details = player.get("videoDetails") or {}
        formats = []
        for f in (player.get("streamingData") or {}).get("adaptiveFormats") or []:
            mime = f.get("mimeType") or ""
            audio = mime.startswith("audio/")
            formats.append({
                "format_id": str(f.get("itag")),
                "url": f["url"],
                "ext": "m4a" if audio else "mp4",
                "vcodec": "none" if audio else "avc1",
                "acodec": "mp4a" if audio else "none",
                "width": f.get("width"),
                "height": f.get("height"),
                "tbr": (f.get("bitrate") or 0) / 1000,
            })
        return {
            "id": video_id,
            "title": details.get("title"),
            "uploader": details.get("author"),
            "channel_id": details.get("channelId"),
            "formats": formats,
            "thumbnails": (details.get("thumbnail") or {}).get("thumbnails") or [],
        }

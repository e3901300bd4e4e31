"""The media extractor's process: yt-dlp, with no network of its own.

Run as ``python -m archiver.plumbing.ytdlp_child`` by :mod:`archiver.steps.extract`, which
can kill it at any time. yt-dlp makes every request through :class:`ArchiverRH`, a
request handler (yt-dlp's own extension point for HTTP clients) that owns no socket: it
sends each request up the pipe to the parent, which makes it with archiver's Fetcher (URL
checks on every hop, size caps, timeouts, retries, every exchange recorded) and answers
with the status, headers and the stored body's file. yt-dlp's other ways out are shut:
only the native downloaders (HTTP, HLS, DASH) run, which send through the handler; no
external downloader, no post-processor, no cache, no remote components; formats are
limited to protocols those downloaders speak.

The pipe carries length-prefixed JSON frames, both ways:

- parent → child, once: the job ``{"url", "workdir", "format", "timeout", "max_entries", "cookies"}``,
  ``cookies`` the user's own for the page's platform (a list of ``{"domain", "host_only",
  "path", "secure", "expires", "name", "value", "http_only"}``, put in yt-dlp's cookie jar,
  never in a file: yt-dlp's extractors see a logged-in session, and nothing is written back);
- child → parent: ``{"op": "http", "method", "url", "headers", "data", "phase"}``, answered
  by ``{"status", "url", "headers", "path" | "body", "error"}``;
- child → parent, last: ``{"op": "done", "version", "info", "files", "thumbnail", "error"}``.

Anything yt-dlp prints goes to stderr: stdout is the pipe.
"""

from __future__ import annotations

import base64
import functools
import io
import json
import os
import struct
import sys
from collections.abc import Iterator
from typing import IO, Any

FRAME = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024
PROTOCOLS = "^(https?|m3u8|m3u8_native|http_dash_segments)$"
"""Protocols of the native downloaders, which send every request through the handler."""
MAX_REDIRECTS = 10


class Channel:
    """Length-prefixed JSON frames over a pair of pipes."""

    def __init__(self, rfile: IO[bytes], wfile: IO[bytes]) -> None:
        self.rfile = rfile
        self.wfile = wfile

    def send(self, message: dict[str, Any]) -> None:
        data = json.dumps(message, ensure_ascii=False, default=str).encode()
        self.wfile.write(FRAME.pack(len(data)) + data)
        self.wfile.flush()

    def receive(self) -> dict[str, Any]:
        head = self.rfile.read(FRAME.size)
        if len(head) < FRAME.size:
            raise EOFError("the parent closed the pipe")
        (size,) = FRAME.unpack(head)
        if size > MAX_FRAME:
            raise EOFError(f"frame of {size} bytes")
        message = json.loads(self.rfile.read(size))
        if not isinstance(message, dict):
            raise EOFError("frame is not an object")
        return message


class _Pairs:
    """Headers as yt-dlp's Response reads them (``.items()``), repeated names kept."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return self._pairs


class _CookieResponse:
    """What http.cookiejar needs of a response to read its Set-Cookie headers."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        from email.message import Message

        self._message = Message()
        for name, value in pairs:
            self._message[name] = value

    def info(self) -> Any:
        return self._message


def _body_bytes(data: Any) -> bytes | None:
    if data is None:
        return None
    if isinstance(data, bytes):
        return data
    if hasattr(data, "read"):
        return bytes(data.read())
    return b"".join(data)


def make_handler(channel: Channel, phase: list[str]) -> type:
    """yt-dlp's RequestHandler class that sends every request through ``channel``."""
    import urllib.parse
    import urllib.request

    from yt_dlp.networking._helper import get_redirect_method
    from yt_dlp.networking.common import RequestHandler, Response
    from yt_dlp.networking.exceptions import HTTPError, TransportError

    class ArchiverRH(RequestHandler):  # type: ignore[misc]
        """Every request yt-dlp makes, made by archiver's Fetcher in the parent."""

        _SUPPORTED_URL_SCHEMES = ("http", "https")
        _SUPPORTED_PROXY_SCHEMES = None  # the parent's proxy settings apply, not yt-dlp's
        _SUPPORTED_FEATURES = None

        def _check_extensions(self, extensions: dict[str, Any]) -> None:
            super()._check_extensions(extensions)
            for name in ("cookiejar", "timeout", "legacy_ssl", "keep_header_casing"):
                extensions.pop(name, None)

        def _send(self, request: Any) -> Any:
            headers = {k: v for k, v in self._get_headers(request).items() if k.lower() != "accept-encoding"}
            cookiejar = self._get_cookiejar(request)
            method, url, data = request.method, request.url, _body_bytes(request.data)
            for _ in range(MAX_REDIRECTS + 1):
                sent = dict(headers)
                cookie = cookiejar.get_cookie_header(url)
                if cookie and not any(k.lower() == "cookie" for k in sent):
                    sent["Cookie"] = cookie
                channel.send({
                    "op": "http", "method": method, "url": url, "headers": sent, "phase": phase[0],
                    "data": base64.b64encode(data).decode() if data is not None else None,
                })
                reply = channel.receive()
                if reply.get("error"):
                    raise TransportError(msg=str(reply["error"]))
                pairs = [(str(k), str(v)) for k, v in reply.get("headers") or []]
                cookiejar.extract_cookies(_CookieResponse(pairs), urllib.request.Request(url))
                status = int(reply["status"])
                location = next((v for k, v in pairs if k.lower() == "location"), None)
                if status in (301, 302, 303, 307, 308) and location:
                    new_method = get_redirect_method(method, status)
                    if new_method != method:
                        data = None
                        headers = {k: v for k, v in headers.items() if k.lower() not in ("content-type", "content-length")}
                    method, url = new_method, urllib.parse.urljoin(url, location)
                    continue
                response = Response(_open_body(reply), url=url, headers=_Pairs(_as_served(pairs, reply)), status=status)
                if not 200 <= status < 300:
                    raise HTTPError(response)
                return response
            response = Response(io.BytesIO(b""), url=url, headers=_Pairs([]), status=status)
            raise HTTPError(response, redirect_loop=True)

    return ArchiverRH


def _open_body(reply: dict[str, Any]) -> IO[bytes]:
    path = reply.get("path")
    if path:
        return open(path, "rb")  # yt-dlp's Response closes it
    return io.BytesIO(base64.b64decode(reply.get("body") or ""))


def _as_served(pairs: list[tuple[str, str]], reply: dict[str, Any]) -> list[tuple[str, str]]:
    # The parent decoded the body: its length is the decoded one, and no encoding is left.
    size = reply.get("size")
    kept = [(k, v) for k, v in pairs if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
    if isinstance(size, int):
        kept.append(("Content-Length", str(size)))
    return kept


def _scrub(value: Any) -> Any:
    """The info JSON without cookies: a user's cookies are never kept in the archive."""
    if isinstance(value, dict):
        return {
            k: _scrub(v) for k, v in value.items()
            if k.lower() not in ("cookies", "cookie", "__files_to_move", "__postprocessors")
        }
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def _cookie(record: dict[str, Any]) -> Any:
    """One of the user's cookies, as http.cookiejar (and so yt-dlp) holds it."""
    from http.cookiejar import Cookie

    host_only = bool(record.get("host_only"))
    domain = str(record["domain"])
    expires = int(record.get("expires") or 0)
    return Cookie(
        version=0, name=str(record["name"]), value=str(record["value"]), port=None, port_specified=False,
        domain=domain if host_only else "." + domain, domain_specified=not host_only,
        domain_initial_dot=not host_only, path=str(record.get("path") or "/"), path_specified=True,
        secure=bool(record.get("secure")), expires=expires or None, discard=not expires, comment=None,
        comment_url=None, rest={"HttpOnly": ""} if record.get("http_only") else {},
    )


def _videos(info: dict[str, Any], limit: int) -> Iterator[dict[str, Any]]:
    if info.get("_type") in ("playlist", "multi_video"):
        for entry in list(info.get("entries") or [])[:limit]:
            if isinstance(entry, dict):
                yield from _videos(entry, limit)
    else:
        yield info


def run(job: dict[str, Any], channel: Channel) -> dict[str, Any]:
    import yt_dlp
    from yt_dlp.version import __version__

    phase = ["extract"]
    handler = make_handler(channel, phase)

    class Downloader(yt_dlp.YoutubeDL):  # type: ignore[misc]
        @functools.cached_property
        def _request_director(self) -> Any:
            # Only archiver's handler: no other client of yt-dlp's can be picked.
            return self.build_request_director([handler])

    fmt = f"{job['format']}"
    params: dict[str, Any] = {
        "quiet": True, "no_warnings": False, "noprogress": True,
        "format": fmt,
        "outtmpl": {"default": os.path.join(job["workdir"], "%(id).60s.f%(format_id).40s.%(ext)s")},
        "noplaylist": True,
        "playlist_items": f"1:{int(job.get('max_entries') or 10)}",
        "retries": 0, "fragment_retries": 1, "extractor_retries": 0, "file_access_retries": 0,
        "concurrent_fragment_downloads": 1,
        "socket_timeout": float(job.get("timeout") or 20.0),
        "cachedir": False,
        "hls_prefer_native": True,
        "external_downloader": {},
        "fixup": "never",
        "postprocessors": [],
        "check_formats": False,
        "overwrites": True,
        "nopart": True,
        "updatetime": False,
        "remote_components": [],
        "color": {"stdout": "no_color", "stderr": "no_color"},
    }
    result: dict[str, Any] = {"op": "done", "version": __version__, "info": None, "files": [], "thumbnail": None, "error": None}
    with Downloader(params) as ydl:
        for cookie in job.get("cookies") or []:
            ydl.cookiejar.set_cookie(_cookie(cookie))
        try:
            info = ydl.extract_info(job["url"], download=False)
        except yt_dlp.utils.DownloadError as e:
            result["error"] = _message(e)
            return result
        info = ydl.sanitize_info(info)
        result["info"] = _scrub(info)
        files: list[dict[str, Any]] = []
        phase[0] = "download"
        for video in _videos(info, int(job.get("max_entries") or 10)):
            thumbnails = [t for t in video.get("thumbnails") or [] if isinstance(t, dict) and t.get("url")]
            if thumbnails and result["thumbnail"] is None:
                result["thumbnail"] = str(thumbnails[-1]["url"])
            chosen = video.get("requested_formats") or ([video] if video.get("url") else [])
            for fmt_info in chosen:
                whole = {**video, **fmt_info}
                whole.pop("requested_formats", None)
                whole.pop("requested_downloads", None)
                path = ydl.prepare_filename(whole)
                try:
                    if not ydl.dl(path, whole):
                        raise yt_dlp.utils.DownloadError("download did not complete")
                except yt_dlp.utils.DownloadError as e:
                    result["error"] = f"format {fmt_info.get('format_id')}: {_message(e)}"
                    continue
                files.append({
                    "path": path,
                    "video_id": video.get("id"),
                    "format_id": fmt_info.get("format_id"),
                    "ext": fmt_info.get("ext"),
                    "vcodec": fmt_info.get("vcodec"),
                    "acodec": fmt_info.get("acodec"),
                    "protocol": fmt_info.get("protocol"),
                    "url": fmt_info.get("url"),
                })
        result["files"] = files
    return result


def _message(error: BaseException) -> str:
    text = str(error)
    if text.startswith("ERROR: "):
        text = text[len("ERROR: "):]
    return " ".join(text.split())[:500]


def main() -> None:
    channel_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # what yt-dlp prints lands on stderr, never in the pipe
    sys.stdout = sys.stderr
    channel = Channel(sys.stdin.buffer, channel_out)
    job = channel.receive()
    try:
        result = run(job, channel)
    except EOFError:
        return
    except Exception as e:  # noqa: BLE001 - whatever yt-dlp raises is this item's error, told to the parent
        result = {"op": "done", "version": None, "info": None, "files": [], "thumbnail": None,
                  "error": f"{type(e).__name__}: {_message(e)}"}
    channel.send(result)


if __name__ == "__main__":
    main()

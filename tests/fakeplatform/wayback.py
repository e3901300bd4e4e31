"""A fake Wayback Machine: Save Page Now (``web.archive.org/save``) and the availability API
(``archive.org/wayback/available``), as documented by the Internet Archive.

    wb = FakeWayback()
    wb.install(fake_platform)          # both hosts answered by it
    wb.copies[url] = "20130919044612"  # a copy the availability API knows

``saved``: the URLs Save Page Now was asked for; ``refuse``: answer every save with an error.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from .handlers import Response

if TYPE_CHECKING:
    from .server import FakePlatform

SAVE_HOST = "web.archive.org"
AVAILABLE_HOST = "archive.org"


def _json(status: int, data: object) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(data).encode())


class FakeWayback:
    def __init__(self) -> None:
        self.saved: list[str] = []
        self.copies: dict[str, str] = {}
        self.refuse = False
        self._jobs: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def install(self, platform: FakePlatform) -> None:
        platform.services[SAVE_HOST] = self
        platform.services[AVAILABLE_HOST] = self

    @staticmethod
    def uninstall(platform: FakePlatform) -> None:
        platform.services.pop(SAVE_HOST, None)
        platform.services.pop(AVAILABLE_HOST, None)

    def __call__(self, method: str, path_qs: str, headers: dict[str, str], body: bytes) -> Response:
        parts = urlsplit(path_qs)
        query = parse_qs(parts.query)
        if parts.path == "/save" and method == "POST":
            if self.refuse:
                return _json(200, {"status": "error", "status_ext": "error:too-many-daily-captures",
                                   "message": "You have already reached the limit of captures for today."})
            url = parse_qs(body.decode())["url"][0]
            stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
            with self._lock:
                self.saved.append(url)
                job = f"spn2-{len(self._jobs) + 1:040x}"
                self._jobs[job] = (url, stamp)
            return _json(200, {"url": url, "job_id": job})
        if parts.path.startswith("/save/status/"):
            job = parts.path.rsplit("/", 1)[1]
            if job not in self._jobs:
                return _json(200, {"status": "error", "message": "job not found"})
            url, stamp = self._jobs[job]
            return _json(200, {"status": "success", "job_id": job, "original_url": url, "timestamp": stamp,
                               "duration_sec": 1.2})
        if parts.path == "/wayback/available":
            url = query.get("url", [""])[0]
            copy = self.copies.get(url)
            if copy is None:
                return _json(200, {"url": url, "archived_snapshots": {}})
            return _json(200, {"url": url, "archived_snapshots": {"closest": {
                "status": "200", "available": True, "url": f"http://web.archive.org/web/{copy}/{url}",
                "timestamp": copy}}})
        return Response(404, {"Content-Type": "text/plain"}, b"not found\n")

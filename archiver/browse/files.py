"""Which stored files the browser may fetch, and how each is served.

Only files named in ``blobs`` (captures, thumbnails, response bodies) are served, never
anything else in the data directory (archive.db, blobs/tmp). Captured pages are hostile
content: HTML, scripts and anything not known to be inert are served as plain text or
as a download, never as live documents on the browser's origin.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.plumbing.blobstores import BlobStorage, Readable

BLOB_PATH = re.compile(r"^blobs/[0-9a-f]{2}/(?:[0-9a-f]{2}/)?[0-9a-f]{64}\.[a-z0-9]{1,8}$")
"""Exactly what BlobStore names a file: blobs/ab/<sha256>.<ext>, or blobs/ab/cd/<sha256>.<ext>
as archiver 0.1 did. No '..', no tmp/."""

INLINE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "application/json",
}
"""Types shown as they are: images and video cannot script, and JSON does not render."""
AS_TEXT = {"text/html", "application/xhtml+xml", "text/plain", "text/css", "text/javascript",
           "application/javascript", "application/x-mpegurl"}
"""Text that would be live (or is harmless) as its own type: shown as plain text instead."""

SAFETY_HEADERS = {
    "x-content-type-options": "nosniff",
    # sandbox: even if a browser rendered one of these as a document, it would run no
    # script and have an opaque origin, so it could not read Datasette's pages.
    "content-security-policy": "sandbox; default-src 'none'; img-src 'self'; media-src 'self'",
    "referrer-policy": "no-referrer",
    # Blobs are named by their hash and never change.
    "cache-control": "public, max-age=31536000, immutable",
}

CHUNK = 256 * 1024


def is_blob_path(path: str) -> bool:
    return bool(BLOB_PATH.match(path))


def delivery(mime: str | None, path: str) -> tuple[str, str | None]:
    """(Content-Type, download file name or None) for a stored file of this type."""
    base = (mime or "").split(";")[0].strip().lower()
    if base in INLINE_TYPES:
        return base, None
    if base in AS_TEXT:
        return "text/plain; charset=utf-8", None
    # Anything else (SVG, fonts, unknown types): a download, never rendered.
    return "application/octet-stream", Path(path).name


class FileResponse:
    """A local file, streamed in large chunks, with the safety headers (Datasette's
    response protocol: an object with ``asgi_send``)."""

    def __init__(
        self, file: Path, content_type: str, download_name: str | None, *, inline_name: str | None = None
    ) -> None:
        self.file = file
        self.content_type = content_type
        self.download_name = download_name
        self.inline_name = inline_name
        """Shown as it is, but saved under this name."""

    async def asgi_send(self, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        headers = dict(SAFETY_HEADERS)
        headers["content-type"] = self.content_type
        if self.download_name:
            headers["content-disposition"] = f'attachment; filename="{self.download_name}"'
        elif self.inline_name:
            headers["content-disposition"] = f'inline; filename="{self.inline_name}"'
        handle, size = await asyncio.to_thread(self._open)
        try:
            headers["content-length"] = str(size)
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [[k.encode("latin1"), v.encode("latin1")] for k, v in headers.items()],
                }
            )
            while True:
                # Until an empty read: a stream (S3) may give less than asked before its end.
                chunk = bytes(await asyncio.to_thread(handle.read, CHUNK))
                await send({"type": "http.response.body", "body": chunk, "more_body": bool(chunk)})
                if not chunk:
                    break
        finally:
            handle.close()

    def _open(self) -> tuple[Readable, int]:
        handle = self.file.open("rb")
        return handle, os.fstat(handle.fileno()).st_size


class StoredResponse(FileResponse):
    """A file of a remote blob storage (S3), streamed from it as it is read."""

    def __init__(
        self, storage: BlobStorage, key: str, size: int, content_type: str, download_name: str | None,
        *, inline_name: str | None = None,
    ) -> None:
        super().__init__(Path(key), content_type, download_name, inline_name=inline_name)
        self.storage, self.key, self.size = storage, key, size

    def _open(self) -> tuple[Readable, int]:
        return self.storage.open(self.key), self.size

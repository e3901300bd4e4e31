""""Download evidence": the WACZ export of one post or article, from the browser.

The export is ``archiver.evidence.wacz.export_wacz``, called in :func:`export` and
nowhere else here. It runs in a thread on its own read-only connection, writes into a
temporary directory outside the archive (serving never writes to the data directory),
and is streamed, then deleted. One export at a time: each reads every exchange of the
runs it covers.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from archiver.errors import ArchiverError

_ONE_AT_A_TIME = threading.Lock()
"""Held in the export's thread (an asyncio primitive would be bound to one event loop)."""


def export(
    db_path: Path, blob_store: str | None, out: Path, *, article_url: str | None = None, post_url: str | None = None
) -> None:
    """Write the WACZ of one article or post to ``out``, reading the archive read-only
    (its files from ``blob_store``: a ``Settings.blob_store``, None for the data directory)."""
    from archiver.evidence.wacz import export_wacz
    from archiver.plumbing.blobstores import storage_for

    with _ONE_AT_A_TIME:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        conn.row_factory = sqlite3.Row
        storage = storage_for(blob_store, db_path.parent)
        try:
            export_wacz(conn, storage, out, article=article_url, post=post_url)
        finally:
            storage.close()  # an S3 storage's local copies go with the export
            conn.close()


class TemporaryFileResponse:
    """A file streamed as an attachment, its directory removed once sent (or not)."""

    def __init__(self, directory: Path, file: Path, name: str) -> None:
        self.directory, self.file, self.name = directory, file, name

    async def asgi_send(self, send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        from archiver.browse.files import FileResponse

        try:
            await FileResponse(self.file, "application/wacz", self.name).asgi_send(send)
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


async def evidence_response(db: Any, blob_store: str | None, owner: str, owner_id: int) -> Any:
    from datasette.utils.asgi import Response  # type: ignore[import-untyped]

    if owner == "post":
        row = (await db.execute("SELECT url, platform, native_id FROM posts WHERE id = ?", [owner_id])).first()
        if row is None:
            return Response.text("Not found", status=404)
        name = f"evidence-{row['platform']}-{row['native_id']}.wacz"
        kwargs = {"post_url": str(row["url"])}
    else:
        row = (await db.execute("SELECT url FROM articles WHERE id = ?", [owner_id])).first()
        if row is None:
            return Response.text("Not found", status=404)
        host = (urlsplit(str(row["url"])).hostname or "article").replace(".", "-")
        name = f"evidence-article-{owner_id}-{host}.wacz"
        kwargs = {"article_url": str(row["url"])}
    directory = Path(tempfile.mkdtemp(prefix="archiver-evidence-"))
    out = directory / name
    try:
        await asyncio.to_thread(export, Path(db.path), blob_store, out, **kwargs)
    except ArchiverError as e:
        shutil.rmtree(directory, ignore_errors=True)
        return Response.text(f"No evidence bundle: {e}", status=404)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return TemporaryFileResponse(directory, out, name)

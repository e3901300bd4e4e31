"""``archiver serve``: Datasette on the archive, read-only, with our metadata and plugin.

Read-only but not immutable: Datasette opens a mutable database with ``mode=ro`` on
every read connection, so it sees what a sweep commits (WAL) and can write nothing.
Immutable mode would let SQLite skip locking and read a half-written page.
"""

from __future__ import annotations

import asyncio
import webbrowser
from pathlib import Path
from typing import Any

from archiver.config import Settings
from archiver.plumbing.db import open_db
from archiver.errors import StoreError

PLUGIN_NAME = "archiver"
PLUGINS_DIR = Path(__file__).resolve().parent / "plugins"

DATASETTE_SETTINGS = {
    # Suggesting facets runs a query per column on every table page: slow on 100,000 posts.
    "suggest_facets": False,
    # The database file holds every capture's metadata: not for download from here.
    "allow_download": False,
    "default_page_size": 50,
    "sql_time_limit_ms": 3000,
    "facet_time_limit_ms": 500,
}


def register_plugin() -> None:
    from datasette.plugins import pm  # type: ignore[import-untyped]

    from archiver.browse.plugins import archiver_datasette

    if pm.get_plugin(PLUGIN_NAME) is None and not pm.is_registered(archiver_datasette):
        pm.register(archiver_datasette, name=PLUGIN_NAME)


def make_datasette(db_path: Path, blob_store: str | None = None) -> Any:
    """A Datasette for this archive, started (its startup hooks run); its files are read
    from ``blob_store`` (``Settings.blob_store``; None: beside the database)."""
    from datasette.app import Datasette  # type: ignore[import-untyped]

    from archiver.browse.metadata import metadata

    register_plugin()
    meta = metadata()
    if blob_store:
        meta.setdefault("plugins", {}).setdefault(PLUGIN_NAME, {})["blob_store"] = blob_store
    ds = Datasette(files=[str(db_path)], metadata=meta, settings=DATASETTE_SETTINGS)
    asyncio.run(ds.invoke_startup())
    return ds


def prepare(settings: Settings) -> Path:
    """The archive to serve, upgraded to the current schema first (as every command does)."""
    path = settings.db_path
    if not path.exists():
        raise StoreError(f"no archive at {path}")
    open_db(path).close()
    return path


def serve(settings: Settings, *, host: str, port: int, open_browser: bool, announce: Any = print) -> None:
    import uvicorn

    path = prepare(settings)
    ds = make_datasette(path, settings.blob_store)
    url = f"http://{host}:{port}/archive/posts"
    announce(f"Serving {path} read-only at {url}")
    if open_browser:
        webbrowser.open(url)
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on", workers=1)

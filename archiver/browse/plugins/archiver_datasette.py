"""archiver's Datasette plugin: pages for people (an article's fate, a post's story, lean
lists, sentences instead of JSON, evidence to take away), stored files, read-only.

``archiver serve`` registers it in-process; plain ``datasette`` loads it with
``--plugins-dir`` (this directory holds only this file, since Datasette loads every
``.py`` in it). Imports are absolute for that reason: loaded from a directory, this
module is not part of a package.

Everything is Datasette's own machinery: templates (row-archive-posts.html,
row-archive-articles.html, lean ``_table-table-…`` lists, index/database/query pages),
``render_cell`` for cells, ``extra_template_vars`` for what a page needs besides its
row, ``extra_css_urls`` for the stylesheet (screen, phone and print), and
``register_routes`` for files, regions of page screenshots and evidence bundles.

Hooks use only arguments that Datasette 0.65 and 1.0 both pass.
"""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Generator
from pathlib import Path
from typing import Any

from datasette import hookimpl  # type: ignore[import-untyped]
from datasette.utils import await_me_maybe  # type: ignore[import-untyped]
from datasette.utils.asgi import Response  # type: ignore[import-untyped]
from jinja2 import ChoiceLoader, FileSystemLoader

from archiver.browse import cells, downloads, regions
from archiver.browse.article_page import article_context
from archiver.browse.files import SAFETY_HEADERS, FileResponse, StoredResponse, delivery, is_blob_path
from archiver.browse.links import Links
from archiver.browse.metadata import DATABASE, QUERIES
from archiver.browse.post_page import post_context
from archiver.errors import StoreError
from archiver.plumbing.blobstores import STORE_ENV, BlobStorage, DirectoryStorage, storage_for

BROWSE = Path(__file__).resolve().parent.parent
TEMPLATES = BROWSE / "templates"
STYLESHEET = BROWSE / "static" / "archiver.css"
WRITE_ACTIONS = {"insert-row", "delete-row", "update-row", "upsert-row", "create-table", "drop-table", "alter-table"}
DOWNLOAD_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")
"""A readable file name we made (``twitter-<id>-screenshot-<time>.png``): nothing else is echoed into a header."""


def archive_database(datasette: Any) -> Any:
    """The archive Datasette serves: the database named "archive", else the first file."""
    databases = datasette.databases
    if DATABASE in databases:
        return databases[DATABASE]
    for db in databases.values():
        if db.path and not db.is_memory:
            return db
    return None


@hookimpl
def prepare_jinja2_environment(env: Any, datasette: Any) -> None:
    # Our templates first (the post and article pages, lean lists), Datasette's behind them.
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])
    env.filters["archiver_cells"] = lambda row: {cell["column"]: cell for cell in row}


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [
        (r"^/-/archiver/(?P<path>blobs/.+)$", serve_blob),
        (r"^/-/archiver/evidence/(?P<owner>post|article)/(?P<owner_id>[0-9]{1,18})\.wacz$", serve_evidence),
        (r"^/-/archiver/region/(?P<region_id>[0-9]{1,18})\.png$", serve_region),
        (r"^/-/archiver/archiver\.css$", serve_stylesheet),
    ]


async def serve_blob(datasette: Any, request: Any) -> Any:
    """One stored file, only if ``blobs`` names it: never archive.db, never blobs/tmp.

    ``?name=`` gives the file a readable name to be saved as (it must look like the
    names our pages make; anything else is ignored)."""
    path = request.url_vars["path"]
    db = archive_database(datasette)
    if db is None or not is_blob_path(path):
        return Response.text("Not found", status=404)
    row = (await db.execute("SELECT mime FROM blobs WHERE path = ?", [path])).first()
    if row is None:
        return Response.text("Not found", status=404)
    content_type, download_name = delivery(row["mime"], path)
    name = request.args.get("name")
    inline_name = None
    if name and DOWNLOAD_NAME.match(name):
        download_name, inline_name = download_name and name, None if download_name else name
    storage = blob_storage(datasette, db)
    if isinstance(storage, DirectoryStorage):
        root = storage.root.resolve()
        file = storage.file(path).resolve()
        # A symlink planted in blobs/ must not lead out of it.
        if root not in file.parents or not file.is_file():
            return Response.text("Not found", status=404)
        return FileResponse(file, content_type, download_name, inline_name=inline_name)
    try:
        size = await asyncio.to_thread(storage.size, path)
    except StoreError as e:
        return Response.text(f"Stored file not available: {e}", status=503)
    if size is None:
        return Response.text("Not found", status=404)
    return StoredResponse(storage, path, size, content_type, download_name, inline_name=inline_name)


def blob_storage(datasette: Any, db: Any) -> BlobStorage:
    """Where the archive's files are: the plugin's ``blob_store`` setting (``archiver serve``
    passes ``Settings.blob_store``), else ``ARCHIVER_BLOB_STORE``, else beside the database."""
    storage = getattr(datasette, "_archiver_storage", None)
    if storage is None:
        storage = storage_for(blob_store_setting(datasette), Path(db.path).parent)
        datasette._archiver_storage = storage
    return storage


def blob_store_setting(datasette: Any) -> str | None:
    config = datasette.plugin_config("archiver") or {}
    return config.get("blob_store") or os.environ.get(STORE_ENV) or None


async def _stored(datasette: Any, db: Any, path: str) -> Path | None:
    """A local copy of the stored file at ``path`` (a blob path), if it is one inside the
    blob store (for a directory: inside blobs/, a planted symlink leading nowhere else)."""
    if not is_blob_path(path):
        return None
    storage = blob_storage(datasette, db)
    if isinstance(storage, DirectoryStorage):
        root = storage.root.resolve()
        file = storage.file(path).resolve()
        if root not in file.parents or not file.is_file():
            return None
        return file
    try:
        return await asyncio.to_thread(storage.local_path, path)
    except (StoreError, OSError):
        return None


async def serve_region(datasette: Any, request: Any) -> Any:
    """The region of an article's page screenshot where a citation sits: a crop made on the
    fly (archiver.browse.regions), served as an image that cannot script."""
    db = archive_database(datasette)
    if db is None:
        return Response.text("Not found", status=404)
    region_id = int(request.url_vars["region_id"])
    row = None
    # An archive from before regions (plain `datasette` on a file not upgraded) has none.
    if (await db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'embed_regions'")).first():
        row = (await db.execute(
            """SELECT r.x, r.y, r.width, r.height, c.path, c.width AS shot_width, c.height AS shot_height
               FROM embed_regions r JOIN captures c ON c.id = r.capture_id AND c.kind = 'page_screenshot'
               WHERE r.id = ? AND c.mime = 'image/png'""",
            [region_id],
        )).first()
    file = await _stored(datasette, db, row["path"]) if row is not None else None
    png = await regions.crop(file, regions.crop_box(row)) if file is not None and row is not None else None
    if png is None:
        return Response.text("Not found", status=404)
    headers = dict(SAFETY_HEADERS)
    headers["content-disposition"] = f'inline; filename="region-{region_id}.png"'
    return Response(png, content_type="image/png", headers=headers)


async def serve_evidence(datasette: Any, request: Any) -> Any:
    """The WACZ export of one post or article, as a download."""
    db = archive_database(datasette)
    if db is None:
        return Response.text("Not found", status=404)
    owner, owner_id = request.url_vars["owner"], int(request.url_vars["owner_id"])
    return await downloads.evidence_response(db, blob_store_setting(datasette), owner, owner_id)


async def serve_stylesheet(datasette: Any, request: Any) -> Any:
    return Response(STYLESHEET.read_text(encoding="utf-8"), content_type="text/css; charset=utf-8",
                    headers={"cache-control": "no-cache"})


@hookimpl
def extra_css_urls(template: str, database: str, table: str, columns: Any, view_name: str, request: Any, datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/archiver/archiver.css")]


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if database != DATABASE:
        return None
    return cells.render(datasette, row, value, column, table)


@hookimpl
def extra_template_vars(template: str, database: str, table: str, view_name: str, request: Any, datasette: Any) -> Any:
    if database != DATABASE and view_name != "index":
        return {}

    async def inner() -> dict[str, Any]:
        links = Links(datasette)
        db = archive_database(datasette)
        if db is None:
            return {}
        out: dict[str, Any] = {"archiver_links": links}
        if view_name == "index":
            out["archiver_queries"] = [{"name": k, **v} for k, v in QUERIES.items()]
        if view_name in ("index", "database") or (view_name == "table" and table in ("posts", "articles")):
            out["archiver_lead"] = await cells.lead(db, links)
        if view_name == "row" and table in ("posts", "articles") and request is not None:
            try:
                pk = int(request.url_vars.get("pks", ""))
            except ValueError:
                return out
            storage = blob_storage(datasette, db)
            if table == "posts":
                out["archiver_post"] = await db.execute_fn(lambda conn: post_context(conn, links, storage, pk))
            else:
                out["archiver_article"] = await db.execute_fn(lambda conn: article_context(conn, links, storage, pk))
        if view_name == "database" or template.startswith("query"):
            out["archiver_articles"] = [
                {"id": r["id"], "title": r["title"] or r["url"]}
                for r in await db.execute("SELECT id, title, url FROM articles ORDER BY first_archived_at DESC LIMIT 500")
            ]
        return out

    return inner


@hookimpl(hookwrapper=True)
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Generator[None, Any, None]:
    """Datasette's own handler, run with the error in flight.

    Its default handler prints the error with ``rich`` when that is installed, and rich
    prints only an exception being handled: for a URL no route matches, Datasette calls
    it with a NotFound it never raised, rich raises, and the answer is a 500 instead of
    its 404 page. Then the handler is run inside ``except`` of that very NotFound, as it
    is for every error a view raises; its page and status are Datasette's, unchanged.
    """
    in_flight = sys.exc_info()[1] is not None
    outcome = yield
    if in_flight:
        return
    outcome.force_result([_in_flight(answer, exception) for answer in outcome.get_result()])


def _in_flight(answer: Any, exception: Exception) -> Any:
    if not callable(answer):
        return answer

    async def run() -> Any:
        try:
            raise exception
        except type(exception):
            return await await_me_maybe(answer)

    return run


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    # The archive is evidence: nothing served may change it, whoever asks (Datasette 1.0
    # has write APIs; 0.65 opens files read-only anyway).
    if action in WRITE_ACTIONS:
        return False
    return None

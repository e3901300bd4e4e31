"""archiver's Datasette plugin: stored files, thumbnails in cells, a post's page, read-only.

``archiver serve`` registers it in-process; plain ``datasette`` loads it with
``--plugins-dir`` (this directory holds only this file, since Datasette loads every
``.py`` in it). Imports are absolute for that reason: loaded from a directory, this
module is not part of a package.

Hooks use only arguments that Datasette 0.65 and 1.0 both pass.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl  # type: ignore[import-untyped]
from datasette.utils.asgi import Response  # type: ignore[import-untyped]
from jinja2 import ChoiceLoader, FileSystemLoader

from archiver.browse import cells
from archiver.browse.files import FileResponse, delivery, is_blob_path
from archiver.browse.metadata import DATABASE
from archiver.browse.post_page import post_context, with_urls

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
WRITE_ACTIONS = {"insert-row", "delete-row", "update-row", "upsert-row", "create-table", "drop-table", "alter-table"}


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
    # Our templates first (the post page), Datasette's behind them for everything else.
    env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])


@hookimpl
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    return [(r"^/-/archiver/(?P<path>blobs/.+)$", serve_blob)]


async def serve_blob(datasette: Any, request: Any) -> Any:
    """One stored file, only if ``blobs`` names it: never archive.db, never blobs/tmp."""
    path = request.url_vars["path"]
    db = archive_database(datasette)
    if db is None or not is_blob_path(path):
        return Response.text("Not found", status=404)
    row = (await db.execute("SELECT mime FROM blobs WHERE path = ?", [path])).first()
    if row is None:
        return Response.text("Not found", status=404)
    root = (Path(db.path).parent / "blobs").resolve()
    file = (Path(db.path).parent / path).resolve()
    # A symlink planted in blobs/ must not lead out of it.
    if root not in file.parents or not file.is_file():
        return Response.text("Not found", status=404)
    content_type, download_name = delivery(row["mime"], path)
    return FileResponse(file, content_type, download_name)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if not isinstance(value, str) or database != DATABASE:
        return None

    async def inner() -> Any:
        db = datasette.get_database(database)
        if table == "captures" and column == "path":
            return await cells.capture_cell(datasette, db, row, value)
        if table == "posts" and column == "url":
            return await cells.post_url_cell(datasette, db, row, value)
        if table == "articles" and column == "url":
            return await cells.article_url_cell(datasette, db, row, value)
        if table == "thumbnails" and column == "path" and is_blob_path(value):
            return cells.thumbnail(
                datasette, value, {"path": value, "width": row["width"], "height": row["height"]}, "thumbnail"
            )
        if column == "path" and is_blob_path(value):
            # blobs, and canned queries that list files
            return cells.link(datasette, value, value)
        return None

    return inner


@hookimpl
def extra_template_vars(template: str, database: str, table: str, view_name: str, request: Any, datasette: Any) -> Any:
    if view_name != "row" or table != "posts" or database != DATABASE or request is None:
        return {}

    async def inner() -> dict[str, Any]:
        try:
            post_id = int(request.url_vars.get("pks", ""))
        except ValueError:
            return {}
        db = datasette.get_database(database)
        context = await db.execute_fn(lambda conn: post_context(conn, post_id))
        return {"archiver_post": with_urls(datasette, context) if context else None}

    return inner


@hookimpl
def permission_allowed(datasette: Any, actor: Any, action: str, resource: Any) -> bool | None:
    # The archive is evidence: nothing served may change it, whoever asks (Datasette 1.0
    # has write APIs; 0.65 opens files read-only anyway).
    if action in WRITE_ACTIONS:
        return False
    return None

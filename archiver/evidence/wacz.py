"""WACZ export: what archiver received, as a web archive ReplayWeb.page and pywb replay.

Layout (WACZ 1.1.1): ``archive/data.warc.gz`` (stored, not deflated, so readers seek
into it), ``indexes/index.cdx`` (CDXJ, sorted), ``pages/pages.jsonl``,
``datapackage.json`` (every file's SHA-256 and size) and ``datapackage-digest.json``.

Each recorded exchange becomes a WARC ``response`` record: the status line is
synthesized (``HTTP/1.1 <status> <reason>``) from the recorded status, the headers are
those recorded except ``Content-Encoding`` and ``Transfer-Encoding`` — bodies are
stored decoded, so those would lie — and ``Content-Length``, set to the stored body's
size. Screenshots are ``resource`` records (``urn:archiver:capture:<id>``), each run's
provenance a ``metadata`` record (``urn:archiver:provenance:run:<id>``). No request
records: archiver does not record request headers, and inventing them would be worse.

Scope: everything, or the runs that captured an article (or its posts) or a post. A
run's exchanges cannot be told apart item by item, so all of each selected run's
exchanges go in.

Streaming and atomic: bodies are copied from the blob store to a WARC file in chunks,
indexed by cdxj-indexer (the indexer pywb and py-wacz use, so the SURT keys are theirs),
and zipped, all in a staging directory beside ``out``; the zip is fsynced and renamed
onto ``out``. A failed or killed export never leaves a partial ``out``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import IO, Any

from .. import __version__
from ..errors import ExportError, NotInArchive
from ..plumbing.blobstores import BlobStorage

DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
SCREENSHOT_KINDS = ("screenshot", "page_screenshot")
WARC_NAME = "data.warc.gz"
CHUNK = 1024 * 1024


@dataclass
class ExportSummary:
    path: Path
    responses: int = 0
    resources: int = 0
    metadata: int = 0
    pages: int = 0
    runs: int = 0
    stamps: int = 0
    """RFC 3161 timestamps carried (``timestamps/``), covering the exported captures."""

    def line(self) -> str:
        return (
            f"{self.path}: {self.responses} responses, {self.resources} screenshots, {self.metadata} provenance "
            f"records, {self.pages} pages, from {self.runs} runs"
            + (f", {self.stamps} timestamps" if self.stamps else "")
        )

    def as_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in self.__dict__.items() if k != "path"}, "path": str(self.path)}


def warc_date(iso: str) -> str:
    return iso[:19] + "Z"


@dataclass
class Scope:
    runs: list[int]
    article_ids: set[int] | None
    """Screenshots of these articles and posts go in; None: all of the runs'."""
    post_ids: set[int] | None


def _scope(conn: sqlite3.Connection, article: str | None, post: str | None) -> Scope:
    if article:
        row = conn.execute("SELECT id FROM articles WHERE url = ? OR final_url = ?", (article, article)).fetchone()
        if row is None:
            raise NotInArchive(f"{article}: no such article in the archive")
        article_ids = {int(row["id"])}
        post_ids = {int(r[0]) for r in conn.execute("SELECT post_id FROM article_posts WHERE article_id = ?", (row["id"],))}
    elif post:
        from ..queries import find_post

        article_ids, post_ids = set(), {int(find_post(conn, post)["id"])}
    else:
        return Scope([int(r[0]) for r in conn.execute("SELECT id FROM runs ORDER BY id")], None, None)
    runs = sorted(
        {int(r["run_id"]) for r in conn.execute("SELECT run_id, article_id, post_id FROM captures")
         if r["article_id"] in article_ids or r["post_id"] in post_ids}
    )
    return Scope(runs, article_ids, post_ids)


@dataclass
class _Export:
    """One export in progress: the WARC writer, what it wrote, the pages found."""

    conn: sqlite3.Connection
    storage: BlobStorage
    scope: Scope
    writer: Any
    summary: ExportSummary
    paths: dict[str, str]
    """Stored files by SHA-256."""
    pages: list[dict[str, object]] = field(default_factory=list)

    def runs_in(self) -> tuple[str, list[int]]:
        return ", ".join("?" * len(self.scope.runs)), self.scope.runs

    @contextmanager
    def body(self, sha256: str | None) -> Iterator[tuple[IO[bytes], int]]:
        """A stored file, open for streaming, and its size; empty when not stored."""
        if sha256 is None or sha256 not in self.paths:
            with open(os.devnull, "rb") as empty:
                yield empty, 0
            return
        key = self.paths[sha256]
        try:
            # A file: warcio reads a payload twice (its digest, then the copy).
            path = self.storage.local_path(key)
            f = path.open("rb")
        except OSError as e:
            path = Path(key)
            raise ExportError(f"cannot read stored file {path}: {e.strerror or e}") from e
        with f:
            yield f, os.fstat(f.fileno()).st_size

    def write(self, uri: str, rec_type: str, payload: IO[bytes], length: int, **kwargs: Any) -> None:
        """One record, its payload streamed (warcio reads it twice: digest, then copy)."""
        self.writer.write_record(self.writer.create_warc_record(uri, rec_type, payload=payload, length=length, **kwargs))


def export_wacz(
    conn: sqlite3.Connection, storage: BlobStorage, out: Path, *, article: str | None = None, post: str | None = None
) -> ExportSummary:
    """Write the WACZ of the scope (everything, ``article`` or ``post``) to ``out``, atomically."""
    from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

    scope = _scope(conn, article, post)
    if not scope.runs:
        raise ExportError("nothing to export: no run captured it")
    summary = ExportSummary(out, runs=len(scope.runs))
    paths = {r["sha256"]: r["path"] for r in conn.execute("SELECT sha256, path FROM blobs")}
    with _staging(out) as work:
        warc = work / WARC_NAME
        with warc.open("wb") as f:
            export = _Export(conn, storage, scope, WARCWriter(f, gzip=True), summary, paths)
            _write_responses(export)
            _write_screenshots(export)
            _write_provenance(export)
        _write_index(warc, work / "index.cdx")
        _write_pages(work / "pages.jsonl", export.pages)
        summary.pages = len(export.pages)
        members = {f"archive/{WARC_NAME}": warc, "indexes/index.cdx": work / "index.cdx",
                   "pages/pages.jsonl": work / "pages.jsonl"}
        members.update(_write_timestamps(export, work))
        _write_zip(out, work / "export.wacz", members, main_url=str(export.pages[0]["url"]) if export.pages else None)
    return summary


@contextmanager
def _staging(out: Path) -> Iterator[Path]:
    """A private directory beside ``out`` (same file system, so the final rename is atomic),
    removed afterwards whatever happens."""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    except OSError as e:
        raise ExportError(f"cannot write {out}: {e.strerror or e}") from e
    try:
        yield work
    except OSError as e:
        raise ExportError(f"cannot write {out}: {e.strerror or e}") from e
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_responses(export: _Export) -> None:
    """Each exchange of the runs as a ``response`` record; articles and embed cards as pages."""
    from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]

    from ..platforms import card_in_frame

    marks, runs = export.runs_in()
    article_urls = {
        r[0] for r in export.conn.execute(
            f"""SELECT DISTINCT a.final_url FROM articles a JOIN captures c ON c.article_id = a.id
                WHERE c.run_id IN ({marks}) AND a.final_url IS NOT NULL""",
            runs,
        )
    }
    page_urls: set[str] = set()
    for e in export.conn.execute(
        f"SELECT * FROM exchanges WHERE run_id IN ({marks}) AND status IS NOT NULL ORDER BY id", runs
    ):
        if not e["url"].startswith(("http://", "https://")):
            continue
        headers = [
            (str(name), str(value))
            for name, value in (json.loads(e["headers"]) if e["headers"] else [])
            if str(name).lower() not in DROPPED_HEADERS and not str(name).startswith(":")
        ]
        try:
            reason = HTTPStatus(int(e["status"])).phrase
        except ValueError:
            reason = "Unknown"
        with export.body(e["sha256"]) as (payload, length):
            headers.append(("Content-Length", str(length)))
            export.write(
                e["url"],
                "response",
                payload,
                length,
                http_headers=StatusAndHeaders(f"{e['status']} {reason}", headers, protocol="HTTP/1.1"),
                warc_headers_dict={
                    "WARC-Date": warc_date(e["started_at"]),
                    "WARC-JSON-Metadata": json.dumps(
                        {"archiver_exchange": e["id"], "run": e["run_id"], "client": e["client"],
                         "body_sha256": e["sha256"]}
                    ),
                },
            )
        export.summary.responses += 1
        is_card = e["client"] == "browser" and card_in_frame(e["url"]) is not None
        if int(e["status"]) == 200 and (is_card or e["url"] in article_urls) and e["url"] not in page_urls:
            page_urls.add(e["url"])
            export.pages.append({"id": f"exchange-{e['id']}", "url": e["url"], "ts": warc_date(e["started_at"]),
                                 "title": "embed card" if is_card else e["url"]})


def _write_screenshots(export: _Export) -> None:
    """Card and page screenshots in scope as ``resource`` records."""
    marks, runs = export.runs_in()
    scope = export.scope
    for c in export.conn.execute(
        f"""SELECT c.* FROM captures c WHERE c.run_id IN ({marks}) AND c.kind IN ('screenshot', 'page_screenshot')
            ORDER BY c.id""",
        runs,
    ):
        if scope.post_ids is not None and scope.article_ids is not None and not (
            c["post_id"] in scope.post_ids or c["article_id"] in scope.article_ids
        ):
            continue
        with export.body(c["sha256"]) as (payload, length):
            export.write(
                f"urn:archiver:capture:{c['id']}",
                "resource",
                payload,
                length,
                warc_content_type=c["mime"] or "image/png",
                warc_headers_dict={
                    "WARC-Date": warc_date(c["captured_at"]),
                    "WARC-JSON-Metadata": json.dumps(
                        {"archiver_capture": c["id"], "kind": c["kind"], "source_url": c["source_url"],
                         "sha256": c["sha256"]}
                    ),
                },
            )
        export.summary.resources += 1


def _write_provenance(export: _Export) -> None:
    """Each run's provenance document as a ``metadata`` record."""
    marks, runs = export.runs_in()
    for c in export.conn.execute(
        f"SELECT * FROM captures WHERE run_id IN ({marks}) AND kind = 'provenance' ORDER BY id", runs
    ):
        with export.body(c["sha256"]) as (payload, length):
            export.write(
                f"urn:archiver:provenance:run:{c['run_id']}",
                "metadata",
                payload,
                length,
                warc_content_type="application/json",
                warc_headers_dict={"WARC-Date": warc_date(c["captured_at"])},
            )
        export.summary.metadata += 1


def _write_timestamps(export: _Export, work: Path) -> dict[str, Path]:
    """Trusted time (issue 16): the tokens covering the exported captures, their certificates,
    the log segment from the first capture to the last stamped head, and how to check it by
    hand, under ``timestamps/``. Nothing when no stamp covers them."""
    from . import timestamps

    marks, runs = export.runs_in()
    scope = export.scope
    ids = [
        int(c["id"]) for c in export.conn.execute(f"SELECT * FROM captures WHERE run_id IN ({marks})", runs)
        if scope.post_ids is None or scope.article_ids is None
        or c["post_id"] in scope.post_ids or c["article_id"] in scope.article_ids or c["kind"] == "provenance"
    ]
    log, stamps, rows = timestamps.segment(export.conn, ids)
    if not stamps:
        return {}
    folder = work / "timestamps"
    folder.mkdir()
    members: dict[str, Path] = {}
    listed = []
    for stamp in stamps:
        base = f"{stamp.id}-{''.join(ch if ch.isalnum() or ch in '-_.' else '_' for ch in stamp.tsa)}"
        for suffix, stored in ((".tsr", stamp.response_path), (".certs.pem", stamp.certs_path)):
            target = folder / (base + suffix)
            shutil.copyfile(export.storage.local_path(stored), target)
            members[f"timestamps/{target.name}"] = target
        listed.append({"id": stamp.id, "tsa": stamp.tsa, "url": stamp.url, "head_seq": stamp.head_seq,
                       "head_sha256": stamp.head_sha256, "stated_at": stamp.stated_at,
                       "response": f"timestamps/{base}.tsr", "certificates": f"timestamps/{base}.certs.pem"})
    for name, text in (
        ("stamps.json", json.dumps(listed, indent=2) + "\n"),
        ("log.jsonl", "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in log)),
        ("captures.jsonl", "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n" for r in rows)),
        ("README.txt", timestamps.HOW_TO_CHECK),
    ):
        (folder / name).write_text(text, encoding="utf-8")
        members[f"timestamps/{name}"] = folder / name
    export.summary.stamps = len(stamps)
    return members


def _write_index(warc: Path, index: Path) -> None:
    """The sorted CDXJ index of the WARC's response, resource and metadata records, by cdxj-indexer."""
    from cdxj_indexer import CDXJIndexer  # type: ignore[import-untyped]

    with warc.open("rb") as source, index.open("w", encoding="utf-8") as target:
        CDXJIndexer(target, [source], sort=True, filename=WARC_NAME).process_all()


def _write_pages(path: Path, pages: list[dict[str, object]]) -> None:
    header = {"format": "json-pages-1.0", "id": "pages", "title": "archiver export"}
    with path.open("w", encoding="utf-8") as f:
        for page in [header, *pages]:
            f.write(json.dumps(page) + "\n")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_zip(out: Path, tmp: Path, members: dict[str, Path], main_url: str | None) -> None:
    """Zip the members with their datapackage into ``tmp``, fsync it, and rename it onto ``out``."""
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    package: dict[str, object] = {
        "profile": "data-package",
        "resources": [
            {"name": Path(name).name.lower(), "path": name, "hash": "sha256:" + _sha256(path),
             "bytes": path.stat().st_size}
            for name, path in members.items()
        ],
        "title": "archiver export",
        "created": created,
        "wacz_version": "1.1.1",
        "software": f"archiver {__version__}",
    }
    if main_url:
        package["mainPageURL"] = main_url
    package_bytes = json.dumps(package, indent=2).encode("utf-8")
    digest = json.dumps({"path": "datapackage.json", "hash": "sha256:" + hashlib.sha256(package_bytes).hexdigest()}, indent=2)
    with tmp.open("wb") as f:
        with zipfile.ZipFile(f, "w", allowZip64=True) as z:
            for name, path in members.items():
                # WARCs stored, not deflated: replay tools read records by offset inside the zip.
                method = zipfile.ZIP_STORED if name.startswith("archive/") else zipfile.ZIP_DEFLATED
                z.write(path, name, compress_type=method)  # streamed from the file, in chunks
            z.writestr(zipfile.ZipInfo("datapackage.json", date_time=_zip_time()), package_bytes, compress_type=zipfile.ZIP_DEFLATED)
            z.writestr(zipfile.ZipInfo("datapackage-digest.json", date_time=_zip_time()), digest, compress_type=zipfile.ZIP_DEFLATED)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(out)
    _fsync_dir(out.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def read_back(path: Path, url: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """Replay one URL from a WACZ through its CDXJ index: (status, headers, body), or None."""
    import io

    import surt  # type: ignore[import-untyped]
    from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

    with zipfile.ZipFile(path) as z:
        key = surt.surt(url)
        for line in z.read("indexes/index.cdx").decode("utf-8").splitlines():
            k, _, rest = line.split(" ", 2)
            fields = json.loads(rest)
            if k != key or fields["url"] != url:
                continue
            with z.open(f"archive/{fields['filename']}") as warc:
                warc.seek(int(fields["offset"]))
                chunk = warc.read(int(fields["length"]))
            for record in ArchiveIterator(io.BytesIO(chunk)):
                assert record.http_headers is not None
                return (
                    int(record.http_headers.get_statuscode()),
                    record.http_headers.headers,
                    record.content_stream().read(),
                )
    return None

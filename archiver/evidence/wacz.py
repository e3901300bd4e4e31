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
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from .. import __version__
from ..errors import ExportError, NotInArchive

DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
SCREENSHOT_KINDS = ("screenshot", "page_screenshot")
WARC_NAME = "data.warc.gz"


@dataclass
class ExportSummary:
    path: Path
    responses: int = 0
    resources: int = 0
    metadata: int = 0
    pages: int = 0
    runs: int = 0

    def line(self) -> str:
        return (
            f"{self.path}: {self.responses} responses, {self.resources} screenshots, {self.metadata} provenance "
            f"records, {self.pages} pages, from {self.runs} runs"
        )

    def as_dict(self) -> dict[str, object]:
        return {**{k: v for k, v in self.__dict__.items() if k != "path"}, "path": str(self.path)}


def surt(url: str) -> str:
    """The SURT sort key of a URL, as CDXJ indexes use: ``com,example)/path?a=1&b=2``."""
    if not url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    key = ",".join(reversed(host.split(".")))
    if parts.port and parts.port not in (80, 443):
        key += f":{parts.port}"
    key += ")" + (parts.path or "/").lower()
    if parts.query:
        key += "?" + urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True))).lower()
    return key


def warc_date(iso: str) -> str:
    return iso[:19] + "Z"


def timestamp14(iso: str) -> str:
    return iso[:19].replace("-", "").replace("T", "").replace(":", "")


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


def export_wacz(
    conn: sqlite3.Connection, data_dir: Path, out: Path, *, article: str | None = None, post: str | None = None
) -> ExportSummary:
    from warcio.statusandheaders import StatusAndHeaders  # type: ignore[import-untyped]
    from warcio.warcwriter import WARCWriter  # type: ignore[import-untyped]

    scope = _scope(conn, article, post)
    runs = scope.runs
    if not runs:
        raise ExportError("nothing to export: no run captured it")
    summary = ExportSummary(out, runs=len(runs))
    marks = ", ".join("?" * len(runs))
    paths = {r["sha256"]: r["path"] for r in conn.execute("SELECT sha256, path FROM blobs")}
    warc = io.BytesIO()
    writer = WARCWriter(warc, gzip=True)
    pages: list[dict[str, object]] = []
    page_urls: set[str] = set()
    article_urls = {
        r[0] for r in conn.execute(
            f"""SELECT DISTINCT a.final_url FROM articles a JOIN captures c ON c.article_id = a.id
                WHERE c.run_id IN ({marks}) AND a.final_url IS NOT NULL""",
            runs,
        )
    }

    def body_of(sha256: str | None) -> bytes:
        if sha256 is None or sha256 not in paths:
            return b""
        return bytes((data_dir / paths[sha256]).read_bytes())

    for e in conn.execute(f"SELECT * FROM exchanges WHERE run_id IN ({marks}) AND status IS NOT NULL ORDER BY id", runs):
        if not e["url"].startswith(("http://", "https://")):
            continue
        body = body_of(e["sha256"])
        headers = [
            (str(name), str(value))
            for name, value in (json.loads(e["headers"]) if e["headers"] else [])
            if str(name).lower() not in DROPPED_HEADERS and not str(name).startswith(":")
        ]
        headers.append(("Content-Length", str(len(body))))
        try:
            reason = HTTPStatus(int(e["status"])).phrase
        except ValueError:
            reason = "Unknown"
        http_headers = StatusAndHeaders(f"{e['status']} {reason}", headers, protocol="HTTP/1.1")
        record = writer.create_warc_record(
            e["url"],
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": warc_date(e["started_at"]),
                "WARC-JSON-Metadata": json.dumps(
                    {"archiver_exchange": e["id"], "run": e["run_id"], "client": e["client"], "body_sha256": e["sha256"]}
                ),
            },
        )
        writer.write_record(record)
        summary.responses += 1
        is_card = "/embed/Tweet.html" in e["url"] and e["client"] == "browser"
        if int(e["status"]) == 200 and (is_card or e["url"] in article_urls) and e["url"] not in page_urls:
            page_urls.add(e["url"])
            pages.append({"id": f"exchange-{e['id']}", "url": e["url"], "ts": warc_date(e["started_at"]),
                          "title": "embed card" if is_card else e["url"]})

    for c in conn.execute(
        f"""SELECT c.* FROM captures c WHERE c.run_id IN ({marks}) AND c.kind IN ('screenshot', 'page_screenshot')
            ORDER BY c.id""",
        runs,
    ):
        if scope.post_ids is not None and scope.article_ids is not None and not (
            c["post_id"] in scope.post_ids or c["article_id"] in scope.article_ids
        ):
            continue
        record = writer.create_warc_record(
            f"urn:archiver:capture:{c['id']}",
            "resource",
            payload=io.BytesIO(body_of(c["sha256"])),
            length=int(c["bytes"]),
            warc_content_type=c["mime"] or "image/png",
            warc_headers_dict={
                "WARC-Date": warc_date(c["captured_at"]),
                "WARC-JSON-Metadata": json.dumps(
                    {"archiver_capture": c["id"], "kind": c["kind"], "source_url": c["source_url"], "sha256": c["sha256"]}
                ),
            },
        )
        writer.write_record(record)
        summary.resources += 1
    for c in conn.execute(
        f"SELECT * FROM captures WHERE run_id IN ({marks}) AND kind = 'provenance' ORDER BY id", runs
    ):
        record = writer.create_warc_record(
            f"urn:archiver:provenance:run:{c['run_id']}",
            "metadata",
            payload=io.BytesIO(body_of(c["sha256"])),
            length=int(c["bytes"]),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Date": warc_date(c["captured_at"])},
        )
        writer.write_record(record)
        summary.metadata += 1

    warc_bytes = warc.getvalue()
    index = cdxj_lines(warc_bytes, WARC_NAME)
    pages_jsonl = "\n".join(
        json.dumps(p) for p in [{"format": "json-pages-1.0", "id": "pages", "title": "archiver export"}, *pages]
    ) + "\n"
    summary.pages = len(pages)
    _write_zip(out, {
        f"archive/{WARC_NAME}": warc_bytes,
        "indexes/index.cdx": "".join(index).encode("utf-8"),
        "pages/pages.jsonl": pages_jsonl.encode("utf-8"),
    }, main_url=str(pages[0]["url"]) if pages else None)
    return summary


def cdxj_lines(warc_bytes: bytes, filename: str) -> list[str]:
    """One sorted CDXJ line per response, resource and metadata record."""
    from warcio.archiveiterator import ArchiveIterator  # type: ignore[import-untyped]

    lines = []
    iterator = ArchiveIterator(io.BytesIO(warc_bytes))
    for record in iterator:
        if record.rec_type not in ("response", "resource", "metadata"):
            continue
        url = record.rec_headers.get_header("WARC-Target-URI")
        date = record.rec_headers.get_header("WARC-Date")
        if record.rec_type == "response" and record.http_headers is not None:
            status = record.http_headers.get_statuscode()
            mime = (record.http_headers.get_header("Content-Type") or "").split(";")[0].strip()
        else:
            status, mime = "200", record.rec_headers.get_header("Content-Type") or ""
        fields = {
            "url": url,
            "mime": mime or "unk",
            "status": status,
            "digest": record.rec_headers.get_header("WARC-Payload-Digest"),
            "offset": str(iterator.get_record_offset()),
            "length": str(iterator.get_record_length()),
            "filename": filename,
        }
        lines.append(f"{surt(url)} {date.replace('-', '').replace('T', '').replace(':', '').rstrip('Z')} {json.dumps(fields)}\n")
    return sorted(lines)


def _write_zip(out: Path, files: dict[str, bytes], main_url: str | None) -> None:
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    package: dict[str, object] = {
        "profile": "data-package",
        "resources": [
            {"name": Path(name).name.lower(), "path": name, "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
             "bytes": len(data)}
            for name, data in files.items()
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
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w") as z:
        for name, data in files.items():
            # WARCs stored, not deflated: replay tools read records by offset inside the zip.
            method = zipfile.ZIP_STORED if name.startswith("archive/") else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name, date_time=_zip_time()), data, compress_type=method)
        z.writestr(zipfile.ZipInfo("datapackage.json", date_time=_zip_time()), package_bytes, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr(zipfile.ZipInfo("datapackage-digest.json", date_time=_zip_time()), digest, compress_type=zipfile.ZIP_DEFLATED)
    tmp.replace(out)


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def read_back(path: Path, url: str) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """Replay one URL from a WACZ through its CDXJ index: (status, headers, body), or None."""
    from warcio.archiveiterator import ArchiveIterator

    with zipfile.ZipFile(path) as z:
        key = surt(url)
        for line in z.read("indexes/index.cdx").decode("utf-8").splitlines():
            k, _, rest = line.split(" ", 2)
            fields = json.loads(rest)
            if k != key or fields["url"] != url:
                continue
            warc = z.read(f"archive/{fields['filename']}")
            chunk = warc[int(fields["offset"]): int(fields["offset"]) + int(fields["length"])]
            for record in ArchiveIterator(io.BytesIO(chunk)):
                assert record.http_headers is not None
                return (
                    int(record.http_headers.get_statuscode()),
                    record.http_headers.headers,
                    record.content_stream().read(),
                )
    return None


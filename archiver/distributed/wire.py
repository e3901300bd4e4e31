"""What travels through the queue: tasks handed out, results sent back, as JSON.

A **task** (``Job``) is one unit of the pipeline: a target (an article, or a post by its
URL) to archive, or a batch of posts a sweep re-checks. It carries the catalogue's
answers the work needs (``Answers``: the posts it may meet as archived, which of them
were ever seen live, an article's last fetched bytes), because a worker never opens
archive.db.

A **result** is what the worker's capture would have written: an ordered list of
operations (``ops``), each the arguments of one ``Store`` call with files named by their
blobs (already complete in the blob store), the HTTP exchanges made, and an outcome (the
counts, errors and progress lines of the task). The catalogue writer replays it
(``archiver.distributed.ingest``). New rows are named by negative ids local to the task.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..plumbing.blobs import Blob
from ..plumbing.net import Exchange
from ..steps.store import CaptureFile, Check, Citation, Seen
from ..steps.thumbnails import Thumbnail

FORMAT = 1
"""The version of the task and result format; a writer refuses what it does not know."""

Json = dict[str, Any]


# --------------------------------------------------------------------------- files and rows


def blob_out(blob: Blob) -> Json:
    return {"sha256": blob.sha256, "path": blob.path, "bytes": blob.bytes, "mime": blob.mime}


def blob_in(data: Json) -> Blob:
    return Blob(sha256=str(data["sha256"]), path=str(data["path"]), bytes=int(data["bytes"]), mime=data.get("mime"))


def capture_out(capture: CaptureFile) -> Json:
    out = {k: v for k, v in asdict(capture).items() if k not in ("blob", "thumbnail")}
    out["blob"] = blob_out(capture.blob)
    if capture.thumbnail is not None:
        out["thumbnail"] = {
            "blob": blob_out(capture.thumbnail.blob), "width": capture.thumbnail.width, "height": capture.thumbnail.height,
        }
    return out


def capture_in(data: Json) -> CaptureFile:
    thumb = data.get("thumbnail")
    return CaptureFile(
        kind=str(data["kind"]),
        blob=blob_in(data["blob"]),
        mime=data.get("mime"),
        width=data.get("width"),
        height=data.get("height"),
        source_url=data.get("source_url"),
        source=data.get("source"),
        thumbnail=Thumbnail(blob_in(thumb["blob"]), int(thumb["width"]), int(thumb["height"])) if thumb else None,
        dhash=data.get("dhash"),
        duration=data.get("duration"),
        checked_as=data.get("checked_as"),
        logged_in=data.get("logged_in"),
    )


def exchange_out(client: str, exchange: Exchange) -> Json:
    return {
        "client": client,
        "url": exchange.url,
        "method": exchange.method,
        "status": exchange.status,
        "headers": [list(h) for h in exchange.headers],
        "started_at": exchange.started_at,
        "blob": blob_out(exchange.blob) if exchange.blob is not None else None,
        "logged_in": exchange.logged_in,
    }


def exchange_in(data: Json) -> tuple[str, Exchange]:
    return str(data["client"]), Exchange(
        url=str(data["url"]),
        method=str(data["method"]),
        status=data.get("status"),
        headers=[(str(k), str(v)) for k, v in data.get("headers") or []],
        started_at=str(data["started_at"]),
        blob=blob_in(data["blob"]) if data.get("blob") else None,
        logged_in=data.get("logged_in"),
    )


def citation_in(data: Json) -> Citation:
    return Citation(int(data["post_id"]), str(data["link"]), str(data["form"]), data.get("embed_text"))


def seen_in(data: Json) -> Seen:
    return Seen(str(data["link"]), str(data["platform"]), data.get("native_id"), str(data["form"]), str(data["placement"]))


def check_in(data: Json) -> Check:
    return Check(
        int(data["post_id"]), str(data["status"]), dict(data["signals"]), str(data["checked_at"]),
        float(data.get("confirm_after") or 0.0), data.get("logged_in"),
    )


# --------------------------------------------------------------------------- tasks


@dataclass
class Answers:
    """The catalogue's answers a task needs, given when it is handed out."""

    posts: list[Json] = field(default_factory=list)
    """``posts`` rows (as dicts) of the posts the task may meet: a worker reuses a complete one."""
    was_live: list[list[str]] = field(default_factory=list)
    """``[platform, native_id]`` of those posts ever checked live."""
    article_sha256: dict[str, str] = field(default_factory=dict)
    """An article's URL → the SHA-256 of its last fetched HTML (a sweep screenshots it only if it changed)."""

    def as_json(self) -> Json:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Json) -> Answers:
        return cls(list(data.get("posts") or []), [list(p) for p in data.get("was_live") or []],
                   dict(data.get("article_sha256") or {}))


@dataclass
class RunInfo:
    """The run a task belongs to: the dispatcher's key for it, its command, its number of tasks."""

    key: str
    command: str
    tasks: int


@dataclass
class Job:
    """One task: ``kind`` is ``target`` (archive ``target``) or ``checks`` (re-check ``posts``)."""

    task: str
    """The task's id: the same on every delivery and retry, so its result is written once."""
    run: RunInfo
    kind: str
    answers: Answers
    target: str | None = None
    recapture: bool = False
    page_embeds: bool = False
    page_policy: str = "always"
    posts: list[Json] = field(default_factory=list)
    """For ``checks``: the ``posts`` rows to re-check."""
    concurrency: int = 32
    max_time: float | None = None

    def as_json(self) -> Json:
        out = asdict(self)
        out["format"] = FORMAT
        return out

    @classmethod
    def from_json(cls, data: Json) -> Job:
        if data.get("format") != FORMAT:
            raise ValueError(f"task format {data.get('format')!r}, expected {FORMAT}")
        return cls(
            task=str(data["task"]),
            run=RunInfo(**data["run"]),
            kind=str(data["kind"]),
            answers=Answers.from_json(data.get("answers") or {}),
            target=data.get("target"),
            recapture=bool(data.get("recapture")),
            page_embeds=bool(data.get("page_embeds")),
            page_policy=str(data.get("page_policy") or "always"),
            posts=list(data.get("posts") or []),
            concurrency=int(data.get("concurrency") or 32),
            max_time=data.get("max_time"),
        )


# --------------------------------------------------------------------------- results


@dataclass
class Result:
    """What a task did, for the catalogue writer: operations to replay, exchanges, outcome."""

    task: str
    run: RunInfo
    worker: str
    ops: list[list[Any]] = field(default_factory=list)
    """``[name, arguments]`` in the order the capture made them (see ``ingest``)."""
    exchanges: list[Json] = field(default_factory=list)
    outcome: Json = field(default_factory=dict)
    """Counts (``articles``, ``posts_captured``…), ``statuses``, ``errors``, ``found`` posts, ``progress`` lines."""
    failed: str | None = None
    """Set when the task itself failed (its retries spent, its time limit): nothing to write but that."""
    journal: list[str] = field(default_factory=list)
    """The names of the notes this attempt left in the blob store (``journals``), for the writer to remove."""
    noted: list[Json] = field(default_factory=list)
    """Every file this attempt placed (or tried to), named by a row or not: the writer settles them."""

    def as_json(self) -> Json:
        out = asdict(self)
        out["format"] = FORMAT
        return out

    @classmethod
    def from_json(cls, data: Json) -> Result:
        if data.get("format") != FORMAT:
            raise ValueError(f"result format {data.get('format')!r}, expected {FORMAT}")
        return cls(
            task=str(data["task"]),
            run=RunInfo(**data["run"]),
            worker=str(data.get("worker") or ""),
            ops=list(data.get("ops") or []),
            exchanges=list(data.get("exchanges") or []),
            outcome=dict(data.get("outcome") or {}),
            failed=data.get("failed"),
            journal=[str(n) for n in data.get("journal") or []],
            noted=list(data.get("noted") or []),
        )

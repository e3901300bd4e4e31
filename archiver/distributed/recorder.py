"""A queue worker's catalogue: answers from what its task was handed, records what it is told.

A ``Session`` (and a sweep's post checks) work against a ``Catalogue``
(``archiver.steps.store``). In a worker that is a ``Recorder``: a question about the
archive (is this post archived? was it ever live? did this article change?) is answered
from the task's ``Answers``; everything the capture would write is recorded, in order, as
the operations of its ``Result``, which the catalogue writer replays into archive.db.
A row it would have created is named by a negative id, local to the task.

What the worker was not told, it does not know: a post met in an article that the
dispatcher could not foresee is captured, and the writer keeps the stored capture if the
archive has a complete one by then (each ``post`` operation carries its ``keep`` rule).
"""

from __future__ import annotations

from typing import Any

from ..plumbing.blobs import BlobStore
from ..plumbing.net import Exchange
from ..steps.regions import Region
from ..steps.store import CaptureFile, Check, Citation, Event, RowLike, Seen
from .wire import Answers, Json, capture_out, exchange_out

KEEP_COMPLETE = "complete"
"""Archive: a post the archive holds complete by the time the result is written keeps that capture."""
KEEP_SAME = "same"
"""Sweep: a capture of a change is kept out if the archive's complete capture already shows it."""
KEEP_RUN = "run"
"""Recapture: captured again once per run, however many tasks met the post."""


class Recorder:
    """A ``Catalogue`` that records instead of writing (see the module's docstring)."""

    def __init__(self, blobs: BlobStore, answers: Answers, keep: str) -> None:
        self.blobs = blobs
        self.keep = keep
        self.ops: list[list[Any]] = []
        self.exchanges: list[Json] = []
        self._posts = {(str(p["platform"]), str(p["native_id"])): p for p in answers.posts}
        self._was_live = {(p[0], p[1]) for p in answers.was_live}
        self._article_sha256 = answers.article_sha256
        self._next_id = -1

    def _local_id(self) -> int:
        local, self._next_id = self._next_id, self._next_id - 1
        return local

    # questions -------------------------------------------------------------------------
    def get_post(self, platform: str, native_id: str) -> RowLike | None:
        return self._posts.get((platform, native_id))

    def was_live(self, platform: str, native_id: str) -> bool:
        return (platform, native_id) in self._was_live

    def last_article_sha256(self, url: str) -> str | None:
        return self._article_sha256.get(url)

    def known_link(self, url: str) -> RowLike | None:
        return None  # followed again: a worker keeps no links table

    # what the run tells ------------------------------------------------------------------
    def flush(self) -> None:
        pass

    def set_browser(self, run_id: int, version: str | None, user_agent: str | None) -> None:
        self.ops.append(["browser", {"version": version, "user_agent": user_agent}])

    def add_run_tool(self, run_id: int, tool: str) -> None:
        self.ops.append(["tool", {"tool": tool}])

    def record_exchange(self, run_id: int, client: str, exchange: Exchange) -> None:
        self.exchanges.append(exchange_out(client, exchange))

    def save_link(self, url: str, final_url: str | None, hops: list[dict[str, object]], error: str | None) -> None:
        self.ops.append(["link", {"url": url, "final_url": final_url, "hops": hops, "error": error}])

    def save_article(
        self, run_id: int, url: str, *, final_url: str | None, title: str | None, http_status: int | None,
        content_type: str | None, captures: list[CaptureFile],
    ) -> tuple[int, bool]:
        local = self._local_id()
        self.ops.append(["article", {
            "id": local, "url": url, "final_url": final_url, "title": title, "http_status": http_status,
            "content_type": content_type, "captures": [capture_out(c) for c in captures],
        }])
        return local, True  # whether it is new: the writer works that out again

    def add_article_captures(self, run_id: int, article_id: int, captures: list[CaptureFile]) -> list[int]:
        ids = [self._local_id() for _ in captures]
        self.ops.append(["article_captures", {
            "article_id": article_id, "ids": ids, "captures": [capture_out(c) for c in captures],
        }])
        return ids

    def add_regions(self, capture_id: int, article_id: int, regions: list[Region]) -> None:
        self.ops.append(["regions", {
            "capture_id": capture_id, "article_id": article_id,
            "regions": [{"post_id": r.post_id, "link": r.link, "box": vars(r.box).copy(), "element": r.element}
                        for r in regions],
        }])

    def update_citations(
        self, run_id: int, article_id: int, *, new_article: bool, found_links: set[str], cited: list[Citation],
        platforms: set[str] | None = None,
    ) -> list[Event]:
        self.ops.append(["citations", {
            "article_id": article_id,
            "found_links": sorted(found_links),
            "cited": [{"post_id": c.post_id, "link": c.link, "form": c.form, "embed_text": c.embed_text} for c in cited],
            "platforms": sorted(platforms) if platforms is not None else None,
        }])
        return []  # the events are the writer's to find, against the archive as it is then

    def record_seen(self, article_id: int, seen: list[Seen]) -> None:
        self.ops.append(["seen", {"article_id": article_id, "seen": [vars(s).copy() for s in seen]}])

    def save_post(
        self, run_id: int, *, platform: str, native_id: str, url: str, status: str, signals: dict[str, object],
        complete: bool, fingerprint: str | None = None, author_handle: str | None = None,
        author_name: str | None = None, text: str | None = None, lang: str | None = None,
        created_at: str | None = None, quoted_post_id: int | None = None, reply_to_post_id: int | None = None,
        captures: list[CaptureFile], confirm_after: float = 0.0, logged_in: str | None = None,
    ) -> int:
        local = self._local_id()
        self.ops.append(["post", {
            "id": local, "keep": self.keep, "platform": platform, "native_id": native_id, "url": url,
            "status": status, "signals": signals, "complete": complete, "fingerprint": fingerprint,
            "author_handle": author_handle, "author_name": author_name, "text": text, "lang": lang,
            "created_at": created_at, "quoted_post_id": quoted_post_id,
            "reply_to_post_id": reply_to_post_id, "confirm_after": confirm_after,
            "captures": [capture_out(c) for c in captures], "logged_in": logged_in,
        }])
        return local

    def record_checks(self, run_id: int, checks: list[Check]) -> list[Event]:
        self.ops.append(["checks", {"checks": [vars(c).copy() for c in checks]}])
        return []

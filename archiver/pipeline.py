"""The archive run: find → resolve → fetch → render → store, for articles and posts.

One asyncio pipeline with one HTTP client and one browser. Concurrency is bounded
three ways: articles in flight, browser pages, and requests per host.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import asdict, dataclass, field, replace

from .plumbing.blobs import Blob
from .plumbing.lock import Claim, claim_post
from .config import Settings
from .errors import ArchiverError, ContentError, BadStatus, ItemError
from .evidence.provenance import seal_run
from .evidence.timestamps import Stamp
from .plumbing.workers import WorkerPool
from .steps.reader import find_in_fragments, read_bounded, reader_pool
from .steps.regions import Cited, match, needles
from .steps.media import copy_media
from .plumbing.hostlimits import Budget
from .plumbing.net import Exchange, Fetcher
from .platforms import (
    confirm_loss_after, endpoints_for, identifier, platform_named, platforms, post_ref, request_budgets, resolvable_link,
)
from .platforms.base import BODY, SHORT_LINK, FoundEmbed, Platform, PostData, PostFetch, PostRef
from .steps.render import ArticleShot, BrowserHost, Renderer, Shot, check_screenshot
from .steps.resolve import resolve
from .steps.store import CaptureFile, Catalogue, Citation, Event, RowLike, Seen, Store
from .steps.thumbnails import store_derived, with_thumbnails

HTML_TYPES = ("text/html", "application/xhtml+xml")
TEXT_TYPES = ("text/plain",)

Progress = Callable[[str, str], None]
"""progress(item, what happened): for a line per item on a terminal. ``what`` starts with
``error: `` for a failure and ``change: `` for a change a sweep noticed."""


class Report:
    """What a run tells its caller: ``ok`` when nothing failed, and itself as JSON-ready data."""

    errors: list[str]
    statuses: Counter[str]

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, object]:
        # asdict() would rebuild the Counter from (key, count) pairs, counting the pairs.
        return {**asdict(self), "statuses": dict(self.statuses)}  # type: ignore[call-overload]


@dataclass
class Summary(Report):
    articles: int = 0
    posts_found: int = 0
    posts_captured: int = 0
    posts_reused: int = 0
    media_copied: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    run_id: int | None = None
    stamps: list[Stamp] = field(default_factory=list)
    """RFC 3161 timestamps of the log this run stored: for the holder to keep apart (pins)."""
    warnings: list[str] = field(default_factory=list)
    """What went wrong outside the run's own work (a TSA, the Wayback Machine): not errors."""

    def line(self) -> str:
        statuses = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.articles} articles, {self.posts_found} posts found ({statuses or 'none'}), "
            f"{self.posts_captured} captured, {self.posts_reused} already archived, "
            f"{self.media_copied} media files copied, {len(self.errors)} errors"
        )


def archive(
    targets: list[str],
    settings: Settings,
    *,
    recapture: bool = False,
    progress: Progress | None = None,
    command: str = "archive",
    notify_url: str | None = None,
    page_embeds: bool = False,
) -> Summary:
    """Archive each target: an article URL, a post URL, or a short/media link to a post.

    ``notify_url`` receives the run's timestamps (pins), if it stored any, as a JSON POST."""
    summary = asyncio.run(
        archive_async(targets, settings, recapture=recapture, progress=progress, command=command, page_embeds=page_embeds)
    )
    if notify_url and summary.stamps:
        from .notify import post_stamps

        problem = post_stamps(settings, notify_url, summary.run_id, summary.stamps)
        if problem:
            summary.warnings.append(problem)
    return summary


async def archive_async(
    targets: list[str],
    settings: Settings,
    *,
    recapture: bool = False,
    progress: Progress | None = None,
    command: str = "archive",
    page_embeds: bool = False,
) -> Summary:
    store = Store(settings)
    try:
        async with Session(
            settings, store, command, recapture=recapture, progress=progress, page_embeds=page_embeds
        ) as session:
            if any(post_ref(t) is None for t in targets):
                session.warm_up()  # an article will need the browser: launch it while fetching
            await asyncio.gather(*(session.target(t) for t in dict.fromkeys(targets)))
        return session.summary
    finally:
        store.close()


@dataclass
class Kept:
    """What a long-lived process (a queue worker) lends each of its sessions instead of each
    starting its own: the browser (launched once; each session renders in a context of its
    own) and the processes that read articles."""

    browser: BrowserHost
    readers: WorkerPool


class Session:
    """One run: its row in ``runs``, its HTTP client, its browser (launched when needed).

    ``archive`` and ``sweep`` both work through a session, so a post or an article is
    captured the same way whichever command meets it.
    """

    def __init__(
        self,
        settings: Settings,
        store: Catalogue,
        command: str,
        *,
        recapture: bool = False,
        progress: Progress | None = None,
        page_policy: str = "always",
        page_embeds: bool = False,
        run_id: int | None = None,
        kept: Kept | None = None,
    ) -> None:
        """``kept``: the browser and readers to use (and leave open) instead of starting them.
        ``run_id``: join that run (a sweep's worker process, a queued task) instead of
        starting one; the run is then neither sealed nor finished here, but by its owner.
        ``store``: the archive (a ``Store``), or a queue worker's recorder of what it would
        write (``archiver.distributed``), which can only join a run."""
        self.settings = settings
        self.store = store
        self.command = command
        self.recapture = recapture
        self.page_policy = page_policy
        self.page_embeds = page_embeds
        """Archive the posts embedded around the article (placement 'page') too, not only its own."""
        """'always': every article fetch is screenshot; 'if_changed': only when its bytes changed."""
        self.progress = progress or (lambda item, what: None)
        self.summary = Summary()
        self.events: list[Event] = []
        self.run_id = run_id or 0
        self._owns_run = run_id is None
        self.fetcher: Fetcher | None = None
        self.budgets: dict[str, Budget] = {}
        """Request budgets of every platform's endpoints, by URL (``Platform.budgets``)."""
        self._renderer: Renderer | None = None
        self._renderer_lock = asyncio.Lock()
        self._warming: asyncio.Task[None] | None = None
        self._fetcher_cm: Fetcher | None = None
        self._articles = asyncio.Semaphore(settings.concurrency)
        self._pages = asyncio.Semaphore(settings.concurrency)
        self._posts: dict[PostRef, asyncio.Task[int | None]] = {}
        self._waiting: dict[PostRef, set[PostRef]] = {}
        """Which posts each post's capture is waiting for (the posts it quotes or answers)."""
        self._fetched: set[PostRef] = set()
        self._found: set[PostRef] = set()
        """Distinct posts the run's targets cite: a post in two articles counts once."""
        self._card_offers: dict[PostRef, list[asyncio.Task[Rendered | None]]] = {}
        self._endpoints: dict[str, Mapping[str, str]] = {}
        self._kept = kept
        self._readers = kept.readers if kept is not None else reader_pool(settings)
        """Processes that read articles (untrusted markup), bounded by ``settings.limits``."""

    # plumbing ------------------------------------------------------------------------
    async def __aenter__(self) -> Session:
        from .plumbing.cookies import load

        load(self.settings.cookies)  # a bad cookies file is a one-line error before anything runs
        if self._owns_run:
            self.run_id = self._owned_store().start_run(self.command)
        self.summary.run_id = self.run_id
        self.budgets = request_budgets(self.settings)
        self.fetcher = await Fetcher(self.settings, self.store.blobs, self.record_http, budgets=self.budgets).__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.summary.posts_found = len(self._found)
        if self._warming is not None:
            await self._warming
        if self._kept is None:
            await self._readers.close()
        try:
            if self._renderer is not None:
                await self._renderer.__aexit__(None, None, None)
        finally:
            try:
                if self.fetcher is not None:
                    await self.fetcher.__aexit__(None, None, None)
            finally:
                if self._owns_run:
                    try:
                        # Provenance once every exchange is in: after the browser and client close.
                        await seal_run(self._owned_store(), self.run_id)
                        await self._outside()
                    finally:
                        self._owned_store().finish_run(self.run_id)
                else:
                    self.store.flush()

    async def _outside(self) -> None:
        """Independent copies (Wayback, opt-in), then trusted time: the log's head stamped by
        each configured TSA. Failures there are warnings, never the run's errors."""
        from .evidence import timestamps, wayback

        warnings = await wayback.save_run(self._owned_store(), self.run_id)
        stamping = await timestamps.stamp(self._owned_store(), self.run_id)
        self.summary.stamps += stamping.stamps
        for warning in warnings + stamping.warnings:
            self.summary.warnings.append(warning)
            self.progress("", "warning: " + warning)

    def _owned_store(self) -> Store:
        """The archive itself: a session that owns its run writes to the database."""
        if not isinstance(self.store, Store):
            raise TypeError("a session without a database can only join a run")
        return self.store

    @property
    def posts_cited(self) -> set[PostRef]:
        """Distinct posts this session's targets cite (archived now or reused)."""
        return self._found

    @property
    def posts_seen(self) -> set[PostRef]:
        """Posts this session fetched from their platform (not those it found already archived)."""
        return self._fetched

    def endpoints(self, platform: Platform) -> Mapping[str, str]:
        """The platform's endpoints, with the user's overrides (worked out once a run)."""
        if platform.name not in self._endpoints:
            self._endpoints[platform.name] = endpoints_for(platform, self.settings)
        return self._endpoints[platform.name]

    def _fail(self, error: ArchiverError | str) -> None:
        message = str(error)
        self.summary.errors.append(message)
        self.progress(getattr(error, "item", None) or "", "error: " + message)

    def record_http(self, exchange: Exchange) -> None:
        """Record an exchange made by this session's HTTP client, or another of its run's."""
        self.store.record_exchange(self.run_id, "http", exchange)

    def _on_browser_exchange(self, exchange: Exchange) -> None:
        self.store.record_exchange(self.run_id, "browser", exchange)

    def warm_up(self) -> None:
        """Launch the browser and a reader in the background, so the first page does not wait for them."""

        async def launch() -> None:
            readers = asyncio.create_task(self._readers.warm_up())
            try:
                await self.renderer()
            except ArchiverError:
                pass  # whoever needs the browser asks again, and reports the failure
            await readers

        self._warming = asyncio.create_task(launch())

    async def renderer(self) -> Renderer:
        """The run's one browser (a context of the kept one's), launched when first needed."""
        async with self._renderer_lock:
            if self._renderer is None:
                renderer = Renderer(self.settings, self.store.blobs, self._on_browser_exchange,
                                    host=self._kept.browser if self._kept is not None else None)
                await renderer.__aenter__()
                self._renderer = renderer
                self.store.set_browser(self.run_id, renderer.browser_version, renderer.user_agent)
            return self._renderer

    # targets ---------------------------------------------------------------------------
    async def target(self, target: str) -> None:
        """Archive one target given by a user; failures are recorded, not raised."""
        target = target.strip()
        # A link that leads to a post once followed, made absolute: posts print some
        # without a scheme (pic.twitter.com/CODE).
        link = resolvable_link(target)
        target = link or target
        try:
            ref = post_ref(target)
            if ref is None and link is not None:
                ref = await self._resolve_to_post(target)
                # A link that only looked like a post (a bare link on any host) is an article.
                if ref is None and identifier(target) is None:
                    raise ContentError("link does not lead to a post", target)
            if ref is not None:
                self._found.add(ref)
                await self.post(ref, _handle_hint([target], ref))
            else:
                async with self._articles:
                    await self.article(target)
        except ItemError as e:
            self._fail(e)
        except ArchiverError:
            raise
        except Exception as e:  # noqa: BLE001 - one broken item must not end the run
            self._fail(f"{target}: unexpected {type(e).__name__}: {e}")

    async def article(self, url: str) -> None:
        """Fetch an article, archive every post it cites, bring its citations up to date."""
        assert self.fetcher is not None
        response = await self.fetcher.get(url, "html")
        if response.status != 200:
            raise BadStatus(f"article answered HTTP {response.status}", url, response.status)
        content_type = response.content_type
        if content_type not in HTML_TYPES + TEXT_TYPES:
            raise ContentError(f"not an article: content type {content_type or 'missing'}", url)
        if response.blob is None or response.body is None:
            raise ContentError("article is empty", url)
        page = await read_bounded(self._readers, response, self.settings.limits, url)
        unchanged = self.store.last_article_sha256(url) == response.blob.sha256
        shoot = self.page_policy == "always" or not unchanged
        article_id, new_article = self.store.save_article(
            self.run_id,
            url,
            final_url=response.url,
            title=page.title,
            http_status=response.status,
            content_type=content_type,
            captures=[CaptureFile("html", response.blob, content_type, source_url=response.url,
                                  logged_in=response.logged_in)] if shoot else [],
        )
        self.summary.articles += 1
        seen = page.embeds
        # The article's own embeds are archived; those of the page around it (sidebars,
        # widgets, comments) only when asked: all are recorded as seen.
        embeds = seen if self.page_embeds else [e for e in seen if e.placement == BODY]
        # The page is searched, once shot, for what names the article's own embeds: their regions.
        marks = needles(e for e in embeds if e.placement == BODY)
        page_task = asyncio.create_task(self._render_article(article_id, response.url, marks) if shoot else _nothing())
        evidence_task: asyncio.Future[list[None]] | None = None
        try:
            found = await asyncio.gather(*(self._embed_post(e) for e in embeds))
            evidence = [link for e in embeds for link in e.inner_links]
            evidence_task = asyncio.gather(*(self._resolve_quietly(link) for link in dict.fromkeys(evidence)))
            by_post: dict[PostRef, list[FoundEmbed]] = {}
            for embed, ref in zip(embeds, found, strict=True):
                if ref is not None:
                    by_post.setdefault(ref, []).append(embed)
            self._found.update(by_post)
            for ref in by_post:
                self._card_offers.setdefault(ref, []).append(page_task)
            post_ids = await asyncio.gather(
                *(self.post(ref, _handle_hint([e.link for e in cited], ref)) for ref, cited in by_post.items())
            )
            citations = [
                Citation(post_id, embed.link, embed.form, embed.embed_text)
                for cited, post_id in zip(by_post.values(), post_ids, strict=True)
                if post_id is not None
                for embed in cited
                if embed.placement == BODY
            ]
            # Only the article's own citations: a rotating sidebar fires no embed_added/removed.
            self.events += self.store.update_citations(
                self.run_id,
                article_id,
                new_article=new_article,
                found_links={e.link for e in seen if e.placement == BODY},
                cited=citations,
                platforms={p.name for p in platforms()},
            )
            refs = {id(embed): ref for embed, ref in zip(embeds, found, strict=True)}
            self.store.record_seen(
                article_id,
                [
                    Seen(e.link, e.platform, e.native_id or _native_id(refs.get(id(e))), e.form, e.placement)
                    for e in seen
                ],
            )
            rendered = await page_task
            if rendered is not None:
                await self._record_regions(
                    article_id,
                    rendered,
                    [
                        Cited(post_id, ref, embed.link, embed.form)
                        for (ref, cited), post_id in zip(by_post.items(), post_ids, strict=True)
                        if post_id is not None
                        for embed in cited
                        if embed.placement == BODY
                    ],
                )
            await evidence_task
        except BaseException:
            if evidence_task is not None:
                # The run is ending (the archive cannot be written): the resolutions too.
                evidence_task.cancel()
                await asyncio.gather(evidence_task, return_exceptions=True)
            raise
        finally:
            await page_task
        self.progress(url, f"article: {len(by_post)} posts")

    async def _render_article(self, article_id: int, url: str, marks: list[str]) -> Rendered | None:
        try:
            renderer = await self.renderer()
            async with self._pages:
                shot = await renderer.article_page(url, marks)
            # The renderer derived its thumbnail and hash, or found it too large to decode.
            capture = await asyncio.to_thread(self._stored_shot, "page_screenshot", shot.page)
            (capture_id,) = self.store.add_article_captures(self.run_id, article_id, [capture])
            return Rendered(shot, capture_id)
        except ItemError as e:
            self._fail(e)
            return None

    async def _record_regions(self, article_id: int, rendered: Rendered, cited: list[Cited]) -> None:
        """Where each citation sits in the page screenshot just stored (:mod:`.steps.regions`).
        A page whose elements cannot be read leaves its citations without regions, not failed."""
        shot = rendered.shot
        if not cited or not (shot.placed or shot.frames):
            return
        try:
            found = await find_in_fragments(
                self._readers, [p.html for p in shot.placed], shot.page.url, self.settings.limits, shot.page.url
            )
        except ItemError:
            found = [[] for _ in shot.placed]
        regions = match(cited, shot.placed, found, shot.frames, shot.page.width, shot.page.height)
        self.store.add_regions(rendered.capture_id, article_id, regions)

    async def _embed_post(self, embed: FoundEmbed) -> PostRef | None:
        if embed.native_id:
            return PostRef(embed.platform, embed.native_id)
        try:
            ref = await self._resolve_to_post(embed.link)
        except ItemError as e:
            self._fail(e)
            return None
        if ref is None and embed.form != SHORT_LINK and not embed.tentative:
            # A short link in an article may lead anywhere, and a link that only looked like
            # a post may be none; a media link or an embed must lead to a post.
            self._fail(f"{embed.link}: link does not lead to a post")
        return ref

    async def _resolve_to_post(self, link: str) -> PostRef | None:
        """The post a short or media link leads to: the first hop that names one. A link a
        platform identifies by a lookup (a handle, a bare link on any host) is asked of it instead."""
        assert self.fetcher is not None
        claimed = identifier(link)
        if claimed is not None:
            platform, identify = claimed
            native_id = await identify(self.fetcher, link, self.endpoints(platform))
            return PostRef(platform.name, native_id) if native_id else None
        known = self.store.known_link(link)
        if known is not None:
            urls = [hop["url"] for hop in json.loads(known["hops"])] + [known["final_url"]]
        else:
            try:
                resolution = await resolve(self.fetcher, link)
            except ItemError as e:
                self.store.save_link(link, None, [], str(e))
                raise
            self.store.save_link(link, resolution.final_url, resolution.hops, None)
            urls = [str(hop["url"]) for hop in resolution.hops] + [resolution.final_url]
        for candidate in urls:
            ref = post_ref(candidate)
            if ref is not None:
                return ref
        return None

    async def _resolve_quietly(self, link: str) -> None:
        # Links inside an embed are kept as evidence; one that fails is recorded with
        # its error in `links`, and is not a failure of the post.
        try:
            await self._resolve_to_post(link)
        except ItemError:
            pass

    # posts -----------------------------------------------------------------------------
    def post(self, ref: PostRef, handle: str | None = None, depth: int = 0) -> asyncio.Task[int | None]:
        """The task archiving one post; a post cited many times is archived once per run.

        ``handle`` is what the citing link says, for the post's URL when the platform no longer does.
        """
        if ref not in self._posts:
            self._posts[ref] = asyncio.create_task(self._post(ref, handle, depth))
        return self._posts[ref]

    async def _post(self, ref: PostRef, handle_hint: str | None, depth: int) -> int | None:
        assert self.fetcher is not None
        existing = self.store.get_post(ref.platform, ref.native_id)
        if existing is not None and existing["capture_complete"] and not self.recapture:
            return self._reuse(existing)
        platform = _platform(ref)
        async with self.claim(ref.platform, ref.native_id, handle_hint) as claim:
            # Another run may have stored it since: while this one waited for its claim, or before.
            existing = self.store.get_post(ref.platform, ref.native_id)
            if existing is not None and existing["capture_complete"] and (claim.waited or not self.recapture):
                return self._reuse(existing)
            fetched = await platform.fetch_post(self.fetcher, ref.native_id, self.endpoints(platform))
            return await self.capture(fetched, existing, handle_hint, depth)

    def _reuse(self, existing: RowLike) -> int:
        self.summary.posts_reused += 1
        self.summary.statuses[existing["status"]] += 1
        self.progress(existing["url"], f"already archived ({existing['status']})")
        return int(existing["id"])

    def claim(self, platform: str, native_id: str, handle_hint: str | None = None) -> AbstractAsyncContextManager[Claim]:
        """Hold the post's claim while capturing it: another run capturing it now is waited for.

        Re-read the post once the claim is held: another run may have stored it meanwhile.
        """
        known = platform_named(platform)
        name = known.canonical_url(native_id, handle_hint) if known is not None else f"{platform}:{native_id}"
        return claim_post(
            self.settings.data_dir,
            platform,
            native_id,
            holder=f"run {self.run_id}",
            on_wait=lambda holder: self.progress(name, f"waiting: another run is capturing it ({holder or 'starting'})"),
        )

    async def capture(
        self, fetched: PostFetch, existing: RowLike | None, handle_hint: str | None = None, depth: int = 0
    ) -> int | None:
        """Store a post as fetched: for a live post, its card and media too. Returns the post's id."""
        ref = fetched.ref
        platform = _platform(ref)
        native_id = ref.native_id
        if fetched.deleted_if_seen_live:
            fetched = fetched.as_seen(self.store.was_live(ref.platform, native_id))
        self._fetched.add(ref)
        data = fetched.data
        handle = (data.author_handle if data else None) or (existing["author_handle"] if existing else None)
        name = platform.canonical_url(native_id, handle or handle_hint)
        captures = [
            CaptureFile("data", a.response.blob, a.response.content_type or None, source_url=a.url, source=a.source,
                        logged_in=a.response.logged_in)
            for a in fetched.answers
            if a.response is not None and a.response.blob is not None
        ]
        quoted_post_id = reply_to_post_id = None
        if data and data.quoted_id and depth < 2:
            quoted_post_id = await self._related(ref, PostRef(ref.platform, data.quoted_id), depth)
        if data and data.reply_to_id and depth < 2:
            reply_to_post_id = await self._related(ref, PostRef(ref.platform, data.reply_to_id), depth)
        problems: list[str] = []
        if fetched.status == "live":
            card, media = await asyncio.gather(
                self._card(platform, ref), self._media(data), return_exceptions=True
            )
            for outcome in (card, media):
                if isinstance(outcome, BaseException):
                    if not isinstance(outcome, ItemError):
                        raise outcome
                    problems.append(str(outcome))
            if isinstance(card, CaptureFile):
                captures.append(card)
            if isinstance(media, tuple):
                media_captures, media_problems = media
                captures.extend(media_captures)
                problems.extend(media_problems)
                self.summary.media_copied += len(media_captures)
        elif fetched.status == "unknown":
            problems.append(f"status unknown after retries ({_signals(fetched.signals)})")
        captures = await with_thumbnails(self.store.blobs, captures)
        post_id = self.store.save_post(
            self.run_id,
            platform=ref.platform,
            native_id=native_id,
            url=name,
            status=fetched.status,
            signals=fetched.signals,
            complete=not problems,
            fingerprint=content_fingerprint(data) if data and fetched.status == "live" and not problems else None,
            author_handle=data.author_handle if data else None,
            author_name=data.author_name if data else None,
            text=data.text if data else None,
            lang=data.lang if data else None,
            created_at=(data.created_at if data else None) or platform.created_at_from_id(native_id),
            quoted_post_id=quoted_post_id,
            reply_to_post_id=reply_to_post_id,
            captures=captures,
            confirm_after=confirm_loss_after(platform, self.settings),
            logged_in=fetched.logged_in,
        )
        self.summary.statuses[fetched.status] += 1
        if problems:
            # One line per post, however many parts of it failed.
            self._fail(f"post {name}: " + "; ".join(problems))
        if not problems:
            self.summary.posts_captured += 1
            self.progress(name, fetched.status)
        return post_id

    async def _related(self, ref: PostRef, other: PostRef, depth: int) -> int | None:
        """Archive a post ``ref`` points at (one it quotes or replies to) and return its id.

        Records are written by their authors, so posts may point at each other, or at
        themselves: a post whose capture is (through others) waiting for ``ref`` is not
        waited for, or the run would wait on itself; its id is then the archive's, if any.
        """
        if other == ref or self._waits_for(other, ref):
            known = self.store.get_post(other.platform, other.native_id)
            return int(known["id"]) if known is not None else None
        waiting = self._waiting.setdefault(ref, set())
        waiting.add(other)
        try:
            return await self.post(other, None, depth + 1)
        finally:
            waiting.discard(other)

    def _waits_for(self, start: PostRef, target: PostRef) -> bool:
        """Whether ``start``'s capture is waiting, directly or through others, for ``target``'s."""
        seen, todo = set(), [start]
        while todo:
            current = todo.pop()
            if current == target:
                return True
            if current not in seen:
                seen.add(current)
                todo.extend(self._waiting.get(current, ()))
        return False

    async def _card(self, platform: Platform, ref: PostRef) -> CaptureFile | None:
        """The post's embed card: cut from an article page that rendered it, else rendered
        alone from its embed page. None for a platform without an embed page of its own
        when no article page showed the card."""
        shot: Shot | None = None
        for offer in self._card_offers.get(ref, []):
            rendered = await offer
            page = rendered.shot if rendered is not None else None
            if page is not None and ref in page.cards:
                try:
                    check_screenshot(page.cards[ref], str(ref))
                except ContentError:
                    continue  # not painted on that page: render it on its own
                shot = page.cards[ref]
                break
        if shot is None:
            url = platform.card_url(ref.native_id, self.endpoints(platform))
            if url is None:
                return None
            renderer = await self.renderer()
            async with self._pages:
                shot = await renderer.post_card(url, platform.card)
            check_screenshot(shot, str(ref))
        return await asyncio.to_thread(self._stored_shot, "screenshot", shot)

    def _stored_shot(self, kind: str, shot: Shot) -> CaptureFile:
        """A screenshot stored as a capture, with the thumbnail and hash the renderer derived."""
        blob: Blob = self.store.blobs.put(shot.png, "image/png")
        capture = CaptureFile(kind, blob, "image/png", shot.width, shot.height, shot.url, logged_in=shot.logged_in)
        return capture if shot.derived is None else store_derived(self.store.blobs, capture, shot.derived)

    async def _media(self, data: PostData | None) -> tuple[list[CaptureFile], list[str]]:
        assert self.fetcher is not None
        items = list(data.media) if data else []
        captures: list[CaptureFile] = []
        problems: list[str] = []
        if data is not None and data.media_page:
            from .steps.extract import extract_media

            try:
                extraction = await extract_media(self.settings, self.store.blobs, self.record_http, data.media_page)
            except ItemError as e:
                problems.append(str(e))
            else:
                for tool in (extraction.tool, *extraction.more_tools):
                    self.store.add_run_tool(self.run_id, tool)
                captures.extend(replace(c, logged_in=extraction.logged_in) for c in extraction.captures)
                problems.extend(extraction.problems)
                if not any(item.kind == "poster" for item in items):
                    items.extend(extraction.posters[:1])
        results = await asyncio.gather(
            *(copy_media(self.fetcher, self.settings, item) for item in items), return_exceptions=True
        )
        for item, result in zip(items, results, strict=True):
            if isinstance(result, ItemError):
                problems.append(f"{item.kind} not copied: {result}")
            elif isinstance(result, BaseException):
                raise result
            else:
                captures.extend(result.captures())
                for tool in result.tools:
                    self.store.add_run_tool(self.run_id, tool)
                if result.shortfall:
                    problems.append(f"{item.kind} incomplete: {item.url}: {result.shortfall}")
        return captures, problems


def _signals(signals: dict[str, object]) -> str:
    parts = []
    for source, signal in signals.items():
        detail = signal if isinstance(signal, dict) else {}
        parts.append(f"{source} {detail.get('error') or detail.get('status')}")
    return ", ".join(parts)


def content_fingerprint(data: PostData) -> str:
    """What a sweep compares to notice an edit or a media swap: the text and the media URLs."""
    payload = json.dumps({"text": data.text or "", "media": sorted(m.url for m in data.media)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class Rendered:
    """An article's page as shot and stored: the shot, and its capture's id."""

    shot: ArticleShot
    capture_id: int


async def _nothing() -> None:
    return None


def _platform(ref: PostRef) -> Platform:
    platform = platform_named(ref.platform)
    if platform is None:
        raise ItemError(f"platform {ref.platform!r} is not installed", str(ref))
    return platform


def _native_id(ref: PostRef | None) -> str | None:
    return ref.native_id if ref is not None else None


def _handle_hint(links: list[str], ref: PostRef) -> str | None:
    """The author the citing links name, for the post's URL when the platform no longer says."""
    platform = platform_named(ref.platform)
    for link in links:
        handle = platform.handle_from_url(link) if platform is not None else None
        if handle:
            return handle
    return None

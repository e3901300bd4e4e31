"""Rendering in headless Chromium: the post's embed card and the article page.

One browser per run (a queue worker keeps one across its tasks: ``BrowserHost``), browser
contexts per run or task, one page per job; every response the browser receives is
recorded like the HTTP client's, and every request is checked by the same policy.

Pages render in a browser context without cookies, except a page on the hosts of a
platform the user gave cookies for (``Settings.cookies``): that page renders in a context
of its own holding that platform's cookies only, so the browser sends them as it would a
logged-in reader's, to those hosts only. Its exchanges, and the shots taken there, say so
(``logged_in``); the ``Set-Cookie`` values its answers carry are not recorded.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from ..platforms import card_in_frame, platforms
from ..platforms.base import CardSpec, PostRef
from ..plumbing.blobs import BlobStore
from ..config import Settings
from ..errors import ContentError, RenderError
from ..plumbing.cookies import load as load_cookies, logged_in_label, redact_headers
from ..plumbing.net import Exchange, OnExchange
from ..plumbing.guard_proxy import GuardProxy
from .regions import COLLECT, Box, Framed, Placed, placed_from
from .thumbnails import Derived

if TYPE_CHECKING:
    from PIL import Image
    from playwright.async_api import Browser, BrowserContext, FloatRect, Frame, Page, Playwright, ViewportSize

T = TypeVar("T")

POLL_MS = 100
"""How often a page is asked whether it has rendered (see ``_wait_until``)."""
CARD_VIEWPORT: ViewportSize = {"width": 600, "height": 1000}
PAGE_VIEWPORT: ViewportSize = {"width": 1280, "height": 1000}

# complete is also true for an image that failed: a broken image is what the card
# shows, and waiting for it to load would only time out.
_IMAGES_LOADED = "() => [...document.images].every(i => i.complete)"


def _pending(selectors: list[str]) -> str:
    """JavaScript counting the embeds of every platform not yet turned into cards."""
    joined = ", ".join(selectors)
    return f"() => ({json.dumps(joined)} ? document.querySelectorAll({json.dumps(joined)}).length : 0)"


def _visible(selector: str) -> str:
    """JavaScript: whether the card's element is visible, as Playwright means it (a box of
    some size, not visibility: hidden)."""
    return f"""() => {{
    const card = document.querySelector({json.dumps(selector)});
    if (!card) return false;
    const box = card.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(card).visibility !== 'hidden';
}}"""


def _element(selector: str) -> str:
    return f"() => document.querySelector({json.dumps(selector)})"


async def _wall(page: Page, card: CardSpec) -> str | None:
    """What interstitial the page shows instead of the card, by the platform's test."""
    if card.wall is None:
        return None
    try:
        found = await page.evaluate(f"() => {{ try {{ return String(({card.wall})() || ''); }} catch (e) {{ return ''; }} }}")
    except Exception:
        return None  # a page that navigated meanwhile: the card wait tells what happened
    return str(found)[:200] or None


async def _card_ready(target: Page | Frame, card: CardSpec, timeout: float) -> str | None:
    """None once the card rendered within ``timeout`` (visible, its images loaded, and
    ready by its platform's own test); else what it did not do."""
    if not await _wait_until(target, _visible(card.selector), timeout):
        return f"no visible {card.selector} within {timeout:.0f} s"
    if not await _wait_until(target, _IMAGES_LOADED, timeout):
        return f"its images did not load within {timeout:.0f} s"
    if card.ready is not None and not await _wait_until(target, card.ready, timeout):
        return f"it did not finish rendering within {timeout:.0f} s"
    return None


async def _wait_until(target: Page | Frame, condition: str, timeout: float) -> bool:
    """Whether ``condition`` (JavaScript, a function of no arguments) held within
    ``timeout`` seconds, asked every POLL_MS in the page's own world.

    Not Playwright's waits: they run its injected script in a world of their own in each
    frame, which on pages of four cards cost Chromium and the driver about a fifth of
    their CPU (an experiment on the benchmark's articles). Not every animation frame either: that keeps the compositor producing
    frames the whole time. The page's world is the page's to tamper with (a page could
    replace setTimeout): an answer never given is a timeout here, as any other.
    """
    polls = max(1, int(timeout * 1000 / POLL_MS))
    script = f"""(polls) => new Promise(done => {{
        const condition = {condition};
        let asked = 0;
        (function ask() {{
            let holds = false;
            try {{ holds = Boolean(condition()); }} catch (e) {{ holds = false; }}
            if (holds || ++asked > polls) done(holds); else setTimeout(ask, {POLL_MS});
        }})();
    }})"""
    try:
        return bool(await asyncio.wait_for(target.evaluate(script, polls), timeout + 5))
    except TimeoutError:
        return False


@dataclass
class ArticleShot:
    page: Shot
    cards: dict[PostRef, Shot]
    """Cards the page rendered, by post: the same embed card, already on screen."""
    placed: list[Placed] = field(default_factory=list)
    """Elements of the page that name one of its embeds, with their boxes (:mod:`.regions`)."""
    frames: list[Framed] = field(default_factory=list)
    """Card frames on the page, by post, with their boxes."""


@dataclass
class Shot:
    png: bytes
    width: int
    height: int
    url: str
    notes: list[str]
    """What did not finish rendering, if anything (the shot was still taken)."""
    blank: bool | None
    """One colour from edge to edge: nothing was painted. None: too large to examine."""
    derived: Derived | None = None
    """Thumbnail and perceptual hash, made from the pixels this module already decoded."""
    logged_in: str | None = None
    """The platforms whose cookies, given by the user, went with the page's requests."""


class BrowserHost:
    """Chromium with its driver and guard proxy, launched when first asked for and lent to
    ``Renderer``s, each of which renders in a browser context of its own.

    A run has one (its Renderer's own). A queue worker's process keeps one for its life
    (``archiver.distributed.tasks``): launching Chromium is most of what a short task would
    cost, and a context per task keeps tasks apart (cookies, storage, cache, pages). The
    browser is launched again when it died (a crash, the OOM killer) and, bounding its
    memory, after ``max_uses`` renderers; every request it makes goes through the guard
    proxy (``settings``' policy and proxy), whichever renderer asked.
    """

    def __init__(self, settings: Settings, *, max_uses: int | None = None) -> None:
        self.settings = settings
        self.max_uses = max_uses
        self.browser_version: str | None = None
        self.user_agent: str | None = None
        self.launches = 0
        """Times Chromium was launched (for tests and the worker's log)."""
        self._playwright_cm: Any = None
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None
        self._guard: GuardProxy | None = None
        self._uses = 0
        self._lent = 0
        self._lock = asyncio.Lock()

    @property
    def alive(self) -> bool:
        return self._browser is not None and self._browser.is_connected()

    async def lend(self, *, fresh: bool = False) -> Browser:
        """The browser, launched (again) if there is none, it died, or it served its
        ``max_uses`` and nobody is using it (or ``fresh``: the one lent last time failed);
        give it back with ``give_back()``."""
        async with self._lock:
            worn = self.max_uses is not None and self._uses >= self.max_uses and self._lent == 0
            if not self.alive or worn or (fresh and self._lent == 0):
                await self._shut()
                await self._launch()
            assert self._browser is not None
            self._uses += 1
            self._lent += 1
            return self._browser

    def give_back(self) -> None:
        self._lent = max(0, self._lent - 1)

    async def _launch(self) -> None:
        from ..plumbing.browser import driver, launch

        try:
            self._guard = await GuardProxy(self.settings).__aenter__()
            self._playwright_cm = driver()
            self._playwright = await self._playwright_cm.__aenter__()
            self._browser = await launch(self._playwright, self.settings, self._guard.url)
            self.browser_version = self._browser.version
            # The browser's own user agent is what its pages send: the context sets none.
            # Asked of the browser, not of a page opened for it (about 0.1 s at start-up).
            cdp = await self._browser.new_browser_cdp_session()
            try:
                self.user_agent = str((await cdp.send("Browser.getVersion"))["userAgent"])
            finally:
                await cdp.detach()
        except BaseException:
            await self._shut()
            raise
        self.launches += 1
        self._uses = 0

    async def _shut(self, *, quietly: bool = True) -> None:
        """Close what is there. Before a relaunch quietly: a browser that died may fail to
        close, and is gone either way."""
        browser, self._browser = self._browser, None
        playwright_cm, self._playwright_cm, self._playwright = self._playwright_cm, None, None
        guard, self._guard = self._guard, None
        try:
            if browser is not None:
                try:
                    await browser.close()
                except Exception:
                    if not quietly:
                        raise
        finally:
            try:
                if playwright_cm is not None:
                    await playwright_cm.__aexit__(None, None, None)
            except Exception:
                if not quietly:
                    raise
            finally:
                if guard is not None:
                    await guard.__aexit__(None, None, None)

    async def close(self) -> None:
        async with self._lock:
            await self._shut(quietly=False)


class Renderer:
    """``async with Renderer(settings, blobs, on_exchange) as r: await r.post_card(id)``.

    Renders in browser contexts of its own, in the browser of ``host`` (a queue worker's,
    kept across its tasks) or else of one it launches and closes itself."""

    def __init__(
        self, settings: Settings, blobs: BlobStore, on_exchange: OnExchange | None = None, *, host: BrowserHost | None = None
    ) -> None:
        self.settings = settings
        self.blobs = blobs
        self.on_exchange = on_exchange
        self.browser_version: str | None = None
        self.user_agent: str | None = None
        self._host = host
        self._owns_host = host is None
        self._lent = False
        self._browser: Browser | None = None
        self._contexts: dict[tuple[str, ...], BrowserContext] = {}
        """By the platforms whose user cookies it holds: () is the one without cookies."""
        self._context_lock = asyncio.Lock()
        self._idle_pages: dict[tuple[str, ...], list[Page]] = {}
        self._user = load_cookies(settings.cookies)

    async def __aenter__(self) -> Renderer:
        if self._host is None:
            self._host = BrowserHost(self.settings)
        try:
            self._browser = await self._host.lend()
            self._lent = True
            try:
                await self._context_for(())
            except Exception:
                if self._owns_host:
                    raise
                # A kept browser that died while nobody was watching (between a worker's
                # tasks, its event loop idle): launched again, once.
                self._lent = False
                self._host.give_back()
                self._browser = await self._host.lend(fresh=True)
                self._lent = True
                await self._context_for(())
            self.browser_version = self._host.browser_version
            self.user_agent = self._host.user_agent
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        contexts, self._contexts = list(self._contexts.values()), {}
        self._idle_pages = {}
        self._browser = None
        try:
            if not self._owns_host:
                # The browser stays for the next renderer: this one's pages and state go.
                for context in contexts:
                    try:
                        await context.close()
                    except Exception:
                        if self._host is not None and self._host.alive:
                            raise  # a browser that died took its contexts with it
        finally:
            if self._lent and self._host is not None:
                self._lent = False
                self._host.give_back()
            if self._owns_host and self._host is not None:
                await self._host.close()

    async def _context_for(self, platforms: tuple[str, ...]) -> BrowserContext:
        """The context for pages of ``platforms``' hosts: holding their user cookies, only them."""
        async with self._context_lock:
            if platforms not in self._contexts:
                assert self._browser is not None, "use Renderer as an async context manager"
                context = await self._browser.new_context(
                    viewport=PAGE_VIEWPORT, service_workers="block", accept_downloads=False
                )
                context.set_default_timeout(self.settings.render_timeout * 1000)
                if platforms and self._user is not None:
                    await context.add_cookies([
                        {"name": c.name, "value": c.value, "domain": c.domain if c.host_only else "." + c.domain,
                         "path": c.path, "expires": float(c.expires) if c.expires else -1.0,
                         "httpOnly": c.http_only, "secure": c.secure}
                        for c in self._user.of(platforms)
                    ])
                self._contexts[platforms] = context
            return self._contexts[platforms]

    def _platforms_of(self, url: str) -> tuple[str, ...]:
        """The platforms whose user cookies a page at ``url`` renders with: those whose hosts it is on."""
        return tuple(self._user.platforms_for(url)) if self._user is not None else ()

    async def _in_time(self, job: Awaitable[T], failure: str, url: str) -> T:
        """``job``, or a RenderError saying ``failure`` once its deadline has passed.

        Playwright bounds navigations and its own waits, not an evaluate: a frame whose
        animation frames never come would hold a job forever. A job's waits, settling and
        shot fit in 3 x render_timeout; 10 s more is room.
        """
        deadline = self.settings.render_timeout * 3 + 10
        try:
            async with asyncio.timeout(deadline):
                return await job
        except TimeoutError:
            raise RenderError(f"{failure} within {deadline:.0f} s", url) from None

    async def post_card(self, url: str, card: CardSpec) -> Shot:
        """Screenshot a post's card on its embed page ``url``, once it and its images rendered."""
        return await self._in_time(self._post_card(url, card), "embed card did not render", url)

    async def _post_card(self, url: str, card: CardSpec) -> Shot:
        timeout = self.settings.render_timeout
        walled = None
        session = self._page(CARD_VIEWPORT, url)
        async with session as page:
            try:
                await page.goto(url, wait_until="load")
                wall = await _wall(page, card)
                failure = None if wall else await _card_ready(page, card, timeout)
                wall = wall or (await _wall(page, card) if failure else None)
                if wall:
                    failure = walled = f"the embed page shows {wall}, not the post"
                if failure is not None:
                    raise RenderError(failure, url)
                await _settled(page)
                element = (await page.evaluate_handle(_element(card.selector))).as_element()
                box = await element.bounding_box() if element is not None else None
                if not box or box["width"] < 1 or box["height"] < 1:
                    raise RenderError(f"the card's {card.selector} has no size", url)
                # The clip is in the page's coordinates, the box in the viewport's: the same on
                # this unscrolled page, and full_page lets a card taller than the viewport in.
                png = await page.screenshot(type="png", clip=box, full_page=True)
            except RenderError as e:
                if walled:
                    raise RenderError(walled, url) from None
                raise RenderError(f"embed card did not render: {_first_line(e)}", url) from None
            except Exception as e:
                raise RenderError(f"embed card did not render: {_first_line(e)}", url) from None
        # Decoded once, outside the page's slot: for its size, blankness, thumbnail and hash.
        shot = await asyncio.to_thread(_card_shot_of, png, url)
        shot.logged_in = session.logged_in
        return shot

    async def article_page(self, url: str, needles: Sequence[str] = ()) -> ArticleShot:
        """Full-page screenshot of an article after its embedded posts rendered.

        Embeds that never render (a blocked widgets.js, a post that is gone) are noted,
        not fatal: the page as it stands is still evidence. ``needles`` (the embeds'
        links and post ids, :func:`.regions.needles`): the elements that name one are
        measured once the page is shot, for each citation's region.
        """
        return await self._in_time(self._article_page(url, needles), "page did not finish rendering", url)

    async def _article_page(self, url: str, needles: Sequence[str]) -> ArticleShot:
        notes: list[str] = []
        session = self._page(PAGE_VIEWPORT, url)
        async with session as page:
            try:
                await page.goto(url, wait_until="load")
            except Exception as e:
                raise RenderError(f"page did not load in the browser: {_first_line(e)}", url) from None
            half = self.settings.render_timeout / 2
            pending = _pending([p.card.pending for p in platforms() if p.card.pending])
            try:
                if not await _wait_until(page, f"() => ({pending})() === 0", half):
                    notes.append(f"{await page.evaluate(pending)} embeds were not turned into cards")
            except Exception as e:  # the page navigated away on its own, say: shoot what there is
                notes.append(f"embeds could not be counted: {_first_line(e)}")

            async def card_rendered(frame: Frame, card: CardSpec) -> None:
                try:
                    if await _card_ready(frame, card, half) is None:
                        return
                except Exception:
                    pass  # a frame that went away did not render either
                notes.append(f"card {frame.url} did not finish rendering")

            frames = [(f, card_in_frame(f.url)) for f in page.frames]
            await asyncio.gather(*(card_rendered(f, shown[0].card) for f, shown in frames if shown is not None))
            try:
                png = await _whole_page(page)
            except Exception as e:
                raise RenderError(f"page screenshot failed: {_first_line(e)}", url) from None
            boxes = await _card_boxes(page)
            framed = await _card_frames(page)
            placed = await _placed(page, needles)
        shot = await asyncio.to_thread(_cut_cards, png, url, notes, boxes)
        shot.placed, shot.frames = placed, framed
        for each in (shot.page, *shot.cards.values()):
            each.logged_in = session.logged_in
        return shot

    def _page(self, viewport: ViewportSize, url: str) -> _PageSession:
        assert self._contexts, "use Renderer as an async context manager"
        return _PageSession(self, viewport, self._platforms_of(url))

    async def _record(self, response: Any, platforms: tuple[str, ...]) -> str | None:
        """Record one of the browser's exchanges; returns the platforms whose user cookies
        went with its request (only in a context holding them)."""
        logged_in = None
        if platforms and self._user is not None:
            logged_in = logged_in_label(self._user.for_url(response.url, platforms))
        if self.on_exchange is None:
            return logged_in
        blob = None
        try:
            length = int(response.headers.get("content-length") or 0)
            if length <= self.settings.limits.image and response.status not in (301, 302, 303, 307, 308):
                body = await response.body()
                if body:
                    blob = await asyncio.to_thread(self.blobs.put, body, response.headers.get("content-type"))
        except Exception:
            blob = None  # the body was gone (redirect, closed page): the exchange still counts
        timing = response.request.timing
        started = timing.get("startTime") if timing else None
        when = datetime.fromtimestamp(started / 1000, timezone.utc) if started else datetime.now(timezone.utc)
        headers = [(h["name"], h["value"]) for h in await response.headers_array()]
        result = self.on_exchange(
            Exchange(
                url=response.url,
                method=response.request.method,
                status=response.status,
                headers=redact_headers(headers) if logged_in else headers,
                started_at=when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                blob=blob,
                logged_in=logged_in,
            )
        )
        if asyncio.iscoroutine(result):
            await result
        return logged_in


class _PageSession:
    """A page for one job, whose every response is recorded before the job ends.

    Pages are reused: opening a page costs Chromium a new renderer process and about a
    third of the CPU a card takes. A page goes back to the pool blank, so nothing of one
    job runs on into the next.
    """

    def __init__(self, renderer: Renderer, viewport: ViewportSize, platforms: tuple[str, ...] = ()) -> None:
        self._renderer = renderer
        self._viewport = viewport
        self._platforms = platforms
        self._tasks: list[asyncio.Task[str | None]] = []
        self.page: Page | None = None

    @property
    def logged_in(self) -> str | None:
        """The platforms whose user cookies went with any of the page's requests (once it closed)."""
        from ..plumbing.cookies import merge_labels

        return merge_labels(t.result() for t in self._tasks if t.done() and not t.cancelled() and t.exception() is None)

    def _on_response(self, response: Any) -> None:
        self._tasks.append(asyncio.ensure_future(self._renderer._record(response, self._platforms)))

    async def __aenter__(self) -> Page:
        context = await self._renderer._context_for(self._platforms)
        idle = self._renderer._idle_pages.setdefault(self._platforms, [])
        self.page = idle.pop() if idle else await context.new_page()
        await self.page.set_viewport_size(self._viewport)
        self.page.on("response", self._on_response)
        return self.page

    async def __aexit__(self, *exc: object) -> None:
        page = self.page
        assert page is not None
        try:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        finally:
            page.remove_listener("response", self._on_response)
            try:
                await page.goto("about:blank")
            except Exception:
                await page.close()  # a page that cannot even go blank is not reused
            else:
                self._renderer._idle_pages.setdefault(self._platforms, []).append(page)


MAX_PAGE_HEIGHT = 16_000
"""Chromium cannot paint a taller viewport in one piece; longer pages are stitched by it."""

_TWO_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


async def _whole_page(page: Page) -> bytes:
    """A screenshot of the whole page with every embedded card painted.

    ``full_page=True`` captures by scrolling a viewport-sized window, and Chromium does
    not paint cross-origin iframes outside the viewport: cards below the fold come out
    as white boxes. A viewport as tall as the page puts every card on screen at once.
    """
    await _settled(page)
    _width, height = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    tall = min(int(height), MAX_PAGE_HEIGHT)
    await page.set_viewport_size({"width": PAGE_VIEWPORT["width"], "height": max(tall, PAGE_VIEWPORT["height"])})
    await _settled(page)
    await asyncio.gather(*(_briefly(frame, _TWO_FRAMES) for frame in page.frames))
    if int(height) > MAX_PAGE_HEIGHT:
        png = await page.screenshot(full_page=True, type="png")
    else:
        png = await _viewport_png(page)
    return png


async def _briefly(target: Page | Frame, script: str, seconds: float = 2.0) -> None:
    """Give ``script`` (a promise in the page's world) ``seconds`` to settle, then go on.

    For courtesies before a shot: the page's world is the page's, and one that replaces
    requestAnimationFrame or document.fonts would otherwise keep its own screenshot from
    being taken. A frame that went away paints nothing either way.
    """
    try:
        await asyncio.wait_for(target.evaluate(script), seconds)
    except Exception:  # TimeoutError, or a frame gone
        pass


async def _viewport_png(page: Page) -> bytes:
    """The viewport as a PNG encoded for speed: the same pixels as Playwright's screenshot
    (a test compares them), a file about a quarter larger, and for a benchmark page
    (1280x2294) about 90 ms less of the browser's time, about half of the shot's."""
    session = await page.context.new_cdp_session(page)
    try:
        await _briefly(page, "() => document.fonts.ready.then(() => null)")
        shot = await session.send("Page.captureScreenshot", {"format": "png", "optimizeForSpeed": True})
    finally:
        await session.detach()
    return base64.b64decode(shot["data"])


async def _card_boxes(page: Page) -> dict[PostRef, tuple[str, FloatRect]]:
    """Where each fully rendered embed card is on the page, by post."""
    boxes: dict[PostRef, tuple[str, FloatRect]] = {}
    for frame in page.frames:
        shown = card_in_frame(frame.url)
        if shown is None or shown[1] in boxes:
            continue
        platform, ref = shown
        try:
            if not await frame.evaluate(_IMAGES_LOADED):
                continue
            element = (await frame.evaluate_handle(_element(platform.card.selector))).as_element()
            box = await element.bounding_box() if element is not None else None
            holder = await frame.frame_element()
            visible = await holder.bounding_box()
        except Exception:
            continue  # the post's own card render will be tried instead
        if box and visible and _inside(box, visible):
            # A card taller than its frame (a frame not yet sized) is cut off on the page:
            # what lies under its box there is the page's, not the card's.
            boxes[ref] = (frame.url, box)
    return boxes


async def _card_frames(page: Page) -> list[Framed]:
    """Every card frame a platform recognises, with its box on the page (rendered or not)."""
    frames: list[Framed] = []
    for frame in page.frames:
        shown = card_in_frame(frame.url)
        if shown is None:
            continue
        try:
            holder = await (await frame.frame_element()).bounding_box()
        except Exception:
            continue  # a frame gone since
        box = Box.of(holder["x"], holder["y"], holder["width"], holder["height"]) if holder else None
        if box is not None:
            frames.append(Framed(shown[1], box))
    return frames


async def _placed(page: Page, needles: Sequence[str]) -> list[Placed]:
    """The elements that name one of ``needles``, and their nearest ancestors, with their boxes."""
    if not needles:
        return []
    try:
        answer = await asyncio.wait_for(page.evaluate(COLLECT, list(needles)), 10)
    except Exception:
        return []  # a page that will not say: its citations get no region
    return placed_from(answer)


def _inside(box: FloatRect, frame: FloatRect, slack: float = 2.0) -> bool:
    """Whether ``box`` lies within ``frame`` (both in page coordinates), give or take ``slack``."""
    return (
        box["x"] >= frame["x"] - slack
        and box["y"] >= frame["y"] - slack
        and box["x"] + box["width"] <= frame["x"] + frame["width"] + slack
        and box["y"] + box["height"] <= frame["y"] + frame["height"] + slack
    )


def _cut_cards(png: bytes, url: str, notes: list[str], boxes: dict[PostRef, tuple[str, FloatRect]]) -> ArticleShot:
    """The page's shot and each card cut out of it: the same pixels, no second rendering.

    The page is decoded once, here, for the cards and for every fact about its pixels and
    theirs (blankness, thumbnail, perceptual hash): decoding is most of the cost of each.
    """
    import io

    from PIL import Image

    from .thumbnails import MAX_PIXELS, derive

    cards: dict[PostRef, Shot] = {}
    try:
        page = Image.open(io.BytesIO(png))
    except (OSError, ValueError, SyntaxError) as e:
        raise RenderError(f"page screenshot is not a readable image ({type(e).__name__})", url) from None
    with page:
        if page.width * page.height > MAX_PIXELS:
            # A page this long is kept as Chromium shot it; its cards are rendered alone.
            return ArticleShot(page=Shot(png, page.width, page.height, url, notes, None), cards={})
        page.load()
        shot = Shot(png, page.width, page.height, url, notes, _one_colour(page), derive(page, "page_screenshot"))
        for ref, (card_url, box) in boxes.items():
            left, top = round(box["x"]), round(box["y"])
            right, bottom = left + round(box["width"]), top + round(box["height"])
            if left < 0 or top < 0 or right > page.width or bottom > page.height or right <= left or bottom <= top:
                continue
            card = page.crop((left, top, right, bottom))
            cards[ref] = Shot(
                _png(card), card.width, card.height, card_url, [], _one_colour(card), derive(card, "screenshot")
            )
    return ArticleShot(page=shot, cards=cards)


def _card_shot_of(png: bytes, url: str) -> Shot:
    import io

    from PIL import Image

    from .thumbnails import derive

    try:
        card = Image.open(io.BytesIO(png))
        card.load()
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise RenderError(f"card screenshot is not a readable image ({type(e).__name__})", url) from None
    with card:
        return Shot(png, card.width, card.height, url, [], _one_colour(card), derive(card, "screenshot"))


def _png(image: Image.Image) -> bytes:
    import io

    out = io.BytesIO()
    # zlib's fastest level: half the encoding time of Pillow's default for files about 15%
    # larger (measured on cards cut from bench pages: 7.4 vs 14.9 ms, 68 vs 59 KB). The
    # page shot itself is Chromium's fast encoding already (see _viewport_png).
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _one_colour(image: Image.Image) -> bool:
    low, high = image.convert("L").getextrema()
    return bool(low == high)


async def _settled(page: Page, checks: int = 20) -> None:
    """Wait until the layout stops changing: widgets resize their iframes after rendering."""
    last = None
    for _ in range(checks):
        size = await page.evaluate("() => document.documentElement.scrollHeight")
        if size == last:
            return
        last = size
        await page.wait_for_timeout(150)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def check_screenshot(shot: Shot, post: str) -> None:
    """A card screenshot must show something: a plausible size and more than one colour."""
    if shot.width < 100 or shot.height < 50:
        raise ContentError(f"card screenshot of post {post} is only {shot.width}x{shot.height}", shot.url)
    if shot.blank:
        raise ContentError(f"card screenshot of post {post} is blank", shot.url)

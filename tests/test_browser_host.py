"""A browser kept across renderers (a queue worker's, across its tasks): launched once,
a browser context for each renderer (nothing of one seen by the next), launched again
when it died or served its uses, nothing left running once closed. Real Chromium."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

from archiver.config import Settings
from archiver.plumbing.blobs import BlobStore
from archiver.steps.render import BrowserHost, Renderer
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.world import Page
from tests.processes import browsers_under, running

PROBE = f"{S.NEWS}/probe/page"
# The page says whether its browser context already held its cookie (a request the fake
# platform logs), then sets it.
PROBE_HTML = """<html><body><p>probe</p><script>
new Image().src = '/probe/' + (document.cookie.includes('kept=1') ? 'had' : 'fresh') + '?' + Math.random();
document.cookie = 'kept=1; path=/; max-age=3600';
</script></body></html>"""


def browsers() -> dict[int, str | None]:
    return browsers_under(os.getpid())


def probes(fake_platform: FakePlatform, what: str) -> int:
    return sum(1 for r in fake_platform.requests_to("www.example-news.com") if f"/probe/{what}?" in r["url"])


async def wait_until(condition: object, what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def test_one_browser_serves_many_renderers_each_in_its_own_context(
    settings: Settings, fake_platform: FakePlatform, fake_world: World, tmp_path: Path
) -> None:
    fake_world.add_page(PROBE, Page.html(PROBE_HTML))
    for what in ("fresh", "had"):
        fake_world.add_page(f"{S.NEWS}/probe/{what}", Page.html("<p>seen</p>"))
    fake_platform.world = fake_world
    blobs = BlobStore(tmp_path / "blobs-home")

    async def render(host: BrowserHost) -> None:
        async with Renderer(settings, blobs, host=host) as renderer:
            shot = await renderer.article_page(PROBE)
            assert shot.page.png and not shot.page.blank

    async def scenario() -> None:
        host = BrowserHost(settings, max_uses=3)
        try:
            await render(host)
            await render(host)
            assert host.launches == 1
            first = browsers()
            assert len(first) == 1, first
            await wait_until(lambda: probes(fake_platform, "fresh") == 2, "two fresh contexts")
            assert probes(fake_platform, "had") == 0  # the second renderer did not see the first's cookie

            # The browser dies (a crash, the OOM killer) between a worker's tasks, its event
            # loop idle, so nothing noticed yet: the next renderer gets a new one.
            for pid in first:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while any(running(pid, started) for pid, started in first.items()):
                assert time.monotonic() < deadline, "the browser did not die"
                time.sleep(0.05)  # blocking: the loop does not run, the death goes unseen
            await render(host)
            assert host.launches == 2
            second = browsers()
            assert len(second) == 1 and second.keys() != first.keys(), (first, second)

            # Worn out after max_uses renderers: launched again, the old one closed.
            await render(host)
            await render(host)
            assert host.launches == 2
            await render(host)
            assert host.launches == 3
            assert not any(running(pid, started) for pid, started in second.items())
            assert probes(fake_platform, "had") == 0
        finally:
            await host.close()

    asyncio.run(scenario())
    assert not browsers(), "a browser outlived its host"

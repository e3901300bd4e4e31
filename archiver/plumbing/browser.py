"""The one place archiver starts Playwright's driver and finds and launches Chromium
(as shot-scraper does).

Playwright drives Chromium from a Node.js process, its driver, which it starts as a
child of ours; Chromium is the driver's child, and exits when the driver's pipe to it
closes. On Linux the driver is started through ``driver-exec`` (``setpriv --pdeathsig
KILL``), so the kernel kills it the moment this process dies, however it dies: without
that, a run killed by kill -9 or the OOM killer left a driver shutting its browser down
gracefully, for a fraction of a second, or for as long as the browser did not answer.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings
from ..errors import BrowserNotFound

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

DRIVER_EXEC = Path(__file__).with_name("driver-exec")

SYSTEM_BROWSERS = (
    "chromium-headless-shell",
    "chrome-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome-stable",
    "google-chrome",
)
"""In order of preference. The headless shell (Chromium's "old" headless mode, a separate
binary) renders with the same Blink but without the desktop browser's layers; it is what
Playwright itself runs for headless Chromium. Measured on the archive benchmark: about a
third less CPU for the browser's processes, and no start-up requests to Google's account service."""
INSTALL_HINT = (
    "install one: `apt-get install chromium-headless-shell` (Debian; or `chromium`), "
    "or `playwright install chromium` "
    "where downloads are allowed, or point ARCHIVER_BROWSER / --browser at a Chromium binary"
)

# Without these Chromium phones home at start-up (updates, sync, safe browsing); on a
# closed network those connections fail noisily, and an archiver should not make them.
LAUNCH_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-quic",
    "--hide-scrollbars",
    "--mute-audio",
    # Every article embeds cards from the same site: one renderer process per site rather
    # than one per page. Sites stay isolated from each other.
    "--process-per-site",
    # WebRTC sends UDP (STUN, media) straight from the browser, around any proxy: a page
    # could reach loopback or the LAN with it. Only what goes through the proxy is allowed,
    # and the guard proxy refuses what the policy refuses.
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
]


@dataclass(frozen=True)
class BrowserChoice:
    path: str | None
    """None means Playwright's own build, which it locates itself."""
    source: str


def find_browser(settings: Settings, playwright: Playwright | None = None) -> BrowserChoice:
    """Playwright's own Chromium if installed, else a system Chromium, else BrowserNotFound."""
    if settings.browser_path:
        if os.path.isfile(settings.browser_path) and os.access(settings.browser_path, os.X_OK):
            return BrowserChoice(settings.browser_path, "configured")
        raise BrowserNotFound(f"the configured browser {settings.browser_path} is not an executable file")
    if playwright is not None:
        try:
            own = playwright.chromium.executable_path
        except Exception:  # Playwright raises its own Error when no build is registered
            own = ""
        if own and os.path.exists(own):
            return BrowserChoice(None, "playwright")
    for name in SYSTEM_BROWSERS:
        found = shutil.which(name)
        if found:
            return BrowserChoice(found, "system")
    raise BrowserNotFound(f"no Chromium found; {INSTALL_HINT}")


async def launch(playwright: Playwright, settings: Settings, guard: str) -> Browser:
    """Chromium, its every request sent through ``guard``: the URL of a ``GuardProxy``,
    which applies archiver's policy and the user's proxy settings."""
    from playwright.async_api import Error as PlaywrightError

    choice = find_browser(settings, playwright)
    options: dict[str, Any] = {"headless": True, "args": LAUNCH_ARGS}
    if choice.path:
        options["executable_path"] = choice.path
    # <-loopback>: Chromium sends loopback and link-local requests direct unless told not to.
    options["proxy"] = {"server": guard, "bypass": "<-loopback>"}
    try:
        return await playwright.chromium.launch(**options)
    except PlaywrightError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BrowserNotFound(f"cannot launch Chromium ({choice.source} {choice.path or ''}): {first}; {INSTALL_HINT}") from e


def driver() -> AbstractAsyncContextManager[Playwright]:
    """Playwright (``async with driver() as playwright:``), its driver bound to end with this process.

    Playwright starts its driver with the program ``PLAYWRIGHT_NODEJS_PATH`` names, in
    this process's environment: while it starts, that names ``driver-exec``, and
    ``ARCHIVER_DRIVER_NODE`` the driver's own program (Playwright's node, or the user's
    ``PLAYWRIGHT_NODEJS_PATH``); both are restored once the driver runs. Not done without
    Linux's ``setpriv``, or if ``driver-exec`` has lost its executable bit: Playwright then
    starts its driver as it would, which still ends when its pipe from this process closes.
    """
    from playwright.async_api import async_playwright

    return _BoundDriver(async_playwright())


class _BoundDriver(AbstractAsyncContextManager["Playwright"]):
    def __init__(self, inner: AbstractAsyncContextManager[Playwright]) -> None:
        self._inner = inner

    async def __aenter__(self) -> Playwright:
        bound = _bind_driver_env()
        try:
            return await self._inner.__aenter__()
        finally:
            if bound:
                _unbind_driver_env()

    async def __aexit__(self, *exc: Any) -> None:
        await self._inner.__aexit__(*exc)


@dataclass
class _Binding:
    starting: int = 0
    """Drivers starting in this process now (threads may each start one)."""
    saved: dict[str, str | None] = field(default_factory=dict)
    """The variables as they were before the first of them."""


_ENV_NAMES = ("PLAYWRIGHT_NODEJS_PATH", "ARCHIVER_DRIVER_NODE")
_binding = _Binding()
_binding_lock = threading.Lock()


def _bind_driver_env() -> bool:
    if not _can_bind_driver():
        return False
    with _binding_lock:
        if _binding.starting == 0:
            node = _driver_node()
            if node is None:
                return False
            _binding.saved = {name: os.environ.get(name) for name in _ENV_NAMES}
            os.environ["ARCHIVER_DRIVER_NODE"] = node
            os.environ["PLAYWRIGHT_NODEJS_PATH"] = str(DRIVER_EXEC)
        _binding.starting += 1
    return True


def _unbind_driver_env() -> None:
    with _binding_lock:
        _binding.starting -= 1
        if _binding.starting == 0:
            for name, value in _binding.saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _driver_node() -> str | None:
    """The program Playwright would start its driver with; None if it cannot say."""
    named = os.environ.get("PLAYWRIGHT_NODEJS_PATH")
    if named and os.path.basename(named) == DRIVER_EXEC.name:
        # Inherited from an archiver starting its driver (a sweep's worker is started then):
        # the node it names is the one meant, never a driver-exec again.
        node = os.environ.get("ARCHIVER_DRIVER_NODE")
        return node if node and os.path.basename(node) != DRIVER_EXEC.name else None
    try:
        from playwright._impl._driver import compute_driver_executable

        return str(compute_driver_executable()[0])  # the bundled node, or the user's PLAYWRIGHT_NODEJS_PATH
    except Exception:  # a Playwright without it, or without node: let it start (and fail) as it would
        return None


def _can_bind_driver() -> bool:
    return sys.platform.startswith("linux") and shutil.which("setpriv") is not None and os.access(DRIVER_EXEC, os.X_OK)

"""FakePlatform: one loopback proxy serving a World, and the settings to reach it."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from collections.abc import Callable

from .handlers import Response
from .proxy import ProxyHandler, ProxyServer
from .tls import CertificateAuthority
from .tokens import tokens_for
from .world import FaultAction, World

Service = Callable[[str, str, dict[str, str], bytes], Response]

NSS_NICKNAME = "archiver-test-ca"


class FakePlatform:
    """Twitter/X (and the news sites of a World) behind a TLS-intercepting proxy.

    >>> with FakePlatform(World.sample()) as fp:
    ...     httpx.get(url, proxy=fp.proxy_url, verify=fp.ssl_context())
    """

    def __init__(
        self,
        world: World | None = None,
        latency: float = 0.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        workdir: Path | None = None,
    ) -> None:
        self._world = world if world is not None else World.sample()
        self.latency = latency
        self._address = (host, port)
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="fakeplatform-"))
        self.ca = CertificateAuthority(self.workdir / "ca")
        self.services: dict[str, Service] = {}
        """Hosts answered by a service instead of the world (a fake TSA, the Wayback Machine):
        ``service(method, path_qs, headers, body) -> Response``. Faults of the world apply."""
        self.requests: list[dict[str, Any]] = []
        """One dict per request: method, url, status (None if never answered), user_agent,
        time (epoch seconds at arrival), and fault when one was injected."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._handlers: set[ProxyHandler] = set()
        self._gates: dict[str, threading.Event] = {}
        self._server: ProxyServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle

    def start(self) -> FakePlatform:
        if self._server is not None:
            return self
        self._prime_tokens(self._world)
        self._stop.clear()
        self._server = ProxyServer(self._address, self)
        self._thread = threading.Thread(target=self._server.serve_forever, name="fakeplatform", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stop.set()  # ends hangs and latency sleeps
        self._server.shutdown()
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            handler.shutdown_socket()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> FakePlatform:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- what clients need

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakePlatform is not started")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_pem_path(self) -> Path:
        return self.ca.pem_path

    def ssl_context(self) -> ssl.SSLContext:
        """A client context trusting only the test CA (for httpx ``verify=``)."""
        return ssl.create_default_context(cafile=str(self.ca_pem_path))

    def env(self, home: Path | None = None) -> dict[str, str]:
        """Environment for a subprocess (the archiver CLI) to go through this platform."""
        out = dict(os.environ)
        for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy"):
            out[name] = self.proxy_url
        out["NO_PROXY"] = out["no_proxy"] = ""
        out["SSL_CERT_FILE"] = str(self.ca_pem_path)
        if home is not None:
            out["HOME"] = str(home)
        return out

    def write_nssdb(self, home: Path) -> Path:
        """Create ``home/.pki/nssdb`` trusting the test CA, for Chromium run with HOME=home."""
        db = Path(home) / ".pki" / "nssdb"
        db.mkdir(parents=True, exist_ok=True)
        target = f"sql:{db}"
        if not (db / "cert9.db").exists():
            subprocess.run(["certutil", "-N", "--empty-password", "-d", target], check=True, capture_output=True)
        # A previous platform's CA under the same nickname would shadow ours.
        subprocess.run(["certutil", "-D", "-n", NSS_NICKNAME, "-d", target], capture_output=True)
        subprocess.run(
            ["certutil", "-A", "-n", NSS_NICKNAME, "-t", "C,,", "-i", str(self.ca_pem_path), "-d", target],
            check=True,
            capture_output=True,
        )
        return db

    # -- the world

    @property
    def world(self) -> World:
        return self._world

    @world.setter
    def world(self, world: World) -> None:
        """Swap the whole world (e.g. a fresh ``World.sample()`` per test)."""
        self._prime_tokens(world)
        self._world = world

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def requests_to(self, host: str) -> list[dict[str, Any]]:
        prefix = (f"https://{host}/", f"http://{host}/")
        with self._lock:
            return [r for r in self.requests if r["url"].startswith(prefix)]

    # -- used by the handler threads

    @staticmethod
    def _prime_tokens(world: World) -> None:
        # One node run for all known ids, so no request waits for node.
        tokens_for(world.posts)

    def _track(self, handler: ProxyHandler, alive: bool) -> None:
        with self._lock:
            (self._handlers.add if alive else self._handlers.discard)(handler)

    def _record(
        self, method: str, url: str, status: int | None, user_agent: str, cookie: str | None = None
    ) -> dict[str, Any]:
        entry: dict[str, Any] = {"method": method, "url": url, "status": status, "user_agent": user_agent, "time": time.time(),
                                 "cookie": cookie}
        with self._lock:
            self.requests.append(entry)
        return entry

    def _take_fault(self, host: str, path_qs: str) -> FaultAction | None:
        with self._lock:
            return self._world.take_fault(host, path_qs)

    def open_gate(self, name: str) -> None:
        """Let every request held by a ``"gate:NAME"`` fault (and any later one) through."""
        with self._lock:
            gate = self._gates.setdefault(name, threading.Event())
        gate.set()

    def _pass_gate(self, name: str) -> None:
        with self._lock:
            gate = self._gates.setdefault(name, threading.Event())
        while not gate.is_set() and not self._stop.is_set():
            gate.wait(0.05)

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stop.wait(seconds)

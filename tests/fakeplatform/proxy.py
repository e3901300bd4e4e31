"""The wire: an HTTP forward proxy that terminates TLS for the world's hosts.

Clients reach the platform the way they would through a corporate proxy:
``CONNECT host:443`` → ``200`` → TLS with a leaf from the test CA → HTTP/1.1 requests
inside the tunnel. Absolute-form plain-HTTP requests and origin-form requests (by Host)
are served too. Each connection gets a thread (Chromium opens many at once).
"""

from __future__ import annotations

import logging
import socket
import ssl
import struct
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from . import misskey
from .handlers import Response, filler, respond

if TYPE_CHECKING:
    from .server import FakePlatform

log = logging.getLogger("tests.fakeplatform")

HANG_SECONDS = 60.0
"""A "hang" outlasts any sane client timeout, but ends at once when the server stops."""


class _Writer:
    """``sendall``-based file-like writer (``makefile`` may write partially on TLS)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def write(self, data: bytes) -> int:
        self._sock.sendall(data)
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], platform: FakePlatform) -> None:
        self.platform = platform
        super().__init__(address, ProxyHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients drop connections all the time (Chromium, timeouts): never spam stderr.
        log.debug("connection error from %s", client_address, exc_info=True)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fakeplatform"
    sys_version = ""
    timeout = 120  # idle keep-alive connections end eventually
    server: ProxyServer

    # -- plumbing

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes: with Nagle's algorithm on, the body
        # waits for the client's delayed ACK of the headers, up to 40 ms per response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.tunnel_host: str | None = None
        self.platform = self.server.platform
        self.platform._track(self, True)

    def finish(self) -> None:
        self.platform._track(self, False)
        try:
            super().finish()
        except OSError:
            pass
        if self.connection is not self.request:  # the TLS socket we wrapped
            try:
                self.connection.close()
            except OSError:
                pass

    def handle(self) -> None:
        try:
            super().handle()
        except (OSError, ssl.SSLError, ValueError) as exc:  # ValueError: I/O on closed file
            log.debug("connection ended: %r", exc)

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def shutdown_socket(self) -> None:
        """Called from another thread on stop, to unblock a read or a hang."""
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- CONNECT

    def do_CONNECT(self) -> None:
        host = self.path.rpartition(":")[0].strip("[]").lower() or self.path.lower()
        world = self.platform.world
        if host not in world.hosts() and host not in self.platform.services:
            self.platform._record("CONNECT", f"https://{self.path}", 502, self.headers.get("User-Agent", ""))
            self._send_simple(502, b"fake platform: host is not part of the world\n")
            self.close_connection = True
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        try:
            tls = self.platform.ca.context_for(host).wrap_socket(self.connection, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            log.debug("TLS handshake for %s failed: %r", host, exc)
            self.close_connection = True
            return
        self.connection = tls
        self.rfile = tls.makefile("rb")
        self.wfile = _Writer(tls)  # type: ignore[assignment]
        self.tunnel_host = host
        self.close_connection = False

    # -- requests

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_GET

    def _target(self) -> tuple[str, str, str, bool]:
        """(scheme, host, path+query, known-to-be-proxied) for this request."""
        if self.path.lower().startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path_qs = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            scheme = "https" if self.tunnel_host else parts.scheme.lower()
            return scheme, (parts.hostname or "").lower(), path_qs, True
        header = self.headers.get("Host") or ""
        host = self.tunnel_host or header.rpartition(":")[0] or header  # drop a :port
        return ("https" if self.tunnel_host else "http"), host.lower(), self.path, False

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        # Read whole for keep-alive; only services (a TSA, the Wayback Machine) look at it.
        body = self.rfile.read(length) if length > 0 else b""
        ua = self.headers.get("User-Agent", "")
        scheme, host, path_qs, absolute = self._target()
        platform = self.platform
        world = platform.world
        service = platform.services.get(host)
        if absolute and not self.tunnel_host and host not in world.hosts() and service is None:
            platform._record(self.command, f"{scheme}://{host}{path_qs}", 502, ua)
            self._send_simple(502, b"fake platform: host is not part of the world\n")
            return
        cookie = self.headers.get("Cookie")
        entry = platform._record(self.command, f"{scheme}://{host}{path_qs}", None, ua, cookie)

        fault = platform._take_fault(host, path_qs)
        if fault is not None:
            entry["fault"] = fault
            if fault.startswith("delay:"):
                platform._sleep(float(fault.split(":", 1)[1]))
            elif fault.startswith("gate:"):
                platform._pass_gate(fault.split(":", 1)[1])
            elif fault == "hang":
                self._hang()
                return
            elif fault == "reset":
                self._reset()
                return
            else:
                status = int(fault)
                extra = {"Retry-After": "1"} if status == 429 else {}
                platform._sleep(platform.latency)
                entry["status"] = status
                self._send(Response(status, {"Content-Type": "text/plain; charset=utf-8", **extra}, f"fault {status}\n".encode()))
                return

        platform._sleep(platform.latency)
        if service is not None:
            response = service(self.command, path_qs, dict(self.headers.items()), body)
        else:
            # A Misskey instance reads the method and body (its API is POST only).
            response = misskey.respond(world, host, self.command, path_qs, body) or respond(world, host, path_qs, ua, cookie or "")
        if response.hang:
            self._hang()
            return
        entry["status"] = response.status
        self._send(response)

    # -- writing

    def _send(self, response: Response) -> None:
        size = response.stream_size or len(response.body)
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if self.command == "HEAD":
            return
        if response.stream_size:
            for chunk in filler(response.stream_size):
                self.wfile.write(chunk)
        elif response.body:
            self.wfile.write(response.body)

    def _send_simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _hang(self) -> None:
        self.platform._sleep(HANG_SECONDS)
        self.close_connection = True

    def _reset(self) -> None:
        """Close with RST and no answer, like a middlebox dropping the connection."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        try:
            raw = self.connection
            if isinstance(raw, ssl.SSLSocket):
                # Close the TCP socket underneath without a TLS close_notify.
                raw = socket.socket(fileno=raw.detach())
                self.connection = raw
            raw.close()
        except OSError:
            pass

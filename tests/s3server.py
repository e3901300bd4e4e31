"""An S3-compatible server on loopback for the blob-store tests: moto's server mode.

moto (``moto[server]``) answers the S3 REST API from memory in a Werkzeug server: PUT
(with ``If-None-Match: *``), multipart uploads, HEAD, GET, list, delete. It does not
model what a real S3 or MinIO adds: durability, replication, eventual consistency of old
S3 regions, part-size limits, throttling (503 SlowDown), lifecycle rules.

``Relay`` sits between a client and the server (real sockets), logs each request line,
can stall an upload part-way (``stall_put_over``), so a test can kill the uploading
process while its object is half sent, and can go down (``go_down``: every connection cut,
new ones closed at once) and come back.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

BUCKET = "archive"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1"}


@dataclass
class S3Server:
    endpoint: str
    client: object
    """A boto3 client, for looking at the bucket from outside archiver."""

    def env(self, endpoint: str | None = None) -> dict[str, str]:
        """What an S3 client reads: endpoint and keys (and loopback past any proxy)."""
        return {**KEYS, "AWS_ENDPOINT_URL": endpoint or self.endpoint, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}

    def objects(self, prefix: str = "") -> dict[str, int]:
        """Every object under ``prefix``: key → size."""
        found: dict[str, int] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)  # type: ignore[attr-defined]
        for page in pages:
            for item in page.get("Contents", []):
                found[item["Key"]] = int(item["Size"])
        return found

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read())  # type: ignore[attr-defined]

    def read_if_there(self, key: str) -> bytes | None:
        """The object, or None when it is gone (removed since it was listed)."""
        try:
            return self.read(key)
        except self.client.exceptions.NoSuchKey:  # type: ignore[attr-defined]
            return None

    def unfinished_uploads(self) -> list[str]:
        answer = self.client.list_multipart_uploads(Bucket=BUCKET)  # type: ignore[attr-defined]
        return [u["Key"] for u in answer.get("Uploads", [])]


@contextmanager
def s3_server() -> Iterator[S3Server]:
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name=KEYS["AWS_REGION"],
            aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"], aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
        )
        client.create_bucket(Bucket=BUCKET)
        yield S3Server(endpoint, client)
    finally:
        server.stop()


@dataclass
class Relay:
    """A TCP relay to ``target`` that logs request lines and can hold back an upload."""

    target: tuple[str, int]
    stall_put_over: int | None = None
    """Hold the first PUT whose body is larger than this after half of its body."""
    requests: list[str] = field(default_factory=list)
    stalled: threading.Event = field(default_factory=threading.Event)
    stalled_key: str | None = None
    down: threading.Event = field(default_factory=threading.Event)
    """While set, every connection is cut at once: the store is unreachable."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _open: set[socket.socket] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.endpoint = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def go_down(self) -> None:
        """Cut every connection, and refuse new ones until ``come_back()``."""
        self.down.set()
        with self._lock:
            sockets, self._open = set(self._open), set()
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def come_back(self) -> None:
        self.down.clear()

    def puts_to(self, key_part: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.startswith("PUT ") and key_part in r)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.down.is_set():
                client.close()
                continue
            upstream = socket.create_connection(self.target, timeout=10)
            with self._lock:
                self._open.update((client, upstream))
            threading.Thread(target=self._back, args=(upstream, client), daemon=True).start()
            threading.Thread(target=self._forth, args=(client, upstream), daemon=True).start()

    def _back(self, upstream: socket.socket, client: socket.socket) -> None:
        _pipe(upstream, client, self._stop)

    def _forth(self, client: socket.socket, upstream: socket.socket) -> None:
        """Client to server, request by request (heads with Content-Length bodies)."""
        buffer = b""
        client.settimeout(0.2)
        try:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = _recv(client, self._stop)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                with self._lock:
                    self.requests.append(lines[0])
                length = 0
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                upstream.sendall(head + b"\r\n\r\n")
                hold = None
                if (
                    self.stall_put_over is not None and lines[0].startswith("PUT ") and length > self.stall_put_over
                    and not self.stalled.is_set()
                ):
                    hold = length // 2
                sent = 0
                while sent < length:
                    if not buffer:
                        buffer = _recv(client, self._stop)
                        if not buffer:
                            return
                    take = buffer[: length - sent]
                    if hold is not None and sent + len(take) >= hold:
                        upstream.sendall(take[: hold - sent])
                        self.stalled_key = lines[0].split()[1]
                        self.stalled.set()
                        self._stop.wait()  # held until the relay closes: the uploader is killed meanwhile
                        return
                    upstream.sendall(take)
                    sent += len(take)
                    buffer = buffer[len(take) :]
        except OSError:
            return
        finally:
            for s in (client, upstream):
                try:
                    s.close()
                except OSError:
                    pass


def _recv(sock: socket.socket, stop: threading.Event) -> bytes:
    while not stop.is_set():
        try:
            return sock.recv(65536)
        except TimeoutError:
            continue
    return b""


def _pipe(source: socket.socket, dest: socket.socket, stop: threading.Event) -> None:
    source.settimeout(0.2)
    try:
        while chunk := _recv(source, stop):
            dest.sendall(chunk)
    except OSError:
        pass
    finally:
        for s in (source, dest):
            try:
                s.close()
            except OSError:
                pass

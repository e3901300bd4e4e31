"""Worker processes for work on untrusted input, bounded in time and memory.

A thread cannot be stopped, and a parser stuck in C code holds it (and, on the event
loop, the whole run). Work that must be bounded runs in a small pool of worker processes
(``python -m MODULE``): each has an address-space limit (``RLIMIT_AS``), and one that
overruns its time is killed and replaced. Requests and replies cross a pipe as
length-prefixed JSON (plus the request's raw bytes): nothing a worker sends back is
unpickled, so a worker subverted by its input cannot run code in the archiver.

    pool = WorkerPool("archiver.steps.reader", size=2, memory=1024 * MB)
    reply = await pool.run({"url": url}, body, timeout=30.0, item=url)
    await pool.close()

The worker module calls :func:`serve` with its handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import sys
from collections.abc import Callable
from pathlib import Path

from ..errors import ContentError

MB = 1024 * 1024
_REQUEST = struct.Struct(">II")  # JSON length, body length
_REPLY = struct.Struct(">I")
_MAX_REPLY = 256 * MB
_START_TIMEOUT = 60.0
"""Seconds for a worker to start (an interpreter and its imports, on a busy machine)."""


class _Dead(Exception):
    """The worker exited or broke its pipe."""


class _Worker:
    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def _read(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        try:
            (size,) = _REPLY.unpack(await self.proc.stdout.readexactly(_REPLY.size))
            if size > _MAX_REPLY:
                raise _Dead(f"reply of {size} bytes")
            reply = json.loads(await self.proc.stdout.readexactly(size))
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as e:
            raise _Dead(str(e)) from None
        if not isinstance(reply, dict):
            raise _Dead("reply is not an object")
        return reply

    async def call(self, request: dict[str, object], body: bytes) -> dict[str, object]:
        assert self.proc.stdin is not None
        header = json.dumps(request).encode()
        try:
            self.proc.stdin.write(_REQUEST.pack(len(header), len(body)) + header)
            self.proc.stdin.write(body)
            await self.proc.stdin.drain()
        except ConnectionError as e:
            raise _Dead(str(e)) from None
        return await self._read()

    async def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        await self.proc.wait()

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 5.0)
        except TimeoutError:
            await self.kill()


class WorkerPool:
    """Up to ``size`` worker processes running ``python -m module``, started when first needed."""

    def __init__(self, module: str, *, size: int, memory: int) -> None:
        self.module = module
        self.memory = memory
        self._slots = asyncio.Semaphore(max(1, size))
        self._idle: list[_Worker] = []
        self._closed = False

    async def _start(self) -> _Worker:
        # The worker imports archiver from where this process did, installed or not.
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, str(self.memory),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
        worker = _Worker(proc)
        try:
            ready = await asyncio.wait_for(worker._read(), _START_TIMEOUT)
        except (_Dead, TimeoutError):
            await worker.kill()
            raise _Dead(f"worker {self.module} did not start (exit code {proc.returncode})") from None
        except BaseException:
            await worker.kill()
            raise
        if ready.get("ready") is not True:
            await worker.kill()
            raise _Dead(f"worker {self.module} did not start: {ready.get('detail')}")
        return worker

    async def warm_up(self) -> None:
        """Start one worker now, so the first request does not wait for it."""
        async with self._slots:
            if not self._idle and not self._closed:
                with contextlib.suppress(_Dead):
                    self._idle.append(await self._start())

    async def run(self, request: dict[str, object], body: bytes, *, timeout: float, item: str) -> object:
        """The handler's answer to ``request`` and ``body``. ContentError naming ``item`` when
        the work takes longer than ``timeout`` seconds or more memory than the limit, or fails."""
        async with self._slots:
            try:
                worker = self._idle.pop() if self._idle else await self._start()
            except _Dead as e:
                raise ContentError(f"could not be read: {e}", item) from None
            try:
                reply = await asyncio.wait_for(worker.call(request, body), timeout)
            except TimeoutError:
                await worker.kill()
                raise ContentError(f"reading it took longer than the time limit ({timeout:g} s)", item) from None
            except _Dead:
                await worker.kill()
                raise ContentError(f"its reader died (exit code {worker.proc.returncode})", item) from None
            except BaseException:
                await worker.kill()  # cancelled mid-request: its state is unknown
                raise
            if reply.get("error") == "memory":
                await worker.kill()
                limit = f"{self.memory / MB:g} MB"
                raise ContentError(f"reading it needs more memory than the limit ({limit})", item)
            if self._closed:
                await worker.close()
            else:
                self._idle.append(worker)
            if "ok" not in reply:
                raise ContentError(f"could not be read: {reply.get('detail')}", item)
            return reply["ok"]

    async def close(self) -> None:
        self._closed = True
        idle, self._idle = self._idle, []
        await asyncio.gather(*(worker.close() for worker in idle))


# --------------------------------------------------------------------------- the worker side


def _write(out: object, reply: dict[str, object]) -> None:
    data = json.dumps(reply).encode()
    out.write(_REPLY.pack(len(data)) + data)  # type: ignore[attr-defined]
    out.flush()  # type: ignore[attr-defined]


def serve(handler: Callable[[dict[str, object], bytes], object], memory_errors: tuple[type[BaseException], ...] = ()) -> None:
    """A worker's loop: limit memory to ``argv[1]`` bytes, answer requests until stdin closes.

    ``memory_errors``: exceptions besides MemoryError that mean the memory ran out (a C
    library's allocation failure). After one the worker exits: its heap may be in pieces.
    """
    import resource

    memory = int(sys.argv[1])
    out_of_memory: tuple[type[BaseException], ...] = (MemoryError, *memory_errors)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    out, inp = sys.stdout.buffer, sys.stdin.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt a reply
    _write(out, {"ready": True})
    while True:
        head = inp.read(_REQUEST.size)
        if len(head) < _REQUEST.size:
            return
        json_size, body_size = _REQUEST.unpack(head)
        request = json.loads(inp.read(json_size))
        body = inp.read(body_size)
        try:
            reply: dict[str, object] = {"ok": handler(request, body)}
        except out_of_memory:
            del body
            with contextlib.suppress(MemoryError):
                _write(out, {"error": "memory"})
            return
        except Exception as e:  # noqa: BLE001 - reported to the caller, who names the item
            reply = {"error": "failed", "detail": f"{type(e).__name__}: {e}"}
        _write(out, reply)

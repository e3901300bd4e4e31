"""Remuxing stored media into one MP4 with ffmpeg: streams copied (``-c copy``), never
re-encoded; local files only, bounded in time.

ffmpeg reads only the files named, through ``-protocol_whitelist file``, each with its
demuxer named (``-f``) so nothing is probed into a playlist or concat demuxer that could
open anything else; it runs as an asyncio subprocess with a timeout and is killed when
it runs over or its caller is cancelled. Its version is asked once per process, for the
run's record (``runs.tools``).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from ..errors import ContentError

TIMEOUT = 300.0
"""Seconds for one remux: copying up to Limits.video bytes of packets."""
_ERRORS_KEPT = 16 * 1024


def find_ffmpeg() -> str | None:
    return shutil.which("ffmpeg")


_versions: dict[str, str] = {}


async def version(exe: str | None = None) -> str:
    """``ffmpeg <version>`` of the ffmpeg on PATH (or ``exe``), asked once per process."""
    exe = exe or find_ffmpeg()
    if exe is None:
        raise ContentError("ffmpeg not installed")
    if exe not in _versions:
        out, _, _ = await _run(exe, ["-hide_banner", "-version"], 20.0, None)
        first = out.decode("utf-8", "replace").split("\n", 1)[0].split()
        _versions[exe] = " ".join(first[:3:2]) if len(first) >= 3 else "ffmpeg"
    return _versions[exe]


async def remux(inputs: list[tuple[str, Path]], maps: list[str], out: Path, item: str | None,
                timeout: float = TIMEOUT) -> str:
    """Copy the streams ``maps`` selects (``0:v:0``, ``1:a:0?``…) from ``inputs`` (demuxer,
    file) into the MP4 ``out``. Returns the ffmpeg that did it (``ffmpeg 5.1.9``);
    ContentError when ffmpeg is missing, fails or runs past ``timeout`` seconds."""
    exe = find_ffmpeg()
    if exe is None:
        raise ContentError("no MP4 made: ffmpeg not installed", item)
    args = ["-nostdin", "-hide_banner", "-v", "error", "-y"]
    for demuxer, path in inputs:
        args += ["-protocol_whitelist", "file", "-f", demuxer, "-i", "file:" + str(path.resolve())]
    for selected in maps:
        args += ["-map", selected]
    args += ["-c", "copy", "-movflags", "+faststart", "-f", "mp4", "file:" + str(out.resolve())]
    _, err, code = await _run(exe, args, timeout, item)
    if code != 0 or not out.is_file():
        reason = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit status {code}"]
        raise ContentError(f"ffmpeg could not copy the streams into MP4 ({reason[0][:200]})", item)
    return await version(exe)


async def _run(exe: str, args: list[str], timeout: float, item: str | None) -> tuple[bytes, bytes, int]:
    proc = await asyncio.create_subprocess_exec(
        exe, *args, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        raise ContentError(f"ffmpeg took longer than {timeout:g} s", item) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    return out[:_ERRORS_KEPT], err[-_ERRORS_KEPT:], proc.returncode or 0


__all__ = ["TIMEOUT", "find_ffmpeg", "remux", "version"]

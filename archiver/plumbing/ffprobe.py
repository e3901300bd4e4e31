"""Asking ffprobe what a stored media file really is: bounded, local, off the event loop.

ffprobe (from the ffmpeg package) reads the container and every packet's header, so a
file that is HTML, an image, or a video cut short is seen for what it is. It runs:

- on the stored file only, never a URL: ``-protocol_whitelist file`` forbids every
  network protocol, and ``-format_whitelist`` only the containers the caller accepts,
  so no playlist or concat demuxer can make it open anything else (MP4's external
  data references stay off, as they are by default);
- as an asyncio subprocess with a timeout, killed when it runs over or its caller is
  cancelled;
- with its output read up to a cap: a hostile file with ten thousand streams cannot
  fill memory.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..errors import ContentError

TIMEOUT = 120.0
"""Seconds for one file: ffprobe reads every packet header of up to Limits.video bytes."""
MAX_OUTPUT = 256 * 1024
MAX_ERRORS = 16 * 1024
INSTALL_HINT = "install ffmpeg (./setup.sh does; on Debian/Ubuntu: apt-get install ffmpeg)"
_ENTRIES = (
    "format=format_name,duration"
    ":stream=codec_type,codec_name,width,height,nb_frames,nb_read_packets"
    ":stream_disposition=attached_pic"
)
# "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d1c8a0e140] message": who complained (a demuxer or a
# decoder), at an address that means nothing to a reader.
_CONTEXT = re.compile(r"^\[([^\]@]*?)\s*@ 0x[0-9a-f]+\]\s*")


@dataclass(frozen=True)
class Complaint:
    source: str
    """The demuxer (``mov,mp4,m4a,3gp,3g2,mj2``) or decoder (``h264``) that logged it; empty for ffprobe itself."""
    message: str


@dataclass(frozen=True)
class Stream:
    kind: str
    """ffprobe's codec_type: video, audio, subtitle, data, attachment."""
    codec: str | None
    width: int | None
    height: int | None
    declared_packets: int | None
    """What the container's index says (MP4 has one; WebM and MPEG-TS do not)."""
    read_packets: int | None
    """What ffprobe could actually read from the file."""
    cover_art: bool = False


@dataclass(frozen=True)
class Probe:
    format_name: str
    """ffprobe's demuxer name, e.g. ``mov,mp4,m4a,3gp,3g2,mj2`` or ``matroska,webm``."""
    duration: float | None
    streams: tuple[Stream, ...]
    complaints: tuple[Complaint, ...]
    """What ffprobe logged as errors while reading the packets (e.g. ``partial file``)."""
    tool: str
    """The ffprobe that judged it, e.g. ``ffprobe 5.1.9-0+deb12u1``."""

    @property
    def formats(self) -> set[str]:
        return set(self.format_name.split(","))

    def of_kind(self, kind: str) -> list[Stream]:
        return [s for s in self.streams if s.kind == kind and not s.cover_art]

    @property
    def container_complaints(self) -> list[str]:
        """Errors the demuxer itself logged: the container is damaged or cut short."""
        return [c.message for c in self.complaints if c.source == self.format_name]

    @property
    def other_complaints(self) -> list[str]:
        """Errors a decoder logged about a frame it tried: kept as notes, not verdicts."""
        return [f"{c.source}: {c.message}" for c in self.complaints if c.source != self.format_name]


def find_ffprobe() -> str | None:
    return shutil.which("ffprobe")


async def probe(path: Path, formats: list[str], what: str, item: str | None) -> Probe:
    """What ffprobe finds in the file at ``path``, read as one of ``formats`` (demuxer
    names). ``what`` ("video", "audio") and ``item`` name it in errors. Raises
    ContentError when ffprobe is missing, times out, or cannot read the file at all."""
    exe = find_ffprobe()
    if exe is None:
        raise ContentError(f"cannot check {what}: ffprobe not installed", item)
    target = "file:" + str(path.resolve())
    args = [
        "-v", "error", "-hide_banner",
        "-protocol_whitelist", "file",
        "-format_whitelist", ",".join(formats),
        "-count_packets",
        "-show_entries", _ENTRIES,
        "-of", "json",
        target,
    ]
    out, err, code = await _run(exe, args, what, item)
    complaints = tuple(_complaint(line, target) for line in err.decode("utf-8", "replace").splitlines() if line.strip())
    if code != 0:
        reason = complaints[-1].message if complaints else f"ffprobe exited with status {code}"
        raise ContentError(f"ffprobe cannot read it as {what} ({reason})", item)
    try:
        found = json.loads(out)
        tool = await version(exe)
        return Probe(
            format_name=str(found["format"]["format_name"]),
            duration=_number(found["format"].get("duration"), float),
            streams=tuple(_stream(s) for s in found.get("streams", [])),
            complaints=complaints,
            tool=tool,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ContentError(f"ffprobe gave no reading of the {what}", item) from None


_versions: dict[str, str] = {}


async def version(exe: str | None = None) -> str:
    """``ffprobe <version>`` of the ffprobe on PATH (or ``exe``), asked once per process."""
    exe = exe or find_ffprobe()
    if exe is None:
        raise ContentError("ffprobe not installed")
    if exe not in _versions:
        out, _, _ = await _run(exe, ["-version"], "ffprobe's version", None, timeout=20.0)
        first = out.decode("utf-8", "replace").split("\n", 1)[0].split()
        _versions[exe] = " ".join(first[:3:2]) if len(first) >= 3 else "ffprobe"
    return _versions[exe]


async def _run(exe: str, args: list[str], what: str, item: str | None, timeout: float = TIMEOUT) -> tuple[bytes, bytes, int]:
    proc = await asyncio.create_subprocess_exec(
        exe, *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    try:
        (out, out_over), (err, _), code = await asyncio.wait_for(
            asyncio.gather(_read_capped(proc.stdout, MAX_OUTPUT), _read_capped(proc.stderr, MAX_ERRORS), proc.wait()),
            timeout,
        )
    except TimeoutError:
        raise ContentError(f"checking the {what} took longer than {timeout:g} s", item) from None
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    if out_over:
        raise ContentError(f"ffprobe's account of the {what} exceeds {MAX_OUTPUT} bytes", item)
    return out, err, code


async def _read_capped(stream: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """Up to ``cap`` bytes of a pipe, draining the rest so the process never blocks on it."""
    kept = bytearray()
    over = False
    while chunk := await stream.read(65536):
        room = cap - len(kept)
        kept += chunk[:room]
        over = over or len(chunk) > room
    return bytes(kept), over


def _complaint(line: str, target: str) -> Complaint:
    context = _CONTEXT.match(line)
    source = context.group(1).strip() if context else ""
    message = line[context.end():] if context else line
    return Complaint(source, message.replace(target, "the file").strip())


def _number(value: object, kind: type[int] | type[float]) -> int | float | None:
    """ffprobe's numbers arrive as strings ("1.000000"), or "N/A" when unknown."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return None
    try:
        return kind(value)
    except ValueError:
        return None


def _stream(s: dict[str, object]) -> Stream:
    disposition = s.get("disposition")
    cover = isinstance(disposition, dict) and disposition.get("attached_pic") == 1
    return Stream(
        kind=str(s.get("codec_type") or "unknown"),
        codec=str(s["codec_name"]) if s.get("codec_name") else None,
        width=_int(s.get("width")),
        height=_int(s.get("height")),
        declared_packets=_int(s.get("nb_frames")),
        read_packets=_int(s.get("nb_read_packets")),
        cover_art=cover,
    )


def _int(value: object) -> int | None:
    number = _number(value, int)
    return int(number) if number is not None else None

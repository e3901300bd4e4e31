"""Processes under test: who descends from whom, whether one still runs, killing a tree.

Read from /proc (Linux), with each process's start time, so a pid reused by the system
is never taken for the process it was.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def proc_children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[19]
    except OSError:
        return None


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running(pid: int, started: str | None) -> bool:
    """Whether the process ``pid`` that started at ``started`` still runs (a zombie does not)."""
    try:
        after = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return False
    return after[19] == started and after[0] not in ("Z", "X")


def descendants(pid: int) -> dict[int, str | None]:
    """Every process under ``pid`` (Chromium runs in its own session), with its start time."""
    children = proc_children()
    found: dict[int, str | None] = {}
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found[child] = start_time(child)
                todo.append(child)
    return found


def kill_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the archiver's process group, then any descendant that left it (by pid)."""
    tree = descendants(process.pid)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for pid, started in tree.items():
        if started is not None and start_time(pid) == started:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    process.wait(timeout=30)


def browsers_under(pid: int) -> dict[int, str | None]:
    """Chromium's browser processes under ``pid`` (not its renderers, zygotes, nor the shell
    script Debian starts it with), with their start times."""
    found = {}
    for child, started in descendants(pid).items():
        line = cmdline(child)
        if "--remote-debugging-pipe" in line and "--type=" not in line and not line.startswith(("/bin/sh ", "sh ")):
            found[child] = started
    return found

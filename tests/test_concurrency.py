"""Runs side by side: two `archive` runs, or a run and a sweep, never capture one post twice;
a killed run blocks no post; a killed run's browser and driver end with it.

One run is the real CLI in a subprocess (so it can be killed), held at a known point by a
gate on the fake platform: its request for a post's embed card waits until the test opens
the gate. The other runs in this process, in a thread, reporting its progress.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from archiver.config import Settings
from archiver.pipeline import Summary, archive
from archiver.sweeper import SweepSummary, sweep
from tests.conftest import assert_files_intact, open_archive
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.processes import cmdline, descendants, kill_tree, running, start_time

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]
GIVE_UP_AFTER = 180.0
"""Seconds to wait for a condition: generous, this is no speed test."""
DRIVER_ENDS_WITHIN = 10.0
CARD_HOST = "platform.twitter.com"
DATA_HOST = "cdn.syndication.twimg.com"


def wait_for(condition: Callable[[], bool], what: str, within: float = GIVE_UP_AFTER) -> None:
    give_up = time.monotonic() + within
    while not condition():
        assert time.monotonic() < give_up, f"gave up waiting for {what}"
        time.sleep(0.02)


def requests_for(fp: FakePlatform, host: str, native_id: int) -> int:
    """Requests for a post to ``host`` by archiver's HTTP client, or for its card by a browser."""
    by = "Mozilla" if host == CARD_HOST else "archiver/"
    return sum(1 for r in fp.requests_to(host) if f"id={native_id}" in r["url"] and by in (r["user_agent"] or ""))


class InThread:
    """A run in a thread of this process, recording its progress lines."""

    def __init__(self, run: Callable[[Callable[[str, str], None]], Any]) -> None:
        self.lines: list[tuple[str, str]] = []
        self.result: Any = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, args=(run,), daemon=True)
        self._thread.start()

    def _main(self, run: Callable[[Callable[[str, str], None]], Any]) -> None:
        try:
            self.result = run(lambda item, what: self.lines.append((item, what)))
        except BaseException as e:  # noqa: BLE001 - reported by join()
            self.error = e

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()

    def waited_for(self, native_id: int) -> bool:
        return any(str(native_id) in item and what.startswith("waiting:") for item, what in self.lines)

    def join(self) -> Any:
        self._thread.join(GIVE_UP_AFTER)
        assert not self._thread.is_alive(), "the run in a thread never finished"
        if self.error is not None:
            raise self.error
        return self.result


def start_cli(settings: Settings, fp: FakePlatform, home: Path, tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*CLI, "--data", str(settings.data_dir), *args],
        env=fp.env(home=home),
        stdout=(tmp_path / "cli-stdout").open("wb"),
        stderr=(tmp_path / "cli-stderr").open("wb"),
        start_new_session=True,
    )


def cli_output(tmp_path: Path) -> str:
    return (tmp_path / "cli-stdout").read_text(errors="replace") + (tmp_path / "cli-stderr").read_text(errors="replace")


def captures_by_post(settings: Settings) -> dict[str, dict[str, Any]]:
    """native_id → {kind: count, "runs": distinct runs that captured it, "complete": 0/1}."""
    db = open_archive(settings)
    out: dict[str, dict[str, Any]] = {}
    for post in db.execute("SELECT id, native_id, capture_complete FROM posts"):
        rows = db.execute("SELECT kind, run_id FROM captures WHERE post_id = ?", (post["id"],)).fetchall()
        kinds: dict[str, Any] = {}
        for r in rows:
            kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
        kinds["runs"] = len({r["run_id"] for r in rows})
        kinds["complete"] = post["capture_complete"]
        out[str(post["native_id"])] = kinds
    db.close()
    return out


@pytest.fixture
def posts(fake_platform: FakePlatform, fake_world: World, request: pytest.FixtureRequest) -> tuple[list[int], str]:
    """Four live one-photo posts; the first one's first card request waits at a gate."""
    _, ids = S.add_bench_article(fake_world, 4)
    fake_platform.world = fake_world  # prime the new posts' tokens
    gate = f"card-{request.node.name}-{time.monotonic_ns()}"
    fake_world.faults[(CARD_HOST, f"id={ids[0]}")] = [f"gate:{gate}"]
    return ids, gate


def urls(ids: list[int]) -> list[str]:
    return [f"https://x.com/AndesObserver/status/{pid}" for pid in ids]


# --------------------------------------------------------------------------- two runs, one post


def test_two_archive_runs_capture_each_post_once(
    settings: Settings, fake_platform: FakePlatform, chromium_home: Path, tmp_path: Path, posts: tuple[list[int], str]
) -> None:
    ids, gate = posts
    first = start_cli(settings, fake_platform, chromium_home, tmp_path, "archive", "--json", *urls(ids))
    try:
        # The first run is capturing ids[0]: its card request is held at the gate.
        wait_for(lambda: requests_for(fake_platform, CARD_HOST, ids[0]) >= 1 or first.poll() is not None, "the first run's card")
        assert first.poll() is None, cli_output(tmp_path)
        second = InThread(lambda progress: archive(urls(ids), settings, progress=progress))
        # The second run meets the post the first is capturing (or, wrongly, fetches it itself).
        wait_for(
            lambda: second.waited_for(ids[0]) or requests_for(fake_platform, DATA_HOST, ids[0]) >= 2 or second.done,
            "the second run to reach the post",
        )
        fake_platform.open_gate(gate)
        summary: Summary = second.join()
        assert first.wait(GIVE_UP_AFTER) == 0, cli_output(tmp_path)
    finally:
        fake_platform.open_gate(gate)
        if first.poll() is None:
            kill_tree(first)
    assert summary.ok, summary.errors
    captured = captures_by_post(settings)
    assert sorted(captured) == sorted(str(i) for i in ids)
    for native_id, kinds in captured.items():
        assert kinds["runs"] == 1 and kinds["complete"] == 1, (native_id, kinds)
        assert (kinds.get("screenshot"), kinds.get("photo")) == (1, 1), (native_id, kinds)
    # The second run captured nothing: it waited for the first and reused its captures.
    assert (summary.posts_captured, summary.posts_reused) == (0, len(ids))
    assert second.waited_for(ids[0]), second.lines
    assert requests_for(fake_platform, DATA_HOST, ids[0]) == 1
    assert_files_intact(settings)


def test_a_killed_run_leaves_no_post_blocked(
    settings: Settings, fake_platform: FakePlatform, chromium_home: Path, tmp_path: Path, posts: tuple[list[int], str]
) -> None:
    ids, gate = posts
    first = start_cli(settings, fake_platform, chromium_home, tmp_path, "archive", *urls(ids))
    try:
        wait_for(lambda: requests_for(fake_platform, CARD_HOST, ids[0]) >= 1 or first.poll() is not None, "the first run's card")
        assert first.poll() is None, cli_output(tmp_path)
    finally:
        kill_tree(first)  # holding its claim on ids[0], and maybe on others
        fake_platform.open_gate(gate)
    assert first.returncode == -signal.SIGKILL

    # The next run takes every post at once: no claim outlived its run.
    lines: list[tuple[str, str]] = []
    summary = archive(urls(ids), settings, progress=lambda item, what: lines.append((item, what)))
    assert summary.ok, summary.errors
    assert not [line for line in lines if line[1].startswith("waiting:")], lines
    assert summary.posts_captured + summary.posts_reused == len(ids)
    captured = captures_by_post(settings)
    assert captured[str(ids[0])]["complete"] == 1
    assert captured[str(ids[0])]["screenshot"] == 1  # the killed run stored none of it
    assert_files_intact(settings)


def test_a_run_and_a_sweep_capture_a_post_once(
    settings: Settings, fake_platform: FakePlatform, chromium_home: Path, tmp_path: Path, posts: tuple[list[int], str]
) -> None:
    ids, gate = posts
    post = ids[0]
    faults = fake_platform.world.faults
    # First archived without its photo: stored incomplete, so both `archive` and a sweep capture it again.
    card_gate = faults.pop((CARD_HOST, f"id={post}"))
    faults[("pbs.twimg.com", "")] = "500"
    first = archive(urls([post]), settings)
    assert not first.ok and captures_by_post(settings)[str(post)]["complete"] == 0
    del faults[("pbs.twimg.com", "")]
    faults[(CARD_HOST, f"id={post}")] = card_gate

    run = start_cli(settings, fake_platform, chromium_home, tmp_path, "archive", urls([post])[0])
    try:
        wait_for(lambda: requests_for(fake_platform, CARD_HOST, post) >= 2 or run.poll() is not None, "the run's card")
        assert run.poll() is None, cli_output(tmp_path)
        swept = InThread(lambda progress: sweep(settings, everything=True, workers=1, progress=progress))
        wait_for(
            lambda: swept.waited_for(post) or requests_for(fake_platform, CARD_HOST, post) >= 3 or swept.done,
            "the sweep to reach the post",
        )
        fake_platform.open_gate(gate)
        summary: SweepSummary = swept.join()
        assert run.wait(GIVE_UP_AFTER) == 0, cli_output(tmp_path)
    finally:
        fake_platform.open_gate(gate)
        if run.poll() is None:
            kill_tree(run)
    assert summary.ok, summary.errors
    kinds = captures_by_post(settings)[str(post)]
    # The first run's card, and the second run's complete capture: the sweep added none.
    assert (kinds["screenshot"], kinds["photo"], kinds["runs"], kinds["complete"]) == (2, 1, 2, 1), kinds
    assert summary.posts_checked == 1 and summary.recaptured == 0
    assert swept.waited_for(post), swept.lines
    assert_files_intact(settings)


# --------------------------------------------------------------------------- no orphans


def browser_processes(tree: dict[int, str | None]) -> list[int]:
    """Chromium's browser process (not its renderers, zygotes or the distribution's shell wrapper)."""
    return [
        pid for pid in tree
        if "chrom" in cmdline(pid) and "--type=" not in cmdline(pid) and not cmdline(pid).startswith("/bin/sh")
    ]


def alive_in(tree: dict[int, str | None]) -> dict[int, str | None]:
    """The processes of ``tree`` still running, and any process they started since."""
    alive = {pid: started for pid, started in tree.items() if running(pid, started)}
    for pid in list(alive):
        for child, started in descendants(pid).items():
            alive.setdefault(child, started)
    return alive


@pytest.mark.parametrize("browser", ["answering", "not-answering"])
def test_a_killed_runs_driver_and_browser_end_with_it(
    settings: Settings, fake_platform: FakePlatform, fake_world: World, chromium_home: Path, tmp_path: Path, browser: str
) -> None:
    article_url, _ = S.add_bench_article(fake_world, 4)
    fake_platform.world = fake_world
    fake_platform.latency = 0.05
    run = start_cli(settings, fake_platform, chromium_home, tmp_path, "archive", article_url)
    tree: dict[int, str | None] = {}
    stopped: list[int] = []
    try:
        def rendering() -> bool:
            tree.update(descendants(run.pid))
            return run.poll() is not None or bool(
                browser_processes(tree) and any("--type=renderer" in cmdline(pid) for pid in tree)
            )

        wait_for(rendering, "the browser to render")
        assert run.poll() is None, cli_output(tmp_path)
        tree.update(descendants(run.pid))
        drivers = [pid for pid in tree if "run-driver" in cmdline(pid)]
        assert drivers and browser_processes(tree), {pid: cmdline(pid) for pid in tree}
        if browser == "not-answering":
            # A browser that does not answer its driver (hung, or starved of CPU).
            stopped = browser_processes(tree)
            for pid in stopped:
                os.kill(pid, signal.SIGSTOP)
        os.kill(run.pid, signal.SIGKILL)  # the archiver process alone, as the OOM killer would
        run.wait(GIVE_UP_AFTER)

        # The driver ends with the run, whatever its browser does. Left to itself, a driver
        # whose browser does not answer waits 30 s for it before ending; the bound is to
        # tell "at once" (a few ms here) from that, with room for a loaded machine.
        wait_for(lambda: not any(running(pid, tree[pid]) for pid in drivers), "the driver to end", DRIVER_ENDS_WITHIN)
        for pid in stopped:
            if running(pid, tree[pid]):
                os.kill(pid, signal.SIGCONT)  # its driver gone, the browser ends once it runs again
        wait_for(lambda: not alive_in(tree), "every process of the run to end")
    finally:
        for pid, started in alive_in(tree).items():
            if start_time(pid) == started:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if run.poll() is None:
            kill_tree(run)


def test_starting_the_driver_leaves_the_environment_as_it_was() -> None:
    """The driver's binding is set only while it starts: a process started later (another
    archiver install's, say) must not inherit it."""
    import asyncio

    from archiver.plumbing.browser import driver

    before = {k: os.environ.get(k) for k in ("PLAYWRIGHT_NODEJS_PATH", "ARCHIVER_DRIVER_NODE")}

    async def start() -> list[str]:
        async with driver() as playwright:
            assert {k: os.environ.get(k) for k in before} == before
            assert playwright.chromium.name == "chromium"
            return [cmdline(pid) for pid in descendants(os.getpid())]

    children = asyncio.run(start())
    assert any("run-driver" in line for line in children), children
    assert {k: os.environ.get(k) for k in before} == before

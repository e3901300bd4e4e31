"""Kill/fault matrix: ``kill -9`` at random moments of ``archive`` and ``sweep`` while the
data directory's disk fills up, then a re-run with space, then ``verify``.

    python bench/kill_matrix.py [--archive-kills 20] [--sweep-kills 10] [--seed 1]
                                [--articles 3] [--per-article 4] [--latency 0.05]

Needs root (it mounts a small tmpfs per trial as the data directory; Linux only).

A calibration run first measures how long an unhindered ``archive`` of the workload
takes (T) and how many bytes its data directory holds (U). Then each trial:

* archive: a fresh tmpfs of a random size between 25 % and 95 % of U; ``archive`` starts,
  and the Python process gets SIGKILL at a random moment in [0, T] (if it has not ended
  by itself first, on the full disk). The tmpfs then grows to 4·U, ``archive`` runs again
  and must exit 0, and ``verify`` must exit 0.
* sweep: an archive made with space, then the world changes (posts deleted, edited and
  restored), the disk is filled to a random few hundred KB of free space, ``sweep --all``
  starts and gets SIGKILL at a random moment in [0, Ts]. The ballast goes, ``sweep --all``
  runs again and must exit 0, and ``verify`` must exit 0.

After each trial: no post has two identical screenshot captures or two rows, no capture or blob row
names a missing file, a killed run left no Python traceback on stderr, and the processes
the killed run started (Playwright's driver, Chromium) are counted if still alive 5 s
after the kill (then killed). Prints one line per trial and a table; exits 1 if any trial
failed a check. Asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakeplatform import FakePlatform, World  # noqa: E402
from tests.fakeplatform import sample as S  # noqa: E402
from tests.processes import descendants, start_time  # noqa: E402

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]


@dataclass
class Trial:
    command: str
    number: int
    disk_kb: int
    kill_at: float
    ended_by_itself: bool = False
    first_exit: int | None = None
    first_stderr_tail: str = ""
    traceback: bool = False
    rerun_exit: int | None = None
    verify_exit: int | None = None
    verify_problems: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    orphans: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not self.traceback
            and self.rerun_exit == 0
            and self.verify_exit == 0
            and not self.duplicates
        )

    def line(self) -> str:
        first = "ended itself" if self.ended_by_itself else f"killed at {self.kill_at:.2f}s"
        verdict = "ok" if self.ok else "FAILED"
        parts = [
            f"{self.command} #{self.number:02d}: disk {self.disk_kb} KB, {first} (exit {self.first_exit})",
            f"re-run exit {self.rerun_exit}, verify exit {self.verify_exit}",
        ]
        if self.verify_problems:
            parts.append("verify: " + "; ".join(self.verify_problems[:3]))
        if self.duplicates:
            parts.append("duplicates: " + "; ".join(self.duplicates[:3]))
        if self.traceback:
            parts.append("TRACEBACK: " + self.first_stderr_tail.strip().splitlines()[-1][:160])
        if self.orphans:
            parts.append(f"{self.orphans} processes outlived the kill by 5 s")
        return f"{verdict:6s} " + " | ".join(parts) + f" ({self.seconds:.0f}s)"


def mount_tmpfs(path: Path, size_kb: int) -> None:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0755", "tmpfs", str(path)], check=True)


def resize_tmpfs(path: Path, size_kb: int) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size_kb}k", str(path)], check=True)


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], check=False)


def used_kb(path: Path) -> int:
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def run(args: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=timeout)


def start(args: list[str], env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], object]:
    f = log.open("wb")
    proc = subprocess.Popen([*CLI, *args], env=env, stdout=subprocess.DEVNULL, stderr=f, start_new_session=True)
    return proc, f


def kill_at(proc: subprocess.Popen[bytes], after: float) -> tuple[bool, int]:
    """SIGKILL the Python process (only it, as kill -9 does) after ``after`` seconds unless it
    ended first. Returns (ended by itself, processes of its tree alive 5 s later)."""
    deadline = time.monotonic() + after
    tree: dict[int, str | None] = {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return True, 0
        tree.update(descendants(proc.pid))
        time.sleep(0.05)
    if proc.poll() is not None:
        return True, 0
    tree.update(descendants(proc.pid))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    give_up = time.monotonic() + 5.0
    alive = tree
    while time.monotonic() < give_up:
        alive = {pid: st for pid, st in tree.items() if st is not None and start_time(pid) == st}
        if not alive:
            return False, 0
        time.sleep(0.1)
    for pid in alive:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return False, len(alive)


def check_archive(data: Path) -> list[str]:
    """Duplicate captures and rows without files (what verify may not phrase the same way)."""
    found: list[str] = []
    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        # A sweep that sees an edit captures the post again, by design: a duplicate is the
        # same card captured twice (a card renders to the same bytes while the post is unchanged).
        for row in conn.execute(
            """SELECT p.native_id, count(*) AS n FROM captures c JOIN posts p ON p.id = c.post_id
               WHERE c.kind = 'screenshot' GROUP BY c.post_id, c.sha256 HAVING n > 1"""
        ):
            found.append(f"post {row['native_id']} has {row['n']} identical screenshots")
        for row in conn.execute(
            "SELECT platform, native_id, count(*) AS n FROM posts GROUP BY platform, native_id HAVING n > 1"
        ):
            found.append(f"post {row['native_id']} has {row['n']} rows")
        for table in ("captures", "blobs"):
            for row in conn.execute(f"SELECT DISTINCT path FROM {table}"):
                if not (data / row["path"]).exists():
                    found.append(f"{table} names missing {row['path']}")
    finally:
        conn.close()
    return found


def verify(data: Path, env: dict[str, str], trial: Trial) -> None:
    result = run(["--data", str(data), "verify", "--json"], env)
    trial.verify_exit = result.returncode
    try:
        report = json.loads(result.stdout)
        trial.verify_problems = [f"{p['kind']}: {p['where']}" for p in report.get("problems", [])]
    except (ValueError, AttributeError):
        trial.verify_problems = [result.stderr.strip()[-200:]]


def archive_trial(
    n: int, fp: FakePlatform, env: dict[str, str], urls: list[str], work: Path, full_kb: int, full_s: float,
    rng: random.Random,
) -> Trial:
    began = time.monotonic()
    data = work / f"archive-{n:02d}"
    trial = Trial("archive", n, disk_kb=int(full_kb * rng.uniform(0.25, 0.95)), kill_at=rng.uniform(0.0, full_s))
    mount_tmpfs(data, trial.disk_kb)
    try:
        log = work / f"archive-{n:02d}.stderr"
        proc, f = start(["--data", str(data), "archive", *urls], env, log)
        trial.ended_by_itself, trial.orphans = kill_at(proc, trial.kill_at)
        f.close()  # type: ignore[attr-defined]
        trial.first_exit = proc.returncode
        stderr = log.read_text(errors="replace")
        trial.first_stderr_tail = stderr[-2000:]
        trial.traceback = "Traceback (most recent call last)" in stderr
        resize_tmpfs(data, full_kb * 4)
        rerun = run(["--data", str(data), "archive", *urls], env)
        trial.rerun_exit = rerun.returncode
        if rerun.returncode != 0:
            trial.verify_problems.append("re-run: " + rerun.stderr.strip()[-300:])
        verify(data, env, trial)
        trial.duplicates = check_archive(data)
    finally:
        umount(data)
        shutil.rmtree(data, ignore_errors=True)
    trial.seconds = time.monotonic() - began
    return trial


def change_world(world: World, ids: list[int], rng: random.Random) -> None:
    """Delete, edit and restore some posts, so that a sweep has rows to write."""
    for pid in ids:
        post = world.resolve_post(pid)
        if post is None:
            continue
        roll = rng.random()
        if roll < 0.3:
            post.status = "deleted" if post.status == "live" else "live"
        elif roll < 0.5:
            post.text = post.text + f" (edited {rng.randrange(1000)})"


def sweep_trial(
    n: int, fp: FakePlatform, env: dict[str, str], urls: list[str], ids: list[int], work: Path, full_kb: int,
    sweep_s: float, rng: random.Random,
) -> Trial:
    began = time.monotonic()
    data = work / f"sweep-{n:02d}"
    trial = Trial("sweep", n, disk_kb=0, kill_at=rng.uniform(0.0, sweep_s))
    mount_tmpfs(data, full_kb * 4)
    try:
        first = run(["--data", str(data), "archive", *urls], env)
        if first.returncode != 0:
            trial.verify_problems.append("set-up archive failed: " + first.stderr.strip()[-300:])
            return trial
        change_world(fp.world, ids, rng)
        free_kb = rng.randrange(16, 512)
        st = os.statvfs(data)
        ballast = data / "ballast"
        with ballast.open("wb") as b:
            room = st.f_bavail * st.f_frsize - free_kb * 1024
            chunk = b"\0" * (1 << 20)
            while room > 0:
                written = b.write(chunk[: min(room, len(chunk))])
                room -= written
        trial.disk_kb = free_kb
        log = work / f"sweep-{n:02d}.stderr"
        proc, f = start(["--data", str(data), "sweep", "--all"], env, log)
        trial.ended_by_itself, trial.orphans = kill_at(proc, trial.kill_at)
        f.close()  # type: ignore[attr-defined]
        trial.first_exit = proc.returncode
        stderr = log.read_text(errors="replace")
        trial.first_stderr_tail = stderr[-2000:]
        trial.traceback = "Traceback (most recent call last)" in stderr
        ballast.unlink()
        rerun = run(["--data", str(data), "sweep", "--all", "--wait"], env)
        trial.rerun_exit = rerun.returncode
        if rerun.returncode != 0:
            trial.verify_problems.append("re-run: " + rerun.stderr.strip()[-300:])
        verify(data, env, trial)
        trial.duplicates = check_archive(data)
    finally:
        umount(data)
        shutil.rmtree(data, ignore_errors=True)
    trial.seconds = time.monotonic() - began
    return trial


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--archive-kills", type=int, default=20)
    parser.add_argument("--sweep-kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--articles", type=int, default=3)
    parser.add_argument("--per-article", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        print("kill_matrix needs root, to mount a small tmpfs per trial", file=sys.stderr)
        return 2
    sys.setswitchinterval(0.0005)
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="archiver-killmatrix-"))
    trials: list[Trial] = []
    world = World.sample()
    by_url = S.add_bench_articles(world, args.articles, args.per_article)
    urls = list(by_url)
    ids = [pid for group in by_url.values() for pid in group]
    with FakePlatform(world) as fp:
        fp.latency = args.latency
        home = work / "home"
        fp.write_nssdb(home)
        env = fp.env(home=home)
        # Calibration: an unhindered archive (its size and time) and an unhindered sweep.
        calib = work / "calibration"
        calib.mkdir()
        began = time.monotonic()
        first = run(["--data", str(calib), "archive", *urls], env)
        full_s = time.monotonic() - began
        if first.returncode != 0:
            print("calibration archive failed:\n" + first.stderr, file=sys.stderr)
            return 2
        full_kb = sum(p.stat().st_size for p in calib.rglob("*") if p.is_file()) // 1024 + 256
        began = time.monotonic()
        run(["--data", str(calib), "sweep", "--all"], env)
        sweep_s = max(1.0, time.monotonic() - began)
        print(f"calibration: archive {full_s:.1f} s, {full_kb} KB; sweep --all {sweep_s:.1f} s; "
              f"{len(urls)} articles, {len(ids)} posts, seed {args.seed}", flush=True)
        pristine = world.copy()
        for n in range(1, args.archive_kills + 1):
            fp.world = pristine.copy()
            trial = archive_trial(n, fp, env, urls, work, full_kb, full_s, rng)
            trials.append(trial)
            print(trial.line(), flush=True)
        for n in range(1, args.sweep_kills + 1):
            fp.world = pristine.copy()
            trial = sweep_trial(n, fp, env, urls, ids, work, full_kb, sweep_s, rng)
            trials.append(trial)
            print(trial.line(), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    for command in ("archive", "sweep"):
        mine = [t for t in trials if t.command == command]
        if not mine:
            continue
        killed = sum(not t.ended_by_itself for t in mine)
        print(
            f"{command}: {sum(t.ok for t in mine)}/{len(mine)} trials sound "
            f"({killed} killed, {len(mine) - killed} ended by themselves on the full disk); "
            f"tracebacks {sum(t.traceback for t in mine)}, re-run failures {sum(t.rerun_exit != 0 for t in mine)}, "
            f"verify failures {sum(t.verify_exit != 0 for t in mine)}, with duplicates {sum(bool(t.duplicates) for t in mine)}, "
            f"orphans after 5 s {sum(t.orphans for t in mine)}"
        )
    return 0 if all(t.ok for t in trials) else 1


if __name__ == "__main__":
    raise SystemExit(main())

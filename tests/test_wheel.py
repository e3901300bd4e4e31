"""The wheel: built from this tree, installed into a fresh virtual environment, run from there.

``archiver/cli.py`` and ``archiver/schema.sql`` are symlinks to the top-level files; the
wheel must carry them as real files, and an editable install must still find them.

Installing the wheel fetches its dependencies from the package index pip is configured
with (about 10 s with a warm pip cache); the build itself runs offline when hatchling is
installed here, else ``build`` fetches it into an isolated environment.
"""

from __future__ import annotations

import importlib.util
import os
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINKED = {"archiver/cli.py": ROOT / "cli.py", "archiver/schema.sql": ROOT / "schema.sql"}
"""Wheel member → the top-level file its symlink in the source tree points to."""
S_IFMT, S_IFLNK = 0o170000, 0o120000


def _env() -> dict[str, str]:
    """This environment minus anything that would make the new venv see this tree."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    command: list[str | Path] = [sys.executable, "-m", "build", "--wheel", "--outdir", out]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-isolation")  # offline: the backend is already here
    result = _run([*command, ROOT], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list(out.glob("archiver-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("venv")
    venv = where / "venv"
    result = _run([sys.executable, "-m", "venv", venv], cwd=where)
    assert result.returncode == 0, result.stderr
    result = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], cwd=where)
    assert result.returncode == 0, result.stdout + result.stderr
    return venv


def test_wheel_carries_the_linked_files_as_real_files(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as whl:
        members = {info.filename: info for info in whl.infolist()}
        for name, source in LINKED.items():
            assert name in members, f"{name} missing from {wheel.name}"
            mode = members[name].external_attr >> 16
            assert mode & S_IFMT != S_IFLNK, f"{name} is stored as a symlink"
            assert whl.read(name) == source.read_bytes(), f"{name} differs from {source.name}"
        migrations = sorted(n for n in members if n.startswith("archiver/plumbing/migrations/") and n.endswith(".sql"))
        assert "archiver/plumbing/migrations/0001_initial.sql" in migrations
        expected = sorted(f"archiver/plumbing/migrations/{p.name}" for p in (ROOT / "archiver" / "plumbing" / "migrations").glob("*.sql"))
        assert migrations == expected
        for name in migrations:
            assert whl.read(name) == (ROOT / name).read_bytes()
        entry_points = next(whl.read(n).decode() for n in members if n.endswith(".dist-info/entry_points.txt"))
    assert "archiver = archiver.cli:cli" in entry_points


def test_installed_wheel_runs_help_and_doctor(venv: Path, tmp_path: Path) -> None:
    archiver = venv / "bin" / "archiver"

    # The package imported is the installed one, not this tree.
    where = _run([venv / "bin" / "python", "-c", "import archiver; print(archiver.__file__)"], cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    assert Path(where.stdout.strip()).resolve().is_relative_to(venv.resolve()), where.stdout

    help_ = _run([archiver, "--help"], cwd=tmp_path)
    assert help_.returncode == 0, help_.stderr
    commands = help_.stdout.split("Commands:", 1)[1].split()
    assert "archive" in commands and "doctor" in commands

    data = tmp_path / "data"
    doctor = _run([archiver, "--data", data, "doctor"], cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "browser: Chromium" in doctor.stdout

    # A run that archives nothing (the one target is refused) still creates the archive
    # from the installed schema.sql and migrations; doctor then reads it.
    refused = _run([archiver, "--data", data, "archive", "http://127.0.0.1:9/nothing"], cwd=tmp_path)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "refused" in refused.stderr
    conn = sqlite3.connect(data / "archive.db")
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        version = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0]
        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        conn.close()
    assert {"runs", "articles", "posts", "captures", "blobs", "exchanges"} <= tables
    assert version == len(list((ROOT / "archiver" / "plumbing" / "migrations").glob("*.sql")))
    assert runs == 1
    doctor = _run([archiver, "--data", data, "doctor"], cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    database = [line for line in doctor.stdout.splitlines() if "database:" in line]
    assert database and database[0].startswith("ok") and f"schema {version}" in database[0], doctor.stdout


def test_editable_install_follows_the_symlinks(tmp_path: Path) -> None:
    """This environment's archiver (setup.sh installs it with ``pip install -e``)."""
    probe = (
        "import archiver, archiver.cli, archiver.plumbing.db\n"
        "print(archiver.__file__)\n"
        "print(archiver.cli.cli.name)\n"
        "print(archiver.plumbing.db.schema_sql() == open(archiver.__file__.rsplit('/', 1)[0] + '/schema.sql').read())\n"
        "print(archiver.plumbing.db.schema_sql()[:50].replace(chr(10), ' '))\n"
    )
    result = _run([sys.executable, "-c", probe], cwd=tmp_path)  # cwd outside the tree: the install is used
    assert result.returncode == 0, result.stderr
    location, name, same, head = result.stdout.splitlines()
    if not Path(location).resolve().is_relative_to(ROOT):
        pytest.skip(f"archiver here is not an editable install of this tree ({location})")
    assert name == "cli"
    assert same == "True"
    assert head == (ROOT / "schema.sql").read_text(encoding="utf-8")[:50].replace("\n", " ")
    script = Path(sys.executable).parent / "archiver"
    if script.exists():
        help_ = _run([script, "--help"], cwd=tmp_path)
        assert help_.returncode == 0 and "doctor" in help_.stdout, help_.stderr

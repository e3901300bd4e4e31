"""The README's --help blocks and commands must stay true.

Each block in README.md preceded by ``<!-- help: archiver ARGS --help -->`` must equal
what the command prints. To refresh them: ``python tests/test_readme.py --fix``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import cli

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"<!-- help: archiver(?P<args>[^>]*?) --help -->\n```\n(?P<body>.*?)```\n", re.S)


def help_text(args: str) -> str:
    result = CliRunner().invoke(cli, [*args.split(), "--help"], prog_name="archiver", terminal_width=88)
    assert result.exit_code == 0, result.output
    return result.output


def refreshed(text: str) -> str:
    return BLOCK.sub(
        lambda m: f"<!-- help: archiver{m['args']} --help -->\n```\n{help_text(m['args'])}```\n", text
    )


def test_readme_help_blocks_are_current() -> None:
    text = README.read_text()
    blocks = list(BLOCK.finditer(text))
    assert len(blocks) >= 3, "README should show archiver --help, archive --help and doctor --help"
    for match in blocks:
        assert match["body"] == help_text(match["args"]), f"README block for `archiver{match['args']} --help` is stale: python tests/test_readme.py --fix"


def test_readme_quickstart_matches_ci() -> None:
    text = README.read_text()
    ci = (README.parent / ".ci" / "run").read_text()
    for command in ("./setup.sh", ".venv/bin/python -m pytest tests"):
        assert command in text, command
        assert command in ci, command


if __name__ == "__main__":
    if "--fix" in sys.argv:
        README.write_text(refreshed(README.read_text()))
    else:
        sys.exit(pytest.main([__file__]))


def test_readme_systemd_units_verify(tmp_path: Path) -> None:
    """The service and timer in the README are valid units (systemd-analyze verify)."""
    import shutil
    import subprocess
    import sys

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    text = README.read_text()
    archiver_bin = str(Path(sys.executable).parent / "archiver")
    units = {}
    for name in ("archiver-sweep.service", "archiver-sweep.timer"):
        match = re.search(rf"`/etc/systemd/system/{re.escape(name)}`:\n\n```ini\n(.*?)```", text, re.S)
        assert match, f"README should show {name}"
        units[name] = match.group(1).replace("/opt/archiver/.venv/bin/archiver", archiver_bin)
        (tmp_path / name).write_text(units[name])
    result = subprocess.run(
        [analyze, "verify", "--man=no", str(tmp_path / "archiver-sweep.service"), str(tmp_path / "archiver-sweep.timer")],
        capture_output=True,
        text=True,
    )
    problems = [line for line in (result.stdout + result.stderr).splitlines() if "archiver-sweep" in line]
    assert result.returncode == 0 and not problems, result.stdout + result.stderr
    assert "sweep --quiet" in units["archiver-sweep.service"]


def test_readme_crontab_line_runs_a_sweep() -> None:
    lines = [line for line in README.read_text().splitlines() if line.startswith("*/30 * * * *")]
    assert lines, "README should show a crontab line"
    fields = lines[0].split(None, 5)
    assert len(fields) == 6 and fields[5].split()[-2:] == ["sweep", "--quiet"]

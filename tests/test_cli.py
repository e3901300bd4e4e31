"""The command line, through click's CliRunner and as a real subprocess.

Exit codes: 0 all archived, 1 some items failed (each named on stderr, one line each),
2 usage error. Bad input never shows a traceback.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlite_utils import Database

from archiver import __version__
from archiver.cli import cli
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S

CLI = [sys.executable, "-c", "from archiver.cli import cli; cli()"]
SUMMARY_KEYS = {"run_id", "articles", "posts_found", "posts_captured", "posts_reused", "media_copied", "statuses", "errors",
                "stamps", "warnings"}
PROXY_VARS = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")

# Posts that need no browser (nothing to screenshot): quick runs for exit codes and input handling.
DELETED = f"https://x.com/AndesObserver/status/{S.DELETED_ID}"
PROTECTED = f"https://x.com/quiet_llama/status/{S.PROTECTED_ID}"
HOSPITAL = f"https://x.com/KawsachunNews/status/{S.JULIACA_HOSPITAL_ID}"


@pytest.fixture
def env(fake_platform: FakePlatform, fake_world: World, chromium_home: Path) -> dict[str, str]:
    """A user's environment pointing at the fake platform: proxy, CA bundle, HOME with the NSS db."""
    return fake_platform.env(home=chromium_home)


def invoke(args: list[str], env: Mapping[str, str | None], input: str | None = None) -> Result:
    result = CliRunner().invoke(cli, args, env=dict(env), input=input)
    # Anything but a clean exit is a crash: CliRunner swallows it into result.exception.
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return result


def run(args: list[str], env: Mapping[str, str], input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=dict(env), input=input, capture_output=True, text=True, timeout=300)


def posts_in(data: Path) -> dict[str, str]:
    db = Database(data / "archive.db")
    try:
        return {r["native_id"]: r["status"] for r in db["posts"].rows}
    finally:
        db.close()


def count_rows(data: Path, table: str) -> int:
    db = Database(data / "archive.db")
    try:
        return db[table].count
    finally:
        db.close()


# --------------------------------------------------------------------------- exit codes and JSON


def test_all_archived_exits_0_with_a_json_summary(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", str(tmp_path), "archive", "--json", DELETED, PROTECTED], env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert summary["errors"] == [] and summary["posts_found"] == 2
    assert summary["statuses"] == {"deleted": 1, "unavailable": 1}
    assert isinstance(summary["run_id"], int)
    assert result.stderr == ""
    assert posts_in(tmp_path) == {str(S.DELETED_ID): "deleted", str(S.PROTECTED_ID): "unavailable"}


def test_partial_failure_exits_1_and_names_each_failure_on_stderr(env: dict[str, str], tmp_path: Path) -> None:
    bad = [S.BAD_URLS["404"], f"https://t.co/{S.UNKNOWN_TCO_CODE}", "ftp://example.com/article"]
    result = invoke(["--data", str(tmp_path), "archive", "--json", DELETED, *bad], env)
    assert result.exit_code == 1
    summary = json.loads(result.stdout)  # stdout stays pure JSON
    assert len(summary["errors"]) == len(bad)
    lines = result.stderr.splitlines()
    assert len(lines) == len(bad), result.stderr
    for url in bad:
        assert len([line for line in lines if url in line]) == 1, (url, lines)
        assert len([e for e in summary["errors"] if url in e]) == 1
    assert posts_in(tmp_path) == {str(S.DELETED_ID): "deleted"}


def test_text_summary_without_json(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", str(tmp_path), "archive", DELETED, S.BAD_URLS["404"]], env)
    assert result.exit_code == 1
    assert "1 posts found" in result.stdout and "1 errors" in result.stdout
    assert str(tmp_path / "archive.db") in result.stdout
    assert result.stderr.splitlines() == [line for line in result.stderr.splitlines() if S.BAD_URLS["404"] in line]


@pytest.mark.parametrize(
    "args",
    [
        ["archive"],  # no URLs
        ["archive", "--json"],
        ["archive", "--no-such-option", DELETED],
        ["--no-such-option", "archive", DELETED],
        ["archive", "-c", "0", DELETED],
        ["archive", "-c", "many", DELETED],
        ["archive", "-i", "/nonexistent/urls.txt"],
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_2(env: dict[str, str], tmp_path: Path, args: list[str]) -> None:
    result = invoke(["--data", str(tmp_path / "d"), *args], env)
    assert result.exit_code == 2, result.output
    assert "Usage:" in result.stderr or "Error:" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "d" / "archive.db").exists()


def test_data_that_is_a_file_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a directory")
    result = invoke(["--data", str(a_file), "archive", DELETED], env)
    assert result.exit_code == 2


@pytest.mark.parametrize(
    "target",
    [
        "not a url",
        "http://[::1",
        "ftp://example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://127.0.0.1/admin",
        "http://169.254.169.254/latest/meta-data/",
        f"https://t.co/{S.UNKNOWN_TCO_CODE}",
        S.BAD_URLS["binary"],
        S.BAD_URLS["to-metadata"],
    ],
)
def test_bad_input_gives_one_line_and_no_traceback(env: dict[str, str], tmp_path: Path, target: str) -> None:
    result = invoke(["--data", str(tmp_path), "archive", target], env)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and target in lines[0], lines
    assert "unexpected" not in lines[0]


def test_an_unusable_data_directory_is_one_line_not_a_traceback(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", "/proc/archiver-cannot-write-here", "archive", DELETED], env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1
    (tmp_path / "archive.db").write_bytes(b"this is not a database" * 100)
    result = invoke(["--data", str(tmp_path), "archive", DELETED], env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1


# --------------------------------------------------------------------------- where URLs come from


def test_input_file_skips_blank_lines_and_comments(env: dict[str, str], tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# articles to archive\n\n   {DELETED}   \n  # {S.BAD_URLS['404']}\n\n{PROTECTED}\n")
    result = invoke(["--data", str(tmp_path / "d"), "archive", "--json", "-i", str(urls)], env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["posts_found"] == 2
    assert posts_in(tmp_path / "d") == {str(S.DELETED_ID): "deleted", str(S.PROTECTED_ID): "unavailable"}


def test_input_from_stdin_adds_to_the_arguments(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", str(tmp_path), "archive", "--json", "-i", "-", DELETED], env, input=f"# from a pipe\n{PROTECTED}\n\n")
    assert result.exit_code == 0, result.output
    assert posts_in(tmp_path) == {str(S.DELETED_ID): "deleted", str(S.PROTECTED_ID): "unavailable"}


def test_input_file_with_a_byte_order_mark_and_crlf(env: dict[str, str], tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_bytes(f"\ufeff{DELETED}\r\n# comment\r\n{PROTECTED}\r\n".encode())
    result = invoke(["--data", str(tmp_path / "d"), "archive", "-i", str(urls)], env)
    assert result.exit_code == 0, result.output
    assert posts_in(tmp_path / "d") == {str(S.DELETED_ID): "deleted", str(S.PROTECTED_ID): "unavailable"}


def test_stdin_with_only_comments_is_a_usage_error(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", str(tmp_path), "archive", "-i", "-"], env, input="# nothing\n\n")
    assert result.exit_code == 2


def test_archiver_data_env_picks_the_data_directory(env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default ./captures must stay untouched
    data = tmp_path / "from-env"
    result = invoke(["archive", DELETED], {**env, "ARCHIVER_DATA": str(data)})
    assert result.exit_code == 0, result.output
    assert posts_in(data) == {str(S.DELETED_ID): "deleted"}
    assert not (tmp_path / "captures").exists()
    # --data wins over the environment.
    other = tmp_path / "from-option"
    result = invoke(["--data", str(other), "archive", PROTECTED], {**env, "ARCHIVER_DATA": str(data)})
    assert result.exit_code == 0
    assert posts_in(other) == {str(S.PROTECTED_ID): "unavailable"}
    assert posts_in(data) == {str(S.DELETED_ID): "deleted"}


# --------------------------------------------------------------------------- proxies, end to end


def console_script() -> list[str]:
    script = Path(sys.executable).with_name("archiver")
    return [str(script)] if script.exists() else CLI


def test_proxy_from_the_environment_end_to_end(
    env: dict[str, str], fake_platform: FakePlatform, tmp_path: Path
) -> None:
    """A real process, configured only by HTTPS_PROXY, SSL_CERT_FILE and HOME, archives a post
    given by URL: its data through the HTTP client, its card through Chromium, both proxied."""
    data = tmp_path / "data"
    proc = subprocess.run(
        [*console_script(), "--data", str(data), "archive", "--json", HOSPITAL],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    summary = json.loads(proc.stdout)
    assert set(summary) == SUMMARY_KEYS
    assert (summary["posts_found"], summary["posts_captured"], summary["articles"]) == (1, 1, 0)
    assert summary["media_copied"] >= 2  # video and poster
    with sqlite3.connect(data / "archive.db") as db:
        db.row_factory = sqlite3.Row
        post = db.execute("SELECT * FROM posts").fetchone()
        assert (post["native_id"], post["status"], post["capture_complete"]) == (str(S.JULIACA_HOSPITAL_ID), "live", 1)
        assert post["url"] == HOSPITAL
        kinds = {r["kind"] for r in db.execute("SELECT kind FROM captures WHERE post_id = ?", (post["id"],))}
        assert {"data", "screenshot", "video", "poster"} <= kinds
        assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        run_row = db.execute("SELECT * FROM runs").fetchone()
        assert run_row["proxy_host"] == "127.0.0.1" and run_row["browser_version"]
    # Both clients went through the proxy: the tool's requests and the browser's.
    agents = {r["user_agent"] for r in fake_platform.requests_to("cdn.syndication.twimg.com")}
    assert any(a.startswith("archiver/") for a in agents)
    card = fake_platform.requests_to("platform.twitter.com")
    assert card and all("Mozilla" in r["user_agent"] for r in card)


def test_proxy_option_works_without_proxy_variables(
    env: dict[str, str], fake_platform: FakePlatform, tmp_path: Path
) -> None:
    no_proxy_env: dict[str, str | None] = {**env, **{name: None for name in PROXY_VARS}}
    post = f"https://x.com/AndesObserver/status/{S.TEXT_IDS[0]}"
    result = invoke(["--data", str(tmp_path), "--proxy", fake_platform.proxy_url, "archive", "--json", post], no_proxy_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["posts_captured"] == 1
    with sqlite3.connect(tmp_path / "archive.db") as db:
        kinds = {r[0] for r in db.execute("SELECT kind FROM captures")}
    assert {"data", "screenshot"} <= kinds
    assert fake_platform.requests_to("cdn.syndication.twimg.com")
    assert fake_platform.requests_to("platform.twitter.com")  # Chromium used --proxy too


def test_partial_run_in_a_real_process(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(["--data", str(tmp_path), "archive", DELETED, S.BAD_URLS["404"], S.BAD_URLS["to-private"]], env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 2, lines
    assert sum(S.BAD_URLS["404"] in line for line in lines) == 1
    assert sum(S.BAD_URLS["to-private"] in line for line in lines) == 1
    assert "1 posts found" in proc.stdout


def test_usage_error_in_a_real_process(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(["--data", str(tmp_path), "archive"], env)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "Usage:" in proc.stderr


def test_a_common_no_proxy_value_is_no_traceback(env: dict[str, str], tmp_path: Path) -> None:
    proc = run(["--data", str(tmp_path), "archive", DELETED], {**env, "NO_PROXY": "localhost,127.0.0.1,::1"})
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("link", [f"pic.twitter.com/{S.JULIACA_CODES[1]}", f"t.co/{S.JULIACA_CODES[1]}"])
def test_a_scheme_less_media_link_as_printed_in_posts(env: dict[str, str], tmp_path: Path, link: str) -> None:
    result = invoke(["--data", str(tmp_path), "archive", "--json", link], env)
    assert result.exit_code == 0, result.output
    assert posts_in(tmp_path) == {str(S.JULIACA_DOCTOR_ID): "live"}


# --------------------------------------------------------------------------- doctor, help, version


def test_doctor_passes_here_and_names_the_browser(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", str(tmp_path), "doctor"], env)
    assert result.exit_code == 0, result.output
    browser = [line for line in result.stdout.splitlines() if line.startswith("ok") and "browser:" in line]
    assert len(browser) == 1 and "Chromium " in browser[0]
    version = browser[0].split("Chromium ", 1)[1].split()[0]
    assert version[0].isdigit() and "." in version
    assert "FAIL" not in result.stdout
    report = json.loads(invoke(["--data", str(tmp_path), "doctor", "--json"], env).stdout)
    assert report["ok"] is True
    assert {c["name"] for c in report["checks"]} >= {"archiver", "packages", "browser", "ffprobe", "database"}


def test_doctor_with_a_missing_browser_exits_1_with_a_reason_and_a_fix(env: dict[str, str], tmp_path: Path) -> None:
    result = invoke(["--data", str(tmp_path), "--browser", "/nonexistent", "doctor"], env)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    failed = [i for i, line in enumerate(lines) if line.startswith("FAIL")]
    assert len(failed) == 1
    assert "browser" in lines[failed[0]] and "/nonexistent" in lines[failed[0]]
    assert lines[failed[0] + 1].strip().startswith("fix:")
    # The same through ARCHIVER_BROWSER, in a real process.
    proc = run(["--data", str(tmp_path), "doctor"], {**env, "ARCHIVER_BROWSER": "/nonexistent"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "FAIL browser" in proc.stdout and "fix:" in proc.stdout


def test_archive_with_a_missing_browser_is_one_line(env: dict[str, str], tmp_path: Path) -> None:
    post = f"https://x.com/AndesObserver/status/{S.TEXT_IDS[1]}"
    result = invoke(["--data", str(tmp_path), "--browser", "/nonexistent", "archive", post], env)
    assert result.exit_code == 1
    assert "/nonexistent" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from archiver.cli import cli\n"
        "for args in (['--help'], ['archive', '--help'], ['doctor', '--help'], ['--version']):\n"
        "    r = CliRunner().invoke(cli, args)\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'playwright', 'httpx', 'PIL', 'selectolax'}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_help_and_version(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "archive" in result.output and "doctor" in result.output and "ARCHIVER_DATA" in result.output
    result = CliRunner().invoke(cli, ["archive", "--help"])
    assert result.exit_code == 0 and "--json" in result.output and "Exit code" in result.output
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    proc = subprocess.run([*console_script(), "--version"], capture_output=True, text=True, timeout=60, env=dict(os.environ))
    assert proc.returncode == 0 and __version__ in proc.stdout

"""The quickstart demo: archive the sample article from a replica of the platform, offline.

    .venv/bin/python -m tests.fakeplatform.demo [--data DIR]

Starts the fake Twitter/X and news site (``tests.fakeplatform``) on loopback, then runs
the real ``archiver`` command in a subprocess, as a user behind a proxy would:
``HTTPS_PROXY`` is the replica's proxy, ``SSL_CERT_FILE`` its CA (for archiver's HTTP
client) and ``HOME`` a directory whose NSS database trusts that CA (for Chromium). Then
it shows where the results are. The exit code is archiver's.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from . import sample
from .server import FakePlatform
from .world import World

TARGETS = [sample.JULIACA_TXT_URL, sample.JULIACA_URL]
DEFAULT_DATA = Path("demo-captures")


def archiver_command() -> list[str]:
    """The ``archiver`` script installed beside this Python (``.venv/bin/archiver``)."""
    script = Path(sys.executable).parent / "archiver"
    if script.is_file() and os.access(script, os.X_OK):
        return [_shown(script)]
    return [sys.executable, "-m", "archiver.cli"]  # not installed as a script: same CLI


def _shown(path: Path) -> str:
    """``path`` relative to the current directory when it is under it, for readable output."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fakeplatform.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"data directory (default: {DEFAULT_DATA})")
    args = parser.parse_args(argv)
    data: Path = args.data

    if shutil.which("certutil") is None:
        print("demo: certutil is missing (apt-get install libnss3-tools); Chromium could not trust the replica's CA",
              file=sys.stderr)
        return 1

    print("== Demo: archiving the sample article from a local replica of Twitter/X and a news site")
    print("   (nothing leaves this machine: every request goes to a proxy on 127.0.0.1)")
    with tempfile.TemporaryDirectory(prefix="archiver-demo-home-") as home_dir, \
            FakePlatform(World.sample()) as fp:
        home = Path(home_dir)
        fp.write_nssdb(home)
        settings_env = {
            "HTTPS_PROXY": fp.proxy_url,
            "SSL_CERT_FILE": str(fp.ca_pem_path),
            "HOME": str(home),
        }
        env = dict(os.environ)
        for name in ("NO_PROXY", "no_proxy"):  # a user's bypass list must not route around the replica
            env.pop(name, None)
        env.update(settings_env)
        command = [*archiver_command(), "--data", str(data), "archive", *TARGETS]
        print()
        print("The replica is a proxy on loopback with its own CA. archiver is run exactly as a user")
        print("behind a proxy would run it: HTTPS_PROXY is the proxy, SSL_CERT_FILE the CA archiver's")
        print("HTTP client trusts, and HOME a directory whose NSS database (~/.pki/nssdb) makes")
        print("Chromium trust it too. On the real network you need none of the three:")
        print()
        print("  " + " ".join(f"{k}={shlex.quote(v)}" for k, v in settings_env.items()) + " \\")
        print("    " + " ".join(shlex.quote(part) for part in command))
        print()
        sys.stdout.flush()
        code = subprocess.run(command, env=env).returncode
        print(f"\n(archiver exited with code {code})")

    tour(data)
    return code


def tour(data: Path) -> None:
    """Where the results are: the data directory, the database, what it holds."""
    db_path = data / "archive.db"
    print()
    print("== Where the results are")
    where = "" if data.is_absolute() else f"  ({data.resolve()})"
    print(f"data directory: {data}/{where}")
    if not db_path.exists():
        print(f"  no {db_path}: archiver stored nothing (see its errors above)")
        return
    print(f"  {db_path}  SQLite: articles, posts, article_posts, captures, links, exchanges, status_checks, log, ... (schema.sql)")
    print(f"  {data / 'blobs'}/  every captured file once, named by its SHA-256 (blobs/ab/cd/<sha256>.<ext>)")
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        articles = conn.execute("SELECT url, title FROM articles ORDER BY id").fetchall()
        statuses = conn.execute("SELECT status, count(*) FROM posts GROUP BY status ORDER BY status").fetchall()
        kinds = conn.execute("SELECT kind, count(*) FROM captures GROUP BY kind ORDER BY kind").fetchall()
        # The newest card screenshot of each post (a --recapture adds rows, never replaces).
        shots = conn.execute(
            """SELECT p.url, p.author_handle, c.path, c.width, c.height
               FROM posts p JOIN captures c ON c.id = (
                   SELECT max(id) FROM captures WHERE post_id = p.id AND kind = 'screenshot')
               ORDER BY p.created_at"""
        ).fetchall()
        pages = conn.execute(
            """SELECT a.url, c.path FROM articles a JOIN captures c ON c.id = (
                   SELECT max(id) FROM captures WHERE article_id = a.id AND kind = 'page_screenshot')
               ORDER BY a.id"""
        ).fetchall()
    finally:
        conn.close()
    total = sum(n for _, n in statuses)
    print(f"articles: {len(articles)}")
    for url, title in articles:
        print(f"  {url}  {title or ''}")
    print(f"posts: {total} ({', '.join(f'{n} {s}' for s, n in statuses) or 'none'})")
    print(f"captures by kind: {', '.join(f'{k} {n}' for k, n in kinds) or 'none'}")
    print(f"post screenshots ({len(shots)}):")
    for url, _handle, path, width, height in shots:
        print(f"  {data / path}  {width}x{height}  {url}")
    if pages:
        print("article page screenshots:")
        for url, path in pages:
            print(f"  {data / path}  {url}")
    print()
    print("Browse it:")
    print(f"  .venv/bin/archiver --data {data} serve     # Datasette on http://127.0.0.1:8001/, read-only")
    print(f"  sqlite3 {db_path} 'SELECT url, status, text FROM posts'   # with the sqlite3 shell")
    print("Run the demo again and the posts are reused ('already archived'); archiver's --recapture")
    print("captures them anew, adding rows beside the old ones.")
    print("To try other pages of the replica: .venv/bin/python -m tests.fakeplatform --nssdb-home /tmp/replica-home")
    print("prints PROXY=, CA= and ARTICLE= lines to use the same way.")


if __name__ == "__main__":
    raise SystemExit(main())

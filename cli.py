"""archiver's command line: parse options, call the library, print.

Installed as ``archiver/cli.py`` by a symlink, so the wheel carries it.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from archiver import __version__
from archiver.config import Settings


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def _progress(*, quiet: bool, as_json: bool) -> Callable[[str, str], None]:
    """Errors always go to stderr, one line each; changes unless --json; the rest on a terminal."""
    on_terminal = sys.stderr.isatty() and not as_json and not quiet

    def progress(item: str, what: str) -> None:
        if what.startswith("error: "):
            click.echo(what, err=True)
        elif what.startswith("change: ") and not as_json:
            click.echo(f"{what.removeprefix('change: ')}: {item}")
        elif on_terminal:
            click.echo(f"  {item}  {what}", err=True)

    return progress


@contextmanager
def _reader(ctx: click.Context) -> Iterator[sqlite3.Connection]:
    from archiver.db import open_db
    from archiver.errors import StoreError

    path = _settings(ctx).db_path
    if not path.exists():
        raise StoreError(f"no archive at {path}")
    conn = open_db(path)
    try:
        yield conn
    finally:
        conn.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ARCHIVER_DATA",
    default="captures",
    show_default=True,
    help="Data directory: archive.db and the captured files. Env: ARCHIVER_DATA.",
)
@click.option("--proxy", help="Proxy URL for every request, the browser's too. Default: HTTPS_PROXY/HTTP_PROXY.")
@click.option("--browser", "browser_path", help="Chromium binary to drive. Env: ARCHIVER_BROWSER.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow loopback, private and link-local targets (refused by default). For replicas and tests.",
)
@click.pass_context
def cli(ctx: click.Context, data_dir: Path, proxy: str | None, browser_path: str | None, allow_private: bool) -> None:
    """Archive the social-media posts that news articles embed.

    Finds every embedded post in an article, resolves its links, fetches its data,
    screenshots it in headless Chromium, copies its media and records it all, hashed,
    in a SQLite archive you can browse with Datasette.
    """
    ctx.obj = {
        "settings": Settings.from_env(
            data_dir=data_dir, proxy=proxy, browser_path=browser_path, allow_private=allow_private or None
        )
    }


@cli.command()
@click.argument("urls", nargs=-1)
@click.option(
    "-i",
    "--input",
    "input_file",
    type=click.File("r", encoding="utf-8-sig"),
    help="Read URLs from a file, one per line ('-' for stdin). Blank lines and # comments are skipped.",
)
@click.option("--recapture", is_flag=True, help="Capture known posts again (new rows; nothing is replaced).")
@click.option("-c", "--concurrency", type=click.IntRange(1, 64), help="Articles and browser pages at once.  [default: 6]")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of text.")
@click.pass_context
def archive(
    ctx: click.Context,
    urls: tuple[str, ...],
    input_file: Any,
    recapture: bool,
    concurrency: int | None,
    as_json: bool,
) -> None:
    """Archive articles, or posts directly, by URL.

    Each URL may be an article (every embedded post is archived with it), a post's
    URL, or a t.co / pic.twitter.com link. Exit code 0: all archived; 1: some items
    failed (each named on stderr); 2: usage error.
    """
    from archiver.errors import ArchiverError
    from archiver.pipeline import archive as run_archive

    targets = list(urls)
    if input_file is not None:
        targets += [line.strip() for line in input_file if line.strip() and not line.strip().startswith("#")]
    if not targets:
        raise click.UsageError("give at least one URL, or -i FILE")
    settings = _settings(ctx)
    if concurrency:
        settings = replace(settings, concurrency=concurrency)
    try:
        summary = run_archive(targets, settings, recapture=recapture, progress=_progress(quiet=False, as_json=as_json))
    except ArchiverError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(summary.line())
        click.echo(f"archive: {settings.db_path}")
    ctx.exit(0 if summary.ok else 1)


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check everything, not only what is due.")
@click.option("--limit", type=click.IntRange(min=0), help="Check at most N items (articles first, then posts).")
@click.option("--max-time", type=click.FloatRange(min=0), metavar="SECONDS", help="Take no new item after this long.")
@click.option("-c", "--concurrency", type=click.IntRange(1, 256), default=32, show_default=True, help="Checks in flight at once.")
@click.option(
    "--schedule",
    help="When items are due, by age since first archived: AGE:EVERY steps.  [default: 1d:1h,30d:1d,*:7d]",
)
@click.option("--quiet", is_flag=True, help="Print only changes and errors: silent when nothing happened.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.option("--wait", is_flag=True, help="Wait for a running sweep to finish instead of exiting with 75.")
@click.option("--notify-url", help="POST a JSON list of the changes found to this URL after the run.")
@click.pass_context
def sweep(
    ctx: click.Context,
    everything: bool,
    limit: int | None,
    max_time: float | None,
    concurrency: int,
    schedule: str | None,
    quiet: bool,
    as_json: bool,
    wait: bool,
    notify_url: str | None,
) -> None:
    """Re-check archived posts and watched articles that are due.

    Records every verdict; a post is called deleted only when both sources say so, and a
    429, 5xx or timeout never overturns a verdict. Changed posts are captured again,
    new embeds archived, removed ones marked. Nothing is ever deleted.

    Exit code 0: all checked; 1: some items failed; 75: another sweep holds the lock.
    """
    from archiver.errors import ArchiverError
    from archiver.lock import LockHeld
    from archiver.schedule import Schedule
    from archiver.sweep import sweep as run_sweep

    settings = _settings(ctx)
    try:
        if schedule:
            Schedule.parse(schedule)
            settings = replace(settings, schedule=schedule)
        summary = run_sweep(
            settings,
            everything=everything,
            limit=limit,
            max_time=max_time,
            concurrency=concurrency,
            wait=wait,
            notify_url=notify_url,
            progress=_progress(quiet=quiet, as_json=as_json),
        )
    except LockHeld as e:
        if not quiet:
            click.echo(f"archiver: {e}", err=True)
        ctx.exit(75)
    except ArchiverError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    elif not quiet or summary.events:
        click.echo(summary.line())
    ctx.exit(0 if summary.ok else 1)


@cli.command()
@click.option("--since", default="7d", show_default=True, help="How far back: 12h, 7d, 4w.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def deleted(ctx: click.Context, since: str, as_json: bool) -> None:
    """List posts found deleted or unavailable lately."""
    from archiver.errors import ArchiverError
    from archiver.queries import deleted_since

    try:
        with _reader(ctx) as conn:
            found = deleted_since(conn, since)
    except ArchiverError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo(f"nothing deleted or unavailable in the last {since}")
        return
    for row in found:
        click.echo(f"{row['detected_at'][:19]}  {row['kind']:<11}  {row['url']}")
        if row["cited_by"]:
            click.echo(f"{'':33}cited by {row['cited_by']}")


@cli.command()
@click.argument("post")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def history(ctx: click.Context, post: str, as_json: bool) -> None:
    """One post's timeline of checks, captures and changes (a URL or the platform's id)."""
    from archiver.errors import ArchiverError
    from archiver.queries import history as post_history

    try:
        with _reader(ctx) as conn:
            row, entries = post_history(conn, post)
    except ArchiverError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps({"post": dict(row), "timeline": [e.as_dict() for e in entries]}, indent=2))
        return
    click.echo(f"{row['url']}  now {row['status']}  by @{row['author_handle'] or '?'}")
    for entry in entries:
        click.echo(f"{entry.at[:19]}  {entry.what:<24}  {entry.detail}")


@cli.command()
@click.argument("url")
@click.pass_context
def unwatch(ctx: click.Context, url: str) -> None:
    """Stop re-checking an article in sweeps (its posts and captures stay)."""
    from archiver.errors import ArchiverError
    from archiver.store import Store

    try:
        store = Store(_settings(ctx))
        try:
            found = store.unwatch(url)
        finally:
            store.close()
    except ArchiverError as e:
        raise click.ClickException(str(e)) from None
    if not found:
        raise click.ClickException(f"{url}: not in the archive")
    click.echo(f"no longer watching {url}")


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check that archiver can run here: browser, database, versions."""
    from archiver.doctor import diagnose

    report = diagnose(_settings(ctx))
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for check in report.checks:
            mark = "ok  " if check.ok else "FAIL"
            click.echo(f"{mark} {check.name}: {check.detail}")
            if not check.ok and check.fix:
                click.echo(f"     fix: {check.fix}")
    ctx.exit(0 if report.ok else 1)


if __name__ == "__main__":
    cli()

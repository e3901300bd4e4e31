"""archiver's command line: parse options, call the library, print, set the exit code.

Each command calls one function of the library (``archiver.api``, exported from
``archiver``) and prints the report it returns. No SQL here, and no defaults of its own:
option defaults are ``Settings``'s. Installed as ``archiver/cli.py`` by a symlink, so the
wheel carries it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from archiver import __version__
from archiver.config import Settings

DEFAULTS = Settings()
"""The library's defaults, shown as the options' defaults."""


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


def _progress(*, quiet: bool, as_json: bool) -> Callable[[str, str], None]:
    """Errors always go to stderr, one line each; changes unless --json; the rest on a terminal."""
    on_terminal = sys.stderr.isatty() and not as_json and not quiet

    def progress(item: str, what: str) -> None:
        if what.startswith(("error: ", "warning: ")):
            click.echo(what, err=True)
        elif what.startswith("change: ") and not as_json:
            click.echo(f"{what.removeprefix('change: ')}: {item}")
        elif on_terminal:
            click.echo(f"  {item}  {what}", err=True)

    return progress


COOKIES_HELP = (
    "Your own cookies for a platform, a Netscape cookies.txt (as yt-dlp takes): sent only to "
    "its hosts, never stored; captures made with them say so. Repeatable. Env: ARCHIVER_COOKIES."
)


def _with_cookies(settings: Settings, cookies: tuple[str, ...]) -> Settings:
    """``settings`` with the ``--cookies PLATFORM=FILE`` given (over ARCHIVER_COOKIES's, per platform)."""
    if not cookies:
        return settings
    from archiver.plumbing.cookies import parse_option

    return replace(settings, cookies={**settings.cookies, **parse_option(cookies)})


def _echo_lines(lines: list[str]) -> None:
    for line in lines:
        click.echo(line)


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, indent=2))


class ArchiverGroup(click.Group):
    """Turns archiver's own errors into one-line messages with exit code 1, for every command."""

    def invoke(self, ctx: click.Context) -> Any:
        from archiver.errors import ArchiverError

        try:
            return super().invoke(ctx)
        except ArchiverError as e:
            raise click.ClickException(str(e)) from None


@click.group(cls=ArchiverGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ARCHIVER_DATA",
    default=DEFAULTS.data_dir,
    show_default=True,
    help="Data directory: archive.db and the captured files. Env: ARCHIVER_DATA.",
)
@click.option(
    "--blob-store",
    metavar="URL",
    help="Where captured files go: file:///PATH (a shared directory) or s3://BUCKET/PREFIX. "
    "Default: DATA/blobs. Env: ARCHIVER_BLOB_STORE.",
)
@click.option("--proxy", help="Proxy URL for every request, the browser's too. Default: HTTPS_PROXY/HTTP_PROXY.")
@click.option("--browser", "browser_path", help="Chromium binary to drive. Env: ARCHIVER_BROWSER.")
@click.option(
    "--allow-private",
    is_flag=True,
    help="Allow loopback, private and link-local targets (refused by default). For replicas and tests.",
)
@click.pass_context
def cli(
    ctx: click.Context, data_dir: Path, blob_store: str | None, proxy: str | None, browser_path: str | None,
    allow_private: bool,
) -> None:
    """Archive the social-media posts that news articles embed.

    Finds every embedded post in an article, resolves its links, fetches its data,
    screenshots it in headless Chromium, copies its media and records it all, hashed,
    in a SQLite archive you can browse with Datasette.
    """
    ctx.obj = {
        "settings": Settings.from_env(
            data_dir=data_dir, blob_store=blob_store, proxy=proxy, browser_path=browser_path,
            allow_private=allow_private or None,
        )
    }


@cli.command()
@click.argument("source")
@click.option("--base-url", metavar="URL", help="The page's address, for a saved file: its relative links resolve against it.")
@click.option(
    "--resolve",
    "follow",
    is_flag=True,
    help="Follow links that name no post themselves (t.co, click trackers) over the network.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@click.pass_context
def find(ctx: click.Context, source: str, base_url: str | None, follow: bool, as_json: bool) -> None:
    """List the posts `archive` would take from a page, capturing nothing.

    SOURCE is an article's URL or a saved page. Each embed is shown with its
    placement: body (the article's own: archived) or page (sidebars, widgets,
    comments around it: only recorded). Offline for a file unless --resolve.
    Exit code 1 when a link could not be followed.
    """
    from archiver import find as run_find

    found = run_find(_settings(ctx), source, base_url=base_url, resolve=follow)
    if as_json:
        _echo_json(found.as_dict())
    else:
        for line in found.lines():
            click.echo(line)
    ctx.exit(0 if found.ok else 1)


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
@click.option(
    "--page-embeds",
    is_flag=True,
    help="Also archive posts embedded around the article (sidebars, widgets, comments), not only its own.",
)
@click.option("-c", "--concurrency", type=click.IntRange(1, 64), default=DEFAULTS.concurrency, show_default=True, help="Articles and browser pages at once.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary instead of text.")
@click.option("--notify-url", help="POST the run's log timestamps (pins) as JSON to this URL.")
@click.option("--queue", "queue_url", metavar="URL", help="Hand the work to the workers on this queue (a Redis URL) instead of doing it here.")
@click.option("--cookies", "cookies", multiple=True, metavar="PLATFORM=FILE", help=COOKIES_HELP)
@click.pass_context
def archive(
    ctx: click.Context,
    urls: tuple[str, ...],
    input_file: Any,
    recapture: bool,
    page_embeds: bool,
    concurrency: int,
    as_json: bool,
    notify_url: str | None,
    queue_url: str | None,
    cookies: tuple[str, ...],
) -> None:
    """Archive articles, or posts directly, by URL.

    Each URL may be an article (every embedded post is archived with it), a post's
    URL, or a t.co / pic.twitter.com link. With ARCHIVER_TSA set, the log's head is
    timestamped at the end (a TSA failing is a warning). Exit code 0: all archived;
    1: some items failed (each named on stderr); 2: usage error.
    """
    from archiver import archive as run_archive

    targets = list(urls)
    if input_file is not None:
        targets += [line.strip() for line in input_file if line.strip() and not line.strip().startswith("#")]
    if not targets:
        raise click.UsageError("give at least one URL, or -i FILE")
    settings = _with_cookies(replace(_settings(ctx), concurrency=concurrency), cookies)
    summary = run_archive(
        targets,
        settings,
        recapture=recapture,
        page_embeds=page_embeds,
        progress=_progress(quiet=False, as_json=as_json),
        notify_url=notify_url,
        queue=queue_url,
    )
    if as_json:
        _echo_json(summary.as_dict())
    else:
        click.echo(summary.line())
        _echo_lines([s.line() for s in summary.stamps])
        click.echo(f"archive: {settings.db_path}")
    ctx.exit(0 if summary.ok else 1)


@cli.command()
@click.option("--all", "everything", is_flag=True, help="Check everything, not only what is due.")
@click.option("--limit", type=click.IntRange(min=0), help="Check at most N items (articles first, then posts).")
@click.option("--max-time", type=click.FloatRange(min=0), metavar="SECONDS", help="Take no new item after this long.")
@click.option("-c", "--concurrency", type=click.IntRange(1, 256), default=DEFAULTS.sweep_concurrency, show_default=True, help="Checks in flight at once.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    help="Processes to share the checks among (Linux).  [default: usable CPUs, at most 2]",
)
@click.option(
    "--schedule",
    default=DEFAULTS.schedule,
    show_default=True,
    help="When items are due, by age since first archived: AGE:EVERY steps.",
)
@click.option("--quiet", is_flag=True, help="Print only changes and errors: silent when nothing happened.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.option("--wait", is_flag=True, help="Wait for a running sweep to finish instead of exiting with 75.")
@click.option("--notify-url", help="POST a JSON list of the changes found to this URL after the run.")
@click.option("--queue", "queue_url", metavar="URL", help="Hand the work to the workers on this queue (a Redis URL) instead of doing it here.")
@click.option("--cookies", "cookies", multiple=True, metavar="PLATFORM=FILE", help=COOKIES_HELP)
@click.pass_context
def sweep(
    ctx: click.Context,
    everything: bool,
    limit: int | None,
    max_time: float | None,
    concurrency: int,
    workers: int | None,
    schedule: str,
    quiet: bool,
    as_json: bool,
    wait: bool,
    notify_url: str | None,
    queue_url: str | None,
    cookies: tuple[str, ...],
) -> None:
    """Re-check archived posts and watched articles that are due.

    Records every verdict; a post is called deleted only when both sources say so, and a
    429, 5xx or timeout never overturns a verdict. Changed posts are captured again,
    new embeds archived, removed ones marked. Nothing is ever deleted.

    Exit code 0: all checked; 1: some items failed; 75: another sweep holds the lock.
    """
    from archiver import LockHeld
    from archiver import sweep as run_sweep

    try:
        summary = run_sweep(
            _with_cookies(replace(_settings(ctx), schedule=schedule), cookies),
            everything=everything,
            limit=limit,
            max_time=max_time,
            concurrency=concurrency,
            workers=workers,
            wait=wait,
            notify_url=notify_url,
            progress=_progress(quiet=quiet, as_json=as_json),
            queue=queue_url,
        )
    except LockHeld as e:
        if not quiet:
            click.echo(f"archiver: {e}", err=True)
        ctx.exit(75)
    if as_json:
        _echo_json(summary.as_dict())
    elif not quiet or summary.events:
        click.echo(summary.line())
        _echo_lines([s.line() for s in summary.stamps])
    ctx.exit(0 if summary.ok else 1)


QUEUE_URL = click.option(
    "--queue", "queue_url", metavar="URL", envvar="ARCHIVER_QUEUE", required=True,
    help="The queue: a Redis URL (redis://HOST:6379/0). Env: ARCHIVER_QUEUE.",
)


@cli.command()
@QUEUE_URL
@click.option("-p", "--processes", type=click.IntRange(1, 64), default=DEFAULTS.worker_processes, show_default=True, help="Tasks at once (a browser each).")
@click.option("--name", help="This worker's name in `queue status`.  [default: archiver.PID@HOST]")
@click.pass_context
def worker(ctx: click.Context, queue_url: str, processes: int, name: str | None) -> None:
    """Capture what `archive --queue` and `sweep --queue` hand out, until stopped.

    Runs with the settings given here (proxy, browser, endpoints…), as a local run would.
    Files go to the shared data directory's blobs/; rows go back to the catalogue writer
    through the queue: the worker never opens archive.db. SIGTERM finishes running tasks.
    """
    from archiver import worker as run_worker

    ctx.exit(run_worker(_settings(ctx), queue_url, processes=processes, name=name))


@cli.command()
@QUEUE_URL
@click.option("--idle-exit", type=click.FloatRange(min=0), metavar="SECONDS", help="Stop once no result came for this long.  [default: never]")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary at the end.")
@click.pass_context
def ingest(ctx: click.Context, queue_url: str, idle_exit: float | None, as_json: bool) -> None:
    """Write the workers' results into the archive: the one catalogue writer.

    Each batch of results is written in one transaction, then acknowledged: killed at
    any point, nothing is lost or written twice. Exit code 75: another writer holds
    this archive.
    """
    from archiver import LockHeld
    from archiver import ingest as run_ingest

    try:
        report = run_ingest(_settings(ctx), queue_url, idle_exit=idle_exit, progress=_progress(quiet=False, as_json=as_json))
    except LockHeld as e:
        click.echo(f"archiver: {e}", err=True)
        ctx.exit(75)
    if as_json:
        _echo_json(report.as_dict())
    else:
        click.echo(report.line())
    ctx.exit(0 if report.ok else 1)


@cli.group()
def queue() -> None:
    """The work queue of distributed capture: `archiver queue status`."""


@queue.command("status")
@QUEUE_URL
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def queue_status(ctx: click.Context, queue_url: str, as_json: bool) -> None:
    """Tasks waiting, running and failed, per worker; results waiting for the writer."""
    from archiver import queue as read_queue

    report = read_queue(_settings(ctx), queue_url)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())


@cli.command()
@click.option("--since", default=DEFAULTS.deleted_since, show_default=True, help="How far back: 12h, 7d, 4w.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.pass_context
def deleted(ctx: click.Context, since: str, as_json: bool) -> None:
    """List posts found deleted or unavailable lately."""
    from archiver import deleted as find_deleted

    report = find_deleted(_settings(ctx), since)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())


@cli.command()
@click.argument("post")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def history(ctx: click.Context, post: str, as_json: bool) -> None:
    """One post's timeline of checks, captures and changes (a URL or the platform's id)."""
    from archiver import history as post_history

    report = post_history(_settings(ctx), post)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())


@cli.command()
@click.argument("url")
@click.pass_context
def unwatch(ctx: click.Context, url: str) -> None:
    """Stop re-checking an article in sweeps (its posts and captures stay)."""
    from archiver import unwatch as stop_watching

    stop_watching(_settings(ctx), url)
    click.echo(f"no longer watching {url}")


@cli.command()
@click.option("--host", default=DEFAULTS.serve_host, show_default=True, help="Address to listen on. Others can reach it only if you change this.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULTS.serve_port, show_default=True, help="Port to listen on.")
@click.option("--open", "open_browser", is_flag=True, help="Open the posts table in a web browser.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, open_browser: bool) -> None:
    """Browse the archive in Datasette, read-only: screenshots, media, timelines, search.

    Upgrades an older archive's schema first, then serves it read-only (a sweep may
    write meanwhile). Only stored capture files are served from the data directory.
    """
    from archiver import serve as run_serve

    run_serve(_settings(ctx), host=host, port=port, open_browser=open_browser, announce=click.echo)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("-j", "--jobs", type=click.IntRange(1, 64), help="Files hashed at once.  [default: CPUs + 1, at most 8]")
@click.option("--pin", "pins", type=click.Path(dir_okay=False, path_type=Path), help="A file of pinned log heads (archiver timestamp --pins) the log must still hold.")
@click.pass_context
def verify(ctx: click.Context, as_json: bool, jobs: int | None, pins: Path | None) -> None:
    """Re-hash every stored file and check the tamper-evident log.

    Finds missing, changed and unreferenced files, and log entries whose row was
    edited, deleted or moved, or whose signature fails; checks every RFC 3161
    timestamp of the log and says what trusted time covers the captures; prints one
    line per problem and a summary. Exit code 0: everything holds; 1: problems (each named).
    """
    from archiver import verify as run_verify

    bar: Any = None
    show_bar = sys.stderr.isatty() and not as_json

    def start(total: int) -> None:
        nonlocal bar
        if show_bar:
            bar = click.progressbar(length=max(total, 1), label="re-hashing", file=sys.stderr, width=30)
            bar.__enter__()

    def advance(n: int) -> None:
        if bar is not None:
            bar.update(n)

    try:
        report = run_verify(_settings(ctx), jobs=jobs, on_start=start, on_advance=advance, pins=pins)
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    if as_json:
        _echo_json(report.as_dict())
    else:
        for problem in report.problems:
            click.echo(problem.line())
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(report.line())
    ctx.exit(0 if report.ok else 1)


@cli.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def backup(ctx: click.Context, dest: Path, as_json: bool) -> None:
    """Copy the archive to DEST, consistently, while runs and sweeps go on.

    The database as of one moment (SQLite's backup API), then every file it names, then
    the database into place. DEST is a data directory `archiver --data DEST verify`
    checks; backing up into it again copies only new files. Exit code 0: a whole copy;
    1: files of the archive missing or changed (each named).
    """
    from archiver import backup as run_backup

    report = run_backup(_settings(ctx), dest)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2))
    else:
        for problem in report.problems:
            click.echo(problem, err=True)
        click.echo(report.line())
    ctx.exit(0 if report.ok else 1)


@cli.command()
@click.option("--wacz", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Write a WACZ web archive here.")
@click.option("--article", help="Only the runs that captured this article (by its URL) and its posts.")
@click.option("--post", help="Only the runs that captured this post (a URL or the platform's id).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@click.pass_context
def export(ctx: click.Context, out: Path, article: str | None, post: str | None, as_json: bool) -> None:
    """Export what archiver received as a WACZ, for ReplayWeb.page or pywb.

    HTTP responses as WARC records with their headers and bodies, screenshots and
    provenance as resource and metadata records, a CDXJ index, pages.jsonl and a
    datapackage.json listing every file's SHA-256. Everything unless --article or --post.
    """
    from archiver import export as export_wacz

    if article and post:
        raise click.UsageError("give --article or --post, not both")
    summary = export_wacz(_settings(ctx), out, article=article, post=post)
    if as_json:
        _echo_json(summary.as_dict())
    else:
        click.echo(summary.line())


@cli.command()
@click.option("--pins", type=click.Path(dir_okay=False, path_type=Path), help="Write every stamp (head, token) here, to keep apart from the archive.")
@click.option("--no-stamp", is_flag=True, help="Ask no TSA: list the stamps (and write --pins).")
@click.option("--notify-url", help="POST the new stamps as JSON to this URL.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def timestamp(ctx: click.Context, pins: Path | None, no_stamp: bool, notify_url: str | None, as_json: bool) -> None:
    """Stamp the log's head with each TSA in ARCHIVER_TSA (RFC 3161 trusted time).

    Archive runs and sweeps do this at their end; this stamps what they left unstamped
    (a TSA was down) and exports the pins. Exit code 0: stamped, or nothing to stamp;
    1: a TSA failed (named on stderr).
    """
    from archiver import timestamp as run_timestamp

    report = run_timestamp(_settings(ctx), pins=pins, notify_url=notify_url, stamp=not no_stamp)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())
    ctx.exit(0 if report.ok else 1)


@cli.command()
@click.argument("post")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def provenance(ctx: click.Context, post: str, as_json: bool) -> None:
    """How each capture of a post was made: run, tools, requests (a URL or the platform's id)."""
    from archiver import provenance as post_provenance

    report = post_provenance(_settings(ctx), post)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())


@cli.command()
@click.option("--key", "key_path", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the private key.  [default: ~/.config/archiver/signing-key.pem]")
@click.pass_context
def keygen(ctx: click.Context, key_path: Path | None) -> None:
    """Make an Ed25519 key pair to sign the log; store its public key in the archive.

    The private key (mode 0600) goes to your config directory or --key, never into the
    data directory. archiver signs new log entries whenever it finds it (there, or at
    ARCHIVER_SIGNING_KEY); verify needs only the public key.
    """
    from archiver import keygen as make_key

    _echo_lines(make_key(_settings(ctx), key_path).lines())


@cli.command()
@click.argument("image")
@click.option("--max-distance", type=click.IntRange(0, 64), default=DEFAULTS.similar_max_distance, show_default=True, help="Most differing bits (of 64) to count as near.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def similar(ctx: click.Context, image: str, max_distance: int, as_json: bool) -> None:
    """Images that look like IMAGE: a capture id, a file's SHA-256, or an image file.

    Compares 64-bit perceptual hashes (dHash) of every photo, poster and screenshot:
    re-uploads, re-encodings and resized copies are near; nearest first.
    """
    from archiver import similar as near_images

    report = near_images(_settings(ctx), image, max_distance)
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check that archiver can run here: browser, database, versions."""
    from archiver import doctor as diagnose

    report = diagnose(_settings(ctx))
    if as_json:
        _echo_json(report.as_dict())
    else:
        _echo_lines(report.lines())
    ctx.exit(0 if report.ok else 1)


if __name__ == "__main__":
    cli()

"""archiver's command line: parse options, call the library, print.

Installed as ``archiver/cli.py`` by a symlink, so the wheel carries it.
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from archiver import __version__
from archiver.config import Settings


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj["settings"]
    return settings


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
    type=click.File("r"),
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
    show_progress = sys.stderr.isatty() and not as_json

    def progress(item: str, what: str) -> None:
        if what.startswith("error: "):
            click.echo(what, err=True)
        elif show_progress:
            click.echo(f"  {item}  {what}", err=True)

    try:
        summary = run_archive(targets, settings, recapture=recapture, progress=progress)
    except ArchiverError as e:
        raise click.ClickException(str(e)) from None
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        click.echo(summary.line())
        click.echo(f"archive: {settings.db_path}")
    ctx.exit(0 if summary.ok else 1)


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

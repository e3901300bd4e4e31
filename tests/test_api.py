"""The library is the product, the CLI its skin.

Every command is a documented function taking ``Settings``, exported from ``archiver``
(``__all__``), typed (``py.typed``); ``cli.py`` parses, calls, prints and sets exit codes:
no SQL, and no option default of its own.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import click
import pytest

import archiver
from archiver.cli import cli
from archiver.config import Settings
from archiver.errors import ArchiverError, NotInArchive
from tests.fakeplatform import sample as S

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = [
    "archive", "sweep", "verify", "export", "history", "deleted", "provenance", "similar", "keygen", "serve",
    "unwatch", "doctor", "backup", "timestamp",
]


def import_every_module() -> None:
    for module in pkgutil.walk_packages(archiver.__path__, "archiver."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)


def test_every_command_is_a_documented_function_taking_settings() -> None:
    # Importing every module first: a submodule named like a command would rebind
    # `archiver.<command>` to itself on import, shadowing the function.
    import_every_module()
    assert set(COMMANDS) <= set(archiver.__all__)
    assert set(cli.commands) <= set(archiver.__all__), "a CLI command without its library function"
    for name in COMMANDS:
        function = getattr(archiver, name)
        assert inspect.isfunction(function), f"archiver.{name} is {function!r}"
        assert function.__module__ == "archiver.api", name
        assert function.__doc__ and len(function.__doc__.strip()) > 20, f"archiver.{name} has no docstring"
        signature = inspect.signature(function)
        annotations = [str(p.annotation) for p in signature.parameters.values()]
        assert "Settings" in annotations, f"archiver.{name} does not take Settings"
        assert signature.return_annotation is not inspect.Signature.empty, name


def test_all_is_the_api_and_every_name_resolves() -> None:
    assert len(archiver.__all__) == len(set(archiver.__all__))
    assert set(archiver.__all__) == {"__version__", *archiver._WHERE}
    for name in archiver.__all__:
        assert getattr(archiver, name) is not None, name
    assert issubclass(archiver.ArchiverError, Exception)
    assert archiver.Settings is Settings
    with pytest.raises(AttributeError):
        archiver.no_such_thing  # noqa: B018
    assert (ROOT / "archiver" / "py.typed").exists()


def test_every_archiver_error_is_in_errors_and_drawn_in_its_docstring() -> None:
    import_every_module()
    from archiver import errors

    found = set()
    for module in list(importlib.sys.modules.values()):  # type: ignore[attr-defined]
        if getattr(module, "__name__", "").startswith("archiver"):
            for value in vars(module).values():
                if isinstance(value, type) and issubclass(value, ArchiverError):
                    found.add(value)
    assert found, "no ArchiverError found"
    for error in found:
        assert error.__module__ == "archiver.errors", f"{error.__name__} is defined in {error.__module__}"
        assert re.search(rf"\b{error.__name__}\b", errors.__doc__ or ""), f"{error.__name__} is not in the tree"
        assert error.__name__ in archiver.__all__
    import httpx

    assert not {e.__name__ for e in found} & {n for n in dir(httpx) if isinstance(getattr(httpx, n), type)}


def test_cli_holds_no_sql_and_no_defaults_of_its_own() -> None:
    source = (ROOT / "cli.py").read_text()
    assert not re.search(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|BEGIN|COMMIT)\b", source)
    assert "sqlite3" not in source
    settings_values = {json.dumps(v, default=str) for v in dataclasses.asdict(Settings()).values()}
    commands: list[click.Command] = [cli, *cli.commands.values()]
    checked = 0
    for command in commands:
        ctx = click.Context(command)
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag:
                continue
            default = param.get_default(ctx, call=False)
            if default is None or type(default).__name__ == "Sentinel":  # no default (click 8.3+: UNSET)
                continue
            assert json.dumps(default, default=str) in settings_values, (
                f"{command.name} {param.opts[0]} defaults to {default!r}, not a Settings value"
            )
            checked += 1
    assert checked >= 7  # --data, the two -c, --schedule, --since, --host, --port, --max-distance


def test_read_commands_as_library_calls(settings: Settings, tmp_path: Path) -> None:
    """Nothing but Settings and the function: the same reports the CLI prints."""
    post = f"https://x.com/AndesObserver/status/{S.DELETED_ID}"
    summary = archiver.archive([post], settings)  # deleted: no browser needed
    assert summary.ok, summary.errors

    gone = archiver.deleted(settings)
    assert [p.native_id for p in gone.posts] == [str(S.DELETED_ID)]
    assert gone.as_dict()["posts"][0]["url"] == post  # type: ignore[index]

    timeline = archiver.history(settings, str(S.DELETED_ID))
    assert timeline.post["status"] == "deleted"
    assert any(e.what == "check: deleted" for e in timeline.entries)
    assert timeline.lines()[0].startswith(post)

    with pytest.raises(NotInArchive):
        archiver.history(settings, "12345")
    with pytest.raises(NotInArchive):
        archiver.unwatch(settings, "https://nowhere.example/x")

    report = archiver.doctor(settings)
    assert {c.name for c in report.checks} >= {"archiver", "database"}

    key = archiver.keygen(settings, tmp_path / "key.pem")
    assert key.path == tmp_path / "key.pem" and len(key.key_id) == 64
    with pytest.raises(ArchiverError):
        archiver.keygen(settings, tmp_path / "key.pem")  # never overwritten


def test_a_missing_archive_is_an_error_not_a_new_database(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "none")
    for call in (
        lambda: archiver.deleted(settings),
        lambda: archiver.history(settings, "1"),
        lambda: archiver.provenance(settings, "1"),
        lambda: archiver.similar(settings, "1"),
        lambda: archiver.export(settings, tmp_path / "x.wacz"),
        lambda: archiver.unwatch(settings, "https://example.com/"),
    ):
        with pytest.raises(ArchiverError, match="no archive"):
            call()
    assert not (tmp_path / "none").exists()


def test_doctor_names_what_the_archive_lacks(tmp_path: Path) -> None:
    """doctor compares the archive's tables and triggers with schema.sql (sqlite-utils)."""
    from archiver.plumbing.db import open_db

    settings = Settings(data_dir=tmp_path, browser_path="/nonexistent")
    open_db(settings.db_path).close()
    database = next(c for c in archiver.doctor(settings).checks if c.name == "database")
    assert database.ok, database.detail
    conn = open_db(settings.db_path)
    conn.execute("DROP TRIGGER article_posts_fts_insert")
    conn.close()
    database = next(c for c in archiver.doctor(settings).checks if c.name == "database")
    assert not database.ok and "trigger article_posts_fts_insert" in database.detail
    assert database.fix

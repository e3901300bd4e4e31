"""Shared fixtures: the fake platform (a real TLS proxy on loopback) and archiver settings
pointing at it through the seams a real user has: a proxy, a CA bundle, Chromium's NSS db."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from archiver.config import Settings
from tests.fakeplatform import FakePlatform
from tests.fakeplatform.pytest_plugin import chromium_home, fake_http, fake_platform, fake_world  # noqa: F401


def fake_settings(fake_platform: FakePlatform, data_dir: Path, **overrides: object) -> Settings:
    """Settings for a run against the fake platform, with short timeouts and quick retries.

    Chromium must also run with HOME set to ``chromium_home``: it trusts the test CA
    through the NSS db there, as a user's Chromium would.
    """
    values: dict[str, object] = {
        "data_dir": data_dir,
        "proxy": fake_platform.proxy_url,
        "ca_bundle": str(fake_platform.ca_pem_path),
        "timeout": 3.0,
        "request_deadline": 8.0,
        "retries": 2,
        "backoff": 0.05,
        "max_retry_after": 2.0,
        "render_timeout": 15.0,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(
    tmp_path: Path, fake_platform: FakePlatform, fake_world: object, chromium_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    monkeypatch.setenv("HOME", str(chromium_home))
    return fake_settings(fake_platform, tmp_path / "captures")


def open_archive(settings: Settings) -> sqlite3.Connection:
    conn = sqlite3.connect(settings.db_path)
    conn.row_factory = sqlite3.Row
    return conn


def assert_files_intact(settings: Settings) -> int:
    """Every capture and exchange row points at a complete file whose SHA-256 matches."""
    conn = open_archive(settings)
    checked = 0
    rows = conn.execute(
        "SELECT path, sha256, bytes FROM captures UNION "
        "SELECT b.path, b.sha256, b.bytes FROM exchanges e JOIN blobs b ON b.sha256 = e.sha256"
    ).fetchall()
    for row in rows:
        data = (settings.data_dir / row["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == row["sha256"], row["path"]
        assert len(data) == row["bytes"], row["path"]
        checked += 1
    return checked

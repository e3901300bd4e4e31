"""Signed log entries: keys live outside the data directory; verify needs the public key only."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import cli
from archiver.config import Settings
from archiver.evidence import chain
from archiver.evidence.verify import verify
from archiver.pipeline import archive
from tests.fakeplatform import sample as S

pytestmark = pytest.mark.usefixtures("fake_world")


@pytest.fixture
def config_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    monkeypatch.delenv("ARCHIVER_SIGNING_KEY", raising=False)
    return home


def test_keygen_writes_a_private_key_outside_the_data_dir(settings: Settings, config_home: Path) -> None:
    data = str(settings.data_dir)
    result = CliRunner().invoke(cli, ["--data", data, "keygen"])
    assert result.exit_code == 0, result.output
    key = config_home / "archiver" / "signing-key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" in key.read_bytes()
    conn = sqlite3.connect(settings.db_path)
    (public,) = conn.execute("SELECT public_key FROM signing_keys").fetchone()
    conn.close()
    assert hashlib.sha256(bytes.fromhex(public)).hexdigest() in result.output
    again = CliRunner().invoke(cli, ["--data", data, "keygen"])
    assert again.exit_code == 1 and "never overwrites" in again.output
    inside = CliRunner().invoke(cli, ["--data", data, "keygen", "--key", str(settings.data_dir / "k.pem")])
    assert inside.exit_code == 1 and "must not live inside the data directory" in inside.output


def test_signed_entries_verify_and_a_forged_entry_fails(
    settings: Settings, config_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = tmp_path / "keys" / "archive-key.pem"
    assert CliRunner().invoke(cli, ["--data", str(settings.data_dir), "keygen", "--key", str(key)]).exit_code == 0
    monkeypatch.setenv("ARCHIVER_SIGNING_KEY", str(key))
    summary = archive([f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"], settings)
    assert summary.ok, summary.errors
    key.unlink()  # verifying needs only the public key stored in the archive
    monkeypatch.delenv("ARCHIVER_SIGNING_KEY")
    report = verify(settings)
    assert report.ok, [p.line() for p in report.problems]
    assert report.signed == report.entries >= 5

    # A forger edits a verdict and rebuilds the chain from there, but cannot sign.
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    check = conn.execute("SELECT * FROM status_checks ORDER BY id LIMIT 1").fetchone()
    conn.execute("UPDATE status_checks SET status = 'deleted' WHERE id = ?", (check["id"],))
    forged_seq = conn.execute("SELECT seq FROM log WHERE ref_table = 'status_checks' AND ref_id = ?", (check["id"],)).fetchone()[0]
    prev = conn.execute("SELECT entry_sha256 FROM log WHERE seq = ?", (forged_seq - 1,)).fetchone()
    prev_hash = prev[0] if prev else chain.GENESIS
    for r in conn.execute("SELECT * FROM log WHERE seq >= ? ORDER BY seq", (forged_seq,)).fetchall():
        entry = chain.Entry.from_row(r)
        row = chain.read_row(conn, entry.ref_table, entry.ref)
        assert row is not None
        entry = replace(entry, content_sha256=chain.content_sha256(entry.kind, row), prev_sha256=prev_hash)
        prev_hash = entry.digest()
        conn.execute("UPDATE log SET content_sha256 = ?, prev_sha256 = ?, entry_sha256 = ? WHERE seq = ?",
                     (entry.content_sha256, entry.prev_sha256, prev_hash, entry.seq))
    conn.close()
    report = verify(settings)
    assert not report.ok
    assert {p.kind for p in report.problems} == {"bad_signature"}
    assert report.first_broken == forged_seq
    assert report.problems[0].where.startswith(f"log entry #{forged_seq} ")

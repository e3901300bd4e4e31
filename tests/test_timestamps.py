"""Trusted time (issue 16): RFC 3161 timestamps of the log, against a real TSA (`openssl ts
-reply` behind the fake platform, with its own CA made by the test), pins, and the hand
check with `openssl ts -verify` that README shows.

Tampering is done on COPIES of archives made by the real pipeline; a forger who rewrites
rows re-chains the log with the log's own hash functions, as anyone holding the archive
and archiver's code could: only the timestamps can catch that.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

import archiver
from archiver.cli import cli
from archiver.config import Settings, parse_tsas
from archiver.errors import ConfigError
from archiver.evidence import chain
from archiver.evidence.verify import VerifyReport
from tests.fakeplatform import FakePlatform, World
from tests.fakeplatform import sample as S
from tests.fakeplatform.tsa import FakeTsa, TsaRoot, other_imprint

POST = f"https://x.com/i/status/{S.JULIACA_DOCTOR_ID}"
OTHER_POST = f"https://x.com/i/status/{S.JULIACA_MARCH_ID}"

_made: dict[str, Path] = {}
_root = TsaRoot()


@pytest.fixture
def tsa(fake_platform: FakePlatform, fake_world: World, tmp_path: Path) -> Iterator[FakeTsa]:
    fake = FakeTsa(tmp_path / "tsa", root=_root)
    fake_platform.services[fake.host] = fake
    yield fake
    fake_platform.services.pop(fake.host, None)


@pytest.fixture
def with_tsa(settings: Settings, tsa: FakeTsa) -> Settings:
    return replace(settings, tsas=(tsa.config("fake-tsa"),), tsa_timeout=5.0)


def sql(settings: Settings, statement: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def problems(report: VerifyReport) -> list[tuple[str, str]]:
    return [(p.kind, p.where) for p in report.problems]


def capture_ids(settings: Settings) -> set[int]:
    return {int(r["id"]) for r in sql(settings, "SELECT id FROM captures")}


def covered_ids(report: VerifyReport) -> set[int]:
    return {int(i) for group in report.trusted for i in group["captures"]}  # type: ignore[attr-defined]


@pytest.fixture
def stamped(with_tsa: Settings, tmp_path: Path) -> Settings:
    """A copy of an archive of one post stamped by the fake TSA (made once per session);
    the returned settings trust that TSA."""
    if "stamped" not in _made:
        summary = archiver.archive([POST], with_tsa)
        assert summary.ok and not summary.warnings, (summary.errors, summary.warnings)
        assert len(summary.stamps) == 1
        _made["stamped"] = with_tsa.data_dir
    target = tmp_path / "copy"
    shutil.copytree(_made["stamped"], target)
    return replace(with_tsa, data_dir=target)


def openssl_verify(settings: Settings, stamp: dict[str, object], roots: Path) -> subprocess.CompletedProcess[str]:
    """The README's hand check."""
    return subprocess.run(
        ["openssl", "ts", "-verify", "-digest", str(stamp["head_sha256"]),
         "-in", str(settings.data_dir / str(stamp["response_path"])), "-CAfile", str(roots),
         "-untrusted", str(settings.data_dir / str(stamp["certs_path"]))],
        capture_output=True, text=True,
    )


# --------------------------------------------------------------------------- stamping


def test_archive_stamps_every_new_capture_and_openssl_accepts_it_by_hand(with_tsa: Settings, tsa: FakeTsa) -> None:
    summary = archiver.archive([POST], with_tsa)
    assert summary.ok and not summary.warnings, (summary.errors, summary.warnings)
    [stamp] = summary.stamps
    head = sql(with_tsa, "SELECT * FROM log WHERE seq = ?", stamp.head_seq)[0]
    assert stamp.head_sha256 == head["entry_sha256"]
    # the stamp covers every entry of the run: nothing but its own entries comes after the head
    after = {r["kind"] for r in sql(with_tsa, "SELECT kind FROM log WHERE seq > ?", stamp.head_seq)}
    assert after <= {"timestamp", "blob"}, after
    # the request went through archiver's client and was recorded
    [exchange] = sql(with_tsa, "SELECT * FROM exchanges WHERE url = ?", tsa.url)
    assert exchange["method"] == "POST" and exchange["status"] == 200
    assert exchange["sha256"] == sql(with_tsa, "SELECT response_sha256 FROM timestamps")[0][0]

    report = archiver.verify(with_tsa)
    assert report.ok, [p.line() for p in report.problems]
    assert covered_ids(report) == capture_ids(with_tsa)
    assert report.not_yet_stamped is None
    assert any("no later than" in n and "fake-tsa" in n for n in report.notes), report.notes

    # README: the stamp's head and files from `archiver timestamp --json`, then openssl by hand
    listed = CliRunner().invoke(cli, ["--data", str(with_tsa.data_dir), "timestamp", "--no-stamp", "--pins",
                                      str(with_tsa.data_dir.parent / "p.jsonl"), "--json"])
    assert listed.exit_code == 0, listed.output
    [item] = json.loads(listed.stdout)["stamps"]
    assert item["head_sha256"] == stamp.head_sha256
    checked = openssl_verify(with_tsa, item, tsa.roots_path)
    assert checked.returncode == 0 and "Verification: OK" in checked.stdout, checked.stdout + checked.stderr
    # and a stamp for another head is refused by openssl too
    wrong = openssl_verify(with_tsa, item | {"head_sha256": "0" * 64}, tsa.roots_path)
    assert wrong.returncode != 0


def test_nothing_new_nothing_stamped_and_a_second_tsa_catches_up(stamped: Settings, fake_platform: FakePlatform,
                                                                 tmp_path: Path) -> None:
    first = archiver.timestamp(stamped)
    assert first.ok and first.new == [] and "nothing to stamp" in first.lines()[0]
    second = FakeTsa(tmp_path / "tsa2", "tsa2.timestamps.example")
    fake_platform.services[second.host] = second
    try:
        both = replace(stamped, tsas=(*stamped.tsas, second.config("second-tsa")))
        report = archiver.timestamp(both)
        assert report.ok and [s.tsa for s in report.new] == ["second-tsa"]
        assert archiver.timestamp(both).new == []
        assert archiver.verify(both).ok
    finally:
        fake_platform.services.pop(second.host, None)


def test_tsa_that_hangs_is_a_warning_and_the_next_run_stamps(settings: Settings, tsa: FakeTsa, fake_world: World) -> None:
    fake_world.faults[(tsa.host, "")] = "hang"
    hanging = replace(settings, tsas=(tsa.config("slow-tsa"),), tsa_timeout=1.0)
    summary = archiver.archive([POST], hanging)
    assert summary.ok, summary.errors
    assert summary.stamps == [] and len(summary.warnings) == 1 and "slow-tsa" in summary.warnings[0]
    report = archiver.verify(hanging)
    assert report.ok, [p.line() for p in report.problems]
    assert report.not_yet_stamped is not None
    assert set(report.not_yet_stamped["captures"]) == capture_ids(hanging)  # type: ignore[call-overload]
    del fake_world.faults[(tsa.host, "")]
    later = archiver.timestamp(hanging)
    assert later.ok and len(later.new) == 1
    report = archiver.verify(hanging)
    assert report.ok and report.not_yet_stamped is None
    assert covered_ids(report) == capture_ids(hanging)


def test_capture_after_the_last_stamp_is_not_yet_stamped_not_tampering(stamped: Settings) -> None:
    summary = archiver.archive([OTHER_POST], replace(stamped, tsas=()))
    assert summary.ok and summary.stamps == []
    report = archiver.verify(stamped)
    assert report.ok, [p.line() for p in report.problems]
    new = {int(r["id"]) for r in sql(stamped, "SELECT id FROM captures WHERE run_id = ?", summary.run_id)}
    assert report.not_yet_stamped is not None and set(report.not_yet_stamped["captures"]) == new  # type: ignore[call-overload]
    assert covered_ids(report) == capture_ids(stamped) - new
    assert any(n.startswith("not yet stamped") for n in report.notes)
    result = CliRunner().invoke(cli, ["--data", str(stamped.data_dir), "verify"],
                                env={"ARCHIVER_TSA": f"fake-tsa={stamped.tsas[0].url},{stamped.tsas[0].roots}"})
    assert result.exit_code == 0, result.output


def test_answers_that_do_not_check_out_are_warnings_and_stored_nowhere(settings: Settings, tsa: FakeTsa,
                                                                       fake_platform: FakePlatform, tmp_path: Path) -> None:
    expired = FakeTsa(tmp_path / "expired", "expired.timestamps.example", root=_root, expired=True)
    rogue = FakeTsa(tmp_path / "rogue", "rogue.timestamps.example")  # its own root, not the configured one
    fake_platform.services.update({expired.host: expired, rogue.host: rogue})
    tsa.mode = "other_hash"
    try:
        from archiver.config import Tsa

        configured = (tsa.config("other-hash"), expired.config("expired"),
                      Tsa("rogue", rogue.url, str(tsa.roots_path)))
        summary = archiver.archive([POST], replace(settings, tsas=configured))
    finally:
        fake_platform.services.pop(expired.host, None)
        fake_platform.services.pop(rogue.host, None)
    assert summary.ok and summary.stamps == [], summary.errors
    said = dict(w.split(" ", 2)[1:] for w in summary.warnings)
    assert "another hash" in said["other-hash"], summary.warnings
    assert "expired" in said["expired"], summary.warnings
    assert "does not verify" in said["rogue"], summary.warnings
    assert sql(settings, "SELECT count(*) FROM timestamps")[0][0] == 0
    assert archiver.verify(replace(settings, tsas=configured)).ok


def test_a_tsa_certificate_that_expired_later_does_not_void_its_tokens(settings: Settings, fake_platform: FakePlatform,
                                                                      fake_world: World, tmp_path: Path) -> None:
    short = FakeTsa(tmp_path / "short", "short.timestamps.example", root=_root, valid_for=dt.timedelta(seconds=4))
    fake_platform.services[short.host] = short
    try:
        configured = replace(settings, tsas=(short.config("short-lived"),))
        summary = archiver.archive([f"https://x.com/i/status/{S.DELETED_ID}"], configured)
        assert len(summary.stamps) == 1, summary.warnings
        while dt.datetime.now(dt.timezone.utc) <= short.cert.not_valid_after_utc:
            time.sleep(0.2)
        report = archiver.verify(configured)
        assert report.ok, [p.line() for p in report.problems]
        assert report.trusted
    finally:
        fake_platform.services.pop(short.host, None)


# --------------------------------------------------------------------------- tampering


def rechain(settings: Settings) -> None:
    """What a forger does after editing rows: recompute every entry, so the chain holds."""
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        prev = chain.GENESIS
        for r in conn.execute("SELECT * FROM log ORDER BY seq").fetchall():
            row = chain.read_row(conn, r["ref_table"], r["ref_id"] if r["ref_id"] is not None else r["ref_key"])
            assert row is not None
            entry = replace(chain.Entry.from_row(r), content_sha256=chain.content_sha256(r["kind"], row), prev_sha256=prev)
            prev = entry.digest()
            conn.execute("UPDATE log SET content_sha256 = ?, prev_sha256 = ?, entry_sha256 = ? WHERE seq = ?",
                         (entry.content_sha256, entry.prev_sha256, prev, r["seq"]))
    finally:
        conn.close()


def plant_answer(settings: Settings, der: bytes) -> None:
    """Put ``der`` in place of the stored answer of timestamp 1: file, listing, row; then re-chain."""
    sha = hashlib.sha256(der).hexdigest()
    path = f"blobs/{sha[:2]}/{sha}.tsr"
    (settings.data_dir / path).parent.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / path).write_bytes(der)
    sql(settings, "INSERT INTO blobs (sha256, path, bytes, mime, created_at) VALUES (?, ?, ?, ?, ?)",
        sha, path, len(der), "application/timestamp-reply", "2026-01-01T00:00:00Z")
    sql(settings, "INSERT INTO log (seq, kind, ref_table, ref_key, logged_at, content_sha256, prev_sha256, entry_sha256) "
        "SELECT max(seq) + 1, 'blob', 'blobs', ?, '2026-01-01T00:00:00Z', '', '', '' FROM log", sha)
    from rfc3161_client import decode_timestamp_response

    info = decode_timestamp_response(der).tst_info  # the row made to agree with the planted token
    stated = info.gen_time.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    sql(settings, "UPDATE timestamps SET response_sha256 = ?, nonce = ?, stated_at = ? WHERE id = 1",
        sha, str(info.nonce), stated)
    rechain(settings)


def request_for_head(settings: Settings) -> bytes:
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    head_seq = sql(settings, "SELECT head_seq FROM timestamps WHERE id = 1")[0][0]
    entry = chain.Entry.from_row(sql(settings, "SELECT * FROM log WHERE seq = ?", head_seq)[0])
    return TimestampRequestBuilder().data(entry.canonical()).hash_algorithm(HashAlgorithm.SHA256).build().as_bytes()


def assert_named(report: VerifyReport, kind: str, detail: str) -> None:
    """Problems of ``kind`` name timestamp 1 and say ``detail``; nothing else is reported
    but the file planted in its place."""
    mine = [p for p in report.problems if p.kind == kind]
    assert mine and all("timestamp 1 (fake-tsa" in p.where for p in mine), problems(report)
    assert any(detail in p.detail for p in mine), [p.line() for p in mine]
    others = [p for p in report.problems if p.kind != kind]
    assert not others, problems(report)


def test_untampered_stamped_archive_holds_and_exits_0(stamped: Settings) -> None:
    report = archiver.verify(stamped)
    assert report.ok, [p.line() for p in report.problems]
    assert covered_ids(report) == capture_ids(stamped)


def test_tampered_token(stamped: Settings) -> None:
    path = sql(stamped, "SELECT b.path FROM timestamps t JOIN blobs b ON b.sha256 = t.response_sha256")[0][0]
    data = bytearray((stamped.data_dir / path).read_bytes())
    data[-12] ^= 0x01  # inside the signature
    (stamped.data_dir / path).write_bytes(bytes(data))
    report = archiver.verify(stamped)
    assert ("changed", path) in problems(report)
    [bad] = [p for p in report.problems if p.kind == "bad_timestamp"]
    assert "timestamp 1 (fake-tsa" in bad.where and "verify" in bad.detail, bad.line()
    assert len(report.problems) == 2


def test_token_for_another_hash(stamped: Settings, tsa: FakeTsa) -> None:
    plant_answer(stamped, tsa.reply(other_imprint(request_for_head(stamped))))
    report = archiver.verify(stamped)
    assert_named(report, "bad_timestamp", "another hash")


def test_token_signed_with_an_expired_tsa_certificate(stamped: Settings, tmp_path: Path) -> None:
    # a key whose certificate had expired: a forger's best chance (old keys are kept less well)
    expired = FakeTsa(tmp_path / "expired", root=_root, expired=True)
    plant_answer(stamped, expired.reply(request_for_head(stamped)))
    report = archiver.verify(stamped)
    assert_named(report, "bad_timestamp", "expired")


def test_token_from_a_tsa_outside_the_trust_roots(stamped: Settings, tmp_path: Path) -> None:
    rogue = FakeTsa(tmp_path / "rogue")
    plant_answer(stamped, rogue.reply(request_for_head(stamped)))
    assert_named(archiver.verify(stamped), "bad_timestamp", "does not verify")


def test_log_rewritten_after_it_was_stamped_and_pinned(stamped: Settings) -> None:
    pins = stamped.data_dir.parent / "pins.jsonl"
    assert archiver.timestamp(stamped, pins=pins, stamp=False).ok
    assert archiver.verify(stamped, pins=pins).ok
    capture = sql(stamped, "SELECT id FROM captures WHERE kind = 'data' ORDER BY id LIMIT 1")[0][0]
    sql(stamped, "UPDATE captures SET captured_at = '2022-01-01T00:00:00.000000Z' WHERE id = ?", capture)
    rechain(stamped)
    report = archiver.verify(stamped)
    assert_named(report, "stamp_head_changed", "rewritten")
    pinned = archiver.verify(stamped, pins=pins)
    assert {p.kind for p in pinned.problems} == {"stamp_head_changed", "pin_missing"}, problems(pinned)
    result = CliRunner().invoke(cli, ["--data", str(stamped.data_dir), "verify", "--pin", str(pins)])
    assert result.exit_code == 1 and "pin_missing: pinned head #" in result.output


def test_log_tail_cut_with_its_stamps_is_caught_by_the_pin(stamped: Settings) -> None:
    pins = stamped.data_dir.parent / "pins.jsonl"
    archiver.timestamp(stamped, pins=pins, stamp=False)
    [pin] = [json.loads(line) for line in pins.read_text().splitlines()]
    # cut the head stamped and everything after it, rows too (files stay, unlisted)
    for r in sql(stamped, "SELECT * FROM log WHERE seq >= ?", pin["head_seq"]):
        if r["ref_table"] == "blobs":
            sql(stamped, "DELETE FROM blobs WHERE sha256 = ?", r["ref_key"])
        else:
            sql(stamped, f"DELETE FROM {r['ref_table']} WHERE id = ?", r["ref_id"])
    sql(stamped, "DELETE FROM log WHERE seq >= ?", pin["head_seq"])
    unpinned = archiver.verify(stamped)
    assert "pin_missing" not in {p.kind for p in unpinned.problems}
    pinned = archiver.verify(stamped, pins=pins)
    assert "pin_missing" in {p.kind for p in pinned.problems}, problems(pinned)


def test_pins_file_errors_are_one_line(stamped: Settings) -> None:
    bad = stamped.data_dir.parent / "bad-pins.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(ConfigError, match="bad-pins.jsonl:1"):
        archiver.verify(stamped, pins=bad)


# --------------------------------------------------------------------------- handing it out, showing it


class _Hook(BaseHTTPRequestHandler):
    received: list[object] = []

    def do_POST(self) -> None:  # noqa: N802
        _Hook.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    _Hook.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_stamps_are_printed_posted_and_pinned(with_tsa: Settings, tsa: FakeTsa, hook: str,
                                              fake_platform: FakePlatform, chromium_home: Path) -> None:
    env = {**fake_platform.env(chromium_home), "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
           "ARCHIVER_TSA": f"fake-tsa={tsa.url},{tsa.roots_path}"}
    result = CliRunner().invoke(cli, ["--data", str(with_tsa.data_dir), "archive", POST, "--notify-url", hook], env=env)
    assert result.exit_code == 0, result.output
    [line] = [li for li in result.output.splitlines() if li.startswith("stamped log #")]
    [payload] = _Hook.received
    [pin] = payload["stamps"]  # type: ignore[index]
    assert pin["head_sha256"] in line and pin["tsa"] == "fake-tsa"
    der = base64.b64decode(pin["response"])
    stored = sql(with_tsa, "SELECT b.path FROM timestamps t JOIN blobs b ON b.sha256 = t.response_sha256")[0][0]
    assert der == (with_tsa.data_dir / stored).read_bytes()
    pins = with_tsa.data_dir.parent / "held-apart.jsonl"
    pins.write_text(json.dumps(pin) + "\n")  # the notification, kept as a pin file
    verified = CliRunner().invoke(cli, ["--data", str(with_tsa.data_dir), "verify", "--pin", str(pins)], env=env)
    assert verified.exit_code == 0, verified.output


def test_history_and_provenance_show_trusted_time(stamped: Settings) -> None:
    stated = sql(stamped, "SELECT stated_at FROM timestamps")[0][0]
    history = archiver.history(stamped, POST)
    [line] = [e for e in history.entries if e.what.startswith("trusted time")]
    assert line.at == stated and "fake-tsa" in line.what
    assert "RFC 3161" in line.detail
    prov = archiver.provenance(stamped, POST)
    assert all(c["trusted_time"]["no_later_than"] == stated for c in prov.captures)
    assert any("no later than" in li and "fake-tsa" in li for li in prov.lines())


def test_wacz_carries_tokens_certificates_and_the_log_segment(stamped: Settings, tsa: FakeTsa, tmp_path: Path) -> None:
    import zipfile

    from tests.test_evidence_wacz import wacz_validate

    out = tmp_path / "export.wacz"
    assert archiver.export(stamped, out, post=POST).stamps == 1
    checked = wacz_validate(out)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        stamps = json.loads(z.read("timestamps/stamps.json"))
        assert "openssl ts -verify" in z.read("timestamps/README.txt").decode()
        log = [json.loads(line) for line in z.read("timestamps/log.jsonl").decode().splitlines()]
        [stamp] = stamps
        (tmp_path / "t.tsr").write_bytes(z.read(stamp["response"]))
        (tmp_path / "c.pem").write_bytes(z.read(stamp["certificates"]))
    assert {stamp["response"], stamp["certificates"]} <= set(names)
    # the segment links from the first exported capture to the stamped head
    for before, after in zip(log, log[1:]):
        assert after["entry"]["prev_sha256"] == before["entry_sha256"]
    for item in log:
        assert hashlib.sha256(chain.canonical_json(item["entry"])).hexdigest() == item["entry_sha256"]
    # and each exported capture's row hashes to its entry's content_sha256
    with zipfile.ZipFile(out) as z:
        rows = [json.loads(line) for line in z.read("timestamps/captures.jsonl").decode().splitlines()]
    contents = {e["entry"]["ref_id"]: e["entry"]["content_sha256"] for e in log if e["entry"]["ref_table"] == "captures"}
    assert rows and all(hashlib.sha256(chain.canonical_json(r)).hexdigest() == contents[r["row"]["id"]] for r in rows)
    assert log[-1]["entry_sha256"] == stamp["head_sha256"]
    checked = subprocess.run(["openssl", "ts", "-verify", "-digest", stamp["head_sha256"], "-in", str(tmp_path / "t.tsr"),
                              "-CAfile", str(tsa.roots_path), "-untrusted", str(tmp_path / "c.pem")],
                             capture_output=True, text=True)
    assert "Verification: OK" in checked.stdout, checked.stderr


def test_tsa_setting_from_the_environment() -> None:
    [a, b] = parse_tsas("one=https://tsa.one.example/tsr,/etc/one.pem; two=http://two.example/?a=b,c.pem")
    assert (a.name, a.url, a.roots) == ("one", "https://tsa.one.example/tsr", "/etc/one.pem")
    assert (b.url, b.roots) == ("http://two.example/?a=b", "c.pem")
    assert Settings.from_env({"ARCHIVER_TSA": "one=https://x.example/,r.pem"}).tsas[0].name == "one"
    with pytest.raises(ConfigError, match="ARCHIVER_TSA"):
        parse_tsas("no-url-here")
    with pytest.raises(ConfigError, match="twice"):
        parse_tsas("a=http://x.example/,r.pem;a=http://y.example/,r.pem")


def test_post_page_shows_trusted_time(stamped: Settings) -> None:
    import os
    import sys

    import httpx

    from tests.test_serve import free_port

    post_id = sql(stamped, "SELECT id FROM posts WHERE native_id = ?", str(S.JULIACA_DOCTOR_ID))[0][0]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    log = stamped.data_dir.parent / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([sys.executable, "-m", "archiver.cli", "--data", str(stamped.data_dir), "serve",
                                   "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        with httpx.Client(trust_env=False, timeout=20) as client:
            deadline = time.monotonic() + 30
            while True:
                try:
                    answer = client.get(f"http://127.0.0.1:{port}/archive/posts/{post_id}")
                    break
                except httpx.TransportError:
                    assert server.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
                    time.sleep(0.1)
        assert answer.status_code == 200
        assert "Trusted time and other copies" in answer.text and "trusted time: fake-tsa" in answer.text
    finally:
        server.terminate()
        server.wait(timeout=10)


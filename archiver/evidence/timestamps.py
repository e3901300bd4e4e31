"""Trusted time: RFC 3161 timestamps of the log's head.

The log proves nothing changed after an entry was written; it cannot prove *when*, since
whoever holds the archive holds its clock. After a run that added to the log (and on
``archiver timestamp``) the head entry is sent to each configured Time-Stamp Authority.
The request's message imprint is the head's ``entry_sha256`` itself: the request is
built over the entry's canonical JSON (``Entry.canonical()``), whose SHA-256 that is, so
``openssl ts -verify -digest <head>`` checks a token by hand. The TSA signs the hash and
the time; it sees nothing else.

Each answer is checked before it is kept (status, imprint = the head, nonce, signature,
certificate chain to the roots configured for that TSA, valid at the time the token
states) and stored: the answer as the stored body of its HTTP exchange, the
certificates it was checked with as a file, a ``timestamps`` row chained in the log. A
TSA that fails, times out or answers something that does not check out is a warning
naming it; the next run stamps what is still unstamped. ``verify`` checks every stored
token again (``check``) and says, per capture and status check, the earliest trusted
time that covers it.

A stamp covers its head and every entry before it. Entries a stamp itself writes (its
row; the files of its answer) do not call for another stamp, or stamping would never end.

Pins: tokens kept only in the archive do not stop someone who cuts the log's tail together
with them. Each stamp is also handed out (printed, POSTed with ``--notify-url``, written by
``archiver timestamp --pins FILE``) and ``verify --pin FILE`` reports a pinned head the log
no longer holds.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Settings, Tsa
from ..errors import ConfigError, FetchError, StoreError, TimestampError
from ..plumbing.blobstores import BlobStorage, read_bytes
from ..plumbing.db import utcnow
from . import chain

if TYPE_CHECKING:
    from cryptography.x509 import Certificate
    from rfc3161_client import TimeStampResponse

    from ..steps.store import Store

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"
PIN_FORMAT = "archiver-pin/1"
QUIET_KINDS = ("timestamp", "blob")
"""Entries that do not call for a stamp by themselves: a stamp's own row, and files (a
stamp's answer and certificates are files; every other file comes with a row that does)."""


@dataclass
class Stamp:
    """One stored timestamp: which TSA vouched for which head, when, and where its files are."""

    id: int
    tsa: str
    url: str
    head_seq: int
    head_sha256: str
    stated_at: str
    response_path: str
    certs_path: str
    response: str
    """The TSA's answer (DER), base64: what a pin carries."""

    def line(self) -> str:
        return (
            f"stamped log #{self.head_seq} {self.head_sha256} by {self.tsa}: no later than "
            f"{self.stated_at[:19].replace('T', ' ')} UTC (answer {self.response_path})"
        )

    def pin(self) -> dict[str, object]:
        """What the holder keeps apart from the archive, to check it against later."""
        return {"format": PIN_FORMAT, "tsa": self.tsa, "url": self.url, "head_seq": self.head_seq,
                "head_sha256": self.head_sha256, "stated_at": self.stated_at, "response": self.response}


@dataclass
class Stamping:
    """What stamping did: the stamps it stored, and a warning per TSA that gave none."""

    stamps: list[Stamp] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Answer:
    tsa: Tsa
    head_seq: int
    head_sha256: str
    requested_at: str
    nonce: int | None
    response_sha256: str
    stated_at: str
    certs_pem: bytes


# --------------------------------------------------------------------------- checking an answer


def load_roots(path: str) -> list[Certificate]:
    """The certificates of a PEM file; TimestampError naming the file when it cannot be used."""
    from cryptography import x509

    try:
        roots = x509.load_pem_x509_certificates(Path(path).expanduser().read_bytes())
    except (OSError, ValueError) as e:
        raise TimestampError(f"cannot use trust roots {path}: {getattr(e, 'strerror', None) or e}") from None
    return roots


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _short(error: Exception) -> str:
    # OpenSSL's error stacks hold one human sentence: "Verify error: certificate has expired".
    found = re.search(r"Verify error: ([^\"]+)", str(error))
    return found.group(1) if found else str(error)


def check_response(der: bytes, head_sha256: str, nonce: int | None, roots: Sequence[Certificate]) -> TimeStampResponse:
    """The parsed answer if it is a granted token for ``head_sha256`` (and ``nonce``), signed by a
    certificate that chains to ``roots`` and was valid at the time the token states; else
    TimestampError saying what fails."""
    from cryptography import x509
    from rfc3161_client import PKIStatus, VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(der)
    except ValueError as e:
        raise TimestampError(f"not an RFC 3161 answer ({str(e)[:120]})") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        said = "; ".join(response.status_string) if response.status_string else ""
        raise TimestampError(f"refused (PKI status {response.status}{': ' + said if said else ''})")
    info = response.tst_info
    imprint = info.message_imprint
    if imprint.hash_algorithm.dotted_string != "2.16.840.1.101.3.4.2.1" or imprint.message.hex() != head_sha256:
        raise TimestampError(f"the token is for another hash ({imprint.message.hex()}), not {head_sha256}")
    if nonce is not None and info.nonce != nonce:
        raise TimestampError("the token's nonce is not the request's")
    stated = info.gen_time if info.gen_time.tzinfo else info.gen_time.replace(tzinfo=timezone.utc)
    for signer in response.signed_data.signer_infos:
        for raw in response.signed_data.certificates:
            cert = x509.load_der_x509_certificate(raw)
            if cert.issuer == signer.issuer and cert.serial_number == signer.serial_number:
                if stated > cert.not_valid_after_utc:
                    raise TimestampError(
                        f"the TSA's certificate ({cert.subject.rfc4514_string()}) expired on "
                        f"{_iso(cert.not_valid_after_utc)[:19]}, before the time the token states ({_iso(stated)[:19]})"
                    )
                if stated < cert.not_valid_before_utc:
                    raise TimestampError(
                        f"the TSA's certificate ({cert.subject.rfc4514_string()}) was not yet valid at the time "
                        f"the token states ({_iso(stated)[:19]})"
                    )
    if not roots:
        raise TimestampError("no trust roots to check it against")
    builder = VerifierBuilder(roots=list(roots))
    if nonce is not None:
        builder = builder.nonce(nonce)
    try:
        builder.build().verify(response, bytes.fromhex(head_sha256))
    except (VerificationError, ValueError) as e:
        raise TimestampError(f"does not verify: {_short(e)}") from None
    return response


def _certs_pem(response: TimeStampResponse, roots: Sequence[Certificate]) -> bytes:
    """The certificates the token carries, then the roots it was checked against, as PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    carried = [x509.load_der_x509_certificate(raw) for raw in sorted(response.signed_data.certificates)]
    return b"".join(c.public_bytes(Encoding.PEM) for c in [*carried, *roots])


# --------------------------------------------------------------------------- stamping


def _last_stamped(conn: sqlite3.Connection, tsa: str) -> int:
    return int(conn.execute("SELECT coalesce(max(head_seq), 0) FROM timestamps WHERE tsa = ?", (tsa,)).fetchone()[0])


def head_to_stamp(conn: sqlite3.Connection, tsa: str) -> sqlite3.Row | None:
    """The log's head entry, if the log gained an entry calling for a stamp since ``tsa``'s last one."""
    last = _last_stamped(conn, tsa)
    marks = ", ".join("?" * len(QUIET_KINDS))
    if not conn.execute(f"SELECT 1 FROM log WHERE seq > ? AND kind NOT IN ({marks}) LIMIT 1", (last, *QUIET_KINDS)).fetchone():
        return None
    head: sqlite3.Row | None = conn.execute("SELECT * FROM log ORDER BY seq DESC LIMIT 1").fetchone()
    return head


async def stamp(store: Store, run_id: int) -> Stamping:
    """Send the log's head to every configured TSA that has not stamped the latest entries,
    concurrently; store each answer that checks out. Never raises for a TSA's failure."""
    from ..plumbing.net import Fetcher

    settings = store.settings
    done = Stamping()
    if not settings.tsas:
        return done
    store.flush()  # the run's exchanges (and their files' entries) before the head is read
    todo = [(tsa, head) for tsa in settings.tsas if (head := head_to_stamp(store.conn, tsa.name)) is not None]
    if not todo:
        return done
    # One attempt, bounded as a whole: a TSA that hangs costs the run tsa_timeout, once.
    quick = replace(settings, timeout=settings.tsa_timeout, request_deadline=settings.tsa_timeout, retries=0)

    def record(exchange: Any) -> None:
        store.record_exchange(run_id, "http", exchange)

    async with Fetcher(quick, store.blobs, record) as fetcher:
        outcomes = await asyncio.gather(*(_ask(fetcher, tsa, head) for tsa, head in todo))
    answers = []
    for outcome in outcomes:
        if isinstance(outcome, str):
            done.warnings.append(outcome)
        else:
            answers.append(outcome)
    done.stamps = _store(store, run_id, answers)
    return done


async def _ask(fetcher: Any, tsa: Tsa, head: sqlite3.Row) -> _Answer | str:
    """One TSA's checked answer for ``head``, or a warning naming it."""
    from rfc3161_client import HashAlgorithm, TimestampRequestBuilder

    entry = chain.Entry.from_row(head)
    head_sha256 = str(head["entry_sha256"])
    try:
        roots = load_roots(tsa.roots)
        request = (
            TimestampRequestBuilder().data(entry.canonical()).hash_algorithm(HashAlgorithm.SHA256)
            .nonce(nonce=True).cert_request(cert_request=True).build()
        )
        if request.message_imprint.message.hex() != head_sha256:
            raise TimestampError(f"log entry #{entry.seq} does not hash to its entry_sha256; run archiver verify")
        requested_at = utcnow()
        response = await fetcher.post(
            tsa.url, "other", request.as_bytes(), headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE}
        )
        if response.status != 200:
            raise TimestampError(f"answered HTTP {response.status}")
        if response.body is None or response.blob is None:
            raise TimestampError("answered with an empty body")
        checked = check_response(response.body, head_sha256, request.nonce, roots)
    except (TimestampError, FetchError) as e:
        message = e.args[0] if e.args else str(e)
        return f"TSA {tsa.name} ({tsa.url}): no timestamp: {message}"
    gen = checked.tst_info.gen_time
    return _Answer(
        tsa, entry.seq, head_sha256, requested_at, request.nonce, response.blob.sha256,
        _iso(gen if gen.tzinfo else gen.replace(tzinfo=timezone.utc)), _certs_pem(checked, roots),
    )


def _store(store: Store, run_id: int, answers: list[_Answer]) -> list[Stamp]:
    if not answers:
        store.flush()
        return []
    certs = {a.tsa.name: store.blobs.put(a.certs_pem, "application/x-pem-file") for a in answers}
    ids = []
    with store.transaction() as c:  # writes the queued exchanges first: the answers' files are listed
        for a in answers:
            if _last_stamped(c, a.tsa.name) >= a.head_seq:
                continue  # another run stamped this head with this TSA meanwhile
            store._register_blob(c, certs[a.tsa.name])
            cursor = c.execute(
                """INSERT INTO timestamps (tsa, url, head_seq, head_sha256, stated_at, nonce, requested_at,
                                           response_sha256, certs_sha256, run_id)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (a.tsa.name, a.tsa.url, a.head_seq, a.head_sha256, a.stated_at,
                 None if a.nonce is None else str(a.nonce), a.requested_at, a.response_sha256,
                 certs[a.tsa.name].sha256, run_id),
            )
            ids.append(int(cursor.lastrowid or 0))
            chain.append_entry(c, "timestamps", ids[-1])
    return stamps(store.conn, store.blobs.storage, ids)


def stamps(conn: sqlite3.Connection, storage: BlobStorage, ids: Sequence[int] | None = None) -> list[Stamp]:
    """Stored stamps (those of ``ids``, else all), oldest first, with their answers for pins."""
    where, params = ("", []) if ids is None else (f"WHERE t.id IN ({', '.join('?' * len(ids))})", list(ids))
    if ids is not None and not ids:
        return []
    found = []
    for r in conn.execute(
        f"""SELECT t.*, rb.path AS response_path, cb.path AS certs_path FROM timestamps t
            LEFT JOIN blobs rb ON rb.sha256 = t.response_sha256 LEFT JOIN blobs cb ON cb.sha256 = t.certs_sha256
            {where} ORDER BY t.id""",
        params,
    ):
        try:
            response = base64.b64encode(read_bytes(storage, str(r["response_path"]))).decode("ascii")
        except (OSError, StoreError):
            response = ""
        found.append(Stamp(int(r["id"]), r["tsa"], r["url"], int(r["head_seq"]), r["head_sha256"], r["stated_at"],
                           str(r["response_path"]), str(r["certs_path"]), response))
    return found


def write_pins(path: Path, pinned: Sequence[Stamp]) -> None:
    """Write ``pinned`` as JSON lines (one stamp a line) to ``path``, replacing it whole."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_text("".join(json.dumps(s.pin(), sort_keys=True) + "\n" for s in pinned), encoding="utf-8")
        tmp.replace(path)
    except OSError as e:
        raise ConfigError(f"cannot write pins to {path}: {e.strerror or e}") from None


def read_pins(path: Path) -> list[dict[str, Any]]:
    """The pins in a file written by ``write_pins`` (or collected from notifications)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"cannot read pins {path}: {e.strerror or e}") from None
    pins = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            pin = json.loads(line)
            int(pin["head_seq"])
            str(pin["head_sha256"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{path}:{number}: not a pin (a JSON line with head_seq and head_sha256)") from None
        pins.append(pin)
    return pins


# --------------------------------------------------------------------------- what the stamps cover


@dataclass
class Covered:
    """The earliest trusted time covering a log entry: a stamp of its head or a later one."""

    no_later_than: str
    tsa: str
    timestamp_id: int
    head_seq: int

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)

    def text(self) -> str:
        return f"no later than {self.no_later_than[:19].replace('T', ' ')} UTC, by {self.tsa} (timestamp {self.timestamp_id})"


def earliest(valid: Sequence[tuple[int, str, str, int]]) -> list[tuple[int, Covered]]:
    """From stamps ``(head_seq, stated_at, tsa, id)``: ``(up_to_seq, covered)`` steps, so an entry
    at seq s is covered by the first step whose ``up_to_seq`` >= s (the earliest time among
    every stamp of a head at or after it)."""
    steps: list[tuple[int, Covered]] = []
    best: Covered | None = None
    for head_seq, stated_at, tsa, stamp_id in sorted(valid, key=lambda v: (-v[0], v[1])):
        if best is None or stated_at < best.no_later_than:
            best = Covered(stated_at, tsa, stamp_id, head_seq)
        if steps and steps[-1][0] == head_seq:
            steps[-1] = (head_seq, best)
        else:
            steps.append((head_seq, best))
    steps.reverse()
    return steps


def cover(steps: Sequence[tuple[int, Covered]], seq: int) -> Covered | None:
    import bisect

    i = bisect.bisect_left([s for s, _ in steps], seq)
    return steps[i][1] if i < len(steps) else None


def stored_steps(conn: sqlite3.Connection) -> list[tuple[int, Covered]]:
    """Coverage by the stored stamps as they state it, unchecked (``verify`` checks them)."""
    return earliest([(int(r[0]), str(r[1]), str(r[2]), int(r[3]))
                     for r in conn.execute("SELECT head_seq, stated_at, tsa, id FROM timestamps")])


def covered(conn: sqlite3.Connection, table: str, ids: Sequence[int]) -> dict[int, Covered]:
    """The earliest stated trusted time of each row of ``table`` (captures, status_checks, …) in ``ids``."""
    steps = stored_steps(conn)
    if not steps or not ids:
        return {}
    found = {}
    for r in conn.execute(
        f"SELECT ref_id, min(seq) FROM log WHERE ref_table = ? AND ref_id IN ({', '.join('?' * len(ids))}) GROUP BY ref_id",
        (table, *ids),
    ):
        hit = cover(steps, int(r[1]))
        if hit is not None:
            found[int(r[0])] = hit
    return found


# --------------------------------------------------------------------------- verify


@dataclass
class StampCheck:
    """What ``verify`` found about trusted time: problems as (kind, where, detail), notes, coverage."""

    problems: list[tuple[str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trusted: list[dict[str, object]] = field(default_factory=list)
    not_yet_stamped: dict[str, object] | None = None


def check(conn: sqlite3.Connection, storage: BlobStorage, settings: Settings, pins: Sequence[dict[str, Any]] = ()) -> StampCheck:
    """Check every stored token and every pin against the log; say what trusted time covers."""
    result = StampCheck()
    configured = {t.name: t for t in settings.tsas}
    roots_of: dict[str, list[Certificate] | TimestampError] = {}
    heads = {int(r["seq"]): str(r["entry_sha256"]) for r in conn.execute(
        "SELECT seq, entry_sha256 FROM log WHERE seq IN (SELECT head_seq FROM timestamps)")}
    valid: list[tuple[int, str, str, int]] = []
    unconfigured: set[str] = set()
    for r in conn.execute(
        """SELECT t.*, rb.path AS response_path, cb.path AS certs_path FROM timestamps t
           LEFT JOIN blobs rb ON rb.sha256 = t.response_sha256 LEFT JOIN blobs cb ON cb.sha256 = t.certs_sha256
           ORDER BY t.id"""
    ):
        where = f"timestamp {r['id']} ({r['tsa']}, log #{r['head_seq']})"
        head_seq = int(r["head_seq"])
        if head_seq not in heads:
            result.problems.append(("stamp_head_gone", where, f"log entry #{head_seq}, which it stamped, is gone: the log was cut"))
            continue
        if heads[head_seq] != r["head_sha256"]:
            result.problems.append(("stamp_head_changed", where, f"log entry #{head_seq} is no longer the head stamped "
                                    f"at {r['stated_at'][:19]}: the log was rewritten after it was stamped"))
            continue
        try:
            der = read_bytes(storage, str(r["response_path"]))
        except (OSError, StoreError):
            result.problems.append(("bad_timestamp", where, "the TSA's answer is not in the archive"))
            continue
        tsa = configured.get(r["tsa"])
        if tsa is not None:
            if tsa.name not in roots_of:
                try:
                    roots_of[tsa.name] = load_roots(tsa.roots)
                except TimestampError as e:
                    roots_of[tsa.name] = e
            roots = roots_of[tsa.name]
            if isinstance(roots, TimestampError):
                result.notes.append(f"{where} not checked: {roots}")
                continue
        else:
            unconfigured.add(str(r["tsa"]))
            roots = _stored_roots(storage, str(r["certs_path"]))
        try:
            response = check_response(der, str(r["head_sha256"]), int(r["nonce"]) if r["nonce"] else None, roots)
        except TimestampError as e:
            result.problems.append(("bad_timestamp", where, str(e)))
            continue
        gen = response.tst_info.gen_time
        stated = _iso(gen if gen.tzinfo else gen.replace(tzinfo=timezone.utc))
        if stated != r["stated_at"]:
            result.problems.append(("bad_timestamp", where, f"says {r['stated_at']}, but its token states {stated}"))
            continue
        valid.append((head_seq, stated, str(r["tsa"]), int(r["id"])))
    for name in sorted(unconfigured):
        result.notes.append(f"TSA {name} is not configured here: its tokens were checked against the certificates "
                            "stored with them, which proves they are intact, not whom to trust (set ARCHIVER_TSA)")
    _check_pins(conn, settings, pins, result)
    _coverage(conn, earliest(valid), result, bool(valid) or bool(settings.tsas))
    return result


def _stored_roots(storage: BlobStorage, key: str) -> list[Certificate]:
    from cryptography import x509

    try:
        certs = x509.load_pem_x509_certificates(read_bytes(storage, key))
    except (OSError, ValueError, StoreError):
        return []
    return [c for c in certs if c.subject == c.issuer]


def _check_pins(conn: sqlite3.Connection, settings: Settings, pins: Sequence[dict[str, Any]], result: StampCheck) -> None:
    configured = {t.name: t for t in settings.tsas}
    for pin in pins:
        seq, head = int(pin["head_seq"]), str(pin["head_sha256"])
        where = f"pinned head #{seq} {head[:16]}… ({pin.get('tsa', '?')}, {str(pin.get('stated_at', '?'))[:19]})"
        row = conn.execute("SELECT entry_sha256 FROM log WHERE seq = ?", (seq,)).fetchone()
        if row is None or row[0] != head:
            result.problems.append(("pin_missing", where, "is not in the log: the log was cut or rewritten after it was pinned"))
            continue
        tsa = configured.get(str(pin.get("tsa")))
        if tsa is None or not pin.get("response"):
            continue
        try:
            check_response(base64.b64decode(str(pin["response"])), head, None, load_roots(tsa.roots))
        except (TimestampError, ValueError) as e:
            result.notes.append(f"{where}: its token does not check out ({e}); the pin proves only the head")


def _coverage(conn: sqlite3.Connection, steps: list[tuple[int, Covered]], result: StampCheck, in_use: bool) -> None:
    """Per capture and status check, the earliest trusted time; those logged after the last stamp."""
    groups: dict[int, dict[str, Any]] = {}
    late: dict[str, list[int]] = {"captures": [], "status_checks": []}
    for r in conn.execute(
        "SELECT ref_table, ref_id, min(seq) AS seq FROM log WHERE ref_table IN ('captures', 'status_checks') "
        "GROUP BY ref_table, ref_id ORDER BY seq"
    ):
        hit = cover(steps, int(r["seq"]))
        if hit is None:
            late[r["ref_table"]].append(int(r["ref_id"]))
            continue
        group = groups.setdefault(hit.timestamp_id, {**hit.as_dict(), "captures": [], "status_checks": []})
        group[r["ref_table"]].append(int(r["ref_id"]))
    result.trusted = list(groups.values())
    for g in groups.values():
        result.notes.append(
            f"trusted time: {len(g['captures'])} captures and {len(g['status_checks'])} status checks existed "
            f"{Covered(g['no_later_than'], g['tsa'], g['timestamp_id'], g['head_seq']).text()}"
        )
    if in_use and (late["captures"] or late["status_checks"]):
        last = steps[-1][0] if steps else 0
        result.not_yet_stamped = {"after_seq": last, **late}
        result.notes.append(
            f"not yet stamped: {len(late['captures'])} captures and {len(late['status_checks'])} status checks logged "
            f"after the last valid timestamp (log #{last}); the next run with a TSA stamps them"
        )


# --------------------------------------------------------------------------- carrying it (WACZ)


def segment(conn: sqlite3.Connection, capture_ids: Sequence[int]) -> tuple[list[dict[str, Any]], list[Stamp], list[dict[str, Any]]]:
    """For an export of ``capture_ids``: the stamps that first cover each (one per TSA at most
    per capture), the log entries from the first capture's to the last stamped head (each
    with its canonical fields and hash), and the exported captures' hashed rows."""
    if not capture_ids:
        return [], [], []
    marks = ", ".join("?" * len(capture_ids))
    seqs = [int(r[0]) for r in conn.execute(
        f"SELECT seq FROM log WHERE ref_table = 'captures' AND ref_id IN ({marks})", list(capture_ids))]
    rows = conn.execute("SELECT id, tsa, head_seq FROM timestamps ORDER BY head_seq, id").fetchall()
    chosen: set[int] = set()
    for seq in set(seqs):
        first: dict[str, int] = {}
        for r in rows:
            if int(r["head_seq"]) >= seq and r["tsa"] not in first:
                first[r["tsa"]] = int(r["id"])
        chosen.update(first.values())
    if not chosen:
        return [], [], []
    heads = [int(r["head_seq"]) for r in rows if int(r["id"]) in chosen]
    entries = []
    for r in conn.execute("SELECT * FROM log WHERE seq BETWEEN ? AND ? ORDER BY seq", (min(seqs), max(heads))):
        entry = chain.Entry.from_row(r)
        entries.append({"entry": json.loads(entry.canonical()), "entry_sha256": r["entry_sha256"]})
    kinds = {int(r[0]): str(r[1]) for r in conn.execute(
        f"SELECT ref_id, kind FROM log WHERE ref_table = 'captures' AND ref_id IN ({marks})", list(capture_ids))}
    captured = [  # each row with the fields its entry's kind hashes
        {"table": "captures", "row": {k: row[k] for k in chain.FIELDS[kinds.get(int(row["id"]), "capture")]}}
        for row in conn.execute(f"SELECT * FROM captures WHERE id IN ({marks}) ORDER BY id", list(capture_ids))
    ]
    return entries, [s for s in stamps_unread(conn) if s.id in chosen], captured


def stamps_unread(conn: sqlite3.Connection) -> list[Stamp]:
    """Stored stamps without their answers read (for paths and heads)."""
    return [
        Stamp(int(r["id"]), r["tsa"], r["url"], int(r["head_seq"]), r["head_sha256"], r["stated_at"],
              str(r["response_path"]), str(r["certs_path"]), "")
        for r in conn.execute(
            """SELECT t.*, rb.path AS response_path, cb.path AS certs_path FROM timestamps t
               LEFT JOIN blobs rb ON rb.sha256 = t.response_sha256 LEFT JOIN blobs cb ON cb.sha256 = t.certs_sha256
               ORDER BY t.id"""
        )
    ]


HOW_TO_CHECK = """\
Trusted time for this export (RFC 3161 timestamps of archiver's log)
====================================================================

archiver keeps a hash-chained log of every fact it shows (each capture, status check,
post, ...). Each line of log.jsonl is one entry: "entry" holds its fields and
"entry_sha256" is the SHA-256 of those fields as canonical JSON (keys sorted, no
spaces, UTF-8); each entry's "prev_sha256" is the entry_sha256 of the one before.
captures.jsonl holds the exported captures' rows: an entry's "content_sha256" is the
SHA-256 of {"table": "captures", "row": <row>} as canonical JSON.

stamps.json lists the timestamps that cover the exported captures. A Time-Stamp
Authority (TSA) signed the entry_sha256 of the log entry "head_seq" at "stated_at":
every entry up to it, so every capture logged before it, existed by then.

Check a stamp by hand with OpenSSL, trusting that TSA's root certificate (get it from the
TSA itself, not from this file; <ID>.certs.pem holds the certificates the token carried,
then the roots archiver checked it against):

    openssl ts -verify -digest <head_sha256> -in <ID>-<TSA>.tsr \\
        -CAfile <the TSA's root certificate> -untrusted <ID>-<TSA>.certs.pem

"Verification: OK" means the TSA signed exactly that head hash at the time the token
states (openssl ts -reply -in <ID>-<TSA>.tsr -text shows it). Then follow log.jsonl from
each capture's entry to the stamped head: every link must hold.
"""

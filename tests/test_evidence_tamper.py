"""Every fact a reader is shown is in the log: tampering with posts, articles, citations,
events or blobs is reported by `verify`, and an untampered archive — after sweeps that saw
deletions, edits, restorations and embed removals, or upgraded from schema version 4 —
holds.

Every test tampers with a COPY of an archive made by the real pipeline and real sweeps.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
import sqlite3
from pathlib import Path

import pytest

from archiver.config import Settings
from archiver.evidence.verify import VerifyReport, verify
from archiver.pipeline import archive
from archiver.sweeper import sweep
from tests.fakeplatform import World
from tests.fakeplatform import sample as S

pytestmark = pytest.mark.usefixtures("fake_world")

_made: dict[str, Path] = {}


def build(settings: Settings, world: World) -> None:
    """Archive two articles, then sweep through a deletion, an edit, a restoration, an
    embed removal and its return."""
    summary = archive([S.JULIACA_URL, S.MIXED_STATUSES_URL], settings)
    assert all(str(S.TRANSIENT_ID) in e for e in summary.errors), summary.errors
    world.posts[S.JULIACA_DOCTOR_ID].status = "deleted"
    world.posts[S.JULIACA_MARCH_ID].text = "Corrected: the march went on until nightfall."
    kinds = {str(e["kind"]) for e in sweep(settings, everything=True).events}
    assert {"deleted", "edited"} <= kinds, kinds
    world.posts[S.JULIACA_DOCTOR_ID].status = "live"
    page = world.pages[S.JULIACA_URL]
    world.pages[S.JULIACA_URL] = world.pages[S.BAD_URLS["broken-html"]]  # cites only the doctor's post
    kinds = {str(e["kind"]) for e in sweep(settings, everything=True).events}
    assert {"restored", "embed_removed"} <= kinds, kinds
    world.pages[S.JULIACA_URL] = page
    kinds = {str(e["kind"]) for e in sweep(settings, everything=True).events}
    assert "embed_returned" in kinds, kinds


@pytest.fixture
def copy(settings: Settings, fake_world: World, tmp_path: Path) -> Settings:
    """A copy of the swept archive, made once per session."""
    if "swept" not in _made:
        build(settings, fake_world)
        _made["swept"] = settings.data_dir
    target = tmp_path / "copy"
    shutil.copytree(_made["swept"], target)
    return replace(settings, data_dir=target)


def sql(settings: Settings, statement: str, *params: object) -> list[sqlite3.Row]:
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(statement, params).fetchall()
    finally:
        conn.close()
    return rows


def one(settings: Settings, statement: str, *params: object) -> sqlite3.Row:
    rows = sql(settings, statement, *params)
    assert rows, statement
    return rows[0]


def post(settings: Settings, native_id: int) -> sqlite3.Row:
    return one(settings, "SELECT * FROM posts WHERE native_id = ?", str(native_id))


def problems(report: VerifyReport) -> list[tuple[str, str]]:
    return [(p.kind, p.where) for p in report.problems]


def assert_reported(report: VerifyReport, kind: str, where: str) -> None:
    """Exactly one problem, of ``kind``, naming ``where``; the first broken entry named
    (a row without any entry breaks none)."""
    assert len(report.problems) == 1 and report.problems[0].kind == kind, problems(report)
    assert where in report.problems[0].where, problems(report)
    assert (report.first_broken is None) == (kind == "row_unlogged")


def test_swept_archive_holds(copy: Settings) -> None:
    report = verify(copy)
    assert report.ok, [p.line() for p in report.problems]
    assert report.late == 0
    # the sweeps changed what readers are shown, and each change was logged
    assert sql(copy, "SELECT count(*) AS n FROM events")[0]["n"] >= 5
    assert sql(copy, "SELECT count(*) AS n FROM article_posts WHERE removed_at IS NOT NULL")[0]["n"] == 0


def test_edited_post_text(copy: Settings) -> None:
    p = post(copy, S.JULIACA_HOSPITAL_ID)
    sql(copy, "UPDATE posts SET text = 'Nothing happened in Juliaca.' WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", f"posts row {p['id']}")


def test_edited_author_name(copy: Settings) -> None:
    p = post(copy, S.JULIACA_HOSPITAL_ID)
    sql(copy, "UPDATE posts SET author_name = 'Someone Else' WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", f"posts row {p['id']}")


def test_deleted_post_made_live(copy: Settings) -> None:
    p = post(copy, S.DELETED_ID)
    assert p["status"] == "deleted"
    sql(copy, "UPDATE posts SET status = 'live' WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", f"posts row {p['id']}")


def test_restored_post_made_deleted_again(copy: Settings) -> None:
    p = post(copy, S.JULIACA_DOCTOR_ID)
    assert p["status"] == "live"
    sql(copy, "UPDATE posts SET status = 'deleted' WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", f"posts row {p['id']}")


def test_edited_last_checked(copy: Settings) -> None:
    p = post(copy, S.JULIACA_MARCH_ID)
    sql(copy, "UPDATE posts SET last_checked_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", f"posts row {p['id']}")


def test_deleted_post_row(copy: Settings) -> None:
    p = post(copy, S.JULIACA_AREQUIPA_ID)
    sql(copy, "DELETE FROM posts WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_deleted", f"posts row {p['id']}")


def test_edited_embed_text_of_a_post_deleted_before_capture(copy: Settings) -> None:
    p = post(copy, S.DELETED_ID)
    cited = one(copy, "SELECT * FROM article_posts WHERE post_id = ?", p["id"])
    assert cited["embed_text"], "the newsroom's copy is the only one"
    sql(copy, "UPDATE article_posts SET embed_text = 'Confirmed: the airport is open.' WHERE post_id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", "article_posts row")


def test_citation_marked_removed(copy: Settings) -> None:
    cited = one(copy, "SELECT * FROM article_posts WHERE removed_at IS NULL LIMIT 1")
    sql(copy, "UPDATE article_posts SET removed_at = last_seen_at WHERE article_id = ? AND post_id = ? AND link = ?",
        cited["article_id"], cited["post_id"], cited["link"])
    assert_reported(verify(copy), "row_changed", "article_posts row")


def test_deleted_citation(copy: Settings) -> None:
    p = post(copy, S.DELETED_ID)
    sql(copy, "DELETE FROM article_posts WHERE post_id = ?", p["id"])
    assert_reported(verify(copy), "row_deleted", "article_posts row")


def test_deleted_event(copy: Settings) -> None:
    event = one(copy, "SELECT * FROM events WHERE kind = 'deleted'")
    sql(copy, "DELETE FROM events WHERE id = ?", event["id"])
    assert_reported(verify(copy), "row_deleted", f"events row {event['id']}")


def test_deleted_events_all(copy: Settings) -> None:
    n = one(copy, "SELECT count(*) AS n FROM events")["n"]
    sql(copy, "DELETE FROM events")
    report = verify(copy)
    assert [k for k, _ in problems(report)] == ["row_deleted"] * n


def test_edited_event(copy: Settings) -> None:
    event = one(copy, "SELECT * FROM events WHERE kind = 'edited'")
    sql(copy, "UPDATE events SET detail = '{}' WHERE id = ?", event["id"])
    assert_reported(verify(copy), "row_changed", f"events row {event['id']}")


def test_forged_event(copy: Settings) -> None:
    p = post(copy, S.JULIACA_HOSPITAL_ID)
    sql(copy, "INSERT INTO events (run_id, detected_at, kind, post_id, detail) VALUES (1, '2030-01-01T00:00:00Z', 'deleted', ?, '{}')", p["id"])
    assert_reported(verify(copy), "row_unlogged", "events row")


def test_changed_blob_mime(copy: Settings) -> None:
    blob = one(copy, "SELECT b.* FROM blobs b JOIN captures c ON c.sha256 = b.sha256 WHERE c.kind = 'photo' LIMIT 1")
    sql(copy, "UPDATE blobs SET mime = 'text/html' WHERE sha256 = ?", blob["sha256"])
    assert_reported(verify(copy), "row_changed", blob["sha256"])


def test_changed_media_check_of_a_capture(copy: Settings) -> None:
    """What checked a file (``checked_as``) and a video's ``duration`` are shown to readers too."""
    capture = one(copy, "SELECT * FROM captures WHERE kind = 'photo' AND checked_as IS NOT NULL LIMIT 1")
    sql(copy, "UPDATE captures SET checked_as = '{\"tool\": \"nothing\"}' WHERE id = ?", capture["id"])
    assert_reported(verify(copy), "row_changed", f"captures row {capture['id']}")
    sql(copy, "UPDATE captures SET checked_as = ?, duration = 12.5 WHERE id = ?", capture["checked_as"], capture["id"])
    assert_reported(verify(copy), "row_changed", f"captures row {capture['id']}")


def test_moved_region(copy: Settings) -> None:
    # Where the article's screenshot shows a post with no card: a box moved is a fact changed.
    region = one(copy, """SELECT r.id FROM embed_regions r JOIN posts p ON p.id = r.post_id
                          WHERE p.native_id = ? AND r.element = 'blockquote'""", str(S.DELETED_ID))
    sql(copy, "UPDATE embed_regions SET y = y + 120 WHERE id = ?", region["id"])
    assert_reported(verify(copy), "row_changed", f"embed_regions row {region['id']}")


def test_deleted_and_forged_regions(copy: Settings) -> None:
    regions = sql(copy, "SELECT * FROM embed_regions ORDER BY id")
    assert len({r["capture_id"] for r in regions}) > 2, "the sweeps' new page screenshots have regions of their own"
    first = regions[0]
    sql(copy, "DELETE FROM embed_regions WHERE id = ?", first["id"])
    assert_reported(verify(copy), "row_deleted", f"embed_regions row {first['id']}")
    sql(copy, """INSERT INTO embed_regions (id, capture_id, article_id, post_id, link, x, y, width, height, element,
                                           recorded_at) VALUES (?, ?, ?, ?, ?, 0, 0, 10, 10, 'blockquote', ?)""",
        first["id"], first["capture_id"], first["article_id"], first["post_id"], first["link"], first["recorded_at"])
    assert_reported(verify(copy), "row_changed", f"embed_regions row {first['id']}")


def test_edited_article_title_and_url(copy: Settings) -> None:
    article = one(copy, "SELECT * FROM articles WHERE url = ?", S.JULIACA_URL)
    sql(copy, "UPDATE articles SET title = 'Calm day in Juliaca' WHERE id = ?", article["id"])
    assert_reported(verify(copy), "row_changed", f"articles row {article['id']}")
    sql(copy, "UPDATE articles SET title = ?, final_url = 'https://elsewhere.example/' WHERE id = ?", article["title"], article["id"])
    assert_reported(verify(copy), "row_changed", f"articles row {article['id']}")


def test_deleted_article(copy: Settings) -> None:
    article = one(copy, "SELECT * FROM articles WHERE url = ?", S.MIXED_STATUSES_URL)
    sql(copy, "DELETE FROM articles WHERE id = ?", article["id"])
    assert_reported(verify(copy), "row_deleted", f"articles row {article['id']}")


def test_scheduling_is_not_evidence(copy: Settings) -> None:
    """When a sweep next looks is the user's business: rescheduling is not tampering."""
    sql(copy, "UPDATE posts SET next_check_at = '2020-01-01T00:00:00Z'")
    sql(copy, "UPDATE articles SET next_check_at = NULL, watched = 0")
    report = verify(copy)
    assert report.ok, problems(report)


# ---- an archive made by schema version 4, upgraded in place --------------------------------

V4_LOG = """CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'status_check')),
    ref_table TEXT NOT NULL CHECK (ref_table IN ('captures', 'status_checks')),
    ref_id INTEGER NOT NULL,
    logged_at TEXT NOT NULL,
    late INTEGER NOT NULL DEFAULT 0,
    content_sha256 TEXT NOT NULL,
    prev_sha256 TEXT NOT NULL,
    entry_sha256 TEXT NOT NULL,
    key_id TEXT,
    signature TEXT
)"""


V4_CAPTURE_FIELDS = ("id", "run_id", "post_id", "article_id", "kind", "captured_at", "sha256", "path", "mime",
                     "bytes", "width", "height", "source_url", "source")


def _v4_capture_sha256(conn: sqlite3.Connection, capture_id: int) -> str:
    """A capture's content hash as schema version 4 defined it (written out here, not imported)."""
    row = conn.execute(f"SELECT {', '.join(V4_CAPTURE_FIELDS)} FROM captures WHERE id = ?", (capture_id,)).fetchone()
    value = {"table": "captures", "row": {name: row[name] for name in V4_CAPTURE_FIELDS}}
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


V4_CHECK_FIELDS = ("id", "post_id", "run_id", "checked_at", "status", "signals")


def _v4_check_sha256(conn: sqlite3.Connection, check_id: int) -> str:
    """A status check's content hash as schema version 4 defined it (without logged_in, version 16's)."""
    row = conn.execute(f"SELECT {', '.join(V4_CHECK_FIELDS)} FROM status_checks WHERE id = ?", (check_id,)).fetchone()
    value = {"table": "status_checks", "row": {name: row[name] for name in V4_CHECK_FIELDS}}
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def _v4_digest(r: sqlite3.Row | dict[str, object], seq: int, prev: str) -> str:
    """An entry's hash as schema version 4 defined it (written out here, not imported)."""
    fields = {"seq": seq, "kind": r["kind"], "ref_table": r["ref_table"], "ref_id": r["ref_id"],
              "logged_at": r["logged_at"], "late": r["late"], "content_sha256": r["content_sha256"], "prev_sha256": prev}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def make_v4(settings: Settings) -> None:
    """Turn the archive into what version 4 of archiver wrote: a log of captures and status
    checks only, chained by version 4's rules, and the schema recorded as version 4."""
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    kept = conn.execute("SELECT * FROM log WHERE ref_table IN ('captures', 'status_checks') ORDER BY seq").fetchall()
    conn.execute("BEGIN")
    conn.execute("DROP TABLE log")
    conn.execute("DROP TABLE seen_embeds")  # version 11's, whose entries the version 4 log lacks
    conn.execute("DROP TABLE embed_regions")  # version 13's, likewise
    conn.execute(V4_LOG)
    conn.execute("CREATE UNIQUE INDEX log_ref ON log(ref_table, ref_id)")
    prev = "0" * 64
    for seq, r in enumerate(kept, start=1):
        kind, content = r["kind"], r["content_sha256"]
        if kind in ("capture_v2", "capture_v3"):  # version 4 logged captures as 'capture', without duration and checked_as
            kind, content = "capture", _v4_capture_sha256(conn, r["ref_id"])
        elif kind == "status_check_v2":  # and checks as 'status_check', without logged_in
            kind, content = "status_check", _v4_check_sha256(conn, r["ref_id"])
        v4 = {**dict(r), "kind": kind, "content_sha256": content}
        digest = _v4_digest(v4, seq, prev)
        conn.execute(
            "INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
            (seq, kind, r["ref_table"], r["ref_id"], r["logged_at"], r["late"], content, prev, digest),
        )
        prev = digest
    conn.execute("DELETE FROM log_late")
    for column in ("duration", "checked_as"):  # added by version 6 (0006_media)
        conn.execute(f"ALTER TABLE captures DROP COLUMN {column}")
    conn.execute("ALTER TABLE articles DROP COLUMN citations_at")  # added by version 8 (0008_citations_at)
    for table in ("timestamps", "wayback"):  # what version 9 adds (empty here: no TSA, no Wayback)
        conn.execute(f"DROP TABLE {table}")
    conn.execute("ALTER TABLE runs DROP COLUMN tools")  # added by version 12 (0012_run_tools)
    conn.execute("ALTER TABLE posts DROP COLUMN reply_to_post_id")  # added by version 14 (0014_replies)
    for table in ("queue_results", "queue_runs"):  # added by version 15 (0015_queue)
        conn.execute(f"DROP TABLE {table}")
    for table in ("exchanges", "captures", "status_checks"):  # added by version 16 (0016_logged_in)
        conn.execute(f"ALTER TABLE {table} DROP COLUMN logged_in")
    conn.execute("DELETE FROM schema_migrations WHERE version > 4")
    conn.execute("COMMIT")
    conn.close()


def test_archive_from_version_4_upgraded_in_place_holds(copy: Settings, fake_world: World) -> None:
    make_v4(copy)
    v4 = verify(copy)  # migrates, then chains what version 4 did not log, marked late
    assert v4.ok, [p.line() for p in v4.problems]
    captures_and_checks = one(copy, "SELECT (SELECT count(*) FROM captures) + (SELECT count(*) FROM status_checks) AS n")["n"]
    assert v4.late == v4.entries - captures_and_checks > 0
    assert any("chained late" in note for note in v4.notes)
    # the upgraded archive is swept on; it still holds
    fake_world.posts[S.JULIACA_HOSPITAL_ID].status = "deleted"
    summary = sweep(copy, everything=True)
    assert "deleted" in {str(e["kind"]) for e in summary.events}
    report = verify(copy)
    assert report.ok, [p.line() for p in report.problems]
    assert report.late == v4.late
    # and a row chained late is protected from then on
    p = post(copy, S.DELETED_ID)
    sql(copy, "UPDATE posts SET status = 'live' WHERE id = ?", p["id"])
    assert_reported(verify(copy), "row_changed", f"posts row {p['id']}")



# ---- an archive made before forms were open, upgraded in place -----------------------------


def make_closed_forms(settings: Settings) -> None:
    """Put back the CHECK on article_posts.form (rows under their rowids) and record the
    schema as the version before open forms (NNNN_open_forms.sql)."""
    from archiver.plumbing.db import migrations

    open_forms = next(version for version, name, _ in migrations() if name == "open_forms")
    conn = sqlite3.connect(settings.db_path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("PRAGMA legacy_alter_table = ON")
    conn.execute("ALTER TABLE article_posts RENAME TO article_posts_v6")
    conn.execute("PRAGMA legacy_alter_table = OFF")
    conn.execute(
        """CREATE TABLE article_posts (
            article_id INTEGER NOT NULL REFERENCES articles(id),
            post_id INTEGER NOT NULL REFERENCES posts(id),
            link TEXT NOT NULL,
            form TEXT NOT NULL CHECK (form IN ('blockquote', 'iframe', 'amp', 'status_link', 'pic_link', 'short_link')),
            embed_text TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT,
            removed_at TEXT,
            PRIMARY KEY (article_id, post_id, link)
        )"""
    )
    conn.execute("INSERT INTO article_posts (rowid, article_id, post_id, link, form, embed_text, first_seen_at, "
                 "last_seen_at, removed_at) SELECT rowid, article_id, post_id, link, form, embed_text, first_seen_at, "
                 "last_seen_at, removed_at FROM article_posts_v6")
    conn.execute("DROP TABLE article_posts_v6")
    conn.execute("ALTER TABLE runs DROP COLUMN tools")  # added by version 12 (0012_run_tools), which upgrading adds again
    _log_before_logged_in(conn)  # the log and columns of version 16 (0016_logged_in)
    _without_regions(conn)  # added by version 13 (0013_embed_regions), which upgrading adds again
    as_before_replies(conn)  # added by version 14 (0014_replies), which upgrading adds again
    for table in ("queue_results", "queue_runs"):  # added by version 15 (0015_queue)
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM schema_migrations WHERE version >= ?", (open_forms,))
    conn.execute("COMMIT")
    conn.close()


def _without_regions(conn: sqlite3.Connection) -> None:
    """The archive as a version before regions made it: no embed_regions table, and a log
    without their entries, chained again from the first one taken out (as written then)."""
    from archiver.evidence.chain import GENESIS, Entry

    conn.row_factory = sqlite3.Row
    conn.execute("DROP TABLE embed_regions")
    entries = conn.execute("SELECT * FROM log WHERE kind != 'embed_region' ORDER BY seq").fetchall()
    assert all(r["signature"] is None for r in entries), "the test archive is not signed"
    conn.execute("DELETE FROM log")
    prev = GENESIS
    for seq, r in enumerate(entries, start=1):
        entry = Entry(seq, r["kind"], r["ref_table"], r["ref_id"], r["logged_at"], bool(r["late"]), r["content_sha256"],
                      prev, r["ref_key"])
        prev = entry.digest()
        conn.execute(
            """INSERT INTO log (seq, kind, ref_table, ref_id, ref_key, logged_at, late, content_sha256, prev_sha256,
                                entry_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (seq, r["kind"], r["ref_table"], r["ref_id"], r["ref_key"], r["logged_at"], r["late"], r["content_sha256"],
             entry.prev_sha256, prev),
        )


V12_POST_FIELDS = ("id", "platform", "native_id", "url", "author_handle", "author_name", "text", "lang", "created_at",
                   "status", "quoted_post_id", "capture_complete", "first_archived_at", "last_checked_at",
                   "content_fingerprint")


def _digest(r: dict[str, object]) -> str:
    """An entry's hash, by the rule every version since 5 has used (written out here, not imported)."""
    fields = {k: r[k] for k in ("seq", "kind", "ref_table", "ref_id", "logged_at", "late", "content_sha256", "prev_sha256")}
    if r["ref_key"] is not None:
        fields["ref_key"] = r["ref_key"]
    return hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


def as_before_replies(conn: sqlite3.Connection) -> None:
    """Make the archive what versions before 14 wrote, inside the caller's transaction:
    posts without ``reply_to_post_id``, logged as kind 'post' (each post's last entry
    hashing its row by that kind's fields), the chain re-derived from the first entry changed."""
    conn.row_factory = sqlite3.Row
    entries = [dict(r) for r in conn.execute("SELECT * FROM log ORDER BY seq")]
    last = {e["ref_id"]: e["seq"] for e in entries if e["ref_table"] == "posts"}
    prev = "0" * 64
    for e in entries:
        if e["kind"] == "post_v2":
            e["kind"] = "post"
            if last[e["ref_id"]] == e["seq"]:
                row = conn.execute(f"SELECT {', '.join(V12_POST_FIELDS)} FROM posts WHERE id = ?", (e["ref_id"],)).fetchone()
                value = {"table": "posts", "row": {k: row[k] for k in V12_POST_FIELDS}}
                e["content_sha256"] = hashlib.sha256(
                    json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        e["prev_sha256"] = prev
        digest = _digest(e)
        if digest != e["entry_sha256"]:
            conn.execute("UPDATE log SET kind = ?, content_sha256 = ?, prev_sha256 = ?, entry_sha256 = ?, key_id = NULL, "
                         "signature = NULL WHERE seq = ?", (e["kind"], e["content_sha256"], prev, digest, e["seq"]))
        prev = digest
    conn.execute("ALTER TABLE posts DROP COLUMN reply_to_post_id")  # added by version 14 (0014_replies)


_BEFORE_LOGGED_IN = {
    # kind of version 16 -> (the kind before it, its table, the fields that kind hashes)
    "capture_v3": ("capture_v2", "captures", (*V4_CAPTURE_FIELDS, "duration", "checked_as")),
    "status_check_v2": ("status_check", "status_checks", V4_CHECK_FIELDS),
}


def _log_before_logged_in(conn: sqlite3.Connection) -> None:
    """The log as an archive from before version 16 (0016_logged_in) holds it: captures and
    checks logged as the kinds of then, the chain hashed again (as versions 9 to 15 hash an
    entry, written out here), and without the logged_in columns, which upgrading adds again."""
    conn.row_factory = sqlite3.Row
    prev = "0" * 64
    for r in conn.execute("SELECT * FROM log ORDER BY seq").fetchall():
        kind, content = r["kind"], r["content_sha256"]
        if kind in _BEFORE_LOGGED_IN:
            kind, table, fields = _BEFORE_LOGGED_IN[kind]
            row = conn.execute(f"SELECT {', '.join(fields)} FROM {table} WHERE id = ?", (r["ref_id"],)).fetchone()
            value = {"table": table, "row": {name: row[name] for name in fields}}
            content = hashlib.sha256(
                json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        entry = {"seq": r["seq"], "kind": kind, "ref_table": r["ref_table"], "ref_id": r["ref_id"],
                 "logged_at": r["logged_at"], "late": r["late"], "content_sha256": content, "prev_sha256": prev}
        if r["ref_key"] is not None:
            entry["ref_key"] = r["ref_key"]
        digest = hashlib.sha256(
            json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
        conn.execute("UPDATE log SET kind = ?, content_sha256 = ?, prev_sha256 = ?, entry_sha256 = ? WHERE seq = ?",
                     (kind, content, prev, digest, r["seq"]))
        prev = digest
    for table in ("exchanges", "captures", "status_checks"):
        conn.execute(f"ALTER TABLE {table} DROP COLUMN logged_in")


def test_archive_with_closed_forms_gets_open_forms_and_holds(copy: Settings) -> None:
    citations = "SELECT rowid, article_id, post_id, link, form, embed_text, removed_at FROM article_posts ORDER BY rowid"
    before = [tuple(r) for r in sql(copy, citations)]
    make_closed_forms(copy)
    assert "CHECK (form IN" in one(copy, "SELECT sql FROM sqlite_master WHERE name = 'article_posts'")["sql"]
    report = verify(copy)  # migrates to the open forms: the table rebuilt in place
    assert report.ok, [p.line() for p in report.problems]
    assert "CHECK" not in one(copy, "SELECT sql FROM sqlite_master WHERE name = 'article_posts'")["sql"]
    assert [tuple(r) for r in sql(copy, citations)] == before and len(before) > 1

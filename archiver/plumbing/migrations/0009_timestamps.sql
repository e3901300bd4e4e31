-- Trusted time and independent copies (issue 16). Each RFC 3161 timestamp of the log's
-- head (the TSA's answer and the certificates it was checked with, both stored files),
-- and each Wayback Machine copy of a post, is a row chained in the log like every fact a
-- reader is shown. The log's kind and table CHECKs change, so the log is rebuilt; its
-- entries are copied as they are (no hash covers the constraint).
CREATE TABLE timestamps (
    id INTEGER PRIMARY KEY,
    tsa TEXT NOT NULL,
    url TEXT NOT NULL,
    head_seq INTEGER NOT NULL,
    head_sha256 TEXT NOT NULL,
    stated_at TEXT NOT NULL,
    nonce TEXT,
    requested_at TEXT NOT NULL,
    response_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    certs_sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    run_id INTEGER REFERENCES runs(id)
);

CREATE INDEX timestamps_head ON timestamps(head_seq);

CREATE TABLE wayback (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    run_id INTEGER REFERENCES runs(id),
    kind TEXT NOT NULL CHECK (kind IN ('saved', 'nearest')),
    url TEXT NOT NULL,
    snapshot_at TEXT,
    recorded_at TEXT NOT NULL,
    detail TEXT
);

CREATE INDEX wayback_post ON wayback(post_id);

ALTER TABLE log RENAME TO log_v8;

CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'status_check', 'post', 'article', 'citation',
                                       'event', 'blob', 'timestamp', 'wayback')),
    ref_table TEXT NOT NULL CHECK (ref_table IN ('captures', 'status_checks', 'posts', 'articles', 'article_posts',
                                                 'events', 'blobs', 'timestamps', 'wayback')),
    ref_id INTEGER,
    ref_key TEXT,
    logged_at TEXT NOT NULL,
    late INTEGER NOT NULL DEFAULT 0,
    content_sha256 TEXT NOT NULL,
    prev_sha256 TEXT NOT NULL,
    entry_sha256 TEXT NOT NULL,
    key_id TEXT,
    signature TEXT,
    CHECK ((ref_id IS NULL) != (ref_key IS NULL))
);

INSERT INTO log (seq, kind, ref_table, ref_id, ref_key, logged_at, late, content_sha256, prev_sha256, entry_sha256,
                 key_id, signature)
SELECT seq, kind, ref_table, ref_id, ref_key, logged_at, late, content_sha256, prev_sha256, entry_sha256, key_id,
       signature
FROM log_v8 ORDER BY seq;

DROP TABLE log_v8;

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

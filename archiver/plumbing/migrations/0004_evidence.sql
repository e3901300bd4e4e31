-- Evidence: a hash chain over every capture and status check, the public keys that sign
-- it, and perceptual hashes of images. Rows already in the archive predate the chain:
-- log_late records how far they go, and archiver chains them (marked late) on its next
-- write or `archiver verify`, since SQL cannot compute SHA-256.
CREATE TABLE log (
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
);

CREATE TABLE log_late (
    ref_table TEXT PRIMARY KEY,
    up_to_id INTEGER NOT NULL,
    chained_at TEXT
);

CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,
    algorithm TEXT NOT NULL DEFAULT 'ed25519',
    public_key TEXT NOT NULL,
    added_at TEXT NOT NULL,
    first_seq INTEGER
);

CREATE TABLE image_hashes (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    algorithm TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (sha256, algorithm)
);

CREATE UNIQUE INDEX log_ref ON log(ref_table, ref_id);

INSERT INTO log_late (ref_table, up_to_id) SELECT 'captures', max(id) FROM captures HAVING count(*) > 0;
INSERT INTO log_late (ref_table, up_to_id) SELECT 'status_checks', max(id) FROM status_checks HAVING count(*) > 0;

-- Logged-in capture (issue 14): a user may give archiver their own cookies for a platform
-- (archive --cookies). Their values are never stored; what was made with them says so:
-- the platforms whose cookies went with an exchange's request, with the requests a capture
-- came from, with a status check's; NULL when none did (everything before this version).
ALTER TABLE exchanges ADD COLUMN logged_in TEXT;
ALTER TABLE captures ADD COLUMN logged_in TEXT;
ALTER TABLE status_checks ADD COLUMN logged_in TEXT;

-- A reader is shown whether a capture or check was made logged in, so the log hashes it:
-- captures are logged as 'capture_v3' and checks as 'status_check_v2' from now on (earlier
-- entries keep their kinds and hashes). The kind CHECK changes, so the table is rebuilt;
-- its entries are copied as they are.
ALTER TABLE log RENAME TO log_v14;

CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'capture_v3', 'status_check', 'status_check_v2',
                                       'post', 'post_v2', 'article', 'citation', 'event', 'blob', 'timestamp',
                                       'wayback', 'seen_embed', 'embed_region')),
    ref_table TEXT NOT NULL CHECK (ref_table IN ('captures', 'status_checks', 'posts', 'articles', 'article_posts',
                                                 'events', 'blobs', 'timestamps', 'wayback', 'seen_embeds',
                                                 'embed_regions')),
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
FROM log_v14 ORDER BY seq;

DROP TABLE log_v14;

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

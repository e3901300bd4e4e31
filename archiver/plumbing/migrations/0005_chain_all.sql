-- Evidence: the log covers every fact a reader is shown, not only captures and status
-- checks: posts, articles, citations (article_posts), events and blobs, each row when
-- inserted and again after every change of its current state. Rows keyed otherwise
-- than by an integer id (blobs, article_posts) are named by ref_key. A row is logged
-- more than once, so (ref_table, ref_id) is no longer unique. The kind and table CHECKs
-- change, so the table is rebuilt; its entries are copied as they are (their hashes
-- do not cover the new column).
ALTER TABLE log RENAME TO log_v4;

CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'status_check', 'post', 'article', 'citation', 'event', 'blob')),
    ref_table TEXT NOT NULL CHECK (ref_table IN ('captures', 'status_checks', 'posts', 'articles', 'article_posts',
                                                 'events', 'blobs')),
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
SELECT seq, kind, ref_table, ref_id, NULL, logged_at, late, content_sha256, prev_sha256, entry_sha256, key_id, signature
FROM log_v4 ORDER BY seq;

DROP TABLE log_v4;

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

-- Rows already there predate the log of their table: chained (marked late) on the next
-- write or `archiver verify`. For blobs and article_posts the limit is a rowid.
INSERT INTO log_late (ref_table, up_to_id) SELECT 'posts', max(id) FROM posts HAVING count(*) > 0;
INSERT INTO log_late (ref_table, up_to_id) SELECT 'articles', max(id) FROM articles HAVING count(*) > 0;
INSERT INTO log_late (ref_table, up_to_id) SELECT 'article_posts', max(rowid) FROM article_posts HAVING count(*) > 0;
INSERT INTO log_late (ref_table, up_to_id) SELECT 'events', max(id) FROM events HAVING count(*) > 0;
INSERT INTO log_late (ref_table, up_to_id) SELECT 'blobs', max(rowid) FROM blobs HAVING count(*) > 0;

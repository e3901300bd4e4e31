-- Replies (issue 13): the post a post replies to, when the platform's record names one
-- (Bluesky's reply.parent, Mastodon's in_reply_to_id). It is archived too, like a quoted
-- post, and shown on the reply's page. NULL: not a reply, or archived before version 14.
ALTER TABLE posts ADD COLUMN reply_to_post_id INTEGER REFERENCES posts(id);

-- The log chains posts with that column from now on (kind 'post_v2'; entries of kind
-- 'post' keep their fields): its kind CHECK changes, so the table is rebuilt; its entries
-- are copied as they are.
ALTER TABLE log RENAME TO log_v13;

CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'status_check', 'post', 'post_v2', 'article',
                                       'citation', 'event', 'blob', 'timestamp', 'wayback', 'seen_embed',
                                       'embed_region')),
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
FROM log_v13 ORDER BY seq;

DROP TABLE log_v13;

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

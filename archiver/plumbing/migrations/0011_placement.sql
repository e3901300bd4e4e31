-- Placement (issue 12): every embed the finder sees in an article is recorded, with where
-- it sits: 'body', the article's own content, or 'page', the page around it (sidebars,
-- widgets, comments, webmentions, teasers of other articles). Body embeds are archived
-- and cited (article_posts) as before; page embeds are only recorded here, and archived
-- only when asked (archive --page-embeds). No post row is needed: a short link seen in a
-- sidebar is not followed unless asked, so its post may never be known.
CREATE TABLE IF NOT EXISTS seen_embeds (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    link TEXT NOT NULL,
    platform TEXT NOT NULL,
    native_id TEXT,
    form TEXT NOT NULL,
    placement TEXT NOT NULL CHECK (placement IN ('body', 'page')),
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    UNIQUE (article_id, link, form, placement)
);

CREATE INDEX IF NOT EXISTS seen_embeds_post ON seen_embeds(platform, native_id);

-- The log chains seen_embeds rows too (kind 'seen_embed'): its kind and table CHECKs
-- change, so the table is rebuilt; its entries are copied as they are.
ALTER TABLE log RENAME TO log_v10;

CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'status_check', 'post', 'article', 'citation',
                                       'event', 'blob', 'timestamp', 'wayback', 'seen_embed')),
    ref_table TEXT NOT NULL CHECK (ref_table IN ('captures', 'status_checks', 'posts', 'articles', 'article_posts',
                                                 'events', 'blobs', 'timestamps', 'wayback', 'seen_embeds')),
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
FROM log_v10 ORDER BY seq;

DROP TABLE log_v10;

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

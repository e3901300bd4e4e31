-- Regions (issue 15): where each citation sits in an article's page screenshot, recorded
-- when the page is shot. A post deleted before it was captured has no card of its own:
-- the article's screenshot shows what the page held in its place (the newsroom's
-- blockquote, a link, a placeholder), and this box says where. One row per citation
-- (article, post, link) and page screenshot: a citation present at several captures
-- has a box in each. Written once, never changed.
CREATE TABLE IF NOT EXISTS embed_regions (
    id INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES captures(id),
    article_id INTEGER NOT NULL REFERENCES articles(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    link TEXT NOT NULL,
    x INTEGER NOT NULL,
    y INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    element TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    UNIQUE (capture_id, post_id, link)
);

CREATE INDEX IF NOT EXISTS embed_regions_citation ON embed_regions(post_id, article_id);
CREATE INDEX IF NOT EXISTS embed_regions_article ON embed_regions(article_id, capture_id);

-- The log chains embed_regions rows too (kind 'embed_region'): its kind and table CHECKs
-- change, so the table is rebuilt; its entries are copied as they are.
ALTER TABLE log RENAME TO log_v12;

CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'status_check', 'post', 'article', 'citation',
                                       'event', 'blob', 'timestamp', 'wayback', 'seen_embed', 'embed_region')),
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
FROM log_v12 ORDER BY seq;

DROP TABLE log_v12;

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

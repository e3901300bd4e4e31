-- Sweeps: every check of a post recorded, when each item is next due, what changed.
ALTER TABLE posts ADD COLUMN next_check_at TEXT;
ALTER TABLE posts ADD COLUMN content_fingerprint TEXT;
ALTER TABLE articles ADD COLUMN watched INTEGER NOT NULL DEFAULT 1;
ALTER TABLE articles ADD COLUMN next_check_at TEXT;
ALTER TABLE article_posts ADD COLUMN last_seen_at TEXT;
ALTER TABLE article_posts ADD COLUMN removed_at TEXT;

CREATE TABLE status_checks (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    run_id INTEGER REFERENCES runs(id),
    checked_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('live', 'deleted', 'unavailable', 'unknown')),
    signals TEXT NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    detected_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('deleted', 'unavailable', 'restored', 'edited', 'media_changed',
                                       'embed_added', 'embed_removed', 'embed_returned')),
    post_id INTEGER REFERENCES posts(id),
    article_id INTEGER REFERENCES articles(id),
    detail TEXT
);

CREATE INDEX status_checks_post ON status_checks(post_id, checked_at);
CREATE INDEX events_detected ON events(detected_at);
CREATE INDEX events_post ON events(post_id);
CREATE INDEX posts_due ON posts(next_check_at);
CREATE INDEX articles_due ON articles(watched, next_check_at);

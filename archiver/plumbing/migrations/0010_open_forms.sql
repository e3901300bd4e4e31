-- Forms are an open vocabulary: article_posts.form loses its CHECK, so a platform may
-- record a form of its own (a script widget, a CMS wrapper, …) without a migration.
-- SQLite cannot drop a constraint: the table is rebuilt in place, its rows, indexes
-- and triggers as they were, each row under its rowid.
CREATE TABLE article_posts_open (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    link TEXT NOT NULL,
    form TEXT NOT NULL,
    embed_text TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT,
    removed_at TEXT,
    PRIMARY KEY (article_id, post_id, link)
);

-- Rowids kept: log_late names the citations that predate the log by rowid.
INSERT INTO article_posts_open (rowid, article_id, post_id, link, form, embed_text, first_seen_at, last_seen_at,
                                removed_at)
SELECT rowid, article_id, post_id, link, form, embed_text, first_seen_at, last_seen_at, removed_at FROM article_posts;

DROP TABLE article_posts;

-- Triggers on posts read article_posts, which is missing for this one statement: the
-- legacy rename leaves them as they are (they name article_posts, as the table will be).
PRAGMA legacy_alter_table = ON;
ALTER TABLE article_posts_open RENAME TO article_posts;
PRAGMA legacy_alter_table = OFF;

CREATE INDEX article_posts_post ON article_posts(post_id);
CREATE INDEX article_posts_removed ON article_posts(removed_at);

CREATE TRIGGER article_posts_fts_insert AFTER INSERT ON article_posts BEGIN
    DELETE FROM posts_fts WHERE rowid = new.post_id;
    INSERT INTO posts_fts (rowid, text, embed_text, author)
    SELECT p.id, p.text,
           (SELECT group_concat(DISTINCT embed_text) FROM article_posts WHERE post_id = p.id),
           coalesce(p.author_handle, '') || ' ' || coalesce(p.author_name, '')
    FROM posts p WHERE p.id = new.post_id;
END;

CREATE TRIGGER article_posts_fts_update AFTER UPDATE OF embed_text ON article_posts
WHEN old.embed_text IS NOT new.embed_text
BEGIN
    DELETE FROM posts_fts WHERE rowid = new.post_id;
    INSERT INTO posts_fts (rowid, text, embed_text, author)
    SELECT p.id, p.text,
           (SELECT group_concat(DISTINCT embed_text) FROM article_posts WHERE post_id = p.id),
           coalesce(p.author_handle, '') || ' ' || coalesce(p.author_name, '')
    FROM posts p WHERE p.id = new.post_id;
END;

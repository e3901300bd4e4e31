-- Browsing (archiver serve): thumbnails, full-text search, a label for posts, indexes for sorting and facets.

-- A small JPEG of each image capture (photo, poster, screenshot, page_screenshot), made at
-- capture time. Its file is a blob like any other; capture rows are never changed.
CREATE TABLE thumbnails (
    capture_id INTEGER PRIMARY KEY REFERENCES captures(id),
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    path TEXT NOT NULL,         -- relative to the data directory
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    mime TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- What a person recognises a post by, where another table points at it: author and text start.
ALTER TABLE posts ADD COLUMN label TEXT GENERATED ALWAYS AS (
    '@' || coalesce(author_handle, '?') || ': ' || substr(replace(coalesce(text, ''), char(10), ' '), 1, 80)
) VIRTUAL;

-- Full-text search over each post's text, its author and the newsroom's copies of it
-- (article_posts.embed_text); rowid is posts.id. Kept in sync by the triggers below.
CREATE VIRTUAL TABLE posts_fts USING fts5(
    text, embed_text, author,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, text, embed_text, author)
    VALUES (new.id, new.text,
            (SELECT group_concat(DISTINCT embed_text) FROM article_posts WHERE post_id = new.id),
            coalesce(new.author_handle, '') || ' ' || coalesce(new.author_name, ''));
END;

CREATE TRIGGER posts_fts_update AFTER UPDATE OF text, author_handle, author_name ON posts
WHEN old.text IS NOT new.text OR old.author_handle IS NOT new.author_handle OR old.author_name IS NOT new.author_name
BEGIN
    DELETE FROM posts_fts WHERE rowid = old.id;
    INSERT INTO posts_fts (rowid, text, embed_text, author)
    VALUES (new.id, new.text,
            (SELECT group_concat(DISTINCT embed_text) FROM article_posts WHERE post_id = new.id),
            coalesce(new.author_handle, '') || ' ' || coalesce(new.author_name, ''));
END;

CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    DELETE FROM posts_fts WHERE rowid = old.id;
END;

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

-- Sorting newest first and faceting without scanning every row.
CREATE INDEX posts_first_archived ON posts(first_archived_at);
CREATE INDEX posts_author ON posts(author_handle);
CREATE INDEX posts_platform ON posts(platform);
CREATE INDEX articles_first_archived ON articles(first_archived_at);
CREATE INDEX article_posts_removed ON article_posts(removed_at);
CREATE INDEX events_kind ON events(kind, detected_at);

-- Archives made before this migration: index the posts they already hold.
INSERT INTO posts_fts (rowid, text, embed_text, author)
SELECT p.id, p.text,
       (SELECT group_concat(DISTINCT embed_text) FROM article_posts WHERE post_id = p.id),
       coalesce(p.author_handle, '') || ' ' || coalesce(p.author_name, '')
FROM posts p;

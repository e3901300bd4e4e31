-- archiver's database: the current schema, applied as a whole to a new archive.
-- Older archives are upgraded in place by archiver/migrations/NNNN_*.sql; each
-- migration applied is recorded in schema_migrations. Times are ISO 8601 UTC.
-- This schema is a public interface: people query it in Datasette.

CREATE TABLE schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
);

-- One invocation of archiver that captured anything.
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    archiver_version TEXT NOT NULL,
    python_version TEXT,
    os TEXT,
    user_agent TEXT,            -- what archiver's own HTTP client sent
    proxy_host TEXT,            -- host of the proxy used, never its credentials
    browser_version TEXT,       -- NULL when the run rendered nothing
    browser_user_agent TEXT
);

-- Every stored file, once: content-addressed and never changed.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,  -- relative to the data directory
    bytes INTEGER NOT NULL,
    mime TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,   -- as given by the user
    final_url TEXT,             -- after redirects
    title TEXT,
    http_status INTEGER,
    content_type TEXT,
    first_archived_at TEXT NOT NULL,
    last_fetched_at TEXT
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    platform TEXT NOT NULL,
    native_id TEXT NOT NULL,    -- the platform's own id (a tweet id, as text)
    url TEXT NOT NULL,          -- canonical: https://x.com/<handle>/status/<id>
    author_handle TEXT,
    author_name TEXT,
    text TEXT,
    lang TEXT,
    created_at TEXT,            -- from the platform, else from the snowflake id
    status TEXT NOT NULL CHECK (status IN ('live', 'deleted', 'unavailable', 'unknown')),
    quoted_post_id INTEGER REFERENCES posts(id),
    capture_complete INTEGER NOT NULL DEFAULT 0,  -- 1 once every capture its status calls for is stored
    first_archived_at TEXT NOT NULL,
    last_checked_at TEXT,
    UNIQUE (platform, native_id)
);

-- Where an article cites a post: one row per distinct link to it.
CREATE TABLE article_posts (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    link TEXT NOT NULL,         -- the URL as found in the article
    form TEXT NOT NULL CHECK (form IN ('blockquote', 'iframe', 'amp', 'status_link', 'pic_link', 'short_link')),
    embed_text TEXT,            -- the newsroom's copy of the post, when the embed holds one
    first_seen_at TEXT NOT NULL,
    PRIMARY KEY (article_id, post_id, link)
);

-- How each short or media link was resolved, hop by hop (one row per link, updated).
CREATE TABLE links (
    url TEXT PRIMARY KEY,
    final_url TEXT,
    hops TEXT NOT NULL,         -- JSON list of {"url", "status"}
    resolved_at TEXT NOT NULL,
    error TEXT
);

-- Every HTTP response received, by archiver's client and by the browser.
CREATE TABLE exchanges (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    client TEXT NOT NULL CHECK (client IN ('http', 'browser')),
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    status INTEGER,
    headers TEXT,               -- JSON list of [name, value]
    started_at TEXT NOT NULL,
    sha256 TEXT REFERENCES blobs(sha256),  -- the body; NULL when none was kept
    bytes INTEGER
);

-- Every file captured, what it shows, and when. Re-captures add rows.
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    post_id INTEGER REFERENCES posts(id),
    article_id INTEGER REFERENCES articles(id),
    kind TEXT NOT NULL,         -- html, page_screenshot, data, screenshot, photo, video, poster
    captured_at TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    path TEXT NOT NULL,         -- relative to the data directory; its SHA-256 is sha256
    mime TEXT,
    bytes INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    source_url TEXT,
    source TEXT                 -- for data: 'syndication' or 'oembed'
);

CREATE INDEX captures_post ON captures(post_id, kind);
CREATE INDEX captures_article ON captures(article_id, kind);
CREATE INDEX captures_sha256 ON captures(sha256);
CREATE INDEX exchanges_run ON exchanges(run_id);
CREATE INDEX article_posts_post ON article_posts(post_id);
CREATE INDEX posts_status ON posts(status);

-- archiver's database: the current schema, applied as a whole to a new archive.
-- Older archives are upgraded in place by archiver/plumbing/migrations/NNNN_*.sql; each
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
    browser_user_agent TEXT,
    tools TEXT                  -- JSON: outside tools the run used, by name, with their versions ({"yt-dlp": "yt-dlp 2026.11.23"})
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
    last_fetched_at TEXT,
    watched INTEGER NOT NULL DEFAULT 1,  -- 0 after `archiver unwatch`: sweeps skip it
    next_check_at TEXT,         -- when a sweep next re-fetches it
    citations_at TEXT           -- when its citations were last brought up to date (NULL: never)
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
    next_check_at TEXT,         -- when a sweep next checks it
    content_fingerprint TEXT,   -- SHA-256 of the text and media last captured, to notice edits
    UNIQUE (platform, native_id)
);

-- Where an article cites a post: one row per distinct link to it.
CREATE TABLE article_posts (
    article_id INTEGER NOT NULL REFERENCES articles(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    link TEXT NOT NULL,         -- the URL as found in the article
    form TEXT NOT NULL,         -- how: an open vocabulary (archiver.platforms.base.FORMS): blockquote, iframe,
                                -- amp, status_link, pic_link, short_link, script_widget, cms_wrapper, or a
                                -- platform's own (no CHECK since schema version 10: 0010_open_forms.sql)
    embed_text TEXT,            -- the newsroom's copy of the post, when the embed holds one
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT,
    removed_at TEXT,            -- when the article was first seen without this link; NULL while present
    PRIMARY KEY (article_id, post_id, link)
);

-- Every embed the finder saw in an article, with where it sits (0011_placement.sql):
-- 'body', the article's own content (archived, and cited in article_posts), or 'page',
-- the page around it (sidebars, widgets, comments, webmentions, teasers of other
-- articles: recorded here only, archived when `archive --page-embeds` asks). No post row
-- is needed: native_id is NULL for a link never followed (a short link in a sidebar).
CREATE TABLE seen_embeds (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id),
    link TEXT NOT NULL,         -- the URL as found in the page
    platform TEXT NOT NULL,
    native_id TEXT,             -- the post's id on its platform, once known
    form TEXT NOT NULL,         -- as article_posts.form
    placement TEXT NOT NULL CHECK (placement IN ('body', 'page')),
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    UNIQUE (article_id, link, form, placement)
);

-- Where each citation sits in an article's page screenshot (0013_embed_regions.sql), measured
-- when the page was shot: for a post deleted before capture, the only picture of it is there.
-- One row per citation (article_id, post_id, link: an article_posts row) and page screenshot.
CREATE TABLE embed_regions (
    id INTEGER PRIMARY KEY,
    capture_id INTEGER NOT NULL REFERENCES captures(id),  -- the article's page_screenshot the box is in
    article_id INTEGER NOT NULL REFERENCES articles(id),
    post_id INTEGER NOT NULL REFERENCES posts(id),
    link TEXT NOT NULL,         -- with article_id and post_id: the citation
    x INTEGER NOT NULL,         -- the box, in the screenshot's pixels: left edge
    y INTEGER NOT NULL,         -- top edge
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    element TEXT NOT NULL,      -- what the box is of: 'card' (the post's card frame) or the element's tag
                                -- (blockquote, a, iframe, p, a platform's amp-… element…)
    recorded_at TEXT NOT NULL,
    UNIQUE (capture_id, post_id, link)
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
    bytes INTEGER,
    logged_in TEXT              -- the platforms whose cookies, given by the user (archive --cookies), went with the
                                -- request; NULL: none. Their values are never stored: Set-Cookie values redacted
);

-- Every file captured, what it shows, and when. Re-captures add rows.
CREATE TABLE captures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    post_id INTEGER REFERENCES posts(id),
    article_id INTEGER REFERENCES articles(id),
    kind TEXT NOT NULL,         -- html, page_screenshot, data, screenshot, photo, video, poster, audio, captions
    captured_at TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    path TEXT NOT NULL,         -- relative to the data directory; its SHA-256 is sha256
    mime TEXT,
    bytes INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    source_url TEXT,
    source TEXT,                -- for data: 'syndication' or 'oembed'
    duration REAL,              -- seconds, for videos and audio (read by ffprobe); NULL before v6
    checked_as TEXT,            -- JSON for media: how the file was checked and what it is (tool; format; codecs)
    logged_in TEXT              -- the platforms whose cookies, given by the user (archive --cookies), went with the
                                -- requests it came from: it shows what that account saw. NULL: made without them
);

-- Every check of a post's status, by an archive run or a sweep. posts.status is the latest verdict.
CREATE TABLE status_checks (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    run_id INTEGER REFERENCES runs(id),
    checked_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('live', 'deleted', 'unavailable', 'unknown')),
    signals TEXT NOT NULL,      -- JSON: each source's HTTP status (or error) and verdict
    logged_in TEXT              -- as captures.logged_in: the check was made with the user's cookies for these platforms
);

-- What sweeps noticed: a post gone or back, edited, its media changed; embeds added or removed.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id),
    detected_at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('deleted', 'unavailable', 'restored', 'edited', 'media_changed',
                                       'embed_added', 'embed_removed', 'embed_returned')),
    post_id INTEGER REFERENCES posts(id),
    article_id INTEGER REFERENCES articles(id),
    detail TEXT                 -- JSON: what it was and what it became
);

-- Evidence (issue 5). A hash chain over every fact a reader is shown: each capture, status
-- check, event and blob once; each post, article and citation when inserted and again after
-- every change of its state. An entry holds the SHA-256 of its row's canonical JSON (fixed
-- fields per kind) and of the entry before it, appended in the same transaction as the row;
-- `archiver verify` re-checks it. See archiver/evidence/chain.py.
CREATE TABLE log (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('capture', 'capture_v2', 'capture_v3', 'status_check', 'status_check_v2',
                                       'post', 'post_v2', 'article', 'citation', 'event', 'blob', 'timestamp',
                                       'wayback', 'seen_embed', 'embed_region')),
    ref_table TEXT NOT NULL CHECK (ref_table IN ('captures', 'status_checks', 'posts', 'articles', 'article_posts',
                                                 'events', 'blobs', 'timestamps', 'wayback', 'seen_embeds',
                                                 'embed_regions')),
    ref_id INTEGER,             -- the logged row's id in ref_table; NULL for blobs and article_posts
    ref_key TEXT,               -- blobs: sha256; article_posts: JSON [article_id, post_id, link]
    logged_at TEXT NOT NULL,
    late INTEGER NOT NULL DEFAULT 0,  -- 1: the row predates the log of its table (an upgraded archive), chained later
    content_sha256 TEXT NOT NULL,     -- SHA-256 of the row's canonical JSON, as it was when logged
    prev_sha256 TEXT NOT NULL,        -- the previous entry's entry_sha256 (64 zeros for the first)
    entry_sha256 TEXT NOT NULL,       -- SHA-256 of this entry's canonical JSON, signature excluded
    key_id TEXT,                      -- signing_keys.key_id of the key that signed it, if any
    signature TEXT,                   -- Ed25519 over entry_sha256, hex
    CHECK ((ref_id IS NULL) != (ref_key IS NULL))
);

-- Rows older than the log, per table: rowids up to up_to_id may be chained late (once).
CREATE TABLE log_late (
    ref_table TEXT PRIMARY KEY,
    up_to_id INTEGER NOT NULL,
    chained_at TEXT
);

-- Public keys whose signatures the log carries (`archiver keygen`); private keys never live here.
CREATE TABLE signing_keys (
    key_id TEXT PRIMARY KEY,          -- SHA-256 of the raw public key, hex
    algorithm TEXT NOT NULL DEFAULT 'ed25519',
    public_key TEXT NOT NULL,         -- raw public key, hex
    added_at TEXT NOT NULL,
    first_seq INTEGER                 -- first log entry it signed
);

-- Perceptual hashes of stored images (photos, posters, screenshots), by file.
CREATE TABLE image_hashes (
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    algorithm TEXT NOT NULL,          -- 'dhash64': 64-bit difference hash, hex
    hash TEXT NOT NULL,
    PRIMARY KEY (sha256, algorithm)
);

CREATE INDEX log_ref ON log(ref_table, ref_id, ref_key);

CREATE INDEX captures_post ON captures(post_id, kind);
CREATE INDEX captures_article ON captures(article_id, kind);
CREATE INDEX captures_sha256 ON captures(sha256);
CREATE INDEX exchanges_run ON exchanges(run_id);
CREATE INDEX article_posts_post ON article_posts(post_id);
CREATE INDEX posts_status ON posts(status);
CREATE INDEX status_checks_post ON status_checks(post_id, checked_at);
CREATE INDEX events_detected ON events(detected_at);
CREATE INDEX events_post ON events(post_id);
CREATE INDEX posts_due ON posts(next_check_at);
CREATE INDEX articles_due ON articles(watched, next_check_at);
CREATE INDEX seen_embeds_post ON seen_embeds(platform, native_id);
CREATE INDEX embed_regions_citation ON embed_regions(post_id, article_id);
CREATE INDEX embed_regions_article ON embed_regions(article_id, capture_id);

-- Browsing (archiver serve): thumbnails, full-text search, a label for posts, indexes
-- for sorting and facets. See archiver/plumbing/migrations/0003_browse.sql.

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

-- An article's history in the browser: archiver's fetches of its address. See 0007_article_history.sql.
CREATE INDEX exchanges_url ON exchanges(url, client);

-- Trusted time (issue 16): RFC 3161 timestamps of the log's head. Each says a Time-Stamp
-- Authority saw the head entry's SHA-256 (its message imprint) at stated_at, and so that
-- every entry up to head_seq existed by then. See archiver/evidence/timestamps.py.
CREATE TABLE timestamps (
    id INTEGER PRIMARY KEY,
    tsa TEXT NOT NULL,                -- the name the TSA is configured under (ARCHIVER_TSA)
    url TEXT NOT NULL,                -- where it was asked
    head_seq INTEGER NOT NULL,        -- the log entry stamped: it and every entry before it
    head_sha256 TEXT NOT NULL,        -- that entry's entry_sha256: the token's message imprint
    stated_at TEXT NOT NULL,          -- the time the TSA signed (its genTime), ISO 8601 UTC
    nonce TEXT,                       -- the request's nonce, decimal, echoed in the token
    requested_at TEXT NOT NULL,       -- archiver's own clock when it asked
    response_sha256 TEXT NOT NULL REFERENCES blobs(sha256),  -- the TSA's answer (TimeStampResp, DER)
    certs_sha256 TEXT NOT NULL REFERENCES blobs(sha256),     -- PEM: the certificates in the token, then the roots
    run_id INTEGER REFERENCES runs(id)
);

CREATE INDEX timestamps_head ON timestamps(head_seq);

-- Independent copies (opt-in, issue 16): a Wayback Machine capture asked for when a post was
-- archived ('saved'), or, for a post already gone at its first archive, the nearest copy
-- the Wayback Machine already held ('nearest').
CREATE TABLE wayback (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES posts(id),
    run_id INTEGER REFERENCES runs(id),
    kind TEXT NOT NULL CHECK (kind IN ('saved', 'nearest')),
    url TEXT NOT NULL,                -- the snapshot: https://web.archive.org/web/<timestamp>/<url>
    snapshot_at TEXT,                 -- when the Wayback Machine captured it, ISO 8601 UTC
    recorded_at TEXT NOT NULL,
    detail TEXT                       -- JSON: the job id, the status the copy was made from
);

CREATE INDEX wayback_post ON wayback(post_id);

-- Replies (0014_replies.sql): the post a post replies to, archived too, like a quoted post.
-- Logged from version 14 as kind 'post_v2' (the 'post' fields and this one).
ALTER TABLE posts ADD COLUMN reply_to_post_id INTEGER REFERENCES posts(id);
-- Distributed capture (archiver.distributed): the catalogue writer's bookkeeping. A run whose
-- work queue workers did is known by the key its dispatcher gave it; each task's result is
-- written once, with the task's id, in the transaction that writes its rows, so a result
-- delivered again (the writer was killed before acknowledging it) is recognised and skipped.
-- Bookkeeping, not evidence: neither table is in the log.
CREATE TABLE queue_runs (
    key TEXT PRIMARY KEY,                           -- the dispatcher's key for the run
    run_id INTEGER NOT NULL REFERENCES runs(id),
    tasks INTEGER NOT NULL,                         -- tasks handed out: the run ends when all are written
    created_at TEXT NOT NULL
);

CREATE TABLE queue_results (
    task TEXT PRIMARY KEY,                          -- the task's id (Celery's)
    run_key TEXT NOT NULL REFERENCES queue_runs(key),
    worker TEXT,                                    -- the worker that sent it
    ingested_at TEXT NOT NULL,
    outcome TEXT NOT NULL                           -- JSON: what the task reports (counts, errors, progress)
);

CREATE INDEX queue_results_run ON queue_results(run_key);

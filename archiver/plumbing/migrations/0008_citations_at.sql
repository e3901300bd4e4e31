-- When an article's citations were last brought up to date. NULL until the first time:
-- a run that recorded the article but ended before its citations (a full disk, a kill)
-- leaves it NULL, so the next run records them as the article's first, not as embeds
-- added. Articles already archived were brought up to date when they were fetched.
ALTER TABLE articles ADD COLUMN citations_at TEXT;
UPDATE articles SET citations_at = last_fetched_at;

-- Browsing: an article's history (fetched, gone) is read from archiver's own fetches of
-- its address; this index finds them without scanning every exchange.
CREATE INDEX IF NOT EXISTS exchanges_url ON exchanges(url, client);

-- Media checked for what they claim: a video's (or audio file's) length in seconds, as
-- ffprobe read it from the stored file, and the check's verdict (JSON: tool, container,
-- codecs). Older captures keep NULL: they were not checked this way.
-- Neither is among the evidence log's hashed fields (archiver/evidence/chain.py FIELDS),
-- so entries logged before these columns existed keep their hashes.
ALTER TABLE captures ADD COLUMN duration REAL;
ALTER TABLE captures ADD COLUMN checked_as TEXT;

-- The outside tools a run used, with their versions: yt-dlp copies video for some
-- platforms, and what it did depends on its version. JSON, by tool name; NULL when the run
-- used none. Runs are not among the evidence log's hashed tables.
ALTER TABLE runs ADD COLUMN tools TEXT;

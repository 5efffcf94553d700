-- Retention and deletion in small steps (README §Deploying, retention). Deleting a build used
-- to cascade to all of its events in one transaction: a 1 000 000-event build held the table
-- for seconds. Now a deletion removes the build row (readers see it gone at once) and leaves a
-- purge record; the janitor deletes the events, and the line index (one row per log line),
-- in bounded batches, one transaction each.
ALTER TABLE events DROP CONSTRAINT events_build_id_fkey;
ALTER TABLE log_lines DROP CONSTRAINT log_lines_build_id_fkey;

-- Builds whose events are still being removed. Re-creating such an id removes what is left
-- first, in its own transaction, so a new build never sees an old build's events.
CREATE TABLE build_purges (
  build_id  text        PRIMARY KEY,
  queued_at timestamptz NOT NULL DEFAULT now()
);

-- The retention sweep's question: which builds had no append since a cutoff.
CREATE INDEX builds_last_activity ON builds ((coalesce(last_event_at, created_at)));

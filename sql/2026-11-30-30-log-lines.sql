-- Line numbers of a build's log (PROTOCOL §Log lines): line n is the n-th committed `log` event
-- that is a well-formed line. Written in the commit transaction that moves the ack past the
-- line, so the index never holds a line above the ack, and a line's number never changes.
-- `log_lines_seq` is the seq up to which a build's lines are indexed: builds committed before
-- this migration start at 0 and are indexed by the server the first time their lines are read
-- (the well-formed rule and the search text are JavaScript, shared with the reducer, so they
-- are not re-implemented here in SQL).

ALTER TABLE builds ADD COLUMN log_lines bigint NOT NULL DEFAULT 0;

ALTER TABLE builds ADD COLUMN log_lines_seq bigint NOT NULL DEFAULT 0;

CREATE TABLE log_lines (
  build_id text   NOT NULL REFERENCES builds (build_id) ON DELETE CASCADE,
  n        bigint NOT NULL,
  seq      bigint NOT NULL,
  -- What the line shows (escape sequences applied, `\r` rewrites resolved), searched by
  -- GET /v1/builds/{id}/log/search.
  text     text   NOT NULL,
  -- Bytes of the event's stored data: pages of lines are cut by size as well as by count.
  bytes    integer NOT NULL,
  PRIMARY KEY (build_id, n)
);

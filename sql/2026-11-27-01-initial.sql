-- runlog initial schema: one row per build, one row per stored event keyed by (build, seq).
-- ack, final, epoch and digest live on the build row and only change inside the commit
-- transaction that stores the events they describe (PROTOCOL §Append).

CREATE TABLE builds (
  build_id      text PRIMARY KEY,
  -- Random per creation: tokens carry it, so re-creating a deleted buildId revokes old tokens.
  generation    text        NOT NULL,
  meta          text        NOT NULL DEFAULT '{}',
  created_at    timestamptz NOT NULL DEFAULT now(),
  -- Newest-first listing and its cursor; a sequence is stable where timestamps can tie.
  list_order    bigserial   NOT NULL UNIQUE,
  ack           bigint      NOT NULL DEFAULT 0,
  final         bigint,
  epoch         bigint      NOT NULL DEFAULT 0,
  digest        text        NOT NULL DEFAULT '',
  last_event_at timestamptz,
  -- Highest seq stored in the current epoch (≥ ack); above ack are gaps waiting to fill.
  max_seq       bigint      NOT NULL DEFAULT 0
);

CREATE TABLE events (
  build_id    text        NOT NULL REFERENCES builds (build_id) ON DELETE CASCADE,
  seq         bigint      NOT NULL,
  type        text        NOT NULL,
  -- The event's data as JSON text: returned to readers verbatim, spliced into frames unparsed.
  data        text        NOT NULL,
  time        text,
  received_at timestamptz NOT NULL,
  PRIMARY KEY (build_id, seq)
);

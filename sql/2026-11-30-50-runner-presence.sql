-- Runner presence (PROTOCOL §Runner presence): each build's latest runner report, written at most
-- once per interval per build. Its own table, not columns of `builds`: the commit transaction
-- locks build rows, and a presence write must never wait for, or hold up, a group commit.

CREATE TABLE runner_presence (
  build_id       text        PRIMARY KEY REFERENCES builds (build_id) ON DELETE CASCADE,
  -- When the server received the report (the wire's lastSeenAt); never moves backwards.
  seen_at        timestamptz NOT NULL,
  -- When this row was last written: the once-per-interval throttle across instances.
  written_at     timestamptz NOT NULL,
  backlog_events bigint      NOT NULL,
  backlog_bytes  bigint      NOT NULL,
  state          text        NOT NULL,
  host           text        NOT NULL,
  pid            bigint      NOT NULL,
  version        text        NOT NULL,
  interval_ms    integer     NOT NULL
);

-- The metrics read the runners heard from recently.
CREATE INDEX runner_presence_seen_at ON runner_presence (seen_at);

// Kysely's view of the tables in sql/. Column names are the SQL ones.
import type { Generated } from 'kysely';

export interface BuildsTable {
  build_id: string;
  generation: string;
  meta: string;
  created_at: Generated<Date>;
  list_order: Generated<number>;
  ack: Generated<number>;
  final: number | null;
  epoch: Generated<number>;
  digest: Generated<string>;
  last_event_at: Date | null;
  max_seq: Generated<number>;
  log_lines: Generated<number>;
  log_lines_seq: Generated<number>;
}

export interface EventsTable {
  build_id: string;
  seq: number;
  type: string;
  data: string;
  time: string | null;
  received_at: Date;
  /** `,"time":…,"receivedAt":"…"}`, as `eventJsonTail` renders it; NULL on rows older than the column. */
  json_tail: string | null;
}

export interface LogLinesTable {
  build_id: string;
  n: number;
  seq: number;
  text: string;
  bytes: number;
}

export interface RunnerPresenceTable {
  build_id: string;
  seen_at: Date;
  written_at: Date;
  backlog_events: number;
  backlog_bytes: number;
  state: string;
  host: string;
  pid: number;
  version: string;
  interval_ms: number;
}

export interface BuildPurgesTable {
  build_id: string;
  queued_at: Generated<Date>;
}

export interface DatabaseSchema {
  builds: BuildsTable;
  events: EventsTable;
  log_lines: LogLinesTable;
  runner_presence: RunnerPresenceTable;
  build_purges: BuildPurgesTable;
}

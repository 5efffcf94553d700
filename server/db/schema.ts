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
}

export interface EventsTable {
  build_id: string;
  seq: number;
  type: string;
  data: string;
  time: string | null;
  received_at: Date;
}

export interface BuildPurgesTable {
  build_id: string;
  queued_at: Generated<Date>;
}

export interface DatabaseSchema {
  builds: BuildsTable;
  events: EventsTable;
  build_purges: BuildPurgesTable;
}

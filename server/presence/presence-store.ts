// Runner presence in the database (sql/2026-11-30-50-runner-presence.sql): one row per build,
// shared by every instance. Writes are conditional, so the once-per-interval rule holds across
// instances and a late write never puts an older report over a newer one.
import { sql, type Kysely, type Selectable } from 'kysely';
import { RUNNER_SILENT_AFTER_INTERVALS } from '../../protocol/limits.js';
import type { RunnerConnectionState, RunnerPresence, RunnerReport } from '../../protocol/wire-types.js';
import type { DatabaseSchema, RunnerPresenceTable } from '../db/schema.js';
import type { WriteOutcome } from './presence-throttle.js';

export interface PresenceWrite {
  readonly buildId: string;
  /** The build's generation as the caller knew it; undefined (an admin token) skips the check. */
  readonly generation: string | undefined;
  readonly report: RunnerReport;
  /** When the server received the report: the wire's `lastSeenAt`. */
  readonly seenAt: Date;
  /** Now. */
  readonly writtenAt: Date;
  /** Refused when the stored row was written after this (another instance's window is open). */
  readonly notWrittenAfter: Date;
}

/** What `/metrics` shows of presence: running builds only, every instance's reports. */
export interface PresenceSummary {
  /** Runners heard from within `seenWithinMs`. */
  readonly seen: number;
  readonly backlogEvents: number;
  readonly backlogBytes: number;
  /** Runners quiet for more than RUNNER_SILENT_AFTER_INTERVALS intervals, heard from within `horizonMs`. */
  readonly silent: number;
}

export class PresenceStore {
  readonly #db: Kysely<DatabaseSchema>;

  constructor(db: Kysely<DatabaseSchema>) {
    this.#db = db;
  }

  async write(w: PresenceWrite): Promise<WriteOutcome> {
    const r = w.report;
    // INSERT … SELECT from builds: nothing is written for a build that is gone or was created
    // again since (another generation), and no foreign-key error is raised for it either.
    const written = await sql<{ build_id: string }>`
      INSERT INTO runner_presence AS p (build_id, seen_at, written_at, backlog_events, backlog_bytes, state, host, pid, version, interval_ms)
      SELECT b.build_id, ${w.seenAt.toISOString()}::timestamptz, ${w.writtenAt.toISOString()}::timestamptz,
        ${r.backlog.events}::bigint, ${r.backlog.bytes}::bigint, ${r.state}, ${r.host}, ${r.pid}::bigint, ${r.version}, ${r.intervalMs}::integer
      FROM builds b
      WHERE b.build_id = ${w.buildId} AND (${w.generation ?? null}::text IS NULL OR b.generation = ${w.generation ?? null}::text)
      ON CONFLICT (build_id) DO UPDATE SET
        seen_at = excluded.seen_at, written_at = excluded.written_at, backlog_events = excluded.backlog_events,
        backlog_bytes = excluded.backlog_bytes, state = excluded.state, host = excluded.host, pid = excluded.pid,
        version = excluded.version, interval_ms = excluded.interval_ms
      WHERE p.seen_at < excluded.seen_at AND p.written_at <= ${w.notWrittenAfter.toISOString()}::timestamptz
      RETURNING p.build_id`.execute(this.#db);
    if (written.rows.length > 0) return 'written';
    // Refused: no such build, a newer report is stored, or another instance wrote within the window.
    const row = await this.#db.selectFrom('runner_presence').select('seen_at').where('build_id', '=', w.buildId).executeTakeFirst();
    if (row === undefined) return 'gone';
    return row.seen_at.getTime() >= w.seenAt.getTime() ? 'superseded' : 'throttled';
  }

  async get(buildId: string): Promise<RunnerPresence | null> {
    const row = await this.#db.selectFrom('runner_presence').selectAll().where('build_id', '=', buildId).executeTakeFirst();
    return row === undefined ? null : toPresence(row);
  }

  async getMany(buildIds: readonly string[]): Promise<Map<string, RunnerPresence>> {
    const found = new Map<string, RunnerPresence>();
    if (buildIds.length === 0) return found;
    const rows = await this.#db.selectFrom('runner_presence').selectAll().where('build_id', 'in', [...new Set(buildIds)]).execute();
    for (const row of rows) found.set(row.build_id, toPresence(row));
    return found;
  }

  async summary(now: Date, seenWithinMs: number, horizonMs: number): Promise<PresenceSummary> {
    const seenSince = new Date(now.getTime() - seenWithinMs).toISOString();
    const horizon = new Date(now.getTime() - horizonMs).toISOString();
    const at = now.toISOString();
    const result = await sql<{ seen: number; backlog_events: number; backlog_bytes: number; silent: number }>`
      SELECT
        count(*) FILTER (WHERE p.seen_at > ${seenSince}::timestamptz)::bigint AS seen,
        coalesce(sum(p.backlog_events) FILTER (WHERE p.seen_at > ${seenSince}::timestamptz), 0)::bigint AS backlog_events,
        coalesce(sum(p.backlog_bytes) FILTER (WHERE p.seen_at > ${seenSince}::timestamptz), 0)::bigint AS backlog_bytes,
        count(*) FILTER (WHERE p.seen_at < ${at}::timestamptz - p.interval_ms * ${RUNNER_SILENT_AFTER_INTERVALS} * interval '1 millisecond')::bigint AS silent
      FROM runner_presence p JOIN builds b ON b.build_id = p.build_id
      WHERE p.seen_at > ${horizon}::timestamptz AND (b.final IS NULL OR b.ack < b.final)`.execute(this.#db);
    const row = result.rows[0];
    return {
      seen: Number(row?.seen ?? 0),
      backlogEvents: Number(row?.backlog_events ?? 0),
      backlogBytes: Number(row?.backlog_bytes ?? 0),
      silent: Number(row?.silent ?? 0),
    };
  }
}

function toPresence(row: Selectable<RunnerPresenceTable>): RunnerPresence {
  return {
    lastSeenAt: row.seen_at.toISOString(),
    backlog: { events: Number(row.backlog_events), bytes: Number(row.backlog_bytes) },
    state: row.state as RunnerConnectionState,
    host: row.host,
    pid: Number(row.pid),
    version: row.version,
    intervalMs: Number(row.interval_ms),
  };
}

// LogStore over kysely: the SQL of PROTOCOL §Append and §Read, the same for PGlite and PostgreSQL.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BuildsTable, DatabaseSchema } from '../db/schema.js';
import { ProblemError, buildNotFound } from '../errors.js';
import { encodeHubMessage, type HubAddress } from './hub-message.js';
import { applyBatch, type AppendBatch, type BuildWriteState, type StoredEvent } from './append-plan.js';
import type { BuildAdvance, BuildRecord, CommitOutcome, CreateBuildInput, LogStore, PageFormat, PendingAppend, StoredPage } from './log-store.js';
import { eventJsonTail, type PageBounds } from './event-json.js';
import { catchUpLineIndex, lineRowsInsert, readLineData, readLines, searchLines, type LineIndexState, type SearchResult, type StoredLine } from './kysely-log-lines.js';
import { numberLines, type LineRow } from './log-lines.js';


export interface KyselyLogStoreOptions {
  readonly maxGapWindow: number;
  /** Tells other instances of each commit, inside its transaction (PostgreSQL only). */
  readonly notify: HubAddress | undefined;
}

export class KyselyLogStore implements LogStore {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #options: KyselyLogStoreOptions;

  constructor(db: Kysely<DatabaseSchema>, options: KyselyLogStoreOptions) {
    this.#db = db;
    this.#options = options;
  }

  async createBuild(input: CreateBuildInput): Promise<{ build: BuildRecord; created: boolean }> {
    const inserted = await this.#db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('builds')
        .values({ build_id: input.buildId, generation: input.generation, meta: JSON.stringify(input.meta) })
        .onConflict((oc) => oc.column('build_id').doNothing())
        .returningAll()
        .executeTakeFirst();
      // An id deleted earlier whose events (and line index) are still being purged: remove the
      // rest now, so the new build starts empty. Deleting the purge record waits for a purge
      // batch in progress.
      if (row && (await trx.deleteFrom('build_purges').where('build_id', '=', input.buildId).executeTakeFirst()).numDeletedRows > 0n) {
        await trx.deleteFrom('events').where('build_id', '=', input.buildId).execute();
        await trx.deleteFrom('log_lines').where('build_id', '=', input.buildId).execute();
      }
      return row;
    });
    if (inserted) return { build: toBuildRecord(inserted), created: true };
    const existing = await this.getBuild(input.buildId);
    // Deleted between the two statements: the caller may simply retry.
    if (!existing) throw buildNotFound(input.buildId);
    return { build: existing, created: false };
  }

  async getBuild(buildId: string): Promise<BuildRecord | undefined> {
    const row = await this.#db.selectFrom('builds').selectAll().where('build_id', '=', buildId).executeTakeFirst();
    return row && toBuildRecord(row);
  }

  async listBuilds(limit: number, beforeOrder: number | undefined): Promise<BuildRecord[]> {
    let query = this.#db.selectFrom('builds').selectAll().orderBy('list_order', 'desc').limit(limit);
    if (beforeOrder !== undefined) query = query.where('list_order', '<', beforeOrder);
    return (await query.execute()).map(toBuildRecord);
  }

  async deleteBuild(buildId: string, idleBefore?: Date): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      let query = trx.deleteFrom('builds').where('build_id', '=', buildId);
      if (idleBefore !== undefined) query = query.where(sql<Date>`coalesce(last_event_at, created_at)`, '<', idleBefore);
      const result = await query.executeTakeFirst();
      if (Number(result.numDeletedRows) === 0) return false;
      await trx.insertInto('build_purges').values({ build_id: buildId }).onConflict((oc) => oc.column('build_id').doNothing()).execute();
      return true;
    });
  }

  async storedBeyondAck(top: number): Promise<{ total: number; builds: Array<{ buildId: string; events: number }> }> {
    // max_seq − ack bounds the stored-above-ack count from above (gaps are not stored), cheaply.
    const rows = await this.#db
      .selectFrom('builds')
      .select(['build_id', sql<number>`max_seq - ack`.as('beyond'), sql<number>`sum(max_seq - ack) over ()`.as('total')])
      .where(sql<boolean>`max_seq > ack`)
      .orderBy('beyond', 'desc')
      .limit(top)
      .execute();
    return { total: Number(rows[0]?.total ?? 0), builds: rows.map((r) => ({ buildId: r.build_id, events: Number(r.beyond) })) };
  }

  async idleBuilds(cutoff: Date, limit: number): Promise<string[]> {
    const rows = await this.#db
      .selectFrom('builds')
      .select('build_id')
      .where(sql<Date>`coalesce(last_event_at, created_at)`, '<', cutoff)
      .orderBy(sql`coalesce(last_event_at, created_at)`)
      .limit(limit)
      .execute();
    return rows.map((r) => r.build_id);
  }

  async purgeBatch(maxEvents: number): Promise<{ buildId: string; events: number; done: boolean } | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      // SKIP LOCKED: a purge record another transaction holds (a create of the same id) is left alone.
      const purge = await trx.selectFrom('build_purges').select('build_id').orderBy('queued_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
      if (!purge) return undefined;
      const buildId = purge.build_id;
      const deleted = await sql`
        DELETE FROM events WHERE build_id = ${buildId} AND seq IN (
          SELECT seq FROM events WHERE build_id = ${buildId} ORDER BY seq DESC LIMIT ${maxEvents})`.execute(trx);
      const events = Number(deleted.numAffectedRows ?? 0n);
      // The build's line index (one row per log line) goes in batches of the same bound.
      const lines = await sql`
        DELETE FROM log_lines WHERE build_id = ${buildId} AND n IN (
          SELECT n FROM log_lines WHERE build_id = ${buildId} ORDER BY n DESC LIMIT ${maxEvents})`.execute(trx);
      const done = events < maxEvents && Number(lines.numAffectedRows ?? 0n) < maxEvents;
      if (done) await trx.deleteFrom('build_purges').where('build_id', '=', buildId).execute();
      return { buildId, events, done };
    });
  }

  async readPage(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat): Promise<StoredPage> {
    if (upTo <= after || bounds.limit <= 0) return { last: after, count: 0, text: '' };
    const { rows } = await this.pageQuery(buildId, after, upTo, bounds, format).execute(this.#db);
    const row = rows[0];
    return row && row.last !== null ? { last: row.last, count: row.count, text: row.text ?? '' } : { last: after, count: 0, text: '' };
  }

  /**
   * One page of the log, rendered by the database: the events' `Event` JSON (as `eventJson`
   * builds it) joined by commas, or their SSE frames (as `eventFrame`) back to back. One row,
   * one string: the server does no work per event, and parses nothing.
   *
   * Seqs at or below the ack are contiguous (the ack is the longest stored prefix), so the page
   * is exactly `(after, min(upTo, after + limit)]`: with both ends bounded the scan touches
   * `limit` rows wherever the page starts. Bounded by `upTo` alone, a table without statistics
   * (PGlite never analyses; PostgreSQL not until autovacuum) got a bitmap scan over the whole
   * rest of the log plus a sort, per page. The page then stops at the first event whose data
   * reaches `maxBytes` (`octet_length` reads a TOASTed value's size without fetching it), so a
   * page of 256 KiB events is as bounded in memory as a page of small ones.
   */
  pageQuery(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat) {
    const end = Math.min(upTo, after + bounds.limit);
    // One concat() per row (a chain of || allocates every intermediate string). A type matches
    // EVENT_TYPE_PATTERN, which holds nothing JSON escapes, so it is quoted as it is. The tail
    // was stored at commit; rows older than that column get it rendered here, from a received_at
    // stored from a JS Date: milliseconds, printed as Date#toISOString prints them.
    const tail = sql`COALESCE(json_tail, concat(',"time":', COALESCE(to_json(time)::text, 'null'),
      ',"receivedAt":"', to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), '"}'))`;
    const item =
      format === 'sse'
        ? sql`concat('id: ', seq, E'\ndata: {"seq":', seq, ',"type":"', type, '","data":', data, ${tail}, E'\n\n')`
        : sql`concat('{"seq":', seq, ',"type":"', type, '","data":', data, ${tail})`;
    return sql<{ last: number | null; count: number; text: string | null }>`
      SELECT max(seq) AS last, count(*)::int AS count, string_agg(${item}, ${format === 'sse' ? '' : ','} ORDER BY seq) AS text
      FROM (
        SELECT seq, type, data, time, received_at, json_tail, sum(octet_length(data)) OVER (ORDER BY seq ROWS UNBOUNDED PRECEDING) - octet_length(data) AS before
        FROM events WHERE build_id = ${buildId} AND seq > ${after} AND seq <= ${end}
      ) page
      WHERE before < ${bounds.maxBytes}`;
  }

  async readLogLines(build: BuildRecord, after: number, limit: number, maxBytes: number): Promise<StoredLine[]> {
    return readLines(this.#db, build.buildId, after, build.logLines.count, limit, maxBytes);
  }

  async readLogLineData(build: BuildRecord, after: number, limit: number, maxBytes: number): Promise<Array<{ n: number; data: string }>> {
    return readLineData(this.#db, build.buildId, after, build.logLines.count, limit, maxBytes);
  }

  async searchLogLines(build: BuildRecord, query: string, after: number, limit: number): Promise<SearchResult> {
    return searchLines(this.#db, build.buildId, query, build.logLines.count, after, limit);
  }

  async indexLogLines(buildId: string): Promise<void> {
    await catchUpLineIndex(this.#db, buildId);
  }

  async commit(appends: readonly PendingAppend[], receivedAt: Date): Promise<CommitOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const states = await this.#lockBuilds(trx, appends);
      const results = appends.map((append) => {
        const state = states.get(append.buildId);
        if (!state) return { ok: false as const, problem: buildNotFound(append.buildId) };
        if (append.generation !== undefined && append.generation !== state.generation) {
          return { ok: false as const, problem: new ProblemError('unauthorized', 'The token was issued for an earlier build with this id.') };
        }
        return applyBatch(state.write, append.batch, receivedAt, this.#options.maxGapWindow);
      });
      const advances = await this.#write(trx, [...states.values()]);
      return { results, advances };
    });
  }

  /** Locks every build of the group in id order (no deadlock between instances) and loads its state. */
  async #lockBuilds(trx: Transaction<DatabaseSchema>, appends: readonly PendingAppend[]) {
    const ids = [...new Set(appends.map((a) => a.buildId))].sort();
    const rows = await trx.selectFrom('builds').selectAll().where('build_id', 'in', ids).orderBy('build_id').forUpdate().execute();
    const states = new Map<string, LockedBuild>();
    // Grouped once: a group of 1 000 appends over 500 builds must not filter the appends per build.
    const batchesOf = new Map<string, AppendBatch[]>();
    for (const a of appends) {
      const list = batchesOf.get(a.buildId);
      if (list) list.push(a.batch);
      else batchesOf.set(a.buildId, [a.batch]);
    }
    const slow: Array<{ write: BuildWriteState; lo: number; hi: number }> = [];
    for (const row of rows) {
      const write: BuildWriteState = {
        buildId: row.build_id,
        ack: row.ack,
        final: row.final,
        epoch: row.epoch,
        digest: row.digest,
        maxSeq: row.max_seq,
        lastEventAt: row.last_event_at,
        stored: new Map(),
        discardAbove: null,
        inserts: [],
        newlyAcked: [],
      };
      const batches = batchesOf.get(row.build_id)!;
      const lo = Math.min(...batches.map((b) => b.from));
      const hi = Math.max(...batches.map((b) => b.from + b.events.length - 1));
      // Fast path, the live edge: nothing stored above the ack and the batches start past it.
      if (row.max_seq > row.ack || lo <= row.max_seq) slow.push({ write, lo, hi });
      states.set(row.build_id, { generation: row.generation, write, lines: { count: row.log_lines, seq: row.log_lines_seq } });
    }
    await loadStoredEvents(trx, slow);
    return states;
  }

  async #write(trx: Transaction<DatabaseSchema>, locked: LockedBuild[]): Promise<BuildAdvance[]> {
    const states = locked.map((l) => l.write);
    for (const state of states) {
      if (state.discardAbove !== null) {
        await trx.deleteFrom('events').where('build_id', '=', state.buildId).where('seq', '>', state.discardAbove).execute();
      }
    }
    // PROTOCOL §Log lines: the lines the ack passed get their numbers in the same transaction,
    // when the build's index is current (else catchUpLineIndex fills it on the first read).
    const lineIds: string[] = [];
    const lineRows: LineRow[] = [];
    const lines = new Map<string, LineIndexState>();
    for (const { write, lines: index } of locked) {
      if (write.newlyAcked.length === 0 || index.seq !== write.newlyAcked[0]!.seq - 1) {
        lines.set(write.buildId, index);
        continue;
      }
      const rows = numberLines(write.newlyAcked, index.count);
      for (const row of rows) lineIds.push(write.buildId), lineRows.push(row);
      lines.set(write.buildId, { count: index.count + rows.length, seq: write.ack });
    }
    const changed = states.filter((s) => s.inserts.length > 0 || s.discardAbove !== null || s.newlyAcked.length > 0);
    const advances: BuildAdvance[] = changed
      .filter((s) => s.newlyAcked.length > 0 || s.discardAbove !== null)
      .map((s) => ({ buildId: s.buildId, ack: s.ack, final: s.final, events: s.newlyAcked }));

    // One statement writes it all — events, line index, builds, the NOTIFY — however many
    // builds the group holds: every round trip inside the transaction is paid by every append
    // waiting on its row locks. Rows travel as arrays, one parameter a column, so building and
    // sending it costs the same for 1 row as for 10 000.
    const writes = [];
    const inserts = states.flatMap((s) => s.inserts.map((e) => ({ buildId: s.buildId, event: e })));
    if (inserts.length > 0) {
      // A group's new events share one receivedAt: printed once, not once per event.
      const receivedAtIsos = isoStrings(inserts.map((r) => r.event.receivedAt));
      writes.push(sql`new_events AS (
        INSERT INTO events (build_id, seq, type, data, time, received_at, json_tail)
        SELECT * FROM unnest(
          ${inserts.map((r) => r.buildId)}::text[], ${inserts.map((r) => r.event.seq)}::bigint[],
          ${inserts.map((r) => r.event.type)}::text[], ${inserts.map((r) => r.event.data)}::text[],
          ${inserts.map((r) => r.event.time)}::text[], ${receivedAtIsos}::timestamptz[],
          ${inserts.map((r, i) => eventJsonTail(r.event.time, receivedAtIsos[i]!))}::text[]))`);
    }
    if (lineRows.length > 0) writes.push(sql`new_lines AS (${lineRowsInsert(lineIds, lineRows)})`);
    if (changed.length > 0) {
      writes.push(sql`moved AS (
        UPDATE builds AS b SET ack = u.ack, final = u.final, epoch = u.epoch, digest = u.digest,
          last_event_at = u.last_event_at, max_seq = u.max_seq, log_lines = u.log_lines, log_lines_seq = u.log_lines_seq
        FROM unnest(
          ${changed.map((s) => s.buildId)}::text[], ${changed.map((s) => s.ack)}::bigint[],
          ${changed.map((s) => s.final)}::bigint[], ${changed.map((s) => s.epoch)}::bigint[],
          ${changed.map((s) => s.digest)}::text[], ${changed.map((s) => s.lastEventAt?.toISOString() ?? null)}::timestamptz[],
          ${changed.map((s) => s.maxSeq)}::bigint[], ${changed.map((s) => lines.get(s.buildId)!.count)}::bigint[],
          ${changed.map((s) => lines.get(s.buildId)!.seq)}::bigint[])
          AS u(build_id, ack, final, epoch, digest, last_event_at, max_seq, log_lines, log_lines_seq)
        WHERE b.build_id = u.build_id)`);
    }
    if (writes.length === 0) return advances;
    const address = this.#options.notify;
    // NOTIFY inside the transaction is delivered at commit, never for a rolled-back group.
    const notify =
      address !== undefined && advances.length > 0
        ? sql`SELECT pg_notify(${address.channel}, p) FROM unnest(${advances.map((a) => encodeHubMessage({ kind: 'advanced', buildId: a.buildId, ack: a.ack, final: a.final }, address.origin))}::text[]) AS p`
        : sql`SELECT 1`;
    await sql`WITH ${sql.join(writes)} ${notify}`.execute(trx);
    return advances;
  }
}

/**
 * The stored events each build's batches touch (their seq range) and everything stored above its
 * ack, for all builds of a group in one statement. One query per build made a group of 500 builds
 * that arrived out of order or resent (the slow path) cost 500 round trips inside the commit.
 * Each build's two ranges are separate index range scans — `[min(lo, ack + 1), hi]` and
 * `(max(ack, hi), ∞)`, together exactly `[lo, hi] ∪ (ack, ∞)` — so a resend far below the ack
 * reads only its own range.
 */
async function loadStoredEvents(trx: Transaction<DatabaseSchema>, builds: ReadonlyArray<{ write: BuildWriteState; lo: number; hi: number }>): Promise<void> {
  if (builds.length === 0) return;
  const byId = new Map(builds.map((b) => [b.write.buildId, b.write]));
  const { rows } = await sql<{ build_id: string; seq: number; type: string; data: string; time: string | null; received_at: Date }>`
    SELECT r.build_id, e.seq, e.type, e.data, e.time, e.received_at
    FROM unnest(${builds.map((b) => b.write.buildId)}::text[], ${builds.map((b) => b.lo)}::bigint[],
                ${builds.map((b) => b.hi)}::bigint[], ${builds.map((b) => b.write.ack)}::bigint[]) AS r(build_id, lo, hi, ack)
    CROSS JOIN LATERAL (
      SELECT seq, type, data, time, received_at FROM events WHERE build_id = r.build_id AND seq >= least(r.lo, r.ack + 1) AND seq <= r.hi
      UNION ALL
      SELECT seq, type, data, time, received_at FROM events WHERE build_id = r.build_id AND seq > greatest(r.ack, r.hi)
    ) e`.execute(trx);
  for (const r of rows) {
    byId.get(r.build_id)!.stored.set(r.seq, { seq: r.seq, type: r.type, data: r.data, time: r.time, receivedAt: r.received_at });
  }
}

/** Each date as Date#toISOString prints it, printing a run of the same date once. */
function isoStrings(dates: readonly Date[]): string[] {
  let last: Date | undefined;
  let iso = '';
  return dates.map((date) => {
    if (date !== last && date.getTime() !== last?.getTime()) iso = date.toISOString();
    last = date;
    return iso;
  });
}

function toBuildRecord(row: Selectable<BuildsTable>): BuildRecord {
  return {
    buildId: row.build_id,
    generation: row.generation,
    meta: JSON.parse(row.meta) as Record<string, unknown>,
    createdAt: row.created_at,
    listOrder: row.list_order,
    ack: row.ack,
    final: row.final,
    epoch: row.epoch,
    digest: row.digest,
    lastEventAt: row.last_event_at,
    logLines: { count: row.log_lines, seq: row.log_lines_seq },
  };
}

/** A build's row as one commit group locked it. */
interface LockedBuild {
  readonly generation: string;
  readonly write: BuildWriteState;
  readonly lines: LineIndexState;
}

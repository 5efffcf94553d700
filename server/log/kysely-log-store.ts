// LogStore over kysely: the SQL of PROTOCOL §Append and §Read, the same for PGlite and PostgreSQL.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { BuildsTable, DatabaseSchema } from '../db/schema.js';
import { ProblemError, buildNotFound } from '../errors.js';
import type { HubAddress } from './hub-message.js';
import { applyBatch, type AppendBatch, type BuildWriteState, type PlanResult, type StoredEvent } from './append-plan.js';
import type { BuildAdvance, BuildRecord, CommitOutcome, CreateBuildInput, LogStore, PageFormat, PendingAppend, StoredPage } from './log-store.js';
import type { PageBounds } from './event-json.js';
import { writeGroup } from './group-write.js';
import { catchUpLineIndex, readLineData, readLines, searchLines, type SearchResult, type StoredLine } from './kysely-log-lines.js';
import { readPage } from './kysely-page-read.js';
import { REMEMBERED_ROWS, RememberedRows, lockedBuild, rememberedRow, type BuildRow, type LockedBuild } from './remembered-rows.js';


export interface KyselyLogStoreOptions {
  readonly maxGapWindow: number;
  /** Tells other instances of each commit, inside its transaction (PostgreSQL only). */
  readonly notify: HubAddress | undefined;
}

export class KyselyLogStore implements LogStore {
  readonly #db: Kysely<DatabaseSchema>;
  readonly #options: KyselyLogStoreOptions;
  /** The builds rows as this instance's last commits left them (see `commit`). */
  readonly #rows = new RememberedRows(REMEMBERED_ROWS);

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
    if (inserted) {
      // Its first append is then at the live edge of a remembered row: one statement, not the
      // four round trips of the locked way.
      this.#rows.remember(buildRowOf(inserted));
      return { build: toBuildRecord(inserted), created: true };
    }
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
    // A commit on the remembered row would find it gone anyway (the guard); this spares it the try.
    this.#rows.forget(buildId);
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

  readPage(buildId: string, after: number, upTo: number, bounds: PageBounds, format: PageFormat): Promise<StoredPage> {
    return readPage(this.#db, buildId, after, upTo, bounds, format);
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

  /**
   * Commits a group. Builds at their live edge that this instance committed last — the common
   * case — are planned on their remembered rows and written by one autocommitted statement whose
   * UPDATE takes each build only if its row is still as remembered: one round trip instead of
   * four (BEGIN, the locking read, the write, COMMIT), each of which every append of the group
   * waited for. The other builds, and those whose rows moved meanwhile (another instance, a
   * deletion), take the row locks and read the rows first.
   */
  async commit(appends: readonly PendingAppend[], receivedAt: Date): Promise<CommitOutcome> {
    const edge = this.#rows.atEdge(appends);
    if (edge.size === 0) return this.#commitLocked(appends, receivedAt);
    const atEdge = appends.flatMap((a, i) => (edge.has(a.buildId) ? [i] : []));
    const planned = this.#plan(atEdge.map((i) => appends[i]!), edge, receivedAt);
    let written: { advances: BuildAdvance[]; taken: ReadonlySet<string> };
    try {
      written = await this.#write(this.#db, [...edge.values()], true);
    } catch (error) {
      // Another writer stored one of these seqs first, or a deadlock was broken by failing this
      // statement: it wrote nothing.
      const code = (error as { code?: unknown }).code;
      if (code !== UNIQUE_VIOLATION && code !== DEADLOCK_DETECTED) throw error;
      written = { advances: [], taken: new Set() };
    }
    // Rows another writer moved are forgotten; their builds go the locked way with the rest.
    for (const buildId of edge.keys()) if (!written.taken.has(buildId)) this.#rows.forget(buildId);
    const results: Array<PlanResult | undefined> = appends.map(() => undefined);
    atEdge.forEach((i, k) => {
      if (written.taken.has(appends[i]!.buildId)) results[i] = planned[k];
    });
    const rest = appends.flatMap((a, i) => (results[i] === undefined ? [i] : []));
    if (rest.length === 0) return { results: results as PlanResult[], advances: written.advances };
    const locked = await this.#commitLocked(rest.map((i) => appends[i]!), receivedAt);
    rest.forEach((i, k) => (results[i] = locked.results[k]));
    return { results: results as PlanResult[], advances: [...written.advances, ...locked.advances] };
  }

  async #commitLocked(appends: readonly PendingAppend[], receivedAt: Date): Promise<CommitOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const states = await this.#lockBuilds(trx, appends);
      const results = this.#plan(appends, states, receivedAt);
      const { advances } = await this.#write(trx, [...states.values()], false);
      return { results, advances };
    });
  }

  #plan(appends: readonly PendingAppend[], states: ReadonlyMap<string, LockedBuild>, receivedAt: Date): PlanResult[] {
    return appends.map((append) => {
      const state = states.get(append.buildId);
      if (!state) return { ok: false as const, problem: buildNotFound(append.buildId) };
      if (append.generation !== undefined && append.generation !== state.generation) {
        return { ok: false as const, problem: new ProblemError('unauthorized', 'The token was issued for an earlier build with this id.') };
      }
      return applyBatch(state.write, append.batch, receivedAt, this.#options.maxGapWindow);
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
    const slow: StoredRead[] = [];
    for (const row of rows) {
      const locked = lockedBuild(buildRowOf(row));
      const batches = batchesOf.get(row.build_id)!;
      const lo = Math.min(...batches.map((b) => b.from));
      const hi = Math.max(...batches.map((b) => b.from + b.events.length - 1));
      const reachesAck = batches.some((b) => b.from <= row.ack + 1 && row.ack + 1 < b.from + b.events.length);
      // Fast path, the live edge: nothing stored above the ack and the batches start past it.
      if (row.max_seq > row.ack || lo <= row.max_seq) slow.push({ write: locked.write, lo, hi, reachesAck });
      states.set(row.build_id, locked);
    }
    await loadStoredEvents(trx, slow);
    return states;
  }

  /** Writes what the group planned (`writeGroup`) and remembers the rows it wrote. */
  async #write(executor: Kysely<DatabaseSchema> | Transaction<DatabaseSchema>, locked: readonly LockedBuild[], guarded: boolean): Promise<{ advances: BuildAdvance[]; taken: ReadonlySet<string> }> {
    const written = await writeGroup(executor, locked, guarded, this.#options.notify);
    for (const l of locked) {
      if (written.taken.has(l.write.buildId)) this.#rows.remember(rememberedRow(l, written.lines.get(l.write.buildId)!));
    }
    return written;
  }
}

/** What a slow-path build of a group needs read: its batches' seq range and whether one reaches ack + 1. */
interface StoredRead {
  readonly write: BuildWriteState;
  readonly lo: number;
  readonly hi: number;
  readonly reachesAck: boolean;
}

/**
 * The stored events each build's batches touch (their seq range) and what is stored above its
 * ack, for all builds of a group in one statement. One query per build made a group of 500
 * builds that arrived out of order or resent (the slow path) cost 500 round trips inside the
 * commit. Each range is its own index range scan, so a resend far below the ack reads only its
 * own range:
 * - a build whose batches reach ack + 1 gets the content of `[min(lo, ack + 1), hi]` and of
 *   `(max(ack, hi), ∞)` — together `[lo, hi] ∪ (ack, ∞)`, all the ack may move onto;
 * - any other build's ack cannot move, so above its ack only the seqs are read, outside
 *   `[lo, hi]`. A runner whose one batch is late keeps appending above the gap; reading the
 *   content of all that again in each of its commits made them quadratic in how long the gap
 *   lasted (the bench's 500 small builds read 626 000–730 000 events for 37 000 appended).
 */
async function loadStoredEvents(trx: Transaction<DatabaseSchema>, builds: readonly StoredRead[]): Promise<void> {
  if (builds.length === 0) return;
  const byId = new Map(builds.map((b) => [b.write.buildId, b.write]));
  const { rows } = await sql<{ build_id: string; seq: number; read: boolean; type: string; data: string; time: string | null; received_at: Date }>`
    SELECT r.build_id, e.seq, e.read, e.type, e.data, e.time, e.received_at
    FROM unnest(${builds.map((b) => b.write.buildId)}::text[], ${builds.map((b) => b.lo)}::bigint[], ${builds.map((b) => b.hi)}::bigint[],
                ${builds.map((b) => b.write.ack)}::bigint[], ${builds.map((b) => b.reachesAck)}::boolean[]) AS r(build_id, lo, hi, ack, reaches)
    CROSS JOIN LATERAL (
      SELECT seq, true AS read, type, data, time, received_at FROM events
        WHERE build_id = r.build_id AND seq >= CASE WHEN r.reaches THEN least(r.lo, r.ack + 1) ELSE r.lo END AND seq <= r.hi
      UNION ALL
      SELECT seq, true, type, data, time, received_at FROM events WHERE r.reaches AND build_id = r.build_id AND seq > greatest(r.ack, r.hi)
      UNION ALL
      SELECT seq, false, NULL, NULL, NULL, NULL FROM events WHERE NOT r.reaches AND build_id = r.build_id AND seq > r.ack AND seq < r.lo
      UNION ALL
      SELECT seq, false, NULL, NULL, NULL, NULL FROM events WHERE NOT r.reaches AND build_id = r.build_id AND seq > greatest(r.ack, r.hi)
    ) e`.execute(trx);
  for (const r of rows) {
    const write = byId.get(r.build_id)!;
    if (r.read) write.stored.set(r.seq, { seq: r.seq, type: r.type, data: r.data, time: r.time, receivedAt: r.received_at });
    else write.storedUnread.add(r.seq);
  }
}

function buildRowOf(row: Selectable<BuildsTable>): BuildRow {
  return {
    buildId: row.build_id,
    generation: row.generation,
    ack: row.ack,
    final: row.final,
    epoch: row.epoch,
    digest: row.digest,
    maxSeq: row.max_seq,
    lastEventAt: row.last_event_at,
    lines: { count: row.log_lines, seq: row.log_lines_seq },
  };
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

/** PostgreSQL's unique_violation and deadlock_detected. */
const UNIQUE_VIOLATION = '23505';
const DEADLOCK_DETECTED = '40P01';

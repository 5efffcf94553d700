// The line index over kysely (PROTOCOL §Log lines): written with each commit, caught up for
// builds from before it existed, read by number, searched, and paged by size for the download.
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { bigintArray, textArray } from '../db/column-arrays.js';
import type { DatabaseSchema } from '../db/schema.js';
import type { StoredEvent } from './append-plan.js';
import { numberLines, type LineRow } from './log-lines.js';

/** Where a build's index stands. */
export interface LineIndexState {
  /** Lines indexed. */
  readonly count: number;
  /** The seq up to which they are indexed; equal to the ack when the index is current. */
  readonly seq: number;
}

/** A line as read: its number and its event. */
export interface StoredLine {
  readonly n: number;
  readonly event: StoredEvent;
}

/** Events read per transaction while catching up an old build's index. */
const CATCH_UP_EVENTS = 10_000;

/**
 * The INSERT of numbered lines, `rows[i]` of build `buildIds[i]`, one array parameter a column:
 * a statement, or a commit's CTE; `where` filters the rows (`l`).
 */
export function lineRowsInsert(buildIds: readonly string[], rows: readonly LineRow[], where: RawBuilder<unknown> = sql``) {
  return sql`
    INSERT INTO log_lines (build_id, n, seq, text, bytes)
    SELECT * FROM unnest(${textArray(buildIds)}, ${bigintArray(rows.map((r) => r.n))}, ${bigintArray(rows.map((r) => r.seq))},
      ${textArray(rows.map((r) => r.text))}, ${bigintArray(rows.map((r) => r.bytes))}::int[]) AS l(build_id, n, seq, text, bytes)
    ${where}`;
}

/**
 * Indexes the build's lines up to its ack when the commits since the migration did not (a build
 * committed before the index existed). Each chunk runs under the build's row lock, the lock
 * commits take, so a chunk and a commit never number the same line twice.
 */
export async function catchUpLineIndex(db: Kysely<DatabaseSchema>, buildId: string): Promise<void> {
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      const build = await trx.selectFrom('builds').select(['ack', 'log_lines', 'log_lines_seq']).where('build_id', '=', buildId).forUpdate().executeTakeFirst();
      if (!build || build.log_lines_seq >= build.ack) return true;
      const events = await trx
        .selectFrom('events')
        .select(['seq', 'type', 'data', 'time', 'received_at'])
        .where('build_id', '=', buildId)
        .where('seq', '>', build.log_lines_seq)
        .where('seq', '<=', build.ack)
        .orderBy('seq')
        .limit(CATCH_UP_EVENTS)
        .execute();
      const upTo = events.length === CATCH_UP_EVENTS ? events.at(-1)!.seq : build.ack;
      const rows = numberLines(
        events.map((e) => ({ seq: e.seq, type: e.type, data: e.data, time: e.time, receivedAt: e.received_at })),
        build.log_lines,
      );
      if (rows.length > 0) await lineRowsInsert(rows.map(() => buildId), rows).execute(trx);
      await trx.updateTable('builds').set({ log_lines: build.log_lines + rows.length, log_lines_seq: upTo }).where('build_id', '=', buildId).execute();
      return upTo >= build.ack;
    });
    if (done) return;
  }
}

/** Lines `after < n ≤ upTo`, ascending, at most `limit`, cut after the line that passes `maxBytes` of data. */
export async function readLines(db: Kysely<DatabaseSchema>, buildId: string, after: number, upTo: number, limit: number, maxBytes: number): Promise<StoredLine[]> {
  const index = await pageIndex(db, buildId, after, upTo, limit, maxBytes);
  if (index.length === 0) return [];
  const events = await db
    .selectFrom('events')
    .select(['seq', 'type', 'data', 'time', 'received_at'])
    .where('build_id', '=', buildId)
    .where('seq', '>=', index[0]!.seq)
    .where('seq', '<=', index.at(-1)!.seq)
    .where('type', '=', 'log')
    .orderBy('seq')
    .execute();
  return joinBySeq(index, events, (row, e) => ({ n: row.n, event: { seq: Number(e.seq), type: e.type, data: e.data, time: e.time, receivedAt: new Date(e.received_at) } }));
}

/** The `data` of lines `after < n ≤ upTo` (as readLines cuts them), for the raw download: no more columns than it writes. */
export async function readLineData(db: Kysely<DatabaseSchema>, buildId: string, after: number, upTo: number, limit: number, maxBytes: number): Promise<Array<{ n: number; data: string }>> {
  const index = await pageIndex(db, buildId, after, upTo, limit, maxBytes);
  if (index.length === 0) return [];
  const events = await db
    .selectFrom('events')
    .select(['seq', 'data'])
    .where('build_id', '=', buildId)
    .where('seq', '>=', index[0]!.seq)
    .where('seq', '<=', index.at(-1)!.seq)
    .where('type', '=', 'log')
    .orderBy('seq')
    .execute();
  return joinBySeq(index, events, (row, e) => ({ n: row.n, data: e.data }));
}

/** Index rows `after < n ≤ upTo`, at most `limit`, cut after the row that passes `maxBytes`: read before any data is. */
async function pageIndex(db: Kysely<DatabaseSchema>, buildId: string, after: number, upTo: number, limit: number, maxBytes: number): Promise<Array<{ n: number; seq: number }>> {
  if (upTo <= after || limit <= 0) return [];
  const rows = await db
    .selectFrom('log_lines')
    .select(['n', 'seq', 'bytes'])
    .where('build_id', '=', buildId)
    .where('n', '>', after)
    .where('n', '<=', upTo)
    .orderBy('n')
    .limit(limit)
    .execute();
  const page: Array<{ n: number; seq: number }> = [];
  let bytes = 0;
  for (const row of rows) {
    if (bytes >= maxBytes) break;
    page.push({ n: Number(row.n), seq: Number(row.seq) });
    bytes += row.bytes;
  }
  return page;
}

/**
 * Lines are in seq order, so their events come from one range scan rather than a lookup per
 * line; a `log` event in the range that is no line (malformed) is skipped by the join.
 */
function joinBySeq<R extends { seq: number }, E extends { seq: number }, T>(index: readonly R[], events: readonly E[], make: (row: R, event: E) => T): T[] {
  const out: T[] = [];
  let k = 0;
  for (const row of index) {
    while (k < events.length && Number(events[k]!.seq) < row.seq) k++;
    const event = events[k];
    if (event === undefined || Number(event.seq) !== row.seq) break; // deleted meanwhile
    out.push(make(row, event));
  }
  return out;
}

export interface SearchResult {
  /** Matching lines among `1..upTo`. */
  readonly count: number;
  /** The matching line numbers above `after`, ascending, at most `limit`. */
  readonly matches: number[];
}

/** Lines `1..upTo` whose shown text contains `query`, ignoring case. */
export async function searchLines(db: Kysely<DatabaseSchema>, buildId: string, query: string, upTo: number, after: number, limit: number): Promise<SearchResult> {
  // PostgreSQL folds both sides, so the two agree on every character's case.
  const needle = sql`lower(${query})`;
  const { rows } = await sql<{ n: number; total: number }>`
    SELECT n, total FROM (
      SELECT n, count(*) OVER () AS total FROM log_lines
      WHERE build_id = ${buildId} AND n <= ${upTo} AND strpos(lower(text), ${needle}) > 0
    ) m
    WHERE n > ${after}
    ORDER BY n LIMIT ${limit}`.execute(db);
  if (rows.length > 0) return { count: Number(rows[0]!.total), matches: rows.map((r) => Number(r.n)) };
  if (after === 0) return { count: 0, matches: [] };
  const counted = await sql<{ total: number }>`
    SELECT count(*) AS total FROM log_lines WHERE build_id = ${buildId} AND n <= ${upTo} AND strpos(lower(text), ${needle}) > 0`.execute(db);
  return { count: Number(counted.rows[0]?.total ?? 0), matches: [] };
}

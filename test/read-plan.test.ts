// The page read's cost must not grow with where in the log it starts (ARCHITECTURE §The log
// engine): on a table without statistics — PGlite never analyses, PostgreSQL not until
// autovacuum does — a page bounded only by the ack made the planner scan the whole rest of the
// log and sort it, so catching up on a long build was quadratic. Counted from the plan itself.
import { CompiledQuery, sql, type Kysely, type KyselyPlugin, type PluginTransformQueryArgs, type PluginTransformResultArgs, type QueryResult, type RootOperationNode, type UnknownRow } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../server/db/database.js';
import { eventFrame, eventJson } from '../server/log/event-json.js';
import { KyselyLogStore } from '../server/log/kysely-log-store.js';
import { pageQuery, wholePageQuery } from '../server/log/kysely-page-read.js';
import type { StoredPage } from '../server/log/log-store.js';
import { BACKENDS, type BackendDatabase } from './support/backends.js';

const EVENTS = 20_000;
const PAGE = 500;

interface PlanNode {
  'Node Type': string;
  'Actual Rows': number;
  Plans?: PlanNode[];
}

/** Keeps every statement the store sends (its query tree, as JSON: the SQL text is in it). */
class StatementRecorder implements KyselyPlugin {
  constructor(readonly statements: string[]) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.statements.push(JSON.stringify(args.node));
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** A page's text as the engine joins it. */
const jsonText = (page: StoredPage) => page.parts.join(',');
const sseText = (page: StoredPage) => page.parts.join('');

/** Every node of the plan, depth first. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** The most rows any node of the plan produced: what the page read touched. */
function mostRowsOfAnyNode(node: PlanNode): number {
  return Math.max(node['Actual Rows'], ...(node.Plans ?? []).map(mostRowsOfAnyNode));
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`the page read on ${backend.name}`, () => {
    let target: BackendDatabase;
    let database: Database;
    let store: KyselyLogStore;

    beforeAll(async () => {
      target = await backend.fresh();
      database = await openDatabase({ databaseUrl: target.databaseUrl, databaseSchema: target.databaseSchema, dataDir: target.dataDir });
      store = new KyselyLogStore(database.db, { maxGapWindow: 10_000, notify: undefined });
      const db = database.db as Kysely<unknown>;
      if (database.kind === 'postgres') await sql`ALTER TABLE events SET (autovacuum_enabled = false)`.execute(db);
      await sql`INSERT INTO builds (build_id, generation, ack, max_seq) VALUES ('long', 'g', ${EVENTS}, ${EVENTS}), ('other', 'g', ${EVENTS}, ${EVENTS})`.execute(db);
      for (const buildId of ['long']) {
        await sql`INSERT INTO events (build_id, seq, type, data, time, received_at)
          SELECT ${buildId}, g, 'log', '{"line":"' || repeat('x', 1500) || '"}', NULL, now() FROM generate_series(1, ${EVENTS}::int) g`.execute(db);
      }
    });
    afterAll(async () => {
      await database?.close();
      await target?.drop();
    });

    async function plan(after: number, query: 'pageQuery' | 'wholePageQuery'): Promise<PlanNode> {
      const page = { pageQuery, wholePageQuery }[query]('long', after, EVENTS, { limit: PAGE, maxBytes: 1 << 30 }, 'sse').compile(database.db);
      const aggregate = page.sql.slice(page.sql.indexOf('string_agg('));
      // An ordered aggregate sorts its input itself, however it arrives (PostgreSQL 15).
      expect(aggregate.slice(0, aggregate.indexOf(' AS text')), query).not.toMatch(/ORDER BY/);
      const result = await database.db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${page.sql}`, [...page.parameters]));
      const cell = Object.values(result.rows[0]!)[0];
      const parsed = (typeof cell === 'string' ? JSON.parse(cell) : cell) as Array<{ Plan: PlanNode }>;
      return parsed[0]!.Plan;
    }

    it('runs on a table that has no statistics', async () => {
      if (database.kind !== 'postgres') return; // PGlite has no autovacuum at all
      const stats = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stats WHERE schemaname = current_schema() AND tablename = 'events'`.execute(database.db);
      expect(stats.rows[0]!.n).toBe(0);
    });

    it('touches one page of rows wherever in the log the page starts, cut by bytes or whole', async () => {
      for (const query of ['pageQuery', 'wholePageQuery'] as const) {
        const early = mostRowsOfAnyNode(await plan(0, query));
        const late = mostRowsOfAnyNode(await plan(EVENTS - 2 * PAGE, query));
        expect([query, early, late]).toEqual([query, PAGE, PAGE]);
      }
    });

    it('reads the page in the index order and sorts nothing', async () => {
      for (const query of ['pageQuery', 'wholePageQuery'] as const) {
        const types = planNodes(await plan(EVENTS / 2, query)).map((n) => n['Node Type']);
        expect(types, `${query}: ${types.join(', ')}`).toContain('Index Scan');
        expect(types.filter((t) => t === 'Sort' || t === 'Bitmap Heap Scan'), query).toEqual([]);
      }
    });

    it('joins a page in seq order when the rows are not stored in seq order', async () => {
      const db = database.db as Kysely<unknown>;
      const n = 300;
      await sql`INSERT INTO builds (build_id, generation, ack, max_seq) VALUES ('backwards', 'g', ${n}, ${n})`.execute(db);
      // Highest seq first: a scan in storage order would join them backwards.
      await sql`INSERT INTO events (build_id, seq, type, data, time, received_at)
        SELECT 'backwards', g, 'log', '{"n":' || g || '}', NULL, now() FROM generate_series(${n}::int, 1, -1) g`.execute(db);
      const stored = (await sql<{ seq: number }>`SELECT seq FROM events WHERE build_id = 'backwards' ORDER BY ctid`.execute(db)).rows.map((r) => Number(r.seq));
      expect(stored).not.toEqual([...stored].sort((a, b) => a - b));
      const ascending = Array.from({ length: n - 10 }, (_, i) => i + 11);
      // Whole, and cut by bytes (the running sum's query): each event's data is 8–10 bytes.
      const whole = await store.readPage('backwards', 10, n, { limit: n, maxBytes: 1 << 20 }, 'json');
      expect((JSON.parse(`[${jsonText(whole)}]`) as Array<{ seq: number }>).map((e) => e.seq)).toEqual(ascending);
      const cut = await store.readPage('backwards', 10, n, { limit: n, maxBytes: 2000 }, 'sse');
      const ids = [...sseText(cut).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids.length).toBeGreaterThan(100);
      expect(ids).toEqual(ascending.slice(0, ids.length));
    });

    it('brings a whole page in parts of tens of KiB, in order', async () => {
      // 1 511-byte data: about 40 events a part, so a 500-event page in a dozen or more.
      const page = await store.readPage('long', 1000, EVENTS, { limit: PAGE, maxBytes: 1 << 30 }, 'sse');
      expect(page).toMatchObject({ last: 1000 + PAGE, count: PAGE });
      expect(page.parts.length).toBeGreaterThanOrEqual(10);
      for (const part of page.parts) expect(part.length).toBeLessThan(128 * 1024);
      const ids = [...sseText(page).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
      expect(ids).toEqual(Array.from({ length: PAGE }, (_, i) => 1001 + i));
    });

    it('reads a page that fits its byte bound in one statement without the running sum, and cuts the others by it', async () => {
      const statements: string[] = [];
      const recorded = new KyselyLogStore(database.db.withPlugin(new StatementRecorder(statements)), { maxGapWindow: 10_000, notify: undefined });
      const runningSum = (text: string) => / OVER \(/.test(text);
      // Each event's data here is 1 511 bytes: 10 of them are 15 110.
      const whole = await recorded.readPage('long', 0, EVENTS, { limit: 10, maxBytes: 15_110 }, 'json');
      expect(whole).toMatchObject({ last: 10, count: 10 });
      expect(statements.map(runningSum)).toEqual([false]);
      statements.length = 0;
      const cut = await recorded.readPage('long', 0, EVENTS, { limit: 10, maxBytes: 15_109 }, 'json');
      expect(cut).toMatchObject({ last: 10, count: 10 });
      expect(statements.map(runningSum)).toEqual([false, true]);
      statements.length = 0;
      expect(await recorded.readPage('long', 0, EVENTS, { limit: 10, maxBytes: 4000 }, 'sse')).toMatchObject({ last: 3, count: 3 });
      expect(statements.map(runningSum)).toEqual([false, true]);
    });

    it('returns exactly the page: after < seq ≤ min(upTo, after + limit), ascending', async () => {
      const seqs = async (after: number, upTo: number, limit: number) => {
        const page = await store.readPage('long', after, upTo, { limit, maxBytes: 1 << 30 }, 'json');
        return (JSON.parse(`[${jsonText(page)}]`) as Array<{ seq: number }>).map((e) => e.seq);
      };
      expect(await seqs(100, EVENTS, 5)).toEqual([101, 102, 103, 104, 105]);
      expect(await seqs(EVENTS - 3, EVENTS, PAGE)).toEqual([EVENTS - 2, EVENTS - 1, EVENTS]);
      expect(await seqs(10, 12, PAGE)).toEqual([11, 12]);
      expect(await seqs(12, 12, PAGE)).toEqual([]);
    });

    it('stops a page at the first event whose data reaches the byte bound', async () => {
      // Each event's data here is 1 511 bytes.
      const page = await store.readPage('long', 0, EVENTS, { limit: PAGE, maxBytes: 4000 }, 'sse');
      expect(page).toMatchObject({ last: 3, count: 3 });
      expect(sseText(page).match(/^id: /gm)).toHaveLength(3);
      expect((await store.readPage('long', 0, EVENTS, { limit: PAGE, maxBytes: 1 }, 'sse')).count).toBe(1);
    });

    it('renders each event exactly as the server does in JavaScript: JSON and SSE frame', async () => {
      const db = database.db as Kysely<unknown>;
      await sql`INSERT INTO builds (build_id, generation, ack, max_seq) VALUES ('odd', 'g', 3, 3)`.execute(db);
      const rows = [
        { seq: 1, type: 'tool-input-available', data: '{"b":"ünï \\"q\\" \\n 😀","a":[1,2.5,null]}', time: '2026-11-27T18:00:00.000+02:00', at: '2026-11-30T01:02:03.456Z' },
        { seq: 2, type: 'log', data: 'null', time: null, at: '2026-01-01T00:00:00.000Z' },
        { seq: 3, type: 'x:y.z-1', data: '"\\u0001"', time: '2026-11-27T18:00:00Z', at: '1999-12-31T23:59:59.999Z' },
      ];
      for (const r of rows) {
        await sql`INSERT INTO events (build_id, seq, type, data, time, received_at) VALUES ('odd', ${r.seq}, ${r.type}, ${r.data}, ${r.time}, ${r.at}::timestamptz)`.execute(db);
      }
      const stored = rows.map((r) => ({ seq: r.seq, type: r.type, data: r.data, time: r.time, receivedAt: new Date(r.at) }));
      const bounds = { limit: 10, maxBytes: 1 << 20 };
      // These rows have no stored tail (as rows written before json_tail existed): the query renders it.
      expect(jsonText(await store.readPage('odd', 0, 3, bounds, 'json'))).toBe(stored.map(eventJson).join(','));
      expect(sseText(await store.readPage('odd', 0, 3, bounds, 'sse'))).toBe(stored.map((e) => eventFrame(e.seq, eventJson(e))).join(''));

      // The same events committed by the server carry their tail; the page is the same text.
      await sql`INSERT INTO builds (build_id, generation) VALUES ('committed', 'g')`.execute(db);
      for (const [i, r] of rows.entries()) {
        const batch = { from: i + 1, events: [{ type: r.type, data: r.data, time: r.time }], final: false, epoch: 0 };
        await store.commit([{ buildId: 'committed', batch, generation: undefined }], new Date(r.at));
      }
      const tails = await sql<{ json_tail: string | null }>`SELECT json_tail FROM events WHERE build_id = 'committed' ORDER BY seq`.execute(db);
      expect(tails.rows.map((t) => t.json_tail)).toEqual(stored.map((e) => eventJson(e).slice(eventJson(e).lastIndexOf(',"time":'))));
      expect(jsonText(await store.readPage('committed', 0, 3, bounds, 'json'))).toBe(stored.map(eventJson).join(','));
      expect(sseText(await store.readPage('committed', 0, 3, bounds, 'sse'))).toBe(stored.map((e) => eventFrame(e.seq, eventJson(e))).join(''));
    });
  });
}

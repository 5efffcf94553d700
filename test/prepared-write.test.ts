// A commit group's write is prepared once per PostgreSQL connection (server/db/prepared-
// statements.ts): at the live edge, parsing and planning the statement cost more than running
// it. Checked at the database: the write's parse happens once however many groups commit, and
// unmarked statements stay unnamed (the prepared ones per connection stay bounded).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../server/db/database.js';
import { PREPARED_MARKER } from '../server/db/prepared-statements.js';
import type { AppendBatch } from '../server/log/append-plan.js';
import { KyselyLogStore } from '../server/log/kysely-log-store.js';
import { sql } from 'kysely';
import { POSTGRES, type BackendDatabase } from './support/backends.js';

function batch(from: number, count: number): AppendBatch {
  return { from, events: Array.from({ length: count }, (_, i) => ({ type: 'log', data: JSON.stringify({ line: `line ${from + i}` }), time: null })), final: false, epoch: 0 };
}

describe.skipIf(POSTGRES.unavailable !== undefined)('prepared commit writes on PostgreSQL', () => {
  let target: BackendDatabase;
  let database: Database;
  let store: KyselyLogStore;

  beforeAll(async () => {
    target = await POSTGRES.fresh();
    // One connection, so the session the statements are prepared in is the one asked.
    database = await openDatabase({ databaseUrl: target.databaseUrl, databaseSchema: target.databaseSchema, dataDir: target.dataDir, maxConnections: 1 });
    store = new KyselyLogStore(database.db, { maxGapWindow: 10_000, notify: undefined });
  });
  afterAll(async () => {
    await database?.close();
    await target?.drop();
  });

  async function prepared(): Promise<Array<{ name: string; statement: string }>> {
    const { rows } = await sql<{ name: string; statement: string }>`SELECT name, statement FROM pg_prepared_statements`.execute(database.db);
    return rows;
  }

  it('parses the edge write once for many groups, and names nothing unmarked', async () => {
    await store.createBuild({ buildId: 'p-1', generation: 'g', meta: {} });
    for (let from = 1; from <= 200; from += 20) {
      const outcome = await store.commit([{ buildId: 'p-1', batch: batch(from, 20), generation: undefined }], new Date());
      expect(outcome.results.every((r) => r.ok)).toBe(true);
    }
    const statements = await prepared();
    const writes = statements.filter((s) => s.statement.startsWith(PREPARED_MARKER));
    // The edge write and (for the first group) the locked path's write: two shapes, each once.
    expect(writes.length).toBeGreaterThanOrEqual(1);
    expect(writes.length).toBeLessThanOrEqual(2);
    expect(new Set(writes.map((s) => s.name)).size).toBe(writes.length);
    expect(statements.filter((s) => !s.statement.startsWith(PREPARED_MARKER))).toEqual([]);
    const { rows } = await sql<{ ack: number }>`SELECT ack FROM builds WHERE build_id = 'p-1'`.execute(database.db);
    expect(rows[0]!.ack).toBe(200);
  });
});

// Column arrays (column-arrays.ts): PostgreSQL reads the binary arrays back exactly as sent —
// any strings, NULLs, the whole safe-integer range — and a commit's event columns really leave
// as binary, so pg never builds an escaped literal of the group's data.
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POSTGRES, type BackendDatabase } from '../../test/support/backends.js';
import { KyselyLogStore } from '../log/kysely-log-store.js';
import { ColumnArray, binaryArray, withPlainArrays } from './column-arrays.js';
import { openDatabase, type Database } from './database.js';

describe('binaryArray', () => {
  it('writes array_recv’s layout: dimensions, null flag, element type, size, lower bound, then length-prefixed elements', () => {
    const bytes = binaryArray(new ColumnArray('text', ['ab', null, '']));
    const int32s = (from: number, n: number) => Array.from({ length: n }, (_, i) => bytes.readInt32BE(from + 4 * i));
    expect(int32s(0, 5)).toEqual([1, 1, 25, 3, 1]);
    expect(bytes.readInt32BE(20)).toBe(2);
    expect(bytes.toString('utf8', 24, 26)).toBe('ab');
    expect(int32s(26, 2)).toEqual([-1, 0]);
    expect(bytes.length).toBe(34);

    const ints = binaryArray(new ColumnArray('int8', [-1, 2 ** 32]));
    expect(ints.readInt32BE(8)).toBe(20);
    expect(ints.readBigInt64BE(24)).toBe(-1n);
    expect(ints.readBigInt64BE(36)).toBe(2n ** 32n);
  });

  it('refuses an element of the wrong kind instead of sending something else', () => {
    expect(() => binaryArray(new ColumnArray('text', [1] as never))).toThrow(/element 0 is a number/);
    expect(() => binaryArray(new ColumnArray('int8', [1.5]))).toThrow(/not a safe integer/);
    expect(() => binaryArray(new ColumnArray('int8', [2 ** 53]))).toThrow(/not a safe integer/);
  });

  it('is the binary array to pg (toPostgres) and the plain values to PGlite', () => {
    const column = new ColumnArray('text', ['x']);
    expect(column.toPostgres()).toEqual(binaryArray(column));
    expect(withPlainArrays([1, ['kept'], column])).toEqual([1, ['kept'], ['x']]);
    const none = [1, 'a'];
    expect(withPlainArrays(none)).toBe(none);
  });
});

describe.skipIf(POSTGRES.unavailable !== undefined)('column arrays through any pg client', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
  });
  afterAll(async () => client.end());

  it('reads any text array back as sent, NULLs and astral characters included', async () => {
    const text = fc.oneof(fc.string({ unit: 'grapheme' }), fc.constantFrom('', 'NULL', '"', '\\', '{a,b}', '\t\n', '😀', 'é'));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(text, { nil: null }), { maxLength: 20 }), async (values) => {
        const { rows } = await client.query<{ a: (string | null)[] }>('SELECT $1::text[] AS a', [new ColumnArray('text', values)]);
        expect(rows[0]!.a).toEqual(values);
      }),
      { numRuns: 150 },
    );
  });

  it('reads every safe integer back as sent, negative ones too', async () => {
    const edges = [0, 1, -1, 2 ** 31, -(2 ** 31) - 1, 2 ** 32, -(2 ** 32), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.oneof(fc.maxSafeInteger(), fc.constantFrom(...edges)), { nil: null }), { maxLength: 20 }), async (values) => {
        const { rows } = await client.query<{ a: (string | null)[] }>('SELECT $1::bigint[]::text[] AS a', [new ColumnArray('int8', values)]);
        expect(rows[0]!.a).toEqual(values.map((v) => (v === null ? null : String(v))));
      }),
      { numRuns: 100 },
    );
  });
});

describe.skipIf(POSTGRES.unavailable !== undefined)("a commit's columns on PostgreSQL", () => {
  let target: BackendDatabase;
  let database: Database;
  beforeAll(async () => {
    target = await POSTGRES.fresh();
    database = await openDatabase({ databaseUrl: target.databaseUrl, databaseSchema: target.databaseSchema, dataDir: target.dataDir });
  });
  afterAll(async () => {
    await database?.close();
    await target?.drop();
  });

  it('sends the events and their log lines as binary arrays, never as an escaped literal', async () => {
    const store = new KyselyLogStore(database.db, { maxGapWindow: 10_000, notify: undefined });
    await store.createBuild({ buildId: 'binary', generation: 'g', meta: {} });
    const line = 'a "quoted" \\ line';
    const sent = vi.spyOn(pg.Client.prototype, 'query');
    const encoded = vi.spyOn(ColumnArray.prototype, 'toPostgres');
    try {
      const batch = { from: 1, final: false, epoch: 0, events: [{ type: 'log', data: JSON.stringify({ stream: 'stdout', line }), time: null }] };
      const outcome = await store.commit([{ buildId: 'binary', batch, generation: undefined }], new Date());
      expect(outcome.results[0]).toMatchObject({ ok: true, response: { ack: 1 } });
      const insert = sent.mock.calls.map(([query]) => query as { text?: string; values?: unknown[] }).find((q) => q.text?.includes('INSERT INTO events'));
      const values = insert?.values ?? [];
      expect(values.filter((v) => v instanceof ColumnArray).length).toBe(12); // 7 columns of events, 5 of log lines
      expect(values.some((v) => Array.isArray(v) && v.some((e) => typeof e === 'string' && e.includes('quoted')))).toBe(false);
      // pg asked each column for its binary form: the data and the log line left as bytes.
      const binaries = encoded.mock.results.map((r) => r.value as Buffer);
      expect(binaries.length).toBe(12);
      expect(binaries.filter((b) => b.includes('quoted')).length).toBe(2);
    } finally {
      sent.mockRestore();
      encoded.mockRestore();
    }
    const stored = await database.db.selectFrom('events').select(['data']).where('build_id', '=', 'binary').execute();
    expect(stored.map((r) => JSON.parse(r.data).line)).toEqual([line]);
  });
});

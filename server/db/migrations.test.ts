// Kysely's migrator lists the tables of every schema in the database first; a schema another
// client drops meanwhile fails that listing with invalid_schema_name (seen when a test file's
// server started while another file dropped its schema). The migration is tried again then, and
// only then.
import { openAsBlob } from 'node:fs';
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from './migrations.js';
import { PGlitePool } from './pglite-pool.js';
import { defaultPgliteCacheDir, pgliteTemplateFile } from './pglite-template.js';

/** A pool whose first `times` table listings fail as a concurrently dropped schema makes them. */
function droppingSchemaDuringListing(pool: PostgresPool, times: number, schemaNamed: string) {
  const seen = { listings: 0 };
  let failures = times;
  const wrapped: PostgresPool = {
    async connect() {
      const client = await pool.connect();
      return {
        query: (async (text: string, parameters: ReadonlyArray<unknown>) => {
          if (text.includes('has_schema_privilege')) {
            seen.listings++;
            if (failures-- > 0) throw Object.assign(new Error(`schema "${schemaNamed}" does not exist`), { code: '3F000' });
          }
          return client.query(text, parameters);
        }) as PostgresPoolClient['query'],
        release: () => client.release(),
      } as PostgresPoolClient;
    },
    end: () => pool.end(),
  };
  return { pool: wrapped, seen };
}

async function withDatabase(times: number, schemaNamed: string, body: (db: Kysely<unknown>, seen: { listings: number }) => Promise<void>): Promise<void> {
  const { PGlite } = await import('@electric-sql/pglite');
  // Unpacked from the machine's template, as the server's own databases are: no initdb per test.
  const template = await pgliteTemplateFile(defaultPgliteCacheDir());
  const pglite = await PGlite.create('memory://', template === undefined ? {} : { loadDataDir: await openAsBlob(template) });
  const { pool, seen } = droppingSchemaDuringListing(new PGlitePool(pglite), times, schemaNamed);
  const db = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
  try {
    await body(db, seen);
  } finally {
    await db.destroy();
    await pglite.close();
  }
}

describe('migrateToLatest', () => {
  it('tries again when another schema vanished while the migrator listed tables', async () => {
    await withDatabase(2, 't_gone', async (db, seen) => {
      await migrateToLatest(db, 'public');
      expect(seen.listings).toBeGreaterThanOrEqual(3);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM builds`.execute(db);
      expect(rows[0]!.n).toBe(0);
    });
  });

  it('fails at once when the missing schema is its own', async () => {
    await withDatabase(1, 'public', async (db, seen) => {
      await expect(migrateToLatest(db, 'public')).rejects.toThrow(/schema "public" does not exist/);
      expect(seen.listings).toBe(1);
    });
  });
});

// Upgrading: migrations run at start, and instances (or workers) starting together on an empty
// database take turns — each migration is applied once and every instance comes up.
import { readdirSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { POSTGRES } from '../support/backends.js';
import { startTestServer } from '../support/test-server.js';

const MIGRATIONS = readdirSync(new URL('../../sql/', import.meta.url)).filter((n) => n.endsWith('.sql')).length;

describe.skipIf(POSTGRES.unavailable !== undefined)('migrations with several instances', () => {
  it('starts three instances at once on an empty schema, applying each migration once', async () => {
    for (let round = 0; round < 3; round++) {
      const db = await POSTGRES.fresh();
      const servers = await Promise.allSettled([startTestServer(POSTGRES, {}, db), startTestServer(POSTGRES, {}, db), startTestServer(POSTGRES, {}, db)]);
      try {
        expect(servers.map((s) => (s.status === 'rejected' ? String(s.reason) : 'started'))).toEqual(['started', 'started', 'started']);
        const first = (servers[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof startTestServer>>>).value;
        const applied = await sql<{ name: string }>`SELECT name FROM ${sql.id(db.databaseSchema, 'kysely_migration')}`.execute(first.database.db);
        expect(applied.rows).toHaveLength(MIGRATIONS);
        // Each instance works on the migrated schema.
        for (const s of servers) {
          if (s.status === 'fulfilled') expect((await s.value.api('/v1/builds')).status).toBe(200);
        }
      } finally {
        for (const s of servers) if (s.status === 'fulfilled') await s.value.close();
        await db.drop();
      }
    }
  });
});

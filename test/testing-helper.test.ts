// runlog/testing as a user's suite uses it: a server per call on a free port, builds with
// working tokens, a schema of its own when given a PostgreSQL URL (gone after stop), and a
// bad databaseUrl named in the rejection.
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { startRunlog } from '../server/testing.js';
import { POSTGRES } from './support/backends.js';

async function append(url: string, buildId: string, token: string, from: number, count: number): Promise<Response> {
  return fetch(`${url}/v1/builds/${buildId}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from, events: Array.from({ length: count }, () => ({ type: 'note' })) }),
  });
}

async function query<Row extends object = object>(databaseUrl: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
}

describe('startRunlog', () => {
  it('serves on a free port with an in-memory database; tokens work; stop() closes it', async () => {
    const runlog = await startRunlog();
    const { buildId, runnerToken, viewerToken } = await runlog.createBuild('mine', { repo: 'acme/app' });
    expect(buildId).toBe('mine');
    expect((await append(runlog.url, buildId, runnerToken, 1, 3)).status).toBe(200);
    const read = await fetch(`${runlog.url}/v1/builds/mine`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(await read.json()).toMatchObject({ buildId: 'mine', ack: 3, meta: { repo: 'acme/app' } });
    // The viewer token reads but never appends.
    expect((await append(runlog.url, buildId, viewerToken, 4, 1)).status).toBe(403);
    const generated = await runlog.createBuild();
    expect(generated.buildId).not.toBe('mine');
    await runlog.stop();
    await expect(fetch(`${runlog.url}/healthz`)).rejects.toThrow();
  });

  it('rejects a databaseUrl that is not a PostgreSQL URL, naming it', async () => {
    await expect(startRunlog({ databaseUrl: 'mysql://root@127.0.0.1/x' })).rejects.toThrow(/`databaseUrl` must be a postgres:\/\/ .*mysql:\/\/root@127\.0\.0\.1\/x/);
    await expect(startRunlog({ databaseUrl: 'not a url' })).rejects.toThrow(TypeError);
  });

  it('rejects an unreachable database, naming databaseUrl without its password', async () => {
    const error: Error = await startRunlog({ databaseUrl: 'postgres://user:hunter2@127.0.0.1:1/nowhere' }).then(
      () => new Error('started'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(/could not use the database at `databaseUrl` postgres:\/\/user:\*\*\*@127\.0\.0\.1:1\/nowhere/);
    expect(error.message).not.toContain('hunter2');
  });

  describe.skipIf(POSTGRES.unavailable !== undefined)('on PostgreSQL', () => {
    it('gives each server a schema of its own and drops it on stop', async () => {
      const databaseUrl = process.env.TEST_DATABASE_URL!;
      const [a, b] = await Promise.all([startRunlog({ databaseUrl }), startRunlog({ databaseUrl })]);
      await a.createBuild('only-in-a');
      const inB = await fetch(`${b.url}/v1/builds/only-in-a`, { headers: { authorization: `Bearer ${b.adminToken}` } });
      expect(inB.status).toBe(404);
      const schemas = await query<{ schema: string }>(databaseUrl, "SELECT table_schema AS schema FROM information_schema.tables WHERE table_name = 'builds' AND table_schema LIKE 'runlog_test_%'");
      const mine: string[] = [];
      for (const { schema } of schemas) {
        if ((await query(databaseUrl, `SELECT 1 FROM "${schema}".builds WHERE build_id = 'only-in-a'`)).length === 1) mine.push(schema);
      }
      expect(mine).toHaveLength(1);
      await a.stop();
      await b.stop();
      expect(await query(databaseUrl, 'SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [mine[0]])).toEqual([]);
    });
  });
});

// RUNLOG_RETENTION: builds idle longer than the retention are deleted — complete ones by their
// final event's time, incomplete ones by their last append — and others stay; readers of a
// deleted build get what PROTOCOL §Builds says for deletion; the events go in bounded batches
// that let appends on other builds through between them; one instance sweeps at a time.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, POSTGRES } from '../support/backends.js';
import { openSse } from '../support/sse-reader.js';
import { sampleEvents, startTestServer, type TestServer } from '../support/test-server.js';

const DAY_MS = 86_400_000;

/** Moves a build's last activity into the past, as if it had been idle that long. */
async function age(server: TestServer, buildId: string, ms: number): Promise<void> {
  const when = new Date(Date.now() - ms).toISOString();
  await sql`UPDATE builds SET last_event_at = ${when}::timestamptz, created_at = ${when}::timestamptz WHERE build_id = ${buildId}`.execute(server.database.db);
}

/** Stores `count` events for a build directly (a big build made quickly), ack and final set. */
async function bulkEvents(server: TestServer, buildId: string, count: number): Promise<void> {
  await sql`INSERT INTO events (build_id, seq, type, data, time, received_at)
    SELECT ${buildId}, s, 'log', '{"line":"bulk"}', NULL, now() FROM generate_series(1, ${count}::int) AS s`.execute(server.database.db);
  // …and their line index, as commits write it (one row per log line).
  await sql`INSERT INTO log_lines (build_id, n, seq, text, bytes)
    SELECT ${buildId}, s, s, 'bulk', 16 FROM generate_series(1, ${count}::int) AS s`.execute(server.database.db);
  await sql`UPDATE builds SET ack = ${count}, max_seq = ${count}, final = ${count}, last_event_at = now() WHERE build_id = ${buildId}`.execute(server.database.db);
}

async function eventRows(server: TestServer, buildId: string): Promise<number> {
  const row = await sql<{ n: string }>`SELECT count(*) AS n FROM events WHERE build_id = ${buildId}`.execute(server.database.db);
  return Number(row.rows[0]!.n);
}

/** Rows of the build's line index (one per `log` line). */
async function lineRows(server: TestServer, buildId: string): Promise<number> {
  const row = await sql<{ n: string }>`SELECT count(*) AS n FROM log_lines WHERE build_id = ${buildId}`.execute(server.database.db);
  return Number(row.rows[0]!.n);
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`retention on ${backend.name}`, () => {
    const BATCH = 500;
    let server: TestServer;
    // The janitor runs when a test says so (janitor.run()), never on its timer.
    beforeAll(async () => {
      server = await startTestServer(backend, { retentionMs: 30 * DAY_MS }, undefined, { janitor: false, purgeBatchEvents: BATCH });
    });
    afterAll(async () => server?.stop());

    it('deletes complete and incomplete builds idle past the retention and keeps the rest; readers see them deleted', async () => {
      const append = (b: { buildId: string; runner: string }, from: number, count: number, final = false) =>
        server.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from, events: sampleEvents(from, count), ...(final ? { final: true } : {}) } });
      const oldComplete = await server.createBuild('old-complete');
      await append(oldComplete, 1, 20, true);
      const oldRunning = await server.createBuild('old-running');
      await append(oldRunning, 1, 5);
      const recentComplete = await server.createBuild('recent-complete');
      await append(recentComplete, 1, 3, true);
      const live = await server.createBuild('live');
      await append(live, 1, 4);
      await age(server, 'old-complete', 31 * DAY_MS);
      await age(server, 'old-running', 40 * DAY_MS);
      await age(server, 'recent-complete', 29 * DAY_MS);

      const stream = await openSse(`${server.url}/v1/builds/old-running/stream?token=${oldRunning.viewer}`);
      await stream.collect((f) => f.id === '5');

      const run = await server.janitor.run();
      expect(run).toMatchObject({ ran: true, buildsExpired: 2, eventsPurged: 25 });
      for (const gone of [oldComplete, oldRunning]) {
        expect((await server.api(`/v1/builds/${gone.buildId}`)).status).toBe(404);
        expect((await server.api(`/v1/builds/${gone.buildId}/events`, { token: gone.viewer })).status).toBe(404);
        expect(await eventRows(server, gone.buildId)).toBe(0);
        expect(await lineRows(server, gone.buildId)).toBe(0);
      }
      // The open stream ends (no `end` frame: the build did not complete, it is gone).
      const rest = await stream.collect(() => false, 5000);
      expect(rest.some((f) => f.event === 'end')).toBe(false);
      for (const kept of [recentComplete, live]) expect((await server.api(`/v1/builds/${kept.buildId}`)).status).toBe(200);
      expect((await append(live, 5, 1)).body.ack).toBe(5);

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/^runlog_retention_builds_deleted_total 2$/m);
      expect(metrics).toMatch(/^runlog_purged_events_total 25$/m);
      expect(metrics).toMatch(/^runlog_retention_runs_total\{outcome="ran"\} 1$/m);

      // The id can be used again at once, and the new build starts empty.
      const again = await server.createBuild('old-complete');
      expect((await server.api(`/v1/builds/old-complete/events`, { token: again.viewer })).body.events).toEqual([]);
      expect((await server.api(`/v1/builds/old-complete/log/lines`, { token: again.viewer })).body.lines).toEqual([]);
    });

    it('purges a big build in bounded batches and lets an append on another build commit between them', async () => {
      const batch = BATCH;
      await server.createBuild('big');
      await bulkEvents(server, 'big', 6000);
      await age(server, 'big', 31 * DAY_MS);
      const live = await server.createBuild('busy');

      // Each purge transaction is watched; after the first, an append on `busy` is sent and
      // the batch count at the moment it is answered is noted.
      const batches: number[] = [];
      const original = server.engine.store.purgeBatch.bind(server.engine.store);
      let appendAnsweredAfter: number | undefined;
      let appending: Promise<unknown> | undefined;
      server.engine.store.purgeBatch = async (max: number) => {
        const result = await original(max);
        if (result) batches.push(result.events);
        if (batches.length === 1) {
          appending = server.api(`/v1/builds/busy/events`, { token: live.runner, body: { from: 1, events: sampleEvents(1, 10) } }).then((r) => {
            appendAnsweredAfter = batches.length;
            return r;
          });
        }
        return result;
      };
      const run = await server.janitor.run().finally(() => (server.engine.store.purgeBatch = original));
      await appending;
      expect(run).toMatchObject({ buildsExpired: 1, eventsPurged: 6000 });
      expect(Math.max(...batches)).toBeLessThanOrEqual(batch);
      expect(batches.length).toBeGreaterThanOrEqual(6000 / batch);
      // The append did not wait for the whole purge: it was answered while batches remained.
      expect(appendAnsweredAfter).toBeLessThan(batches.length);
      expect(await eventRows(server, 'big')).toBe(0);
      expect(await lineRows(server, 'big')).toBe(0);
    });
  });
}

describe.skipIf(POSTGRES.unavailable !== undefined)('retention across instances', () => {
  it('lets one instance sweep at a time: the other skips while the lock is held', async () => {
    const first = await startTestServer(POSTGRES, { retentionMs: DAY_MS }, undefined, { janitor: false, purgeBatchEvents: 100 });
    const second = await startTestServer(POSTGRES, { retentionMs: DAY_MS }, first.db, { janitor: false });
    try {
      await first.createBuild('expired');
      await bulkEvents(first, 'expired', 1000);
      await age(first, 'expired', 2 * DAY_MS);
      // Hold the first instance inside its run until the second has tried.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const original = first.engine.store.purgeBatch.bind(first.engine.store);
      first.engine.store.purgeBatch = async (max: number) => {
        await held;
        return original(max);
      };
      const running = first.janitor.run();
      await new Promise((r) => setTimeout(r, 200));
      expect(await second.janitor.run()).toEqual({ ran: false, buildsExpired: 0, eventsPurged: 0, batches: 0 });
      release();
      expect(await running).toMatchObject({ ran: true, buildsExpired: 1, eventsPurged: 1000 });
      expect((await second.janitor.run()).ran).toBe(true);
    } finally {
      await second.close();
      await first.stop();
    }
  });
});

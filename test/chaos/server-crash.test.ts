// Scenario B: the server is killed with SIGKILL three times while runners upload through a
// faulty network and readers follow, and restarted on the same data each time — on PGlite and
// on PostgreSQL. The logs, the readers' sequences and the digests must still come out exact.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { describeFaults, seededRandom, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET } from '../support/test-server.js';
import { auditStoredLog, connectionPerRequestFetch, followAll, runBuild, tempDir, totals, type FleetBuild } from './support/chaos-fleet.js';
import { READER_FAULTS, RUNNER_FAULTS } from './support/fault-mix.js';
import { auditSequence } from './support/resuming-reader.js';
import { Scale, chaosSeed } from './scale.js';

const KILLS = 3;
/**
 * Emitting 25 events per this many ms stretches a build over seconds, so each kill lands
 * mid-build. While the server restarts, runners back off and keep spooling; at 200 ms a loaded
 * machine's restart let the whole rest of a build pile up and be acked in one burst before the
 * third kill could land.
 */
const PACE_MS = 400;

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`B: server crashes on ${backend.name}`, () => {
    const seed = chaosSeed();
    let env: Record<string, string>;
    let server: ServerProcess;
    let runnerProxy: FaultProxy;
    let readerProxy: FaultProxy;
    let dirs: Array<{ dir: string; remove: () => Promise<void> }>;
    let dropDatabase: () => Promise<void>;

    beforeAll(async () => {
      const data = await tempDir('runlog-chaos-b-');
      const spool = await tempDir('runlog-chaos-b-spool-');
      dirs = [data, spool];
      const db = await backend.fresh();
      dropDatabase = db.drop;
      const port = await freePort();
      env = {
        PORT: String(port),
        RUNLOG_DATA_DIR: data.dir,
        RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        RUNLOG_SECRET: TEST_SECRET,
        ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl, RUNLOG_DB_SCHEMA: db.databaseSchema } : {}),
      };
      server = await startServerProcess(env);
      const target = { host: '127.0.0.1', port };
      runnerProxy = await startFaultProxy({ target, seed, faults: RUNNER_FAULTS });
      readerProxy = await startFaultProxy({ target, seed: seed + 1, faults: READER_FAULTS });
    });
    afterAll(async () => {
      await server?.stop('SIGKILL');
      await runnerProxy?.close();
      await readerProxy?.close();
      await dropDatabase?.();
      for (const d of dirs ?? []) await d.remove();
    });

    it(`stays exact across ${KILLS} kill -9 restarts (seed ${seed})`, { timeout: Scale.testTimeoutMs }, async () => {
      console.log(`B[${backend.name}]: seed ${seed} (replay with RUNLOG_CHAOS_SEED=${seed})`);
      const perBuild = Math.floor(Scale.networkEvents / Scale.networkBuilds);
      const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const builds: FleetBuild[] = [];
      // A fresh connection per request: a kept-alive one the server closed as it idled out would
      // be reset under the first create (seen once, on a loaded machine).
      const network = connectionPerRequestFetch();
      for (let i = 0; i < Scale.networkBuilds; i++) {
        const created = (await (await network.fetch(`${server.url}/v1/builds`, { method: 'POST', headers: admin, body: '{}' })).json()) as {
          build: { buildId: string };
          tokens: { runner: string; viewer: string };
        };
        builds.push({ buildId: created.build.buildId, runner: created.tokens.runner, viewer: created.tokens.viewer });
      }
      const readers = await followAll(readerProxy.url, builds);
      let finished = false;
      const running = Promise.all(builds.map((build) => runBuild({ url: runnerProxy.url, build, events: perBuild, spoolDir: dirs[1]!.dir, fetch: network.fetch, paceMs: PACE_MS }))).finally(
        () => (finished = true),
      );

      // Kill when the slowest build's ack passes a seeded share of it: one kill in each quarter
      // of the first three, the last quarter left for the backlog a restart lets pile up.
      const random = seededRandom(seed);
      const slowestAck = async () => {
        const acks = await Promise.all(builds.map(async (b) => (await (await fetch(`${server.url}/v1/builds/${b.buildId}`, { headers: admin })).json()).ack as number));
        return Math.min(...acks);
      };
      const acksAtKill: number[] = [];
      for (let k = 0; k < KILLS && !finished; k++) {
        const target = Math.floor((perBuild * (k + random())) / (KILLS + 1));
        let ack = await slowestAck();
        while (ack < target && !finished) {
          await new Promise((r) => setTimeout(r, 10));
          ack = await slowestAck();
        }
        acksAtKill.push(ack);
        await server.stop('SIGKILL');
        server = await startServerProcess(env);
      }
      const results = await running;
      await Promise.all([...readers.values()].map((r) => r.done));
      await network.close();

      const stored = await Promise.all(builds.map((b) => auditStoredLog(server.url, TEST_ADMIN_TOKEN, b.buildId, perBuild)));
      const received = builds.map((b) => ({ ...auditSequence(readers.get(b.buildId)!.received, perBuild), wrongContent: 0 }));
      console.log(
        `B[${backend.name}]: killed ${acksAtKill.length}× (slowest build's ack at each kill: ${acksAtKill.join(', ')}); ` +
          `runners ${describeFaults(runnerProxy)}; readers ${describeFaults(readerProxy)}; stored ${JSON.stringify(totals(stored))}; received ${JSON.stringify(totals(received))}`,
      );
      expect(acksAtKill).toHaveLength(KILLS);
      expect(acksAtKill.at(-1)).toBeLessThan(perBuild);
      expect(totals(stored)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
      expect(totals(received)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
      builds.forEach((b, i) => expect(stored[i]!.digest).toBe(results[i]!.digest));
    });
  });
}

// Scenario A: runners upload through a proxy where at least a fifth of the exchanges fail
// (refused, answer lost after the commit, dripped, cut, delayed), readers follow through another
// faulty proxy that cuts streams mid-frame. Every build's log, every reader's sequence and every
// digest must come out exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { describeFaults, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { auditSequence } from './support/resuming-reader.js';
import { auditStoredLog, connectionPerRequestFetch, followAll, runBuild, tempDir, totals } from './support/chaos-fleet.js';
import { READER_FAULTS, RUNNER_FAULTS } from './support/fault-mix.js';
import { Scale, chaosSeed } from './scale.js';

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`A: faulty network on ${backend.name}`, () => {
    const seed = chaosSeed();
    let server: TestServer;
    let runnerProxy: FaultProxy;
    let readerProxy: FaultProxy;
    let spool: { dir: string; remove: () => Promise<void> };
    beforeAll(async () => {
      server = await startTestServer(backend);
      const target = { host: '127.0.0.1', port: server.port };
      runnerProxy = await startFaultProxy({ target, seed, faults: RUNNER_FAULTS });
      readerProxy = await startFaultProxy({ target, seed: seed + 1, faults: READER_FAULTS });
      spool = await tempDir('runlog-chaos-a-');
    });
    afterAll(async () => {
      await runnerProxy?.close();
      await readerProxy?.close();
      await server?.stop();
      await spool?.remove();
    });

    it(`delivers ${Scale.networkEvents} events over ${Scale.networkBuilds} builds exactly (seed ${seed})`, { timeout: Scale.testTimeoutMs }, async () => {
      console.log(`A[${backend.name}]: seed ${seed} (replay with RUNLOG_CHAOS_SEED=${seed})`);
      const perBuild = Math.floor(Scale.networkEvents / Scale.networkBuilds);
      const builds = await Promise.all(Array.from({ length: Scale.networkBuilds }, () => server.createBuild()));
      const readers = await followAll(readerProxy.url, builds);
      const network = connectionPerRequestFetch();
      const results = await Promise.all(builds.map((build) => runBuild({ url: runnerProxy.url, build, events: perBuild, spoolDir: spool.dir, fetch: network.fetch })));
      await Promise.all([...readers.values()].map((r) => r.done));
      await network.close();

      const stored = await Promise.all(builds.map((b) => auditStoredLog(server.url, server.adminToken, b.buildId, perBuild)));
      const received = builds.map((b) => auditSequence(readers.get(b.buildId)!.received, perBuild));
      const runnerCounts = runnerProxy.counts();
      const faulty = runnerCounts.refuse + runnerCounts.dropAfterRequest + runnerCounts.drip + runnerCounts.cutResponse;
      console.log(`A[${backend.name}]: runners ${describeFaults(runnerProxy)}; readers ${describeFaults(readerProxy)}`);
      console.log(`A[${backend.name}]: stored ${JSON.stringify(totals(stored))}; received ${JSON.stringify(totals(received.map((r) => ({ ...r, wrongContent: 0 }))))}; reader connections ${[...readers.values()].reduce((n, r) => n + r.connections(), 0)}`);
      expect(faulty / runnerCounts.connections).toBeGreaterThanOrEqual(0.2);
      expect(totals(stored)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
      expect(totals(received.map((r) => ({ ...r, wrongContent: 0 })))).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
      builds.forEach((b, i) => expect(stored[i]!.digest).toBe(results[i]!.digest));
    });
  });
}

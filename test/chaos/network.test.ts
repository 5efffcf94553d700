// Scenario A: runners upload through a proxy where at least a fifth of the exchanges fail
// (refused, answer lost after the commit, dripped, cut, delayed), readers follow through another
// faulty proxy that cuts streams mid-frame. Every build's log, every reader's sequence and every
// digest must come out exact.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../support/backends.js';
import { describeFaults } from '../support/fault-proxy.js';
import { auditSequence } from './support/resuming-reader.js';
import { auditStoredLog, connectionPerRequestFetch, followAll, runBuild, totals } from './support/chaos-fleet.js';
import { startFaultyRig, type FaultyRig } from './support/faulty-rig.js';
import { Scale, chaosSeed } from './scale.js';

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`A: faulty network on ${backend.name}`, () => {
    const seed = chaosSeed();
    let rig: FaultyRig;
    beforeAll(async () => {
      rig = await startFaultyRig(backend, seed, 'runlog-chaos-a-');
    });
    afterAll(async () => rig?.close());

    it(`delivers ${Scale.networkEvents} events over ${Scale.networkBuilds} builds exactly (seed ${seed})`, { timeout: Scale.testTimeoutMs }, async () => {
      console.log(`A[${backend.name}]: seed ${seed} (replay with RUNLOG_CHAOS_SEED=${seed})`);
      const perBuild = Math.floor(Scale.networkEvents / Scale.networkBuilds);
      const builds = await Promise.all(Array.from({ length: Scale.networkBuilds }, () => rig.server.createBuild()));
      const readers = await followAll(rig.readerProxy.url, builds);
      const network = connectionPerRequestFetch();
      const results = await Promise.all(builds.map((build) => runBuild({ url: rig.runnerProxy.url, build, events: perBuild, spoolDir: rig.spoolDir, fetch: network.fetch })));
      await Promise.all([...readers.values()].map((r) => r.done));
      await network.close();

      const stored = await Promise.all(builds.map((b) => auditStoredLog(rig.server.url, rig.server.adminToken, b.buildId, perBuild)));
      const received = builds.map((b) => auditSequence(readers.get(b.buildId)!.received, perBuild));
      const runnerCounts = rig.runnerProxy.counts();
      const faulty = runnerCounts.refuse + runnerCounts.dropAfterRequest + runnerCounts.drip + runnerCounts.cutResponse;
      console.log(`A[${backend.name}]: runners ${describeFaults(rig.runnerProxy)}; readers ${describeFaults(rig.readerProxy)}`);
      console.log(`A[${backend.name}]: stored ${JSON.stringify(totals(stored))}; received ${JSON.stringify(totals(received.map((r) => ({ ...r, wrongContent: 0 }))))}; reader connections ${[...readers.values()].reduce((n, r) => n + r.connections(), 0)}`);
      expect(faulty / runnerCounts.connections).toBeGreaterThanOrEqual(0.2);
      expect(totals(stored)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
      expect(totals(received.map((r) => ({ ...r, wrongContent: 0 })))).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
      builds.forEach((b, i) => expect(stored[i]!.digest).toBe(results[i]!.digest));
    });
  });
}

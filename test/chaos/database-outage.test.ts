// Scenario D: PostgreSQL becomes unreachable mid-build (severed at a proxy). Appends answer
// 503 unavailable with Retry-After, /readyz says 503, readers stay or resume, and afterwards
// everything arrives: no acked event is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES } from '../support/backends.js';
import { describeFaults, startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { sampleEvents, startTestServer, type TestServer } from '../support/test-server.js';
import { auditStoredLog, connectionPerRequestFetch, followAll, runBuild, tempDir, totals } from './support/chaos-fleet.js';
import { auditSequence } from './support/resuming-reader.js';
import { RUNNER_FAULTS } from './support/fault-mix.js';
import { Scale, chaosSeed } from './scale.js';

describe.skipIf(POSTGRES.unavailable !== undefined)('D: database outage on PostgreSQL', () => {
  const seed = chaosSeed();
  let databaseProxy: FaultProxy;
  let runnerProxy: FaultProxy;
  let server: TestServer;
  let spool: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    const db = await POSTGRES.fresh();
    const url = new URL(db.databaseUrl!);
    databaseProxy = await startFaultProxy({ target: { host: url.hostname, port: Number(url.port || 5432) }, seed });
    url.host = `127.0.0.1:${databaseProxy.port}`;
    server = await startTestServer(POSTGRES, {}, { ...db, databaseUrl: url.toString() });
    runnerProxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: seed + 1, faults: RUNNER_FAULTS });
    spool = await tempDir('runlog-chaos-d-');
  });
  afterAll(async () => {
    databaseProxy?.resume();
    await runnerProxy?.close();
    await server?.stop();
    await databaseProxy?.close();
    await spool?.remove();
  });

  it(`survives ${Scale.databaseOutageMs / 1000} s without the database mid-build (seed ${seed})`, { timeout: Scale.testTimeoutMs }, async () => {
    console.log(`D: seed ${seed} (replay with RUNLOG_CHAOS_SEED=${seed})`);
    const perBuild = Math.floor(Scale.networkEvents / Scale.networkBuilds);
    const builds = await Promise.all(Array.from({ length: Scale.networkBuilds }, () => server.createBuild()));
    const probe = await server.createBuild();
    const readers = await followAll(server.url, builds);
    const network = connectionPerRequestFetch();
    const running = Promise.all(builds.map((build) => runBuild({ url: runnerProxy.url, build, events: perBuild, spoolDir: spool.dir, fetch: network.fetch })));

    await new Promise((r) => setTimeout(r, 300));
    databaseProxy.pause({ severOpen: true });
    const outageStarted = Date.now();
    const append = await server.api(`/v1/builds/${probe.buildId}/events`, { token: probe.runner, body: { from: 1, events: sampleEvents(1, 1) } });
    expect(append.status).toBe(503);
    expect(append.body.code).toBe('unavailable');
    expect(Number(append.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await server.api('/readyz', { token: null })).status).toBe(503);
    await new Promise((r) => setTimeout(r, Math.max(0, Scale.databaseOutageMs - (Date.now() - outageStarted))));
    databaseProxy.resume();

    const results = await running;
    await Promise.all([...readers.values()].map((r) => r.done));
    await network.close();
    expect((await server.api('/readyz', { token: null })).status).toBe(200);
    const stored = await Promise.all(builds.map((b) => auditStoredLog(server.url, server.adminToken, b.buildId, perBuild)));
    const received = builds.map((b) => ({ ...auditSequence(readers.get(b.buildId)!.received, perBuild), wrongContent: 0 }));
    console.log(`D: database ${describeFaults(databaseProxy)}; runners ${describeFaults(runnerProxy)}; stored ${JSON.stringify(totals(stored))}; received ${JSON.stringify(totals(received))}`);
    expect(totals(stored)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
    expect(totals(received)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
    builds.forEach((b, i) => expect(stored[i]!.digest).toBe(results[i]!.digest));
  });
});

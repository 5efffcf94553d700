// Scenario E: many runners at once against a server with a small commit queue. Some appends are
// refused with 503 overloaded + Retry-After, the runners back off, every event arrives, and the
// server's memory stays within a stated bound over its idle footprint.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rssMiB, sampleRss } from '../support/process-memory.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN } from '../support/test-server.js';
import { auditStoredLog, runBuild, tempDir, totals, type FleetBuild } from './support/chaos-fleet.js';
import { Scale } from './scale.js';

/** The server may grow this much over its footprint before the runners start. */
const RSS_GROWTH_BOUND_MIB = 200;
/**
 * Small enough that a refusal does not depend on the machine's pace: with 8, one run in a busy
 * suite saw the server take all 240 appends as they came and refuse none.
 */
const COMMIT_QUEUE_MAX = 2;

describe('E: overload', () => {
  let server: ServerProcess;
  let data: { dir: string; remove: () => Promise<void> };
  let spool: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    data = await tempDir('runlog-chaos-e-');
    spool = await tempDir('runlog-chaos-e-spool-');
    server = await startServerProcess({
      PORT: '0',
      RUNLOG_DATA_DIR: data.dir,
      RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      RUNLOG_COMMIT_QUEUE_MAX: String(COMMIT_QUEUE_MAX),
    });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await data?.remove();
    await spool?.remove();
  });

  it(`${Scale.overloadRunners} runners against a commit queue of ${COMMIT_QUEUE_MAX}: refused, backed off, nothing lost`, { timeout: Scale.testTimeoutMs }, async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const builds: FleetBuild[] = [];
    for (let i = 0; i < Scale.overloadRunners; i++) {
      const created = await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: admin, body: '{}' })).json();
      builds.push({ buildId: created.build.buildId, runner: created.tokens.runner, viewer: created.tokens.viewer });
    }
    const baseline = rssMiB(server.child.pid!);
    const peak = sampleRss(server.child.pid!);
    const started = Date.now();
    const results = await Promise.all(
      builds.map((build) => runBuild({ url: server.url, build, events: Scale.overloadEventsPerRunner, spoolDir: spool.dir, fetch: (input, init) => fetch(input, init) })),
    );
    const peakMiB = peak.stop();
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const refused = Number(/^runlog_append_requests_total\{outcome="overloaded"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    const accepted = Number(/^runlog_append_requests_total\{outcome="ok"\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
    const stored = await Promise.all(builds.map((b) => auditStoredLog(server.url, TEST_ADMIN_TOKEN, b.buildId, Scale.overloadEventsPerRunner)));
    console.log(
      `E: ${Scale.overloadRunners} runners × ${Scale.overloadEventsPerRunner} events in ${Date.now() - started} ms; ` +
        `appends ok ${accepted}, refused overloaded ${refused}; server RSS ${baseline.toFixed(0)} → peak ${peakMiB.toFixed(0)} MiB ` +
        `(bound +${RSS_GROWTH_BOUND_MIB}); stored ${JSON.stringify(totals(stored))}`,
    );
    expect(refused).toBeGreaterThan(0);
    expect(totals(stored)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
    builds.forEach((b, i) => expect(stored[i]!.digest).toBe(results[i]!.digest));
    expect(peakMiB - baseline).toBeLessThan(RSS_GROWTH_BOUND_MIB);
  });
});

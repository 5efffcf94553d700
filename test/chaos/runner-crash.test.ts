// Scenario C: each build's runner process is killed with SIGKILL mid-build (some twice) and
// started again on its spool, while uploads cross a faulty proxy and readers follow through
// another. Every log, every reader's sequence and every digest must come out exact.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE } from '../support/backends.js';
import { describeFaults, seededRandom } from '../support/fault-proxy.js';
import { auditStoredLog, followAll, totals, type FleetBuild } from './support/chaos-fleet.js';
import { startFaultyRig, type FaultyRig } from './support/faulty-rig.js';
import { auditSequence } from './support/resuming-reader.js';
import { Scale, chaosSeed } from './scale.js';

const CHILD = fileURLToPath(new URL('./support/crashing-runner.ts', import.meta.url));

function startRunner(config: object) {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { child, exited, output: () => out };
}

describe('C: runner crashes', () => {
  const seed = chaosSeed();
  let rig: FaultyRig;
  beforeAll(async () => {
    rig = await startFaultyRig(PGLITE, seed, 'runlog-chaos-c-');
  });
  afterAll(async () => rig?.close());

  it(`stays exact when every runner is killed mid-build and restarted on its spool (seed ${seed})`, { timeout: Scale.testTimeoutMs }, async () => {
    console.log(`C: seed ${seed} (replay with RUNLOG_CHAOS_SEED=${seed})`);
    const random = seededRandom(seed);
    const total = Math.floor(Scale.networkEvents / Scale.networkBuilds);
    const builds: FleetBuild[] = await Promise.all(Array.from({ length: Scale.networkBuilds }, () => rig.server.createBuild()));
    const readers = await followAll(rig.readerProxy.url, builds);
    let kills = 0;
    const acksAtKill: number[] = [];
    const digests = await Promise.all(
      builds.map(async (build, index) => {
        const config = { url: rig.runnerProxy.url, buildId: build.buildId, token: build.runner, spoolDir: rig.spoolDir, total };
        const crashes = 1 + (index % 2);
        for (let c = 0; c < crashes; c++) {
          const doomed = startRunner(config);
          // Kill once the server has acked a seeded share of the build: 10–40 %, then 50–80 %.
          const target = Math.floor(total * (0.1 + 0.4 * c + 0.3 * random()));
          let ack = 0;
          while (ack < target && doomed.child.exitCode === null) {
            await new Promise((r) => setTimeout(r, 5));
            ack = (await rig.server.api(`/v1/builds/${build.buildId}`)).body.ack;
          }
          acksAtKill.push(ack);
          doomed.child.kill('SIGKILL');
          if ((await doomed.exited) === 'SIGKILL') kills++;
        }
        const survivor = startRunner(config);
        const code = await survivor.exited;
        expect(code, survivor.output()).toBe(0);
        return /done (\d+) (\w+)/.exec(survivor.output())![2]!;
      }),
    );
    await Promise.all([...readers.values()].map((r) => r.done));

    const stored = await Promise.all(builds.map((b) => auditStoredLog(rig.server.url, rig.server.adminToken, b.buildId, total)));
    const received = builds.map((b) => ({ ...auditSequence(readers.get(b.buildId)!.received, total), wrongContent: 0 }));
    console.log(
      `C: ${kills} runner kills over ${builds.length} builds (acks at the kills: ${acksAtKill.join(', ')} of ${total}); runners ${describeFaults(rig.runnerProxy)}; readers ${describeFaults(rig.readerProxy)}; ` +
        `stored ${JSON.stringify(totals(stored))}; received ${JSON.stringify(totals(received))}`,
    );
    expect(kills).toBeGreaterThanOrEqual(builds.length);
    for (const ack of acksAtKill) expect(ack).toBeLessThan(total);
    expect(totals(stored)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
    expect(totals(received)).toEqual({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0 });
    builds.forEach((_, i) => expect(stored[i]!.digest).toBe(digests[i]));
  });
});

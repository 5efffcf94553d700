// kill -9 at random instants (PROTOCOL §Runner obligations: "a crashed runner resumes from its
// spool"): a child process emits and uploads; it is killed mid-flight; `runlog-runner flush`
// from a new process on the same spool must leave the server's log holding every event whose
// emit returned, exactly once, in order, with no gap.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from './support/fault-proxy.js';
import { PGLITE } from './support/backends.js';
import { readLog, runCli, startRunnerChild } from './support/runner-harness.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const TRIALS = 6;
const BASE_SEED = Number(process.env.RUNLOG_CRASH_SEED ?? 20_261_127);
const DURABILITIES = ['group', 'none', 'fsync-each'] as const;
/** Emits the child keeps outstanding: the most events that can be durable but not yet reported. */
const WINDOW = 64;

describe('runner crash (kill -9)', () => {
  let server: TestServer;
  let spoolRoot: string;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    spoolRoot = await mkdtemp(join(tmpdir(), 'runlog-crash-'));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(spoolRoot, { recursive: true, force: true });
  });

  it(`loses, duplicates and reorders nothing across ${TRIALS} kills at random instants`, async () => {
    const report: string[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const seed = BASE_SEED + trial;
      const random = seededRandom(seed);
      const durability = DURABILITIES[trial % DURABILITIES.length]!;
      const killAfterMs = Math.round(50 + random() * 950);
      const { buildId, runner: token, viewer } = await server.createBuild();
      const spoolDir = join(spoolRoot, `t${trial}`);

      const child = await startRunnerChild({ url: server.url, buildId, token, spoolDir, count: 1_000_000, window: WINDOW, durability });
      await child.waitFor(/^ready$/);
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      child.process.kill('SIGKILL');
      const exit = await child.exited;
      expect(exit.signal, child.stderr()).toBe('SIGKILL');
      const returned = child.lines.filter((l) => l.startsWith('ok ')).map((l) => Number(l.slice(3)));
      const ackedBeforeKill = (await server.api(`/v1/builds/${buildId}`, { token: viewer })).body.ack as number;

      const flush = await runCli(['flush', '--url', server.url, '--build', buildId, '--token', token, '--spool', spoolDir]);
      expect(flush.stderr).toMatch(/flushed build/);
      expect(flush.code).toBe(0);

      const log = await readLog(server, buildId, viewer);
      const maxReturned = returned.length === 0 ? 0 : Math.max(...returned);
      // Seqs are 1..N with no gap, each carrying the line emitted for it: nothing reordered or repeated.
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: log.length }, (_, i) => i + 1));
      expect(log.map((e) => (e.data as { line: string }).line)).toEqual(log.map((e) => `e ${e.seq}`));
      // Every emit that returned is there: nothing lost.
      expect(log.length).toBeGreaterThanOrEqual(maxReturned);
      expect(returned).toEqual(Array.from({ length: returned.length }, (_, i) => i + 1));
      // Beyond those, only events already durable when the kill came (at most the outstanding window).
      expect(log.length - maxReturned).toBeLessThanOrEqual(WINDOW);
      report.push(
        `seed=${seed} durability=${durability} killAfter=${killAfterMs}ms returned=${returned.length} ackedBeforeKill=${ackedBeforeKill} ` +
          `log=${log.length} durableUnreported=${log.length - maxReturned}`,
      );
    }
    console.log(`runner crash trials:\n  ${report.join('\n  ')}`);
  });
});

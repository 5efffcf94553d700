// The server is away while a build runs: a runner process emits 2 000 events into its spool,
// keeps retrying with backoff in flat memory, and delivers all of them in order once the server
// starts (PROTOCOL §Runner obligations: "never give up while the process lives").
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGLITE, type BackendDatabase } from './support/backends.js';
import { freePort, readLog, rssBytes, startRunnerChild } from './support/runner-harness.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const EVENTS = 2_000;
const RSS_LIMIT_BYTES = 150 * 1024 * 1024;

describe('runner while the server is away', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });

  it(`spools ${EVENTS} events while the server is down and delivers them in order when it starts, under 150 MB RSS`, async () => {
    const root = await mkdtemp(join(tmpdir(), 'runlog-offline-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    // A persistent PGlite directory, so the build created now is still there when the server returns.
    const database: BackendDatabase = { databaseUrl: undefined, databaseSchema: 'public', dataDir: join(root, 'db'), drop: async () => {} };
    const port = await freePort();
    let server: TestServer = await startTestServer(PGLITE, { port }, database);
    const { buildId, runner: token, viewer } = await server.createBuild();
    await server.close();

    const child = await startRunnerChild({ url: `http://127.0.0.1:${port}`, buildId, token, spoolDir: join(root, 'spool'), count: EVENTS, window: 100, maxDelayMs: 500, flush: true });
    cleanup.push(async () => {
      child.process.kill('SIGKILL');
    });
    await child.waitFor(/^ready$/);
    const rssAtStart = (await rssBytes(child.pid)) ?? 0;
    let maxRss = 0;
    const sampler = setInterval(() => {
      void rssBytes(child.pid).then((rss) => {
        if (rss !== undefined) maxRss = Math.max(maxRss, rss);
      });
    }, 25);
    cleanup.push(async () => clearInterval(sampler));

    await child.waitFor(/^emitted$/);
    expect(child.lines.filter((l) => l.startsWith('ok '))).toHaveLength(EVENTS);
    await child.waitFor(/^status offline /);
    // Still down for a while: the runner keeps retrying, and nothing is acked.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(child.lines.some((l) => l.startsWith('acked'))).toBe(false);
    const rssWhileAway = maxRss;

    const startedAt = performance.now();
    server = await startTestServer(PGLITE, { port }, database);
    cleanup.push(() => server.close());
    const acked = await child.waitFor(/^acked /, 30_000);
    const deliveredMs = Math.round(performance.now() - startedAt);
    expect(acked).toBe(`acked ${EVENTS}`);
    expect((await child.exited).code).toBe(0);
    clearInterval(sampler);

    const log = await readLog(server, buildId, viewer);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: EVENTS }, (_, i) => i + 1));
    expect(log.map((e) => (e.data as { line: string }).line)).toEqual(Array.from({ length: EVENTS }, (_, i) => `e ${i + 1}`));
    expect(maxRss).toBeGreaterThan(0);
    expect(maxRss).toBeLessThan(RSS_LIMIT_BYTES);
    const states = child.lines.filter((l) => l.startsWith('status ')).map((l) => l.split(' ')[1]);
    expect(states).toContain('offline');
    expect(states.at(-1)).toBe('online');
    console.log(
      `runner offline: ${EVENTS} events spooled while down; RSS ${(rssAtStart / 2 ** 20).toFixed(1)} MiB at start, max ${(maxRss / 2 ** 20).toFixed(1)} MiB ` +
        `(${(rssWhileAway / 2 ** 20).toFixed(1)} MiB while away); delivered ${deliveredMs} ms after the server started`,
    );
  });
});

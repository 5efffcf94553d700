// The runner through a TCP proxy that breaks ~30 % of connections — refused, cut mid-answer, or
// dropped after the request reached the server but before the answer came back (the lost-ack
// case): retries and duplicates must still leave the exact log.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainDigests } from '../protocol/hash-chain.js';
import { openRunner, type FetchLike } from '../runner-client/index.js';
import { PGLITE } from './support/backends.js';
import { describeFaults, startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { readLog } from './support/runner-harness.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const SEED = Number(process.env.RUNLOG_PROXY_SEED ?? 30_303);
const EVENTS = 5_000;

describe('runner through a faulty proxy', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let spoolDir: string;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    proxy = await startFaultProxy({
      target: { host: '127.0.0.1', port: server.port },
      seed: SEED,
      faults: { refuse: 0.1, dropAfterRequest: 0.15, cutResponse: 0.05, delayMs: [0, 5] },
    });
    spoolDir = await mkdtemp(join(tmpdir(), 'runlog-proxy-'));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  it(`delivers ${EVENTS} events exactly once and in order when ~30 % of connections fail`, async () => {
    const { buildId, runner: token, viewer } = await server.createBuild();
    // The proxy decides per connection; keep-alive would let a few lucky connections carry every
    // request. One connection per request makes ~30 % of the requests meet a fault.
    const agent = new Agent({ pipelining: 0 });
    const fetchPerConnection = ((input: string, init: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher: agent })) as unknown as FetchLike;
    // Small batches and a short backoff cap: many requests, many faults, a test that ends quickly.
    const runner = await openRunner({ url: proxy.url, buildId, token, spoolDir, maxBatchEvents: 25, maxDelayMs: 200, fetch: fetchPerConnection });
    let emits: Array<Promise<number>> = [];
    for (let i = 1; i <= EVENTS; i++) {
      emits.push(runner.emit('log', { stream: 'stdout', line: `p ${i}` }));
      if (i % 100 === 0) {
        await Promise.all(emits);
        emits = [];
      }
    }
    const { final, digest } = await runner.finish({ status: 'succeeded' });
    const stats = runner.stats();
    await runner.close();
    await agent.close();

    const log = await readLog(server, buildId, viewer);
    expect(final).toBe(EVENTS + 1);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: EVENTS + 1 }, (_, i) => i + 1));
    expect(log.slice(0, EVENTS).map((e) => (e.data as { line: string }).line)).toEqual(Array.from({ length: EVENTS }, (_, i) => `p ${i + 1}`));
    expect(digest).toBe(chainDigests('', log));
    const counts = proxy.counts();
    // The faults really happened, including answers lost after the server committed.
    expect(counts.dropAfterRequest).toBeGreaterThan(0);
    expect(counts.refuse + counts.cutResponse).toBeGreaterThan(0);
    expect(stats.failures).toBeGreaterThan(0);
    expect(stats.eventsSent).toBeGreaterThan(EVENTS);
    console.log(
      `runner proxy: ${describeFaults(proxy)}; runner requests=${stats.requests} failures=${stats.failures} ` +
        `eventsSent=${stats.eventsSent} (resent ${stats.eventsSent - (EVENTS + 1)}); log exact: ${log.length} events`,
    );
  });

  it('delivers exactly over its keep-alive pool while the proxy severs every open connection every 40 ms', async () => {
    const { buildId, runner: token, viewer } = await server.createBuild();
    proxy.setFaults({ refuse: 0.1 });
    const before = proxy.counts();
    const severing = setInterval(() => proxy.severAll(), 40);
    const runner = await openRunner({ url: proxy.url, buildId, token, spoolDir, maxBatchEvents: 25, maxDelayMs: 200 });
    try {
      for (let i = 1; i <= 2_000; i++) {
        const seq = runner.emit('log', { stream: 'stdout', line: `k ${i}` });
        if (i % 50 === 0) await seq;
      }
      await runner.finish();
    } finally {
      clearInterval(severing);
    }
    const stats = runner.stats();
    await runner.close();
    const log = await readLog(server, buildId, viewer);
    expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 2_001 }, (_, i) => i + 1));
    expect(log.slice(0, 2_000).map((e) => (e.data as { line: string }).line)).toEqual(Array.from({ length: 2_000 }, (_, i) => `k ${i + 1}`));
    const after = proxy.counts();
    expect(after.sever - before.sever).toBeGreaterThan(0);
    console.log(
      `runner proxy (keep-alive): connections=${after.connections - before.connections} severed=${after.sever - before.sever} ` +
        `refused=${after.refuse - before.refuse}; runner requests=${stats.requests} failures=${stats.failures} eventsSent=${stats.eventsSent}`,
    );
  });
});

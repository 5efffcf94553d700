// Scenario F: readers that stop reading never grow the server's memory (each SSE connection is
// a pull cursor, not a queue), still get everything in order when they read again, and
// connect/disconnect cycles leave no sockets, timers or listeners behind.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE } from '../support/backends.js';
import { rssMiB, sampleRss } from '../support/process-memory.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN, sampleEvents, startTestServer } from '../support/test-server.js';
import { FULL, Scale } from './scale.js';

/** What the server may grow by while readers stall, over its footprint with them connected. */
const RSS_GROWTH_BOUND_MIB = 120;

/** An SSE reader on a raw http request that can stop reading (TCP backpressure) and resume. */
function stalledReader(url: string) {
  let text = '';
  let ended = false;
  let response: http.IncomingMessage | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      response = res;
      res.setEncoding('utf8');
      res.pause();
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => (ended = true));
      resolve();
    });
    req.on('error', reject);
  });
  return {
    ready,
    read: () => response!.resume(),
    done: () => ended,
    ids: () => [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1])),
    text: () => text,
    destroy: () => response?.destroy(),
  };
}

describe('F: slow and stuck readers', () => {
  let dir: string;
  let server: ServerProcess;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'runlog-slow-'));
    server = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: dir, RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it(`keeps memory bounded while ${Scale.slowReaders} readers stall, then delivers everything in order`, { timeout: Scale.testTimeoutMs }, async () => {
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const created = await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: admin, body: '{"buildId":"slow"}' })).json();
    const viewer = created.tokens.viewer as string;
    const readers = Array.from({ length: Scale.slowReaders }, () => stalledReader(`${server.url}/v1/builds/slow/stream?token=${viewer}`));
    await Promise.all(readers.map((r) => r.ready));
    const baseline = rssMiB(server.child.pid!);
    const peak = sampleRss(server.child.pid!);

    const started = Date.now();
    const runner = { authorization: `Bearer ${created.tokens.runner}`, 'content-type': 'application/json' };
    const batch = 500;
    for (let from = 1; from <= Scale.slowReaderEvents; from += batch) {
      const count = Math.min(batch, Scale.slowReaderEvents - from + 1);
      const res = await fetch(`${server.url}/v1/builds/slow/events`, {
        method: 'POST',
        headers: runner,
        body: JSON.stringify({ from, events: sampleEvents(from, count, 'x'.repeat(100)), final: from + count - 1 === Scale.slowReaderEvents }),
      });
      expect(res.status).toBe(200);
    }
    const stillStalled = Math.max(0, Scale.slowReaderPauseMs - (Date.now() - started));
    await new Promise((r) => setTimeout(r, stillStalled));
    const peakWhileStalled = peak.stop();
    console.log(`F: server RSS ${baseline.toFixed(0)} MiB with ${Scale.slowReaders} stalled readers, peak ${peakWhileStalled.toFixed(0)} MiB while ${Scale.slowReaderEvents} events were written`);
    expect(peakWhileStalled - baseline).toBeLessThan(RSS_GROWTH_BOUND_MIB);
    expect(readers.some((r) => r.done())).toBe(false);

    for (const r of readers) r.read();
    const deadline = Date.now() + Scale.testTimeoutMs / 2;
    while (readers.some((r) => !r.done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const expected = Array.from({ length: Scale.slowReaderEvents }, (_, i) => i + 1);
    for (const r of readers) {
      expect(r.done()).toBe(true);
      expect(r.ids()).toEqual(expected);
      expect(r.text()).toContain(`event: end\ndata: {"final":${Scale.slowReaderEvents}}`);
    }
  });
});

describe('F: connect/disconnect cycles', () => {
  it(`leaves no sockets, timers or listeners after ${Scale.connectCycles} cycles`, { timeout: Scale.testTimeoutMs }, async () => {
    const server = await startTestServer(PGLITE, { pingIntervalMs: 50 });
    try {
      const { buildId, runner, viewer } = await server.createBuild();
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 10) } });
      const counts = () => {
        const resources = process.getActiveResourcesInfo();
        return {
          listeners: server.engine.hub.listenerCount(),
          timers: resources.filter((r) => r === 'Timeout').length,
          sockets: resources.filter((r) => r === 'TCPSocketWrap').length,
        };
      };
      const before = counts();
      for (let i = 0; i < Scale.connectCycles; i++) {
        const controller = new AbortController();
        const res = await fetch(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}&after=${i % 12}`, { signal: controller.signal });
        const reader = res.body!.getReader();
        await reader.read();
        // Half the readers leave while the server waits for commits, half right after a frame.
        if (i % 2 === 0) await new Promise((r) => setTimeout(r, 2));
        controller.abort();
        await reader.closed.catch(() => {});
      }
      const deadline = Date.now() + 5000;
      let after = counts();
      while (Date.now() < deadline && (after.listeners > before.listeners || after.sockets > before.sockets || after.timers > before.timers)) {
        await new Promise((r) => setTimeout(r, 100));
        after = counts();
      }
      console.log(`F: before ${JSON.stringify(before)} after ${Scale.connectCycles} cycles ${JSON.stringify(after)}`);
      expect(after.listeners).toBe(before.listeners);
      expect(after.sockets).toBeLessThanOrEqual(before.sockets);
      expect(after.timers).toBeLessThanOrEqual(before.timers);
      const metrics = (await server.api('/metrics', { token: null })).body as string;
      expect(metrics).toMatch(/^runlog_sse_streams_open 0$/m);
    } finally {
      await server.stop();
    }
  });
});

export { FULL };

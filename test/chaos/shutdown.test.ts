// Scenario H: SIGTERM during appends and streams. Queued commits finish and are acked, appends
// after the signal get 503, SSE streams close cleanly and resume on the restarted server, and
// no acked event is lost.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE } from '../support/backends.js';
import { startServerProcess } from '../support/server-process.js';
import { openSse } from '../support/sse-reader.js';
import { TEST_ADMIN_TOKEN, sampleEvents, startTestServer } from '../support/test-server.js';

describe('H: graceful shutdown', () => {
  it('answers queued appends, refuses new ones with 503, ends streams and long-polls', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'runlog-close-'));
    const db = { databaseUrl: undefined, databaseSchema: 'public', dataDir: dir, drop: () => rm(dir, { recursive: true, force: true }) };
    const server = await startTestServer(PGLITE, {}, db);
    const { buildId, runner, viewer } = await server.createBuild();
    await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 5) } });
    const sse = await openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`);
    await sse.collect((f) => f.id === '5');
    const longPoll = fetch(`${server.url}/v1/builds/${buildId}/events?after=5&wait=30&token=${viewer}`);
    while (!/^runlog_long_polls_waiting 1$/m.test((await server.api('/metrics', { token: null })).body)) await new Promise((r) => setTimeout(r, 20));
    // Appends racing the shutdown: each is committed and acked, refused with 503, or (not yet
    // read by the server) reset — never acked and lost.
    const inFlight = Array.from({ length: 10 }, (_, k) =>
      fetch(`${server.url}/v1/builds/${buildId}/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${runner}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: 6 + k * 10, events: sampleEvents(6 + k * 10, 10) }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }), () => ({ status: 0, body: null })),
    );
    await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    const closing = server.close();
    const poll = await longPoll;
    expect(poll.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(15_000); // answered by the shutdown, not the 30 s wait
    // The stream ends without an error and without an end frame (the build is not complete).
    const rest = await sse.collect(() => false, 5000);
    expect(rest.some((f) => f.event === 'end')).toBe(false);
    const answers = await Promise.all(inFlight);
    for (const a of answers) expect([200, 503, 0]).toContain(a.status);
    for (const a of answers.filter((a) => a.status === 503)) expect(a.body.code).toBe('unavailable');
    await closing;

    const reopened = await startTestServer(PGLITE, {}, db);
    try {
      const log = (await reopened.api(`/v1/builds/${buildId}/events?limit=1000`, { token: viewer })).body;
      const stored = new Set(log.events.map((e: { seq: number }) => e.seq));
      for (const a of answers.filter((a) => a.status === 200)) {
        for (let seq = 1; seq <= a.body.ack; seq++) expect(stored.has(seq)).toBe(true);
      }
    } finally {
      await reopened.stop();
    }
  });

  describe('as a process on PGlite', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'runlog-term-'));
    });
    afterAll(async () => rm(dir, { recursive: true, force: true }));

    it('loses no acked event across SIGTERM and restart, and readers resume by Last-Event-ID', { timeout: 120_000 }, async () => {
      const env = { PORT: '0', RUNLOG_DATA_DIR: dir, RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN };
      let server = await startServerProcess(env);
      const port = new URL(server.url).port;
      const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
      const created = await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: admin, body: '{"buildId":"term"}' })).json();
      const runner = { authorization: `Bearer ${created.tokens.runner}`, 'content-type': 'application/json' };
      const viewer = created.tokens.viewer as string;
      const total = 3000;

      let ack = 0;
      let stop = false;
      const refusals: number[] = [];
      // A runner: sends from ack+1, keeps the highest ack it was told, retries on any failure.
      const appender = (async () => {
        while (ack < total && !stop) {
          const from = ack + 1;
          const count = Math.min(50, total - ack);
          try {
            const res = await fetch(`http://127.0.0.1:${port}/v1/builds/term/events`, {
              method: 'POST',
              headers: runner,
              body: JSON.stringify({ from, events: sampleEvents(from, count), final: from + count - 1 === total }),
            });
            if (res.status === 200) ack = Math.max(ack, (await res.json()).ack);
            else {
              refusals.push(res.status);
              await res.arrayBuffer();
              await new Promise((r) => setTimeout(r, 100));
            }
          } catch {
            await new Promise((r) => setTimeout(r, 100));
          }
        }
      })();

      const received: number[] = [];
      let lastId = '0';
      const reader = (async () => {
        for (let attempt = 0; attempt < 200; attempt++) {
          try {
            const sse = await openSse(`http://127.0.0.1:${port}/v1/builds/term/stream?token=${viewer}`, { headers: { 'Last-Event-ID': lastId } });
            if (sse.status === 204) return;
            for (;;) {
              const frame = await sse.next(30_000);
              if (!frame) break;
              if (frame.event === 'end') return;
              if (frame.id) {
                received.push(Number(frame.id));
                lastId = frame.id;
              }
            }
          } catch {
            // refused while the server restarts
          }
          await new Promise((r) => setTimeout(r, 200));
        }
      })();

      while (ack < 1000) await new Promise((r) => setTimeout(r, 20));
      const ackBeforeTerm = ack;
      expect(await server.stop('SIGTERM')).toBe(0);
      server = await startServerProcess({ ...env, PORT: port });
      await Promise.race([appender, new Promise((r) => setTimeout(r, 60_000))]);
      stop = true;
      await reader;
      await server.stop('SIGTERM');
      expect(ack).toBe(total);
      expect(ackBeforeTerm).toBeGreaterThanOrEqual(1000);
      expect(received).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      console.log(`H: acked ${ackBeforeTerm} before SIGTERM, ${total} in all; refusals during shutdown: ${refusals.join(',') || 'none'}`);
    });
  });
});

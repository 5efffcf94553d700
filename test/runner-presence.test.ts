// PROTOCOL §Runner presence from the runner library's side: an idle runner keeps lastSeenAt
// fresh, a runner cut off by a proxy goes silent and then reports its backlog draining to 0,
// a runner killed with kill -9 leaves lastSeenAt frozen on an incomplete build — and none of it
// changes a byte of the log or its digest. Heartbeat intervals are 300 ms here (5 s by default);
// the proxy's outage is RUNLOG_PRESENCE_OUTAGE_MS (3 s in `npm test`; the 20 s behave
// the same: the silence only grows longer).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerPresence } from '../protocol/wire-types.js';
import { openRunner } from '../runner-client/index.js';
import { describeRunner } from '../web-client/runner-presence.js';
import { PGLITE } from './support/backends.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { ageMs, presenceOf } from './support/presence-probe.js';
import { startRunnerChild } from './support/runner-harness.js';
import { openSse, type SseFrame } from './support/sse-reader.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const INTERVAL = 300;
const OUTAGE_MS = Number(process.env.RUNLOG_PRESENCE_OUTAGE_MS ?? 3000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runner presence from the library', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let spoolDir: string;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 12 });
    spoolDir = await mkdtemp(join(tmpdir(), 'runlog-presence-'));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    await rm(spoolDir, { recursive: true, force: true });
  });

  const presence = (buildId: string) => presenceOf(server, buildId);

  it('keeps lastSeenAt within two intervals while an idle runner has nothing to send', async () => {
    // A runner in its own process, as in real life: its timers do not wait on the server's work.
    const { buildId, runner: token } = await server.createBuild();
    const child = await startRunnerChild({ url: server.url, buildId, token, spoolDir, count: 1, window: 1, flush: true, heartbeatIntervalMs: INTERVAL, stayOpen: true });
    try {
      await child.waitFor(/^idle$/);
      await expect.poll(async () => (await presence(buildId)).runner?.pid, { timeout: 10_000 }).toBe(child.pid);
      const ages: number[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        await sleep(INTERVAL / 2);
        const now = await presence(buildId);
        ages.push(ageMs(now));
        seen.add(now.runner!.lastSeenAt);
      }
      console.log(`runner presence: idle runner, interval ${INTERVAL} ms: lastSeenAt ages ${Math.min(...ages)}–${Math.max(...ages)} ms over ${ages.length} samples`);
      expect(Math.max(...ages), `ages ${ages.join(', ')}`).toBeLessThanOrEqual(2 * INTERVAL);
      expect(seen.size).toBeGreaterThanOrEqual(ages.length / 4); // it really was refreshed, many times
      const last = (await presence(buildId)).runner!;
      expect(last).toMatchObject({ backlog: { events: 0, bytes: 0 }, state: 'online', pid: child.pid, intervalMs: INTERVAL });
      expect(describeRunner({ complete: false, runner: last }).text).toBe('runner live');
    } finally {
      child.process.kill('SIGKILL');
    }
  });

  it('writes the same log and digest, byte for byte, with heartbeats as without', async () => {
    const run = async (heartbeatIntervalMs: number) => {
      const { buildId, runner: token, viewer } = await server.createBuild();
      const runner = await openRunner({ url: server.url, buildId, token, spoolDir, heartbeatIntervalMs });
      const time = (i: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, i)).toISOString();
      await runner.emit('start', {}, { time: time(0) });
      for (let step = 1; step <= 4; step++) {
        // Seqs follow call order: the emits need not be awaited one by one.
        for (let i = 0; i < 25; i++) void runner.emit('log', { stream: 'stdout', line: `step ${step} line ${i}` }, { time: time(step) });
        await runner.flush();
        await sleep(INTERVAL + 150); // quiet long enough for a heartbeat, when there are any
      }
      const { final, digest } = await runner.finish({ status: 'succeeded' }, { time: time(9) });
      const stats = runner.stats();
      await runner.close();
      const page = (await server.api(`/v1/builds/${buildId}/events?after=0&limit=10000`, { token: viewer })).body;
      const build = (await server.api(`/v1/builds/${buildId}`)).body;
      // receivedAt is the server's clock at commit: the one thing two runs cannot share.
      const log = JSON.stringify(page.events.map(({ receivedAt: _, ...event }: { receivedAt: string }) => event));
      return { final, digest, log, build, stats };
    };
    const withBeats = await run(INTERVAL);
    const without = await run(0);
    expect(withBeats.stats.heartbeats).toBeGreaterThanOrEqual(4);
    expect(without.stats.heartbeats).toBe(0);
    expect(withBeats.build.runner).not.toBeNull();
    expect(without.build.runner).toBeNull();
    expect(withBeats.log).toBe(without.log);
    expect(withBeats.final).toBe(without.final);
    expect(withBeats.digest).toBe(without.digest);
    expect(withBeats.build.digest).toBe(without.build.digest);
    expect({ ack: withBeats.build.ack, final: withBeats.build.final, epoch: withBeats.build.epoch }).toEqual({
      ack: without.build.ack,
      final: without.build.final,
      epoch: without.build.epoch,
    });
  });

  it(`goes silent while a proxy refuses it for ${OUTAGE_MS / 1000} s, then reports its backlog and drains it to 0`, async () => {
    const { buildId, runner: token, viewer } = await server.createBuild();
    const frames = await openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`);
    await frames.next(); // retry:
    const runner = await openRunner({ url: proxy.url, buildId, token, spoolDir, heartbeatIntervalMs: INTERVAL, maxDelayMs: INTERVAL, maxInFlight: 1, maxBatchEvents: 10 });
    try {
      await runner.emit('start', {});
      await runner.flush();
      await expect.poll(async () => (await presence(buildId)).runner?.backlog.events, { timeout: 10_000 }).toBe(0);

      proxy.pause({ severOpen: true });
      // The runner's last word may still be in flight, or held for the end of its write window.
      await sleep(2 * INTERVAL);
      const cut = await presence(buildId);
      const emitted: Array<Promise<number>> = [];
      for (let i = 1; i <= 200; i++) {
        emitted.push(runner.emit('log', { stream: 'stdout', line: `offline ${i}` }));
        if (i % 20 === 0) await sleep(OUTAGE_MS / 12);
      }
      await Promise.all(emitted);
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cut.askedAt)));
      const during = await presence(buildId);
      // Frozen: no word got through, and the silence grew past three intervals.
      expect(during.runner!.lastSeenAt).toBe(cut.runner!.lastSeenAt);
      expect(ageMs(during)).toBeGreaterThan(ageMs(cut));
      expect(ageMs(during)).toBeGreaterThan(3 * INTERVAL);
      expect(describeRunner({ complete: false, runner: during.runner }, during.askedAt).kind).toBe('silent');
      expect(runner.status().state).not.toBe('online');

      proxy.resume();
      // Every stored report reaches the stream: the backlog shows, then drains to 0.
      const after = (f: SseFrame) => f.event === 'runner' && Date.parse(JSON.parse(f.data!).runner.lastSeenAt) > Date.parse(cut.runner!.lastSeenAt);
      const reports = (await frames.collect((f) => after(f) && JSON.parse(f.data!).runner.backlog.events === 0, 20_000))
        .filter(after)
        .map((f) => JSON.parse(f.data!).runner as RunnerPresence);
      const behind = reports.map((r) => r.backlog.events);
      console.log(`runner presence (library): silent ${ageMs(during)} ms into a ${OUTAGE_MS} ms outage; backlogs stored after it: ${behind.join(' → ')}`);
      expect(behind[0], `backlogs reported: ${behind.join(', ')}`).toBeGreaterThan(0);
      expect(behind.at(-1)).toBe(0);
      expect(Date.parse(reports[0]!.lastSeenAt)).toBeGreaterThan(Date.parse(cut.runner!.lastSeenAt) + OUTAGE_MS / 2);
      await runner.flush();
      expect(runner.stats().heartbeatFailures).toBeGreaterThan(0);
    } finally {
      frames.close();
      proxy.resume();
      await runner.close();
    }
  });

  it('leaves lastSeenAt frozen and the build incomplete when the runner is killed with kill -9', async () => {
    const { buildId, runner: token } = await server.createBuild();
    const child = await startRunnerChild({ url: server.url, buildId, token, spoolDir, count: 5, window: 5, flush: true, heartbeatIntervalMs: INTERVAL, stayOpen: true });
    try {
      await child.waitFor(/^idle$/);
      await expect.poll(async () => (await presence(buildId)).runner?.pid, { timeout: 10_000 }).toBe(child.pid);
      await sleep(2 * INTERVAL);
      expect(ageMs(await presence(buildId))).toBeLessThanOrEqual(2 * INTERVAL);
      child.process.kill('SIGKILL');
      await child.exited;
      await sleep(2 * INTERVAL); // its last report may be held for the end of the write window
      const killed = await presence(buildId);
      await sleep(5 * INTERVAL);
      const later = await presence(buildId);
      expect(later.runner!.lastSeenAt).toBe(killed.runner!.lastSeenAt);
      expect(later.status).toBe('running');
      expect(ageMs(later)).toBeGreaterThan(3 * INTERVAL);
      expect(describeRunner({ complete: false, runner: later.runner }, later.askedAt).text).toMatch(/^no word from the runner for \d+ s \(last seen \d\d:\d\d:\d\d\)$/);
    } finally {
      child.process.kill('SIGKILL');
    }
  });
});

// Connections that die without closing — a proxy that stops forwarding and keeps both ends open,
// as a NAT that forgot the flow or a laptop changing networks does. Every reader notices within
// two ping intervals (the server announces the interval on each stream) and resumes on a new
// connection; the runner's appends time out and its backlog drains; nothing is lost or doubled.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent } from '../../protocol/wire-types.js';
import { openRunner } from '../../runner-client/index.js';
import { watchBuild, watchBuilds, type Build } from '../../web-client/index.js';
import { auditStoredLog, lineOf } from '../chaos/support/chaos-fleet.js';
import { PGLITE, POSTGRES } from '../support/backends.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { RUNNER_BIN } from '../support/runner-harness.js';
import { sampleEvents, startTestServer, type TestServer } from '../support/test-server.js';
import { waitFor } from '../support/web-watch.js';

const PING_MS = 400;

describe('silent connection death', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let spool: string;

  beforeAll(async () => {
    server = await startTestServer(POSTGRES.unavailable === undefined ? POSTGRES : PGLITE, { pingIntervalMs: PING_MS });
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 11 });
    spool = await mkdtemp(path.join(tmpdir(), 'runlog-stall-'));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    await rm(spool, { recursive: true, force: true });
  });

  const append = (b: { buildId: string; runner: string }, from: number, count: number, final = false) =>
    server.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from, events: sampleEvents(from, count), ...(final ? { final: true } : {}) } });

  it('web-client: a stream stalled silently is dropped after two ping intervals and the next event arrives once', async () => {
    const build = await server.createBuild('stall-web');
    const events: LogEvent[] = [];
    const watch = watchBuild({
      url: proxy.url,
      token: build.viewer,
      buildId: build.buildId,
      EventSource: EventSource as never,
      reconnectBaseMs: 200,
      reconnectMaxMs: 400,
      onEvent: (e) => events.push(e),
    });
    try {
      await waitFor(() => watch.status.kind === 'live', 'live');
      await append(build, 1, 3);
      await waitFor(() => watch.seq === 3, 'events 1–3');
      proxy.stallOpen();
      const stalledAt = Date.now();
      await append(build, 4, 1);
      // Two ping intervals of silence, a JSON call that may meet a stalled keep-alive socket
      // (it times out after two intervals too), and the reconnect delays: bounded well below this.
      await waitFor(() => watch.seq === 4, 'event 4 after the stall', 2 * PING_MS + 2 * PING_MS + 3 * 400 + 5000);
      console.log(`web-client saw the event appended after the stall ${Date.now() - stalledAt} ms later (ping ${PING_MS} ms)`);
      expect(watch.stats.deadStreams).toBeGreaterThanOrEqual(1);
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
      expect(proxy.counts().stall).toBeGreaterThanOrEqual(1);
    } finally {
      watch.close();
    }
  });

  it('web-client: a build list stalled silently is reopened and shows a build created after the stall', async () => {
    await server.createBuild('stall-list-before');
    let builds: readonly Build[] = [];
    const watch = watchBuilds({
      url: proxy.url,
      token: (await server.api('/v1/tokens', { body: { scope: 'read:*' } })).body.token,
      EventSource: EventSource as never,
      reconnectBaseMs: 200,
      reconnectMaxMs: 400,
      onChange: (list) => (builds = list),
    });
    try {
      await waitFor(() => builds.some((b) => b.buildId === 'stall-list-before'), 'the list');
      proxy.stallOpen();
      await server.createBuild('stall-list-after');
      await waitFor(() => builds.some((b) => b.buildId === 'stall-list-after'), 'the build created after the stall', 4 * PING_MS + 3 * 400 + 5000);
      expect(builds.filter((b) => b.buildId === 'stall-list-after')).toHaveLength(1);
    } finally {
      watch.close();
    }
  });

  it('runlog-runner tail: resumes after a silent stall and prints every event once', async () => {
    const build = await server.createBuild('stall-tail');
    await append(build, 1, 3);
    const child = spawn(process.execPath, [RUNNER_BIN, 'tail', '--url', proxy.url, '--build', build.buildId, '--token', build.viewer], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      await waitFor(() => stdout.includes('3 log'), 'events 1–3 printed');
      // Let the tail hear a ping (the announced interval), then stall everything open.
      await new Promise((r) => setTimeout(r, PING_MS * 1.5));
      proxy.stallOpen();
      await append(build, 4, 2, true);
      expect(await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))])).toBe(0);
      expect(stdout.trim().split('\n').map((l) => Number(l.split(' ')[0]))).toEqual([1, 2, 3, 4, 5]);
      expect(stderr).toMatch(/not even a ping: the connection is dead/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('runner: appends on stalled connections time out and the backlog drains exactly', async () => {
    const build = await server.createBuild('stall-runner');
    const runner = await openRunner({ url: proxy.url, buildId: build.buildId, token: build.runner, spoolDir: spool, requestTimeoutMs: 1000, maxBatchEvents: 20, maxDelayMs: 500, durability: 'none' });
    try {
      for (let i = 1; i <= 100; i++) await runner.emit('log', { stream: 'stdout', line: lineOf(build.buildId, i) });
      await runner.flush();
      proxy.stallOpen();
      for (let i = 101; i <= 199; i++) void runner.emit('log', { stream: 'stdout', line: lineOf(build.buildId, i) });
      const result = await runner.finish({ status: 'succeeded' });
      expect(result.final).toBe(200);
      const audit = await auditStoredLog(server.url, server.adminToken, build.buildId, 200);
      expect(audit).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0, digest: result.digest });
    } finally {
      await runner.close();
    }
  });
});

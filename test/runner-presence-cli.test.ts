// PROTOCOL §Runner presence from the `runlog-runner` CLI (the built bin, heartbeat every 300 ms
// through RUNLOG_HEARTBEAT_MS): an idle `exec -- sleep` keeps lastSeenAt fresh, a proxy that
// refuses it makes it go silent and then report its backlog draining to 0, and `kill -9` leaves
// lastSeenAt frozen on an incomplete build. The issue's `sleep 20` and 20 s outage are scaled to
// RUNLOG_PRESENCE_SLEEP_S (5) and RUNLOG_PRESENCE_OUTAGE_MS (3000) in `npm test`; the behaviour
// is the same, only the waits are longer.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerPresence } from '../protocol/wire-types.js';
import { describeRunner } from '../web-client/runner-presence.js';
import { PGLITE } from './support/backends.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { ageMs, presenceOf } from './support/presence-probe.js';
import { startCli } from './support/runner-harness.js';
import { openSse, type SseFrame } from './support/sse-reader.js';
import { startTestServer, type TestServer } from './support/test-server.js';

const INTERVAL = 300;
const SLEEP_S = Number(process.env.RUNLOG_PRESENCE_SLEEP_S ?? 5);
const OUTAGE_MS = Number(process.env.RUNLOG_PRESENCE_OUTAGE_MS ?? 3000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const RUNNER_VERSION = (JSON.parse(await readFile(new URL('../runner-client/package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('runner presence from the CLI', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let dir: string;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 1212 });
    dir = await mkdtemp(join(tmpdir(), 'runlog-presence-cli-'));
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const env = (url: string, buildId: string, token: string) => ({
    RUNLOG_URL: url,
    RUNLOG_BUILD: buildId,
    RUNLOG_TOKEN: token,
    RUNLOG_SPOOL: join(dir, 'spool'),
    RUNLOG_HEARTBEAT_MS: String(INTERVAL),
  });
  const presence = (buildId: string) => presenceOf(server, buildId);

  it(`keeps lastSeenAt within two intervals throughout an idle \`exec -- sleep ${SLEEP_S}\`, then says the runner finished`, async () => {
    const { buildId, runner: token } = await server.createBuild();
    const cli = startCli(['exec', '--', 'sleep', String(SLEEP_S)], env(server.url, buildId, token));
    let exited = false;
    void cli.result.then(() => (exited = true));
    await expect.poll(async () => (await presence(buildId)).runner, { timeout: 10_000 }).not.toBeNull();
    const ages: number[] = [];
    while (!exited) {
      const now = await presence(buildId);
      if (now.status === 'complete') break; // the finish is in: the runner is done, not silent
      ages.push(ageMs(now));
      expect(now.runner).toMatchObject({ host: hostname().slice(0, 255), pid: cli.process.pid, version: RUNNER_VERSION, intervalMs: INTERVAL });
      await sleep(INTERVAL / 2);
    }
    const result = await cli.result;
    expect(result.code, result.stderr).toBe(0);
    console.log(`runner presence (CLI): exec -- sleep ${SLEEP_S}, interval ${INTERVAL} ms: lastSeenAt ages ${Math.min(...ages)}–${Math.max(...ages)} ms over ${ages.length} samples`);
    expect(ages.length).toBeGreaterThanOrEqual((SLEEP_S * 1000) / INTERVAL);
    expect(Math.max(...ages), `ages ${ages.join(', ')}`).toBeLessThanOrEqual(2 * INTERVAL);
    const done = await presence(buildId);
    expect(done.status).toBe('complete');
    expect(describeRunner({ complete: true, runner: done.runner }).text).toBe('runner finished');
  });

  it(`goes silent while a proxy refuses it for ${OUTAGE_MS / 1000} s, then reports its backlog and drains it to 0`, async () => {
    const { buildId, runner: token, viewer } = await server.createBuild();
    const go = join(dir, `${buildId}.go`);
    const stop = join(dir, `${buildId}.stop`);
    // Quiet until told, then 200 lines at once, then quiet until told again.
    const script = `while [ ! -f ${go} ]; do sleep 0.05; done; for i in $(seq 1 200); do echo "line $i"; done; while [ ! -f ${stop} ]; do sleep 0.05; done`;
    const frames = await openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`);
    await frames.next(); // retry:
    const cli = startCli(['exec', '--no-echo', '--', 'sh', '-c', script], env(proxy.url, buildId, token));
    try {
      await expect.poll(async () => (await presence(buildId)).runner?.backlog.events, { timeout: 10_000 }).toBe(0);
      proxy.pause({ severOpen: true });
      await writeFile(go, '');
      await sleep(2 * INTERVAL); // a last word may still be in flight or held by the server
      const cut = await presence(buildId);
      await sleep(OUTAGE_MS);
      const during = await presence(buildId);
      expect(during.runner!.lastSeenAt).toBe(cut.runner!.lastSeenAt);
      expect(ageMs(during)).toBeGreaterThan(3 * INTERVAL);
      expect(describeRunner({ complete: false, runner: during.runner }, during.askedAt).kind).toBe('silent');

      proxy.resume();
      const after = (f: SseFrame) => f.event === 'runner' && Date.parse(JSON.parse(f.data!).runner.lastSeenAt) > Date.parse(cut.runner!.lastSeenAt);
      const reports = (await frames.collect((f) => after(f) && JSON.parse(f.data!).runner.backlog.events === 0, 30_000))
        .filter(after)
        .map((f) => JSON.parse(f.data!).runner as RunnerPresence);
      const behind = reports.map((r) => r.backlog.events);
      console.log(`runner presence (CLI): silent ${ageMs(during)} ms into a ${OUTAGE_MS} ms outage; backlogs stored after it: ${behind.join(' → ')}`);
      expect(behind[0], `backlogs reported: ${behind.join(', ')}`).toBeGreaterThan(0);
      expect(behind.at(-1)).toBe(0);
      await writeFile(stop, '');
      const result = await cli.result;
      expect(result.code, result.stderr).toBe(0);
      expect((await presence(buildId)).status).toBe('complete');
    } finally {
      frames.close();
      proxy.resume();
      cli.process.kill('SIGKILL');
    }
  });

  it('leaves lastSeenAt frozen and the build incomplete when the CLI is killed with kill -9', async () => {
    const { buildId, runner: token } = await server.createBuild();
    const cli = startCli(['exec', '--', 'sleep', '60'], env(server.url, buildId, token));
    let sleeper: number | undefined;
    try {
      await expect.poll(async () => (await presence(buildId)).runner?.pid, { timeout: 10_000 }).toBe(cli.process.pid);
      const children = await readFile(`/proc/${cli.process.pid}/task/${cli.process.pid}/children`, 'utf8').catch(() => '');
      sleeper = Number(children.trim().split(/\s+/)[0]) || undefined;
      cli.process.kill('SIGKILL');
      await cli.result;
      await sleep(2 * INTERVAL);
      const killed = await presence(buildId);
      await sleep(5 * INTERVAL);
      const later = await presence(buildId);
      expect(later.runner!.lastSeenAt).toBe(killed.runner!.lastSeenAt);
      expect(later.status).toBe('running');
      expect(ageMs(later)).toBeGreaterThan(3 * INTERVAL);
      expect(describeRunner({ complete: false, runner: later.runner }, later.askedAt).kind).toBe('silent');
    } finally {
      cli.process.kill('SIGKILL');
      // The `sleep` the CLI started outlives it (kill -9 forwards nothing); it was ours to start.
      if (sleeper !== undefined) process.kill(sleeper, 'SIGKILL');
    }
  });
});

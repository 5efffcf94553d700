// Runner failover (RUNLOG_URL / `url` with several base URLs of one deployment, here two compiled
// bins on one PostgreSQL): the runner moves
// to the next URL on a connection failure or a 502/503/504, comes back to the first once it is
// ready again, and never loses its place — the ack is the server's, shared through PostgreSQL.
// Also: a proxy's HTML error page is reported as its status and one short line.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRunner } from '../../runner-client/index.js';
import { auditStoredLog, lineOf } from '../chaos/support/chaos-fleet.js';
import { startInstanceFleet, type Instance, type InstanceFleet } from '../chaos/support/instance-fleet.js';
import { POSTGRES } from '../support/backends.js';
import { RUNNER_BIN, freePort, runCli } from '../support/runner-harness.js';
import { TEST_ADMIN_TOKEN } from '../support/test-server.js';

async function appendsServed(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^runlog_append_requests_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

describe.skipIf(POSTGRES.unavailable !== undefined)('runner failover across several URLs', () => {
  let fleet: InstanceFleet;
  let spool: string;
  const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };

  async function createBuild(url: string, buildId: string): Promise<{ buildId: string; runner: string }> {
    const body = (await (await fetch(`${url}/v1/builds`, { method: 'POST', headers: admin, body: JSON.stringify({ buildId }) })).json()) as { tokens: { runner: string } };
    return { buildId, runner: body.tokens.runner };
  }

  beforeAll(async () => {
    // Two compiled bins on one PostgreSQL schema, each on a port it keeps across restarts.
    fleet = await startInstanceFleet(2, process.env.TEST_DATABASE_URL!);
    spool = await mkdtemp(path.join(tmpdir(), 'runlog-failover-'));
  });
  afterAll(async () => {
    await fleet?.stop();
    await rm(spool, { recursive: true, force: true });
  });

  it('uploads everything through the second URL when the first is dead from the start', async () => {
    const b = fleet.instances[1]!;
    const build = await createBuild(b.url, 'first-dead');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const runner = await openRunner({ url: [dead, b.url], buildId: build.buildId, token: build.runner, spoolDir: spool, maxBatchEvents: 20, durability: 'none' });
    for (let i = 1; i < 200; i++) void runner.emit('log', { stream: 'stdout', line: lineOf(build.buildId, i) });
    const result = await runner.finish({ status: 'succeeded' });
    await runner.close();
    expect(await auditStoredLog(b.url, TEST_ADMIN_TOKEN, build.buildId, 200)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0, digest: result.digest });

    // The CLI takes the same list, comma-separated.
    const cliBuild = await createBuild(b.url, 'cli-first-dead');
    const cli = await runCli(['emit', 'note', '{"n":1}'], { RUNLOG_URL: `${dead},${b.url}`, RUNLOG_BUILD: cliBuild.buildId, RUNLOG_TOKEN: cliBuild.runner, RUNLOG_SPOOL: spool });
    expect(cli.code, cli.stderr).toBe(0);
  });

  it('moves on when the first instance is killed with -9 mid-build, comes back once it is up again, and keeps one exact log', async () => {
    const [a, b] = fleet.instances as [Instance, Instance];
    const build = await createBuild(a.url, 'first-killed');
    const runner = await openRunner({ url: [a.url, b.url], buildId: build.buildId, token: build.runner, spoolDir: spool, maxBatchEvents: 10, maxDelayMs: 300, failbackMs: 100, durability: 'none' });
    let seq = 0;
    const emit = async (n: number) => {
      for (let k = 0; k < n; k++) await runner.emit('log', { stream: 'stdout', line: lineOf(build.buildId, ++seq) });
      await runner.flush();
    };
    await emit(100);
    expect(await appendsServed(a.url)).toBeGreaterThan(0);
    const onB = await appendsServed(b.url);
    // Killed while batches are in flight: some answers are lost; the runner resends them to b.
    const writing = emit(100);
    await new Promise((r) => setTimeout(r, 20));
    expect(await a.stop('SIGKILL')).toBe('SIGKILL');
    await writing;
    expect(await appendsServed(b.url)).toBeGreaterThan(onB);

    await a.start(); // the first is back on its address
    await new Promise((r) => setTimeout(r, 500)); // a few failback probes
    const aBefore = await appendsServed(a.url);
    await emit(100);
    expect(await appendsServed(a.url)).toBeGreaterThan(aBefore);
    const result = await runner.finish({ status: 'succeeded' });
    await runner.close();
    expect(result.final).toBe(301);
    expect(await auditStoredLog(b.url, TEST_ADMIN_TOKEN, build.buildId, 301)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0, digest: result.digest });
  });

  it('refuses a URL list with a bad entry at construction and at the command line', async () => {
    const b = fleet.instances[1]!;
    await expect(openRunner({ url: [b.url, 'ftp://x'], buildId: 'x', token: 't', spoolDir: spool })).rejects.toThrow('Expected `url` entry 2 to be an http(s) base URL, got "ftp://x"');
    const cli = await runCli(['emit', 'x'], { RUNLOG_URL: `${b.url},not a url`, RUNLOG_BUILD: 'x', RUNLOG_TOKEN: 't' });
    expect(cli.code).toBe(2);
    expect(cli.stderr).toBe('runlog-runner: RUNLOG_URL entry 2 must be an http(s) URL, got "not a url" (see runlog-runner --help)\n');
  });
});

describe('a proxy answering its HTML error page', () => {
  const PAGE = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n${'<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n'.repeat(6)}`;
  let proxy: Server;
  let url: string;
  beforeAll(async () => {
    proxy = createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(PAGE);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

  it('is reported by `runlog-runner exec` as its status and one short line on each retry, never the page', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'runlog-502-'));
    try {
      const child = spawn(process.execPath, [RUNNER_BIN, 'exec', '--', 'echo', 'hello'], {
        env: { PATH: process.env.PATH ?? '', RUNLOG_URL: url, RUNLOG_BUILD: 'b502', RUNLOG_TOKEN: 'rl1.x.y', RUNLOG_SPOOL: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      await new Promise((r) => setTimeout(r, 2500)); // several retries
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
      const lines = stderr.split('\n').filter((l) => l.includes('502'));
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatch(/502 Bad Gateway \(a \d+-byte text\/html answer, not problem\+json\)/);
        expect(line.length).toBeLessThan(200);
      }
      expect(stderr).not.toMatch(/<html|<center|<title|MSIE/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Runner failover (RUNLOG_URL / `url` with several base URLs of one deployment): the runner moves
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
import { POSTGRES, type BackendDatabase } from '../support/backends.js';
import { RUNNER_BIN, freePort, runCli } from '../support/runner-harness.js';
import { startTestServer, type TestServer } from '../support/test-server.js';

async function appendsServed(server: TestServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^runlog_append_requests_total\{outcome="ok"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

describe.skipIf(POSTGRES.unavailable !== undefined)('runner failover across several URLs', () => {
  let db: BackendDatabase;
  let a: TestServer;
  let b: TestServer;
  let aPort: number;
  let spool: string;

  beforeAll(async () => {
    db = await POSTGRES.fresh();
    aPort = await freePort();
    a = await startTestServer(POSTGRES, { port: aPort }, db);
    b = await startTestServer(POSTGRES, {}, db);
    spool = await mkdtemp(path.join(tmpdir(), 'runlog-failover-'));
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
    await rm(spool, { recursive: true, force: true });
  });

  it('uploads everything through the second URL when the first is dead from the start', async () => {
    const build = await b.createBuild('first-dead');
    const dead = `http://127.0.0.1:${await freePort()}`;
    const runner = await openRunner({ url: [dead, b.url], buildId: build.buildId, token: build.runner, spoolDir: spool, maxBatchEvents: 20, durability: 'none' });
    for (let i = 1; i < 200; i++) void runner.emit('log', { stream: 'stdout', line: lineOf(build.buildId, i) });
    const result = await runner.finish({ status: 'succeeded' });
    await runner.close();
    expect(await auditStoredLog(b.url, b.adminToken, build.buildId, 200)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0, digest: result.digest });

    // The CLI takes the same list, comma-separated.
    const cli = await runCli(['emit', 'note', '{"n":1}'], { RUNLOG_URL: `${dead},${b.url}`, RUNLOG_BUILD: 'cli-first-dead', RUNLOG_TOKEN: (await b.createBuild('cli-first-dead')).runner, RUNLOG_SPOOL: spool });
    expect(cli.code, cli.stderr).toBe(0);
  });

  it('moves on when the first instance is stopped mid-build, comes back once it is up again, and keeps one exact log', async () => {
    const build = await a.createBuild('first-killed');
    const runner = await openRunner({ url: [a.url, b.url], buildId: build.buildId, token: build.runner, spoolDir: spool, maxBatchEvents: 10, maxDelayMs: 300, failbackMs: 100, durability: 'none' });
    let seq = 0;
    const emit = async (n: number) => {
      for (let k = 0; k < n; k++) await runner.emit('log', { stream: 'stdout', line: lineOf(build.buildId, ++seq) });
      await runner.flush();
    };
    await emit(100);
    const onA = await appendsServed(a);
    expect(onA).toBeGreaterThan(0);
    await a.close(); // mid-build
    const bBefore = await appendsServed(b);
    await emit(100);
    expect(await appendsServed(b)).toBeGreaterThan(bBefore);

    a = await startTestServer(POSTGRES, { port: aPort }, db); // the first is back on its address
    await new Promise((r) => setTimeout(r, 500)); // a few failback probes
    const aBefore = await appendsServed(a);
    await emit(100);
    expect(await appendsServed(a)).toBeGreaterThan(aBefore);
    const result = await runner.finish({ status: 'succeeded' });
    await runner.close();
    expect(result.final).toBe(301);
    expect(await auditStoredLog(b.url, b.adminToken, build.buildId, 301)).toMatchObject({ lost: 0, duplicated: 0, reordered: 0, wrongContent: 0, digest: result.digest });
  });

  it('refuses a URL list with a bad entry at construction and at the command line', async () => {
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

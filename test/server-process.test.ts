// The compiled `runlog` bin as a user runs it: --help, one line per bad argument or variable,
// the first start generates and prints the admin token's file (and none in memory), and acked events survive
// kill -9 on PGlite; under `npm start`, a SIGTERM to npm reaches it; it handles SIGTERM before
// it says it listens, and its listen backlog holds a burst of connections.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sampleEvents } from './support/test-server.js';
import { runServerToExit, startServerProcess } from './support/server-process.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

describe('the server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-proc-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it('answers --help with the usage and every variable, and refuses an unknown flag with one line and exit 2', async () => {
    const help = await runServerToExit({}, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: runlog /);
    for (const variable of ['PORT', 'HOST', 'DATABASE_URL', 'RUNLOG_DATA_DIR', 'RUNLOG_ADMIN_TOKEN', 'RUNLOG_SECRET', 'RUNLOG_MAX_BODY_BYTES']) expect(help.stdout).toContain(variable);
    const bad = await runServerToExit({}, ['--listen']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('runlog: unknown option --listen (see runlog --help)\n');
    const extra = await runServerToExit({}, ['serve']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toBe('runlog: unexpected argument "serve" (see runlog --help)\n');
  });

  it('refuses a bad configuration with one line naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['PORT', '70000'],
      ['DATABASE_URL', 'mysql://x'],
      ['RUNLOG_MAX_GAP', '-1'],
      ['RUNLOG_LOG_LEVEL', 'loud'],
    ] as const) {
      const { code, stderr } = await runServerToExit({ [name]: value, RUNLOG_DATA_DIR: dataDir });
      expect(code, name).toBe(2);
      expect(stderr).toMatch(new RegExp(`^runlog: ${name}=${JSON.stringify(JSON.stringify(value)).slice(1, -1)}: .+\n$`));
    }
  });

  it('prints its URL, a dashboard link and the generated admin token file; keeps acked events across kill -9', async () => {
    const first = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: dataDir });
    const tokenFile = path.join(path.resolve(dataDir), 'admin-token');
    expect(first.stdout()).toContain(`stored in ${tokenFile}`);
    expect(first.stdout()).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=rl1\./);
    const admin = (await readFile(tokenFile, 'utf8')).trim();
    const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const created = await (await fetch(`${first.url}/v1/builds`, { method: 'POST', headers: auth, body: JSON.stringify({ buildId: 'durable' }) })).json();
    const runner = { authorization: `Bearer ${created.tokens.runner}`, 'content-type': 'application/json' };
    let ack = 0;
    for (let from = 1; from <= 200; from += 20) {
      const res = await fetch(`${first.url}/v1/builds/durable/events`, { method: 'POST', headers: runner, body: JSON.stringify({ from, events: sampleEvents(from, 20) }) });
      ack = (await res.json()).ack;
    }
    expect(ack).toBe(200);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    const second = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: dataDir });
    try {
      expect(second.stdout()).not.toContain('admin token');
      const log = await (await fetch(`${second.url}/v1/builds/durable/events?limit=1000`, { headers: { authorization: `Bearer ${created.tokens.viewer}` } })).json();
      expect(log.ack).toBe(200);
      expect(log.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  });

  it('with RUNLOG_DATA_DIR=memory:// prints a generated admin token that works and writes no file', async () => {
    // path.join('memory://', 'secret') is 'memory:/secret': the secrets once went to ./memory:/.
    const cwd = path.join(dataDir, 'in-memory-cwd');
    await mkdir(cwd);
    const server = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: 'memory://' }, { cwd });
    try {
      const admin = /admin token \(generated, in memory for this run only\): (\S+)/.exec(server.stdout())?.[1];
      expect(admin, server.stdout()).toBeDefined();
      const created = await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: '{}' });
      expect(created.status).toBe(201);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('handles SIGTERM before it prints that it listens, so a supervisor signalling at once gets a graceful stop', async () => {
    // Reports, on stderr, how many SIGTERM listeners the process has when the start line is written.
    const probe = `const write = process.stdout.write.bind(process.stdout);
      process.stdout.write = (chunk, ...rest) => {
        if (String(chunk).includes('listening on')) process.stderr.write('sigterm listeners: ' + process.listenerCount('SIGTERM') + '\\n');
        return write(chunk, ...rest);
      };`;
    const server = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: 'memory://', NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(probe)}` });
    try {
      // stderr is a pipe of its own: its line may reach us after the start line on stdout.
      await vi.waitFor(() => expect(server.stderr()).toMatch(/sigterm listeners: \d/), { timeout: 10_000 });
      expect(server.stderr()).toMatch(/sigterm listeners: [1-9]/);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('holds a burst of 1 000 connections it cannot accept yet, where Node\'s default backlog of 511 dropped the rest', async () => {
    // Node 20's libuv accepts one connection per event-loop turn, so a busy server leaves a burst
    // in the kernel's queue; what does not fit is dropped and the client waits out a 1 s, 3 s, 7 s
    // SYN retransmit. A stopped server accepts nothing: the queue alone must take the burst.
    const burst = 1000;
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    const server = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: 'memory://' });
    const sockets: Socket[] = [];
    try {
      const port = Number(new URL(server.url).port);
      server.child.kill('SIGSTOP');
      let connected = 0;
      await new Promise<void>((resolve) => {
        // Long enough for loopback handshakes on a loaded machine; the dropped ones never complete
        // while the server is stopped, so waiting longer would not change the count.
        const giveUp = setTimeout(resolve, 5000);
        for (let i = 0; i < burst; i++) {
          const socket = connect(port, '127.0.0.1', () => {
            if (++connected === burst) {
              clearTimeout(giveUp);
              resolve();
            }
          });
          socket.on('error', () => {});
          sockets.push(socket);
        }
      });
      expect(connected).toBeGreaterThanOrEqual(Math.min(burst, somaxconn));
    } finally {
      for (const socket of sockets) socket.destroy();
      server.child.kill('SIGCONT');
      expect(await server.stop('SIGTERM')).toBe(0);
    }
  });

  it('under `npm start` is npm\'s own child, so SIGTERM to npm shuts it down gracefully instead of orphaning it', async () => {
    // The repository's start script as it is, in a scratch project whose build step is a no-op
    // (the real one rewrites server/dist, which other test files are using) and whose bin is
    // the real one.
    const project = path.join(dataDir, 'npm-start');
    const { scripts } = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
    await mkdir(path.join(project, 'scripts'), { recursive: true });
    await mkdir(path.join(project, 'server', 'bin'), { recursive: true });
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'npm-start', private: true, scripts: { start: scripts.start } }));
    await writeFile(path.join(project, 'scripts', 'build.mjs'), '');
    await symlink(path.join(ROOT, 'server', 'bin', 'runlog.js'), path.join(project, 'server', 'bin', 'runlog.js'));
    const npm = spawn('npm', ['start'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', RUNLOG_DATA_DIR: path.join(project, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    await expect.poll(() => out, { timeout: 60_000, interval: 100 }).toMatch(/runlog listening on http/);
    // With a shell between them, npm's forwarded SIGTERM ended the shell and left the server running.
    const [server] = childrenOf(npm.pid!);
    expect(server).toBeDefined();
    expect(readFileSync(`/proc/${server}/cmdline`, 'utf8').split('\0')).toContain('server/bin/runlog.js');
    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toContain('shutting down');
    expect(() => process.kill(server!, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

/** Pids whose parent is `pid` (Linux's /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // The parent pid is the second field after the parenthesised command name.
        return Number(readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('the server process refusing a bad operating variable', () => {
  it('stops at start with one line for RUNLOG_WORKERS=0, an unknown retention unit and a key that is not the certificate\'s', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'runlog-refuse-'));
    try {
      const { execFileSync } = await import('node:child_process');
      const cert = path.join(dir, 'cert.pem');
      const key = path.join(dir, 'key.pem');
      const other = path.join(dir, 'other.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=x', '-days', '1'], { stdio: 'ignore' });
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', other], { stdio: 'ignore' });
      const results = await Promise.all([
        runServerToExit({ RUNLOG_DATA_DIR: dir, RUNLOG_WORKERS: '0' }),
        runServerToExit({ RUNLOG_DATA_DIR: dir, RUNLOG_RETENTION: '2w' }),
        runServerToExit({ RUNLOG_DATA_DIR: dir, RUNLOG_TLS_CERT: cert, RUNLOG_TLS_KEY: other }),
      ]);
      expect(results.map((r) => r.code)).toEqual([2, 2, 2]);
      expect(results[0]!.stderr).toMatch(/^runlog: RUNLOG_WORKERS="0": must be a whole number .+\n$/);
      expect(results[1]!.stderr).toBe('runlog: RUNLOG_RETENTION="2w": has an unknown unit "w": use ms, s, m, h or d\n');
      expect(results[2]!.stderr).toBe(`runlog: RUNLOG_TLS_KEY=${JSON.stringify(other)}: does not match the certificate in RUNLOG_TLS_CERT\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// Debian's nginx in front of runlog instances, for the deployment tests: runs the shipped
// deploy/nginx.conf with only the listen address, the upstream servers, the worker count and the
// access log's path replaced, in a prefix directory of its own (no root paths), in the foreground.
// Without nginx the suites skip with a message — except in CI (CI=true), where they fail.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './runner-harness.js';

export const NGINX_BIN = process.env.NGINX_PATH || '/usr/sbin/nginx';
export const SHIPPED_NGINX_CONF = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url));

export const NGINX_UNAVAILABLE: string | undefined = existsSync(NGINX_BIN)
  ? undefined
  : `No nginx at ${NGINX_BIN}: install Debian's nginx package (apt-get install nginx) or set NGINX_PATH.`;

if (NGINX_UNAVAILABLE !== undefined) {
  if (process.env.CI === 'true') throw new Error(`CI (CI=true) needs nginx for the deployment tests. ${NGINX_UNAVAILABLE}`);
  console.warn(`${NGINX_UNAVAILABLE} Skipping the nginx tests.`);
}

/** The shipped config with this test's listen port, upstreams and log path; every other directive as shipped. */
export function deriveNginxConf(shipped: string, options: { port: number; upstreams: readonly number[]; accessLog: string }): string {
  const upstream = /upstream runlog \{([\s\S]*?)\n\s*\}/.exec(shipped);
  if (!upstream) throw new Error('deploy/nginx.conf has no `upstream runlog { … }` block');
  const serverLine = /^(\s*)server 127\.0\.0\.1:\d+( [^;]*)?;.*$/m.exec(upstream[1]!);
  if (!serverLine) throw new Error('deploy/nginx.conf: the upstream has no `server 127.0.0.1:PORT …;` line');
  const [, indent, params = ''] = serverLine;
  const servers = options.upstreams.map((port) => `${indent}server 127.0.0.1:${port}${params};`).join('\n');
  const body = upstream[1]!.replace(/^\s*server 127\.0\.0\.1:\d+[^\n]*\n?/gm, '');
  const replace = (text: string, pattern: RegExp, by: string): string => {
    if (!pattern.test(text)) throw new Error(`deploy/nginx.conf: expected ${pattern}`);
    return text.replace(pattern, by);
  };
  let conf = shipped.replace(upstream[0], `upstream runlog {\n${servers}${body}\n  }`);
  conf = replace(conf, /^(\s*)listen 80;/m, `$1listen 127.0.0.1:${options.port};`);
  conf = replace(conf, /^(\s*)access_log \S+ runlog_json;/m, `$1access_log ${options.accessLog} runlog_json;`);
  // Two cores shared by the test's instances: one nginx worker is plenty.
  conf = replace(conf, /^worker_processes auto;/m, 'worker_processes 1;');
  return conf;
}

export interface AccessLine {
  readonly reqId: string;
  readonly method: string;
  readonly uri: string;
  readonly status: number;
  readonly upstream: string;
  readonly upstreamStatus: string;
  readonly retryAfter: string;
}

export interface Nginx {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The access log so far, parsed (one JSON object a line). */
  accessLog(): Promise<AccessLine[]>;
  /** Stops nginx (graceful, then kill) and removes its directory. */
  stop(): Promise<void>;
}

export async function startNginx(upstreams: readonly number[]): Promise<Nginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'runlog-nginx-'));
  await chmod(dir, 0o755); // nginx's workers may run as another user and must reach the temp dirs
  const port = await freePort();
  const accessLog = path.join(dir, 'access.log');
  const conf = path.join(dir, 'nginx.conf');
  await writeFile(conf, deriveNginxConf(await readFile(SHIPPED_NGINX_CONF, 'utf8'), { port, upstreams, accessLog }));
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log stderr warn;`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    try {
      await fetch(`${url}/healthz`);
      break; // any answer (even a 502 with no instance up) means nginx listens
    } catch {
      if (Date.now() > deadline) throw new Error(`nginx did not listen within 15 s: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    dir,
    async accessLog() {
      const text = existsSync(accessLog) ? await readFile(accessLog, 'utf8') : '';
      return text
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as AccessLine);
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

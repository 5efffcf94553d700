// Helpers for the runner-client scenario tests: read a build's whole log, run a runner in a
// child process (crash, RSS), run the `runlog-runner` CLI, find a free port.
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LogEvent } from '../../protocol/schemas.js';
import type { TestServer } from './test-server.js';

/** Every committed event of a build, paging through the JSON read. */
export async function readLog(server: Pick<TestServer, 'url'>, buildId: string, token: string): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  for (let after = 0; ; ) {
    const res = await fetch(`${server.url}/v1/builds/${buildId}/events?after=${after}&limit=10000`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status !== 200) throw new Error(`read ${buildId}: ${res.status} ${await res.text()}`);
    const page = (await res.json()) as { events: LogEvent[]; ack: number };
    events.push(...page.events);
    if (page.events.length === 0 || page.events.at(-1)!.seq >= page.ack) return events;
    after = page.events.at(-1)!.seq;
  }
}


const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('./runner-child.ts', import.meta.url));
export const RUNNER_BIN = fileURLToPath(new URL('../../runner-client/bin/runlog-runner.js', import.meta.url));

/** A port nothing listens on right now (for a server that starts later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RunnerChild {
  readonly process: ChildProcessWithoutNullStreams;
  readonly pid: number;
  /** Every stdout line so far. */
  readonly lines: string[];
  /** Resolves with the first line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

let childBundle: Promise<string> | undefined;

/**
 * runner-child.ts bundled into one plain .mjs, so the child is a bare `node` process: under tsx
 * its loader thread alone takes ~70 MB of RSS, which would drown what the runner itself uses.
 */
function bundledChild(): Promise<string> {
  childBundle ??= (async () => {
    const outfile = join(await mkdtemp(join(tmpdir(), 'runlog-child-')), 'runner-child.mjs');
    await build({
      entryPoints: [CHILD],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      logLevel: 'warning',
      // Some dependencies still call require(); give the ESM bundle one.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    });
    return outfile;
  })();
  return childBundle;
}

/** Starts test/support/runner-child.ts (bundled) with `config`. */
export async function startRunnerChild(config: Record<string, unknown>): Promise<RunnerChild> {
  const child = spawn(process.execPath, [await bundledChild(), JSON.stringify(config)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) if (w.pattern.test(line)) waiters.splice(waiters.indexOf(w), 1) && w.resolve(line);
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return {
    process: child,
    pid: child.pid!,
    lines,
    exited,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 30_000) {
      const seen = lines.find((l) => pattern.test(l));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`runner child: no line matching ${pattern} in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        waiters.push({ pattern, resolve: (line) => (clearTimeout(timer), resolve(line)) });
        void exited.then(() => setTimeout(() => reject(new Error(`runner child exited before ${pattern}; stderr: ${err}`)), 50));
      });
    },
  };
}

/** Resident memory of a process in bytes (Linux /proc). */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts the compiled `runlog-runner` bin without waiting for it: for tests that watch or kill it while it runs. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): { process: ChildProcessWithoutNullStreams; result: Promise<CliResult> } {
  const child = spawn(process.execPath, [RUNNER_BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const result = new Promise<CliResult>((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
  return { process: child, result };
}

/** Runs the compiled `runlog-runner` bin (built by `npm run build`) to completion. */
export function runCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 50_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER_BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`runlog-runner ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

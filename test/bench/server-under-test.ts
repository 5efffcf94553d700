// The server the bench measures, run as users run it: the compiled bin (`node server/bin/runlog.js`,
// what `npm start` runs after building) in a process of its own, configured by environment.
// On PostgreSQL each server gets a fresh schema in the run's own fresh database, so its tables
// are new and never analysed; on PGlite a fresh data directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const SERVER_BIN = fileURLToPath(new URL('../../server/bin/runlog.js', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const BENCH_SECRET = 'bench-secret-0123456789abcdef-0123456789abcdef';

export type BackendName = 'postgres' | 'pglite';

/** The run's PostgreSQL database: created fresh, dropped at the end. */
export class BenchDatabase {
  readonly url: string;
  readonly name: string;
  readonly #adminUrl: string;

  private constructor(adminUrl: string, name: string) {
    this.#adminUrl = adminUrl;
    this.name = name;
    const u = new URL(adminUrl);
    u.pathname = `/${name}`;
    this.url = u.toString();
  }

  static async create(adminUrl: string): Promise<BenchDatabase> {
    const name = `runlog_bench_${randomBytes(5).toString('hex')}`;
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
    return new BenchDatabase(adminUrl, name);
  }

  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return withClient(this.url, (c) => c.query<R>(text, values));
  }

  async drop(): Promise<void> {
    await withClient(this.#adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`));
  }
}

export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface BenchServer {
  readonly url: string;
  readonly pid: number;
  readonly backend: BackendName;
  /** The PostgreSQL schema holding its tables. */
  readonly schema: string;
  readonly adminToken: string;
  /** CPU seconds the server process has used so far. */
  cpuSeconds(): number;
  /** Resident memory of the server process (and its children), MiB. */
  rssMiB(): number;
  createBuild(buildId?: string): Promise<{ buildId: string; runner: string; viewer: string }>;
  /** The commit groups so far, from the server's /metrics. */
  commitGroups(): Promise<CommitGroups>;
  /** Where the server's memory is, from its /metrics (prom-client's process figures), MiB. */
  heap(): Promise<{ heapUsed: number; heapTotal: number; external: number }>;
  stop(): Promise<void>;
}

export interface CommitGroups {
  readonly groups: number;
  readonly appends: number;
  readonly seconds: number;
}

/** The server's /metrics as a lookup of unlabelled samples. */
async function metricsOf(url: string): Promise<(name: string) => number> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` } });
  const text = await res.text();
  return (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** What happened between two `commitGroups()` readings, for a row's note. */
export function commitGroupsNote(before: CommitGroups, after: CommitGroups): string {
  const groups = after.groups - before.groups;
  if (groups === 0) return 'no commit groups';
  const appends = (after.appends - before.appends) / groups;
  const ms = ((after.seconds - before.seconds) * 1000) / groups;
  return `${groups} commit groups, ${appends.toFixed(1)} appends and ${ms.toFixed(1)} ms each on average`;
}

export interface StartOptions {
  readonly backend: BackendName;
  readonly database?: BenchDatabase;
  readonly env?: Record<string, string>;
  /** Write a V8 CPU profile of the server into this directory. */
  readonly profileDir?: string;
  /** Run `npm start` (build, then the bin) instead of the bin itself. */
  readonly npmStart?: boolean;
}

/** Characters of the server's output kept for error messages. */
const OUTPUT_KEPT = 64 * 1024;

export async function startBenchServer(options: StartOptions): Promise<BenchServer> {
  const schema = `s_${randomBytes(5).toString('hex')}`;
  const dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-bench-'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PORT: '0',
    RUNLOG_DATA_DIR: dataDir,
    RUNLOG_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
    RUNLOG_SECRET: BENCH_SECRET,
    ...options.env,
  };
  delete env.NODE_OPTIONS;
  delete env.RUNLOG_BENCH_PROFILE_DIR;
  if (options.backend === 'postgres') {
    if (!options.database) throw new Error('a PostgreSQL bench server needs the run database');
    env.DATABASE_URL = options.database.url;
    env.RUNLOG_DB_SCHEMA = schema;
  } else {
    delete env.DATABASE_URL;
  }
  const profileDir = options.profileDir ?? process.env.RUNLOG_BENCH_PROFILE_DIR;
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child: ChildProcess = options.npmStart
    ? spawn('npm', ['start', '--silent'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, [...nodeArgs, SERVER_BIN], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // The server logs as users run it (RUNLOG_LOG_LEVEL's default, info: a line per request);
  // only the last of it is kept, for the error of a server that did not start.
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-OUTPUT_KEPT)));
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-OUTPUT_KEPT)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 120 s:\n${out}\n${err}`)), 120_000);
    const onOutput = () => {
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onOutput);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', onOutput);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`the server exited before listening:\n${out}\n${err}`));
    });
  });
  const pid = child.pid!;
  const api = async (p: string, body: unknown) => {
    const res = await fetch(url + p, { method: 'POST', headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`${p} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as { build: { buildId: string }; tokens: { runner: string; viewer: string } };
  };
  return {
    url,
    pid,
    backend: options.backend,
    schema,
    adminToken: BENCH_ADMIN_TOKEN,
    cpuSeconds: () => processTree(pid).reduce((s, p) => s + cpuSecondsOf(p), 0),
    rssMiB: () => processTree(pid).reduce((s, p) => s + rssMiBOf(p), 0),
    async createBuild(buildId) {
      const body = await api('/v1/builds', buildId ? { buildId } : {});
      return { buildId: body.build.buildId, runner: body.tokens.runner, viewer: body.tokens.viewer };
    },
    async commitGroups() {
      const value = await metricsOf(url);
      return { groups: value('runlog_commit_seconds_count'), appends: value('runlog_commit_group_appends_sum'), seconds: value('runlog_commit_seconds_sum') };
    },
    async heap() {
      const value = await metricsOf(url);
      const mib = (name: string) => value(name) / 2 ** 20;
      return { heapUsed: mib('nodejs_heap_size_used_bytes'), heapTotal: mib('nodejs_heap_size_total_bytes'), external: mib('nodejs_external_memory_bytes') };
    },
    async stop() {
      // SIGINT lets --cpu-prof write its profile; npm passes it on to the server.
      for (const p of processTree(pid).reverse()) {
        try {
          process.kill(p, 'SIGINT');
        } catch {
          // gone already
        }
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
      await rm(dataDir, { recursive: true, force: true });
      if (options.backend === 'postgres') await options.database!.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    },
  };
}

/** `pid` and its descendants (from /proc). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // exited while listing
    }
  }
  const tree: number[] = [];
  const walk = (p: number) => {
    tree.push(p);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(pid);
  return tree;
}

function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 10 ms
  } catch {
    return 0;
  }
}

function rssMiBOf(pid: number): number {
  try {
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

/** Samples the server's RSS every `intervalMs`; `stop()` returns the peak. */
export function sampleRss(server: BenchServer, intervalMs = 100): { stop(): number } {
  let peak = server.rssMiB();
  const timer = setInterval(() => (peak = Math.max(peak, server.rssMiB())), intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, server.rssMiB());
    },
  };
}

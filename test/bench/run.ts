// `npm run bench`: runlog measured as users run it. The server is the compiled bin in a process
// of its own (`npm start` for the idle rows), load comes from separate load processes that
// report their own CPU, PostgreSQL is a fresh database created for the run and dropped after it
// (`BENCH_DATABASE_URL`, default the local server), PGlite a fresh data directory. Prints one
// markdown table; ratios are against baselines measured in the same run, since absolute
// numbers drift on a shared machine.
//
//   npm run bench                       the full run (under 6 minutes)
//   npm run bench -- --quick            smaller sizes (under a minute)
//   npm run bench -- --out bench.json   also write every figure as JSON
//   npm run bench -- --only ingest,fan-out   some row families (see FAMILIES)
//   npm run bench -- --profile DIR      write a V8 CPU profile of every server into DIR
//
// Rows: see FAMILIES; `workers` runs the bin with RUNLOG_WORKERS=1 and =2 in the same run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { RowResult } from './bench-row.js';
import { LoadPool } from './load-pool.js';
import { BenchDatabase, withClient } from './server-under-test.js';
import { ingestRows } from './rows-ingest.js';
import { catchUpRows, readerMemoryRow } from './rows-read.js';
import { fairnessRow, fanOutRows, latencyRow, longPollRow, smallBuildsRow } from './rows-live.js';
import { emitRow, finishIdleWatch, startIdleWatch, startupRows, type IdleWatch } from './rows-process.js';
import { workersRows } from './workers.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    only: { type: 'string' },
    profile: { type: 'string' },
  },
});
const quick = values.quick!;
if (values.profile) process.env.RUNLOG_BENCH_PROFILE_DIR = path.resolve(values.profile);

const FAMILIES = ['idle', 'ingest', 'catch-up', 'memory', 'fan-out', 'fairness', 'small-builds', 'latency', 'long-polls', 'emit', 'startup', 'workers'] as const;
type Family = (typeof FAMILIES)[number];
const only = values.only ? new Set(values.only.split(',')) : undefined;
for (const name of only ?? []) if (!FAMILIES.includes(name as Family)) throw new Error(`--only: no row family ${name}; families: ${FAMILIES.join(', ')}`);
const wanted = (family: Family) => !only || only.has(family);

const sizes = quick
  ? {
      ingest: { runners: 50, batch: 100, eventsPerRunner: 400, eventBytes: 300, seedSeconds: 1 },
      read: { events: 20_000, pgliteEvents: 10_000, longBuildEvents: 50_000, concurrentReaders: 20, memoryEvents: 300, memoryEventBytes: 100 * 1024, memoryReaders: 10, settleSeconds: 2 },
      live: { fanOutViewers: 1000, fanOutSeconds: 2, fairnessViewers: 500, fairnessSeconds: 2, smallBuilds: 200, smallSeconds: 2, latencySeconds: 2, longPolls: 1000, giveUpSeconds: 5 },
      emitEvents: 50_000,
      workers: { events: 8_000, runners: 16, batch: 100, viewers: 100, fanoutEvents: 500 },
      idleSeconds: 20,
      startupRuns: 3,
    }
  : {
      ingest: { runners: 50, batch: 100, eventsPerRunner: 4000, eventBytes: 300, seedSeconds: 3 },
      read: { events: 100_000, pgliteEvents: 100_000, longBuildEvents: 1_000_000, concurrentReaders: 20, memoryEvents: 2000, memoryEventBytes: 100 * 1024, memoryReaders: 10, settleSeconds: 30 },
      live: { fanOutViewers: 2000, fanOutSeconds: 8, fairnessViewers: 1000, fairnessSeconds: 6, smallBuilds: 500, smallSeconds: 6, latencySeconds: 6, longPolls: 1000, giveUpSeconds: 20 },
      emitEvents: 300_000,
      workers: { events: 40_000, runners: 16, batch: 100, viewers: 200, fanoutEvents: 2000 },
      idleSeconds: 60,
      startupRuns: 7,
    };

const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const started = performance.now();
const machine = {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  cpu: `${cpus().length} × ${cpus()[0]?.model.trim() ?? '?'}`,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  loadAverage: loadavg()[0]!.toFixed(1),
  node: process.version,
  postgres: await withClient(adminUrl, async (c) => String((await c.query('SHOW server_version')).rows[0].server_version)),
};
const database = await BenchDatabase.create(adminUrl);
const pool = new LoadPool(3);
const spoolRoot = await mkdtemp(path.join(tmpdir(), 'runlog-bench-spool-'));
const rows: RowResult[] = [];
const log = (text: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}\n`);

try {
  // The idle servers start first and are read last: their minute passes while the rest runs.
  const idle: IdleWatch[] = [];
  if (wanted('idle')) {
    log('idle: npm start on PGlite and PostgreSQL');
    // One after the other: each `npm start` rebuilds server/dist, and the first one's node
    // failed to find dist/main.js while the second's build had just removed it.
    idle.push(await startIdleWatch('pglite', database));
    idle.push(await startIdleWatch('postgres', database));
  }
  const step = async (family: Family, fn: () => Promise<RowResult | RowResult[]>) => {
    if (!wanted(family)) return;
    log(family);
    try {
      const result = await fn();
      rows.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
      // One broken row must not cost the others: it shows as failed.
      log(`${family} failed: ${(error as Error).stack ?? String(error)}`);
      rows.push({ id: family, title: family, figure: `failed: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`, met: false, values: {} });
    }
  };
  await step('ingest', () => ingestRows(pool, database, sizes.ingest));
  await step('catch-up', () => catchUpRows(pool, database, sizes.read));
  await step('fan-out', () => fanOutRows(pool, database, sizes.live));
  await step('fairness', () => fairnessRow(pool, database, sizes.live));
  await step('small-builds', () => smallBuildsRow(pool, database, sizes.live));
  await step('latency', () => latencyRow(pool, database, sizes.live, path.join(spoolRoot, 'latency')));
  await step('long-polls', () => longPollRow(pool, database, sizes.live));
  await step('memory', async () => [await readerMemoryRow(pool, database, sizes.read), await readerMemoryRow(pool, database, sizes.read, true)]);
  await step('emit', () => emitRow(pool, database, sizes.emitEvents, path.join(spoolRoot, 'emit')));
  await step('startup', () => startupRows(database, sizes.startupRuns));
  await step('workers', () => workersRows({ databaseUrl: database.url, ...sizes.workers }));
  for (const watch of idle) rows.push(await finishIdleWatch(watch, sizes.idleSeconds));
} finally {
  pool.close();
  await database.drop();
  await rm(spoolRoot, { recursive: true, force: true });
}

const seconds = (performance.now() - started) / 1000;
const pct = (share: number | undefined) => (share === undefined ? '' : `${Math.round(share * 100)} %`);
const cell = (text: string | undefined) => (text ?? '').replace(/\|/g, '\\|');
const lines = [
  `runlog bench${quick ? ' --quick' : ''}, ${machine.date}: ${machine.cpu}, ${machine.memoryGiB} GiB, load average ${machine.loadAverage} at start; Node ${machine.node}, PostgreSQL ${machine.postgres}; ${seconds.toFixed(0)} s`,
  '',
  '| row | figure | target | met | server CPU | load CPU | note |',
  '|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${cell(r.title)} | ${cell(r.figure)} | ${cell(r.target)} | ${r.met === undefined ? '' : r.met ? 'yes' : '**no**'} | ${pct(r.serverCpu)} | ${pct(r.clientCpu)} | ${cell(r.note)} |`),
  '',
  'server CPU: the server process, share of one core. load CPU: the busiest load process, share of one core (near 100 % means the load generator, not the server, set the pace).',
];
process.stdout.write(lines.join('\n') + '\n');
if (values.out) await writeFile(values.out, JSON.stringify({ machine, quick, seconds, rows }, null, 2) + '\n');

// The bench's 1-vs-2-worker row: the compiled `runlog` bin on PostgreSQL with RUNLOG_WORKERS=1
// and =2 in the same run, measuring ingest (R runners appending batches over connections of
// their own, so the cluster spreads them) and fan-out (V SSE viewers of one build while it is
// written). Called by test/bench/run.ts; runnable alone: `npx tsx test/bench/workers.ts`.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Agent, fetch as undiciFetch } from 'undici';
import { SseFrameParser } from '../../protocol/sse-frames.js';
import { newSchemaName } from '../support/backends.js';
import { startServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET, sampleEvents } from '../support/test-server.js';
import { int, type RowResult } from './bench-row.js';

export interface WorkersBenchOptions {
  readonly databaseUrl: string;
  /** Events appended in the ingest part, over all runners. @default 40000 */
  readonly events?: number;
  /** @default 16 */
  readonly runners?: number;
  /** @default 100 */
  readonly batch?: number;
  /** SSE viewers of one build in the fan-out part. @default 200 */
  readonly viewers?: number;
  /** Events written to that build. @default 2000 */
  readonly fanoutEvents?: number;
}

export interface WorkersBenchRow {
  readonly workers: number;
  readonly ingestEventsPerSecond: number;
  readonly appendP50Ms: number;
  readonly appendP99Ms: number;
  /** Event frames delivered per second over all viewers. */
  readonly fanoutFramesPerSecond: number;
  /** From the last append's answer to the last viewer having every event. */
  readonly fanoutTailMs: number;
}

export async function benchWorkers(options: WorkersBenchOptions): Promise<WorkersBenchRow[]> {
  const rows: WorkersBenchRow[] = [];
  for (const workers of [1, 2]) rows.push(await benchOne(workers, options));
  return rows;
}

async function benchOne(workers: number, options: WorkersBenchOptions): Promise<WorkersBenchRow> {
  const events = options.events ?? 40_000;
  const runners = options.runners ?? 16;
  const batch = options.batch ?? 100;
  const viewers = options.viewers ?? 200;
  const fanoutEvents = options.fanoutEvents ?? 2000;
  const schema = newSchemaName();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-bench-workers-'));
  const server = await startServerProcess({
    PORT: '0',
    RUNLOG_WORKERS: String(workers),
    DATABASE_URL: options.databaseUrl,
    RUNLOG_DB_SCHEMA: schema,
    RUNLOG_DATA_DIR: dataDir,
    RUNLOG_SECRET: TEST_SECRET,
    RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    RUNLOG_LOG_LEVEL: 'warn',
  });
  const agents: Agent[] = [];
  const agent = () => {
    // A connection per runner/viewer: the cluster hands out connections, not requests.
    const a = new Agent({ connections: 1, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
    agents.push(a);
    return a;
  };
  const call = async (dispatcher: Agent, pathname: string, token: string, body: unknown) => {
    const res = await undiciFetch(`${server.url}${pathname}`, { method: 'POST', dispatcher, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${pathname}: ${res.status} ${text}`);
    return JSON.parse(text) as any;
  };
  try {
    const admin = agent();
    // Ingest.
    const builds = await Promise.all(Array.from({ length: runners }, (_, i) => call(admin, '/v1/builds', TEST_ADMIN_TOKEN, { buildId: `ingest-${i}` })));
    const perRunner = Math.ceil(events / runners);
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      builds.map(async (b) => {
        const dispatcher = agent();
        for (let from = 1; from <= perRunner; from += batch) {
          const sent = performance.now();
          await call(dispatcher, `/v1/builds/${b.build.buildId}/events`, b.tokens.runner, { from, events: sampleEvents(from, Math.min(batch, perRunner - from + 1)) });
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const ingestEventsPerSecond = (perRunner * runners) / ((performance.now() - started) / 1000);
    latencies.sort((a, b) => a - b);

    // Fan-out: viewers connect first, then one runner writes the build in batches.
    const fan = await call(admin, '/v1/builds', TEST_ADMIN_TOKEN, { buildId: 'fanout' });
    let remaining = viewers;
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const controllers: AbortController[] = [];
    await Promise.all(
      Array.from({ length: viewers }, async () => {
        const controller = new AbortController();
        controllers.push(controller);
        const res = await undiciFetch(`${server.url}/v1/builds/fanout/stream`, { dispatcher: agent(), signal: controller.signal, headers: { authorization: `Bearer ${fan.tokens.viewer}` } });
        void (async () => {
          const parser = new SseFrameParser();
          const decoder = new TextDecoder();
          try {
            for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
              for (const frame of parser.push(decoder.decode(chunk, { stream: true }))) {
                if (frame.event === 'end') {
                  if (--remaining === 0) allDone();
                  return;
                }
              }
            }
          } catch {
            // aborted at the end
          }
        })();
      }),
    );
    const writer = agent();
    const fanStarted = performance.now();
    for (let from = 1; from <= fanoutEvents; from += batch) {
      const count = Math.min(batch, fanoutEvents - from + 1);
      await call(writer, '/v1/builds/fanout/events', fan.tokens.runner, { from, events: sampleEvents(from, count), ...(from + count > fanoutEvents ? { final: true } : {}) });
    }
    const lastAck = performance.now();
    await done;
    const finished = performance.now();
    for (const c of controllers) c.abort();
    return {
      workers,
      ingestEventsPerSecond,
      appendP50Ms: latencies[Math.floor(latencies.length * 0.5)]!,
      appendP99Ms: latencies[Math.floor(latencies.length * 0.99)]!,
      fanoutFramesPerSecond: (viewers * fanoutEvents) / ((finished - fanStarted) / 1000),
      fanoutTailMs: finished - lastAck,
    };
  } finally {
    await Promise.all(agents.map((a) => a.destroy().catch(() => {})));
    await server.stop('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: options.databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
  }
}

/** The 1-vs-2-worker rows of the bench's table: each figure beside the 1-worker one of the same run. */
export async function workersRows(options: WorkersBenchOptions): Promise<RowResult[]> {
  const [one, two] = await benchWorkers(options);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}× 1 worker`;
  return [one!, two!].map((row) => ({
    id: `workers-${row.workers}`,
    title: `RUNLOG_WORKERS=${row.workers} on PostgreSQL: ingest and fan-out to ${options.viewers ?? 200} viewers`,
    figure:
      `ingest ${int(row.ingestEventsPerSecond)} events/s (append p50 ${row.appendP50Ms.toFixed(0)} ms, p99 ${row.appendP99Ms.toFixed(0)} ms); ` +
      `fan-out ${int(row.fanoutFramesPerSecond)} frames/s, last viewer complete ${row.fanoutTailMs.toFixed(0)} ms after the last ack` +
      (row.workers === 1 ? '' : ` — ${ratio(row.ingestEventsPerSecond, one!.ingestEventsPerSecond)} ingest, ${ratio(row.fanoutFramesPerSecond, one!.fanoutFramesPerSecond)} fan-out`),
    values: { ...row },
  }));
}

export function formatWorkersRow(row: WorkersBenchRow): string {
  return (
    `workers=${row.workers}: ingest ${row.ingestEventsPerSecond.toFixed(0)} events/s (append p50 ${row.appendP50Ms.toFixed(1)} ms, p99 ${row.appendP99Ms.toFixed(1)} ms) | ` +
    `fan-out ${row.fanoutFramesPerSecond.toFixed(0)} frames/s to the viewers, last viewer complete ${row.fanoutTailMs.toFixed(0)} ms after the last ack`
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is needed (PostgreSQL): several workers cannot share PGlite');
  for (const row of await benchWorkers({ databaseUrl: url })) console.log(formatWorkersRow(row));
}

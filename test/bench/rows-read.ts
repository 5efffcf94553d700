// Catch-up: readers reading a finished build from the start, over SSE and JSON pages, on
// fresh tables that were never analysed (as on PGlite always, and on PostgreSQL until
// autovacuum gets to them) — and the memory a server needs for readers of large events.
import { eventJsonTail } from '../../server/log/event-json.js';
import { int, serverCpuMeter, sleep, type RowResult } from './bench-row.js';
import { clientCpuShare, type LoadPool, type TaskResult } from './load-pool.js';
import type { LoadTask, ReaderFigures, ReaderRef } from './load-tasks.js';
import { sampleRss, startBenchServer, type BackendName, type BenchDatabase, type BenchServer } from './server-under-test.js';

export interface ReadSizes {
  /** Events of the catch-up build. */
  readonly events: number;
  readonly pgliteEvents: number;
  /** The long build (PostgreSQL), read for `events` from its start and from near its end. */
  readonly longBuildEvents: number;
  readonly concurrentReaders: number;
  readonly memoryEvents: number;
  readonly memoryEventBytes: number;
  readonly memoryReaders: number;
  /** Seconds to wait after the memory readers before the "after" sample. */
  readonly settleSeconds: number;
}

/** Appends `events` events of ~`eventBytes` to a new build through HTTP, final at the end. */
export async function seedBuild(pool: LoadPool, server: BenchServer, events: number, eventBytes: number): Promise<{ buildId: string; viewer: string }> {
  const build = await server.createBuild();
  const batch = Math.max(1, Math.min(1000, Math.floor((700 * 1024) / eventBytes)));
  await pool.runTogether([
    { kind: 'append-closed', url: server.url, runners: [{ buildId: build.buildId, token: build.runner, from: 1 }], batch, events, eventBytes, inFlight: 4, final: true },
  ]);
  return { buildId: build.buildId, viewer: build.viewer };
}

/** Turns autovacuum off for the server's tables so that no ANALYZE happens during the row. */
async function keepUnanalysed(database: BenchDatabase | undefined, server: BenchServer): Promise<void> {
  if (server.backend !== 'postgres') return;
  await database!.query(`ALTER TABLE ${server.schema}.events SET (autovacuum_enabled = false, toast.autovacuum_enabled = false)`);
  await database!.query(`ALTER TABLE ${server.schema}.builds SET (autovacuum_enabled = false)`);
}

/** True when PostgreSQL holds statistics for the server's events table (it must not, here). */
async function analysed(database: BenchDatabase | undefined, server: BenchServer): Promise<boolean> {
  if (server.backend !== 'postgres') return false;
  const r = await database!.query<{ n: string }>(
    `SELECT count(*) AS n FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = 'events' AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)`,
    [server.schema],
  );
  return Number(r.rows[0]!.n) > 0;
}

function readers(results: readonly TaskResult[]): ReaderFigures[] {
  return results.flatMap((r) => (r.figures.kind === 'readers' ? r.figures.readers : []));
}

/** Runs SSE (or JSON) readers, split over the pool; events/s from the first request to the last event. */
async function timedRead(pool: LoadPool, server: BenchServer, refs: readonly ReaderRef[], json?: number) {
  const tasks: LoadTask[] = json
    ? refs.map((reader) => ({ kind: 'json-pages' as const, url: server.url, reader, limit: json }))
    : Array.from({ length: Math.min(pool.size, refs.length) }, (_, w) => ({
        kind: 'sse' as const,
        url: server.url,
        readers: refs.filter((_, i) => i % pool.size === w),
        connectOnRun: true,
        timeoutMs: 120_000,
      }));
  const prepared = await pool.prepare(tasks);
  const meter = serverCpuMeter(server);
  const results = await prepared.run();
  const cpu = meter.done();
  const figures = readers(results);
  const events = figures.reduce((s, f) => s + f.events, 0);
  const seconds = (Math.max(...figures.map((f) => f.doneUs)) - Math.min(...figures.map((f) => f.startedUs))) / 1e6;
  const ok = figures.every((f) => f.inOrder && f.complete);
  return { rate: events / seconds, ok, cpu, client: clientCpuShare(results), events };
}

async function catchUpOn(pool: LoadPool, backend: BackendName, database: BenchDatabase | undefined, events: number): Promise<RowResult> {
  const server = await startBenchServer({ backend, database });
  try {
    await keepUnanalysed(database, server);
    const build = await seedBuild(pool, server, events, 300);
    const r = await timedRead(pool, server, [{ buildId: build.buildId, token: build.viewer, after: 0, until: events }]);
    const target = backend === 'postgres' ? 400_000 : 250_000;
    const stats = await analysed(database, server);
    return {
      id: `catch-up-sse-${backend}`,
      title: `catch-up, 1 SSE reader from 0 over ${int(events)} events, ${backend === 'postgres' ? 'PostgreSQL' : 'PGlite'}, never-analysed tables`,
      figure: `${int(r.rate)} events/s`,
      target: `≥ ${int(target)} events/s`,
      met: r.rate >= target && r.ok && !stats,
      serverCpu: r.cpu,
      clientCpu: r.client,
      note: `${r.ok ? 'every event once, in order' : 'EVENTS MISSING OR OUT OF ORDER'}${stats ? '; the table had statistics' : ''}`,
      values: { eventsPerSecond: r.rate, inOrder: r.ok, analysed: stats },
    };
  } finally {
    await server.stop();
  }
}

/** A build of `total` events written straight into the tables (a million over HTTP would take the whole bench). */
async function longBuild(database: BenchDatabase, server: BenchServer, total: number): Promise<{ buildId: string; viewer: string }> {
  const build = await server.createBuild();
  const s = server.schema;
  const receivedAt = new Date();
  await database.query(
    // With the JSON tail the server stores at commit (eventJsonTail), as its own writes have.
    `INSERT INTO ${s}.events (build_id, seq, type, data, time, received_at, json_tail)
     SELECT $1, g, 'log', '{"t":1,"stream":"stdout","line":"' || g || ' ' || repeat('x', 230) || '"}', NULL, $3::timestamptz, $4
     FROM generate_series(1, $2::bigint) g`,
    [build.buildId, total, receivedAt.toISOString(), eventJsonTail(null, receivedAt.toISOString())],
  );
  await database.query(`UPDATE ${s}.builds SET ack = $2, max_seq = $2, final = $2 WHERE build_id = $1`, [build.buildId, total]);
  return { buildId: build.buildId, viewer: build.viewer };
}

export async function catchUpRows(pool: LoadPool, database: BenchDatabase, sizes: ReadSizes): Promise<RowResult[]> {
  const rows: RowResult[] = [];
  rows.push(await catchUpOn(pool, 'postgres', database, sizes.events));
  rows.push(await catchUpOn(pool, 'pglite', undefined, sizes.pgliteEvents));

  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    await keepUnanalysed(database, server);
    // Where in the log a page starts must not change what it costs.
    const long = await longBuild(database, server, sizes.longBuildEvents);
    const span = sizes.events;
    const late = sizes.longBuildEvents - span;
    const readEarly = () => timedRead(pool, server, [{ buildId: long.buildId, token: long.viewer, after: 0, until: span }]);
    const readLate = () => timedRead(pool, server, [{ buildId: long.buildId, token: long.viewer, after: late, until: sizes.longBuildEvents }]);
    // Each range is read twice and the second reads are compared. Just after the INSERT the early
    // rows, written first, are out of PostgreSQL's shared buffers and the late ones still in
    // them: the first reads differ by what the cache holds, not by where the range starts. The
    // second reads start alike (as the other catch-up rows do, on builds just written), and the
    // first ones stay in the note.
    const firstEarly = await readEarly();
    const firstLate = await readLate();
    const fromStart = await readEarly();
    const fromLate = await readLate();
    const slower = Math.min(fromStart.rate, fromLate.rate);
    const stats = await analysed(database, server);
    rows.push({
      id: 'catch-up-position',
      title: `catch-up of ${int(span)} events on a ${int(sizes.longBuildEvents)}-event build: from after=0 and from after=${int(late)}, PostgreSQL`,
      figure: `${int(fromStart.rate)} vs ${int(fromLate.rate)} events/s (late/early ${(fromLate.rate / fromStart.rate).toFixed(2)})`,
      target: 'the same rate (≥ 400 000 events/s)',
      met: slower >= 400_000 && fromLate.rate / fromStart.rate > 0.8 && [firstEarly, firstLate, fromStart, fromLate].every((r) => r.ok) && !stats,
      serverCpu: fromLate.cpu,
      clientCpu: Math.max(fromStart.client, fromLate.client),
      note: `second read of each range; the first, just after the rows were written: ${int(firstEarly.rate)} vs ${int(firstLate.rate)}; rows written by SQL${stats ? '; the table had statistics' : ', never analysed'}`,
      values: { fromStart: fromStart.rate, fromLate: fromLate.rate, firstFromStart: firstEarly.rate, firstFromLate: firstLate.rate, analysed: stats },
    });

    const build = await seedBuild(pool, server, sizes.events, 300);
    const pages = await timedRead(pool, server, [{ buildId: build.buildId, token: build.viewer, after: 0, until: sizes.events }], 10_000);
    rows.push({
      id: 'catch-up-json',
      title: `catch-up, JSON pages of 10 000 over ${int(sizes.events)} events, PostgreSQL`,
      figure: `${int(pages.rate)} events/s`,
      target: '≥ 300 000 events/s',
      met: pages.rate >= 300_000 && pages.ok,
      serverCpu: pages.cpu,
      clientCpu: pages.client,
      values: { eventsPerSecond: pages.rate, inOrder: pages.ok },
    });

    const refs = Array.from({ length: sizes.concurrentReaders }, () => ({ buildId: build.buildId, token: build.viewer, after: 0, until: sizes.events }));
    const many = await timedRead(pool, server, refs);
    rows.push({
      id: 'catch-up-concurrent',
      title: `catch-up, ${sizes.concurrentReaders} concurrent SSE readers over ${int(sizes.events)} events, PostgreSQL`,
      figure: `${int(many.rate)} events/s aggregate`,
      target: '≥ 600 000 events/s',
      met: many.rate >= 600_000 && many.ok,
      serverCpu: many.cpu,
      clientCpu: many.client,
      note: many.ok ? 'every reader got every event once, in order' : 'EVENTS MISSING OR OUT OF ORDER',
      values: { eventsPerSecond: many.rate, inOrder: many.ok },
    });
  } finally {
    await server.stop();
  }
  return rows;
}

/**
 * glibc's allocator settings README §Deploying recommends: a fixed mmap threshold, so freed
 * request bodies and pages go back to the system instead of staying in the heap (glibc raises
 * the threshold to the largest block freed, up to 32 MiB, and keeps what it then allocates).
 */
export const DEPLOYED_MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '65536', MALLOC_TRIM_THRESHOLD_: '65536' } as const;

/** The memory row as the bin runs by default, or (`deployed`) with DEPLOYED_MALLOC_ENV. */
export async function readerMemoryRow(pool: LoadPool, database: BenchDatabase, sizes: ReadSizes, deployed = false): Promise<RowResult> {
  const server = await startBenchServer({ backend: 'postgres', database, ...(deployed ? { env: DEPLOYED_MALLOC_ENV } : {}) });
  try {
    await sleep(1000);
    const idle = server.rssMiB();
    const seeding = sampleRss(server);
    const build = await seedBuild(pool, server, sizes.memoryEvents, sizes.memoryEventBytes);
    const afterSeed = seeding.stop();
    const reading = sampleRss(server);
    const refs = Array.from({ length: sizes.memoryReaders }, () => ({ buildId: build.buildId, token: build.viewer, after: 0, until: sizes.memoryEvents }));
    const r = await timedRead(pool, server, refs);
    const readPeak = reading.stop();
    const peak = Math.max(afterSeed, readPeak);
    await sleep(sizes.settleSeconds * 1000);
    const after = server.rssMiB();
    const heap = await server.heap();
    const grew = peak - idle;
    const back = after - idle;
    return {
      id: deployed ? 'memory-readers-deployed' : 'memory-readers',
      title: `memory: ${sizes.memoryReaders} readers catching up on ${int(sizes.memoryEvents)} × ${Math.round(sizes.memoryEventBytes / 1024)} KB events, PostgreSQL${deployed ? ', with the malloc settings of README §Deploying' : ''}`,
      figure: `idle ${int(idle)} MiB, peak +${int(grew)} MiB, ${sizes.settleSeconds} s after +${int(back)} MiB`,
      target: 'peak ≤ +150 MiB; ≤ +50 MiB 30 s after',
      met: grew <= 150 && back <= 50 && r.ok,
      serverCpu: r.cpu,
      clientCpu: r.client,
      note:
        `idle = fresh server before the build was written; peak while writing it +${int(afterSeed - idle)}, while reading +${int(readPeak - idle)}; ` +
        `${sizes.settleSeconds} s after, V8 heap ${int(heap.heapUsed)} of ${int(heap.heapTotal)} MiB used, external ${int(heap.external)} MiB${r.ok ? '' : '; EVENTS MISSING'}`,
      values: { idleMiB: idle, peakMiB: peak, afterMiB: after, settleSeconds: sizes.settleSeconds, eventsPerSecond: r.rate },
    };
  } finally {
    await server.stop();
  }
}

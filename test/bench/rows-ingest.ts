// Ingest: R runners × batches of B events of ~300 B over HTTP into PostgreSQL, against two
// baselines measured in the same run on the same database: `COPY` of the same rows into the
// same tables (what PostgreSQL itself can take), and the seed's design (one transaction per
// event: INSERT the event, UPDATE the build), one connection per runner.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ascending, int, ms, quantile, ratio, serverCpuMeter, type RowResult } from './bench-row.js';
import { clientCpuShare, type LoadPool } from './load-pool.js';
import { REPO_ROOT, startBenchServer, withClient, type BenchDatabase } from './server-under-test.js';
import type { AppendFigures } from './load-tasks.js';

export interface IngestSizes {
  readonly runners: number;
  readonly batch: number;
  readonly eventsPerRunner: number;
  readonly eventBytes: number;
  /** How long the seed design's baseline runs. */
  readonly seedSeconds: number;
}

const DATA_PAD = (bytes: number) => 'x'.repeat(Math.max(0, bytes - 60));

/** A schema holding runlog's tables exactly as the migrations make them. */
async function freshTables(client: pg.Client, schema: string): Promise<void> {
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.query(`SET search_path = ${schema}`);
  const dir = path.join(REPO_ROOT, 'sql');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) await client.query(readFileSync(path.join(dir, file), 'utf8'));
}

async function copyBaseline(database: BenchDatabase, sizes: IngestSizes): Promise<number> {
  return withClient(database.url, async (client) => {
    const schema = `copy_${Date.now()}`;
    await freshTables(client, schema);
    const buildIds = Array.from({ length: sizes.runners }, (_, i) => `b${i}`);
    await client.query(`INSERT INTO builds (build_id, generation) SELECT unnest($1::text[]), 'g'`, [buildIds]);
    const now = new Date().toISOString();
    const pad = DATA_PAD(sizes.eventBytes);
    // The rows runlog writes for the same events: text format, one line per event.
    function* lines(): Generator<string> {
      for (const buildId of buildIds) {
        let chunk = '';
        for (let seq = 1; seq <= sizes.eventsPerRunner; seq++) {
          chunk += `${buildId}\t${seq}\tlog\t{"t":1,"stream":"stdout","line":"${seq} ${pad}"}\t\\N\t${now}\n`;
          if (seq % 500 === 0) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      }
    }
    const started = performance.now();
    await client.query('BEGIN');
    await pipeline(Readable.from(lines()), client.query(copyFrom('COPY events (build_id, seq, type, data, time, received_at) FROM STDIN')));
    await client.query('COMMIT');
    const seconds = (performance.now() - started) / 1000;
    await client.query(`DROP SCHEMA ${schema} CASCADE`);
    return (sizes.runners * sizes.eventsPerRunner) / seconds;
  });
}

async function seedDesignBaseline(database: BenchDatabase, sizes: IngestSizes): Promise<number> {
  const schema = `seed_${Date.now()}`;
  await withClient(database.url, (c) => freshTables(c, schema));
  const pool = new pg.Pool({ connectionString: database.url, max: sizes.runners, options: `-c search_path=${schema}` });
  try {
    const buildIds = Array.from({ length: sizes.runners }, (_, i) => `b${i}`);
    await pool.query(`INSERT INTO builds (build_id, generation) SELECT unnest($1::text[]), 'g'`, [buildIds]);
    const pad = DATA_PAD(sizes.eventBytes);
    let events = 0;
    const started = performance.now();
    const deadline = started + sizes.seedSeconds * 1000;
    await Promise.all(
      buildIds.map(async (buildId) => {
        const client = await pool.connect();
        try {
          for (let seq = 1; performance.now() < deadline; seq++) {
            await client.query('BEGIN');
            await client.query(`INSERT INTO events (build_id, seq, type, data, time, received_at) VALUES ($1, $2, 'log', $3, NULL, now())`, [buildId, seq, `{"t":1,"stream":"stdout","line":"${seq} ${pad}"}`]);
            await client.query(`UPDATE builds SET ack = $2, max_seq = $2, last_event_at = now() WHERE build_id = $1`, [buildId, seq]);
            await client.query('COMMIT');
            events++;
          }
        } finally {
          client.release();
        }
      }),
    );
    return events / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
    await database.query(`DROP SCHEMA ${schema} CASCADE`);
  }
}

export async function ingestRows(pool: LoadPool, database: BenchDatabase, sizes: IngestSizes): Promise<RowResult[]> {
  const copyRate = await copyBaseline(database, sizes);
  const seedRate = await seedDesignBaseline(database, sizes);
  const server = await startBenchServer({ backend: 'postgres', database });
  let figures: AppendFigures[];
  let cpu: number;
  let clientShare: number;
  try {
    const builds = await Promise.all(Array.from({ length: sizes.runners }, () => server.createBuild()));
    const runners = builds.map((b) => ({ buildId: b.buildId, token: b.runner, from: 1 }));
    const perWorker = Math.ceil(runners.length / pool.size);
    const tasks = Array.from({ length: pool.size }, (_, w) => ({
      kind: 'append-closed' as const,
      url: server.url,
      runners: runners.slice(w * perWorker, (w + 1) * perWorker),
      batch: sizes.batch,
      events: sizes.eventsPerRunner,
      eventBytes: sizes.eventBytes,
    })).filter((t) => t.runners.length > 0);
    const prepared = await pool.prepare(tasks);
    const meter = serverCpuMeter(server);
    const results = await prepared.run();
    cpu = meter.done();
    clientShare = clientCpuShare(results);
    figures = results.map((r) => (r.figures.kind === 'append' ? r.figures.append : undefined!));
  } finally {
    await server.stop();
  }
  const events = figures.reduce((s, f) => s + f.events, 0);
  const seconds = (Math.max(...figures.map((f) => f.lastAnsweredUs)) - Math.min(...figures.map((f) => f.firstSentUs))) / 1e6;
  const rate = events / seconds;
  const latencies = ascending(figures.flatMap((f) => f.latenciesMs));
  const refused = figures.reduce((s, f) => s + f.refused, 0);
  const vsCopy = rate / copyRate;
  const vsSeed = rate / seedRate;
  const shape = `${sizes.runners} runners × batches of ${sizes.batch} × ~${sizes.eventBytes} B`;
  return [
    { id: 'ingest-copy', title: `ingest baseline: \`COPY\` of the same rows, PostgreSQL`, figure: `${int(copyRate)} events/s`, note: `one connection, one transaction, ${int(events)} rows`, values: { eventsPerSecond: copyRate } },
    {
      id: 'ingest-seed',
      title: 'ingest baseline: the seed design (transaction per event: INSERT + UPDATE), PostgreSQL',
      figure: `${int(seedRate)} events/s`,
      note: `${sizes.runners} connections, ${sizes.seedSeconds} s`,
      values: { eventsPerSecond: seedRate },
    },
    {
      id: 'ingest-runlog',
      title: `ingest over HTTP, PostgreSQL, ${shape}`,
      figure: `${int(rate)} events/s = ${ratio(vsCopy)} COPY, ${ratio(vsSeed)} seed; append p50 ${ms(quantile(latencies, 0.5))}, p99 ${ms(quantile(latencies, 0.99))}`,
      target: '≥ 0.6× COPY, ≥ 40× seed',
      met: vsCopy >= 0.6 && vsSeed >= 40,
      serverCpu: cpu,
      clientCpu: clientShare,
      note: refused > 0 ? `${refused} answers 503, retried` : undefined,
      values: { eventsPerSecond: rate, vsCopy, vsSeed, appendP50Ms: quantile(latencies, 0.5), appendP99Ms: quantile(latencies, 0.99), refused, events },
    },
  ];
}

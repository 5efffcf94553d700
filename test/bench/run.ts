// `npm run bench`: runlog's append path against the old pipeline's way of writing, in the same
// run on the same database, reported as ratios (absolute numbers drift on shared machines).
//
//   baseline  — what the seed did per event: one transaction per event with an INSERT of the
//               event plus an UPDATE of the build's state (2 synchronous writes per event);
//   runlog    — the real server over HTTP: R runners each POSTing batches of B events,
//               committed through group commit.
//
//   start-up  — the compiled bins: `runlog-runner --help`, and `runlog` to a ready /readyz on
//               PostgreSQL, beside a bare `node -e 0` (targets: 150 ms and 1.5 s).
//
// Options: --events N (per backend, default 20000) --runners R (8) --batch B (100)
//          --backend pglite|postgres|both (both; postgres needs TEST_DATABASE_URL).
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase } from '../../server/db/database.js';
import { PGLITE, POSTGRES, type Backend } from '../support/backends.js';
import { measureStartup } from './startup.js';
import { benchWorkers, formatWorkersRow } from './workers.js';
import { sampleEvents, startTestServer } from '../support/test-server.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    runners: { type: 'string', default: '8' },
    batch: { type: 'string', default: '100' },
    backend: { type: 'string', default: 'both' },
  },
});
const EVENTS = Number(values.events);
const RUNNERS = Number(values.runners);
const BATCH = Number(values.batch);

async function baseline(backend: Backend, events: number): Promise<number> {
  const target = await backend.fresh();
  const database = await openDatabase({ databaseUrl: target.databaseUrl, databaseSchema: target.databaseSchema, dataDir: target.dataDir });
  try {
    await database.db.insertInto('builds').values({ build_id: 'seed', generation: 'g', meta: '{}' }).execute();
    const started = performance.now();
    for (let seq = 1; seq <= events; seq++) {
      await database.db.transaction().execute(async (trx) => {
        await trx
          .insertInto('events')
          .values({ build_id: 'seed', seq, type: 'log', data: JSON.stringify({ line: `e ${seq}` }), time: null, received_at: new Date() })
          .execute();
        await sql`UPDATE builds SET ack = ${seq}, last_event_at = now() WHERE build_id = 'seed'`.execute(trx);
      });
    }
    return events / ((performance.now() - started) / 1000);
  } finally {
    await database.close();
    await target.drop();
  }
}

async function runlog(backend: Backend, events: number): Promise<{ rate: number; p50: number; p99: number }> {
  const server = await startTestServer(backend);
  try {
    const perRunner = Math.ceil(events / RUNNERS);
    const builds = await Promise.all(Array.from({ length: RUNNERS }, () => server.createBuild()));
    const latencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      builds.map(async (b) => {
        for (let from = 1; from <= perRunner; from += BATCH) {
          const count = Math.min(BATCH, perRunner - from + 1);
          const sent = performance.now();
          const res = await fetch(`${server.url}/v1/builds/${b.buildId}/events`, {
            method: 'POST',
            headers: { authorization: `Bearer ${b.runner}`, 'content-type': 'application/json' },
            body: JSON.stringify({ from, events: sampleEvents(from, count) }),
          });
          if (res.status !== 200) throw new Error(`append answered ${res.status}: ${await res.text()}`);
          await res.arrayBuffer();
          latencies.push(performance.now() - sent);
        }
      }),
    );
    const rate = (perRunner * RUNNERS) / ((performance.now() - started) / 1000);
    latencies.sort((a, b) => a - b);
    return { rate, p50: latencies[Math.floor(latencies.length * 0.5)]!, p99: latencies[Math.floor(latencies.length * 0.99)]! };
  } finally {
    await server.stop();
  }
}

const backends = [PGLITE, POSTGRES].filter((b) => values.backend === 'both' || values.backend === b.name);
console.log(`runlog bench: ${EVENTS} events per backend, ${RUNNERS} runners, batches of ${BATCH}`);
for (const backend of backends) {
  if (backend.unavailable) {
    console.log(`${backend.name}: skipped (${backend.unavailable})`);
    continue;
  }
  // The baseline writes one event per transaction; a tenth of the events is enough to time it.
  const baselineRate = await baseline(backend, Math.max(500, Math.floor(EVENTS / 10)));
  const result = await runlog(backend, EVENTS);
  console.log(
    `${backend.name.padEnd(8)} baseline (txn per event, 2 writes): ${baselineRate.toFixed(0)} events/s | ` +
      `runlog over HTTP: ${result.rate.toFixed(0)} events/s, batch latency p50 ${result.p50.toFixed(1)} ms p99 ${result.p99.toFixed(1)} ms | ` +
      `ratio ${(result.rate / baselineRate).toFixed(1)}×`,
  );
}

const startup = await measureStartup();
console.log(
  `start-up (median): node -e 0 ${startup.nodeFloorMs.toFixed(0)} ms | runlog-runner --help ${startup.runnerHelpMs.toFixed(0)} ms ` +
    `(${(startup.runnerHelpMs / startup.nodeFloorMs).toFixed(1)}× node) | runlog to ready on PostgreSQL ` +
    (startup.serverReadyMs === undefined ? 'skipped (no PostgreSQL)' : `${startup.serverReadyMs.toFixed(0)} ms (${(startup.serverReadyMs / startup.nodeFloorMs).toFixed(1)}× node)`),
);

// RUNLOG_WORKERS=1 against =2 on PostgreSQL, in the same run (test/bench/workers.ts).
if (POSTGRES.unavailable) console.log(`workers: skipped (${POSTGRES.unavailable})`);
else for (const row of await benchWorkers({ databaseUrl: process.env.TEST_DATABASE_URL! })) console.log(formatWorkersRow(row));

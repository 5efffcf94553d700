// Retention's cost to live builds: a 1 000 000-event build expires and is purged in batches
// while a runner keeps appending to another build; append latency is measured before and
// during the purge. `npx tsx test/bench/retention.ts [--events N]` (PostgreSQL at
// TEST_DATABASE_URL; PGlite with --backend pglite).
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { PGLITE, POSTGRES } from '../support/backends.js';
import { sampleEvents, startTestServer } from '../support/test-server.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, backend: { type: 'string', default: 'postgres' } } });
const EVENTS = Number(values.events);
const backend = values.backend === 'pglite' ? PGLITE : POSTGRES;
if (backend.unavailable) throw new Error(backend.unavailable);

const server = await startTestServer(backend, { retentionMs: 86_400_000 }, undefined, { janitor: false });
try {
  await server.createBuild('huge');
  const loadStarted = performance.now();
  for (let from = 1; from <= EVENTS; from += 100_000) {
    const to = Math.min(EVENTS, from + 99_999);
    await sql`INSERT INTO events (build_id, seq, type, data, time, received_at)
      SELECT 'huge', s, 'log', '{"stream":"stdout","line":"a line of build output of a typical length"}', NULL, now() FROM generate_series(${from}::int, ${to}::int) AS s`.execute(server.database.db);
  }
  await sql`UPDATE builds SET ack = ${EVENTS}, max_seq = ${EVENTS}, final = ${EVENTS}, last_event_at = now() - interval '2 days', created_at = now() - interval '2 days' WHERE build_id = 'huge'`.execute(server.database.db);
  console.log(`loaded ${EVENTS} events in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s`);
  const live = await server.createBuild('live');

  let next = 1;
  const appendFor = async (until: () => boolean): Promise<number[]> => {
    const latencies: number[] = [];
    while (!until()) {
      const sent = performance.now();
      const res = await fetch(`${server.url}/v1/builds/live/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${live.runner}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: next, events: sampleEvents(next, 10) }),
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`append answered ${res.status}`);
      next += 10;
      latencies.push(performance.now() - sent);
      await new Promise((r) => setTimeout(r, 20));
    }
    return latencies.sort((a, b) => a - b);
  };
  const describe = (l: number[]) =>
    `${l.length} appends, p50 ${l[Math.floor(l.length * 0.5)]!.toFixed(1)} ms, p99 ${l[Math.floor(l.length * 0.99)]!.toFixed(1)} ms, max ${l.at(-1)!.toFixed(1)} ms`;

  const baselineEnd = performance.now() + 5000;
  const before = await appendFor(() => performance.now() > baselineEnd);
  let sweeping = true;
  const sweepStarted = performance.now();
  const [run, during] = await Promise.all([server.janitor.run().finally(() => (sweeping = false)), appendFor(() => !sweeping)]);
  const sweepSeconds = (performance.now() - sweepStarted) / 1000;
  console.log(`${backend.name}: append latency on a live build (10 events each, every 20 ms)`);
  console.log(`  before the sweep: ${describe(before)}`);
  console.log(`  during the sweep: ${describe(during)}`);
  console.log(`  sweep: ${run.buildsExpired} build, ${run.eventsPurged} events in ${run.batches} batches of ≤ 2000 in ${sweepSeconds.toFixed(1)} s`);
} finally {
  await server.stop();
}

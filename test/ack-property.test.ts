// PROTOCOL §Append: whatever the splits, duplicates and order of the batches, the ack is the
// longest stored prefix, `missing` lists exactly the holes, and the log ends up equal to the
// sequence — checked with fast-check against a real server on every backend.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { startTestServer, type TestServer } from './support/test-server.js';

/** A sequence of N events cut into chunks, some repeated, shuffled. */
const scenario = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      cuts: fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: Math.min(12, n - 1) }),
      repeats: fc.array(fc.nat(), { maxLength: 6 }),
      order: fc.array(fc.nat(), { minLength: 30, maxLength: 30 }),
    }),
  )
  .map(({ n, cuts, repeats, order }) => {
    const bounds = [0, ...cuts.filter((c) => c < n).sort((a, b) => a - b), n];
    const chunks: Array<[number, number]> = [];
    for (let i = 0; i < bounds.length - 1; i++) if (bounds[i]! < bounds[i + 1]!) chunks.push([bounds[i]! + 1, bounds[i + 1]!]);
    const batches = [...chunks, ...repeats.map((r) => chunks[r % chunks.length]!)];
    // Fisher–Yates driven by the generated numbers, so shrinking stays meaningful.
    for (let i = batches.length - 1; i > 0; i--) {
      const j = order[i % order.length]! % (i + 1);
      [batches[i], batches[j]] = [batches[j]!, batches[i]!];
    }
    return { n, batches };
  });

function eventFor(seq: number) {
  return { type: 'log', data: { stream: 'stdout', line: `line ${seq}`, n: seq } };
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`ack property on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.stop());

    it('acks the longest stored prefix and ends with exactly the sequence', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ n, batches }) => {
          const { buildId, runner, viewer } = await server.createBuild();
          const stored = new Set<number>();
          for (const [from, to] of batches) {
            const events = Array.from({ length: to - from + 1 }, (_, i) => eventFor(from + i));
            const res = await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from, events } });
            expect(res.status).toBe(200);
            for (let s = from; s <= to; s++) stored.add(s);
            let prefix = 0;
            while (stored.has(prefix + 1)) prefix++;
            expect(res.body.ack).toBe(prefix);
            const missing: Array<[number, number]> = [];
            const top = Math.max(...stored);
            for (let s = prefix + 1; s <= top; s++) {
              if (stored.has(s)) continue;
              const last = missing.at(-1);
              if (last && last[1] === s - 1) last[1] = s;
              else missing.push([s, s]);
            }
            expect(res.body.missing).toEqual(missing);
          }
          const log = (await server.api(`/v1/builds/${buildId}/events?limit=10000`, { token: viewer })).body;
          expect(log.ack).toBe(n);
          expect(log.events.map((e: { seq: number; data: { n: number } }) => [e.seq, e.data.n])).toEqual(
            Array.from({ length: n }, (_, i) => [i + 1, i + 1]),
          );
        }),
        { numRuns: 30 },
      );
    });

    it('ends with exactly the sequence when overlapping batches race', async () => {
      await fc.assert(
        fc.asyncProperty(scenario, async ({ n, batches }) => {
          const { buildId, runner, viewer } = await server.createBuild();
          const answers = await Promise.all(
            batches.map(([from, to]) =>
              server.api(`/v1/builds/${buildId}/events`, {
                token: runner,
                body: { from, events: Array.from({ length: to - from + 1 }, (_, i) => eventFor(from + i)) },
              }),
            ),
          );
          for (const a of answers) expect(a.status).toBe(200);
          expect(Math.max(...answers.map((a) => a.body.ack))).toBe(n);
          const log = (await server.api(`/v1/builds/${buildId}/events?limit=10000`, { token: viewer })).body;
          expect(log.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
        }),
        { numRuns: 15 },
      );
    });
  });
}

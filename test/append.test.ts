// PROTOCOL §Append, every rule, on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainDigests } from '../protocol/hash-chain.js';
import { BACKENDS } from './support/backends.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`append on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { limits: { maxGapWindow: 50 } as never });
    });
    afterAll(async () => server?.stop());

    const append = (buildId: string, token: string, body: unknown) =>
      server.api(`/v1/builds/${buildId}/events`, { token, body });
    const readAll = async (buildId: string, token: string) => (await server.api(`/v1/builds/${buildId}/events?after=0&limit=10000`, { token })).body;

    it('acks a contiguous batch and returns the digest of the chain', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const events = sampleEvents(1, 3);
      const res = await append(buildId, runner, { from: 1, events });
      expect(res.status).toBe(200);
      const expected = chainDigests('', events.map((e, i) => ({ seq: i + 1, type: e.type, data: e.data, time: null })));
      expect(res.body).toEqual({ ack: 3, final: null, missing: [], digest: expected });
      const log = await readAll(buildId, viewer);
      expect(log.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
      expect(log.events[0].data).toEqual(events[0]!.data);
    });

    it('treats a retried batch as a no-op (rule 1)', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const body = { from: 1, events: sampleEvents(1, 5) };
      const first = await append(buildId, runner, body);
      for (let i = 0; i < 3; i++) expect((await append(buildId, runner, body)).body).toEqual(first.body);
      // Same content, keys in another order: still identical (canonical JSON).
      const reordered = await append(buildId, runner, { from: 2, events: [{ data: { line: 'e 2', stream: 'stdout' }, type: 'log' }] });
      expect(reordered.status).toBe(200);
      expect((await readAll(buildId, viewer)).events).toHaveLength(5);
    });

    it('rejects different content at a stored seq and writes nothing of the batch (rule 2)', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, { from: 1, events: sampleEvents(1, 3) });
      const res = await append(buildId, runner, { from: 3, events: [{ type: 'log', data: 'different' }, ...sampleEvents(4, 2)] });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'seq_conflict', seq: 3, ack: 3 });
      const log = await readAll(buildId, viewer);
      expect(log.ack).toBe(3);
      expect(log.events).toHaveLength(3);
    });

    it('stores a gap invisibly, reports missing ranges, and acks once it fills (rule 3)', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      expect((await append(buildId, runner, { from: 1, events: sampleEvents(1, 2) })).body.ack).toBe(2);
      const gap = await append(buildId, runner, { from: 5, events: sampleEvents(5, 2) });
      expect(gap.body).toMatchObject({ ack: 2, missing: [[3, 4]] });
      const gap2 = await append(buildId, runner, { from: 9, events: sampleEvents(9, 1) });
      expect(gap2.body.missing).toEqual([[3, 4], [7, 8]]);
      expect((await readAll(buildId, viewer)).events).toHaveLength(2);
      const fill = await append(buildId, runner, { from: 3, events: sampleEvents(3, 2) });
      expect(fill.body).toMatchObject({ ack: 6, missing: [[7, 8]] });
      const fill2 = await append(buildId, runner, { from: 7, events: sampleEvents(7, 2) });
      expect(fill2.body).toMatchObject({ ack: 9, missing: [] });
      const log = await readAll(buildId, viewer);
      expect(log.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(fill2.body.digest).toBe(
        chainDigests('', log.events.map((e: any) => ({ seq: e.seq, type: e.type, data: e.data, time: e.time }))),
      );
    });

    it('refuses a batch starting beyond the window (rule 3)', async () => {
      const { buildId, runner } = await server.createBuild();
      await append(buildId, runner, { from: 1, events: sampleEvents(1, 1) });
      const ok = await append(buildId, runner, { from: 51, events: sampleEvents(51, 1) });
      expect(ok.status).toBe(200);
      const res = await append(buildId, runner, { from: 52, events: sampleEvents(52, 1) });
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ code: 'gap_too_large', ack: 1 });
    });

    it('closes the build at final: later seqs, another final and a low final are build_closed (rule 4)', async () => {
      const { buildId, runner } = await server.createBuild();
      const done = await append(buildId, runner, { from: 1, events: sampleEvents(1, 3), final: true });
      expect(done.body).toMatchObject({ ack: 3, final: 3 });
      expect((await append(buildId, runner, { from: 1, events: sampleEvents(1, 3), final: true })).status).toBe(200);
      const after = await append(buildId, runner, { from: 4, events: sampleEvents(4, 1) });
      expect(after.status).toBe(409);
      expect(after.body.code).toBe('build_closed');
      const otherFinal = await append(buildId, runner, { from: 2, events: sampleEvents(2, 1), final: true });
      expect(otherFinal.body.code).toBe('build_closed');

      const second = await server.createBuild();
      await append(second.buildId, second.runner, { from: 1, events: sampleEvents(1, 1) });
      await append(second.buildId, second.runner, { from: 5, events: sampleEvents(5, 1) });
      const low = await append(second.buildId, second.runner, { from: 2, events: sampleEvents(2, 1), final: true });
      expect(low.status).toBe(409);
      expect(low.body.code).toBe('build_closed');
    });

    it('fences older epochs and discards unacked events of the old epoch on takeover (rule 5)', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, { from: 1, events: sampleEvents(1, 2) });
      await append(buildId, runner, { from: 4, events: sampleEvents(4, 2, 'old') });
      const takeover = await append(buildId, runner, { from: 3, events: sampleEvents(3, 1, 'new'), epoch: 1 });
      expect(takeover.body).toMatchObject({ ack: 3, missing: [] });
      // The old runner's seq 4 was discarded: the new runner may write different content there.
      expect((await append(buildId, runner, { from: 4, events: sampleEvents(4, 1, 'new'), epoch: 1 })).body.ack).toBe(4);
      const stale = await append(buildId, runner, { from: 5, events: sampleEvents(5, 1), epoch: 0 });
      expect(stale.status).toBe(403);
      expect(stale.body.code).toBe('stale_epoch');
      const build = (await server.api(`/v1/builds/${buildId}`, { token: viewer })).body;
      expect(build).toMatchObject({ epoch: 1, ack: 4 });
      const log = await readAll(buildId, viewer);
      expect(log.events.map((e: any) => e.data.line)).toEqual(['e 1', 'e 2', 'new 3', 'new 4']);
    });

    it('does not let a complete build be taken over (rule 5)', async () => {
      const { buildId, runner } = await server.createBuild();
      await append(buildId, runner, { from: 1, events: sampleEvents(1, 1), final: true });
      const res = await append(buildId, runner, { from: 2, events: sampleEvents(2, 1), epoch: 3 });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('build_closed');
      expect((await server.api(`/v1/builds/${buildId}`)).body.epoch).toBe(0);
    });

    it('keeps time exactly as sent and null when absent', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const time = '2026-11-27T18:00:00.123+01:00';
      await append(buildId, runner, { from: 1, events: [{ type: 'start', time }, { type: 'status', data: { phase: 'x' } }] });
      const log = await readAll(buildId, viewer);
      expect(log.events[0]).toMatchObject({ seq: 1, type: 'start', data: null, time });
      expect(log.events[1].time).toBeNull();
    });

    it('commits 20 concurrent appenders on different builds and 5 overlapping retries on one build exactly', async () => {
      const builds = await Promise.all(Array.from({ length: 20 }, () => server.createBuild()));
      await Promise.all(
        builds.map(async (b) => {
          for (let from = 1; from <= 100; from += 10) {
            const res = await append(b.buildId, b.runner, { from, events: sampleEvents(from, 10, b.buildId) });
            expect(res.status).toBe(200);
          }
        }),
      );
      const one = await server.createBuild();
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, k) => append(one.buildId, one.runner, { from: 1 + k * 5, events: sampleEvents(1 + k * 5, 30, 'r') })),
      );
      for (const res of results) expect(res.status).toBe(200);
      for (const b of builds) {
        const log = await readAll(b.buildId, b.viewer);
        expect(log.events.map((e: any) => e.data.line)).toEqual(sampleEvents(1, 100, b.buildId).map((e: any) => e.data.line));
      }
      const log = await readAll(one.buildId, one.viewer);
      expect(log.ack).toBe(50);
      expect(log.events.map((e: any) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('answers 404 build_not_found for an unknown build', async () => {
      const res = await append('nope', server.adminToken, { from: 1, events: sampleEvents(1, 1) });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('build_not_found');
    });
  });
}

// ARCHITECTURE §Cursor and §Hub, at scale: a commit's frames are encoded once whatever the
// number of viewers, an append is answered before the fan-out its commit triggers (viewers and
// long-polls never delay it), and open streams do not pile listeners on the shutdown signal.
import { getEventListeners } from 'node:events';
import { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BuildCursor } from '../server/log/build-cursor.js';
import { frameEncodings } from '../server/log/event-json.js';
import { BACKENDS } from './support/backends.js';
import { eventIds, openSse, type SseConnection } from './support/sse-reader.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

const VIEWERS = 40;

function batch(from: number, count: number) {
  return { from, final: false, epoch: 0, events: sampleEvents(from, count).map((e) => ({ type: e.type, data: JSON.stringify(e.data), time: null })) };
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`fan-out on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => {
      await server?.stop();
    });

    async function openViewers(buildId: string, viewer: string, count: number): Promise<SseConnection[]> {
      const viewers = await Promise.all(Array.from({ length: count }, () => openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`)));
      for (const v of viewers) await v.next(); // retry:
      return viewers;
    }

    it('encodes a commit’s frames once, however many viewers receive them', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const viewers = await openViewers(buildId, viewer, VIEWERS);
      const before = frameEncodings.count;
      const res = await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 25) } });
      expect(res.body.ack).toBe(25);
      for (const v of viewers) expect(eventIds(await v.collect((f) => f.id === '25'))).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
      expect(frameEncodings.count - before).toBe(25);
      for (const v of viewers) v.close();
    });

    it('writes a step of several commits to every socket as the cached bytes themselves, never a copy per viewer', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      // Three commits: three segments in the tail cache, which a viewer from 0 gets in one step.
      for (let from = 1; from <= 11; from += 5) {
        expect((await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from, events: sampleEvents(from, 5) } })).body.ack).toBe(from + 4);
      }
      const write = vi.spyOn(ServerResponse.prototype, 'write');
      try {
        const viewers = await openViewers(buildId, viewer, 2);
        for (const v of viewers) expect(eventIds(await v.collect((f) => f.id === '15'))).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
        const written = new Map<unknown, Uint8Array[]>();
        write.mock.calls.forEach(([chunk], i) => {
          if (!(chunk instanceof Uint8Array) || !Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).includes('id: ')) return;
          const response = write.mock.contexts[i];
          written.set(response, [...(written.get(response) ?? []), chunk]);
        });
        const [first, second] = [...written.values()];
        expect(written.size).toBe(2);
        expect(first!.length).toBe(3);
        // The same memory, not equal copies: one view per cached segment, shared by both viewers.
        const views = (chunks: Uint8Array[]) => chunks.map((c) => [c.buffer, c.byteOffset, c.byteLength]);
        expect(views(second!)).toEqual(views(first!));
        expect(second![0]!.buffer).toBe(first![0]!.buffer);
        for (const v of viewers) v.close();
      } finally {
        write.mockRestore();
      }
    });

    it('answers an append before waking any viewer or long-poll of its commit', async () => {
      const { buildId } = await server.createBuild();
      // Long-polls as the JSON route runs them: a cursor waiting for events after 0.
      const polls = await Promise.all(Array.from({ length: 200 }, () => BuildCursor.open(server.engine, buildId, 0)));
      let answered = 0;
      const waiting = polls.map((cursor) =>
        cursor.next(10_000, (after, upTo) => server.engine.readJson(buildId, after, upTo, { limit: 100, maxBytes: 1 << 20 })).then((step) => {
          answered++;
          cursor.close();
          return step;
        }),
      );
      await server.engine.append(buildId, batch(1, 3), undefined);
      // However many steps the answer takes on its way out (an HTTP answer takes several),
      // no reader has run yet: they wake in later turns of the event loop.
      for (let i = 0; i < 50; i++) await Promise.resolve();
      expect(answered).toBe(0);
      const steps = await Promise.all(waiting);
      expect(steps.every((s) => s.kind === 'events' && s.page.last === 3)).toBe(true);
    });

    it('keeps one listener on the shutdown signal whatever the number of open streams and long-polls', async () => {
      const warnings: string[] = [];
      const onWarning = (w: Error) => warnings.push(w.name);
      process.on('warning', onWarning);
      try {
        const { buildId, viewer } = await server.createBuild();
        const before = getEventListeners(server.shutdownSignal, 'abort').length;
        const viewers = await openViewers(buildId, viewer, 30);
        const polls = Array.from({ length: 20 }, () =>
          fetch(`${server.url}/v1/builds/${buildId}/events?after=0&wait=30`, { headers: { authorization: `Bearer ${viewer}` }, signal: AbortSignal.timeout(60_000) }).catch(() => undefined),
        );
        await new Promise((r) => setTimeout(r, 300));
        expect(getEventListeners(server.shutdownSignal, 'abort').length).toBe(before);
        for (const v of viewers) v.close();
        void polls;
        await new Promise((r) => setImmediate(r));
        expect(warnings).not.toContain('MaxListenersExceededWarning');
      } finally {
        process.off('warning', onWarning);
      }
    });
  });
}

// PROTOCOL §Read the log, JSON with long-poll, on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`JSON read and long-poll on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.stop());

    const append = (buildId: string, token: string, from: number, count: number, final = false) =>
      server.api(`/v1/builds/${buildId}/events`, { token, body: { from, events: sampleEvents(from, count), final } });

    it('pages through the log with after, limit and next', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 25);
      const seen: number[] = [];
      let after = 0;
      for (;;) {
        const page = (await server.api(`/v1/builds/${buildId}/events?after=${after}&limit=10`, { token: viewer })).body;
        expect(page.ack).toBe(25);
        expect(page.final).toBeNull();
        if (page.events.length === 0) {
          expect(page.next).toBe(after);
          break;
        }
        seen.push(...page.events.map((e: { seq: number }) => e.seq));
        expect(page.next).toBe(page.events.at(-1).seq);
        after = page.next;
      }
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    });

    it('answers a page the database sends in many parts as one JSON document', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      // More than the tail cache keeps of a build, so the first pages come from the database.
      for (let from = 1; from <= 3000; from += 1000) await append(buildId, runner, from, 1000);
      const res = await fetch(`${server.url}/v1/builds/${buildId}/events?after=0&limit=2500`, { headers: { authorization: `Bearer ${viewer}` } });
      const text = await res.text();
      expect(Number(res.headers.get('content-length'))).toBe(Buffer.byteLength(text));
      const page = JSON.parse(text) as { events: Array<{ seq: number; data: { line: string } }>; next: number };
      expect(page.events.map((e) => e.seq)).toEqual(Array.from({ length: 2500 }, (_, i) => i + 1));
      expect(page.events[1234]!.data.line).toBe('e 1235');
      expect(page.next).toBe(2500);
    });

    it('wakes a waiting reader when the commit lands, not when its wait runs out', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 1);
      const waiting = server.api(`/v1/builds/${buildId}/events?after=1&wait=60`, { token: viewer });
      await new Promise((r) => setTimeout(r, 300));
      const res = await append(buildId, runner, 2, 3);
      const committedAt = Date.now();
      const page = (await waiting).body;
      const latency = Date.now() - committedAt;
      expect(page.events.map((e: { seq: number }) => e.seq)).toEqual([2, 3, 4]);
      expect(res.body.ack).toBe(4);
      expect(latency).toBeLessThan(30_000); // half the 60 s wait: only a wake-up answers this soon
    });

    it('answers with no events when the wait runs out', async () => {
      const { buildId, viewer } = await server.createBuild();
      const started = Date.now();
      const page = (await server.api(`/v1/builds/${buildId}/events?after=0&wait=0.3`, { token: viewer })).body;
      expect(Date.now() - started).toBeGreaterThanOrEqual(280);
      expect(page).toEqual({ events: [], ack: 0, final: null, next: 0 });
    });

    it('never returns events beyond the ack, even when they are stored', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 2);
      await append(buildId, runner, 4, 3);
      const page = (await server.api(`/v1/builds/${buildId}/events?after=0&wait=0.2`, { token: viewer })).body;
      expect(page.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
      expect(page.ack).toBe(2);
      const waited = (await server.api(`/v1/builds/${buildId}/events?after=2&wait=0.2`, { token: viewer })).body;
      expect(waited.events).toEqual([]);
    });

    it('answers at once for a complete build read past its final', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 2, true);
      const started = Date.now();
      const page = (await server.api(`/v1/builds/${buildId}/events?after=2&wait=60`, { token: viewer })).body;
      expect(Date.now() - started).toBeLessThan(30_000); // half the wait: it did not wait
      expect(page).toEqual({ events: [], ack: 2, final: 2, next: 2 });
    });

    it('refuses malformed or out-of-range parameters instead of clamping them', async () => {
      const { buildId, viewer } = await server.createBuild();
      for (const query of ['after=-1', 'after=x', 'limit=0', 'limit=10001', 'limit=2.5', 'wait=61', 'wait=-1', 'wait=abc', 'after=1&after=2']) {
        const res = await server.api(`/v1/builds/${buildId}/events?${query}`, { token: viewer });
        expect(res.status, query).toBe(400);
        expect(res.body.code).toBe('invalid_parameter');
      }
    });
  });
}

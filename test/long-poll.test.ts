// PROTOCOL §Read the log, JSON with long-poll, on every backend.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
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
    /** Until exactly `count` long-polls are waiting on the server. */
    const waitingPolls = async (count: number) => {
      const gauge = new RegExp(`^runlog_long_polls_waiting ${count}$`, 'm');
      while (!gauge.test((await server.api('/metrics', { token: null })).body)) await new Promise((r) => setTimeout(r, 20));
    };

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

    it('reads and encodes one answer for all the long-polls a commit wakes at one position', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const polls = Array.from({ length: 30 }, () => requestText('GET', `${server.url}/v1/builds/${buildId}/events?after=0&wait=30`, viewer));
      await waitingPolls(30);
      const reads = vi.spyOn(server.engine, 'readJson');
      // No AbortSignal per poll: a signal per request and one linked to it, each with its
      // listener, were most of what a waiting poll cost beyond Node's own answer.
      const listeners = vi.spyOn(EventTarget.prototype, 'addEventListener');
      try {
        await requestText('POST', `${server.url}/v1/builds/${buildId}/events`, runner, JSON.stringify({ from: 1, events: sampleEvents(1, 3) }));
        const bodies = await Promise.all(polls);
        expect(new Set(bodies).size).toBe(1);
        expect(JSON.parse(bodies[0]!)).toMatchObject({ ack: 3, final: null, next: 3, events: [{ seq: 1 }, { seq: 2 }, { seq: 3 }] });
        expect(reads).toHaveBeenCalledTimes(1);
        expect(listeners).not.toHaveBeenCalled();
      } finally {
        reads.mockRestore();
        listeners.mockRestore();
      }
    });

    it('never answers from the log of a deleted build that came back under its id', async () => {
      const { buildId, runner } = await server.createBuild();
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 2, 'old') } });
      expect((await server.api(`/v1/builds/${buildId}/events?after=0`)).body.events[0].data.line).toBe('old 1');
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      const again = await server.createBuild(buildId);
      await server.api(`/v1/builds/${buildId}/events`, { token: again.runner, body: { from: 1, events: sampleEvents(1, 2, 'new') } });
      const page = (await server.api(`/v1/builds/${buildId}/events?after=0`)).body;
      expect(page.events.map((e: { data: { line: string } }) => e.data.line)).toEqual(['new 1', 'new 2']);
    });

    it('stops waiting when the client goes away', async () => {
      const { buildId, viewer } = await server.createBuild();
      const listening = server.engine.hub.listenerCount();
      const req = http.get(`${server.url}/v1/builds/${buildId}/events?after=0&wait=60`, { headers: { authorization: `Bearer ${viewer}` } });
      req.on('error', () => {});
      await waitingPolls(1);
      req.destroy();
      await waitingPolls(0);
      expect(server.engine.hub.listenerCount()).toBe(listening);
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

/** A request by node:http, which (unlike fetch) adds no listener to any AbortSignal of its own. */
function requestText(method: string, url: string, token: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
    http
      .request(url, { method, headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(text));
      })
      .on('error', reject)
      .end(body);
  });
}

// PROTOCOL §SSE from the raw HTTP response, on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSE_RETRY_MAX_MS, SSE_RETRY_MIN_MS } from '../protocol/limits.js';
import { BACKENDS } from './support/backends.js';
import { eventIds, openSse } from './support/sse-reader.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

const PING_MS = 150;

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`SSE stream on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend, { pingIntervalMs: PING_MS });
    });
    afterAll(async () => server?.stop());

    const append = async (buildId: string, token: string, from: number, count: number, final = false) => {
      const res = await server.api(`/v1/builds/${buildId}/events`, { token, body: { from, events: sampleEvents(from, count), final } });
      expect(res.status).toBe(200);
      return res.body;
    };
    const streamUrl = (buildId: string, token: string, query = '') => `${server.url}/v1/builds/${buildId}/stream?token=${token}${query}`;

    it('sends headers, a jittered retry, then every event in order with its seq as id', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 5);
      const sse = await openSse(streamUrl(buildId, viewer));
      expect(sse.status).toBe(200);
      expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(sse.headers.get('cache-control')).toBe('no-cache, no-transform');
      expect(sse.headers.get('x-accel-buffering')).toBe('no');
      const first = await sse.next();
      expect(first?.retry).toBeGreaterThanOrEqual(SSE_RETRY_MIN_MS);
      expect(first?.retry).toBeLessThanOrEqual(SSE_RETRY_MAX_MS);
      const frames = await sse.collect((f) => f.id === '5');
      expect(eventIds(frames)).toEqual([1, 2, 3, 4, 5]);
      const event = JSON.parse(frames.at(-1)!.data!);
      expect(event).toMatchObject({ seq: 5, type: 'log', data: { stream: 'stdout', line: 'e 5' }, time: null });
      // Besides the events, only the ping that announces the interval (PROTOCOL §SSE rule 3).
      expect(frames.filter((f) => f.event !== 'ping').every((f) => f.event === undefined)).toBe(true);
      // Live: later commits arrive on the open stream.
      await append(buildId, runner, 6, 2);
      expect(eventIds(await sse.collect((f) => f.id === '7'))).toEqual([6, 7]);
      sse.close();
    });

    it('draws retry per connection from 1000–3000 ms', async () => {
      const { buildId, viewer } = await server.createBuild();
      const retries = new Set<number>();
      for (let i = 0; i < 8; i++) {
        const sse = await openSse(streamUrl(buildId, viewer));
        retries.add((await sse.next())!.retry!);
        sse.close();
      }
      expect(retries.size).toBeGreaterThan(1);
    });

    it('resumes after Last-Event-ID, after ?after, and prefers the header', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 10);
      const byHeader = await openSse(streamUrl(buildId, viewer), { headers: { 'Last-Event-ID': '7' } });
      expect(eventIds(await byHeader.collect((f) => f.id === '10'))).toEqual([8, 9, 10]);
      byHeader.close();
      const byQuery = await openSse(streamUrl(buildId, viewer, '&after=4'));
      expect(eventIds(await byQuery.collect((f) => f.id === '10'))).toEqual([5, 6, 7, 8, 9, 10]);
      byQuery.close();
      const both = await openSse(streamUrl(buildId, viewer, '&after=2'), { headers: { 'Last-Event-ID': '8' } });
      expect(eventIds(await both.collect((f) => f.id === '10'))).toEqual([9, 10]);
      both.close();
    });

    it('never sends events above the ack while a gap is open', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 2);
      await append(buildId, runner, 5, 2);
      const sse = await openSse(streamUrl(buildId, viewer));
      const frames = await sse.collect((f) => f.id === '2');
      const idle = await sse.collect((f) => f.comment === 'ping');
      expect(eventIds([...frames, ...idle])).toEqual([1, 2]);
      await append(buildId, runner, 3, 2);
      expect(eventIds(await sse.collect((f) => f.id === '6'))).toEqual([3, 4, 5, 6]);
      sse.close();
    });

    it('announces its ping interval when the stream opens, then pings when idle', async () => {
      const { buildId, viewer } = await server.createBuild();
      const started = Date.now();
      const sse = await openSse(streamUrl(buildId, viewer));
      await sse.next();
      const announced = await sse.next();
      expect(announced).toMatchObject({ comment: 'ping', event: 'ping' });
      expect(JSON.parse(announced!.data!)).toEqual({ intervalMs: PING_MS });
      const frame = await sse.next(PING_MS * 10);
      expect(frame?.comment).toBe('ping');
      expect(Date.now() - started).toBeGreaterThanOrEqual(PING_MS - 20);
      sse.close();
    });

    it('ends with event: end after the final event and closes the stream', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 3);
      const sse = await openSse(streamUrl(buildId, viewer));
      await sse.collect((f) => f.id === '3');
      await append(buildId, runner, 4, 2, true);
      const frames = await sse.collect(() => false);
      expect(eventIds(frames)).toEqual([4, 5]);
      const end = frames.at(-1)!;
      expect(end.event).toBe('end');
      expect(JSON.parse(end.data!)).toEqual({ final: 5 });
      expect(await sse.next()).toBeUndefined();
    });

    it('streams a complete build to its end from the middle', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 4, true);
      const sse = await openSse(streamUrl(buildId, viewer, '&after=2'));
      const frames = await sse.collect(() => false);
      expect(eventIds(frames)).toEqual([3, 4]);
      expect(frames.at(-1)?.event).toBe('end');
    });

    it('answers 204 when starting at or past final of a complete build', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await append(buildId, runner, 1, 3, true);
      for (const init of [{ query: '&after=3' }, { query: '&after=9' }, { query: '', headers: { 'Last-Event-ID': '3' } }]) {
        const res = await fetch(streamUrl(buildId, viewer, init.query), { headers: init.headers ?? {} });
        expect(res.status).toBe(204);
        expect(await res.text()).toBe('');
      }
    });

    it('answers 400 invalid_parameter for a malformed Last-Event-ID or after', async () => {
      const { buildId, viewer } = await server.createBuild();
      const cases: Array<[string, Record<string, string>]> = [
        ['&after=-1', {}],
        ['&after=abc', {}],
        ['&after=1.5', {}],
        ['&after=9007199254740992', {}],
        ['', { 'Last-Event-ID': 'x' }],
        ['', { 'Last-Event-ID': '-3' }],
        ['', { 'Last-Event-ID': '99999999999999999999' }],
      ];
      for (const [query, headers] of cases) {
        const res = await server.api(`/v1/builds/${buildId}/stream?x=1${query}`, { token: viewer, headers });
        expect(res.status, `${query} ${JSON.stringify(headers)}`).toBe(400);
        expect(res.body.code).toBe('invalid_parameter');
      }
    });

    it('closes open streams when the build is deleted', async () => {
      const { buildId, viewer } = await server.createBuild();
      const sse = await openSse(streamUrl(buildId, viewer));
      await sse.next();
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      // The stream ends (collect returns instead of timing out) with no event frame.
      expect(eventIds(await sse.collect(() => false, 3000))).toEqual([]);
    });
  });
}

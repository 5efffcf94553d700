// PROTOCOL §Append rule 7 and §Operations: when PostgreSQL becomes unreachable, appends answer
// 503 unavailable with Retry-After and /readyz 503; when it returns, both recover without a
// restart, and nothing acked before the outage is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES } from './support/backends.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { eventIds, openSse } from './support/sse-reader.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

describe.skipIf(POSTGRES.unavailable !== undefined)('database loss on PostgreSQL', () => {
  let proxy: FaultProxy;
  let server: TestServer;

  beforeAll(async () => {
    const db = await POSTGRES.fresh();
    const url = new URL(db.databaseUrl!);
    proxy = await startFaultProxy({ target: { host: url.hostname, port: Number(url.port || 5432) }, seed: 1 });
    url.host = `127.0.0.1:${proxy.port}`;
    server = await startTestServer(POSTGRES, {}, { ...db, databaseUrl: url.toString() });
  });
  afterAll(async () => {
    proxy?.resume();
    await server?.stop();
    await proxy?.close();
  });

  it('answers 503 unavailable while the database is away and recovers when it returns', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const append = (from: number, count: number) =>
      server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from, events: sampleEvents(from, count) } });
    expect((await append(1, 5)).body.ack).toBe(5);
    const sse = await openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`);
    expect(eventIds(await sse.collect((f) => f.id === '5'))).toEqual([1, 2, 3, 4, 5]);

    proxy.pause({ severOpen: true });
    const during = await append(6, 5);
    expect(during.status).toBe(503);
    expect(during.body.code).toBe('unavailable');
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    const ready = await server.api('/readyz', { token: null });
    expect(ready.status).toBe(503);
    expect(ready.body.code).toBe('unavailable');
    expect((await server.api('/healthz', { token: null })).status).toBe(200);
    const read = await server.api(`/v1/builds/${buildId}/events`, { token: viewer });
    expect(read.status).toBe(503);

    proxy.resume();
    let recovered = await append(6, 5);
    for (let i = 0; i < 20 && recovered.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      recovered = await append(6, 5);
    }
    expect(recovered.status).toBe(200);
    expect(recovered.body.ack).toBe(10);
    expect((await server.api('/readyz', { token: null })).status).toBe(200);
    // The stream that was open through the outage carries on (or the reader resumes).
    expect(eventIds(await sse.collect((f) => f.id === '10', 15_000))).toEqual([6, 7, 8, 9, 10]);
    sse.close();
    const log = (await server.api(`/v1/builds/${buildId}/events`, { token: viewer })).body;
    expect(log.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

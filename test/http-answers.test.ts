// An ordinary answer leaves Node in one `end` with its whole body: no web streams between the
// handler and the socket. The request log once read `c.res.body` to count bytes, which turned
// every light answer of @hono/node-server into two ReadableStreams and a chunked write — per
// append, at thousands a second. The log now counts at Node's response (test/deploy/request-log).
import { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PGLITE } from './support/backends.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

describe('answers as they leave the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('sends an append’s answer and a JSON read in one end() each, with no write() before it', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const write = vi.spyOn(ServerResponse.prototype, 'write');
    const end = vi.spyOn(ServerResponse.prototype, 'end');
    try {
      const appended = await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 3) } });
      const read = await server.api(`/v1/builds/${buildId}/events?after=0`, { token: viewer });
      expect(appended.body.ack).toBe(3);
      expect(read.body.events).toHaveLength(3);
      expect(write).not.toHaveBeenCalled();
      const bodies = end.mock.calls.map(([chunk]) => (typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString() : ''));
      expect(bodies).toHaveLength(2);
      expect(JSON.parse(bodies[0]!).ack).toBe(3);
      expect(JSON.parse(bodies[1]!).events).toHaveLength(3);
    } finally {
      write.mockRestore();
      end.mockRestore();
    }
  });
});

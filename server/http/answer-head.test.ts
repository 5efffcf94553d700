// Every answer's request id and CORS headers go onto Node's response before the route runs, so
// @hono/node-server writes a route's light answer (a string and a plain header object) as it is.
// Set on `c.res.headers` after the route, they made every answer a `Headers` that was validated,
// sorted and copied into Node's head: a quarter of the server's CPU answering waiting long-polls.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRunlog, type RunningRunlog, type TestBuild } from '../testing.js';

/** A request by node:http, which builds no `Headers` of its own (fetch would). */
function request(url: string, method: string, token: string, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('an answer head', () => {
  let runlog: RunningRunlog;
  let build: TestBuild;
  beforeAll(async () => {
    runlog = await startRunlog();
    build = await runlog.createBuild();
  });
  afterAll(() => runlog?.stop());

  it('carries the request id and CORS headers, and a light answer builds no Headers object', async () => {
    const set = vi.spyOn(Headers.prototype, 'set');
    const append = vi.spyOn(Headers.prototype, 'append');
    let light;
    try {
      light = [
        await request(`${runlog.url}/v1/builds/${build.buildId}/events`, 'POST', build.runnerToken, '{"from":1,"events":[{"type":"log","data":{"line":"x"}}]}'),
        await request(`${runlog.url}/v1/builds/${build.buildId}/events?after=0`, 'GET', build.viewerToken),
      ];
      expect(set.mock.calls.length + append.mock.calls.length).toBe(0);
    } finally {
      set.mockRestore();
      append.mockRestore();
    }
    const error = await request(`${runlog.url}/v1/builds/${build.buildId}/events?after=-1`, 'GET', build.viewerToken);
    expect([...light, error].map((a) => a.status)).toEqual([200, 200, 400]);
    for (const { headers } of [...light, error]) {
      expect(headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(headers['access-control-allow-origin']).toBe('*');
      expect(headers['access-control-expose-headers']).toContain('X-Request-Id');
    }
  });
});

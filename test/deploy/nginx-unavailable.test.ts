// deploy/nginx.conf with no instance to take a request — all down, stopping, or skipped for
// their fail_timeout, as in a quick rolling restart — answers as an instance would have:
// 503 unavailable with Retry-After and a problem document (PROTOCOL §Errors), never a bare 502
// that a client could take as final; a stream request's connection is closed instead, which
// EventSource retries.
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NGINX_UNAVAILABLE, startNginx, type Nginx } from '../support/nginx.js';
import { freePort } from '../support/runner-harness.js';

describe.skipIf(NGINX_UNAVAILABLE !== undefined)('nginx with no instance to take a request', () => {
  let nginx: Nginx;
  beforeAll(async () => {
    // Ports nothing listens on: every try is refused.
    nginx = await startNginx([await freePort(), await freePort()]);
  });
  afterAll(async () => {
    await nginx?.stop();
  });

  it('answers an append 503 unavailable with Retry-After and a problem document', async () => {
    const res = await fetch(`${nginx.url}/v1/builds/b/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"from":1,"events":[]}' });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(await res.json()).toEqual({
      type: '/errors/unavailable',
      title: 'Unavailable',
      status: 503,
      code: 'unavailable',
      detail: expect.any(String),
      requestId,
    });
  });

  it('closes a stream request without an answer, which an EventSource retries', async () => {
    // A 503 would end a plain EventSource for good; a network error makes it reconnect.
    await expect(fetch(`${nginx.url}/v1/builds/b/stream`, { headers: { accept: 'text/event-stream' } })).rejects.toThrow();
    const es = new EventSource(`${nginx.url}/v1/builds/b/stream`);
    const states: number[] = [];
    await new Promise<void>((resolve) => {
      es.onerror = () => {
        states.push(es.readyState);
        if (states.length === 2) resolve();
      };
    });
    es.close();
    expect(states).toEqual([EventSource.CONNECTING, EventSource.CONNECTING]);
  });
});

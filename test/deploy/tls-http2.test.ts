// RUNLOG_TLS_CERT / RUNLOG_TLS_KEY: HTTPS with ALPN h2 and http/1.1. Node's http2 client opens
// 20 SSE streams and sends appends on one connection; every stream keeps the SSE guarantees —
// each event once and in order, the announced ping, resume with Last-Event-ID, `end`.
import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SseFrameParser, type SseFrame } from '../../protocol/sse-frames.js';
import { PGLITE, POSTGRES } from '../support/backends.js';
import { sampleEvents, startTestServer, type TestServer } from '../support/test-server.js';
import { makeTestCertificate, type TestCertificate } from '../support/tls-cert.js';

const STREAMS = 20;
const PING_MS = 300;

/** A request on the session; resolves with status and the whole body. */
function h2Request(session: ClientHttp2Session, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': method, ':path': path, authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) });
    let status = 0;
    let text = '';
    stream.on('response', (headers) => (status = Number(headers[constants.HTTP2_HEADER_STATUS])));
    stream.setEncoding('utf8');
    stream.on('data', (d: string) => (text += d));
    stream.on('end', () => resolve({ status, body: text }));
    stream.on('error', reject);
    stream.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** An SSE stream on the session, collecting frames until `end` (or the stream closes). */
function h2Stream(session: ClientHttp2Session, path: string, token: string, lastEventId?: string) {
  const frames: SseFrame[] = [];
  const parser = new SseFrameParser();
  const stream = session.request({ ':path': path, authorization: `Bearer ${token}`, accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) });
  stream.setEncoding('utf8');
  const done = new Promise<SseFrame[]>((resolve, reject) => {
    stream.on('data', (d: string) => {
      frames.push(...parser.push(d));
      if (frames.some((f) => f.event === 'end')) resolve(frames);
    });
    stream.on('end', () => resolve(frames));
    stream.on('error', reject);
  });
  return { frames, done, close: () => stream.close() };
}

const ids = (frames: readonly SseFrame[]) => frames.filter((f) => f.id !== undefined).map((f) => Number(f.id));

describe('HTTPS with HTTP/2', () => {
  let cert: TestCertificate;
  let server: TestServer;

  beforeAll(async () => {
    cert = await makeTestCertificate();
    server = await startTestServer(POSTGRES.unavailable === undefined ? POSTGRES : PGLITE, { pingIntervalMs: PING_MS, tls: { cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) } });
  });
  afterAll(async () => {
    await server?.stop();
    await cert?.remove();
  });

  it('serves 20 SSE streams and the appends on one h2 connection, each stream exact, pinged and ended', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const session = connect(server.url, { ca: readFileSync(cert.certFile) });
    try {
      await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
      expect(session.alpnProtocol).toBe('h2');
      const admin = server.adminToken;
      const created = JSON.parse((await h2Request(session, 'POST', '/v1/builds', admin, { buildId: 'over-h2' })).body) as { tokens: { runner: string; viewer: string } };
      const streams = Array.from({ length: STREAMS }, () => h2Stream(session, '/v1/builds/over-h2/stream', created.tokens.viewer));
      // Appends on the same connection, while the streams are open.
      for (let from = 1; from <= 100; from += 10) {
        const res = await h2Request(session, 'POST', '/v1/builds/over-h2/events', created.tokens.runner, { from, events: sampleEvents(from, 10) });
        expect(res.status).toBe(200);
      }
      await new Promise((r) => setTimeout(r, PING_MS * 2)); // idle: pings go out
      await h2Request(session, 'POST', '/v1/builds/over-h2/events', created.tokens.runner, { from: 101, events: sampleEvents(101, 1), final: true });
      const all = await Promise.all(streams.map((s) => s.done));
      for (const frames of all) {
        expect(ids(frames)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
        expect(frames.find((f) => f.event === 'ping')?.data).toBe(JSON.stringify({ intervalMs: PING_MS }));
        expect(frames.filter((f) => f.comment === 'ping').length).toBeGreaterThanOrEqual(2); // at open, and when idle
        expect(frames.at(-1)).toMatchObject({ event: 'end', data: '{"final":101}' });
      }
      // Resume after a seq with Last-Event-ID, on the same connection.
      const resumed = await h2Stream(session, '/v1/builds/over-h2/stream', created.tokens.viewer, '95').done;
      expect(ids(resumed)).toEqual([96, 97, 98, 99, 100, 101]);
      // Every one of those streams shared the one TCP connection.
      expect(session.socket.remotePort).toBe(server.port);
    } finally {
      session.close();
    }
  });

  it('still speaks HTTP/1.1 over TLS to a client that offers only that', async () => {
    const answer = await new Promise<{ status: number; alpn: string | false }>((resolve, reject) => {
      const req = httpsRequest(`${server.url}/healthz`, { ca: readFileSync(cert.certFile), ALPNProtocols: ['http/1.1'] } as Parameters<typeof httpsRequest>[1], (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, alpn: (res.socket as { alpnProtocol?: string | false }).alpnProtocol ?? false });
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 200, alpn: 'http/1.1' });
  });
});

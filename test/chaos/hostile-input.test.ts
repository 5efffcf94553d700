// PROTOCOL §Errors and §Identifiers and limits: malformed and malicious requests each get their
// documented status and problem code, the server stays up, and nothing is written — the log,
// ack and digest are the same afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SEQ } from '../../protocol/limits.js';
import { PGLITE } from '../support/backends.js';
import { TEST_ADMIN_TOKEN, sampleEvents, startTestServer, type ApiInit, type TestServer } from '../support/test-server.js';

const BUILD = 'target';
const EVENTS = `/v1/builds/${BUILD}/events`;
const ev = (overrides: Record<string, unknown> = {}) => ({ type: 'log', data: { line: 'x' }, ...overrides });
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

interface Case {
  readonly name: string;
  readonly path?: string;
  /** `runner` / `viewer` are the target build's tokens. @default runner */
  readonly token?: 'runner' | 'viewer' | 'admin' | 'other' | 'forged' | null;
  readonly init: ApiInit;
  readonly status: number;
  /** Absent for answers Node gives before runlog sees the request (431). */
  readonly code?: string;
}

const post = (body: unknown, headers?: Record<string, string>): ApiInit => ({ method: 'POST', body, ...(headers ? { headers } : {}) });

const CASES: Case[] = [
  // The body as a whole
  { name: 'body that is not JSON', init: post('{"from": 1,'), status: 400, code: 'invalid_json' },
  { name: 'empty body', init: post(''), status: 400, code: 'invalid_json' },
  { name: 'body with invalid UTF-8', init: post(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), status: 400, code: 'invalid_json' },
  { name: 'text/plain body', init: post('{}', { 'content-type': 'text/plain' }), status: 415, code: 'unsupported_media_type' },
  { name: 'form body', init: post('from=1', { 'content-type': 'application/x-www-form-urlencoded' }), status: 415, code: 'unsupported_media_type' },
  { name: 'body over 1 MiB', init: post(JSON.stringify({ from: 1, events: [ev({ data: 'x'.repeat(1024 * 1024) })] })), status: 413, code: 'body_too_large' },
  { name: 'body over 1 MiB of many events', init: post({ from: 1, events: Array.from({ length: 900 }, () => ev({ data: 'y'.repeat(1300) })) }), status: 413, code: 'body_too_large' },
  { name: 'JSON array body', init: post([]), status: 400, code: 'invalid_request' },
  { name: 'JSON null body', init: post('null'), status: 400, code: 'invalid_request' },
  { name: 'JSON string body', init: post('"events"'), status: 400, code: 'invalid_request' },
  // from
  { name: 'missing from', init: post({ events: [ev()] }), status: 400, code: 'invalid_request' },
  { name: 'from 0', init: post({ from: 0, events: [ev()] }), status: 400, code: 'invalid_request' },
  { name: 'negative from', init: post({ from: -5, events: [ev()] }), status: 400, code: 'invalid_request' },
  { name: 'fractional from', init: post({ from: 1.5, events: [ev()] }), status: 400, code: 'invalid_request' },
  { name: 'from as a string', init: post({ from: '1', events: [ev()] }), status: 400, code: 'invalid_request' },
  { name: 'from past 2^53-1', init: post({ from: MAX_SEQ + 1, events: [ev()] }), status: 400, code: 'invalid_request' },
  { name: 'batch running past 2^53-1', init: post({ from: MAX_SEQ, events: [ev(), ev()] }), status: 400, code: 'invalid_request' },
  { name: 'from 1e400', init: post('{"from": 1e400, "events": [{"type": "log"}]}'), status: 400, code: 'invalid_request' },
  // events
  { name: 'missing events', init: post({ from: 1 }), status: 400, code: 'invalid_request' },
  { name: 'empty events', init: post({ from: 1, events: [] }), status: 400, code: 'invalid_request' },
  { name: 'events as an object', init: post({ from: 1, events: { 0: ev() } }), status: 400, code: 'invalid_request' },
  { name: '1001 events', init: post({ from: 1, events: Array.from({ length: 1001 }, () => ({ type: 'a' })) }), status: 400, code: 'invalid_request' },
  { name: 'unknown top-level member', init: post({ from: 1, events: [ev()], extra: 1 }), status: 400, code: 'invalid_request' },
  { name: 'final as a string', init: post({ from: 1, events: [ev()], final: 'yes' }), status: 400, code: 'invalid_request' },
  { name: 'negative epoch', init: post({ from: 1, events: [ev()], epoch: -1 }), status: 400, code: 'invalid_request' },
  { name: 'fractional epoch', init: post({ from: 1, events: [ev()], epoch: 0.5 }), status: 400, code: 'invalid_request' },
  { name: '__proto__ member', init: post('{"from": 1, "events": [{"type": "log"}], "__proto__": {"polluted": true}}'), status: 400, code: 'invalid_request' },
  // one event
  { name: 'event that is a string', init: post({ from: 1, events: ['log'] }), status: 400, code: 'invalid_event' },
  { name: 'event that is null', init: post({ from: 1, events: [null] }), status: 400, code: 'invalid_event' },
  { name: 'event without type', init: post({ from: 1, events: [{ data: 1 }] }), status: 400, code: 'invalid_event' },
  { name: 'empty type', init: post({ from: 1, events: [ev({ type: '' })] }), status: 400, code: 'invalid_event' },
  { name: 'type starting with a digit', init: post({ from: 1, events: [ev({ type: '1log' })] }), status: 400, code: 'invalid_event' },
  { name: 'type of 65 characters', init: post({ from: 1, events: [ev({ type: 'a'.repeat(65) })] }), status: 400, code: 'invalid_event' },
  { name: 'type with a space', init: post({ from: 1, events: [ev({ type: 'tool output' })] }), status: 400, code: 'invalid_event' },
  { name: 'type with SQL', init: post({ from: 1, events: [ev({ type: "x'); DROP TABLE events;--" })] }), status: 400, code: 'invalid_event' },
  { name: 'type with a newline (SSE frame injection)', init: post({ from: 1, events: [ev({ type: 'log\ndata: forged' })] }), status: 400, code: 'invalid_event' },
  { name: 'type as a number', init: post({ from: 1, events: [ev({ type: 7 })] }), status: 400, code: 'invalid_event' },
  { name: 'time that is not a date', init: post({ from: 1, events: [ev({ time: 'yesterday' })] }), status: 400, code: 'invalid_event' },
  { name: 'time as epoch millis', init: post({ from: 1, events: [ev({ time: 1764266400000 })] }), status: 400, code: 'invalid_event' },
  { name: 'time with month 13', init: post({ from: 1, events: [ev({ time: '2026-13-01T00:00:00Z' })] }), status: 400, code: 'invalid_event' },
  { name: 'time without offset', init: post({ from: 1, events: [ev({ time: '2026-11-27T18:00:00' })] }), status: 400, code: 'invalid_event' },
  { name: 'time with SQL', init: post({ from: 1, events: [ev({ time: "2026-11-27'; DELETE FROM builds;--" })] }), status: 400, code: 'invalid_event' },
  { name: 'unknown event member', init: post({ from: 1, events: [ev({ seq: 9 })] }), status: 400, code: 'invalid_event' },
  { name: 'data over 256 KiB', init: post({ from: 1, events: [ev({ data: 'z'.repeat(256 * 1024) })] }), status: 413, code: 'event_too_large' },
  { name: 'data nested 65 levels', init: post(`{"from":1,"events":[{"type":"log","data":${nested(65)}}]}`), status: 400, code: 'invalid_event' },
  { name: 'data nested 200 000 levels', init: post(`{"from":1,"events":[{"type":"log","data":${nested(200_000)}}]}`), status: 400, code: 'invalid_event' },
  {
    name: '413 wins over 400 in one batch',
    init: post({ from: 1, events: [ev({ type: '' }), ev({ data: 'z'.repeat(300 * 1024) })] }),
    status: 413,
    code: 'event_too_large',
  },
  // the path
  { name: 'buildId with a space', path: '/v1/builds/bad%20id/events', token: 'admin', init: post({ from: 1, events: [ev()] }), status: 400, code: 'invalid_parameter' },
  { name: 'path traversal in buildId', path: '/v1/builds/..%2F..%2Fetc%2Fpasswd/events', token: 'admin', init: post({ from: 1, events: [ev()] }), status: 400, code: 'invalid_parameter' },
  { name: 'buildId of 129 characters', path: `/v1/builds/${'a'.repeat(129)}/events`, token: 'admin', init: post({ from: 1, events: [ev()] }), status: 400, code: 'invalid_parameter' },
  { name: 'SQL in buildId', path: `/v1/builds/${encodeURIComponent("x' OR '1'='1")}`, token: 'admin', init: {}, status: 400, code: 'invalid_parameter' },
  { name: 'unknown build', path: '/v1/builds/ghost/events', token: 'admin', init: post({ from: 1, events: [ev()] }), status: 404, code: 'build_not_found' },
  { name: 'unknown route', path: '/v1/nothing', token: 'admin', init: {}, status: 404, code: 'not_found' },
  { name: 'dot-dot route', path: '/v1/builds/../../etc/passwd', token: 'admin', init: {}, status: 404, code: 'not_found' },
  // order of checks
  { name: 'forged token with a bad body is 401 first', token: 'forged', init: post('nonsense'), status: 401, code: 'unauthorized' },
  { name: 'other build token with a bad body is 403 first', token: 'other', init: post('nonsense'), status: 403, code: 'forbidden' },
  { name: 'viewer token appending is 403', token: 'viewer', init: post({ from: 1, events: [ev()] }), status: 403, code: 'forbidden' },
  { name: 'too large beats invalid JSON shape', init: post('x'.repeat(1024 * 1024 + 1)), status: 413, code: 'body_too_large' },
  // methods
  { name: 'PUT on events', init: { method: 'PUT', body: {} }, status: 405, code: 'method_not_allowed' },
  { name: 'DELETE on events', init: { method: 'DELETE' }, status: 405, code: 'method_not_allowed' },
  { name: 'PATCH on builds', path: '/v1/builds', token: 'admin', init: { method: 'PATCH', body: {} }, status: 405, code: 'method_not_allowed' },
  { name: 'POST on stream', path: `/v1/builds/${BUILD}/stream`, token: 'admin', init: post({}), status: 405, code: 'method_not_allowed' },
  // headers
  { name: 'Basic authorization', token: null, init: post({ from: 1, events: [ev()] }, { authorization: 'Basic dXNlcjpwYXNz' }), status: 401, code: 'unauthorized' },
  { name: 'empty bearer', token: null, init: post({ from: 1, events: [ev()] }, { authorization: 'Bearer ' }), status: 401, code: 'unauthorized' },
  { name: '10 KB bearer token', token: null, init: post({ from: 1, events: [ev()] }, { authorization: `Bearer ${'t'.repeat(10_000)}` }), status: 401, code: 'unauthorized' },
  { name: '64 KB header', init: { method: 'GET', headers: { 'x-junk': 'j'.repeat(64 * 1024) }, unchecked: true }, status: 431 },
  // query parameters
  { name: 'after in exponent form', token: 'viewer', init: { method: 'GET' }, path: `${EVENTS}?after=1e3`, status: 400, code: 'invalid_parameter' },
  { name: 'empty limit', token: 'viewer', init: { method: 'GET' }, path: `${EVENTS}?limit=`, status: 400, code: 'invalid_parameter' },
  { name: 'wait NaN', token: 'viewer', init: { method: 'GET' }, path: `${EVENTS}?wait=NaN`, status: 400, code: 'invalid_parameter' },
  { name: 'after with SQL', token: 'viewer', init: { method: 'GET' }, path: `${EVENTS}?after=${encodeURIComponent('0; DROP TABLE events')}`, status: 400, code: 'invalid_parameter' },
  { name: 'Last-Event-ID out of range', token: 'viewer', path: `/v1/builds/${BUILD}/stream`, init: { method: 'GET', headers: { 'Last-Event-ID': '9007199254740992' } }, status: 400, code: 'invalid_parameter' },
  { name: 'list limit 501', path: '/v1/builds?limit=501', token: 'admin', init: {}, status: 400, code: 'invalid_parameter' },
  { name: 'forged list cursor', path: '/v1/builds?cursor=bm9wZQ', token: 'admin', init: {}, status: 400, code: 'invalid_parameter' },
  { name: 'watch=maybe', path: '/v1/builds?watch=maybe', token: 'admin', init: {}, status: 400, code: 'invalid_parameter' },
  // other bodies
  { name: 'create build with SQL id', path: '/v1/builds', token: 'admin', init: post({ buildId: "x'; DROP TABLE builds;--" }), status: 400, code: 'invalid_request' },
  { name: 'create build with array meta', path: '/v1/builds', token: 'admin', init: post({ meta: [1] }), status: 400, code: 'invalid_request' },
  { name: 'create build with unknown member', path: '/v1/builds', token: 'admin', init: post({ owner: 'me' }), status: 400, code: 'invalid_request' },
  { name: 'token with ttl 0', path: '/v1/tokens', token: 'admin', init: post({ scope: 'read:*', ttlSeconds: 0 }), status: 400, code: 'invalid_request' },
  { name: 'token with a ten-year ttl', path: '/v1/tokens', token: 'admin', init: post({ scope: 'read:*', ttlSeconds: 315_360_000 }), status: 400, code: 'invalid_request' },
];

describe('hostile input', () => {
  let server: TestServer;
  let target: { runner: string; viewer: string };
  let other: { runner: string };
  let before: { build: unknown; events: unknown };

  const snapshot = async () => ({
    build: (await server.api(`/v1/builds/${BUILD}`)).body,
    events: (await server.api(`${EVENTS}?limit=10000`)).body,
    builds: (await server.api('/v1/builds?limit=500')).body.builds.map((b: { buildId: string }) => b.buildId).sort(),
  });

  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    target = await server.createBuild(BUILD);
    other = await server.createBuild('other');
    await server.api(EVENTS, { token: target.runner, body: { from: 1, events: sampleEvents(1, 3) } });
    before = await snapshot();
  });
  afterAll(async () => server?.stop());

  it(`has at least 60 cases`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  for (const c of CASES) {
    it(`${c.name} → ${c.status}${c.code ? ` ${c.code}` : ''}`, async () => {
      const tokens = { runner: target.runner, viewer: target.viewer, admin: TEST_ADMIN_TOKEN, other: other.runner, forged: `${target.runner}x`, null: null };
      const token = c.token === undefined ? target.runner : tokens[c.token ?? 'null'];
      const res = await server.api(c.path ?? EVENTS, { ...c.init, token });
      expect(res.status).toBe(c.status);
      if (c.code) {
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(res.body.code).toBe(c.code);
        expect(res.body.status).toBe(c.status);
      }
      if (c.status === 405) expect(res.headers.get('allow')).toBeTruthy();
    });
  }

  it('accepts hostile but valid content verbatim', async () => {
    const data = { nul: '\u0000', lone: '\ud800', sql: "'; DROP TABLE events;--", html: '<script>alert(1)</script>', deep: JSON.parse(nested(63)) };
    const { buildId, runner, viewer } = await server.createBuild('valid-hostile');
    const res = await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: [{ type: 'data-x', data }] } });
    expect(res.status).toBe(200);
    const read = (await server.api(`/v1/builds/${buildId}/events`, { token: viewer })).body;
    expect(read.events[0].data).toEqual(data);
    expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('is still up, and the log, ack, digest and build list are unchanged', async () => {
    expect((await server.api('/healthz', { token: null })).status).toBe(200);
    expect(await snapshot()).toEqual(before);
  });
});

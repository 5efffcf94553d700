// PROTOCOL §Auth: every route × {no token, forged, expired, wrong scope, wrong build, right}.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenSigner, type Scope } from '../server/auth/tokens.js';
import { PGLITE } from './support/backends.js';
import { TEST_ADMIN_TOKEN, sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

type Right = 'admin' | 'readAll' | 'readX' | 'appendX';

interface RouteCase {
  readonly name: string;
  readonly method: string;
  /** The path for build X. */
  readonly path: (build: string) => string;
  readonly body?: (build: string) => unknown;
  /** Tokens that may use it (admin always may). */
  readonly allowed: readonly Right[];
  /** A token with the right kind of scope but for build Y, where that applies. */
  readonly wrongBuild?: Right;
  readonly okStatus: number;
  /** An SSE route: the test reads the status and drops the stream. */
  readonly stream?: boolean;
}

const ROUTES: readonly RouteCase[] = [
  { name: 'create token', method: 'POST', path: () => '/v1/tokens', body: (b) => ({ scope: `read:${b}` }), allowed: ['admin'], okStatus: 201 },
  { name: 'create build', method: 'POST', path: () => '/v1/builds', body: () => ({}), allowed: ['admin'], okStatus: 201 },
  { name: 'list builds', method: 'GET', path: () => '/v1/builds', allowed: ['admin', 'readAll'], okStatus: 200 },
  { name: 'get build', method: 'GET', path: (b) => `/v1/builds/${b}`, allowed: ['admin', 'readAll', 'readX', 'appendX'], wrongBuild: 'readX', okStatus: 200 },
  {
    name: 'append',
    method: 'POST',
    path: (b) => `/v1/builds/${b}/events`,
    body: () => ({ from: 1, events: sampleEvents(1, 1) }),
    allowed: ['admin', 'appendX'],
    wrongBuild: 'appendX',
    okStatus: 200,
  },
  {
    name: 'heartbeat',
    method: 'POST',
    path: (b) => `/v1/builds/${b}/heartbeat`,
    body: () => ({ runner: { backlog: { events: 0, bytes: 0 }, state: 'online', host: 'ci', pid: 1, version: '0.2.0', intervalMs: 5000 } }),
    allowed: ['admin', 'appendX'],
    wrongBuild: 'appendX',
    okStatus: 204,
  },
  { name: 'read events', method: 'GET', path: (b) => `/v1/builds/${b}/events`, allowed: ['admin', 'readAll', 'readX'], wrongBuild: 'readX', okStatus: 200 },
  { name: 'state', method: 'GET', path: (b) => `/v1/builds/${b}/state`, allowed: ['admin', 'readAll', 'readX'], wrongBuild: 'readX', okStatus: 200 },
  { name: 'messages', method: 'GET', path: (b) => `/v1/builds/${b}/messages`, allowed: ['admin', 'readAll', 'readX'], wrongBuild: 'readX', okStatus: 200 },
  { name: 'stream', method: 'GET', path: (b) => `/v1/builds/${b}/stream`, allowed: ['admin', 'readAll', 'readX'], wrongBuild: 'readX', okStatus: 200, stream: true },
  { name: 'delete build', method: 'DELETE', path: (b) => `/v1/builds/${b}`, allowed: ['admin'], okStatus: 204 },
];

describe('auth matrix', () => {
  let server: TestServer;
  let x: { buildId: string; runner: string; viewer: string };
  let y: { buildId: string; runner: string; viewer: string };
  let tokens: Record<Right, string>;
  let forger: TokenSigner;

  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    x = await server.createBuild('build-x');
    y = await server.createBuild('build-y');
    const readAll = (await server.api('/v1/tokens', { body: { scope: 'read:*' } })).body.token;
    tokens = { admin: TEST_ADMIN_TOKEN, readAll, readX: x.viewer, appendX: x.runner };
    forger = new TokenSigner('a-different-secret-0123456789abcdef-0123456789', 'another-admin-token-0123456789');
  });
  afterAll(async () => server?.stop());

  /** A fresh build X per call, so deleting or appending never disturbs the next case. */
  const freshX = async () => {
    const build = await server.createBuild();
    const readAll = tokens.readAll;
    return { build, tokens: { admin: TEST_ADMIN_TOKEN, readAll, readX: build.viewer, appendX: build.runner } as Record<Right, string> };
  };
  const call = async (route: RouteCase, buildId: string, token: string | null) => {
    if (!route.stream) return server.api(route.path(buildId), { method: route.method, token, ...(route.body ? { body: route.body(buildId) } : {}) });
    const controller = new AbortController();
    const res = await fetch(server.url + route.path(buildId), {
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const body = res.status === 200 ? undefined : await res.json();
    controller.abort();
    return { status: res.status, body };
  };

  for (const route of ROUTES) {
    describe(route.name, () => {
      it('answers 401 without a token', async () => {
        const res = await call(route, x.buildId, null);
        expect(res.status).toBe(401);
        expect(res.body.code).toBe('unauthorized');
      });

      it('answers 401 for a forged token', async () => {
        const scope: Scope = { kind: 'append', buildId: x.buildId };
        const forged = forger.sign(scope, new Date(Date.now() + 3600_000));
        expect((await call(route, x.buildId, forged)).status).toBe(401);
        const tampered = x.runner.slice(0, -2) + (x.runner.endsWith('AA') ? 'BB' : 'AA');
        expect((await call(route, x.buildId, tampered)).status).toBe(401);
        expect((await call(route, x.buildId, 'garbage')).status).toBe(401);
      });

      it('answers 401 for an expired token', async () => {
        const expired = server.signer.sign({ kind: 'read-all' }, new Date(Date.now() - 1000));
        const res = await call(route, x.buildId, expired);
        expect(res.status).toBe(401);
      });

      it('answers 403 for a token without the scope', async () => {
        const denied = (['readAll', 'readX', 'appendX'] as const).filter((r) => !route.allowed.includes(r));
        for (const right of denied) {
          const res = await call(route, x.buildId, tokens[right]);
          expect(res.status, right).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
      });

      if (route.wrongBuild) {
        it('answers 403 for a token of another build, before looking the build up', async () => {
          const res = await call(route, y.buildId, tokens[route.wrongBuild!]);
          expect(res.status).toBe(403);
          const missing = await call(route, 'no-such-build', tokens[route.wrongBuild!]);
          expect(missing.status).toBe(403);
        });
      }

      it('answers 2xx for every token with the scope', async () => {
        for (const right of route.allowed) {
          const fresh = await freshX();
          const res = await call(route, fresh.build.buildId, fresh.tokens[right]);
          expect(res.status, right).toBe(route.okStatus);
        }
      });
    });
  }

  it('accepts ?token= on GET reads but not on POST', async () => {
    const get = await fetch(`${server.url}/v1/builds/${x.buildId}/events?token=${x.viewer}`);
    expect(get.status).toBe(200);
    const post = await server.api(`/v1/builds/${x.buildId}/events?token=${x.runner}`, { token: null, body: { from: 1, events: sampleEvents(1, 1) } });
    expect(post.status).toBe(401);
  });

  describe('the admin token in a URL (openapi.yaml clarification (r))', () => {
    const admin = encodeURIComponent(TEST_ADMIN_TOKEN);
    /** Status and problem of a GET whose answer may be a stream: the stream is dropped unread. */
    const status = async (path: string, headers: Record<string, string> = {}) => {
      const controller = new AbortController();
      const res = await fetch(server.url + path, { headers, signal: controller.signal });
      const body = res.headers.get('content-type')?.includes('json') ? await res.json() : undefined;
      controller.abort();
      return { status: res.status, body };
    };
    const expectRefusal = (res: { status: number; body: any }, path: string) => {
      expect(res.status, path).toBe(401);
      expect(res.body.code, path).toBe('unauthorized');
      expect(res.body.detail, path).toMatch(/admin token.*URL.*`Authorization: Bearer <token>` header/);
    };

    it('refuses it with 401 on every JSON GET, saying to send it in the Authorization header', async () => {
      for (const path of [`/v1/builds/${x.buildId}`, `/v1/builds/${x.buildId}/events`, `/v1/builds/${x.buildId}/state`, '/v1/builds']) {
        const res = await server.api(`${path}?token=${admin}`, { token: null });
        expectRefusal(res, path);
        expect(res.headers.get('www-authenticate'), path).toBe('Bearer realm="runlog"');
      }
    });

    it('refuses it on the event stream and on the watched build list', async () => {
      for (const path of [`/v1/builds/${x.buildId}/stream?token=${admin}`, `/v1/builds?watch=true&token=${admin}`]) {
        expectRefusal(await status(path), path);
      }
    });

    it('refuses it beside a valid Authorization header, on POST too, and as either of two tokens', async () => {
      const bearer = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
      expectRefusal(await status(`/v1/builds/${x.buildId}?token=${admin}`, bearer), 'with a header');
      const post = await server.api(`/v1/builds?token=${admin}`, { body: {} });
      expectRefusal(post, 'POST');
      expectRefusal(await status(`/v1/builds/${x.buildId}?token=${x.viewer}&token=${admin}`), 'two tokens');
    });

    it('still takes read and append tokens in ?token= on GET, and the admin token in the header', async () => {
      expect((await server.api(`/v1/builds/${x.buildId}?token=${x.viewer}`, { token: null })).status).toBe(200);
      expect((await server.api(`/v1/builds/${x.buildId}?token=${x.runner}`, { token: null })).status).toBe(200);
      expect((await server.api(`/v1/builds/${x.buildId}/state?token=${x.viewer}`, { token: null })).status).toBe(200);
      expect((await server.api(`/v1/builds?token=${tokens.readAll}`, { token: null })).status).toBe(200);
      expect((await status(`/v1/builds/${x.buildId}/stream?token=${x.viewer}`)).status).toBe(200);
      expect((await status(`/v1/builds?watch=true&token=${tokens.readAll}`)).status).toBe(200);
      expect((await server.api(`/v1/builds/${x.buildId}`)).status).toBe(200);
    });
  });

  it('does not revive old tokens when a buildId is deleted and created again', async () => {
    const first = await server.createBuild('reborn');
    expect((await server.api('/v1/builds/reborn', { method: 'DELETE' })).status).toBe(204);
    const second = await server.createBuild('reborn');
    expect((await server.api('/v1/builds/reborn/events', { token: first.viewer })).status).toBe(401);
    const oldAppend = await server.api('/v1/builds/reborn/events', { token: first.runner, body: { from: 1, events: sampleEvents(1, 1) } });
    expect(oldAppend.status).toBe(401);
    const report = { backlog: { events: 0, bytes: 0 }, state: 'online', host: 'ci', pid: 1, version: '0.2.0', intervalMs: 5000 };
    expect((await server.api('/v1/builds/reborn/heartbeat', { token: first.runner, body: { runner: report } })).status).toBe(401);
    expect((await server.api('/v1/builds/reborn')).body.runner).toBeNull();
    expect((await server.api('/v1/builds/reborn/events', { token: second.viewer })).status).toBe(200);
  });

  it('needs no token for the operations endpoints', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.yaml', '/docs']) {
      expect((await server.api(path, { token: null })).status, path).toBe(200);
    }
  });

  it('issues tokens with the asked scope and lifetime, and refuses bad scopes', async () => {
    const res = await server.api('/v1/tokens', { body: { scope: `append:${x.buildId}`, ttlSeconds: 60 } });
    expect(res.status).toBe(201);
    expect(res.body.scope).toBe(`append:${x.buildId}`);
    const expiresIn = Date.parse(res.body.expiresAt) - Date.now();
    expect(expiresIn).toBeGreaterThan(50_000);
    expect(expiresIn).toBeLessThanOrEqual(61_000);
    for (const scope of ['admin', 'read:', 'write:x', 'read:../etc', 'append:*']) {
      const bad = await server.api('/v1/tokens', { body: { scope } });
      expect(bad.status, scope).toBe(400);
    }
    expect((await server.api('/v1/tokens', { body: { scope: 'read:unknown-build' } })).status).toBe(404);
  });
});

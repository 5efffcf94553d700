// PROTOCOL §Builds, §State, §Build list live and §Operations, on every backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, PGLITE } from './support/backends.js';
import { assertMatchesSchema } from './support/openapi-validator.js';
import { openSse } from './support/sse-reader.js';
import { startTestServer, type TestServer } from './support/test-server.js';

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`builds on ${backend.name}`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.stop());

    it('creates a build idempotently: 201, then 200 with fresh tokens and the original meta', async () => {
      const first = await server.api('/v1/builds', { body: { buildId: 'idem', meta: { repo: 'a' } } });
      expect(first.status).toBe(201);
      expect(first.body.build).toMatchObject({ buildId: 'idem', meta: { repo: 'a' }, ack: 0, final: null, status: 'running', epoch: 0, digest: '', lastEventAt: null });
      await new Promise((r) => setTimeout(r, 1100)); // token expiry has a one-second grain
      const again = await server.api('/v1/builds', { body: { buildId: 'idem', meta: { repo: 'b' } } });
      expect(again.status).toBe(200);
      expect(again.body.build.meta).toEqual({ repo: 'a' });
      expect(again.body.tokens.runner).not.toBe(first.body.tokens.runner);
      expect((await server.api('/v1/builds/idem', { token: again.body.tokens.viewer })).status).toBe(200);
      expect((await server.api('/v1/builds/idem', { token: first.body.tokens.viewer })).status).toBe(200);
    });

    it('generates a buildId when none is given', async () => {
      const res = await server.api('/v1/builds', { body: {} });
      expect(res.status).toBe(201);
      expect(res.body.build.buildId).toMatch(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
    });

    it('lists builds newest first, page by page with the cursor', async () => {
      const ids = [];
      for (let i = 0; i < 5; i++) ids.push((await server.createBuild(`page-${i}`)).buildId);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { builds: Array<{ buildId: string }>; next: string | null } } = await server.api(
          `/v1/builds?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        );
        seen.push(...res.body.builds.map((b) => b.buildId));
        cursor = res.body.next;
      } while (cursor);
      const pages = seen.filter((id) => id.startsWith('page-'));
      expect(pages).toEqual([...ids].reverse());
      expect(new Set(seen).size).toBe(seen.length);
    });

    it('deletes a build: 204, then 404 everywhere', async () => {
      const { buildId } = await server.createBuild();
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      for (const path of ['', '/events', '/state', '/messages']) {
        const res = await server.api(`/v1/builds/${buildId}${path}`);
        expect(res.status, path).toBe(404);
        expect(res.body.code).toBe('build_not_found');
      }
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(404);
    });

    it('serves /state as the reducer fold at the ack, with an ETag and 304', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const events = [
        { type: 'start' },
        { type: 'tool-input-available', data: { toolCallId: 'c1', toolName: 'bash', input: { cmd: 'ls' } } },
        { type: 'tool-output-available', data: { toolCallId: 'c1', output: 'a b' } },
        { type: 'text-start', data: { id: 't' } },
        { type: 'text-delta', data: { id: 't', delta: 'Hel' } },
        { type: 'text-delta', data: { id: 't', delta: 'lo' } },
        { type: 'log', data: { stream: 'stderr', line: 'warn' } },
      ];
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events } });
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 9, events: [{ type: 'finish' }] } });
      const res = await server.api(`/v1/builds/${buildId}/state`, { token: viewer });
      expect(res.status).toBe(200);
      const etag = res.headers.get('etag');
      expect(etag).toMatch(/^"[A-Za-z0-9_-]+:7"$/);
      expect(res.body.seq).toBe(7);
      expect(res.body.state).toMatchObject({
        status: 'running',
        tools: [{ toolCallId: 'c1', toolName: 'bash', state: 'output-available', input: { cmd: 'ls' }, output: 'a b' }],
        texts: { t: 'Hello' },
        logs: { count: 1 },
        counts: { events: 7, malformed: 0 },
      });
      const cached = await server.api(`/v1/builds/${buildId}/state`, { token: viewer, headers: { 'if-none-match': etag! } });
      expect(cached.status).toBe(304);
      expect(cached.headers.get('etag')).toBe(etag);
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 8, events: [{ type: 'status', data: { phase: 'p' } }] } });
      const done = await server.api(`/v1/builds/${buildId}/state`, { token: viewer, headers: { 'if-none-match': etag! } });
      expect(done.status).toBe(200);
      expect(done.body.seq).toBe(9);
      expect(done.body.state.status).toBe('succeeded');
    });

    it('never answers 304 to a /state ETag held from a deleted build whose id was re-created with as many events', async () => {
      // Admin and read:* tokens are not bound to one build, so they outlive its deletion;
      // per-build tokens are refused (401) instead and need no test here.
      const readAll = (await server.api('/v1/tokens', { body: { scope: 'read:*' } })).body.token as string;
      const readers = [
        { name: 'admin', token: undefined },
        { name: 'read:*', token: readAll },
      ];
      const buildId = 'etag-reborn';
      const old = await server.createBuild(buildId);
      await server.api(`/v1/builds/${buildId}/events`, { token: old.runner, body: { from: 1, events: [{ type: 'status', data: { phase: 'old' } }] } });
      const held = new Map<string, string>();
      for (const { name, token } of readers) {
        const first = await server.api(`/v1/builds/${buildId}/state`, { token });
        expect(first.body.state.phase, name).toBe('old');
        held.set(name, first.headers.get('etag')!);
        // The unchanged build: the held ETag is current.
        const unchanged = await server.api(`/v1/builds/${buildId}/state`, { token, headers: { 'if-none-match': held.get(name)! } });
        expect(unchanged.status, name).toBe(304);
      }

      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      const reborn = await server.createBuild(buildId);
      await server.api(`/v1/builds/${buildId}/events`, { token: reborn.runner, body: { from: 1, events: [{ type: 'status', data: { phase: 'new' } }] } });

      for (const { name, token } of readers) {
        const res = await server.api(`/v1/builds/${buildId}/state`, { token, headers: { 'if-none-match': held.get(name)! } });
        expect(res.status, name).toBe(200);
        expect(res.body.seq, name).toBe(1);
        expect(res.body.state.phase, name).toBe('new');
        const fresh = res.headers.get('etag')!;
        expect(fresh, name).not.toBe(held.get(name));
        const again = await server.api(`/v1/builds/${buildId}/state`, { token, headers: { 'if-none-match': fresh } });
        expect(again.status, name).toBe(304);
      }
    });

    it('watches the build list: the page, then creations, advances, completion and deletion', async () => {
      const existing = await server.createBuild();
      const sse = await openSse(`${server.url}/v1/builds?watch=true&limit=500`, { headers: { authorization: `Bearer ${server.adminToken}` } });
      expect(sse.status).toBe(200);
      const initial = await sse.collect((f) => f.data !== undefined && f.event === undefined && JSON.parse(f.data).buildId === existing.buildId);
      expect(initial[0]?.retry).toBeGreaterThan(0);
      for (const f of initial.filter((f) => f.data && f.event === undefined)) assertMatchesSchema('Build', JSON.parse(f.data!));

      const created = await server.createBuild();
      const createdFrame = await sse.collect((f) => f.data !== undefined && JSON.parse(f.data).buildId === created.buildId);
      expect(JSON.parse(createdFrame.at(-1)!.data!)).toMatchObject({ ack: 0, status: 'running' });

      // Many commits within a moment are coalesced into few frames.
      await Promise.all(
        Array.from({ length: 20 }, (_, k) =>
          server.api(`/v1/builds/${created.buildId}/events`, { token: created.runner, body: { from: k + 1, events: [{ type: 'log', data: { line: String(k) } }], final: k === 19 } }),
        ),
      );
      const frames = await sse.collect((f) => f.data !== undefined && JSON.parse(f.data).status === 'complete');
      const forBuild = frames.filter((f) => f.data && JSON.parse(f.data).buildId === created.buildId);
      expect(forBuild.length).toBeLessThan(20);
      expect(JSON.parse(forBuild.at(-1)!.data!)).toMatchObject({ ack: 20, final: 20, status: 'complete' });

      await server.api(`/v1/builds/${created.buildId}`, { method: 'DELETE' });
      const deleted = await sse.collect((f) => f.event === 'deleted');
      expect(JSON.parse(deleted.at(-1)!.data!)).toEqual({ buildId: created.buildId });
      sse.close();
    });

    it('serves the operations endpoints', async () => {
      expect((await server.api('/healthz', { token: null })).body).toEqual({ status: 'ok' });
      expect((await server.api('/readyz', { token: null })).body).toMatchObject({ status: 'ready', database: backend.name });
      const metrics = await server.api('/metrics', { token: null });
      expect(metrics.body).toMatch(/runlog_append_requests_total\{outcome="ok"\} \d+/);
      expect(metrics.body).toMatch(/runlog_commit_group_appends_count \d+/);
      const spec = await server.api('/openapi.yaml', { token: null });
      expect(spec.body).toMatch(/^openapi: 3\.1/m);
      const docs = await server.api('/docs', { token: null });
      expect(docs.headers.get('content-type')).toMatch(/text\/html/);
      expect(docs.body).toContain('/v1/builds/{buildId}/events');
    });
  });
}

describe('cross-origin use of the API', () => {
  it('answers preflights and marks answers readable from any origin', async () => {
    const server = await startTestServer(PGLITE);
    try {
      const { buildId, viewer } = await server.createBuild();
      const preflight = await fetch(`${server.url}/v1/builds/${buildId}/events`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const read = await fetch(`${server.url}/v1/builds/${buildId}/state?token=${viewer}`, { headers: { origin: 'https://app.example' } });
      expect(read.status).toBe(200);
      expect(read.headers.get('access-control-allow-origin')).toBe('*');
      expect(read.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('etag');
    } finally {
      await server.stop();
    }
  });

  it('answers a long-poll with 404 when the build is deleted while it waits', async () => {
    const server = await startTestServer(PGLITE);
    try {
      const { buildId, viewer } = await server.createBuild();
      const waiting = server.api(`/v1/builds/${buildId}/events?wait=10`, { token: viewer });
      await new Promise((r) => setTimeout(r, 200));
      await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' });
      const res = await waiting;
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('build_not_found');
    } finally {
      await server.stop();
    }
  });
});

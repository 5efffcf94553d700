// The README's walkthrough through a client generated from openapi.yaml: openapi-typescript's
// types (default options) driving openapi-fetch. It is type-checked under `strict` by
// openapi-client.test.ts with the project's TypeScript and holds no type escapes (no casts,
// no non-null assertions, no `any`), so every field it reads is typed the way a client
// author would get it. Each step records what came back; the test checks the values.
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/openapi.js';

type Schemas = components['schemas'];

export interface Step {
  readonly name: string;
  readonly status: number;
  readonly body: unknown;
}

export interface ScenarioOptions {
  /** The server's origin, e.g. `http://127.0.0.1:8787`. */
  readonly baseUrl: string;
  readonly adminToken: string;
  readonly buildId: string;
  /** openapi-fetch's `fetch` (the test checks every answer against openapi.yaml). @default globalThis.fetch */
  readonly fetch?: (input: Request) => Promise<Response>;
}

/** The events a runner emits, as the README sends them (event 5 names its artifact instead of logging). */
const EVENTS: Schemas['EventInput'][] = [
  { type: 'start' },
  { type: 'log', data: { stream: 'stdout', line: 'npm install' } },
  { type: 'log', data: { stream: 'stderr', line: 'warn: peer dep' } },
  { type: 'log', data: { stream: 'stdout', line: 'npm run build' } },
  { type: 'data-artifact', data: { id: 'bundle', data: { path: 'dist/app.js' } } },
  { type: 'finish', data: { status: 'succeeded' } },
];

/** Events `from..to` (1-based, inclusive) of EVENTS. */
function events(from: number, to: number): Schemas['EventInput'][] {
  return EVENTS.slice(from - 1, to);
}

export async function runClientScenario(options: ScenarioOptions): Promise<Step[]> {
  const steps: Step[] = [];
  const record = (name: string, response: Response, body: unknown): void => {
    steps.push({ name, status: response.status, body });
  };
  const clientWith = (token: string) =>
    // JSON answers only: GET /v1/builds also documents `text/event-stream` (watch=true).
    createClient<paths, 'application/json' | 'application/problem+json'>({
      baseUrl: options.baseUrl,
      headers: { Authorization: `Bearer ${token}` },
      fetch: options.fetch,
    });
  const admin = clientWith(options.adminToken);
  const buildPath = { path: { buildId: options.buildId } };

  // Create a build: free-form `meta`, and a runner and a viewer token.
  const created = await admin.POST('/v1/builds', { body: { buildId: options.buildId, meta: { repo: 'acme/app' } } });
  if (!created.data) throw new Error(`create failed: ${created.response.status}`);
  const repo: unknown = created.data.build.meta['repo'];
  record('create', created.response, { build: created.data.build, repo });
  const runner = clientWith(created.data.tokens.runner);
  const viewer = clientWith(created.data.tokens.viewer);

  // Append 1–2 without `final`: it is optional.
  const first = await runner.POST('/v1/builds/{buildId}/events', { params: buildPath, body: { from: 1, events: events(1, 2) } });
  record('append 1-2', first.response, first.data);

  // Retry the same batch, as after a lost answer: a no-op with the same answer.
  const retried = await runner.POST('/v1/builds/{buildId}/events', { params: buildPath, body: { from: 1, events: events(1, 2) } });
  record('retry 1-2', retried.response, retried.data);

  // Out of order: 5–6 with `final`, before 3–4. The answer lists what is missing.
  const ahead = await runner.POST('/v1/builds/{buildId}/events', { params: buildPath, body: { from: 5, events: events(5, 6), final: true } });
  if (!ahead.data) throw new Error(`append 5-6 failed: ${ahead.response.status}`);
  record('append 5-6 final', ahead.response, ahead.data);

  // Fill exactly the holes the answer named, as a pipelining runner does.
  for (const [from, to] of ahead.data.missing) {
    const filled = await runner.POST('/v1/builds/{buildId}/events', { params: buildPath, body: { from, events: events(from, to) } });
    record(`fill ${from}-${to}`, filled.response, filled.data);
  }

  // Read the log as JSON.
  const page = await viewer.GET('/v1/builds/{buildId}/events', { params: { ...buildPath, query: { after: 0 } } });
  if (!page.data) throw new Error(`read failed: ${page.response.status}`);
  const seqs: number[] = page.data.events.map((event) => event.seq);
  record('read', page.response, { ...page.data, seqs });

  // The folded state with its ETag, then the same ETag again: 304.
  const state = await viewer.GET('/v1/builds/{buildId}/state', { params: buildPath });
  if (!state.data) throw new Error(`state failed: ${state.response.status}`);
  const etag = state.response.headers.get('ETag');
  const logLines: string[] = state.data.state.logs.tail.map((line) => line.line);
  const artifact: unknown = state.data.state.data['data-artifact/bundle'];
  const logCount: number = state.data.state.counts.byType['log'] ?? 0;
  record('state', state.response, { ...state.data, etag, logLines, artifact, logCount });
  const unchanged = await viewer.GET('/v1/builds/{buildId}/state', { params: { ...buildPath, header: { 'If-None-Match': etag ?? '' } } });
  record('state 304', unchanged.response, unchanged.data);

  // The build itself, and the build list.
  const build = await viewer.GET('/v1/builds/{buildId}', { params: buildPath });
  record('build', build.response, build.data);
  const list = await admin.GET('/v1/builds', { params: { query: { limit: 10 } } });
  if (!list.data) throw new Error(`list failed: ${list.response.status}`);
  const listed: string[] = list.data.builds.map((b) => b.buildId);
  record('list', list.response, { ...list.data, listed });

  // 409 seq_conflict: seq 1 again with other content. `seq` and `ack` are typed as present.
  const conflict = await runner.POST('/v1/builds/{buildId}/events', { params: buildPath, body: { from: 1, events: [{ type: 'log', data: 'other' }] } });
  if (conflict.error?.code !== 'seq_conflict') throw new Error(`expected seq_conflict, got ${conflict.response.status}`);
  const conflictAt: { seq: number; ack: number } = { seq: conflict.error.seq, ack: conflict.error.ack };
  record('conflict', conflict.response, { ...conflict.error, conflictAt });

  // 409 build_closed: past the final event. `final` and `ack` are typed as present.
  const closed = await runner.POST('/v1/builds/{buildId}/events', { params: buildPath, body: { from: 7, events: events(1, 1) } });
  if (closed.error?.code !== 'build_closed') throw new Error(`expected build_closed, got ${closed.response.status}`);
  const closedAt: { ack: number; final: number | null } = { ack: closed.error.ack, final: closed.error.final };
  record('closed', closed.response, { ...closed.error, closedAt });

  // 404 build_not_found.
  const missing = await admin.GET('/v1/builds/{buildId}', { params: { path: { buildId: 'no-such-build' } } });
  if (missing.error?.code !== 'build_not_found') throw new Error(`expected build_not_found, got ${missing.response.status}`);
  const notFound: 'build_not_found' = missing.error.code;
  record('not found', missing.response, { ...missing.error, notFound });

  return steps;
}

// Request logs: one JSON line per request with the request id (returned as X-Request-Id, taken
// from the proxy when it sends one), route, status, duration and bytes — and, over a whole
// scenario (create, runner and CLI appends, SSE with ?token=, long-poll, state, dashboard,
// failures), never a token and never event content.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EventSource } from 'eventsource';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGLITE, POSTGRES, type BackendDatabase } from '../support/backends.js';
import { runCli } from '../support/runner-harness.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET } from '../support/test-server.js';

const SECRET_CONTENT = 'event-content-that-must-never-be-logged-7f3a';

describe('request logs', () => {
  let server: ServerProcess;
  let dataDir: string;
  let db: BackendDatabase;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-reqlog-'));
    // PostgreSQL when there is one (it starts faster than PGlite); the log is the same.
    db = await (POSTGRES.unavailable === undefined ? POSTGRES : PGLITE).fresh();
    const database: Record<string, string> = db.databaseUrl ? { DATABASE_URL: db.databaseUrl, RUNLOG_DB_SCHEMA: db.databaseSchema } : {};
    server = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: dataDir, RUNLOG_LOG_LEVEL: 'info', RUNLOG_SECRET: TEST_SECRET, RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...database });
  });
  afterAll(async () => {
    await server?.stop('SIGTERM');
    await rm(dataDir, { recursive: true, force: true });
    await db?.drop();
  });

  it('writes one line per request, with a request id taken from the proxy, and never a token or event content', async () => {
    const tokens = new Set<string>([TEST_ADMIN_TOKEN, TEST_SECRET]);
    const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const created = await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: admin, body: JSON.stringify({ buildId: 'logged' }) })).json();
    tokens.add(created.tokens.runner);
    tokens.add(created.tokens.viewer);
    const runner = { authorization: `Bearer ${created.tokens.runner}`, 'content-type': 'application/json' };

    // An append with a request id from the proxy: the same id comes back and is logged.
    const forwardedId = 'nginx-0123456789abcdef';
    const appended = await fetch(`${server.url}/v1/builds/logged/events`, {
      method: 'POST',
      headers: { ...runner, 'x-request-id': forwardedId },
      body: JSON.stringify({ from: 1, events: [{ type: 'log', data: { line: SECRET_CONTENT } }] }),
    });
    expect(appended.headers.get('x-request-id')).toBe(forwardedId);
    const ownId = (await fetch(`${server.url}/healthz`)).headers.get('x-request-id');
    expect(ownId).toMatch(/^[0-9a-f-]{36}$/);

    // A stream with the viewer token in the URL, a long-poll, the state, a token mint, failures.
    const streamed = await new Promise<number>((resolve) => {
      const es = new EventSource(`${server.url}/v1/builds/logged/stream?token=${created.tokens.viewer}`);
      es.onmessage = (m) => {
        es.close();
        resolve(JSON.parse(m.data).seq);
      };
    });
    expect(streamed).toBe(1);
    // A stream's head is answered like any other: the forwarded request id and CORS come back.
    const streamAbort = new AbortController();
    const streamHead = await fetch(`${server.url}/v1/builds/logged/stream`, { headers: { authorization: `Bearer ${created.tokens.viewer}`, 'x-request-id': 'nginx-stream-0123456789', origin: 'https://app.example' }, signal: streamAbort.signal });
    expect(streamHead.headers.get('x-request-id')).toBe('nginx-stream-0123456789');
    expect(streamHead.headers.get('access-control-allow-origin')).toBe('*');
    expect(streamHead.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    streamAbort.abort();
    await fetch(`${server.url}/v1/builds/logged/events?after=0&wait=0.2&token=${created.tokens.viewer}`);
    await fetch(`${server.url}/v1/builds/logged/state`, { headers: { authorization: `Bearer ${created.tokens.viewer}` } });
    const minted = await (await fetch(`${server.url}/v1/tokens`, { method: 'POST', headers: admin, body: JSON.stringify({ scope: 'read:*' }) })).json();
    if (typeof minted.token === 'string') tokens.add(minted.token);
    await fetch(`${server.url}/v1/builds/logged/events`, { method: 'POST', headers: { authorization: 'Bearer not-a-real-token-0123456789', 'content-type': 'application/json' }, body: '{}' });
    tokens.add('not-a-real-token-0123456789');
    await fetch(`${server.url}/v1/builds?token=${TEST_ADMIN_TOKEN}`); // the admin token refused in a URL
    await fetch(`${server.url}/?token=${created.tokens.viewer}`); // the dashboard
    // The runner CLI, on a build of its own.
    const cliBuild = await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: admin, body: JSON.stringify({ buildId: 'logged-cli' }) })).json();
    tokens.add(cliBuild.tokens.runner);
    tokens.add(cliBuild.tokens.viewer);
    const cli = await runCli(['emit', 'note', JSON.stringify({ text: SECRET_CONTENT })], { RUNLOG_URL: server.url, RUNLOG_BUILD: 'logged-cli', RUNLOG_TOKEN: cliBuild.tokens.runner, RUNLOG_SPOOL: dataDir });
    expect(cli.code, cli.stderr).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // the stream's line is written when it closes

    const log = server.stdout() + server.stderr();
    for (const token of tokens) expect(log.includes(token), `a token in the log: ${token.slice(0, 12)}…`).toBe(false);
    expect(log).not.toContain(SECRET_CONTENT);

    const lines = log
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request');
    const append = lines.find((l) => l.reqId === forwardedId);
    expect(append).toMatchObject({ method: 'POST', route: '/v1/builds/:buildId/events', url: '/v1/builds/logged/events', status: 200 });
    expect(append!.bytes).toBeGreaterThan(0);
    expect(append!.durationMs).toBeGreaterThanOrEqual(0);
    expect(lines.find((l) => l.reqId === ownId)).toMatchObject({ route: '/healthz', status: 200 });
    const stream = lines.find((l) => l.route === '/v1/builds/:buildId/stream');
    expect(stream?.url).toBe('/v1/builds/logged/stream?token=REDACTED');
    // The frames are written past the Response's stream; the line still counts them (the event's frame holds the line).
    expect(stream?.bytes).toBeGreaterThan(Buffer.byteLength(SECRET_CONTENT) + 100);
    expect(lines.find((l) => l.status === 401)).toMatchObject({ code: 'unauthorized' });
    // Every line has the fields; there is one per request.
    for (const line of lines) for (const field of ['reqId', 'method', 'route', 'url', 'status', 'durationMs', 'bytes']) expect(line, field).toHaveProperty(field);
    expect(new Set(lines.map((l) => l.reqId)).size).toBe(lines.length);
  });
});

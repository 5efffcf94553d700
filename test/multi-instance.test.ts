// ARCHITECTURE §Databases: several server instances share one PostgreSQL; a commit on one
// reaches readers on another through LISTEN/NOTIFY, with no sticky sessions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES } from './support/backends.js';
import { eventIds, openSse } from './support/sse-reader.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

describe.skipIf(POSTGRES.unavailable !== undefined)('two instances on one PostgreSQL', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startTestServer(POSTGRES);
    // Readers on the second re-read the build only after a quiet minute: whatever reaches them
    // sooner came through NOTIFY. (A wall-clock bound here failed on a busy machine.)
    second = await startTestServer(POSTGRES, { pingIntervalMs: 60_000 }, first.db);
  });
  afterAll(async () => {
    await second?.close();
    await first?.stop();
  });

  it('delivers each append through the first to an SSE reader on the second by NOTIFY, before any re-read', async () => {
    const { buildId, runner, viewer } = await first.createBuild();
    const sse = await openSse(`${second.url}/v1/builds/${buildId}/stream?token=${viewer}`);
    await sse.next(); // retry:
    for (let i = 1; i <= 10; i++) {
      const res = await first.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: i, events: sampleEvents(i, 1) } });
      expect(res.body.ack).toBe(i);
      const frames = await sse.collect((f) => f.id === String(i), 20_000);
      expect(eventIds(frames)).toEqual([i]);
    }
    sse.close();
  }, 30_000);

  it('wakes a long-poll on the second when the first commits', async () => {
    const { buildId, runner, viewer } = await first.createBuild();
    const waiting = second.api(`/v1/builds/${buildId}/events?after=0&wait=60`, { token: viewer });
    await new Promise((r) => setTimeout(r, 200));
    await first.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 2) } });
    // Without the NOTIFY the long-poll would answer at the end of its minute, past this test's
    // 30 s: the events arriving at all within it is the proof.
    const page = (await waiting).body;
    expect(page.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
  }, 30_000);

  it('accepts appends of one build through both instances and keeps one exact log', async () => {
    const { buildId, runner, viewer } = await first.createBuild();
    const servers = [first, second];
    await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        servers[k % 2]!.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1 + k * 5, events: sampleEvents(1 + k * 5, 5) } }),
      ),
    );
    const log = (await second.api(`/v1/builds/${buildId}/events?limit=1000`, { token: viewer })).body;
    expect(log.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('verifies tokens signed by the other instance (shared secret)', async () => {
    const { buildId, viewer } = await first.createBuild();
    expect((await second.api(`/v1/builds/${buildId}`, { token: viewer })).status).toBe(200);
  });

  it('does not hear a deployment in another schema of the same database', async () => {
    const stranger = await startTestServer(POSTGRES);
    try {
      const ours = await second.createBuild('same-name');
      const theirs = await stranger.createBuild('same-name');
      const waiting = second.api('/v1/builds/same-name/events?after=0&wait=1', { token: ours.viewer });
      await new Promise((r) => setTimeout(r, 100));
      await stranger.api('/v1/builds/same-name/events', { token: theirs.runner, body: { from: 1, events: sampleEvents(1, 3) } });
      expect((await waiting).body).toEqual({ events: [], ack: 0, final: null, next: 0 });
    } finally {
      await stranger.stop();
    }
  });
});

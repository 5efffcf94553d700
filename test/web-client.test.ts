// The web-client library in Node (the `eventsource` package's EventSource) against a real
// server: snapshot then stream, gap repair, duplicates, final statuses, reconnects.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventInput, LogEvent } from '../protocol/schemas.js';
import { watchBuild, watchBuilds, type Build, type BuildState, type WatchBuildOptions, type WatchStatus } from '../web-client/index.js';
import { PGLITE } from './support/backends.js';
import { startFaultProxy, type FaultProxy } from './support/fault-proxy.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { recordingFetch, sleep, waitFor, wrappedEventSource, type WrapOptions } from './support/web-watch.js';
import { HttpRunner, agentBuildBatches, logLines, readAllToken } from './support/web-runner.js';

/** A watch that records everything it reports. */
function record(url: string, buildId: string, token: string, wrap: WrapOptions = {}, extra: Partial<WatchBuildOptions> = {}) {
  const es = wrappedEventSource(wrap);
  const { fetch, requests } = recordingFetch();
  const statuses: WatchStatus[] = [];
  const events: LogEvent[] = [];
  let state: BuildState | undefined;
  const watch = watchBuild({
    url,
    buildId,
    token,
    EventSource: es.EventSource,
    fetch,
    onStatus: (s) => statuses.push(s),
    onEvent: (e) => events.push(e),
    onState: (s) => (state = s),
    ...extra,
  });
  const kinds = () => statuses.map((s) => s.kind);
  return { watch, statuses, kinds, events, requests, streams: es.opened, state: () => state };
}

const serverState = async (server: TestServer, buildId: string) => (await server.api(`/v1/builds/${buildId}/state`)).body as { seq: number; state: BuildState };

describe('watchBuild', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 7 });
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('folds the snapshot, then the stream, into the state the server computes, and completes at end', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const run = new HttpRunner(server.url, buildId, runner);
    const batches = agentBuildBatches();
    for (const batch of batches.slice(0, 4)) await run.emit(batch);
    const snapshotSeq = run.nextSeq - 1;

    const w = record(server.url, buildId, viewer);
    await waitFor(() => w.watch.status.kind === 'live', 'live');
    expect(w.watch.seq).toBe(snapshotSeq);
    expect(w.events).toEqual([]);
    for (const [i, batch] of batches.slice(4).entries()) await run.emit(batch, { final: i === batches.length - 5 });
    await waitFor(() => w.watch.status.kind === 'complete', 'complete');

    const final = run.nextSeq - 1;
    expect(w.kinds()).toEqual(['connecting', 'live', 'complete']);
    expect(w.events.map((e) => e.seq)).toEqual(range(snapshotSeq + 1, final));
    expect(w.watch.seq).toBe(final);
    expect(w.state()).toEqual((await serverState(server, buildId)).state);
    expect(w.state()?.status).toBe('succeeded');
    expect(w.watch.stats).toMatchObject({ snapshotSeq, streamEvents: final - snapshotSeq, duplicates: 0, repairedEvents: 0, streamsOpened: 1 });
  });

  it('repairs a gap from the JSON endpoint before applying the events after it', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const dropped = (seq: number) => seq % 7 === 0;
    const w = record(server.url, buildId, viewer, { drop: dropped }, { repairPageEvents: 2 });
    await waitFor(() => w.watch.status.kind === 'live', 'live');
    const run = new HttpRunner(server.url, buildId, runner);
    for (let i = 0; i < 7; i++) await run.emit(logLines(i * 15 + 1, 15), { final: i === 6 }); // 105: the last one is dropped too
    await waitFor(() => w.watch.status.kind === 'complete', 'complete');

    expect(w.events.map((e) => e.seq)).toEqual(range(1, 105));
    expect(w.state()).toEqual((await serverState(server, buildId)).state);
    expect(w.watch.stats.repairedEvents).toBe(15);
    expect(w.requests.filter((r) => r.includes('/events?')).length).toBeGreaterThanOrEqual(15);
    expect(w.requests).toContain(`/v1/builds/${buildId}/events?after=6&limit=1`);
  });

  it('ignores an event whose seq it has already applied', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const w = record(server.url, buildId, viewer, { twice: () => true });
    await waitFor(() => w.watch.status.kind === 'live', 'live');
    const run = new HttpRunner(server.url, buildId, runner);
    await run.emit(agentBuildBatches().flat(), { final: true });
    await waitFor(() => w.watch.status.kind === 'complete', 'complete');

    const final = run.nextSeq - 1;
    expect(w.events.map((e) => e.seq)).toEqual(range(1, final));
    expect(w.watch.stats.duplicates).toBe(final);
    expect(w.state()).toEqual((await serverState(server, buildId)).state);
  });

  it('completes at once for a build that was complete before it started, without opening a stream', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    await new HttpRunner(server.url, buildId, runner).emit(logLines(1, 5), { final: true });
    const w = record(server.url, buildId, viewer);
    await waitFor(() => w.watch.status.kind === 'complete', 'complete');
    expect(w.watch.seq).toBe(5);
    expect(w.streams).toEqual([]);
  });

  const VARIANTS = [
    { browserLike: false, how: "the eventsource package's status" },
    { browserLike: true, how: 'an EventSource that hides the status, as browsers do' },
  ];

  it('stops for good on 401, 403 and 404 when loading, with the status given or hidden', async () => {
    const a = await server.createBuild();
    const b = await server.createBuild();
    const readAll = await readAllToken(server.url, server.adminToken);
    const cases: Array<[string, string, number]> = [
      [a.buildId, 'rl1.forged.token', 401],
      [b.buildId, a.viewer, 403],
      ['no-such-build', readAll, 404],
    ];
    const watches = VARIANTS.flatMap(({ browserLike }) => cases.map(([buildId, token, status]) => ({ status, w: record(server.url, buildId, token, { browserLike }) })));
    await waitFor(() => watches.every(({ w }) => w.watch.status.kind === 'error'), 'every watch stopped');
    const counts = watches.map(({ w }) => w.requests.length);
    await sleep(1500);
    for (const [i, { status, w }] of watches.entries()) {
      expect(w.watch.status).toMatchObject({ kind: 'error', status });
      expect(w.requests.length).toBe(counts[i]); // not retried
      expect(w.streams).toEqual([]);
    }
  });

  it('stops for good with 404 when the build is deleted while streaming, with the status given or hidden', async () => {
    const watches = [];
    const readAll = await readAllToken(server.url, server.adminToken);
    for (const { browserLike } of VARIANTS) {
      const { buildId, runner } = await server.createBuild();
      const w = record(server.url, buildId, readAll, { browserLike });
      await waitFor(() => w.watch.status.kind === 'live', 'live');
      await new HttpRunner(server.url, buildId, runner).emit(logLines(1, 3));
      await waitFor(() => w.watch.seq === 3, 'seq 3');
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      watches.push(w);
    }
    for (const w of watches) {
      await waitFor(() => w.watch.status.kind === 'error', 'error 404');
      expect(w.watch.status).toMatchObject({ kind: 'error', status: 404, code: 'build_not_found' });
    }
    const counts = watches.map((w) => [w.requests.length, w.streams.length]);
    await sleep(3500); // longer than the server's retry: nothing reconnects
    expect(watches.map((w) => [w.requests.length, w.streams.length])).toEqual(counts);
  });

  it('refuses the admin token before any request, since EventSource would put it into a URL', async () => {
    const { buildId } = await server.createBuild();
    const w = record(server.url, buildId, server.adminToken);
    expect(w.watch.status).toMatchObject({ kind: 'error', code: 'unauthorized', status: undefined, message: expect.stringMatching(/read:\*/) });
    await sleep(300);
    expect(w.requests).toEqual([]);
    expect(w.streams).toEqual([]);
    expect(w.kinds()).toEqual(['connecting', 'error']);
  });

  it('stops for good with 401 when its token expired and the connection drops', async () => {
    const { buildId, runner } = await server.createBuild();
    const res = await server.api('/v1/tokens', { body: { scope: `read:${buildId}`, ttlSeconds: 2 } });
    const w = record(proxy.url, buildId, res.body.token, { browserLike: true });
    await waitFor(() => w.watch.status.kind === 'live', 'live');
    await new HttpRunner(server.url, buildId, runner).emit(logLines(1, 2));
    await waitFor(() => w.watch.seq === 2, 'seq 2');
    await sleep(2200);
    proxy.severAll();
    await waitFor(() => w.watch.status.kind === 'error', 'error 401');
    expect(w.watch.status).toMatchObject({ kind: 'error', status: 401, code: 'unauthorized' });
    expect(w.kinds()).toContain('reconnecting');
  });

  it('reopens the stream from the last applied seq when the EventSource gave up on a 503', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const run = new HttpRunner(server.url, buildId, runner);
    let unavailable = false;
    const w = record(proxy.url, buildId, viewer, { browserLike: true, unavailable: () => unavailable }, { reconnectBaseMs: 200 });
    await waitFor(() => w.watch.status.kind === 'live', 'live');
    await run.emit(logLines(1, 5));
    await waitFor(() => w.watch.seq === 5, 'seq 5');
    unavailable = true;
    proxy.severAll();
    await waitFor(() => w.streams.length >= 3, 'the watcher reopening on its own');
    expect(w.watch.status.kind).toBe('reconnecting');
    await run.emit(logLines(6, 5));
    unavailable = false;
    await waitFor(() => w.watch.status.kind === 'live', 'live again');
    await run.emit(logLines(11, 5), { final: true });
    await waitFor(() => w.watch.status.kind === 'complete', 'complete');
    expect(w.events.map((e) => e.seq)).toEqual(range(1, 15));
    expect(w.streams.slice(1).every((url) => new URL(url).searchParams.get('after') === '5')).toBe(true);
    const attempts = w.statuses.filter((s) => s.kind === 'reconnecting').map((s) => (s as { attempt: number }).attempt);
    expect(attempts).toEqual(range(1, attempts.length)); // counted up while it kept failing
  });

  it('reconnects after the server restarts and applies every event exactly once', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-web-'));
    const database = { databaseUrl: undefined, databaseSchema: 'public', dataDir, drop: () => rm(dataDir, { recursive: true, force: true }) };
    let first: TestServer | undefined = await startTestServer(PGLITE, {}, database);
    let second: TestServer | undefined;
    try {
      const { buildId, runner, viewer } = await first.createBuild();
      const run = new HttpRunner(first.url, buildId, runner);
      await run.emit(logLines(1, 10));
      const w = record(first.url, buildId, viewer);
      await waitFor(() => w.watch.status.kind === 'live', 'live');
      await run.emit(logLines(11, 10));
      await waitFor(() => w.watch.seq === 20, 'seq 20');

      await first.close();
      first = undefined;
      await waitFor(() => w.watch.status.kind === 'reconnecting', 'reconnecting');
      const trouble = w.watch.status as Extract<WatchStatus, { kind: 'reconnecting' }>;
      expect(trouble.attempt).toBeGreaterThanOrEqual(1);
      expect(trouble.since).toBeLessThanOrEqual(Date.now());

      second = await startTestServer(PGLITE, { port: Number(new URL(w.streams[0]!).port) }, database);
      await run.emit(logLines(21, 20), { final: true, url: second.url });
      await waitFor(() => w.watch.status.kind === 'complete', 'complete', 30_000);
      expect(w.events.map((e) => e.seq)).toEqual(range(11, 40));
      expect(w.kinds().filter((k) => k === 'live').length).toBeGreaterThanOrEqual(2);
      expect(w.state()).toEqual((await serverState(second, buildId)).state);
    } finally {
      await first?.close();
      await second?.close();
      await database.drop();
    }
  });
});

describe('watchBuilds', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  let readAll: string;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
    proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: server.port }, seed: 11 });
    readAll = await readAllToken(server.url, server.adminToken);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  const start = (token: string, url = server.url, browserLike = false) => {
    const es = wrappedEventSource({ browserLike });
    const changes: Array<readonly Build[]> = [];
    const statuses: WatchStatus[] = [];
    const watch = watchBuilds({ url, token, EventSource: es.EventSource, onChange: (b) => changes.push(b), onStatus: (s) => statuses.push(s) });
    return { watch, changes, statuses, ids: () => watch.builds.map((b) => b.buildId) };
  };

  it('lists builds newest first and follows creations, appends, completions and deletions', async () => {
    const older = await server.createBuild();
    const newer = await server.createBuild();
    const w = start(readAll);
    await waitFor(() => w.ids().includes(newer.buildId), 'the first page');
    expect(w.ids().indexOf(newer.buildId)).toBeLessThan(w.ids().indexOf(older.buildId));

    const created = await server.createBuild();
    await waitFor(() => w.ids()[0] === created.buildId, 'the new build on top');
    await new HttpRunner(server.url, older.buildId, older.runner).emit(logLines(1, 4), { final: true });
    await waitFor(() => w.watch.builds.find((b) => b.buildId === older.buildId)?.status === 'complete', 'complete');
    expect(w.watch.builds.find((b) => b.buildId === older.buildId)?.ack).toBe(4);
    await server.api(`/v1/builds/${newer.buildId}`, { method: 'DELETE' });
    await waitFor(() => !w.ids().includes(newer.buildId), 'the deleted build gone');
    expect(w.statuses.map((s) => s.kind)).toEqual(['connecting', 'live']);
    w.watch.close();
  });

  it('starts again with the list after a reconnect, dropping builds deleted meanwhile', async () => {
    const kept = await server.createBuild();
    const doomed = await server.createBuild();
    const w = start(readAll, proxy.url, true);
    await waitFor(() => w.ids().includes(doomed.buildId), 'the first page');
    proxy.pause({ severOpen: true });
    await waitFor(() => w.watch.status.kind === 'reconnecting', 'reconnecting');
    await server.api(`/v1/builds/${doomed.buildId}`, { method: 'DELETE' });
    const added = await server.createBuild();
    proxy.resume();
    await waitFor(() => w.ids().includes(added.buildId) && !w.ids().includes(doomed.buildId), 'the list again', 20_000);
    expect(w.ids()).toContain(kept.buildId);
    expect(w.watch.status.kind).toBe('live');
    w.watch.close();
  });

  it('refuses the admin token before connecting, since EventSource would put it into a URL', async () => {
    const es = wrappedEventSource();
    const statuses: WatchStatus[] = [];
    const watch = watchBuilds({ url: server.url, token: server.adminToken, EventSource: es.EventSource, onChange: () => {}, onStatus: (s) => statuses.push(s) });
    expect(watch.status).toMatchObject({ kind: 'error', code: 'unauthorized', status: undefined });
    await sleep(300);
    expect(es.opened).toEqual([]);
    expect(statuses.map((s) => s.kind)).toEqual(['connecting', 'error']);
  });

  for (const browserLike of [false, true]) {
    it(`stops for good on 401 and 403 (${browserLike ? 'status hidden' : 'status given'})`, async () => {
      const { viewer } = await server.createBuild();
      for (const [token, status] of [['rl1.forged.token', 401], [viewer, 403]] as const) {
        const w = start(token, server.url, browserLike);
        await waitFor(() => w.watch.status.kind === 'error', `error ${status}`);
        expect(w.watch.status).toMatchObject({ kind: 'error', status });
        expect(w.changes).toEqual([]);
      }
    });
  }
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

export type { EventInput };

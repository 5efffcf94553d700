// PROTOCOL §Runner presence on the server: heartbeats and the append's Runlog-Runner header are
// stored as Build.runner (at most once per interval per build), readers hear of them as
// `event: runner` frames without an id, none of it ever touches the log, and /metrics counts
// runners seen, their backlog and the silent ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunnerReport } from '../protocol/wire-types.js';
import { writeWindowMs } from '../server/presence/presence-tracker.js';
import { BACKENDS, POSTGRES } from './support/backends.js';
import { eventIds, openSse, type SseFrame } from './support/sse-reader.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const report = (over: Partial<RunnerReport> = {}): RunnerReport => ({
  backlog: { events: 0, bytes: 0 },
  state: 'online',
  host: 'ci-runner-7',
  pid: 4242,
  version: '0.2.0',
  intervalMs: 5000,
  ...over,
});

/** One sample of a metric without labels (or with the given label text), from /metrics. */
async function metric(server: TestServer, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`runner presence (${backend.name})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
    });
    afterAll(async () => server?.stop());

    /** `token` undefined: the admin token. */
    const heartbeat = (buildId: string, token: string | undefined, body: unknown, init: { headers?: Record<string, string> } = {}) =>
      server.api(`/v1/builds/${buildId}/heartbeat`, { ...(token === undefined ? {} : { token }), body, ...init });
    /** The build, its log and its state: everything a refused heartbeat must leave as it was. */
    const everything = async (buildId: string) => ({
      build: (await server.api(`/v1/builds/${buildId}`)).body,
      events: (await server.api(`/v1/builds/${buildId}/events?after=0`)).body,
      state: (await server.api(`/v1/builds/${buildId}/state`)).body,
    });

    it('shows runner null until the runner reports, then its report with the time the server received it', async () => {
      const { buildId, runner } = await server.createBuild();
      expect((await server.api(`/v1/builds/${buildId}`)).body.runner).toBeNull();
      const before = Date.now();
      const res = await heartbeat(buildId, runner, { epoch: 0, runner: report({ backlog: { events: 340, bytes: 52_210 }, state: 'offline' }) });
      expect(res.status).toBe(204);
      const { body } = await server.api(`/v1/builds/${buildId}`);
      expect(body.runner).toEqual({ ...report({ backlog: { events: 340, bytes: 52_210 }, state: 'offline' }), lastSeenAt: expect.any(String) });
      const seen = Date.parse(body.runner.lastSeenAt);
      expect(seen).toBeGreaterThanOrEqual(before - 5);
      expect(seen).toBeLessThanOrEqual(Date.now() + 5);
      // The list and a create of the same id show it too.
      const listed = (await server.api('/v1/builds?limit=500')).body.builds.find((b: { buildId: string }) => b.buildId === buildId);
      expect(listed.runner).toEqual(body.runner);
      expect((await server.api('/v1/builds', { body: { buildId } })).body.build.runner).toEqual(body.runner);
    });

    it('never touches the log: the ack, final, epoch, digest, events and state are what they were', async () => {
      const { buildId, runner } = await server.createBuild();
      expect((await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 3) } })).status).toBe(200);
      const before = await everything(buildId);
      for (let i = 0; i < 3; i++) expect((await heartbeat(buildId, runner, { runner: report({ intervalMs: 100 }) })).status).toBe(204);
      const after = await everything(buildId);
      expect({ ...after.build, runner: null }).toEqual({ ...before.build, runner: null });
      expect(after.events).toEqual(before.events);
      expect(after.state).toEqual(before.state);
      expect(after.build.runner).not.toBeNull();
    });

    it('refuses a read token (403), an unknown build (404), a malformed body (400), a stale epoch (403) and a complete build (409), changing nothing', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 2), epoch: 1 } });
      const before = await everything(buildId);
      expect(before.build.runner).toBeNull();

      const refused: Array<[string, Awaited<ReturnType<typeof heartbeat>>, number, string]> = [
        ['read token', await heartbeat(buildId, viewer, { runner: report() }), 403, 'forbidden'],
        ['unknown build', await heartbeat('no-such-build', undefined, { runner: report() }), 404, 'build_not_found'],
        ['not JSON', await heartbeat(buildId, runner, '{"runner": ', {}), 400, 'invalid_json'],
        ['no runner', await heartbeat(buildId, runner, { epoch: 1 }), 400, 'invalid_request'],
        ['unknown member', await heartbeat(buildId, runner, { runner: report(), seq: 3 }), 400, 'invalid_request'],
        ['bad state', await heartbeat(buildId, runner, { runner: { ...report(), state: 'asleep' } }), 400, 'invalid_request'],
        ['negative backlog', await heartbeat(buildId, runner, { runner: report({ backlog: { events: -1, bytes: 0 } }) }), 400, 'invalid_request'],
        ['interval too short', await heartbeat(buildId, runner, { runner: report({ intervalMs: 5 }) }), 400, 'invalid_request'],
        ['malformed build id', await heartbeat('bad%20id', undefined, { runner: report() }), 400, 'invalid_parameter'],
        ['not JSON content', await heartbeat(buildId, runner, 'runner', { headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type'],
        ['stale epoch', await heartbeat(buildId, runner, { epoch: 0, runner: report() }), 403, 'stale_epoch'],
      ];
      for (const [what, res, status, code] of refused) {
        expect(res.status, what).toBe(status);
        expect(res.headers.get('content-type'), what).toBe('application/problem+json');
        expect(res.body.code, what).toBe(code);
      }
      expect(refused.find(([what]) => what === 'stale epoch')![1].body.epoch).toBe(1);
      expect(await everything(buildId)).toEqual(before);

      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 3, events: [{ type: 'finish' }], final: true, epoch: 1 } });
      const complete = await everything(buildId);
      const closed = await heartbeat(buildId, runner, { epoch: 1, runner: report() });
      expect(closed.status).toBe(409);
      expect(closed.body).toMatchObject({ code: 'build_closed', ack: 3, final: 3 });
      expect(await everything(buildId)).toEqual(complete);
      expect(complete.build.runner).toBeNull();
    });

    it('stores the report an append carries in Runlog-Runner, and refuses the whole append for a malformed one', async () => {
      const { buildId, runner } = await server.createBuild();
      const withHeader = (value: string, from: number) =>
        server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from, events: sampleEvents(from, 2) }, headers: { 'runlog-runner': value } });
      const bad = await withHeader('{"backlog": {"events": 3}}', 1);
      expect(bad.status).toBe(400);
      expect(bad.body).toMatchObject({ code: 'invalid_parameter', parameter: 'Runlog-Runner' });
      expect((await withHeader('not json', 1)).body.parameter).toBe('Runlog-Runner');
      expect((await server.api(`/v1/builds/${buildId}`)).body).toMatchObject({ ack: 0, runner: null });

      // A later runner's extra members are ignored, not refused; non-ASCII travels escaped.
      const sent = report({ backlog: { events: 7, bytes: 900 }, host: 'büild-host' });
      const ok = await withHeader(JSON.stringify({ ...sent, gpu: 'none' }).replace('ü', '\\u00fc'), 1);
      expect(ok.status).toBe(200);
      await expect.poll(async () => (await server.api(`/v1/builds/${buildId}`)).body.runner, { timeout: 10_000 }).toEqual({ ...sent, lastSeenAt: expect.any(String) });
    });

    it('answers a retried batch with a newer report as the duplicate it is', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const batch = { from: 1, events: sampleEvents(1, 3) };
      const send = (events: number) =>
        server.api(`/v1/builds/${buildId}/events`, { token: runner, body: batch, headers: { 'runlog-runner': JSON.stringify(report({ backlog: { events, bytes: events * 10 }, intervalMs: 100 })) } });
      const first = await send(3);
      await sleep(150); // past the write window: the retry's report is stored too
      const retry = await send(0);
      expect(retry.status).toBe(200);
      expect(retry.body).toEqual(first.body);
      const log = (await server.api(`/v1/builds/${buildId}/events?after=0`, { token: viewer })).body;
      expect(log.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2, 3]);
      await expect.poll(async () => (await server.api(`/v1/builds/${buildId}`)).body.runner?.backlog.events, { timeout: 10_000 }).toBe(0);
    });

    it('writes a build\u2019s presence at most once per interval however many reports come, then the newest at the end of the interval', async () => {
      const { buildId, runner } = await server.createBuild();
      const INTERVAL = 1000;
      const written = () => metric(server, 'runlog_runner_reports_total', '{result="written"}');
      const writtenBefore = await written();
      const started = Date.now();
      for (let i = 1; i <= 30; i++) {
        const res = await server.api(`/v1/builds/${buildId}/events`, {
          token: runner,
          body: { from: i, events: sampleEvents(i, 1) },
          headers: { 'runlog-runner': JSON.stringify(report({ backlog: { events: 30 - i, bytes: 0 }, intervalMs: INTERVAL })) },
        });
        expect(res.status).toBe(200);
      }
      const elapsed = Date.now() - started;
      // A bound, not a timing: one write opens each window, and the newest report closes the last.
      const bound = Math.floor(elapsed / writeWindowMs(INTERVAL)) + 2;
      await expect.poll(async () => (await server.api(`/v1/builds/${buildId}`)).body.runner?.backlog.events, { timeout: 3 * INTERVAL }).toBe(0);
      const writes = (await written()) - writtenBefore;
      console.log(`runner presence (${backend.name}): 30 appends with a report over ${elapsed} ms, interval ${INTERVAL} ms: ${writes} presence writes`);
      expect(writes).toBeGreaterThanOrEqual(2);
      expect(writes).toBeLessThanOrEqual(bound);
      expect(writes).toBeLessThan(30);
    });

    it('tells a stream reader of each stored report as `event: runner` without an id, and never moves Last-Event-ID', async () => {
      const { buildId, runner, viewer } = await server.createBuild();
      const sse = await openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`);
      await sse.next(); // retry:
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 1, events: sampleEvents(1, 2) } });
      expect((await heartbeat(buildId, runner, { runner: report({ backlog: { events: 5, bytes: 50 }, intervalMs: 100 }) })).status).toBe(204);
      const frames = await sse.collect((f) => f.event === 'runner', 5000);
      sse.close();
      expect(eventIds(frames)).toEqual([1, 2]);
      const runnerFrames = frames.filter((f) => f.event === 'runner');
      expect(runnerFrames).toHaveLength(1);
      expect(runnerFrames[0]!.id).toBeUndefined();
      const data = JSON.parse(runnerFrames[0]!.data!);
      expect(data).toEqual({ buildId, runner: { ...report({ backlog: { events: 5, bytes: 50 }, intervalMs: 100 }), lastSeenAt: expect.any(String) } });
      expect(data.runner).toEqual((await server.api(`/v1/builds/${buildId}`)).body.runner);

      // A reconnect resumes at the last event id and starts with the stored presence.
      const again = await openSse(`${server.url}/v1/builds/${buildId}/stream?token=${viewer}`, { headers: { 'Last-Event-ID': '2' } });
      await again.next(); // retry:
      await server.api(`/v1/builds/${buildId}/events`, { token: runner, body: { from: 3, events: sampleEvents(3, 1) } });
      // (The ping frame that opens every stream, PROTOCOL §SSE rule 3, is not presence: left out.)
      const resumed: SseFrame[] = (await again.collect((f) => f.id === '3', 5000)).filter((f) => f.event !== 'ping');
      again.close();
      expect(resumed.map((f) => f.event ?? `id ${f.id}`)).toEqual(['runner', 'id 3']);
      expect(JSON.parse(resumed[0]!.data!).runner).toEqual(data.runner);
    });

    it('tells the watched list of stored reports as `event: runner`, and lists each build with its runner', async () => {
      const { buildId, runner } = await server.createBuild();
      await heartbeat(buildId, runner, { runner: report({ intervalMs: 100 }) });
      const readAll = (await server.api('/v1/tokens', { body: { scope: 'read:*' } })).body.token;
      const sse = await openSse(`${server.url}/v1/builds?watch=true&token=${readAll}`);
      const listed = await sse.collect((f) => f.data !== undefined && JSON.parse(f.data).buildId === buildId, 5000);
      expect(JSON.parse(listed.at(-1)!.data!).runner).toMatchObject({ host: 'ci-runner-7', backlog: { events: 0 } });
      await sleep(150);
      await heartbeat(buildId, runner, { runner: report({ backlog: { events: 12, bytes: 1 }, intervalMs: 100 }) });
      const frames = await sse.collect((f) => f.event === 'runner' && JSON.parse(f.data!).buildId === buildId, 5000);
      sse.close();
      const frame = frames.at(-1)!;
      expect(frame.id).toBeUndefined();
      expect(JSON.parse(frame.data!).runner.backlog).toEqual({ events: 12, bytes: 1 });
    });

    it('counts runners seen, their backlog and the silent ones on /metrics, leaving out complete builds', async () => {
      // A server of its own: the other tests' runners would fall silent while this one counts.
      const server = await startTestServer(backend);
      const heartbeat = (buildId: string, token: string, body: unknown) => server.api(`/v1/builds/${buildId}/heartbeat`, { token, body });
      const live = await server.createBuild();
      const quiet = await server.createBuild();
      const done = await server.createBuild();
      await heartbeat(live.buildId, live.runner, { runner: report({ backlog: { events: 40, bytes: 4000 }, intervalMs: 60_000 }) });
      await heartbeat(quiet.buildId, quiet.runner, { runner: report({ backlog: { events: 2, bytes: 20 }, intervalMs: 100 }) });
      await heartbeat(done.buildId, done.runner, { runner: report({ backlog: { events: 1000, bytes: 1 }, intervalMs: 100 }) });
      await server.api(`/v1/builds/${done.buildId}/events`, { token: done.runner, body: { from: 1, events: [{ type: 'finish' }], final: true } });
      try {
        await sleep(400); // more than three of `quiet`'s 100 ms intervals
        expect(await metric(server, 'runlog_runners_seen')).toBe(2);
        expect(await metric(server, 'runlog_runner_backlog_events')).toBe(42);
        expect(await metric(server, 'runlog_runner_backlog_bytes')).toBe(4020);
        expect(await metric(server, 'runlog_runners_silent')).toBe(1);
        expect(await metric(server, 'runlog_heartbeat_requests_total', '{outcome="ok"}')).toBe(3);
      } finally {
        await server.stop();
      }
    });

    it('forgets a deleted build\u2019s runner: the same id created again has none', async () => {
      const { buildId, runner } = await server.createBuild();
      await heartbeat(buildId, runner, { runner: report({ intervalMs: 100 }) });
      expect((await server.api(`/v1/builds/${buildId}`)).body.runner).not.toBeNull();
      expect((await server.api(`/v1/builds/${buildId}`, { method: 'DELETE' })).status).toBe(204);
      await server.createBuild(buildId);
      await sleep(200);
      expect((await server.api(`/v1/builds/${buildId}`)).body.runner).toBeNull();
      expect(server.presence.openWindows).toBeLessThanOrEqual(5);
    });
  });
}

describe.skipIf(POSTGRES.unavailable !== undefined)('runner presence across two instances on one PostgreSQL', () => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startTestServer(POSTGRES);
    second = await startTestServer(POSTGRES, {}, first.db);
  });
  afterAll(async () => {
    await second?.close();
    await first?.stop();
  });

  it('tells a stream reader on one instance of a report the other took, and serves it from both', async () => {
    const { buildId, runner, viewer } = await first.createBuild();
    const sse = await openSse(`${second.url}/v1/builds/${buildId}/stream?token=${viewer}`);
    await sse.next(); // retry:
    const res = await first.api(`/v1/builds/${buildId}/heartbeat`, { token: runner, body: { runner: report({ backlog: { events: 9, bytes: 90 } }) } });
    expect(res.status).toBe(204);
    const frames = await sse.collect((f) => f.event === 'runner', 5000);
    sse.close();
    const heard = JSON.parse(frames.at(-1)!.data!).runner;
    expect(heard.backlog.events).toBe(9);
    expect((await second.api(`/v1/builds/${buildId}`)).body.runner).toEqual(heard);
  });

  it('writes a build\u2019s presence at most once per window across both instances, and the newest report wins', async () => {
    const { buildId, runner } = await first.createBuild();
    const INTERVAL = 2000;
    const written = async () => (await metric(first, 'runlog_runner_reports_total', '{result="written"}')) + (await metric(second, 'runlog_runner_reports_total', '{result="written"}'));
    const refused = async () => (await metric(first, 'runlog_runner_reports_total', '{result="throttled"}')) + (await metric(second, 'runlog_runner_reports_total', '{result="throttled"}'));
    const [writtenBefore, refusedBefore] = [await written(), await refused()];
    const started = Date.now();
    for (let i = 1; i <= 10; i++) {
      const via = i % 2 === 0 ? second : first; // no sticky sessions: reports alternate
      expect((await via.api(`/v1/builds/${buildId}/heartbeat`, { token: runner, body: { runner: report({ backlog: { events: 10 - i, bytes: 0 }, intervalMs: INTERVAL }) } })).status).toBe(204);
    }
    const elapsed = Date.now() - started;
    await expect.poll(async () => (await second.api(`/v1/builds/${buildId}`)).body.runner?.backlog.events, { timeout: 4 * INTERVAL }).toBe(0);
    await sleep(2 * INTERVAL); // every held report has had its turn
    const writes = (await written()) - writtenBefore;
    expect(writes).toBeLessThanOrEqual(Math.floor(elapsed / writeWindowMs(INTERVAL)) + 3);
    expect((await refused()) - refusedBefore).toBeGreaterThan(0); // the other instance's write held this one back
    expect((await first.api(`/v1/builds/${buildId}`)).body.runner.backlog.events).toBe(0);
  });
});

// PROTOCOL §Runner presence in @runlog/web (Node, the `eventsource` package): watchBuild keeps
// the runner current from the build record and the stream's `event: runner` frames, without a
// single extra or missing log event; watchBuilds keeps each listed build's runner current.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogEvent, RunnerReport } from '../protocol/wire-types.js';
import { describeRunner, watchBuild, watchBuilds, type Build, type RunnerPresence } from '../web-client/index.js';
import { PGLITE } from './support/backends.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { waitFor, wrappedEventSource } from './support/web-watch.js';
import { HttpRunner, logLines, readAllToken } from './support/web-runner.js';

const report = (events: number, intervalMs = 100): RunnerReport => ({
  backlog: { events, bytes: events * 100 },
  state: events > 0 ? 'offline' : 'online',
  host: 'ci-runner-7',
  pid: 4242,
  version: '0.2.0',
  intervalMs,
});

describe('runner presence in @runlog/web', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(PGLITE);
  });
  afterAll(async () => server?.stop());

  const heartbeat = async (buildId: string, token: string, events: number) => {
    const res = await server.api(`/v1/builds/${buildId}/heartbeat`, { token, body: { runner: report(events) } });
    expect(res.status).toBe(204);
  };

  it('watchBuild gives the runner with the build, then each newer report from the stream, and still every event once', async () => {
    const { buildId, runner, viewer } = await server.createBuild();
    const run = new HttpRunner(server.url, buildId, runner);
    await run.emit(logLines(1, 3));
    await heartbeat(buildId, runner, 7);
    const runners: Array<RunnerPresence | null> = [];
    const events: LogEvent[] = [];
    const watch = watchBuild({ url: server.url, buildId, token: viewer, EventSource: wrappedEventSource().EventSource, onRunner: (r) => runners.push(r), onEvent: (e) => events.push(e) });
    try {
      await waitFor(() => watch.status.kind === 'live' && watch.runner !== null, 'live, with the runner');
      expect(watch.runner?.backlog.events).toBe(7);
      await run.emit(logLines(4, 2));
      await new Promise((r) => setTimeout(r, 150)); // past the 100 ms interval's write window
      await heartbeat(buildId, runner, 0);
      await waitFor(() => watch.runner?.backlog.events === 0, 'the newer report');
      expect(describeRunner({ complete: false, runner: watch.runner }).text).toBe('runner live');
      // Reports only move forward: the record's and the stream's copy of one report count once.
      const seen = runners.map((r) => r!.lastSeenAt);
      expect(new Set(seen).size).toBe(seen.length);
      expect([...seen].sort()).toEqual(seen);
      await waitFor(() => watch.seq === 5, 'every event');
      expect(events.map((e) => e.seq)).toEqual([4, 5]);
      expect(watch.stats.duplicates).toBe(0);
      await run.emit([{ type: 'finish' }], { final: true });
      await waitFor(() => watch.status.kind === 'complete', 'complete');
      expect(describeRunner({ complete: true, runner: watch.runner }).text).toBe('runner finished');
    } finally {
      watch.close();
    }
  });

  it('watchBuilds keeps each build\u2019s runner current from `event: runner` frames', async () => {
    const readAll = await readAllToken(server.url, server.adminToken);
    const { buildId, runner } = await server.createBuild();
    let builds: readonly Build[] = [];
    const watch = watchBuilds({ url: server.url, token: readAll, EventSource: wrappedEventSource().EventSource, onChange: (b) => (builds = b) });
    try {
      const mine = () => builds.find((b) => b.buildId === buildId);
      await waitFor(() => mine() !== undefined, 'the build listed');
      expect(mine()!.runner).toBeNull();
      await heartbeat(buildId, runner, 340);
      await waitFor(() => mine()?.runner?.backlog.events === 340, 'the report');
      expect(describeRunner({ complete: false, runner: mine()!.runner }).text).toBe('runner 340 events behind');
      await new Promise((r) => setTimeout(r, 150));
      await heartbeat(buildId, runner, 0);
      await waitFor(() => mine()?.runner?.backlog.events === 0, 'the next report');
    } finally {
      watch.close();
    }
  });
});

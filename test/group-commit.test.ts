// ARCHITECTURE §Group commit and PROTOCOL §Append rule 6: concurrent appends share
// transactions, and a full commit queue — in appends or in bytes — refuses at once with 503
// overloaded + Retry-After.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from './support/backends.js';
import { sampleEvents, startTestServer, type TestServer } from './support/test-server.js';

function metric(text: string, name: string): number {
  const match = new RegExp(`^${name} (\\d+(?:\\.\\d+)?)$`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`group commit on ${backend.name}`, () => {
    let server: TestServer;
    let small: TestServer;
    let narrow: TestServer;
    beforeAll(async () => {
      server = await startTestServer(backend);
      small = await startTestServer(backend, { commitQueueMax: 2 });
      narrow = await startTestServer(backend, { commitQueueMaxBytes: 64 * 1024 });
    });
    afterAll(async () => {
      await server?.stop();
      await small?.stop();
      await narrow?.stop();
    });

    it('commits 60 concurrent appends in fewer transactions than appends', async () => {
      const builds = await Promise.all(Array.from({ length: 60 }, () => server.createBuild()));
      const before = (await server.api('/metrics', { token: null })).body;
      const answers = await Promise.all(
        builds.map((b) => server.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from: 1, events: sampleEvents(1, 20) } })),
      );
      for (const a of answers) expect(a.body.ack).toBe(20);
      const after = (await server.api('/metrics', { token: null })).body;
      const groups = metric(after, 'runlog_commit_group_appends_count') - metric(before, 'runlog_commit_group_appends_count');
      const appends = metric(after, 'runlog_commit_group_appends_sum') - metric(before, 'runlog_commit_group_appends_sum');
      expect(appends).toBe(60);
      expect(groups).toBeLessThan(60);
    });

    it('refuses appends with 503 overloaded and Retry-After when the queue is full, and loses none', async () => {
      const builds = await Promise.all(Array.from({ length: 40 }, () => small.createBuild()));
      const answers = await Promise.all(
        builds.map((b) => small.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from: 1, events: sampleEvents(1, 50) } })),
      );
      const refused = answers.filter((a) => a.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) {
        expect(r.body.code).toBe('overloaded');
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      // A refused batch wrote nothing; retrying it commits it.
      for (const [i, b] of builds.entries()) {
        let answer = answers[i]!;
        while (answer.status === 503) {
          answer = await small.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from: 1, events: sampleEvents(1, 50) } });
        }
        expect(answer.body.ack).toBe(50);
      }
    });

    it('refuses with 503 overloaded once the queued event data passes RUNLOG_COMMIT_QUEUE_MAX_BYTES, however few the appends', async () => {
      // 30 appends of 20 KiB against 64 KiB queued: the count bound (1 024) is never near.
      const events = [{ type: 'log', data: { stream: 'stdout', line: 'x'.repeat(20 * 1024) } }];
      const builds = await Promise.all(Array.from({ length: 30 }, () => narrow.createBuild()));
      const answers = await Promise.all(builds.map((b) => narrow.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from: 1, events } })));
      const refused = answers.filter((a) => a.status === 503);
      expect(refused.length).toBeGreaterThan(0);
      for (const r of refused) expect(r.body.code).toBe('overloaded');
      for (const [i, b] of builds.entries()) {
        let answer = answers[i]!;
        while (answer.status === 503) answer = await narrow.api(`/v1/builds/${b.buildId}/events`, { token: b.runner, body: { from: 1, events } });
        expect(answer.body.ack).toBe(1);
      }
      expect(metric((await narrow.api('/metrics', { token: null })).body, 'runlog_commit_queue_bytes')).toBe(0);
    });
  });
}

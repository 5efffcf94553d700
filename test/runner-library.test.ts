// runner-client against a real server: every event through the library lands exactly once, in
// order, with the digest the runner computed, on every backend.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainDigests } from '../protocol/hash-chain.js';
import { openRunner, type RunnerStatus } from '../runner-client/index.js';
import { BACKENDS } from './support/backends.js';
import { startTestServer, type TestServer } from './support/test-server.js';
import { readLog } from './support/runner-harness.js';

for (const backend of BACKENDS) {
  describe.skipIf(backend.unavailable !== undefined)(`runner library on ${backend.name}`, () => {
    let server: TestServer;
    let spoolDir: string;
    beforeAll(async () => {
      server = await startTestServer(backend);
      spoolDir = await mkdtemp(join(tmpdir(), 'runlog-spool-'));
    });
    afterAll(async () => {
      await server?.stop();
      await rm(spoolDir, { recursive: true, force: true });
    });

    it('uploads 10 000 events exactly once and in order, and finishes with a matching digest', async () => {
      const { buildId, runner: token, viewer } = await server.createBuild();
      const runner = await openRunner({ url: server.url, buildId, token, spoolDir });
      const states: RunnerStatus[] = [];
      runner.on('status', (s) => states.push(s));
      const seqs: number[] = [];
      let emits: Array<Promise<number>> = [];
      for (let i = 1; i <= 10_000; i++) {
        emits.push(runner.emit('log', { stream: 'stdout', line: `line ${i}` }));
        // Await in chunks, as an emitter that respects backpressure does.
        if (i % 500 === 0) {
          seqs.push(...(await Promise.all(emits)));
          emits = [];
        }
      }
      expect(seqs).toEqual(Array.from({ length: 10_000 }, (_, i) => i + 1));
      const { final, digest } = await runner.finish({ status: 'succeeded' });
      expect(final).toBe(10_001);
      const stats = runner.stats();
      await runner.close();

      const log = await readLog(server, buildId, viewer);
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 10_001 }, (_, i) => i + 1));
      expect(log.slice(0, 10_000).map((e) => (e.data as { line: string }).line)).toEqual(Array.from({ length: 10_000 }, (_, i) => `line ${i + 1}`));
      expect(log.at(-1)).toMatchObject({ type: 'finish', data: { status: 'succeeded' } });
      expect(digest).toBe(chainDigests('', log));
      const build = (await server.api(`/v1/builds/${buildId}`, { token: viewer })).body;
      expect(build).toMatchObject({ status: 'complete', ack: 10_001, final: 10_001, digest });
      expect(stats).toMatchObject({ ack: 10_001, pending: 0, state: 'online', stopped: null });
      // K batches in flight coalesce: far fewer requests than events.
      expect(stats.requests).toBeLessThan(2_000);
      expect(states.at(-1)).toMatchObject({ ack: 10_001, pending: 0 });
      // Everything acked: the spool holds its meta only.
      expect((await readdir(join(spoolDir, buildId))).sort()).toEqual(['meta.json']);
    });

    it('moves a build to a new runner with takeover: the old one is fenced off, the log continues at the ack', async () => {
      const { buildId, runner: token, viewer } = await server.createBuild();
      const first = await openRunner({ url: server.url, buildId, token, spoolDir: join(spoolDir, 'first') });
      for (let i = 1; i <= 10; i++) await first.emit('log', { stream: 'stdout', line: `old ${i}` });
      await first.flush();

      const second = await openRunner({ url: server.url, buildId, token, spoolDir: join(spoolDir, 'second'), takeover: true });
      expect(second.stats()).toMatchObject({ epoch: 1, ack: 10, emitted: 10 });
      for (let i = 11; i <= 15; i++) expect(await second.emit('log', { stream: 'stdout', line: `new ${i}` })).toBe(i);
      const { final, digest } = await second.finish();
      expect(final).toBe(16);

      // The old runner still thinks the build is its own; the server says otherwise.
      await first.emit('log', { stream: 'stdout', line: 'old 11' });
      await expect(first.flush()).rejects.toMatchObject({ code: 'stale_epoch', status: 403 });
      await first.close();
      await second.close();

      const log = await readLog(server, buildId, viewer);
      expect(log.map((e) => (e.type === 'log' ? (e.data as { line: string }).line : e.type))).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `old ${i + 1}`),
        ...Array.from({ length: 5 }, (_, i) => `new ${i + 11}`),
        'finish',
      ]);
      expect(digest).toBe(chainDigests('', log));
      expect((await server.api(`/v1/builds/${buildId}`, { token: viewer })).body).toMatchObject({ epoch: 1, status: 'complete' });
      // A complete build cannot be taken over.
      await expect(openRunner({ url: server.url, buildId, token, spoolDir: join(spoolDir, 'third'), takeover: true })).rejects.toMatchObject({ code: 'build_closed' });
    });

    it('continues a closed spool where it left off, and refuses emits after finish and after close', async () => {
      const { buildId, runner: token, viewer } = await server.createBuild();
      const dir = join(spoolDir, 'reopen');
      const a = await openRunner({ url: server.url, buildId, token, spoolDir: dir });
      expect(await a.emit('start')).toBe(1);
      await a.close();
      await expect(a.emit('log')).rejects.toMatchObject({ code: 'runner_closed' });
      const b = await openRunner({ url: server.url, buildId, token, spoolDir: dir });
      expect(await b.emit('status', { phase: 'x' })).toBe(2);
      await b.finish();
      await expect(b.emit('log')).rejects.toMatchObject({ code: 'runner_finished' });
      await b.close();
      const c = await openRunner({ url: server.url, buildId, token, spoolDir: dir });
      await expect(c.finish()).rejects.toMatchObject({ code: 'runner_finished' });
      await c.flush();
      await c.close();
      expect((await readLog(server, buildId, viewer)).map((e) => e.type)).toEqual(['start', 'status', 'finish']);
    });
  });
}

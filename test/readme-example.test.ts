// The README's vitest example, verbatim: readme-walkthrough.test.ts checks the two are equal.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRunner } from '@runlog/runner';
import { startRunlog, type RunningRunlog } from 'runlog/testing';

let runlog: RunningRunlog;
beforeAll(async () => {
  runlog = await startRunlog(); // in-memory database; pass { databaseUrl } to use PostgreSQL
});
afterAll(async () => {
  await runlog.stop();
});

it('records what my build step emits, in order', async () => {
  const { buildId, runnerToken, viewerToken } = await runlog.createBuild('step-1');
  const runner = await openRunner({
    url: runlog.url,
    buildId,
    token: runnerToken,
    spoolDir: await mkdtemp(path.join(tmpdir(), 'runlog-spool-')),
  });
  await runner.emit('start', {});
  await runner.emit('log', { stream: 'stdout', line: 'compiling' });
  const { final } = await runner.finish({ status: 'succeeded' });
  await runner.close();

  const res = await fetch(`${runlog.url}/v1/builds/${buildId}/state`, {
    headers: { Authorization: `Bearer ${viewerToken}` },
  });
  const { seq, state } = await res.json();
  expect(seq).toBe(final);
  expect(state.status).toBe('succeeded');
  expect(state.logs.tail.map((l: { line: string }) => l.line)).toEqual(['compiling']);
});

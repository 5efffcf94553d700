// What a team writes to test its own code that sends builds to runlog: a real server per file
// from runlog/testing, the code under test using @runlog/runner, the result read back.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openRunner } from '@runlog/runner';
import { startRunlog, type RunningRunlog } from 'runlog/testing';

let runlog: RunningRunlog;
beforeAll(async () => {
  runlog = await startRunlog();
});
afterAll(async () => {
  await runlog.stop();
});

it('records every line my build step sends, in order', async () => {
  const { buildId, runnerToken, viewerToken } = await runlog.createBuild();
  const runner = await openRunner({ url: runlog.url, buildId, token: runnerToken, spoolDir: await mkdtemp(join(tmpdir(), 'spool-')) });
  await runner.emit('log', { stream: 'stdout', line: 'compiling' });
  await runner.emit('log', { stream: 'stdout', line: 'done' });
  await runner.finish({ status: 'succeeded' });
  await runner.close();

  const response = await fetch(`${runlog.url}/v1/builds/${buildId}/events`, { headers: { authorization: `Bearer ${viewerToken}` } });
  const { events } = await response.json();
  expect(events.map((e: { type: string }) => e.type)).toEqual(['log', 'log', 'finish']);
  expect(events[1].data.line).toBe('done');
});

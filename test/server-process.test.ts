// `npm start` as a user runs it: configuration errors name the variable, the first start
// generates and prints the admin token's file, and acked events survive kill -9 on PGlite.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleEvents } from './support/test-server.js';
import { runServerExpectingFailure, startServerProcess } from './support/server-process.js';

describe('the server process', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-proc-'));
  });
  afterAll(async () => rm(dataDir, { recursive: true, force: true }));

  it('refuses a bad configuration with a message naming the variable', async () => {
    for (const [name, value] of [
      ['PORT', 'eighty'],
      ['PORT', '70000'],
      ['DATABASE_URL', 'mysql://x'],
      ['RUNLOG_MAX_GAP', '-1'],
      ['RUNLOG_LOG_LEVEL', 'loud'],
    ] as const) {
      const { code, stderr } = await runServerExpectingFailure({ [name]: value, RUNLOG_DATA_DIR: dataDir });
      expect(code, name).toBe(2);
      expect(stderr).toContain(name);
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  it('prints its URL, a dashboard link and the generated admin token file; keeps acked events across kill -9', async () => {
    const first = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: dataDir });
    const tokenFile = path.join(path.resolve(dataDir), 'admin-token');
    expect(first.stdout()).toContain(`stored in ${tokenFile}`);
    expect(first.stdout()).toMatch(/dashboard: http:\/\/127\.0\.0\.1:\d+\/\?token=rl1\./);
    const admin = (await readFile(tokenFile, 'utf8')).trim();
    const auth = { authorization: `Bearer ${admin}`, 'content-type': 'application/json' };
    const created = await (await fetch(`${first.url}/v1/builds`, { method: 'POST', headers: auth, body: JSON.stringify({ buildId: 'durable' }) })).json();
    const runner = { authorization: `Bearer ${created.tokens.runner}`, 'content-type': 'application/json' };
    let ack = 0;
    for (let from = 1; from <= 200; from += 20) {
      const res = await fetch(`${first.url}/v1/builds/durable/events`, { method: 'POST', headers: runner, body: JSON.stringify({ from, events: sampleEvents(from, 20) }) });
      ack = (await res.json()).ack;
    }
    expect(ack).toBe(200);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');

    const second = await startServerProcess({ PORT: '0', RUNLOG_DATA_DIR: dataDir });
    try {
      expect(second.stdout()).not.toContain('admin token');
      const log = await (await fetch(`${second.url}/v1/builds/durable/events?limit=1000`, { headers: { authorization: `Bearer ${created.tokens.viewer}` } })).json();
      expect(log.ack).toBe(200);
      expect(log.events.map((e: { seq: number }) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    } finally {
      expect(await second.stop('SIGTERM')).toBe(0);
    }
  });
});

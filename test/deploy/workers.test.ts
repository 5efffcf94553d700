// RUNLOG_WORKERS: the compiled bin as a cluster on PostgreSQL — both workers serve the one port,
// a worker killed with -9 is replaced, the metric counts the workers alive, and SIGTERM stops
// them all gracefully.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES, newSchemaName } from '../support/backends.js';
import { startServerProcess, type ServerProcess } from '../support/server-process.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET } from '../support/test-server.js';

/** The pids of a process's live children (the cluster's workers), from /proc. */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid && state !== 'Z') children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

async function metric(url: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

describe.skipIf(POSTGRES.unavailable !== undefined)('RUNLOG_WORKERS=2 on PostgreSQL', () => {
  let server: ServerProcess;
  let dataDir: string;
  const schema = newSchemaName();

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-workers-'));
    server = await startServerProcess({
      PORT: '0',
      RUNLOG_WORKERS: '2',
      DATABASE_URL: process.env.TEST_DATABASE_URL!,
      RUNLOG_DB_SCHEMA: schema,
      RUNLOG_DATA_DIR: dataDir,
      RUNLOG_SECRET: TEST_SECRET,
      RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      RUNLOG_LOG_LEVEL: 'info',
    });
  });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    for (const pid of server ? childPids(server.child.pid!) : []) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
  });

  it('prints one URL for the cluster and serves it from both workers, each counting the workers alive', async () => {
    expect(server.stdout()).toMatch(/runlog listening on http:\/\/127\.0\.0\.1:\d+ \(database: PostgreSQL, 2 workers\)/);
    expect(childPids(server.child.pid!)).toHaveLength(2);
    const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json', connection: 'close' };
    const created = await (await fetch(`${server.url}/v1/builds`, { method: 'POST', headers: auth, body: JSON.stringify({ buildId: 'clustered' }) })).json();
    // New connections are spread over the workers; every worker's request log names its pid.
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${server.url}/v1/builds/clustered/events`, {
        method: 'POST',
        headers: { ...auth, authorization: `Bearer ${created.tokens.runner}` },
        body: JSON.stringify({ from: i + 1, events: [{ type: 'log', data: { line: String(i) } }] }),
      });
      expect(res.status).toBe(200);
    }
    const workerPids = new Set(
      server
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"msg":"request"') && l.includes('/events'))
        .map((l) => (JSON.parse(l) as { pid: number }).pid),
    );
    expect([...workerPids].sort()).toEqual(childPids(server.child.pid!).sort());
    expect(await metric(server.url, 'runlog_workers_alive')).toBe(2);
  });

  it('replaces a worker killed with -9, and stops every worker on SIGTERM with exit 0', async () => {
    const before = childPids(server.child.pid!);
    process.kill(before[0]!, 'SIGKILL');
    let after: number[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      after = childPids(server.child.pid!);
      if (after.length === 2 && !after.includes(before[0]!)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(after).toHaveLength(2);
    expect(after).not.toContain(before[0]);
    // The replacement listens and the port keeps answering (the survivor meanwhile).
    const deadlineReady = Date.now() + 30_000;
    let alive: number | undefined;
    while (Date.now() < deadlineReady) {
      alive = await metric(server.url, 'runlog_workers_alive').catch(() => undefined);
      if (alive === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(alive).toBe(2);
    const log = await (await fetch(`${server.url}/v1/builds/clustered/events?limit=100`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })).json();
    expect(log.ack).toBe(40);

    const workers = childPids(server.child.pid!);
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(childPids(server.child.pid!)).toEqual([]);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});

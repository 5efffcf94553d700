// Several compiled `runlog` bins on one PostgreSQL schema, each on a port of its own that it keeps
// across restarts (nginx's upstream lists them), for the deployment scenarios: kill one with -9,
// stop one with SIGTERM and start it again.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { newSchemaName } from '../../support/backends.js';
import { freePort } from '../../support/runner-harness.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { TEST_ADMIN_TOKEN, TEST_SECRET } from '../../support/test-server.js';

export interface Instance {
  readonly port: number;
  readonly url: string;
  /** The running process, or undefined while it is down. */
  process(): ServerProcess | undefined;
  /** Every log line (JSON) the instance's processes wrote to stdout/stderr, across restarts. */
  logs(): string;
  start(): Promise<void>;
  /** Sends the signal and waits for the exit; resolves with the exit code or signal name. */
  stop(signal: NodeJS.Signals): Promise<number | string>;
}

export interface InstanceFleet {
  readonly instances: readonly Instance[];
  readonly adminToken: string;
  readonly schema: string;
  stop(): Promise<void>;
}

export async function startInstanceFleet(count: number, databaseUrl: string, extraEnv: Record<string, string> = {}): Promise<InstanceFleet> {
  const schema = newSchemaName();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'runlog-fleet-'));
  const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
  const instances = ports.map((port): Instance => {
    let current: ServerProcess | undefined;
    let logs = '';
    return {
      port,
      url: `http://127.0.0.1:${port}`,
      process: () => current,
      logs: () => logs + (current ? current.stdout() + current.stderr() : ''),
      async start() {
        current = await startServerProcess({
          PORT: String(port),
          DATABASE_URL: databaseUrl,
          RUNLOG_DB_SCHEMA: schema,
          RUNLOG_DATA_DIR: dataDir,
          RUNLOG_SECRET: TEST_SECRET,
          RUNLOG_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
          RUNLOG_PING_INTERVAL_MS: '1000',
          ...extraEnv,
        });
      },
      async stop(signal) {
        const proc = current;
        if (!proc) return 'not running';
        const result = await proc.stop(signal);
        logs += proc.stdout() + proc.stderr();
        current = undefined;
        return result;
      },
    };
  });
  // The first migrates the empty schema; the others start alongside (migrations take turns).
  await Promise.all(instances.map((i) => i.start()));
  return {
    instances,
    adminToken: TEST_ADMIN_TOKEN,
    schema,
    async stop() {
      await Promise.all(instances.map((i) => i.stop('SIGKILL')));
      await rm(dataDir, { recursive: true, force: true });
      const pg = await import('pg');
      const client = new pg.default.Client({ connectionString: databaseUrl });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(() => client.end());
    },
  };
}

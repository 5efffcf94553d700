// Start-up of the compiled bins as users run them, against a bare `node -e 0` measured in the
// same run (the machine's own floor): `runlog-runner --help`, and `runlog` from spawn to a 200
// from /readyz on PostgreSQL (a fresh schema each time, so migrations run as on a first start).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { BENCH_ADMIN_TOKEN, SERVER_BIN, type BenchDatabase } from './server-under-test.js';

const RUNNER_BIN = fileURLToPath(new URL('../../runner-client/bin/runlog-runner.js', import.meta.url));

export interface StartupFigures {
  /** Median milliseconds of `node -e 0`. */
  readonly nodeFloorMs: number;
  readonly runnerHelpMs: number;
  readonly serverReadyMs: number;
}

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function timeProcess(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

async function timeServerReady(database: BenchDatabase): Promise<number> {
  const schema = `st_${randomBytes(5).toString('hex')}`;
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, [SERVER_BIN], {
    env: { ...process.env, PORT: '0', DATABASE_URL: database.url, RUNLOG_DB_SCHEMA: schema, RUNLOG_ADMIN_TOKEN: BENCH_ADMIN_TOKEN, RUNLOG_SECRET: 'bench-secret-0123456789abcdef0123456789abcdef', RUNLOG_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`runlog exited ${code}`)));
    });
    for (;;) {
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res?.status === 200) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await database.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

export async function measureStartup(database: BenchDatabase, runs = 7): Promise<StartupFigures> {
  const floor: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(await timeProcess(['-e', '0']));
    help.push(await timeProcess([RUNNER_BIN, '--help']));
  }
  const ready: number[] = [];
  for (let i = 0; i < Math.max(3, Math.floor(runs / 2)); i++) ready.push(await timeServerReady(database));
  return { nodeFloorMs: median(floor), runnerHelpMs: median(help), serverReadyMs: median(ready) };
}

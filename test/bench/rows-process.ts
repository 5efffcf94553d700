// Rows about processes rather than load: idle memory after `npm start` on a fresh data
// directory (whole process tree: npm and the server, which the start script's shell execs), the runner library's emit rate
// into its spool, and start-up times of the compiled bins.
import { readFileSync } from 'node:fs';
import { int, ms, ratio, type RowResult } from './bench-row.js';
import type { LoadPool } from './load-pool.js';
import { processTree, startBenchServer, type BackendName, type BenchDatabase, type BenchServer } from './server-under-test.js';
import { measureStartup } from './startup.js';

export interface IdleWatch {
  readonly backend: BackendName;
  readonly server: BenchServer;
  readonly startedAt: number;
  /** RSS samples, MiB, one a second: [whole tree, server process alone]. */
  readonly samples: Array<[number, number]>;
  readonly timer: NodeJS.Timeout;
}

/** The node process running the bin (not npm's shell, whose command line names it too). */
function serverPid(root: number): number {
  for (const pid of processTree(root)) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)node$/.test(argv[0]!) && argv.some((a) => a.endsWith('bin/runlog.js'))) return pid;
    } catch {
      // gone
    }
  }
  return root;
}

function rssOf(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** Starts `npm start` on a fresh data directory (or schema) and samples its memory every second. */
export async function startIdleWatch(backend: BackendName, database: BenchDatabase): Promise<IdleWatch> {
  const startedAt = performance.now();
  const server = await startBenchServer({ backend, database: backend === 'postgres' ? database : undefined, npmStart: true });
  const samples: Array<[number, number]> = [];
  const timer = setInterval(() => samples.push([server.rssMiB(), rssOf(serverPid(server.pid))]), 1000);
  return { backend, server, startedAt, samples, timer };
}

export async function finishIdleWatch(watch: IdleWatch, seconds: number): Promise<RowResult> {
  const wait = watch.startedAt + seconds * 1000 - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  clearInterval(watch.timer);
  const tree = watch.server.rssMiB();
  const alone = rssOf(serverPid(watch.server.pid));
  const peak = Math.max(tree, ...watch.samples.map((s) => s[0]));
  await watch.server.stop();
  const target = watch.backend === 'pglite' ? 300 : 120;
  const name = watch.backend === 'pglite' ? 'embedded default (PGlite)' : 'PostgreSQL';
  return {
    id: `idle-${watch.backend}`,
    title: `idle RSS ${seconds} s after \`npm start\` on a fresh ${watch.backend === 'pglite' ? 'data dir' : 'schema'}, ${name}`,
    figure: `${int(tree)} MiB whole tree (server alone ${int(alone)} MiB); peak ${int(peak)} MiB`,
    target: `≤ ${target} MiB whole tree`,
    met: tree <= target,
    note: 'tree = npm and the server',
    values: { treeMiB: tree, serverMiB: alone, peakTreeMiB: peak, seconds },
  };
}

export async function emitRow(pool: LoadPool, database: BenchDatabase, events: number, spoolDir: string): Promise<RowResult> {
  const server = await startBenchServer({ backend: 'postgres', database });
  try {
    const build = await server.createBuild();
    const [result] = await pool.runTogether([{ kind: 'emit', url: server.url, runner: { buildId: build.buildId, token: build.runner, from: 1 }, spoolDir, events, eventBytes: 150 }]);
    if (result!.figures.kind !== 'emit') throw new Error('unexpected figures');
    const e = result!.figures.emit;
    const rate = e.events / (e.emitUs / 1e6);
    return {
      id: 'runner-emit',
      title: 'runner library `emit()` into the spool, default durability (group), uploading to the server meanwhile',
      figure: `${int(rate)} events/s; all acked after ${ms(e.flushedUs / 1000)}`,
      target: '≥ 200 000 events/s',
      met: rate >= 200_000,
      clientCpu: result!.cpu.cpuSeconds / result!.cpu.wallSeconds,
      note: `${int(e.events)} events of ~150 B, compiled @runlog/runner`,
      values: { eventsPerSecond: rate, events: e.events, flushedMs: e.flushedUs / 1000 },
    };
  } finally {
    await server.stop();
  }
}

export async function startupRows(database: BenchDatabase, runs: number): Promise<RowResult[]> {
  const s = await measureStartup(database, runs);
  return [
    { id: 'startup-node', title: 'start-up: `node -e 0` (the floor)', figure: ms(s.nodeFloorMs), note: `median of ${runs}`, values: { ms: s.nodeFloorMs } },
    {
      id: 'startup-runner-help',
      title: 'start-up: `runlog-runner --help`',
      figure: `${ms(s.runnerHelpMs)} (${ratio(s.runnerHelpMs / s.nodeFloorMs)} node)`,
      target: '≤ 150 ms',
      met: s.runnerHelpMs <= 150,
      values: { ms: s.runnerHelpMs },
    },
    {
      id: 'startup-server',
      title: 'start-up: `runlog` to a ready `/readyz` on PostgreSQL (migrations included)',
      figure: `${ms(s.serverReadyMs)} (${ratio(s.serverReadyMs / s.nodeFloorMs)} node)`,
      target: '≤ 1.5 s',
      met: s.serverReadyMs <= 1500,
      values: { ms: s.serverReadyMs },
    },
  ];
}

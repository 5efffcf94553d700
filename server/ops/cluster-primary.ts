// RUNLOG_WORKERS > 1: the primary process of a `node:cluster`. It forks that many workers — each
// a full runlog instance on the shared PostgreSQL, all accepting on one port — restarts a worker
// that dies, tells the workers how many are alive (the `runlog_workers_alive` metric), and on
// SIGTERM/SIGINT forwards the signal so each worker stops gracefully, then exits.
//
//   start ──► fork N ──► all listening: print the URL
//                │
//   worker exit ─┴─► stopping? ──no──► fork a replacement (after a short, growing pause)
//                        │yes
//                        └──► all gone: exit 0 (1 if one failed to stop cleanly)
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';

/** Messages between the primary and its workers. */
export type ClusterMessage = { readonly runlog: 'workers-alive'; readonly alive: number };

export function isClusterMessage(value: unknown): value is ClusterMessage {
  return typeof value === 'object' && value !== null && (value as { runlog?: unknown }).runlog === 'workers-alive';
}

export interface PrimaryOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Called once, when every first-generation worker is listening, with the shared port. */
  readonly onListening: (port: number) => void;
}

/** A crash loop gets slower restarts: 100 ms doubling to 5 s, reset once a worker lives 10 s. */
const RESTART = { firstMs: 100, maxMs: 5000, healthyMs: 10_000 } as const;

export function runPrimary(options: PrimaryOptions): void {
  const { logger } = options;
  let stopping = false;
  let failedStops = 0;
  let restartDelayMs: number = RESTART.firstMs;
  let announced = false;
  const listening = new Set<number>();
  const startedAt = new Map<number, number>();

  const broadcast = () => {
    const alive = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined && !w.isDead()).length;
    for (const worker of Object.values(cluster.workers ?? {})) {
      if (worker?.isConnected()) worker.send({ runlog: 'workers-alive', alive } satisfies ClusterMessage, undefined, () => {});
    }
  };

  const fork = (): Worker => {
    const worker = cluster.fork();
    startedAt.set(worker.id, Date.now());
    worker.on('listening', (address: AddressInfo) => {
      listening.add(worker.id);
      broadcast();
      if (!announced && listening.size >= options.workers) {
        announced = true;
        options.onListening(address.port);
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    broadcast();
    if (stopping) {
      if (code !== 0) failedStops++;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failedStops > 0 ? 1 : 0);
      return;
    }
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    restartDelayMs = lived > RESTART.healthyMs ? RESTART.firstMs : Math.min(RESTART.maxMs, restartDelayMs * 2);
    logger.warn({ pid: worker.process.pid, code, signal, restartInMs: restartDelayMs }, 'worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, restartDelayMs);
  });

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down the workers');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    if (workers.length === 0) process.exit(0);
    for (const worker of workers) worker.process.kill(signal);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  for (let i = 0; i < options.workers; i++) fork();
}

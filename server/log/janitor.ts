// Retention and purging (README §Deploying, retention): deletes builds that had no append for
// longer than the retention, and removes deleted builds' events in small batches — one
// transaction of at most `purgeBatchEvents` rows each, yielding between them — so appends and
// reads of other builds never wait behind one huge DELETE. One instance at a time does it: the
// run holds a database lock, and an instance that finds it taken skips its turn.
//
//   timer (every sweepIntervalMs) ─┐
//   a build deleted (hub notice) ──┴─► run: try lock ─taken─► skip
//                                        │ got it
//                                        ▼
//                         expire: idle builds → delete row, announce (readers: 404 / stream ends)
//                                        ▼
//                         purge: batch after batch until no purge record is left → unlock
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../db/database.js';
import type { LogEngine } from './log-engine.js';

export interface JanitorOptions {
  /** Builds idle longer than this are deleted; undefined: only purge what others deleted. */
  readonly retentionMs: number | undefined;
  readonly sweepIntervalMs: number;
  /** Events one purge transaction deletes at most. @default 2000 */
  readonly purgeBatchEvents?: number;
  /** The lock's name: one janitor per deployment (schema). */
  readonly lockName: string;
  /** Called after every purge transaction with what it removed (metrics, tests). */
  readonly onPurged?: (buildId: string, events: number) => void;
  /** Called for every build retention deleted. */
  readonly onExpired?: (buildId: string) => void;
  readonly onRun?: (result: JanitorRun) => void;
  readonly onError?: (error: unknown) => void;
}

export const JanitorDefaults = {
  purgeBatchEvents: 2000, // a few ms of DELETE: the longest any other statement waits for it
  expireBatchBuilds: 100, // builds looked up per query while expiring
} as const;

export interface JanitorRun {
  /** False when another instance held the lock: this run did nothing. */
  readonly ran: boolean;
  readonly buildsExpired: number;
  readonly eventsPurged: number;
  readonly batches: number;
}

export class Janitor {
  readonly #engine: LogEngine;
  readonly #database: Database;
  readonly #options: JanitorOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<JanitorRun> | undefined;
  /** A deletion arrived during a run: run again after it. */
  #again = false;
  #stopped = false;
  /** Kicks (timer, deletions) only run it once started; `run()` always does. */
  #started = false;
  readonly #unsubscribe: () => void;

  constructor(engine: LogEngine, database: Database, options: JanitorOptions) {
    this.#engine = engine;
    this.#database = database;
    this.#options = options;
    this.#unsubscribe = engine.hub.subscribeAll((notice) => {
      if (notice.kind === 'deleted') this.kick();
    });
  }

  start(): void {
    this.#started = true;
    this.#timer = setInterval(() => this.kick(), this.#options.sweepIntervalMs);
    this.#timer.unref();
    this.kick();
  }

  /** Runs soon, unless a run is going on (then once more after it). */
  kick(): void {
    if (this.#stopped || !this.#started) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    void this.run().catch((error: unknown) => this.#options.onError?.(error));
  }

  /** One run now (or joins the one in progress): expire, then purge everything queued. */
  run(): Promise<JanitorRun> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.kick();
      }
    });
    return this.#running;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#unsubscribe();
    await this.#running?.catch(() => {});
  }

  async #run(): Promise<JanitorRun> {
    const release = await this.#database.tryLock(this.#options.lockName);
    if (!release) {
      const skipped = { ran: false, buildsExpired: 0, eventsPurged: 0, batches: 0 };
      this.#options.onRun?.(skipped);
      return skipped;
    }
    try {
      const buildsExpired = await this.#expire();
      const { events, batches } = await this.#purge();
      const result = { ran: true, buildsExpired, eventsPurged: events, batches };
      this.#options.onRun?.(result);
      return result;
    } finally {
      await release();
    }
  }

  async #expire(): Promise<number> {
    const retentionMs = this.#options.retentionMs;
    if (retentionMs === undefined) return 0;
    const cutoff = new Date(Date.now() - retentionMs);
    let expired = 0;
    for (;;) {
      if (this.#stopped) return expired;
      const ids = await this.#engine.store.idleBuilds(cutoff, JanitorDefaults.expireBatchBuilds);
      let deleted = 0;
      for (const buildId of ids) {
        // Checked again inside the delete: an append since the lookup keeps the build.
        if (await this.#engine.expireBuild(buildId, cutoff)) {
          deleted++;
          this.#options.onExpired?.(buildId);
        }
      }
      expired += deleted;
      if (ids.length < JanitorDefaults.expireBatchBuilds || deleted === 0) return expired;
    }
  }

  async #purge(): Promise<{ events: number; batches: number }> {
    const max = this.#options.purgeBatchEvents ?? JanitorDefaults.purgeBatchEvents;
    let events = 0;
    let batches = 0;
    while (!this.#stopped) {
      const batch = await this.#engine.store.purgeBatch(max);
      if (!batch) break;
      batches++;
      events += batch.events;
      this.#options.onPurged?.(batch.buildId, batch.events);
      // Yield to the event loop (and, on PGlite, let queued statements take the connection).
      await sleep(0);
    }
    return { events, batches };
  }
}

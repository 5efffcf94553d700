// Runner presence on the server (PROTOCOL §Runner presence): takes each runner report (from a
// heartbeat or an append's `Runlog-Runner` header), stores it at most once per interval per
// build, and tells readers here and on other instances through the hub. Readers get the stored
// presence with the Build, and changes as `event: runner` frames.
import type { Logger } from 'pino';
import type { RunnerPresence, RunnerReport } from '../../protocol/wire-types.js';
import type { Hub } from '../log/hub.js';
import { PresenceThrottle, type ThrottleClock, type WriteOutcome } from './presence-throttle.js';
import type { PresenceStore, PresenceSummary } from './presence-store.js';

export interface PresenceTrackerOptions {
  readonly logger: Logger;
  /** Every report offered, with what became of it (metrics). */
  readonly onReport?: (outcome: WriteOutcome | 'deferred') => void;
  /** Tests replace the clock. */
  readonly clock?: ThrottleClock;
}

/** How far two readings of the time may disagree (timers and the wall clock; instances' clocks). */
const CLOCK_SLACK_MS = 25;

/**
 * The write window of a runner reporting every `intervalMs`: the interval less a quarter (at
 * most 1 s) for the network's jitter. An idle runner's heartbeats come once per interval, give
 * or take its latency; with a window of exactly one interval, one that came a few ms early
 * would be held nearly a whole interval, and so would every one after it, putting the stored
 * lastSeenAt two intervals behind. With the allowance each heartbeat is written as it arrives,
 * and a busy runner's reports are still written about once per interval, never per append.
 */
export function writeWindowMs(intervalMs: number): number {
  return intervalMs - Math.min(Math.floor(intervalMs / 4), 1000);
}

interface Offered {
  readonly generation: string | undefined;
  readonly report: RunnerReport;
  readonly seenAt: Date;
}

export class PresenceTracker {
  readonly #store: PresenceStore;
  readonly #hub: Hub;
  readonly #options: PresenceTrackerOptions;
  readonly #throttle: PresenceThrottle<Offered>;
  readonly #unsubscribe: () => void;

  constructor(store: PresenceStore, hub: Hub, options: PresenceTrackerOptions) {
    this.#store = store;
    this.#hub = hub;
    this.#options = options;
    this.#throttle = new PresenceThrottle<Offered>(
      (buildId, offered, slot) => this.#write(buildId, offered, slot),
      (error) => options.logger.warn({ err: error }, 'runner presence write failed'),
      options.clock,
    );
    // A deleted build's held report must not land on a build created again with its id.
    this.#unsubscribe = hub.subscribeAll((notice) => {
      if (notice.kind === 'deleted') this.#throttle.drop(notice.buildId);
    });
  }

  /** Builds with a write window open right now (for leak checks). */
  get openWindows(): number {
    return this.#throttle.size;
  }

  /**
   * Takes a report the server just accepted. Resolves once it is stored when it is the first of
   * its window; a later one in the window is held and written when the window ends.
   */
  async report(buildId: string, generation: string | undefined, report: RunnerReport, seenAt: Date = new Date()): Promise<void> {
    const outcome = await this.#throttle.offer(buildId, { generation, report, seenAt }, writeWindowMs(report.intervalMs));
    if (outcome === 'deferred') this.#options.onReport?.('deferred');
  }

  of(buildId: string): Promise<RunnerPresence | null> {
    return this.#store.get(buildId);
  }

  ofMany(buildIds: readonly string[]): Promise<Map<string, RunnerPresence>> {
    return this.#store.getMany(buildIds);
  }

  summary(now: Date, seenWithinMs: number, horizonMs: number): Promise<PresenceSummary> {
    return this.#store.summary(now, seenWithinMs, horizonMs);
  }

  close(): void {
    this.#unsubscribe();
    this.#throttle.close();
  }

  async #write(buildId: string, offered: Offered, slot: number): Promise<WriteOutcome> {
    const outcome = await this.#store.write({
      buildId,
      generation: offered.generation,
      report: offered.report,
      seenAt: offered.seenAt,
      writtenAt: new Date(slot),
      // The local throttle keeps this instance to one write per slot; the guard in the database
      // holds other instances to it too, with a little slack for clocks that read a few ms apart.
      notWrittenAfter: new Date(slot - writeWindowMs(offered.report.intervalMs) + CLOCK_SLACK_MS),
    });
    this.#options.onReport?.(outcome);
    if (outcome === 'written') {
      const runner: RunnerPresence = { lastSeenAt: offered.seenAt.toISOString(), ...offered.report };
      // Readers learn of the stored report, never of one that was held or refused.
      await this.#hub.announce({ kind: 'presence', buildId, runner });
    }
    return outcome;
  }
}

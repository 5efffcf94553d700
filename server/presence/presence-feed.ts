// One SSE reader's share of a build's presence (PROTOCOL §Runner presence): the latest stored
// report not yet written to it, and a call (`onReport`) that cuts the reader's wait for events
// short when one arrives. Like the build cursor it holds one value, never a queue: a slow reader that
// misses three reports gets the newest one only.
import { SSE_RUNNER_EVENT, formatSseFrame } from '../../protocol/sse-frames.js';
import type { RunnerFrame, RunnerPresence } from '../../protocol/wire-types.js';
import type { Hub } from '../log/hub.js';
import type { PresenceTracker } from './presence-tracker.js';

/** `event: runner` with `data: {"buildId", "runner"}` and no `id:`. */
export function runnerFrame(buildId: string, runner: RunnerPresence): string {
  const frame: RunnerFrame = { buildId, runner };
  return formatSseFrame({ event: SSE_RUNNER_EVENT, data: JSON.stringify(frame) });
}

export class PresenceFeed {
  readonly #buildId: string;
  readonly #unsubscribe: () => void;
  #unsent: RunnerPresence | undefined;
  #lastSeenAt = '';
  readonly #onReport: () => void;

  private constructor(hub: Hub, buildId: string, onReport: () => void) {
    this.#buildId = buildId;
    this.#onReport = onReport;
    this.#unsubscribe = hub.subscribe(buildId, (notice) => {
      if (notice.kind === 'presence') this.#offer(notice.runner);
    });
  }

  /**
   * Subscribes first, then reads the stored presence: a stream starts with the current one.
   * `onReport` runs whenever a report starts waiting to be written.
   */
  static async open(hub: Hub, tracker: PresenceTracker, buildId: string, onReport: () => void): Promise<PresenceFeed> {
    const feed = new PresenceFeed(hub, buildId, onReport);
    try {
      const stored = await tracker.of(buildId);
      if (stored !== null) feed.#offer(stored);
    } catch (error) {
      feed.close();
      throw error;
    }
    return feed;
  }

  /** A report is waiting to be written: the reader must not wait for events first. */
  get waiting(): boolean {
    return this.#unsent !== undefined;
  }

  /** The frame of the report not yet written, or '' when there is none. */
  take(): string {
    const runner = this.#unsent;
    if (runner === undefined) return '';
    this.#unsent = undefined;
    return runnerFrame(this.#buildId, runner);
  }

  close(): void {
    this.#unsubscribe();
  }

  #offer(runner: RunnerPresence): void {
    // Notices from two instances can cross, and the stored report can arrive again as a notice:
    // never tell a reader of the same or an older report twice.
    if (runner.lastSeenAt <= this.#lastSeenAt) return;
    this.#lastSeenAt = runner.lastSeenAt;
    this.#unsent = runner;
    this.#onReport();
  }
}

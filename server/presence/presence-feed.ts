// One SSE reader's share of a build's presence (PROTOCOL §Runner presence): the latest stored
// report not yet written to it, and a signal that cuts the reader's wait for events short when
// one arrives. Like the build cursor it holds one value, never a queue: a slow reader that
// misses three reports gets the newest one only.
import { SSE_RUNNER_EVENT, formatSseFrame } from '../../protocol/sse-frames.js';
import type { RunnerFrame, RunnerPresence } from '../../protocol/wire-types.js';
import { anySignal } from '../http/any-signal.js';
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
  #wake: AbortController | undefined;

  private constructor(hub: Hub, buildId: string) {
    this.#buildId = buildId;
    this.#unsubscribe = hub.subscribe(buildId, (notice) => {
      if (notice.kind === 'presence') this.#offer(notice.runner);
    });
  }

  /** Subscribes first, then reads the stored presence: a stream starts with the current one. */
  static async open(hub: Hub, tracker: PresenceTracker, buildId: string): Promise<PresenceFeed> {
    const feed = new PresenceFeed(hub, buildId);
    try {
      const stored = await tracker.of(buildId);
      if (stored !== null) feed.#offer(stored);
    } catch (error) {
      feed.close();
      throw error;
    }
    return feed;
  }

  /**
   * A signal for one wait of the reader: aborts with `outer`, or as soon as a report is
   * waiting to be written (at once if one already is). `dispose` when the wait is over.
   */
  wakeSignal(outer: AbortSignal): { signal: AbortSignal; dispose: () => void } {
    const wake = new AbortController();
    this.#wake = wake;
    if (this.#unsent !== undefined) wake.abort();
    const combined = anySignal([outer, wake.signal]);
    return {
      signal: combined.signal,
      dispose: () => {
        combined.dispose();
        if (this.#wake === wake) this.#wake = undefined;
      },
    };
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
    this.#wake?.abort();
  }

  #offer(runner: RunnerPresence): void {
    // Notices from two instances can cross, and the stored report can arrive again as a notice:
    // never tell a reader of the same or an older report twice.
    if (runner.lastSeenAt <= this.#lastSeenAt) return;
    this.#lastSeenAt = runner.lastSeenAt;
    this.#unsent = runner;
    this.#wake?.abort();
  }
}

// Group commit (ARCHITECTURE §Group commit): appends that arrive while a transaction runs wait
// and go into the next one together — one fsync for many batches. The queue is bounded in
// appends and in bytes of event data: when it is full an append is refused at once with 503
// overloaded (PROTOCOL §Append rule 6), so memory stays flat however hard runners push, with
// batches of a few KiB or of 1 MiB.
//
// Builds are split over `lanes`, each committing its own groups one after another: a build
// always goes to the same lane, so its appends stay in order, and lanes never share a build,
// so their transactions never wait on each other's row locks. With one lane the server
// prepared a group while the database idled and waited while the database wrote it; two
// lanes overlap the two.
import type { AppendResponse } from '../../protocol/schemas.js';
import { isDatabaseUnreachable } from '../db/database.js';
import { OVERLOADED_RETRY_AFTER_SECONDS, ProblemError, unavailable } from '../errors.js';
import type { BuildAdvance, LogStore, PendingAppend } from './log-store.js';

export interface GroupCommitOptions {
  /** Appends waiting before new ones are refused. */
  readonly maxQueued: number;
  /** Characters of event data waiting before new appends are refused; an empty queue takes any one. */
  readonly maxQueuedBytes: number;
  /** Events one transaction takes at most. */
  readonly maxGroupEvents: number;
  /** Transactions that may run at once, on disjoint sets of builds. @default 1 */
  readonly lanes?: number;
  /**
   * Called with what each commit advanced, right after its appends are answered (in the same
   * turn, so notices keep commit order against deletions; readers wake in later turns).
   */
  readonly onCommitted: (advances: readonly BuildAdvance[]) => void;
  /** Called with each group's size and duration (metrics). */
  readonly onGroup?: (appends: number, events: number, durationMs: number) => void;
}

interface Waiting {
  readonly append: PendingAppend;
  readonly bytes: number;
  readonly resolve: (response: AppendResponse) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitter {
  readonly #store: LogStore;
  readonly #options: GroupCommitOptions;
  readonly #lanes: CommitLane[];
  #queued = 0;
  #queuedBytes = 0;
  #closed = false;

  constructor(store: LogStore, options: GroupCommitOptions) {
    this.#store = store;
    this.#options = options;
    this.#lanes = Array.from({ length: Math.max(1, options.lanes ?? 1) }, () => ({ queue: [], running: undefined }));
  }

  get queued(): number {
    return this.#queued;
  }

  /** Characters of event data waiting (what `maxQueuedBytes` bounds). */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  submit(append: PendingAppend): Promise<AppendResponse> {
    if (this.#closed) {
      return Promise.reject(new ProblemError('unavailable', 'The server is shutting down; retry on the next one.', { retryAfterSeconds: 1 }));
    }
    const bytes = dataBytes(append);
    if (this.#queued >= this.#options.maxQueued || (this.#queued > 0 && this.#queuedBytes + bytes > this.#options.maxQueuedBytes)) {
      return Promise.reject(
        new ProblemError('overloaded', 'The commit queue is full; retry later.', { retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS }),
      );
    }
    const lane = this.#lanes[this.#lanes.length === 1 ? 0 : laneOf(append.buildId, this.#lanes.length)]!;
    return new Promise<AppendResponse>((resolve, reject) => {
      lane.queue.push({ append, bytes, resolve, reject });
      this.#queued++;
      this.#queuedBytes += bytes;
      lane.running ??= this.#drain(lane);
    });
  }

  /** Refuses new appends and resolves once every queued one is committed and answered. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#lanes.map((lane) => lane.running));
  }

  async #drain(lane: CommitLane): Promise<void> {
    try {
      while (lane.queue.length > 0) await this.#commitNextGroup(lane);
    } finally {
      lane.running = undefined;
    }
  }

  async #commitNextGroup(lane: CommitLane): Promise<void> {
    // One turn of the event loop first: requests whose bodies arrived meanwhile join this group.
    // Without it an in-process database (PGlite answers through microtasks) commits one by one.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const group = this.#takeGroup(lane.queue);
    this.#queued -= group.length;
    for (const waiting of group) this.#queuedBytes -= waiting.bytes;
    const started = performance.now();
    let outcome;
    try {
      outcome = await this.#store.commit(
        group.map((w) => w.append),
        new Date(),
      );
    } catch (error) {
      const problem = error instanceof ProblemError ? error : isDatabaseUnreachable(error) ? unavailable(error) : error;
      for (const waiting of group) waiting.reject(problem);
      return;
    }
    const events = group.reduce((n, w) => n + w.append.batch.events.length, 0);
    this.#options.onGroup?.(group.length, events, performance.now() - started);
    outcome.results.forEach((result, i) => {
      const waiting = group[i]!;
      if (result.ok) waiting.resolve(result.response);
      else waiting.reject(result.problem);
    });
    // The answers are settled first; the readers this wakes run in later turns (Waker), so an
    // append's answer never waits for the fan-out its commit triggers.
    this.#options.onCommitted(outcome.advances);
  }

  /** At least one append, then more while they fit in `maxGroupEvents`. */
  #takeGroup(queue: Waiting[]): Waiting[] {
    let events = 0;
    let n = 0;
    while (n < queue.length) {
      const size = queue[n]!.append.batch.events.length;
      if (n > 0 && events + size > this.#options.maxGroupEvents) break;
      events += size;
      n++;
    }
    return queue.splice(0, n);
  }
}

/** What an append holds in memory while it waits, as far as it grows with the batch: its events' data. */
function dataBytes(append: PendingAppend): number {
  let bytes = 0;
  for (const event of append.batch.events) bytes += event.data.length;
  return bytes;
}

/** One lane's appends, in arrival order, and its commit loop while it runs. */
interface CommitLane {
  readonly queue: Waiting[];
  running: Promise<void> | undefined;
}

/** The lane of a build: a string hash (FNV-1a), the same for the build's every append. */
export function laneOf(buildId: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < buildId.length; i++) hash = Math.imul(hash ^ buildId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

// Group commit (ARCHITECTURE §Group commit): appends that arrive while a transaction runs wait
// and go into the next one together — one fsync for many batches. The queue is bounded: when
// it is full an append is refused at once with 503 overloaded (PROTOCOL §Append rule 6), so
// memory stays flat however hard runners push.
import type { AppendResponse } from '../../protocol/schemas.js';
import { isDatabaseUnreachable } from '../db/database.js';
import { OVERLOADED_RETRY_AFTER_SECONDS, ProblemError, unavailable } from '../errors.js';
import type { BuildAdvance, LogStore, PendingAppend } from './log-store.js';

export interface GroupCommitOptions {
  /** Appends waiting before new ones are refused. */
  readonly maxQueued: number;
  /** Events one transaction takes at most. */
  readonly maxGroupEvents: number;
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
  readonly resolve: (response: AppendResponse) => void;
  readonly reject: (error: unknown) => void;
}

export class GroupCommitter {
  readonly #store: LogStore;
  readonly #options: GroupCommitOptions;
  #queue: Waiting[] = [];
  #running: Promise<void> | undefined;
  #closed = false;

  constructor(store: LogStore, options: GroupCommitOptions) {
    this.#store = store;
    this.#options = options;
  }

  get queued(): number {
    return this.#queue.length;
  }

  submit(append: PendingAppend): Promise<AppendResponse> {
    if (this.#closed) {
      return Promise.reject(new ProblemError('unavailable', 'The server is shutting down; retry on the next one.', { retryAfterSeconds: 1 }));
    }
    if (this.#queue.length >= this.#options.maxQueued) {
      return Promise.reject(
        new ProblemError('overloaded', 'The commit queue is full; retry later.', { retryAfterSeconds: OVERLOADED_RETRY_AFTER_SECONDS }),
      );
    }
    return new Promise<AppendResponse>((resolve, reject) => {
      this.#queue.push({ append, resolve, reject });
      this.#running ??= this.#drain();
    });
  }

  /** Refuses new appends and resolves once every queued one is committed and answered. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) await this.#commitNextGroup();
    } finally {
      this.#running = undefined;
    }
  }

  async #commitNextGroup(): Promise<void> {
    // One turn of the event loop first: requests whose bodies arrived meanwhile join this group.
    // Without it an in-process database (PGlite answers through microtasks) commits one by one.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const group = this.#takeGroup();
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
  #takeGroup(): Waiting[] {
    let events = 0;
    let n = 0;
    while (n < this.#queue.length) {
      const size = this.#queue[n]!.append.batch.events.length;
      if (n > 0 && events + size > this.#options.maxGroupEvents) break;
      events += size;
      n++;
    }
    return this.#queue.splice(0, n);
  }
}

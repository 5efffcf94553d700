// Once per interval per build (PROTOCOL §Runner presence): a busy runner reports with every
// append, an idle one with every heartbeat, and the database sees at most one write per build
// per interval. A trailing throttle: the first report of a quiet build is written at once, the
// ones that follow within the window are held (the latest wins) and the last of them is written
// when the window ends — so the stored report is never older than about one interval.
//
//   report ──► entry? ──no──► write now, arm timer(window)
//                │yes
//                └──► pending = report (latest wins)
//   timer ───► pending? ──yes──► write it now, arm timer(window)
//                │no
//                └──► forget the build
//
// A write another instance made first comes back `throttled`: the report stays pending and is
// tried again when the window ends. One older than what is stored comes back `superseded`, one
// for a build that is gone comes back `gone`; both are dropped.

/**
 * What a write did: stored; refused because another instance wrote within the window (try
 * again); refused because a newer report is stored (drop it); or the build is gone.
 */
export type WriteOutcome = 'written' | 'throttled' | 'superseded' | 'gone';

export interface ThrottleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: ThrottleClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A pending presence write never keeps a stopping process alive.
    timer.unref();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Entry<T> {
  windowMs: number;
  pending: T | undefined;
  timer: unknown;
  writing: boolean;
}

export class PresenceThrottle<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #write: (key: string, item: T) => Promise<WriteOutcome>;
  readonly #onError: (error: unknown) => void;
  readonly #clock: ThrottleClock;
  #closed = false;

  constructor(write: (key: string, item: T) => Promise<WriteOutcome>, onError: (error: unknown) => void, clock: ThrottleClock = systemClock) {
    this.#write = write;
    this.#onError = onError;
    this.#clock = clock;
  }

  /** Builds with a window open (for leak checks). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Offers the build's latest report. Resolves when the write it started has finished, or at
   * once when the report waits for the window to end; rejects only for a write started here.
   */
  offer(key: string, item: T, windowMs: number): Promise<WriteOutcome | 'deferred'> {
    if (this.#closed) return Promise.resolve('deferred');
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.pending = item;
      entry.windowMs = windowMs;
      return Promise.resolve('deferred');
    }
    const fresh: Entry<T> = { windowMs, pending: undefined, timer: undefined, writing: false };
    this.#entries.set(key, fresh);
    return this.#start(key, fresh, item);
  }

  /** Forgets a build (deleted): a held report is dropped, never written. */
  drop(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#clock.clearTimeout(entry.timer);
    this.#entries.delete(key);
  }

  /** Drops every held report and timer. */
  close(): void {
    this.#closed = true;
    for (const key of [...this.#entries.keys()]) this.drop(key);
  }

  #start(key: string, entry: Entry<T>, item: T): Promise<WriteOutcome> {
    entry.writing = true;
    this.#arm(key, entry);
    return this.#write(key, item).then(
      (outcome) => {
        entry.writing = false;
        // Someone else wrote within the window: keep this report unless a newer one is held.
        if (outcome === 'throttled') entry.pending ??= item;
        else if (outcome === 'gone' && this.#entries.get(key) === entry) this.drop(key);
        return outcome;
      },
      (error: unknown) => {
        entry.writing = false;
        throw error;
      },
    );
  }

  #arm(key: string, entry: Entry<T>): void {
    entry.timer = this.#clock.setTimeout(() => this.#windowEnded(key, entry), entry.windowMs);
  }

  #windowEnded(key: string, entry: Entry<T>): void {
    if (this.#entries.get(key) !== entry) return;
    if (entry.writing) {
      // The last write has not come back yet: another window, so two never overlap.
      this.#arm(key, entry);
      return;
    }
    const item = entry.pending;
    if (item === undefined) {
      this.#entries.delete(key);
      return;
    }
    entry.pending = undefined;
    this.#start(key, entry, item).catch(this.#onError);
  }
}

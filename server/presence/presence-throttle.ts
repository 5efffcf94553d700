// Once per interval per build (PROTOCOL §Runner presence): a busy runner reports with every
// append, an idle one with every heartbeat, and the database sees at most one write per build
// per interval. A trailing throttle: the first report of a quiet build is written at once, the
// ones that follow within the window are held (the latest wins) and the last of them is written
// when the window ends — so the stored report is never older than about one interval.
//
// Each write owns a slot of one window on a grid: a held report goes into the slot right after
// the last one, not "a window after the timer fired", so a late timer does not push the grid
// back, and a runner whose heartbeats come once per interval (a little over, on its clock) finds
// the window over every time and is written at once.
//
//   report ──► window over (or none)? ──yes──► write now, in a slot starting now; arm timer
//                │no
//                └──► pending = report (latest wins)
//   timer ───► pending? ──yes──► write it in the next slot; arm timer
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
  /** When the slot of the last write started. */
  slot: number;
  pending: T | undefined;
  timer: unknown;
  writing: boolean;
}

export class PresenceThrottle<T> {
  readonly #entries = new Map<string, Entry<T>>();
  readonly #write: (key: string, item: T, slot: number) => Promise<WriteOutcome>;
  readonly #onError: (error: unknown) => void;
  readonly #clock: ThrottleClock;
  #closed = false;

  /** `write` gets the start of the write's slot: what the database records as its write time. */
  constructor(write: (key: string, item: T, slot: number) => Promise<WriteOutcome>, onError: (error: unknown) => void, clock: ThrottleClock = systemClock) {
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
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      const fresh: Entry<T> = { windowMs, slot: now, pending: undefined, timer: undefined, writing: false };
      this.#entries.set(key, fresh);
      return this.#start(key, fresh, item, now);
    }
    entry.windowMs = windowMs;
    if (!entry.writing && now >= entry.slot + entry.windowMs) {
      // The window is over and its timer has not run yet: no reason to make the report wait.
      this.#clock.clearTimeout(entry.timer);
      entry.pending = undefined;
      return this.#start(key, entry, item, now);
    }
    entry.pending = item;
    return Promise.resolve('deferred');
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

  #start(key: string, entry: Entry<T>, item: T, slot: number): Promise<WriteOutcome> {
    entry.writing = true;
    entry.slot = slot;
    this.#arm(key, entry, slot + entry.windowMs - this.#clock.now());
    return this.#write(key, item, slot).then(
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

  #arm(key: string, entry: Entry<T>, delayMs: number): void {
    entry.timer = this.#clock.setTimeout(() => this.#windowEnded(key, entry), Math.max(0, delayMs));
  }

  #windowEnded(key: string, entry: Entry<T>): void {
    if (this.#entries.get(key) !== entry) return;
    if (entry.writing) {
      // The last write has not come back yet: wait another window, so two never overlap.
      this.#arm(key, entry, entry.windowMs);
      return;
    }
    const item = entry.pending;
    if (item === undefined) {
      this.#entries.delete(key);
      return;
    }
    entry.pending = undefined;
    // The next slot on the grid; a slot long past (a write that took a window or more) starts now.
    const now = this.#clock.now();
    const next = entry.slot + entry.windowMs;
    this.#start(key, entry, item, now - next >= entry.windowMs ? now : next).catch(this.#onError);
  }
}

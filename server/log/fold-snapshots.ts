// The last fold of recently read builds, kept per build and extended by the events committed
// since, so a request costs the events since the previous one, not a re-read and re-fold of the
// whole log. `/state` folds the BuildState reducer this way (PROTOCOL §State), `/messages` the
// UIMessages (PROTOCOL §UI messages).
import type { JsonPage, PageBounds } from './event-json.js';

/** What one read while folding may bring into memory. */
const FOLD_READ: PageBounds = { limit: 10_000, maxBytes: 8 * 1024 * 1024 };

/** Events `(after, upTo]` within `bounds`, as `Event` JSON joined by commas. */
export type ReadJson = (after: number, upTo: number, bounds: PageBounds) => Promise<JsonPage>;

interface Snapshot<T> {
  readonly generation: string;
  readonly seq: number;
  readonly value: T;
}

export interface Fold<T, E> {
  readonly initial: () => T;
  /** Pure: never mutates its input (snapshots are shared by concurrent requests). */
  readonly reduce: (value: T, events: E[]) => T;
}

export class FoldSnapshots<T, E> {
  readonly #fold: Fold<T, E>;
  readonly #maxBuilds: number;
  /** Map order is recency; the first entry is evicted. */
  readonly #snapshots = new Map<string, Snapshot<T>>();

  constructor(fold: Fold<T, E>, maxBuilds = 64) {
    this.#fold = fold;
    this.#maxBuilds = maxBuilds;
  }

  /** The fold of events 1..`ack` of this build generation. */
  async valueAt(buildId: string, generation: string, ack: number, read: ReadJson): Promise<T> {
    const cached = this.#snapshots.get(buildId);
    // A snapshot past `ack` comes from a newer request; it cannot be wound back, so fold afresh.
    const start: Snapshot<T> = cached && cached.generation === generation && cached.seq <= ack ? cached : { generation, seq: 0, value: this.#fold.initial() };
    let { seq, value } = start;
    while (seq < ack) {
      const page = await read(seq, ack, FOLD_READ);
      if (page.count === 0) break;
      value = this.#fold.reduce(value, JSON.parse(`[${page.parts.join(',')}]`) as E[]);
      seq = page.last;
    }
    // Keep the furthest fold: two requests racing must not replace a later snapshot by an earlier one.
    const latest = this.#snapshots.get(buildId);
    if (latest === undefined || latest.generation !== generation || latest.seq <= seq) {
      this.#snapshots.delete(buildId);
      this.#snapshots.set(buildId, { generation, seq, value });
      if (this.#snapshots.size > this.#maxBuilds) this.#snapshots.delete(this.#snapshots.keys().next().value!);
    }
    return value;
  }

  drop(buildId: string): void {
    this.#snapshots.delete(buildId);
  }
}

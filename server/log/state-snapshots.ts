// The folded BuildState of recently viewed builds (PROTOCOL §State): every viewer that opens a
// page asks for it, so keep the last fold per build and extend it by the events committed
// since, instead of re-reading and re-folding the whole log each time.
import { initialBuildState, reduceEvents, type BuildState, type ReducerEvent } from '../../protocol/build-state.js';
import type { JsonPage, PageBounds } from './event-json.js';

/** What one read while folding may bring into memory. */
const FOLD_READ: PageBounds = { limit: 10_000, maxBytes: 8 * 1024 * 1024 };

export type ReadJson = (after: number, upTo: number, bounds: PageBounds) => Promise<JsonPage>;

interface Snapshot {
  readonly generation: string;
  readonly seq: number;
  readonly state: BuildState;
}

export class StateSnapshots {
  readonly #maxBuilds: number;
  /** Map order is recency; the first entry is evicted. */
  readonly #snapshots = new Map<string, Snapshot>();

  constructor(maxBuilds = 64) {
    this.#maxBuilds = maxBuilds;
  }

  /** The state after folding events 1..`ack` of this build generation. */
  async stateAt(buildId: string, generation: string, ack: number, read: ReadJson): Promise<BuildState> {
    const cached = this.#snapshots.get(buildId);
    let snapshot: Snapshot = cached && cached.generation === generation && cached.seq <= ack ? cached : { generation, seq: 0, state: initialBuildState() };
    let { seq, state } = snapshot;
    while (seq < ack) {
      const page = await read(seq, ack, FOLD_READ);
      if (page.count === 0) break;
      state = reduceEvents(state, JSON.parse(`[${page.json}]`) as ReducerEvent[]);
      seq = page.last;
    }
    snapshot = { generation, seq, state };
    this.#snapshots.delete(buildId);
    this.#snapshots.set(buildId, snapshot);
    if (this.#snapshots.size > this.#maxBuilds) this.#snapshots.delete(this.#snapshots.keys().next().value!);
    return state;
  }

  drop(buildId: string): void {
    this.#snapshots.delete(buildId);
  }
}

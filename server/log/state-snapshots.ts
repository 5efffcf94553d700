// The folded BuildState of recently viewed builds (PROTOCOL §State): every viewer that opens a
// page asks for it, so keep the last fold per build and extend it by the events committed
// since, instead of re-reading and re-folding the whole log each time.
import { initialBuildState, reduceEvents, type BuildState, type ReducerEvent } from '../../protocol/build-state.js';
import type { EventRecord } from './event-json.js';

/** Events read per store query while folding. */
const FOLD_READ_CHUNK = 10_000;

export type ReadRecords = (after: number, upTo: number, limit: number) => Promise<EventRecord[]>;

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
  async stateAt(buildId: string, generation: string, ack: number, read: ReadRecords): Promise<BuildState> {
    const cached = this.#snapshots.get(buildId);
    let snapshot: Snapshot = cached && cached.generation === generation && cached.seq <= ack ? cached : { generation, seq: 0, state: initialBuildState() };
    let { seq, state } = snapshot;
    while (seq < ack) {
      const records = await read(seq, ack, FOLD_READ_CHUNK);
      if (records.length === 0) break;
      state = reduceEvents(
        state,
        records.map((r) => JSON.parse(r.json) as ReducerEvent),
      );
      seq = records.at(-1)!.seq;
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

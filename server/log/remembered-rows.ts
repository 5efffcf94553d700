// The builds rows a store's commits wrote last (ARCHITECTURE §The log engine, kysely-log-store):
// a group at the live edge of remembered builds is planned on these rows instead of locking and
// reading them; the commit's guard checks they are still what the database holds.
import type { BuildWriteState } from './append-plan.js';
import type { LineIndexState } from './kysely-log-lines.js';
import type { PendingAppend } from './log-store.js';

/** A build's row as one commit group locked or remembered it, and its write state from there. */
export interface LockedBuild {
  readonly generation: string;
  readonly write: BuildWriteState;
  readonly lines: LineIndexState;
  /** The row as read, for the guard of a commit on a remembered row. */
  readonly before: BuildRow;
}

/** The columns of a builds row a commit reads. */
export interface BuildRow {
  readonly buildId: string;
  readonly generation: string;
  readonly ack: number;
  readonly final: number | null;
  readonly epoch: number;
  readonly digest: string;
  readonly maxSeq: number;
  readonly lastEventAt: Date | null;
  readonly lines: LineIndexState;
}

export function lockedBuild(row: BuildRow): LockedBuild {
  const write: BuildWriteState = {
    buildId: row.buildId,
    ack: row.ack,
    final: row.final,
    epoch: row.epoch,
    digest: row.digest,
    maxSeq: row.maxSeq,
    lastEventAt: row.lastEventAt,
    stored: new Map(),
    storedUnread: new Set(),
    discardAbove: null,
    inserts: [],
    newlyAcked: [],
  };
  return { generation: row.generation, write, lines: row.lines, before: row };
}

export function rememberedRow(locked: LockedBuild, lines: LineIndexState): BuildRow {
  const w = locked.write;
  return { buildId: w.buildId, generation: locked.generation, ack: w.ack, final: w.final, epoch: w.epoch, digest: w.digest, maxSeq: w.maxSeq, lastEventAt: w.lastEventAt, lines };
}

/** Builds whose rows are remembered at most; the least recently committed are forgotten first. */
export const REMEMBERED_ROWS = 10_000;


/** The builds rows this instance's commits wrote last, bounded, least recently committed evicted. */
export class RememberedRows {
  readonly #max: number;
  readonly #rows = new Map<string, BuildRow>();

  constructor(max: number) {
    this.#max = max;
  }

  remember(row: BuildRow): void {
    this.#rows.delete(row.buildId);
    this.#rows.set(row.buildId, row);
    if (this.#rows.size > this.#max) this.#rows.delete(this.#rows.keys().next().value!);
  }

  forget(buildId: string): void {
    this.#rows.delete(buildId);
  }

  /**
   * Fresh write states for the builds of the group that are remembered and whose appends all
   * stay at the live edge — nothing stored above the ack, every batch past the highest stored
   * seq, no takeover — so no stored event needs reading.
   */
  atEdge(appends: readonly PendingAppend[]): Map<string, LockedBuild> {
    const states = new Map<string, LockedBuild>();
    const off = new Set<string>();
    for (const { buildId, batch } of appends) {
      if (off.has(buildId)) continue;
      const row = this.#rows.get(buildId);
      if (row === undefined || row.maxSeq !== row.ack || batch.from <= row.maxSeq || batch.epoch !== row.epoch) {
        off.add(buildId);
        states.delete(buildId);
      } else if (!states.has(buildId)) {
        states.set(buildId, lockedBuild(row));
      }
    }
    return states;
  }
}

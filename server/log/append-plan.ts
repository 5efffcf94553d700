// The append rules of PROTOCOL §Append as a pure function over one build's write state.
// The store loads the state under the build's row lock, applies every batch of a commit
// group here in order, then writes what the plans say — so a rejected batch writes nothing
// and the ack only moves inside the commit transaction.
import { chainDigest, eventContentKey } from '../../protocol/hash-chain.js';
import type { AppendResponse } from '../../protocol/schemas.js';
import { ProblemError } from '../errors.js';
import { nodeSha256Hex } from './node-sha256.js';

/** One event as stored: `data` is its JSON text. */
export interface StoredEvent {
  readonly seq: number;
  readonly type: string;
  readonly data: string;
  readonly time: string | null;
  readonly receivedAt: Date;
  /** `data` parsed, when the request brought it: spares the hash chain a JSON.parse per event. */
  readonly value?: unknown;
}

/** A validated batch: `data` already serialized, limits already checked. */
export interface AppendBatch {
  readonly from: number;
  readonly events: ReadonlyArray<{ readonly type: string; readonly data: string; readonly time: string | null; readonly value?: unknown }>;
  readonly final: boolean;
  readonly epoch: number;
}

/**
 * A build's log as one commit group sees it. `stored` holds every stored event inside the
 * batches' ranges, enough to judge duplicates and conflicts, and the stored events above `ack`
 * the ack may move onto. When no batch of the group reaches `ack + 1` the ack cannot move, and
 * the seqs stored above it are only needed for the answer's `missing` ranges: those are
 * `storedUnread`, seqs without their content. (A build whose ack is stuck below a lost batch
 * would otherwise have every event waiting above the gap read again by each of its commits.)
 */
export interface BuildWriteState {
  readonly buildId: string;
  ack: number;
  final: number | null;
  epoch: number;
  digest: string;
  maxSeq: number;
  lastEventAt: Date | null;
  readonly stored: Map<number, StoredEvent>;
  /** Seqs stored above `ack` whose content this group did not read (see above). */
  readonly storedUnread: Set<number>;
  /** Set by a takeover: stored events above `discardAbove` must be deleted first. */
  discardAbove: number | null;
  /** Events this group inserts, in seq order per batch. */
  readonly inserts: StoredEvent[];
  /** Events the ack passed in this group, in seq order: the hub and tail cache get them. */
  readonly newlyAcked: StoredEvent[];
}

export interface GapRange {
  readonly from: number;
  readonly to: number;
}

export type PlanResult = { readonly ok: true; readonly response: AppendResponse } | { readonly ok: false; readonly problem: ProblemError };

function contentKey(e: { type: string; data: string; time: string | null }): string {
  return eventContentKey({ type: e.type, data: JSON.parse(e.data) as unknown, time: e.time });
}

function isComplete(state: BuildWriteState): boolean {
  return state.final !== null && state.ack === state.final;
}

/**
 * Applies one batch to `state` (mutating it) or rejects it leaving `state` untouched.
 * Rule order is PROTOCOL §Errors: stale_epoch → seq_conflict → build_closed → gap_too_large.
 */
export function applyBatch(state: BuildWriteState, batch: AppendBatch, receivedAt: Date, maxGapWindow: number): PlanResult {
  const to = batch.from + batch.events.length - 1;

  // Rule 5, fencing: judge the batch against the log as the takeover would leave it.
  let takeover = false;
  if (batch.epoch < state.epoch) {
    return reject('stale_epoch', `Epoch ${batch.epoch} is older than the build's epoch ${state.epoch}; another runner took this build over.`, {
      epoch: state.epoch,
    });
  }
  if (batch.epoch > state.epoch) {
    if (isComplete(state)) return reject('build_closed', 'The build is complete; it cannot be taken over.', { ack: state.ack, final: state.final });
    takeover = true;
  }
  const visibleAboveAck = (seq: number) => !takeover || seq <= state.ack;
  const lookup = (seq: number) => (visibleAboveAck(seq) ? state.stored.get(seq) : undefined);
  const maxSeq = takeover ? state.ack : state.maxSeq;
  const final = takeover && state.final !== null && state.final > state.ack ? null : state.final;

  // Rule 1 and 2: an already stored seq must carry identical content.
  const fresh: number[] = [];
  for (let i = 0; i < batch.events.length; i++) {
    const seq = batch.from + i;
    const existing = lookup(seq);
    const incoming = batch.events[i]!;
    if (existing === undefined) {
      fresh.push(i);
    } else if (existing.type !== incoming.type || existing.time !== incoming.time || (existing.data !== incoming.data && contentKey(existing) !== contentKey(incoming))) {
      return reject('seq_conflict', `Seq ${seq} is already stored with different content.`, { seq, ack: state.ack });
    }
  }

  // Rule 4: nothing after the final event, one final only, and no final below stored seqs.
  if (final !== null && to > final) {
    return reject('build_closed', `The build's final event is ${final}; seq ${to} comes after it.`, { ack: state.ack, final });
  }
  if (batch.final && final !== null && to !== final) {
    return reject('build_closed', `The build's final event is already ${final}; this batch declares ${to}.`, { ack: state.ack, final });
  }
  if (batch.final && to < maxSeq) {
    return reject('build_closed', `Seq ${maxSeq} is already stored; ${to} cannot be the final event.`, { ack: state.ack, final });
  }

  // Rule 3: a gap is fine within the window.
  if (batch.from - state.ack > maxGapWindow) {
    return reject('gap_too_large', `The batch starts at ${batch.from}, more than ${maxGapWindow} past the ack ${state.ack}; resend from ${state.ack + 1}.`, {
      ack: state.ack,
    });
  }

  // Accepted: from here on the state changes.
  if (takeover) {
    for (const seq of state.stored.keys()) if (seq > state.ack) state.stored.delete(seq);
    state.storedUnread.clear();
    for (let i = state.inserts.length - 1; i >= 0; i--) if (state.inserts[i]!.seq > state.ack) state.inserts.splice(i, 1);
    state.discardAbove = state.ack;
    state.epoch = batch.epoch;
    state.maxSeq = maxSeq;
    state.final = final;
  }
  for (const i of fresh) {
    const e = batch.events[i]!;
    const stored: StoredEvent = { seq: batch.from + i, type: e.type, data: e.data, time: e.time, receivedAt, value: e.value };
    state.stored.set(stored.seq, stored);
    state.inserts.push(stored);
  }
  state.maxSeq = Math.max(state.maxSeq, to);
  if (batch.final) state.final = to;
  advanceAck(state);
  return { ok: true, response: responseOf(state) };
}

/** Moves the ack over every contiguous stored seq, extending the hash chain as it goes. */
function advanceAck(state: BuildWriteState): void {
  for (;;) {
    const next = state.stored.get(state.ack + 1);
    if (next === undefined) {
      // The store reads every event above the ack whenever a batch reaches it; an unread one here
      // would leave the hash chain without its content.
      if (state.storedUnread.has(state.ack + 1)) throw new Error(`build ${state.buildId}: seq ${state.ack + 1} is stored but was not read`);
      return;
    }
    const data = next.value === undefined ? (JSON.parse(next.data) as unknown) : next.value;
    state.digest = chainDigest(state.digest, { seq: next.seq, type: next.type, data, time: next.time }, nodeSha256Hex);
    state.ack = next.seq;
    state.lastEventAt = next.receivedAt;
    state.newlyAcked.push(next);
  }
}

/** Inclusive ranges of seqs missing between the ack and the highest stored seq. */
export function missingRanges(state: Pick<BuildWriteState, 'ack' | 'maxSeq' | 'stored' | 'storedUnread'>): Array<[number, number]> {
  if (state.maxSeq <= state.ack) return [];
  const above = [...state.stored.keys(), ...state.storedUnread].filter((s) => s > state.ack && s <= state.maxSeq).sort((a, b) => a - b);
  const ranges: Array<[number, number]> = [];
  let expected = state.ack + 1;
  for (const seq of above) {
    if (seq > expected) ranges.push([expected, seq - 1]);
    expected = seq + 1;
  }
  return ranges;
}

export function responseOf(state: BuildWriteState): AppendResponse {
  return { ack: state.ack, final: state.final, missing: missingRanges(state), digest: state.digest };
}

function reject(code: 'stale_epoch' | 'seq_conflict' | 'build_closed' | 'gap_too_large', message: string, extra: Record<string, unknown>): PlanResult {
  return { ok: false, problem: new ProblemError(code, message, { extra }) };
}

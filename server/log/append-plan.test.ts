// The append rules as a pure function: a model-based property with many more runs than the
// HTTP-level property can afford.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chainDigests } from '../../protocol/hash-chain.js';
import { applyBatch, type AppendBatch, type BuildWriteState } from './append-plan.js';

function emptyState(): BuildWriteState {
  return { buildId: 'b', ack: 0, final: null, epoch: 0, digest: '', maxSeq: 0, lastEventAt: null, stored: new Map(), storedUnread: new Set(), discardAbove: null, inserts: [], newlyAcked: [] };
}
const event = (seq: number, tag = 'v') => ({ type: 'log', data: JSON.stringify({ seq, tag }), time: null });
const batch = (from: number, count: number, extra: Partial<AppendBatch> = {}): AppendBatch => ({
  from,
  events: Array.from({ length: count }, (_, i) => event(from + i)),
  final: false,
  epoch: 0,
  ...extra,
});
const now = new Date(0);

describe('applyBatch', () => {
  it('keeps ack = longest stored prefix and the digest of exactly that prefix, for any batch order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ from: fc.integer({ min: 1, max: 60 }), count: fc.integer({ min: 1, max: 8 }) }), { maxLength: 40 }),
        (batches) => {
          const state = emptyState();
          const stored = new Set<number>();
          for (const b of batches) {
            const result = applyBatch(state, batch(b.from, b.count), now, 30);
            let prefix = 0;
            while (stored.has(prefix + 1)) prefix++;
            if (b.from - prefix > 30) {
              expect(result.ok).toBe(false);
              continue;
            }
            expect(result.ok).toBe(true);
            for (let s = b.from; s < b.from + b.count; s++) stored.add(s);
            prefix = 0;
            while (stored.has(prefix + 1)) prefix++;
            expect(state.ack).toBe(prefix);
            expect(state.digest).toBe(
              chainDigests('', Array.from({ length: prefix }, (_, i) => ({ seq: i + 1, type: 'log', data: { seq: i + 1, tag: 'v' }, time: null }))),
            );
          }
          expect(new Set(state.inserts.map((e) => e.seq)).size).toBe(state.inserts.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('rejects without changing anything', () => {
    const state = emptyState();
    applyBatch(state, batch(1, 3), now, 100);
    applyBatch(state, batch(10, 2), now, 100);
    const before = JSON.stringify({ ...state, stored: [...state.stored.keys()] });
    const conflicting = { ...batch(3, 3), events: [{ type: 'log', data: '"other"', time: null }, event(4), event(5)] };
    const result = applyBatch(state, conflicting, now, 100);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.code).toBe('seq_conflict');
    expect(JSON.stringify({ ...state, stored: [...state.stored.keys()] })).toBe(before);
  });

  it('judges identical content by canonical JSON, not by key order', () => {
    const state = emptyState();
    applyBatch(state, { from: 1, events: [{ type: 't', data: '{"a":1,"b":2}', time: null }], final: false, epoch: 0 }, now, 10);
    const same = applyBatch(state, { from: 1, events: [{ type: 't', data: '{"b":2,"a":1}', time: null }], final: false, epoch: 0 }, now, 10);
    expect(same.ok).toBe(true);
    const timeDiffers = applyBatch(state, { from: 1, events: [{ type: 't', data: '{"a":1,"b":2}', time: '2026-01-01T00:00:00Z' }], final: false, epoch: 0 }, now, 10);
    expect(timeDiffers.ok).toBe(false);
  });

  it('applies rule order stale_epoch → seq_conflict → build_closed → gap_too_large', () => {
    const state = emptyState();
    applyBatch(state, batch(1, 2, { epoch: 2 }), now, 5);
    const codeOf = (b: AppendBatch) => {
      const r = applyBatch(state, b, now, 5);
      return r.ok ? 'ok' : r.problem.code;
    };
    const conflict = { ...batch(2, 1, { epoch: 1 }), events: [{ type: 'x', data: 'null', time: null }] };
    expect(codeOf(conflict)).toBe('stale_epoch');
    applyBatch(state, batch(3, 1, { epoch: 2, final: true }), now, 5);
    expect(codeOf({ ...conflict, epoch: 2 })).toBe('seq_conflict');
    expect(codeOf(batch(100, 1, { epoch: 2 }))).toBe('build_closed');
  });

  it('takes a build over: discards unacked events of older epochs and a final beyond the ack', () => {
    const state = emptyState();
    applyBatch(state, batch(1, 2), now, 50);
    applyBatch(state, batch(5, 2, { final: true }), now, 50);
    expect(state.final).toBe(6);
    const result = applyBatch(state, { from: 3, events: [event(3, 'new')], final: false, epoch: 1 }, now, 50);
    expect(result.ok).toBe(true);
    expect(state).toMatchObject({ ack: 3, epoch: 1, final: null, maxSeq: 3, discardAbove: 2 });
    expect([...state.stored.keys()].sort()).toEqual([1, 2, 3]);
    expect(state.inserts.map((e) => e.seq)).toEqual([1, 2, 3]);
  });
});

// /messages (and any fold served like /state) costs the events since the last request, not the log.
import { describe, expect, it } from 'vitest';
import type { JsonPage, PageBounds } from './event-json.js';
import { FoldSnapshots } from './fold-snapshots.js';

/** A log of `n` events whose reads are recorded as [after, upTo] ranges. */
function log(n: number) {
  const reads: Array<[number, number]> = [];
  const read = async (after: number, upTo: number, bounds: PageBounds): Promise<JsonPage> => {
    reads.push([after, upTo]);
    const out: string[] = [];
    let last = after;
    for (let seq = after + 1; seq <= Math.min(upTo, n) && out.length < bounds.limit; seq++) {
      out.push(JSON.stringify({ seq, type: 'n', data: seq }));
      last = seq;
    }
    return { last, count: out.length, parts: out };
  };
  return { reads, read };
}

const sum = new FoldSnapshots<number[], { seq: number }>({ initial: () => [], reduce: (seqs, events) => [...seqs, ...events.map((e) => e.seq)] });

describe('FoldSnapshots', () => {
  it('extends the last fold by the events committed since instead of re-reading the log', async () => {
    const { reads, read } = log(100);
    expect(await sum.valueAt('b', 'g1', 40, read)).toHaveLength(40);
    expect(await sum.valueAt('b', 'g1', 100, read)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(await sum.valueAt('b', 'g1', 100, read)).toHaveLength(100);
    expect(reads).toEqual([[0, 40], [40, 100]]);
  });

  it('folds afresh for a new generation of the same build id', async () => {
    const { reads, read } = log(10);
    await sum.valueAt('c', 'g1', 10, read);
    expect(await sum.valueAt('c', 'g2', 5, read)).toEqual([1, 2, 3, 4, 5]);
    expect(reads).toEqual([[0, 10], [0, 5]]);
  });
});
